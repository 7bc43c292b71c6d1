package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
	"go.uber.org/zap/zaptest"

	"github.com/newswatch/newswatch/api/keys"
	"github.com/newswatch/newswatch/bus"
	"github.com/newswatch/newswatch/pipeline"
	"github.com/newswatch/newswatch/store/bleve"
)

// noCrawl runs the indexer and the API: everything but the crawlers, which
// these tests do not need.
var noCrawl = pipeline.Parts{Index: true, Serve: true}

func start(t *testing.T, cfg pipeline.Config) (*pipeline.Pipeline, error) {
	t.Helper()
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := pipeline.Start(ctx, cfg, zaptest.NewLogger(t))
	if err == nil {
		t.Cleanup(func() { p.Close() })
	}
	return p, err
}

// wantStartError checks that Start failed with a one-line error naming
// every one of names.
func wantStartError(t *testing.T, p *pipeline.Pipeline, err error, names ...string) {
	t.Helper()
	if err == nil {
		p.Close()
		t.Fatal("Start succeeded")
	}
	if p != nil {
		t.Errorf("Start returned a pipeline with its error")
	}
	for _, n := range names {
		if !strings.Contains(err.Error(), n) {
			t.Errorf("error %q does not name %q", err, n)
		}
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error %q spans lines", err)
	}
	t.Log(err)
}

func TestStartFailsOnBusyAPIPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir := t.TempDir()
	p, err := start(t, pipeline.Config{Parts: noCrawl, DataDir: dir, Listen: ln.Addr().String()})
	wantStartError(t, p, err, ln.Addr().String(), "address already in use")
	// Nothing half-started remains: the same data dir starts fine now.
	if _, err := start(t, pipeline.Config{Parts: noCrawl, DataDir: dir}); err != nil {
		t.Fatalf("start after the failed one: %v", err)
	}
}

func TestStartFailsOnDataDirInUse(t *testing.T) {
	dir := t.TempDir()
	first, err := start(t, pipeline.Config{Parts: noCrawl, DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	for _, parts := range []pipeline.Parts{noCrawl, {Serve: true}, {Index: true}} {
		p, err := start(t, pipeline.Config{Parts: parts, DataDir: dir})
		wantStartError(t, p, err, dir, fmt.Sprintf("pid %d", os.Getpid()))
		if !errors.Is(err, bus.ErrDataDirInUse) || !errors.Is(err, bleve.ErrLocked) {
			t.Errorf("%+v: error %v is not ErrLocked", parts, err)
		}
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := start(t, pipeline.Config{Parts: noCrawl, DataDir: dir}); err != nil {
		t.Fatalf("start after the holder closed: %v", err)
	}
}

func TestStartFailsOnUnreachableNATS(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	dir := t.TempDir()
	began := time.Now()
	p, err := start(t, pipeline.Config{Parts: noCrawl, DataDir: dir, NATSURL: "nats://" + addr})
	wantStartError(t, p, err, "nats://"+addr)
	if d := time.Since(began); d > 15*time.Second {
		t.Errorf("took %v to fail", d)
	}
}

func TestStartFailsOnIndexPathProblems(t *testing.T) {
	t.Run("data dir is a file", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "data")
		os.WriteFile(file, []byte("x"), 0o644)
		p, err := start(t, pipeline.Config{Parts: noCrawl, DataDir: file})
		wantStartError(t, p, err, file, "not a directory")
	})
	t.Run("index dir is a file", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "index"), []byte("x"), 0o644)
		p, err := start(t, pipeline.Config{Parts: noCrawl, DataDir: dir})
		wantStartError(t, p, err, filepath.Join(dir, "index"))
	})
	t.Run("api alone on a dir without an index", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "typo")
		p, err := start(t, pipeline.Config{Parts: pipeline.Parts{Serve: true}, DataDir: dir})
		wantStartError(t, p, err, dir, "no search index")
		if !errors.Is(err, pipeline.ErrNoIndex) {
			t.Errorf("error %v is not ErrNoIndex", err)
		}
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the mistyped dir was created: %v", err)
		}
	})
	t.Run("api alone on an empty dir", func(t *testing.T) {
		dir := t.TempDir()
		p, err := start(t, pipeline.Config{Parts: pipeline.Parts{Serve: true}, DataDir: dir})
		wantStartError(t, p, err, dir, "no search index")
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("the empty dir got %d entries", len(entries))
		}
	})
}

// The API alone serves an index that an earlier run built.
func TestAPIAloneServesExistingIndex(t *testing.T) {
	dir := t.TempDir()
	p, err := start(t, pipeline.Config{Parts: noCrawl, DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
	// A key made while nothing runs; the API process alone checks it and
	// serves its own metrics (requests and store calls) on /metrics.
	tok, _, err := keys.Create(filepath.Join(dir, keys.FileName), keys.NewOptions{Scope: keys.ScopeRead})
	if err != nil {
		t.Fatal(err)
	}
	api, err := start(t, pipeline.Config{Parts: pipeline.Parts{Serve: true}, DataDir: dir})
	if err != nil {
		t.Fatalf("api on a built index: %v", err)
	}
	base := "http://" + api.APIAddr()
	if _, err := search(base, nil); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("search without a key on a closed API: %v", err)
	}
	req, _ := http.NewRequest("GET", base+"/v1/search?q=x", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("search with a key: %d", resp.StatusCode)
	}
	resp, err = http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`newswatch_http_requests_total{code="200",route="/v1/search"} 1`, `newswatch_http_requests_total{code="401",route="/v1/search"} 1`,
		`newswatch_http_request_duration_seconds_bucket{route="/v1/search"`, `newswatch_store_requests_total{op="search",result="ok",store="bleve"} 1`,
		"process_resident_memory_bytes", "go_goroutines"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("/metrics of the api process lacks %s", want)
		}
	}
}

// The embedded NATS server has no TCP listener unless asked; asked, it
// refuses clients without the token.
func TestEmbeddedNATSListener(t *testing.T) {
	p, err := start(t, pipeline.Config{Parts: noCrawl, DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if u := p.NATSURL(); u != "" {
		t.Errorf("embedded nats reachable at %q without --nats-listen", u)
	}

	if _, err := start(t, pipeline.Config{Parts: noCrawl, DataDir: t.TempDir(), NATSListen: "127.0.0.1:0"}); err == nil || !strings.Contains(err.Error(), "token or nkeys") {
		t.Errorf("listener without auth: %v", err)
	}
	const token = "pipeline-test-token-0123456789"
	p, err = start(t, pipeline.Config{Parts: noCrawl, DataDir: t.TempDir(), NATSListen: "127.0.0.1:0", NATSToken: token})
	if err != nil {
		t.Fatal(err)
	}
	url := p.NATSURL()
	if url == "" {
		t.Fatal("no nats url with a listener")
	}
	if nc, err := nats.Connect(url, nats.MaxReconnects(0)); err == nil {
		nc.Close()
		t.Error("unauthenticated client connected")
	}
	nc, err := nats.Connect(url, nats.Token(token), nats.MaxReconnects(0))
	if err != nil {
		t.Fatalf("client with the token: %v", err)
	}
	nc.Close()
	// With an nkey instead of a token, only its holder gets in.
	user, _ := nkeys.CreateUser()
	pub, _ := user.PublicKey()
	pk, err := start(t, pipeline.Config{Parts: noCrawl, DataDir: t.TempDir(), NATSListen: "127.0.0.1:0", NATSNKeys: []string{pub}})
	if err != nil {
		t.Fatal(err)
	}
	if nc, err := nats.Connect(pk.NATSURL(), nats.Token(token), nats.MaxReconnects(0)); err == nil {
		nc.Close()
		t.Error("a token client got into the nkey server")
	}
	if nc, err := nats.Connect(pk.NATSURL(), nats.Nkey(pub, user.Sign), nats.MaxReconnects(0)); err != nil {
		t.Errorf("nkey client: %v", err)
	} else {
		nc.Close()
	}
	// Another process's part connects with the token.
	crawlerSide, err := start(t, pipeline.Config{Parts: pipeline.Parts{Index: true}, DataDir: t.TempDir(), NATSURL: url, NATSToken: token})
	if err != nil {
		t.Fatalf("indexer against the listener: %v", err)
	}
	crawlerSide.Close()
}
