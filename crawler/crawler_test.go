package crawler

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"
	"golang.org/x/text/encoding/charmap"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/crawler/extract"
)

func newTestCrawler(t *testing.T, cfg *Config, sink Sink, opts ...Option) *Crawler {
	t.Helper()
	opts = append([]Option{WithExtractFunc(fakeExtract)}, opts...)
	c, err := New(cfg, nil, sink, zaptest.NewLogger(t), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCrawlDiscoversEveryArticle(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.flaky = 1
	sink := newMemSink()
	c := newTestCrawler(t, f.config(), sink)
	st, err := c.Crawl(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := sink.byURL()
	var want []string
	for _, id := range fixtureArticles {
		want = append(want, f.srv.URL+articlePath(id))
	}
	for _, u := range want {
		if got[u] == nil {
			t.Errorf("article %s not published", u)
		}
	}
	if len(got) != len(want) {
		var urls []string
		for u := range got {
			urls = append(urls, u)
		}
		sort.Strings(urls)
		t.Errorf("published %d distinct articles, want %d: %v", len(got), len(want), urls)
	}
	if st.ArticlesPublished != len(want) {
		t.Errorf("stats: %d published, want %d", st.ArticlesPublished, len(want))
	}
	// robots.txt: the disallowed page is linked from every listing page
	// but never requested.
	if n := f.hitsFor("/private/"); n != 0 {
		t.Errorf("disallowed path fetched %d times", n)
	}
	if st.RobotsBlocked == 0 {
		t.Error("stats count no robots-blocked URL")
	}
	// The feed links the first article with utm_* parameters, the robots
	// sitemap with fbclid, the listings plainly: one fetch.
	if n := f.hitsFor(articlePath(fixtureArticles[0])); n != 1 {
		t.Errorf("tracking-parameter variants fetched %d times, want 1", n)
	}
	// The AMP twin declares the plain URL canonical: published once. Which
	// of the two is fetched first depends on timing; the other is then a
	// duplicate, or - when the twin came first and named the plain URL
	// before that was requested - not fetched at all.
	twins := f.hitsFor(articlePath(fixtureArticles[28])) + f.hitsFor("/amp"+articlePath(fixtureArticles[28]))
	if f.hitsFor("/amp"+articlePath(fixtureArticles[28])) != 1 || st.Duplicates != twins-1 {
		t.Errorf("the AMP twin pair fetched %d times (the twin %d), duplicates = %d; want the twin once and one duplicate per extra fetch",
			twins, f.hitsFor("/amp"+articlePath(fixtureArticles[28])), st.Duplicates)
	}
	// The gzipped child sitemap and the robots.txt sitemap were read.
	if f.hitsFor("/sitemap-2.xml.gz") != 1 || f.hitsFor("/sitemap-extra.xml") != 1 {
		t.Errorf("sitemaps not fetched once each: %v", f.hits)
	}
	// The flaky article answered 429 with Retry-After first.
	if st.Retries < 1 || got[f.srv.URL+articlePath(fixtureArticles[7])] == nil {
		t.Errorf("429 not retried: retries=%d", st.Retries)
	}
	if f.hitsFor("/news?page=3") != 1 {
		t.Error("pagination not followed to the last page")
	}
	if f.hitsFor("/tag/") != 0 || f.hitsFor("/author/") != 0 {
		t.Error("non-article links fetched")
	}
	for ua := range f.agents {
		if ua != "newswatch-test/1.0" {
			t.Errorf("request with user agent %q", ua)
		}
	}
	if st.ErrorCount() != 0 {
		t.Errorf("errors: %v", st.Errors)
	}
	// Fallback dates: the fake extractor finds no date, the feed and the
	// news sitemap give one, in the outlet's zone.
	a := got[f.srv.URL+articlePath(fixtureArticles[1])]
	if a.PublishedAt == nil || a.DateSource != article.DateSourceFeed ||
		a.PublishedAt.Format(time.RFC3339) != "2025-02-21T18:01:00+04:00" {
		t.Errorf("feed date fallback: %v %q", a.PublishedAt, a.DateSource)
	}
	a = got[f.srv.URL+articlePath(fixtureArticles[6])]
	if a.PublishedAt == nil || !a.PublishedAt.Equal(time.Date(2025, 2, 21, 14, 17, 0, 0, time.UTC)) {
		t.Errorf("news sitemap date fallback: %v", a.PublishedAt)
	}
	if a := got[f.srv.URL+articlePath(fixtureArticles[20])]; a.PublishedAt != nil {
		t.Errorf("listing-only article got invented date %v", a.PublishedAt)
	}
	last := c.LastStats()["fixture"]
	if last.ArticlesPublished != len(want) || st.Outlets["fixture"].ArticlesPublished != len(want) {
		t.Errorf("LastStats/Outlets disagree: %+v", last)
	}
}

func TestCrawlWithProductionExtractor(t *testing.T) {
	f := newFixture(t)
	sink := newMemSink()
	c, err := New(f.config(), extract.New(), sink, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.Crawl(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n := len(sink.articles()); n != len(fixtureArticles) {
		t.Fatalf("published %d, want %d (stats %+v)", n, len(fixtureArticles), st)
	}
	for _, a := range sink.articles() {
		if !strings.Contains(a.Body, "Body of story") || a.Outlet != "fixture" {
			t.Errorf("unexpected article %+v", a)
		}
	}
}

func TestCrawlIsRepeatable(t *testing.T) {
	f := newFixture(t)
	sink := newMemSink()
	c := newTestCrawler(t, f.config(), sink)
	for i := 0; i < 2; i++ {
		st, err := c.Crawl(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		// The second pass knows every article it sees again (pagination
		// stops at the first page of known ones, a child sitemap whose
		// lastmod did not move is not fetched): it fetches none.
		if i == 0 && st.ArticlesPublished != len(fixtureArticles) {
			t.Fatalf("first pass published %d, want %d", st.ArticlesPublished, len(fixtureArticles))
		}
		if i > 0 && (st.ArticlesPublished != 0 || st.ArticlesFetched != 0 || st.Known < 10 || st.SitemapsUnchanged != 1) {
			t.Fatalf("second pass published %d, fetched %d, known %d, unchanged sitemaps %d", st.ArticlesPublished, st.ArticlesFetched, st.Known, st.SitemapsUnchanged)
		}
	}
	if n := len(sink.articles()); n != len(fixtureArticles) {
		t.Fatalf("%d distinct articles after two passes", n)
	}
}

func TestRobotsDisallowAll(t *testing.T) {
	var mu sync.Mutex
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		if r.URL.Path == "/robots.txt" {
			fmt.Fprint(w, "User-agent: newswatch\nDisallow: /\n\nUser-agent: *\nAllow: /\n")
			return
		}
		fmt.Fprint(w, `<rss version="2.0"><channel><item><link>/news/12345-a</link></item></channel></rss>`)
	}))
	defer srv.Close()
	cfg := &Config{Outlets: []OutletConfig{{ID: "x", BaseURL: srv.URL, Feeds: []string{srv.URL + "/rss"},
		Listings: []string{srv.URL + "/news"}, Fetch: Fetch{UserAgent: "newswatch/0.1"}}}}
	sink := newMemSink()
	st, err := newTestCrawler(t, cfg, sink).Crawl(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(paths) != 1 || paths[0] != "/robots.txt" {
		t.Errorf("requests %v, want only /robots.txt", paths)
	}
	if st.RobotsBlocked != 2 {
		t.Errorf("robots blocked %d, want 2", st.RobotsBlocked)
	}
}

func TestRetriesServerErrorsThenGivesUp(t *testing.T) {
	var mu sync.Mutex
	hits := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits[r.URL.Path]++
		n := hits[r.URL.Path]
		mu.Unlock()
		switch r.URL.Path {
		case "/robots.txt":
			http.NotFound(w, r)
		case "/rss":
			fmt.Fprint(w, `<rss version="2.0"><channel><item><link>/news/10001-a</link></item><item><link>/news/10002-b</link></item></channel></rss>`)
		case "/news/10001-a":
			if n <= 2 {
				http.Error(w, "busy", http.StatusServiceUnavailable)
				return
			}
			fmt.Fprint(w, `<h1>A</h1><p>one</p><p>two</p>`)
		default:
			http.Error(w, "broken", http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	fetch := DefaultFetch()
	fetch.Rate = Rate{Parallelism: 2}
	fetch.Retry = Retry{MaxRetries: 3, Backoff: time.Millisecond, MaxWait: time.Second}
	cfg := &Config{Outlets: []OutletConfig{{ID: "x", BaseURL: srv.URL, Feeds: []string{srv.URL + "/rss"}, Fetch: fetch}}}
	sink := newMemSink()
	st, err := newTestCrawler(t, cfg, sink).Crawl(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if hits["/news/10001-a"] != 3 || st.ArticlesPublished != 1 {
		t.Errorf("503 twice then 200: %d requests, %d published", hits["/news/10001-a"], st.ArticlesPublished)
	}
	if hits["/news/10002-b"] != 4 || st.Errors["http_5xx"] != 1 {
		t.Errorf("always 500: %d requests (want 1+3 retries), errors %v", hits["/news/10002-b"], st.Errors)
	}
	if st.Retries != 5 {
		t.Errorf("retries = %d, want 5", st.Retries)
	}
}

func TestLongRetryAfterPausesHost(t *testing.T) {
	var mu sync.Mutex
	articles := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/rss":
			fmt.Fprint(w, `<rss version="2.0"><channel>`)
			for i := 0; i < 10; i++ {
				fmt.Fprintf(w, `<item><link>/news/%d-a</link></item>`, 10001+i)
			}
			fmt.Fprint(w, `</channel></rss>`)
		case strings.HasPrefix(r.URL.Path, "/news/"):
			mu.Lock()
			articles++
			mu.Unlock()
			w.Header().Set("Retry-After", "3600")
			http.Error(w, "go away", http.StatusTooManyRequests)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	fetch := DefaultFetch()
	fetch.Rate = Rate{Parallelism: 1}
	cfg := &Config{Outlets: []OutletConfig{{ID: "x", BaseURL: srv.URL, Feeds: []string{srv.URL + "/rss"}, Fetch: fetch}}}
	c := newTestCrawler(t, cfg, newMemSink())
	start := time.Now()
	st, err := c.Crawl(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("pass took %v waiting for an hour-long Retry-After", time.Since(start))
	}
	mu.Lock()
	defer mu.Unlock()
	if articles != 1 || st.Errors["rate_limited"] != 1 || st.Skipped != 9 {
		t.Errorf("%d article requests (want 1), stats %+v", articles, st)
	}
	// The next pass leaves the host alone too.
	st, _ = c.Crawl(context.Background())
	if articles != 1 {
		t.Errorf("paused host requested again in the next pass")
	}
	_ = st
}

func TestCancelStopsQuickly(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.delay = 10 * time.Second
	c := newTestCrawler(t, f.config(), newMemSink())
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.Crawl(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Crawl returned %v after start, %v after cancel", d, d-300*time.Millisecond)
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	f := newFixture(t)
	passes := make(chan Stats, 100)
	cfg := f.config()
	cfg.Outlets[0].Poll.MinInterval = 20 * time.Millisecond
	c := newTestCrawler(t, cfg, newMemSink(), WithOnPass(func(s Stats) { passes <- s }))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, 50*time.Millisecond) }()
	for i := 0; i < 2; i++ {
		select {
		case s := <-passes:
			// The first poll finds every article; later ones none new and
			// fetch no article page again.
			if (i == 0 && s.ArticlesPublished != len(fixtureArticles)) || (i > 0 && (s.ArticlesPublished != 0 || s.ArticlesFetched != 0)) {
				t.Errorf("pass %d published %d, fetched %d", i, s.ArticlesPublished, s.ArticlesFetched)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no pass finished")
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Run did not stop")
	}
}

func TestPoliteness(t *testing.T) {
	f := newFixture(t)
	f.delay = 20 * time.Millisecond
	cfg := f.config()
	cfg.Outlets[0].Rate = Rate{Parallelism: 2, Delay: 10 * time.Millisecond}
	c := newTestCrawler(t, cfg, newMemSink())
	start := time.Now()
	st, err := c.Crawl(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if m := f.maxIn.Load(); m > 2 || m < 1 {
		t.Errorf("max concurrent requests %d, want <= 2", m)
	}
	// Each slot takes at least 20ms service + 10ms delay per request.
	if min := time.Duration(st.Requests-2) * 30 * time.Millisecond / 2; time.Since(start) < min {
		t.Errorf("%d requests in %v, faster than the rate allows (%v)", st.Requests, time.Since(start), min)
	}
}

func TestBodySizeCap(t *testing.T) {
	f := newFixture(t)
	cfg := f.config()
	cfg.Outlets[0].MaxBodySize = 200
	sink := newMemSink()
	st, err := newTestCrawler(t, cfg, sink).Crawl(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Errors["too_large"] == 0 || len(sink.articles()) != 0 {
		t.Errorf("oversized bodies: errors %v, %d published", st.Errors, len(sink.articles()))
	}
}

func TestSinkFailureIsCounted(t *testing.T) {
	f := newFixture(t)
	sink := newMemSink()
	sink.failNext = 1
	// Through SinkFunc, as the bus publisher is wired.
	st, err := newTestCrawler(t, f.config(), SinkFunc(sink.Publish)).Crawl(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Errors["publish"] != 1 || st.ArticlesPublished < len(fixtureArticles)-1 {
		t.Errorf("publish errors %v, published %d", st.Errors, st.ArticlesPublished)
	}
	// The article that failed is not lost: it is unfinished in its
	// document, and the next pass publishes it (unless its AMP twin made
	// it in the same pass).
	st2, err := newTestCrawler(t, f.config(), SinkFunc(sink.Publish)).Crawl(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n := len(sink.articles()); n != len(fixtureArticles) || st.ArticlesPublished+st2.ArticlesPublished < len(fixtureArticles) {
		t.Errorf("after a second pass %d distinct articles (published %d + %d)", n, st.ArticlesPublished, st2.ArticlesPublished)
	}
}

// The extractor gets the raw bytes and the real Content-Type of a
// windows-1251 page; feeds in windows-1251 are decoded.
func TestRawBytesAndCharsets(t *testing.T) {
	title := "Новости Азербайджана"
	page, _ := charmap.Windows1251.NewEncoder().String(`<html><head><title>x</title></head><body><h1>` + title + `</h1><p>Первый абзац.</p><p>Второй абзац.</p></body></html>`)
	feed, _ := charmap.Windows1251.NewEncoder().String(`<?xml version="1.0" encoding="windows-1251"?><rss version="2.0"><channel><title>Вести</title><item><title>Заголовок</title><link>/news/123456.html</link></item></channel></rss>`)
	sitemap, _ := charmap.Windows1251.NewEncoder().String(`<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>/новости/7777-статья</loc></url></urlset>`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/rss":
			w.Header().Set("Content-Type", "application/rss+xml")
			w.Write([]byte(feed))
		case "/sitemap.xml":
			// Charset only in the header, none in the XML declaration.
			w.Header().Set("Content-Type", "text/xml; charset=windows-1251")
			w.Write([]byte(sitemap))
		case "/news/123456.html", "/новости/7777-статья":
			w.Header().Set("Content-Type", "text/html; charset=windows-1251")
			w.Write([]byte(page))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	var mu sync.Mutex
	var inputs []extract.Input
	ex := func(ctx context.Context, in extract.Input) (*article.Article, error) {
		mu.Lock()
		inputs = append(inputs, in)
		mu.Unlock()
		return fakeExtract(ctx, in)
	}
	cfg := &Config{Outlets: []OutletConfig{{ID: "vesti", BaseURL: srv.URL, Timezone: "Asia/Baku",
		Feeds: []string{srv.URL + "/rss"}, Sitemaps: []string{srv.URL + "/sitemap.xml"}}}}
	sink := newMemSink()
	st, err := newTestCrawler(t, cfg, sink, WithExtractFunc(ex)).Crawl(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(inputs) != 2 {
		t.Fatalf("extractor called %d times, want 2 (stats %+v)", len(inputs), st)
	}
	for _, in := range inputs {
		if !bytes.Equal(in.Body, []byte(page)) {
			t.Errorf("%s: body was transcoded before the extractor", in.URL)
		}
		if ct := in.Header.Get("Content-Type"); ct != "text/html; charset=windows-1251" {
			t.Errorf("%s: Content-Type %q", in.URL, ct)
		}
		if in.Location == nil || in.Location.String() != "Asia/Baku" || in.Outlet != "vesti" {
			t.Errorf("input location %v outlet %q", in.Location, in.Outlet)
		}
	}
	for _, a := range sink.articles() {
		if a.Title != title {
			t.Errorf("title %q", a.Title)
		}
	}
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	_, err := New(&Config{Outlets: []OutletConfig{{ID: "Bad ID"}}}, extract.New(), newMemSink(), nil)
	if !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("err = %v", err)
	}
	if _, err := New(&Config{}, extract.New(), newMemSink(), nil); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("empty config: err = %v", err)
	}
	f := newFixture(t)
	if _, err := New(f.config(), nil, newMemSink(), nil); err == nil {
		t.Fatal("nil extractor accepted")
	}
	if _, err := New(f.config(), extract.New(), nil, nil); err == nil {
		t.Fatal("nil sink accepted")
	}
	c, _ := New(f.config(), extract.New(), newMemSink(), nil)
	if _, err := c.CrawlOutlet(context.Background(), "nope", PassOptions{}); !errors.Is(err, ErrUnknownOutlet) {
		t.Fatalf("CrawlOutlet(nope) = %v", err)
	}
}

func TestBackfillSince(t *testing.T) {
	f := newFixture(t)
	cfg := f.config()
	cfg.Outlets[0].Listings = nil
	cfg.Outlets[0].Feeds = nil
	cfg.Outlets[0].RobotsSitemaps = false
	sink := newMemSink()
	c := newTestCrawler(t, cfg, sink)
	// Every sitemap article is dated 2025-02-21: a later Since skips them.
	st, err := c.CrawlOutlet(context.Background(), "fixture", PassOptions{Since: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if st.ArticlesPublished != 0 || st.Skipped == 0 {
		t.Errorf("since after every entry: %+v", st)
	}
	st, err = c.CrawlOutlet(context.Background(), "fixture", PassOptions{Since: time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if st.ArticlesPublished != 10 {
		t.Errorf("since before every entry: published %d, want 10", st.ArticlesPublished)
	}
}

// A transient robots.txt failure is retried instead of being read as
// "disallow all" (5xx) or "allow all" (429) for the whole pass; one that
// persists blocks the outlet.
func TestRobotsTransientFailure(t *testing.T) {
	for _, tc := range []struct {
		name      string
		failures  int
		status    int
		published int
	}{
		{"503 then ok", 2, http.StatusServiceUnavailable, 1},
		{"429 then ok", 1, http.StatusTooManyRequests, 1},
		{"429 forever", 100, http.StatusTooManyRequests, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			hits := map[string]int{}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				hits[r.URL.Path]++
				n := hits[r.URL.Path]
				mu.Unlock()
				switch r.URL.Path {
				case "/robots.txt":
					if n <= tc.failures {
						http.Error(w, "busy", tc.status)
						return
					}
					fmt.Fprint(w, "User-agent: *\nDisallow: /private/\n")
				case "/rss":
					fmt.Fprint(w, `<rss version="2.0"><channel><item><link>/news/10001-a</link></item><item><link>/private/10002-b</link></item></channel></rss>`)
				default:
					fmt.Fprint(w, `<h1>A</h1><p>one</p><p>two</p>`)
				}
			}))
			defer srv.Close()
			fetch := DefaultFetch()
			fetch.Rate = Rate{Parallelism: 1}
			fetch.Retry = Retry{MaxRetries: 3, Backoff: time.Millisecond, MaxWait: time.Second}
			cfg := &Config{Outlets: []OutletConfig{{ID: "x", BaseURL: srv.URL, Feeds: []string{srv.URL + "/rss"}, Fetch: fetch}}}
			st, err := newTestCrawler(t, cfg, newMemSink()).Crawl(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if st.ArticlesPublished != tc.published || hits["/private/10002-b"] != 0 {
				t.Errorf("published %d (want %d), private fetched %d times; hits %v", st.ArticlesPublished, tc.published, hits["/private/10002-b"], hits)
			}
			if tc.published == 0 && (hits["/rss"] != 0 || st.RobotsBlocked == 0 || st.Errors["robots_unavailable"] != 1) {
				t.Errorf("robots.txt unavailable: feed fetched %d times, robots-blocked %d", hits["/rss"], st.RobotsBlocked)
			}
		})
	}
}

// A large sitemap does not turn into a goroutine per URL: article
// requests are handed to colly through a window.
func TestLargeSitemapBoundedGoroutines(t *testing.T) {
	t.Parallel()
	const n = 2000
	var peak atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if g := int64(runtime.NumGoroutine()); g > peak.Load() {
			peak.Store(g)
		}
		switch {
		case r.URL.Path == "/sitemap.xml":
			fmt.Fprint(w, `<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">`)
			for i := 0; i < n; i++ {
				fmt.Fprintf(w, `<url><loc>/news/%d-x</loc></url>`, 100000+i)
			}
			fmt.Fprint(w, `</urlset>`)
		case strings.HasPrefix(r.URL.Path, "/news/"):
			fmt.Fprint(w, `<h1>A</h1><p>one</p><p>two</p>`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	fetch := DefaultFetch()
	fetch.Rate = Rate{Parallelism: 2}
	cfg := &Config{Outlets: []OutletConfig{{ID: "x", BaseURL: srv.URL, Sitemaps: []string{srv.URL + "/sitemap.xml"}, Fetch: fetch}}}
	sink := newMemSink()
	st, err := New(cfg, nil, sink, nil, WithExtractFunc(fakeExtract))
	if err != nil {
		t.Fatal(err)
	}
	base := runtime.NumGoroutine()
	stats, err := st.Crawl(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if stats.ArticlesPublished != n {
		t.Fatalf("published %d, want %d", stats.ArticlesPublished, n)
	}
	if p := peak.Load() - int64(base); p > 150 {
		t.Errorf("peak of %d goroutines above the %d before the pass", p, base)
	}
}

func TestExtractorPanicLosesOnePage(t *testing.T) {
	f := newFixture(t)
	sink := newMemSink()
	// The extractor panics on one page, every time it sees it (a pass may
	// try a failed page again); every other page is published.
	bad := f.srv.URL + articlePath(fixtureArticles[3])
	ex := func(ctx context.Context, in extract.Input) (*article.Article, error) {
		if in.URL == bad {
			panic("extractor bug")
		}
		return fakeExtract(ctx, in)
	}
	st, err := newTestCrawler(t, f.config(), sink, WithExtractFunc(ex)).Crawl(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Errors["panic"] < 1 || st.ArticlesPublished != len(fixtureArticles)-1 {
		t.Errorf("panic: errors %v, published %d, want %d", st.Errors, st.ArticlesPublished, len(fixtureArticles)-1)
	}
	got := sink.byURL()
	for _, id := range fixtureArticles {
		u := f.srv.URL + articlePath(id)
		if (got[u] != nil) == (u == bad) {
			t.Errorf("%s published: %v", u, got[u] != nil)
		}
	}
}

func TestProgress(t *testing.T) {
	f := newFixture(t)
	var mu sync.Mutex
	var snaps []Stats
	c := newTestCrawler(t, f.config(), newMemSink(), WithProgress(func(s Stats) {
		mu.Lock()
		snaps = append(snaps, s)
		mu.Unlock()
	}))
	st, err := c.CrawlOutlet(context.Background(), "fixture", PassOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(snaps) == 0 {
		t.Fatal("no progress reported")
	}
	last := snaps[len(snaps)-1]
	// Discovered: the articles, the AMP twin and the robots-blocked page;
	// or, when the AMP twin (on the listings) was fetched before its
	// article's sitemap was read, one fewer and that article known.
	if last.ArticlesDone != last.Discovered || last.ArticlesDone != st.ArticlesDone || st.Discovered+st.Known != len(fixtureArticles)+2 || st.Known > 1 {
		t.Errorf("final progress %d of %d; pass %d of %d, %d known", last.ArticlesDone, last.Discovered, st.ArticlesDone, st.Discovered, st.Known)
	}
	for i := 1; i < len(snaps); i++ {
		if snaps[i].ArticlesDone < snaps[i-1].ArticlesDone {
			t.Errorf("progress went backwards: %d after %d", snaps[i].ArticlesDone, snaps[i-1].ArticlesDone)
		}
	}
}

// An unreachable outlet costs one robots.txt attempt series per pass, not
// one per URL, and is reported.
func TestUnreachableOutlet(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close()
	fetch := DefaultFetch()
	fetch.Retry.Backoff = 50 * time.Millisecond
	cfg := &Config{Outlets: []OutletConfig{{ID: "down", BaseURL: base, Fetch: fetch, RobotsSitemaps: true,
		Feeds: []string{base + "/rss", base + "/atom"}, Sitemaps: []string{base + "/sitemap.xml"}, Listings: []string{base + "/", base + "/news"}}}}
	start := time.Now()
	st, err := newTestCrawler(t, cfg, newMemSink()).Crawl(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// 3 retries at 50, 100, 200ms (+jitter) once, then immediate failures.
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("unreachable outlet took %v", d)
	}
	if st.Requests != 4 || st.Errors["robots_unavailable"] != 1 || st.RobotsBlocked != 5 {
		t.Errorf("requests %d, robots-blocked %d, errors %v", st.Requests, st.RobotsBlocked, st.Errors)
	}
}
