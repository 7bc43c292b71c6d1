package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/bus/bustest"
	"github.com/newswatch/newswatch/simsite"
	"github.com/newswatch/newswatch/store"
)

func startSite(t *testing.T, n int) *simsite.Site {
	t.Helper()
	site, err := simsite.New(simsite.Config{Seed: 3, Articles: n})
	if err != nil {
		t.Fatal(err)
	}
	if err := site.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { site.Close() })
	return site
}

func TestExtractFromFile(t *testing.T) {
	site := startSite(t, 6)
	for _, a := range site.Articles() {
		resp, err := http.Get(a.URL)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		file := filepath.Join(t.TempDir(), "page.html")
		if err := os.WriteFile(file, page, 0o644); err != nil {
			t.Fatal(err)
		}
		var stdout, stderr bytes.Buffer
		code := realMain([]string{"extract", "--html", file, "--url", a.URL, "--outlet", a.Outlet, "--tz", "Asia/Baku"}, &stdout, &stderr)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", a.URL, code, stderr.String())
		}
		var got article.Article
		dec := json.NewDecoder(&stdout)
		if err := dec.Decode(&got); err != nil {
			t.Fatalf("%s: stdout is not one Article JSON: %v", a.URL, err)
		}
		if dec.More() {
			t.Fatalf("%s: more than one JSON value on stdout", a.URL)
		}
		if err := got.Validate(); err != nil {
			t.Errorf("%s: %v", a.URL, err)
		}
		if got.Title != a.Title || got.Outlet != a.Outlet || got.Language != a.Language {
			t.Errorf("%s: got title %q outlet %q lang %q, want %q %q %q", a.URL, got.Title, got.Outlet, got.Language, a.Title, a.Outlet, a.Language)
		}
		if got.PublishedAt == nil || !got.PublishedAt.Equal(a.PublishedAt) {
			t.Errorf("%s: published_at %v, want %v", a.URL, got.PublishedAt, a.PublishedAt)
		}
	}
}

func TestExtractBadInput(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.html")
	os.WriteFile(empty, nil, 0o644)
	binary := filepath.Join(dir, "page.png")
	os.WriteFile(binary, append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 600)...), 0o644)
	for name, args := range map[string][]string{
		"missing file": {"extract", "--html", filepath.Join(dir, "nope.html"), "--url", "https://caliber.az/x"},
		"directory":    {"extract", "--html", dir, "--url", "https://caliber.az/x"},
		"empty file":   {"extract", "--html", empty, "--url", "https://caliber.az/x"},
		"binary file":  {"extract", "--html", binary, "--url", "https://caliber.az/x"},
		"no url":       {"extract", "--html", empty},
		"bad url":      {"extract", "--html", empty, "--url", "caliber.az/x"},
	} {
		var stdout, stderr bytes.Buffer
		code := realMain(args, &stdout, &stderr)
		if code == 0 {
			t.Errorf("%s: exit 0", name)
		}
		if stdout.Len() != 0 {
			t.Errorf("%s: wrote to stdout: %q", name, stdout.String())
		}
		if msg := strings.TrimSpace(stderr.String()); msg == "" || (name != "no url" && strings.Contains(msg, "\n")) {
			t.Errorf("%s: stderr %q, want one line", name, msg)
		}
	}
}

func TestUnknownCommand(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := realMain([]string{"frobnicate"}, &stdout, &stderr); code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	for _, cmd := range []string{"run", "demo", "extract", "crawler", "indexer", "api"} {
		stderr.Reset()
		if code := realMain([]string{cmd, "--help"}, &stdout, &stderr); code != 0 {
			t.Errorf("%s --help: exit %d", cmd, code)
		}
		if !strings.Contains(stderr.String(), "-") {
			t.Errorf("%s --help printed no flags", cmd)
		}
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestDemoBinary runs the built binary as a user would: `newswatch demo
// --articles 300` must make all 300 searchable within 60 seconds, serve
// Cyrillic intact, and stop cleanly on SIGINT.
func TestDemoBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := filepath.Join(t.TempDir(), "newswatch")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	addr := freePort(t)
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, "demo", "--articles", "300", "--listen", addr, "--data", t.TempDir())
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
		}
	}()
	get := func(params url.Values) (*store.Result, error) {
		resp, err := http.Get("http://" + addr + "/v1/search?" + params.Encode())
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		var res store.Result
		if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
			return nil, err
		}
		return &res, nil
	}
	bustest.CheckFor(t, 60*time.Second, 200*time.Millisecond, func() error {
		res, err := get(url.Values{"size": {"0"}})
		if err != nil {
			return err
		}
		if res.Total != 300 {
			return fmt.Errorf("total %d", res.Total)
		}
		return nil
	})
	t.Logf("300 articles searchable %v after start", time.Since(start).Round(time.Millisecond))
	if !strings.Contains(stdout.String(), "http://"+addr) || !strings.Contains(stdout.String(), "simulated site") {
		t.Errorf("demo did not print the API and site addresses:\n%s", stdout.String())
	}
	res, err := get(url.Values{"q": {"Баку"}, "lang": {"ru"}, "size": {"3"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total == 0 || len(res.Hits) == 0 {
		t.Fatal("no Russian article found for Баку")
	}
	if h := res.Hits[0].Article; !strings.Contains(h.Body+h.Title, "Баку") || h.Language != "ru" {
		t.Errorf("hit lacks correct Cyrillic: %q / %q", h.Title, h.Language)
	}
	cmd.Process.Signal(syscall.SIGINT)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("demo exited with %v after SIGINT\n%s", err, tail(stderr.String()))
		}
	case <-ctx.Done():
		t.Fatal("demo did not stop within 20s of SIGINT")
	}
	if !strings.Contains(stderr.String(), "stopped cleanly") {
		t.Errorf("no clean-stop log line:\n%s", tail(stderr.String()))
	}
}

func tail(s string) string {
	if len(s) > 3000 {
		return s[len(s)-3000:]
	}
	return s
}

func TestOutletsCheck(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := realMain([]string{"outlets", "check", "--config", "../../deploy/outlets.yaml"}, &stdout, &stderr); code != 0 {
		t.Fatalf("shipped config: exit %d: %s %s", code, stdout.String(), stderr.String())
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("outlets:\n  - id: Bad Id\n    base_url: caliber.az\n    feeds: [https://caliber.az/rss]\n"), 0o644)
	stdout.Reset()
	if code := realMain([]string{"outlets", "check", "--config", bad}, &stdout, &stderr); code != 1 {
		t.Fatalf("bad config: exit %d", code)
	}
	out := stdout.String()
	if !strings.Contains(out, bad+":2:") || !strings.Contains(out, bad+":3:") {
		t.Errorf("problems lack file:line positions:\n%s", out)
	}
}
