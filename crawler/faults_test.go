package crawler

import (
	"context"
	"fmt"
	"runtime"
	rtmetrics "runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/newswatch/newswatch/crawler/extract"
	"github.com/newswatch/newswatch/crawler/health"
	"github.com/newswatch/newswatch/simsite"
)

// heapCap is the stated memory cap of the fault tests: the Go heap in use
// (objects, garbage not yet collected included) never exceeds it while a
// crawler runs through any fault, 10 MiB pages and 1 GiB gzip bombs
// included. The simulated outlets serve from the same process, so their
// pages count too.
const heapCap = 160 << 20

// heapPeak samples the heap in use every 5 ms until stop is called, and
// returns the peak.
func heapPeak() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s := []rtmetrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			rtmetrics.Read(s)
			if v := s[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak.Load()
	}
}

// rig is a monitoring crawler against three simulated outlets that
// publish articles on demand, with timings cut to milliseconds.
type rig struct {
	t    *testing.T
	site *simsite.Site
	c    *Crawler
	sink *memSink
}

// rigOptions tune newRig.
type rigOptions struct {
	faults    map[string]simsite.Faults // from the start
	extractor bool                      // the production extractor instead of fakeExtract
	edit      func(*Config)             // changes to the crawler config
}

func newRig(t *testing.T, ro rigOptions) *rig {
	t.Helper()
	s, err := simsite.New(simsite.Config{Seed: 31, Articles: 135, Unpublished: 90, LiveDates: true, FeedSize: 20, Faults: ro.faults})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	cfg := simsiteConfig(s)
	for i := range cfg.Outlets {
		o := &cfg.Outlets[i]
		o.Timeout = time.Second
		o.Retry = Retry{MaxRetries: 1, Backoff: 20 * time.Millisecond, MaxWait: 2 * time.Second}
		o.Limits.MaxListingPages = 4
		o.Poll = Poll{MinInterval: 100 * time.Millisecond, MaxInterval: 300 * time.Millisecond,
			Recheck: []time.Duration{400 * time.Millisecond, 800 * time.Millisecond}, RobotsTTL: time.Hour}
	}
	if ro.edit != nil {
		ro.edit(cfg)
	}
	sink := newMemSink()
	opts := []Option{WithHealth(health.Config{Window: 1500 * time.Millisecond})}
	var ex *extract.Extractor
	if ro.extractor {
		ex = extract.New()
	} else {
		opts = append(opts, WithExtractFunc(fakeExtract))
	}
	c, err := New(cfg, ex, sink, zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel)), opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.Run(ctx, 300*time.Millisecond)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return &rig{t: t, site: s, c: c, sink: sink}
}

// set replaces the faults of an outlet.
func (r *rig) set(id string, f simsite.Faults) {
	r.t.Helper()
	if err := r.site.SetFaults(id, f); err != nil {
		r.t.Fatal(err)
	}
}

// waitFor polls fn for up to 20 s.
func (r *rig) waitFor(what string, fn func() error) {
	r.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var err error
	for time.Now().Before(deadline) {
		if err = fn(); err == nil {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	r.t.Fatalf("%s: not within 20s: %v", what, err)
}

// found waits until the crawler published every article of arts.
func (r *rig) found(what string, arts []simsite.Article) {
	r.t.Helper()
	r.waitFor(what, func() error {
		got := r.sink.byURL()
		var missing []string
		for _, a := range arts {
			if got[a.URL] == nil {
				missing = append(missing, a.URL)
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("%d of %d not published, e.g. %s", len(missing), len(arts), missing[0])
		}
		return nil
	})
}

// health waits until an outlet's health satisfies ok.
func (r *rig) health(id, what string, ok func(health.Outlet) error) health.Outlet {
	r.t.Helper()
	var h health.Outlet
	r.waitFor(id+": "+what, func() error {
		var err error
		if h, err = r.c.OutletHealth(id); err != nil {
			return err
		}
		if err := ok(h); err != nil {
			return fmt.Errorf("%w (health %+v)", err, h)
		}
		return nil
	})
	return h
}

func status(s health.Status) func(health.Outlet) error {
	return func(h health.Outlet) error {
		if h.Status != s {
			return fmt.Errorf("status %s, want %s", h.Status, s)
		}
		return nil
	}
}

func problem(kind string) func(health.Outlet) error {
	return func(h health.Outlet) error {
		if h.Problems[kind] == 0 {
			return fmt.Errorf("no %s problem (problems %v)", kind, h.Problems)
		}
		return nil
	}
}

func failed(kind string) func(health.Outlet) error {
	return func(h health.Outlet) error {
		if h.ErrorsByKind[kind] == 0 {
			return fmt.Errorf("no %s errors (errors %v)", kind, h.ErrorsByKind)
		}
		return nil
	}
}

func all(checks ...func(health.Outlet) error) func(health.Outlet) error {
	return func(h health.Outlet) error {
		for _, c := range checks {
			if err := c(h); err != nil {
				return err
			}
		}
		return nil
	}
}

// healthy is up with none of the given problems left in the window.
func healthy(kinds ...string) func(health.Outlet) error {
	return func(h health.Outlet) error {
		if h.Status != health.Up {
			return fmt.Errorf("status %s", h.Status)
		}
		for _, k := range kinds {
			if h.Problems[k] > 0 || h.ErrorsByKind[k] > 0 {
				return fmt.Errorf("%s still in the window", k)
			}
		}
		return nil
	}
}

// split returns the articles of outlet id and the others.
func split(arts []simsite.Article, id string) (mine, others []simsite.Article) {
	for _, a := range arts {
		if a.Outlet == id {
			mine = append(mine, a)
		} else {
			others = append(others, a)
		}
	}
	return mine, others
}

// faultClass is one class of trouble real outlets cause.
type faultClass struct {
	name   string
	target string
	fault  simsite.Faults
	// fromStart applies the fault before the first poll (faults that only
	// show on discovery of unknown pages).
	fromStart bool
	// shows is what the target's health shows during the fault; recovered
	// what it shows after (default: up, the fault's kinds gone).
	shows     func(health.Outlet) error
	recovered func(health.Outlet) error
	extractor bool
	edit      func(*Config)
	// during runs with the fault on, after the new articles appeared;
	// after runs once the fault is gone.
	during func(r *rig, fresh []simsite.Article)
	after  func(r *rig)
	// blocks: the target's articles published during the fault come only
	// after it (otherwise they come during it).
	blocks bool
}

// One test per fault class: the crawler keeps going, the other outlets'
// new articles come as usual, the heap stays under heapCap, and the
// target's health shows the fault and then its recovery (articles
// published meanwhile arrive).
func TestFaultClasses(t *testing.T) {
	classes := []faultClass{
		{name: "5xx storm", target: "report", fault: simsite.Faults{ErrorRate: 1, ErrorStatus: 502},
			shows: all(status(health.Down), failed("http_5xx")), blocks: true},
		{name: "429 with Retry-After", target: "report", fault: simsite.Faults{ErrorRate: 0.6, ErrorStatus: 429, RetryAfter: time.Second},
			shows: all(failed("rate_limited"), func(h health.Outlet) error {
				if h.Status == health.Up {
					return fmt.Errorf("still up")
				}
				return nil
			})},
		{name: "slow bodies", target: "report", fault: simsite.Faults{SlowBody: 3 * time.Second},
			shows: failed("timeout"), blocks: true},
		{name: "connection resets", target: "report", fault: simsite.Faults{ResetRate: 1},
			shows: all(status(health.Down), failed("reset")), blocks: true},
		{name: "10 MB pages", target: "report", fault: simsite.Faults{HugePages: true},
			shows: failed("too_large"), blocks: true},
		{name: "gzip bombs", target: "report", fault: simsite.Faults{GzipBomb: true},
			shows: failed("too_large"), blocks: true},
		{name: "redirect loops", target: "report", fault: simsite.Faults{RedirectLoop: true},
			shows: problem("redirect"), blocks: true},
		{name: "endless pagination and calendars", target: "report", fault: simsite.Faults{EndlessPagination: true}, fromStart: true,
			shows: problem("listing_limit"), during: func(r *rig, _ []simsite.Article) {
				// Every listing is followed at most MaxListingPages deep.
				for _, q := range r.site.Requests() {
					if q.Outlet == "report" && q.Kind == "listing" && (strings.Contains(q.Query, "page=5") || strings.Contains(q.Query, "page=6")) {
						r.t.Errorf("listing page past the limit requested: %s?%s", q.Path, q.Query)
					}
				}
				// A backfill walks the endless calendar back to its date,
				// and forward no further than the listing limit: at most
				// MaxListingPages per archive day and per listing.
				st, err := r.c.CrawlOutlet(context.Background(), "report", PassOptions{Since: time.Now().Add(-48 * time.Hour)})
				if limit := (3 + len(r.c.outlets[1].cfg.Listings)) * 4; err != nil || st.Listings > limit || st.Listings == 0 {
					r.t.Errorf("backfill over the endless calendar: %d listing pages (limit %d), %v", st.Listings, limit, err)
				}
			},
			edit: func(c *Config) { c.Outlets[1].Archive = c.Outlets[1].BaseURL + "/archive/{yyyy}/{mm}/{dd}" }},
		{name: "session IDs in URLs", target: "report", fault: simsite.Faults{SessionIDs: true}, fromStart: true,
			shows: problem("session_ids"), during: func(r *rig, fresh []simsite.Article) {
				// Every link differs on every visit, yet each article page
				// is fetched once (rechecks aside, which are conditional).
				seen := map[string]int{}
				for _, q := range r.site.Requests() {
					if q.Outlet == "report" && q.Kind == "article" && !q.Conditional {
						seen[q.Path]++
					}
				}
				for p, n := range seen {
					if n > 1 {
						r.t.Errorf("article %s fetched %d times", p, n)
					}
				}
			}},
		{name: "malformed feeds and sitemaps", target: "report", fault: simsite.Faults{MalformedFeeds: true},
			shows: all(status(health.Degraded), problem("feed"), problem("sitemap"))},
		{name: "missing charset", target: "vesti", fault: simsite.Faults{Charset: "missing"}, extractor: true,
			shows: status(health.Up), during: checkTitles},
		{name: "wrong charset", target: "caliber", fault: simsite.Faults{Charset: "wrong"}, extractor: true,
			shows: status(health.Up), during: checkTitles},
		{name: "edits after publication", target: "report",
			shows: func(h health.Outlet) error {
				if h.ArticlesUpdated == 0 {
					return fmt.Errorf("no updated article")
				}
				return nil
			}, during: func(r *rig, fresh []simsite.Article) {
				mine, _ := split(fresh, "report")
				e, err := r.site.Edit(mine[0].URL)
				if err != nil {
					r.t.Fatal(err)
				}
				r.waitFor("the edit is published as version 2", func() error {
					if a := r.sink.byURL()[e.URL]; a == nil || a.Version != 2 || a.Title != e.Title {
						return fmt.Errorf("got %+v", a)
					}
					return nil
				})
			}},
		{name: "outlet down and back", target: "report", fault: simsite.Faults{Down: true},
			shows: status(health.Down), blocks: true},
		{name: "defaced home page", target: "report", fault: simsite.Faults{Defaced: true},
			shows: status(health.Defaced)},
		{name: "neither feed nor sitemap", target: "report", fault: simsite.Faults{NoFeeds: true}, fromStart: true,
			shows: all(status(health.Degraded), problem("feed_missing"), problem("sitemap_missing"))},
		{name: "new layout", target: "caliber", fault: simsite.Faults{Redesign: true}, extractor: true,
			shows: status(health.LayoutChanged), during: func(r *rig, _ []simsite.Article) {
				// Enough pages in the new layout to tell.
				r.found("more caliber articles", publishFor(r, "caliber", 8))
			}, after: func(r *rig) {
				// and in the old one again.
				r.found("caliber articles in the old layout", publishFor(r, "caliber", 8))
			}},
		// An outlet found through its listings alone (no feed, no
		// sitemap) whose article_pattern says which links are articles:
		// its extraction is watched all the same. (No rechecks here: they
		// would fetch the older pages again in the new layout, which then
		// soon becomes the outlet's usual one, and the status would only
		// flash by.)
		{name: "new layout, listings only", target: "caliber", fault: simsite.Faults{NoFeeds: true}, fromStart: true, extractor: true,
			edit: func(c *Config) {
				c.Outlets[0].ArticlePattern = `/(en|az|ru)/post/[^/]+$`
				c.Outlets[0].Poll.Recheck = nil
			},
			shows: status(health.LayoutChanged), during: func(r *rig, _ []simsite.Article) {
				r.found("caliber articles from its listings", publishFor(r, "caliber", 12))
				r.set("caliber", simsite.Faults{NoFeeds: true, Redesign: true})
				r.found("caliber articles in the new layout", publishFor(r, "caliber", 8))
			}, after: func(r *rig) {
				r.found("caliber articles in the old layout", publishFor(r, "caliber", 8))
			}},
	}
	for _, fc := range classes {
		t.Run(fc.name, func(t *testing.T) {
			runtime.GC() // the earlier classes' garbage is not this one's
			peak := heapPeak()
			faults := map[string]simsite.Faults{}
			if fc.fromStart {
				faults[fc.target] = fc.fault
			}
			r := newRig(t, rigOptions{faults: faults, extractor: fc.extractor, edit: fc.edit})
			if !fc.fromStart {
				// Baseline: everything found, every outlet up.
				r.found("baseline", r.site.Articles())
				for _, o := range []string{"caliber", "report", "vesti"} {
					r.health(o, "up before the fault", status(health.Up))
				}
				r.set(fc.target, fc.fault)
			}
			start := time.Now()
			fresh := r.site.Publish(6)
			mine, others := split(fresh, fc.target)
			r.found("the other outlets' new articles during the fault", others)
			if !fc.blocks {
				r.found("the target's new articles during the fault", mine)
			}
			if fc.during != nil {
				fc.during(r, fresh)
			}
			h := r.health(fc.target, "shows the fault", fc.shows)
			for _, o := range []string{"caliber", "report", "vesti"} {
				if o != fc.target && fc.target != "" {
					r.health(o, "unaffected", status(health.Up))
				}
			}
			shown := time.Since(start)
			if fc.fault != (simsite.Faults{}) {
				r.set(fc.target, simsite.Faults{})
			}
			r.site.Publish(6)
			if fc.after != nil {
				fc.after(r)
			}
			r.found("every article after the recovery", r.site.Articles())
			rec := fc.recovered
			if rec == nil {
				var kinds []string
				for k := range h.ErrorsByKind {
					kinds = append(kinds, k)
				}
				for k := range h.Problems {
					kinds = append(kinds, k)
				}
				rec = healthy(kinds...)
			}
			r.health(fc.target, "recovered", rec)
			p := peak()
			if p > heapCap {
				t.Errorf("heap peaked at %d MiB, over the %d MiB cap", p>>20, heapCap>>20)
			}
			t.Logf("%s: shown as %s (errors %v, problems %v) after %v; recovered after %v more; heap peak %d MiB",
				fc.target, h.Status, h.ErrorsByKind, h.Problems, shown.Round(time.Millisecond), (time.Since(start) - shown).Round(time.Millisecond), p>>20)
		})
	}
}

// publishFor publishes until n new articles of outlet id are out, and
// returns everything published.
func publishFor(r *rig, id string, n int) []simsite.Article {
	var out []simsite.Article
	for got := 0; got < n && r.site.Unpublished() > 0; {
		for _, a := range r.site.Publish(1) {
			out = append(out, a)
			if a.Outlet == id {
				got++
			}
		}
	}
	return out
}

// checkTitles checks that the target's pages, mislabelled, still give
// the right titles.
func checkTitles(r *rig, fresh []simsite.Article) {
	got := r.sink.byURL()
	for _, a := range fresh {
		if g := got[a.URL]; g != nil && g.Title != a.Title {
			r.t.Errorf("%s: title %q, want %q", a.URL, g.Title, a.Title)
		}
	}
}
