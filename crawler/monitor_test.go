package crawler

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/newswatch/newswatch/bus"
	"github.com/newswatch/newswatch/bus/bustest"
	"github.com/newswatch/newswatch/simsite"
)

// kvStores returns the crawl state on an embedded NATS server: url_state
// and outlet_state, as the pipeline wires them.
func kvStores(t *testing.T) (StateStore, OutletStore) {
	t.Helper()
	return kvStoresOn(t, bustest.Connect(t, bustest.RunBasicJetStreamServer(t)))
}

// kvStoresOn returns the crawl state in the buckets of conn.
func kvStoresOn(t *testing.T, conn *bus.Conn) (StateStore, OutletStore) {
	t.Helper()
	ctx := context.Background()
	us, err := conn.URLState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	os, err := conn.OutletState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return NewKVState(us), NewKVStore(os)
}

// checkRate checks, from the request log, that no outlet received more
// than its configured rate: at most par requests starting in any span of
// delay (less tol for network jitter).
func checkRate(t *testing.T, log []simsite.Request, outlet string, par int, delay, tol time.Duration) {
	t.Helper()
	var starts []time.Time
	for _, r := range log {
		if r.Outlet == outlet {
			starts = append(starts, r.Start)
		}
	}
	sort.Slice(starts, func(i, j int) bool { return starts[i].Before(starts[j]) })
	for i := par; i < len(starts); i++ {
		if gap := starts[i].Sub(starts[i-par]); gap < delay-tol {
			t.Errorf("%s: requests %d and %d started %v apart: more than %d per %v", outlet, i-par, i, gap, par, delay)
			return
		}
	}
}

// Acceptance, from simsite's request log: a second pass over unchanged
// outlets, by a new crawler process on the same NATS KV state (a
// restart), fetches no article page and gets 304 for every feed, sitemap
// and listing; no outlet receives more than its configured rate; a
// robots.txt Crawl-delay slows its outlet down to one request per delay;
// robots.txt Disallow rules are obeyed.
func TestSecondPassFromRequestLog(t *testing.T) {
	s, err := simsite.New(simsite.Config{Seed: 21, Articles: 30, CrawlDelay: map[string]time.Duration{"vesti": 150 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	state, store := kvStores(t)
	cfg := simsiteConfig(s)
	rate := Rate{Parallelism: 2, Delay: 40 * time.Millisecond}
	for i := range cfg.Outlets {
		cfg.Outlets[i].Rate = rate
		cfg.Outlets[i].ArticlePattern = "/(en|az)/post/|/news/[0-9]+\\.html|/[a-z-]+/[a-z0-9-]+/$|/search|/admin/"
	}
	crawl := func() Stats {
		t.Helper()
		c := newTestCrawler(t, cfg, newMemSink(), WithState(state), WithStore(store))
		st, err := c.Crawl(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	st1 := crawl()
	first := s.Requests()
	if st1.ArticlesPublished != 30 || st1.RobotsBlocked == 0 {
		t.Fatalf("first pass published %d, robots-blocked %d", st1.ArticlesPublished, st1.RobotsBlocked)
	}
	s.ClearRequests()
	st2 := crawl()
	second := s.Requests()
	kinds := map[string]int{}
	for _, r := range second {
		kinds[r.Kind]++
		switch r.Kind {
		case "article":
			t.Errorf("second pass fetched article page %s %s", r.Outlet, r.Path)
		case "feed", "sitemap", "listing":
			if r.Status != 304 || !r.Conditional {
				t.Errorf("second pass: %s %s %s answered %d (conditional %v), want 304", r.Kind, r.Outlet, r.Path, r.Status, r.Conditional)
			}
		}
	}
	if kinds["feed"] != 3 || kinds["sitemap"] != 3 || kinds["listing"] == 0 || st2.ArticlesPublished != 0 {
		t.Errorf("second pass requests by kind %v, published %d", kinds, st2.ArticlesPublished)
	}
	for _, log := range [][]simsite.Request{first, second} {
		for _, r := range log {
			if strings.HasPrefix(r.Path, "/search") || strings.HasPrefix(r.Path, "/admin/") {
				t.Errorf("robots.txt-disallowed %s %s requested", r.Outlet, r.Path)
			}
		}
		checkRate(t, log, "caliber", rate.Parallelism, rate.Delay, 15*time.Millisecond)
		checkRate(t, log, "report", rate.Parallelism, rate.Delay, 15*time.Millisecond)
		checkRate(t, log, "vesti", 1, 150*time.Millisecond, 25*time.Millisecond)
	}
	t.Logf("first pass: %d requests in %v; second: %d requests (%v) in %v, %d articles known",
		len(first), st1.Duration, len(second), kinds, st2.Duration, st2.Known)
}
