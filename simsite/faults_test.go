package simsite

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// rawGet fetches u without following redirects or decompressing.
func rawGet(t *testing.T, u string) (*http.Response, []byte, error) {
	t.Helper()
	client := &http.Client{
		Transport:     &http.Transport{DisableCompression: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       10 * time.Second,
	}
	resp, err := client.Get(u)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

// Every fault class is observable over HTTP, on article pages (the
// page-level ones) or on the outlet's documents.
func TestFaultClasses(t *testing.T) {
	s := startSite(t, Config{Seed: 11, Articles: 30})
	var caliber Outlet
	for _, o := range s.Outlets() {
		if o.ID == "caliber" {
			caliber = o
		}
	}
	var art, vart Article
	for _, a := range s.Articles() {
		if a.Outlet == "caliber" && art.URL == "" {
			art = a
		}
		if a.Outlet == "vesti" && vart.URL == "" {
			vart = a
		}
	}
	set := func(id string, f Faults) {
		t.Helper()
		if err := s.SetFaults(id, f); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("5xx storm", func(t *testing.T) {
		set("caliber", Faults{ErrorRate: 1, ErrorStatus: 502})
		defer set("caliber", Faults{})
		if r := get(t, caliber.FeedURLs[0]); r.status != http.StatusBadGateway || r.header.Get("Retry-After") == "" {
			t.Fatalf("status %d", r.status)
		}
	})
	t.Run("connection reset", func(t *testing.T) {
		set("caliber", Faults{ResetRate: 1})
		defer set("caliber", Faults{})
		if _, _, err := rawGet(t, art.URL); err == nil || !strings.Contains(err.Error(), "reset") && !strings.Contains(err.Error(), "EOF") {
			t.Fatalf("want a reset, got %v", err)
		}
		log := s.Requests()
		if last := log[len(log)-1]; last.Status != 0 || last.Kind != "article" {
			t.Fatalf("log entry of a reset: %+v", last)
		}
	})
	t.Run("slow body", func(t *testing.T) {
		set("caliber", Faults{SlowBody: 400 * time.Millisecond})
		defer set("caliber", Faults{})
		start := time.Now()
		resp, body, err := rawGet(t, art.URL)
		if err != nil || resp.StatusCode != 200 || !bytes.Contains(body, []byte("</html>")) {
			t.Fatalf("slow page: %v", err)
		}
		if d := time.Since(start); d < 350*time.Millisecond {
			t.Fatalf("body came in %v", d)
		}
		if r := mustOK(t, caliber.FeedURLs[0]); len(r.body) == 0 {
			t.Fatal("feed")
		}
	})
	t.Run("huge page", func(t *testing.T) {
		set("caliber", Faults{HugePages: true})
		defer set("caliber", Faults{})
		if r := mustOK(t, art.URL); len(r.body) < HugePageSize || !strings.Contains(string(r.body), "</html>") {
			t.Fatalf("page of %d bytes", len(r.body))
		}
	})
	t.Run("gzip bomb", func(t *testing.T) {
		set("caliber", Faults{GzipBomb: true})
		defer set("caliber", Faults{})
		resp, body, err := rawGet(t, art.URL)
		if err != nil || resp.Header.Get("Content-Encoding") != "gzip" || len(body) > 4<<20 {
			t.Fatalf("bomb: %v, %d bytes", err, len(body))
		}
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		n, err := io.Copy(io.Discard, io.LimitReader(zr, 64<<20))
		if err != nil || n != 64<<20 {
			t.Fatalf("expands to %d bytes (%v)", n, err)
		}
	})
	t.Run("redirect loop", func(t *testing.T) {
		set("caliber", Faults{RedirectLoop: true})
		defer set("caliber", Faults{})
		_, err := http.Get(art.URL)
		if err == nil || !strings.Contains(err.Error(), "redirects") {
			t.Fatalf("want a redirect loop, got %v", err)
		}
	})
	t.Run("endless pagination", func(t *testing.T) {
		set("caliber", Faults{EndlessPagination: true})
		defer set("caliber", Faults{})
		page := text(t, mustOK(t, caliber.BaseURL+"/?page=500"))
		if !strings.Contains(page, `rel="next" href="`+caliber.BaseURL+`/?page=501"`) {
			t.Fatal("page 500 does not link to page 501")
		}
		day := text(t, mustOK(t, caliber.BaseURL+"/archive/2099/12/31"))
		if !strings.Contains(day, "/archive/2100/01/01") {
			t.Fatal("the archive does not link on into the future")
		}
	})
	t.Run("session ids", func(t *testing.T) {
		set("caliber", Faults{SessionIDs: true})
		defer set("caliber", Faults{})
		p1, p2 := text(t, mustOK(t, caliber.BaseURL+"/")), text(t, mustOK(t, caliber.BaseURL+"/"))
		if !strings.Contains(p1, "PHPSESSID=") || p1 == p2 {
			t.Fatal("links carry no fresh session id")
		}
		if a := text(t, mustOK(t, art.URL)); !strings.Contains(a, `<link rel="canonical" href="`+art.URL+`">`) {
			t.Fatal("rel=canonical not clean")
		}
	})
	t.Run("malformed feeds", func(t *testing.T) {
		set("caliber", Faults{MalformedFeeds: true})
		defer set("caliber", Faults{})
		for _, u := range []string{caliber.FeedURLs[0], caliber.SitemapURLs[0]} {
			if r := mustOK(t, u); !bytes.Contains(r.body, []byte("Too many connections")) {
				t.Fatalf("%s not malformed", u)
			}
		}
	})
	t.Run("charsets", func(t *testing.T) {
		set("vesti", Faults{Charset: "missing"})
		r := mustOK(t, vart.URL)
		if ct := r.header.Get("Content-Type"); ct != "text/html" || bytes.Contains(bytes.ToLower(r.body), []byte("charset=")) {
			t.Fatalf("missing charset: %q", ct)
		}
		set("vesti", Faults{Charset: "wrong"})
		if ct := get(t, vart.URL).header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Fatalf("wrong charset on windows-1251: %q", ct)
		}
		set("vesti", Faults{})
		set("caliber", Faults{Charset: "wrong"})
		defer set("caliber", Faults{})
		if ct := get(t, art.URL).header.Get("Content-Type"); ct != "text/html; charset=windows-1251" {
			t.Fatalf("wrong charset on utf-8: %q", ct)
		}
	})
	t.Run("no feeds", func(t *testing.T) {
		set("caliber", Faults{NoFeeds: true})
		defer set("caliber", Faults{})
		for _, u := range []string{caliber.FeedURLs[0], caliber.SitemapURLs[0], caliber.BaseURL + "/sitemaps/news.xml"} {
			if r := get(t, u); r.status != http.StatusNotFound {
				t.Fatalf("%s: %d", u, r.status)
			}
		}
		if strings.Contains(text(t, mustOK(t, caliber.RobotsURL)), "Sitemap:") ||
			strings.Contains(text(t, mustOK(t, caliber.BaseURL+"/")), "application/rss+xml") {
			t.Fatal("robots.txt or the home page still names a feed or sitemap")
		}
	})
	if _, err := New(Config{Faults: map[string]Faults{"caliber": {Charset: "latin"}}}); !errors.Is(err, ErrConfig) {
		t.Fatalf("bad charset fault: %v", err)
	}
}

// The request log records every request with its kind, status and
// whether it was conditional.
func TestRequestLog(t *testing.T) {
	s := startSite(t, Config{Seed: 12, Articles: 9})
	o := s.Outlets()[0]
	a := s.Articles()[0]
	feed := mustOK(t, o.FeedURLs[0])
	req, _ := http.NewRequest(http.MethodGet, o.FeedURLs[0], nil)
	req.Header.Set("If-None-Match", feed.header.Get("ETag"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	mustOK(t, a.URL)
	get(t, o.BaseURL+"/nope")
	log := s.Requests()
	var got []string
	for _, r := range log {
		got = append(got, r.Kind+":"+http.StatusText(r.Status)+":"+map[bool]string{true: "cond", false: "plain"}[r.Conditional])
	}
	want := "feed:OK:plain feed:Not Modified:cond article:OK:plain other:Not Found:plain"
	if strings.Join(got, " ") != want {
		t.Fatalf("log %q, want %q", strings.Join(got, " "), want)
	}
	if log[0].Start.IsZero() || log[2].Bytes == 0 {
		t.Fatalf("entry %+v", log[0])
	}
	s.ClearRequests()
	if len(s.Requests()) != 0 {
		t.Fatal("log not cleared")
	}
}

// Crawl-delay appears in robots.txt; the daily archive lists a day's
// articles.
func TestCrawlDelayAndArchive(t *testing.T) {
	s := startSite(t, Config{Seed: 13, Articles: 30, CrawlDelay: map[string]time.Duration{"report": 1500 * time.Millisecond}})
	for _, o := range s.Outlets() {
		robots := text(t, mustOK(t, o.RobotsURL))
		if has := strings.Contains(robots, "Crawl-delay: 1.5\n"); has != (o.ID == "report") {
			t.Errorf("%s: robots.txt:\n%s", o.ID, robots)
		}
	}
	a := s.Articles()[5]
	var o Outlet
	for _, x := range s.Outlets() {
		if x.ID == a.Outlet {
			o = x
		}
	}
	day := a.PublishedAt.In(Baku)
	u := strings.NewReplacer("{yyyy}", day.Format("2006"), "{mm}", day.Format("01"), "{dd}", day.Format("02")).Replace(o.ArchiveURL)
	if page := text(t, mustOK(t, u)); !strings.Contains(page, a.URL) {
		t.Fatalf("archive %s does not list %s", u, a.URL)
	}
	for _, p := range []string{"/archive/2025/02/30", "/archive/x/1/1", "/archive/1850/01/01"} {
		if r := get(t, o.BaseURL+p); r.status != http.StatusNotFound {
			t.Errorf("%s: %d", p, r.status)
		}
	}
	if _, err := New(Config{CrawlDelay: map[string]time.Duration{"nope": time.Second}}); !errors.Is(err, ErrUnknownOutlet) {
		t.Fatalf("unknown outlet crawl delay: %v", err)
	}
}

// With LiveDates an article published at run time carries the time of its
// publication, and an edit the time it was made.
func TestLiveDates(t *testing.T) {
	s := startSite(t, Config{Seed: 14, Articles: 6, Unpublished: 2, LiveDates: true})
	before := time.Now().Add(-time.Second)
	got := s.Publish(1)
	if len(got) != 1 || got[0].PublishedAt.Before(before) || got[0].PublishedAt.After(time.Now()) {
		t.Fatalf("published %+v", got)
	}
	mustOK(t, got[0].URL)
	for _, o := range s.Outlets() {
		if o.ID == got[0].Outlet && !strings.Contains(text(t, mustOK(t, o.FeedURLs[0])), got[0].PublishedAt.Format(time.RFC1123Z)) {
			t.Fatal("the feed does not carry the live date")
		}
	}
	time.Sleep(1100 * time.Millisecond)
	e, err := s.Edit(got[0].URL)
	if err != nil {
		t.Fatal(err)
	}
	if !e.ModifiedAt.After(e.PublishedAt) || e.ModifiedAt.After(time.Now()) {
		t.Fatalf("edit at %v, published %v", e.ModifiedAt, e.PublishedAt)
	}
	if old := s.Articles()[len(s.Articles())-1]; old.PublishedAt.After(DefaultBaseTime) {
		t.Fatalf("a seeded article has date %v", old.PublishedAt)
	}
}

// OutageEvery takes outlets down in turn and brings them back.
func TestOutages(t *testing.T) {
	s := startSite(t, Config{Seed: 15, Articles: 6, OutageEvery: 150 * time.Millisecond, OutageFor: 100 * time.Millisecond})
	down := map[string]bool{}
	deadline := time.Now().Add(5 * time.Second)
	for len(down) < 3 && time.Now().Before(deadline) {
		if id := s.Outage(); id != "" {
			down[id] = true
			for _, o := range s.Outlets() {
				if o.ID == id {
					if r := get(t, o.RobotsURL); r.status != http.StatusServiceUnavailable && s.Outage() == id {
						t.Fatalf("%s down but answers %d", id, r.status)
					}
				}
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(down) != 3 {
		t.Fatalf("outages seen: %v", down)
	}
	if _, err := New(Config{OutageEvery: time.Second, OutageFor: 2 * time.Second}); !errors.Is(err, ErrConfig) {
		t.Fatalf("outage longer than its period: %v", err)
	}
}
