package pipeline_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/newswatch/newswatch/bus"
	"github.com/newswatch/newswatch/bus/bustest"
	"github.com/newswatch/newswatch/crawler/health"
	"github.com/newswatch/newswatch/internal/promreg/promtest"
	"github.com/newswatch/newswatch/pipeline"
	"github.com/newswatch/newswatch/simsite"
	"github.com/newswatch/newswatch/simsite/simcrawl"
	"github.com/newswatch/newswatch/store"
)

// A stream at its limit refuses new articles and the crawlers, slowed
// down and told so, keep them: once the operator gives the stream room,
// the next pass publishes them. Nothing is dropped to make room.
func TestFullStreamKeepsArticles(t *testing.T) {
	if testing.Short() {
		t.Skip("crawls a simulated site")
	}
	const n, limit = 60, 25
	site, err := simsite.New(simsite.Config{Seed: 5, Articles: n, Outlets: 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := site.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { site.Close() })
	data := t.TempDir()
	cfg := pipeline.Config{DataDir: data, Listen: "127.0.0.1:0", Outlets: simcrawl.Outlets(site), CrawlInterval: time.Hour,
		Open: true, Rate: 1e6, Burst: 1e6, // reads without a key, back to back
		Streams:  bus.StreamConfig{MaxMsgs: limit},
		Throttle: bus.ThrottleConfig{SlowAt: 0.5, MaxDelay: 20 * time.Millisecond, Refresh: time.Millisecond}}
	p, err := start(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	bustest.CheckFor(t, 60*time.Second, 50*time.Millisecond, func() error {
		if got := len(p.Passes()); got != len(site.Outlets()) {
			return fmt.Errorf("%d outlets crawled", got)
		}
		return nil
	})
	waitTotal(t, p, limit)
	for name, want := range map[string]float64{"newswatch_bus_stream_fill_ratio": 1, "newswatch_crawler_publish_throttled": 1} {
		if v, err := promtest.Value(p.APIAddr(), name); err != nil || v != want {
			t.Errorf("%s = %v (%v), want %v", name, v, err, want)
		}
	}
	// Outlet health says so: degraded, the reason naming the stream.
	var oh struct {
		Outlets []health.Outlet `json:"outlets"`
	}
	bustest.CheckFor(t, 30*time.Second, 100*time.Millisecond, func() error {
		if err := getJSON("http://"+p.APIAddr()+"/v1/outlets", &oh); err != nil {
			return err
		}
		slowed := 0
		for _, o := range oh.Outlets {
			slowed += o.Problems["publish_slowed"]
		}
		if slowed == 0 {
			return fmt.Errorf("no outlet's health shows slowed publishing: %+v", oh.Outlets)
		}
		for _, o := range oh.Outlets {
			if o.Status == health.Degraded && strings.Contains(o.Reason, "article stream") && o.Problems["stream_full"] > 0 {
				t.Logf("outlet %s: %s: %s; problems %v", o.ID, o.Status, o.Reason, o.Problems)
				return nil
			}
		}
		return fmt.Errorf("no outlet's health shows the full stream: %+v", oh.Outlets)
	})
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}

	// The operator lifts the limit; the next pass publishes the rest.
	cfg.Streams = bus.StreamConfig{}
	p, err = start(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	waitTotal(t, p, n)
	r, err := p.Store().Search(context.Background(), store.Query{Size: n})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range r.Hits {
		if h.Article.Version != 1 {
			t.Errorf("article %s is version %d", h.ID, h.Article.Version)
		}
	}
	if v, err := promtest.Value(p.APIAddr(), "newswatch_crawler_publish_throttled"); err != nil || v != 0 {
		t.Errorf("publish_throttled = %v (%v) with room in the stream", v, err)
	}
}

// A process without the API (here an indexer alone) serves /healthz,
// /readyz and /metrics on MetricsListen, and JSON 404s elsewhere.
func TestMetricsListen(t *testing.T) {
	p, err := start(t, pipeline.Config{Parts: pipeline.Parts{Index: true}, DataDir: t.TempDir(), MetricsListen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	addr := p.MetricsAddr()
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/metrics": 200, "/v1/search": 404} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s: %s, want %d", path, resp.Status, want)
		}
		if path != "/metrics" && !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Errorf("%s: %s answer %q", path, resp.Header.Get("Content-Type"), b)
		}
	}
	if v, err := promtest.Value(addr, "newswatch_indexer_store_up"); err != nil || v != 1 {
		t.Errorf("store_up = %v (%v)", v, err)
	}
	_, err = start(t, pipeline.Config{Parts: pipeline.Parts{Index: true, Serve: true}, DataDir: t.TempDir(), MetricsListen: "127.0.0.1:0"})
	if err == nil || !strings.Contains(err.Error(), "metrics listen") {
		t.Errorf("metrics listen beside the API: %v", err)
	}
	_, err = start(t, pipeline.Config{Parts: pipeline.Parts{Index: true}, DataDir: t.TempDir(), MetricsListen: addr})
	if err == nil || !strings.Contains(err.Error(), addr) {
		t.Errorf("busy metrics port: %v", err)
	}
}
