package crawler

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/newswatch/newswatch/crawler/extract"
	"github.com/newswatch/newswatch/simsite"
)

// startSimsite starts n articles over 3 simulated outlets on loopback.
func startSimsite(t *testing.T, n int, faults map[string]simsite.Faults) *simsite.Site {
	t.Helper()
	s, err := simsite.New(simsite.Config{Seed: 7, Articles: n, Faults: faults})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// simsiteConfig describes simsite's outlets the way an outlet file would,
// without politeness delays.
func simsiteConfig(s *simsite.Site) *Config {
	fetch := DefaultFetch()
	fetch.Rate = Rate{Parallelism: 4}
	fetch.Retry = Retry{MaxRetries: 5, Backoff: 10 * time.Millisecond, MaxWait: 5 * time.Second}
	cfg := &Config{}
	for _, o := range s.Outlets() {
		cfg.Outlets = append(cfg.Outlets, OutletConfig{
			ID: o.ID, Name: o.Name, BaseURL: o.BaseURL, Languages: o.Languages, Timezone: o.TimeZone,
			Feeds: o.FeedURLs, Sitemaps: o.SitemapURLs, Listings: o.ListingURLs, RobotsSitemaps: true,
			Fetch: fetch,
		})
	}
	return cfg
}

func checkSimsiteCrawl(t *testing.T, s *simsite.Site, sink *memSink, st Stats) {
	t.Helper()
	truth := s.Articles()
	got := sink.byURL()
	for _, a := range truth {
		g := got[a.URL]
		switch {
		case g == nil:
			t.Errorf("%s: article %s not published", a.Outlet, a.URL)
		case g.Outlet != a.Outlet:
			t.Errorf("%s: outlet %q, want %q", a.URL, g.Outlet, a.Outlet)
		case g.Title != a.Title:
			t.Errorf("%s: title %q, want %q", a.URL, g.Title, a.Title)
		}
	}
	if len(got) != len(truth) || st.ArticlesPublished != len(truth) {
		t.Errorf("%d distinct articles published (stats: %d), want exactly %d", len(got), st.ArticlesPublished, len(truth))
	}
	for _, o := range s.Outlets() {
		for _, p := range o.DisallowedPaths {
			if n := s.Hits(o.ID, p); n != 0 {
				t.Errorf("%s: robots.txt-disallowed %s requested %d times", o.ID, p, n)
			}
		}
	}
}

// Every article of the simulated outlets is found through the feeds, the
// sitemap indexes (gzipped children included) and the listings, exactly
// once; robots.txt is obeyed.
func TestSimsiteCrawl(t *testing.T) {
	s := startSimsite(t, 60, nil)
	sink := newMemSink()
	c := newTestCrawler(t, simsiteConfig(s), sink)
	st, err := c.Crawl(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkSimsiteCrawl(t, s, sink, st)
	for id, os := range st.Outlets {
		if os.Feeds == 0 || os.Sitemaps < 2 || os.Listings == 0 {
			t.Errorf("%s: feeds %d, sitemaps %d, listings %d", id, os.Feeds, os.Sitemaps, os.Listings)
		}
	}
	t.Logf("pass: %v, %d requests, %d published, %d duplicates, %d not articles, %d robots-blocked",
		st.Duration, st.Requests, st.ArticlesPublished, st.Duplicates, st.NotArticles, st.RobotsBlocked)
}

// Discovery from listing pages alone: pagination is followed and the
// default article heuristic recognises every template's article URLs.
func TestSimsiteListingsOnly(t *testing.T) {
	s := startSimsite(t, 60, nil)
	cfg := simsiteConfig(s)
	for i := range cfg.Outlets {
		cfg.Outlets[i].Feeds, cfg.Outlets[i].Sitemaps, cfg.Outlets[i].RobotsSitemaps = nil, nil, false
		cfg.Outlets[i].Listings = cfg.Outlets[i].Listings[:1] // home page only
	}
	sink := newMemSink()
	st, err := newTestCrawler(t, cfg, sink).Crawl(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkSimsiteCrawl(t, s, sink, st)
}

// Outlets answering 429 and 503 with Retry-After still yield every article.
func TestSimsiteFaults(t *testing.T) {
	t.Parallel()
	s := startSimsite(t, 60, map[string]simsite.Faults{
		"report": {ErrorRate: 0.1, ErrorStatus: 429, RetryAfter: time.Second},
		"vesti":  {ErrorRate: 0.1, ErrorStatus: 503},
	})
	sink := newMemSink()
	c, err := New(simsiteConfig(s), nil, sink, zaptest.NewLogger(t), WithExtractFunc(fakeExtract))
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.Crawl(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkSimsiteCrawl(t, s, sink, st)
	if st.Retries == 0 {
		t.Error("no retries counted")
	}
	t.Logf("pass with faults: %v, %d requests, %d retries, errors %v", st.Duration, st.Requests, st.Retries, st.Errors)
}

// With an article pattern that takes every link, the pages' links to
// robots.txt-disallowed paths are candidates: they are counted as blocked
// and never requested.
func TestSimsiteRobots(t *testing.T) {
	s := startSimsite(t, 30, nil)
	cfg := simsiteConfig(s)
	for i := range cfg.Outlets {
		cfg.Outlets[i].ArticlePattern = "."
		cfg.Outlets[i].Limits.MaxArticles = 500
	}
	sink := newMemSink()
	st, err := newTestCrawler(t, cfg, sink).Crawl(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkSimsiteCrawl(t, s, sink, st)
	if st.RobotsBlocked == 0 {
		t.Error("no robots-blocked URL counted")
	}
}

// The production path: simsite's three templates (JSON-LD, OpenGraph-only,
// windows-1251 with text dates) through the real extractor, with the
// outlets' time zone.
func TestSimsiteProductionExtractor(t *testing.T) {
	s := startSimsite(t, 60, nil)
	sink := newMemSink()
	c, err := New(simsiteConfig(s), extract.New(), sink, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.Crawl(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkSimsiteCrawl(t, s, sink, st)
	got := sink.byURL()
	for _, a := range s.Articles() {
		g := got[a.URL]
		if g != nil && (g.PublishedAt == nil || !g.PublishedAt.Equal(a.PublishedAt)) {
			t.Errorf("%s: published_at %v (%s), want %v", a.URL, g.PublishedAt, g.DateSource, a.PublishedAt)
		}
	}
}

// A second pass asks for feeds, sitemaps and listing pages conditionally;
// unchanged ones answer 304 and what they yielded before is reused, so
// every article is still found. An edited article comes out as a new
// version (new content hash).
func TestSimsiteConditionalGetAndEdits(t *testing.T) {
	s := startSimsite(t, 60, nil)
	sink := newMemSink()
	c := newTestCrawler(t, simsiteConfig(s), sink)
	st1, err := c.Crawl(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkSimsiteCrawl(t, s, sink, st1)
	edited := s.Articles()[len(s.Articles())-1] // the oldest: only in sitemaps and late listing pages
	before := sink.byURL()[edited.URL]
	if _, err := s.Edit(edited.URL); err != nil {
		t.Fatal(err)
	}
	st2, err := c.Crawl(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st2.NotModified == 0 || st2.Retries != 0 || st2.ErrorCount() != 0 {
		t.Errorf("second pass: %d not modified, %d retries, errors %v", st2.NotModified, st2.Retries, st2.Errors)
	}
	if st2.ArticlesPublished != len(s.Articles()) {
		t.Errorf("second pass published %d, want %d", st2.ArticlesPublished, len(s.Articles()))
	}
	after := sink.byURL()[edited.URL]
	if before == nil || after == nil || after.ContentHash == before.ContentHash {
		t.Errorf("edit not picked up: before %v after %v", before, after)
	}
	t.Logf("second pass: %d requests, %d not modified (first: %d requests)", st2.Requests, st2.NotModified, st1.Requests)
}
