package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/newswatch/newswatch/api"
	"github.com/newswatch/newswatch/api/export"
	"github.com/newswatch/newswatch/api/keys"
	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/simsite"
	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/bleve"
)

// exportServer serves an API over a Bleve index of n simulated articles,
// with keys in dir/keys.json; wrap may replace the store.
func exportServer(t *testing.T, dir string, n int, wrap func(store.Store) store.Store) (*httptest.Server, store.Store) {
	t.Helper()
	site, err := simsite.New(simsite.Config{Seed: 3, Articles: n, Outlets: simsite.DefaultOutlets})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range site.Outlets() {
		if err := site.SetBaseURL(o.ID, "https://"+o.ID+".export.example"); err != nil {
			t.Fatal(err)
		}
	}
	var arts []*article.Article
	for _, a := range site.Articles() {
		s, err := a.Stored(a.PublishedAt.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		arts = append(arts, &s)
	}
	idx, err := bleve.Open(filepath.Join(dir, "index"), bleve.Options{}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	if err := idx.Put(context.Background(), arts); err != nil {
		t.Fatal(err)
	}
	ks, err := keys.Open(filepath.Join(dir, keys.FileName))
	if err != nil {
		t.Fatal(err)
	}
	var st store.Store = idx
	if wrap != nil {
		st = wrap(idx)
	}
	srv, err := api.New(api.Config{Keys: ks, Version: "v-test", StoreName: "bleve"}, st, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return hs, idx
}

// TestKeysAndExportCommands: `keys create` makes a key the API takes,
// `export` saves each format with its manifest (the file's SHA-256 and row
// count), `keys revoke` ends the key, and the wrong scope is refused.
func TestKeysAndExportCommands(t *testing.T) {
	dir := t.TempDir()
	hs, st := exportServer(t, dir, 250, nil)
	run := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := realMain(args, &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	code, out, errOut := run("keys", "create", "--data", dir, "--scope", "export", "--name", "researcher")
	if code != 0 || !strings.HasPrefix(out, "nwk_") {
		t.Fatalf("keys create: %d %q %s", code, out, errOut)
	}
	keyFile := filepath.Join(dir, "export.key")
	os.WriteFile(keyFile, []byte(out), 0o600)
	code, out, _ = run("keys", "create", "--keys", filepath.Join(dir, keys.FileName), "--scope", "read")
	readKey := filepath.Join(dir, "read.key")
	os.WriteFile(readKey, []byte(out), 0o600)
	if code, out, _ = run("keys", "list", "--data", dir); code != 0 || !strings.Contains(out, "researcher") || !strings.Contains(out, "read") {
		t.Errorf("keys list: %d\n%s", code, out)
	}

	total, err := st.Search(context.Background(), store.Query{Text: "Bakı"})
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range export.Formats {
		file := filepath.Join(dir, "bakı."+format)
		code, out, errOut = run("export", "--api", hs.URL, "--key-file", keyFile, "--query", "Bakı", "--format", format, "--out", file)
		if code != 0 {
			t.Fatalf("export %s: %d\n%s\n%s", format, code, out, errOut)
		}
		if format != export.FormatParquet && !strings.Contains(errOut, "rows") {
			t.Errorf("export %s: no progress bar with rows on stderr: %q", format, errOut)
		}
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		mb, err := os.ReadFile(file + ".manifest.json")
		if err != nil {
			t.Fatal(err)
		}
		var m export.Manifest
		if err := json.Unmarshal(mb, &m); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		if m.SHA256 != hex.EncodeToString(sum[:]) || m.Bytes != int64(len(b)) || m.Rows != total.Total || m.Query != "Bakı" ||
			m.Format != format || m.File != filepath.Base(file) || m.NewswatchVersion != "v-test" || m.Store != "bleve" || m.GeneratedAt.IsZero() {
			t.Errorf("%s manifest: %s", format, mb)
		}
		if format == export.FormatNDJSON && int64(bytes.Count(b, []byte("\n"))) != total.Total {
			t.Errorf("ndjson: %d lines, want %d", bytes.Count(b, []byte("\n")), total.Total)
		}
		leftovers, _ := filepath.Glob(filepath.Join(dir, ".*partial*"))
		if len(leftovers) > 0 {
			t.Errorf("temporary files left: %v", leftovers)
		}
	}
	// The format from the file name, filters passed on.
	file := filepath.Join(dir, "ru.csv")
	if code, out, errOut = run("export", "--api", hs.URL, "--key-file", keyFile, "--lang", "ru", "--out", file, "--quiet"); code != 0 {
		t.Fatalf("export --lang ru: %d %s %s", code, out, errOut)
	}
	mb, _ := os.ReadFile(file + ".manifest.json")
	if !strings.Contains(string(mb), `"lang": [`) || !strings.Contains(string(mb), `"ru"`) {
		t.Errorf("manifest without the lang filter: %s", mb)
	}
	// Wrong scope, no key, bad flags: clear errors, no file.
	for _, tc := range []struct {
		args []string
		want string
		code int
	}{
		{[]string{"--key-file", readKey, "--out", filepath.Join(dir, "x.csv")}, "403 forbidden", 1},
		{[]string{"--out", filepath.Join(dir, "y.csv")}, "401 unauthorized", 1},
		{[]string{"--key-file", keyFile, "--out", filepath.Join(dir, "z.xlsx")}, "--format", 1},
		{[]string{"--key-file", keyFile, "--query", `"open`, "--out", filepath.Join(dir, "q.csv")}, "400 bad_request", 1},
		{[]string{"--key-file", keyFile}, "--out is required", 2},
	} {
		t.Setenv("NEWSWATCH_API_KEY", "")
		code, _, errOut := run(append([]string{"export", "--api", hs.URL, "--quiet"}, tc.args...)...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("export %v: %d %q, want %d and %q", tc.args, code, errOut, tc.code, tc.want)
		}
	}
	for _, f := range []string{"x.csv", "y.csv", "q.csv"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("%s was written by a failed export", f)
		}
	}
	// Revoked: the API refuses the key within a second or so.
	l, _ := keys.List(filepath.Join(dir, keys.FileName))
	if code, out, errOut = run("keys", "revoke", "--data", dir, l[0].ID); code != 0 {
		t.Fatalf("keys revoke: %d %s %s", code, out, errOut)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, _, errOut = run("export", "--api", hs.URL, "--key-file", keyFile, "--out", filepath.Join(dir, "gone.csv"), "--quiet")
		if code == 1 && strings.Contains(errOut, "401") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("revoked key still exports: %d %s", code, errOut)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// cutScan ends a scan with an error after some articles.
type cutScan struct {
	store.Store
}

func (c cutScan) ScanJSON(ctx context.Context, q store.Query, fn func([]byte) error) error {
	n := 0
	return c.Store.ScanJSON(ctx, q, func(doc []byte) error {
		if n++; n > 100 {
			return errors.New("disk on fire")
		}
		return fn(doc)
	})
}

// TestExportInterrupted: an export the server cannot finish saves nothing
// and says so.
func TestExportInterrupted(t *testing.T) {
	dir := t.TempDir()
	hs, _ := exportServer(t, dir, 300, func(s store.Store) store.Store { return cutScan{s} })
	tok, _, err := keys.Create(filepath.Join(dir, keys.FileName), keys.NewOptions{Scope: keys.ScopeExport})
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("NEWSWATCH_API_KEY", tok)
	out := filepath.Join(dir, "cut.ndjson")
	var stdout, stderr bytes.Buffer
	code := realMain([]string{"export", "--api", hs.URL, "--out", out, "--quiet"}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "incomplete") || !strings.Contains(stderr.String(), "nothing was saved") {
		t.Errorf("interrupted export: %d %s", code, stderr.String())
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "*cut*"))
	if len(matches) > 0 {
		t.Errorf("files left by an interrupted export: %v", matches)
	}

}
