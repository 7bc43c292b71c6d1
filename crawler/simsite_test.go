package crawler

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/newswatch/newswatch/article"
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
// version (new content hash, version 2); the others are not republished.
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
	// Only the edited article (its sitemap lastmod moved) is fetched and
	// published again, as version 2; the others are known.
	if st2.ArticlesPublished != 1 || st2.ArticlesFetched != 1 || st2.Known == 0 {
		t.Errorf("second pass published %d, fetched %d, known %d; want 1, 1, > 0", st2.ArticlesPublished, st2.ArticlesFetched, st2.Known)
	}
	after := sink.byURL()[edited.URL]
	if before == nil || after == nil || after.ContentHash == before.ContentHash || after.Version != 2 {
		t.Errorf("edit not picked up: before %v after %v", before, after)
	}
	t.Logf("second pass: %d requests, %d not modified (first: %d requests)", st2.Requests, st2.NotModified, st1.Requests)
}

// versionSink keeps every article version published, in order.
type versionSink struct {
	mu   sync.Mutex
	arts []*article.Article
}

func (s *versionSink) Publish(_ context.Context, a *article.Article) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cp := *a
	s.arts = append(s.arts, &cp)
	return nil
}

func (s *versionSink) take() []*article.Article {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.arts
	s.arts = nil
	return out
}

// An article edited and then reverted (A, B, A) is published as versions
// 1, 2 and 3, each with its own Nats-Msg-Id; unchanged pages are not
// published again. The numbering lives in the StateStore, so a new crawler
// on the same state (a restart) goes on counting.
func TestVersionsAcrossPasses(t *testing.T) {
	s := startSimsite(t, 6, nil)
	state := NewMemoryState()
	sink := &versionSink{}
	crawl := func(want int) []*article.Article {
		t.Helper()
		c := newTestCrawler(t, simsiteConfig(s), sink, WithState(state))
		st, err := c.Crawl(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		got := sink.take()
		if len(got) != want || st.ArticlesPublished != want || (want < 6 && st.ArticlesFetched != want) {
			t.Fatalf("pass published %d (stats %d, fetched %d), want %d", len(got), st.ArticlesPublished, st.ArticlesFetched, want)
		}
		return got
	}
	first := crawl(6)
	target := s.Articles()[2]
	var a *article.Article
	for _, x := range first {
		if x.Version != 1 {
			t.Errorf("first pass: %s has version %d", x.URL, x.Version)
		}
		if x.Title == target.Title {
			a = x
		}
	}
	if a == nil {
		t.Fatalf("%s not published", target.URL)
	}
	crawl(0) // nothing changed
	if _, err := s.Edit(target.URL); err != nil {
		t.Fatal(err)
	}
	b := crawl(1)[0]
	if _, err := s.Revert(target.URL); err != nil {
		t.Fatal(err)
	}
	a2 := crawl(1)[0]
	crawl(0)
	if b.ID != a.ID || a2.ID != a.ID || b.Version != 2 || a2.Version != 3 {
		t.Fatalf("versions %d, %d, %d of ids %s %s %s; want 1, 2, 3 of one id", a.Version, b.Version, a2.Version, a.ID, b.ID, a2.ID)
	}
	if b.ContentHash == a.ContentHash || a2.ContentHash != a.ContentHash {
		t.Errorf("content hashes %s, %s, %s: want A, B, A", a.ContentHash, b.ContentHash, a2.ContentHash)
	}
	if ids := map[string]bool{a.MsgID(): true, b.MsgID(): true, a2.MsgID(): true}; len(ids) != 3 {
		t.Errorf("msg ids not distinct: %s %s %s", a.MsgID(), b.MsgID(), a2.MsgID())
	}
}

// A state store that cannot be read holds the article back (counted, not
// published unnumbered); a failed save is counted and the article stays
// published.
func TestStateFailures(t *testing.T) {
	s := startSimsite(t, 3, nil)
	sink := &versionSink{}
	down := &failingState{getErr: errors.New("kv timeout")}
	st, err := newTestCrawler(t, simsiteConfig(s), sink, WithState(down)).Crawl(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Errors["state"] != 3 || st.ArticlesPublished != 0 || len(sink.take()) != 0 {
		t.Errorf("unreadable state: errors %v, published %d", st.Errors, st.ArticlesPublished)
	}
	full := &failingState{putErr: errors.New("bucket full")}
	st, err = newTestCrawler(t, simsiteConfig(s), sink, WithState(full)).Crawl(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Errors["state"] != 3 || st.ArticlesPublished != 3 || len(sink.take()) != 3 {
		t.Errorf("unwritable state: errors %v, published %d", st.Errors, st.ArticlesPublished)
	}
}

type failingState struct{ getErr, putErr error }

func (f *failingState) Get(context.Context, string, string) (URLState, uint64, error) {
	if f.getErr != nil {
		return URLState{}, 0, f.getErr
	}
	return URLState{}, 0, ErrNoState
}

func (f *failingState) Put(context.Context, string, string, URLState, uint64) (uint64, error) {
	return 0, f.putErr
}
