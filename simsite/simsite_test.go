package simsite

import (
	"bytes"
	"compress/gzip"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
	"github.com/temoto/robotstxt"
	"golang.org/x/text/encoding/charmap"
)

func startSite(t *testing.T, cfg Config) *Site {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("new: %v", err)
	}
	if err := s.Start(); err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func get(t *testing.T, u string) response {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatalf("get %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", u, err)
	}
	return response{resp.StatusCode, resp.Header, b}
}

func mustOK(t *testing.T, u string) response {
	t.Helper()
	r := get(t, u)
	if r.status != http.StatusOK {
		t.Fatalf("get %s: status %d", u, r.status)
	}
	return r
}

// text decodes a response body to UTF-8 according to its Content-Type.
func text(t *testing.T, r response) string {
	t.Helper()
	if strings.Contains(r.header.Get("Content-Type"), "windows-1251") {
		b, err := charmap.Windows1251.NewDecoder().Bytes(r.body)
		if err != nil {
			t.Fatalf("decode windows-1251: %v", err)
		}
		return string(b)
	}
	return string(r.body)
}

func TestArticleCountExact(t *testing.T) {
	for _, tc := range []struct{ n, outlets int }{{0, 3}, {1, 3}, {7, 3}, {7, 5}, {300, 3}, {301, 4}} {
		t.Run(fmt.Sprintf("n=%d,outlets=%d", tc.n, tc.outlets), func(t *testing.T) {
			s := startSite(t, Config{Seed: 42, Articles: tc.n, Outlets: tc.outlets})
			as := s.Articles()
			if len(as) != tc.n {
				t.Fatalf("articles = %d, want %d", len(as), tc.n)
			}
			urls, titles, leads := map[string]bool{}, map[string]bool{}, map[string]bool{}
			for _, a := range as {
				if urls[a.URL] || titles[a.Title] || leads[a.Lead] {
					t.Fatalf("duplicate url, title or lead: %s %q %q", a.URL, a.Title, a.Lead)
				}
				urls[a.URL], titles[a.Title], leads[a.Lead] = true, true, true
				if !strings.HasPrefix(a.URL, "http://127.0.0.1:") {
					t.Fatalf("url %q not on loopback", a.URL)
				}
			}
			os := s.Outlets()
			if len(os) != tc.outlets {
				t.Fatalf("outlets = %d, want %d", len(os), tc.outlets)
			}
			hosts := map[string]bool{}
			for _, o := range os {
				hosts[o.BaseURL] = true
			}
			if len(hosts) != tc.outlets {
				t.Fatalf("outlets share hosts: %v", hosts)
			}
			// Every article page answers 200 with the ground-truth title.
			if tc.n <= 7 {
				for _, a := range as {
					body := text(t, mustOK(t, a.URL))
					if !strings.Contains(body, html.EscapeString(a.Title)) {
						t.Fatalf("%s: title %q not on page", a.URL, a.Title)
					}
				}
			}
		})
	}
}

func TestGroundTruthShape(t *testing.T) {
	s := startSite(t, Config{Seed: 7, Articles: 60})
	langs := map[string]int{}
	prev := time.Time{}
	for i, a := range s.Articles() {
		langs[a.Language]++
		if i == 0 && !a.PublishedAt.Equal(DefaultBaseTime) {
			t.Fatalf("newest article at %v, want %v", a.PublishedAt, DefaultBaseTime)
		}
		if i > 0 && !a.PublishedAt.Before(prev) {
			t.Fatalf("article %d not older than the previous one", i)
		}
		prev = a.PublishedAt
		if _, off := a.PublishedAt.Zone(); off != 4*3600 {
			t.Fatalf("published_at offset %d, want +04:00", off)
		}
		if !strings.HasPrefix(a.Body, a.Lead) || strings.Count(a.Body, "\n\n") < 3 {
			t.Fatalf("body of %s: lead not first or too few paragraphs", a.URL)
		}
		if a.Section == "" || len(a.Tags) < 2 || a.Views <= 0 || a.Version != 1 {
			t.Fatalf("incomplete ground truth: %+v", a)
		}
	}
	for _, l := range []string{"en", "az", "ru"} {
		if langs[l] == 0 {
			t.Fatalf("no %s articles: %v", l, langs)
		}
	}
	all := ""
	for _, a := range s.Articles() {
		all += a.Title + a.Body
	}
	for _, r := range "əğıöüşçЖжё" {
		if !strings.ContainsRune(all, r) {
			t.Errorf("generated text lacks %q", r)
		}
	}
}

func TestDeterministic(t *testing.T) {
	render := func(seed int64) map[string][]byte {
		s, err := New(Config{Seed: seed, Articles: 30})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string][]byte{}
		for _, o := range s.Outlets() {
			if err := s.SetBaseURL(o.ID, "http://"+o.ID+".test"); err != nil {
				t.Fatal(err)
			}
		}
		for _, o := range s.Outlets() {
			h, err := s.Handler(o.ID)
			if err != nil {
				t.Fatal(err)
			}
			paths := []string{"/robots.txt", "/sitemap.xml", "/sitemaps/news.xml", "/sitemaps/posts-1.xml.gz"}
			paths = append(paths, strings.TrimPrefix(o.FeedURLs[0], "http://"+o.ID+".test"))
			for _, l := range o.ListingURLs {
				paths = append(paths, strings.TrimPrefix(l, "http://"+o.ID+".test"))
			}
			for _, a := range s.Articles() {
				if a.Outlet == o.ID {
					paths = append(paths, strings.TrimPrefix(a.URL, "http://"+o.ID+".test"))
				}
			}
			for _, p := range paths {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, p, nil))
				if rec.Code != http.StatusOK {
					t.Fatalf("%s%s: status %d", o.ID, p, rec.Code)
				}
				out[o.ID+p] = rec.Body.Bytes()
			}
		}
		return out
	}
	a, b, c := render(1), render(1), render(2)
	if len(a) < 40 {
		t.Fatalf("only %d pages rendered", len(a))
	}
	for k, v := range a {
		if !bytes.Equal(v, b[k]) {
			t.Fatalf("%s differs between runs with the same seed", k)
		}
	}
	if bytes.Equal(a["caliber/feed/rss"], c["caliber/feed/rss"]) {
		t.Fatal("different seeds gave the same feed")
	}
}

func TestWindows1251(t *testing.T) {
	s := startSite(t, Config{Seed: 3, Articles: 9})
	var ru Article
	for _, a := range s.Articles() {
		if a.Outlet == "vesti" {
			ru = a
			break
		}
	}
	r := mustOK(t, ru.URL)
	if ct := r.header.Get("Content-Type"); ct != "text/html; charset=windows-1251" {
		t.Fatalf("content-type %q", ct)
	}
	if utf8.Valid(r.body) {
		t.Fatal("windows-1251 page is valid UTF-8: not really encoded")
	}
	if !bytes.Contains(r.body, []byte(`<meta charset="windows-1251">`)) {
		t.Fatal("no <meta charset=windows-1251>")
	}
	page := text(t, r)
	want := ru.PublishedAt.Format("2") + " " + langRU.months[ru.PublishedAt.Month()-1] + " " +
		ru.PublishedAt.Format("2006, 15:04")
	for _, s := range []string{ru.Title, want, "Просмотров: ", strings.Split(ru.Body, "\n\n")[1]} {
		if !strings.Contains(page, s) {
			t.Fatalf("decoded page lacks %q", s)
		}
	}
	if want2 := "21 февраля 2025, 18:17"; langRU.formatDate(DefaultBaseTime) != want2 {
		t.Fatalf("formatDate = %q, want %q", langRU.formatDate(DefaultBaseTime), want2)
	}
}

func TestDateFormats(t *testing.T) {
	for l, want := range map[*lang]string{langEN: "21 February 2025 18:17", langAZ: "21 fevral 2025 18:17",
		langRU: "21 февраля 2025, 18:17"} {
		if got := l.formatDate(DefaultBaseTime); got != want {
			t.Errorf("%s: %q, want %q", l.code, got, want)
		}
	}
}

type xmlIndex struct {
	Locs []string `xml:"sitemap>loc"`
}

type xmlURLSet struct {
	Locs []string `xml:"url>loc"`
}

func TestSitemapsReachEveryArticle(t *testing.T) {
	s := startSite(t, Config{Seed: 5, Articles: 300})
	want := map[string]bool{}
	for _, a := range s.Articles() {
		want[a.URL] = true
	}
	got := map[string]bool{}
	gz := 0
	for _, o := range s.Outlets() {
		var idx xmlIndex
		if err := xml.Unmarshal(mustOK(t, o.SitemapURLs[0]).body, &idx); err != nil {
			t.Fatalf("sitemap index: %v", err)
		}
		if len(idx.Locs) < 3 {
			t.Fatalf("%s: %d child sitemaps, want >= 3", o.ID, len(idx.Locs))
		}
		for _, loc := range idx.Locs {
			r := mustOK(t, loc)
			body := r.body
			if strings.HasSuffix(loc, ".gz") {
				gz++
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatalf("%s: %v", loc, err)
				}
				if body, err = io.ReadAll(zr); err != nil {
					t.Fatalf("%s: %v", loc, err)
				}
			}
			var us xmlURLSet
			if err := xml.Unmarshal(body, &us); err != nil {
				t.Fatalf("%s: %v", loc, err)
			}
			for _, u := range us.Locs {
				if !want[u] {
					t.Fatalf("%s lists %s, not an article", loc, u)
				}
				if !strings.HasPrefix(u, o.BaseURL+"/") {
					t.Fatalf("%s lists foreign url %s", loc, u)
				}
				got[u] = true
			}
		}
	}
	if gz == 0 {
		t.Fatal("no gzipped child sitemap")
	}
	if len(got) != len(want) {
		t.Fatalf("sitemaps reach %d of %d articles", len(got), len(want))
	}
}

func TestFeeds(t *testing.T) {
	s := startSite(t, Config{Seed: 11, Articles: 200, FeedSize: 50})
	truth := map[string]Article{}
	perOutlet := map[string]int{}
	for _, a := range s.Articles() {
		truth[a.URL] = a
		perOutlet[a.Outlet]++
	}
	p := gofeed.NewParser()
	for _, o := range s.Outlets() {
		r := mustOK(t, o.FeedURLs[0])
		f, err := p.Parse(bytes.NewReader(r.body))
		if err != nil {
			t.Fatalf("%s feed: %v", o.ID, err)
		}
		if f.FeedType != "rss" || f.FeedVersion != "2.0" {
			t.Fatalf("%s: feed type %s %s", o.ID, f.FeedType, f.FeedVersion)
		}
		if want := min(50, perOutlet[o.ID]); len(f.Items) != want {
			t.Fatalf("%s: %d items, want %d", o.ID, len(f.Items), want)
		}
		for _, it := range f.Items {
			u, err := url.Parse(it.Link)
			if err != nil || u.Query().Get("utm_source") != "rss" {
				t.Fatalf("%s: item link %q lacks the tracking parameter", o.ID, it.Link)
			}
			clean := strings.SplitN(it.Link, "?", 2)[0]
			a, ok := truth[clean]
			if !ok {
				t.Fatalf("%s: feed item %s is no article", o.ID, it.Link)
			}
			if it.Title != a.Title || it.GUID != a.URL || it.PublishedParsed == nil || !it.PublishedParsed.Equal(a.PublishedAt) {
				t.Fatalf("%s: item %+v does not match truth %+v", o.ID, it, a)
			}
		}
		// The tracking variant serves the page with rel=canonical to the clean URL.
		page := text(t, mustOK(t, f.Items[0].Link))
		if !strings.Contains(page, `<link rel="canonical" href="`+f.Items[0].GUID+`">`) {
			t.Fatalf("%s: tracking variant lacks rel=canonical to %s", o.ID, f.Items[0].GUID)
		}
	}
}

var hrefRE = regexp.MustCompile(`href="([^"]+)"`)

func links(page string) []string {
	var out []string
	for _, m := range hrefRE.FindAllStringSubmatch(page, -1) {
		out = append(out, html.UnescapeString(m[1]))
	}
	return out
}

// TestListingsReachEveryArticle walks listing pages only (never article
// pages, feeds or sitemaps) and must find every article.
func TestListingsReachEveryArticle(t *testing.T) {
	s := startSite(t, Config{Seed: 9, Articles: 300, PageSize: 15})
	want := map[string]bool{}
	for _, a := range s.Articles() {
		want[a.URL] = true
	}
	got := map[string]bool{}
	pages := 0
	for _, o := range s.Outlets() {
		listing := map[string]bool{}
		for _, l := range o.ListingURLs {
			listing[l] = true
		}
		seen := map[string]bool{}
		queue := append([]string(nil), o.ListingURLs...)
		for len(queue) > 0 {
			u := queue[0]
			queue = queue[1:]
			if seen[u] {
				continue
			}
			seen[u] = true
			pages++
			for _, l := range links(text(t, mustOK(t, u))) {
				if want[l] {
					got[l] = true
					continue
				}
				base, _, _ := strings.Cut(l, "?")
				if listing[base] && !seen[l] {
					queue = append(queue, l)
				}
			}
		}
	}
	if len(got) != len(want) {
		t.Fatalf("listings reach %d of %d articles", len(got), len(want))
	}
	t.Logf("%d listing pages", pages)
}

func TestRobots(t *testing.T) {
	s := startSite(t, Config{Seed: 1, Articles: 10})
	for _, o := range s.Outlets() {
		r := mustOK(t, o.RobotsURL)
		body := string(r.body)
		for _, line := range []string{"User-agent: *", "Disallow: /search", "Disallow: /admin/", "Sitemap: " + o.SitemapURLs[0]} {
			if !strings.Contains(body, line+"\n") {
				t.Fatalf("%s robots.txt lacks %q:\n%s", o.ID, line, body)
			}
		}
		// A real robots.txt parser (the one Colly uses) agrees.
		rb, err := robotstxt.FromBytes(r.body)
		if err != nil {
			t.Fatalf("%s robots.txt: %v", o.ID, err)
		}
		for p, allowed := range map[string]bool{"/search?q=x": false, "/search/?q=": false, "/admin/": false,
			"/": true, strings.TrimPrefix(o.ListingURLs[1], o.BaseURL): true, "/sitemap.xml": true} {
			if got := rb.TestAgent(p, "newswatch/0.1"); got != allowed {
				t.Errorf("%s: robots allows %s = %v, want %v", o.ID, p, got, allowed)
			}
		}
		if rb.TestAgent("/", "BadBot") {
			t.Errorf("%s: BadBot allowed", o.ID)
		}
		// Pages link to the disallowed paths, so a crawler has to obey robots.txt.
		home := text(t, mustOK(t, o.ListingURLs[0]))
		for _, d := range o.DisallowedPaths {
			if !strings.Contains(home, `href="`+o.BaseURL+d) {
				t.Fatalf("%s home page has no link to disallowed %s", o.ID, d)
			}
		}
		if s.Hits(o.ID, "/search") != 0 {
			t.Fatal("hits counted for an unvisited path")
		}
		mustOK(t, o.BaseURL+"/search?q=x")
		if n := s.Hits(o.ID, "/search"); n != 1 {
			t.Fatalf("hits(/search) = %d, want 1", n)
		}
	}
}

func TestFaults(t *testing.T) {
	s := startSite(t, Config{Seed: 1, Articles: 6, Faults: map[string]Faults{
		"caliber": {ErrorRate: 1, ErrorStatus: 429, RetryAfter: 2 * time.Second},
		"report":  {Latency: 120 * time.Millisecond},
	}})
	os := s.Outlets()
	r := get(t, os[0].RobotsURL)
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "2" {
		t.Fatalf("caliber: status %d retry-after %q", r.status, r.header.Get("Retry-After"))
	}
	start := time.Now()
	mustOK(t, os[1].RobotsURL)
	if d := time.Since(start); d < 120*time.Millisecond {
		t.Fatalf("latency not applied: %v", d)
	}
	if err := s.SetFaults("vesti", Faults{Down: true}); err != nil {
		t.Fatal(err)
	}
	if r := get(t, os[2].RobotsURL); r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" {
		t.Fatalf("down outlet: status %d", r.status)
	}
	if err := s.SetFaults("vesti", Faults{Down: true, PathPrefix: "/news/"}); err != nil {
		t.Fatal(err)
	}
	mustOK(t, os[2].RobotsURL)
	if r := get(t, os[2].BaseURL+"/news/1.html"); r.status != http.StatusServiceUnavailable {
		t.Fatalf("path-limited outage: status %d", r.status)
	}
	if err := s.SetFaults("nope", Faults{}); !errors.Is(err, ErrUnknownOutlet) {
		t.Fatalf("unknown outlet: %v", err)
	}
	if err := s.SetFaults("vesti", Faults{ErrorRate: 2}); !errors.Is(err, ErrConfig) {
		t.Fatalf("bad faults: %v", err)
	}

	// A partial error rate fails the same requests on every run, and a
	// retried request eventually succeeds.
	pattern := func() string {
		s := startSite(t, Config{Seed: 5, Articles: 6, Faults: map[string]Faults{"report": {ErrorRate: 0.5}}})
		var b strings.Builder
		for i := 0; i < 40; i++ {
			if get(t, s.Outlets()[1].RobotsURL).status == http.StatusOK {
				b.WriteByte('.')
			} else {
				b.WriteByte('x')
			}
		}
		return b.String()
	}
	p1, p2 := pattern(), pattern()
	if p1 != p2 || !strings.Contains(p1, ".") || !strings.Contains(p1, "x") {
		t.Fatalf("fault patterns %q and %q", p1, p2)
	}
}

func TestEdit(t *testing.T) {
	s := startSite(t, Config{Seed: 2, Articles: 9})
	for _, a := range s.Articles()[:3] {
		e, err := s.Edit(a.URL + "?utm_source=x")
		if err != nil {
			t.Fatal(err)
		}
		if e.Version != 2 || e.Title == a.Title || e.Body == a.Body || !e.ModifiedAt.After(a.PublishedAt) ||
			!e.PublishedAt.Equal(a.PublishedAt) || e.URL != a.URL {
			t.Fatalf("edit of %s: %+v", a.URL, e)
		}
		page := text(t, mustOK(t, a.URL))
		if !strings.Contains(page, html.EscapeString(e.Title)) {
			t.Fatalf("page of %s does not show the edited title %q", a.URL, e.Title)
		}
	}
	if _, err := s.Edit(s.Outlets()[0].BaseURL + "/nope"); !errors.Is(err, ErrUnknownArticle) {
		t.Fatalf("edit unknown: %v", err)
	}
	// Reverting shows the original content again, byte for byte.
	a := s.Articles()[1] // edited above, once
	orig := s.Articles()[4]
	before := mustOK(t, orig.URL).body
	if _, err := s.Edit(orig.URL); err != nil {
		t.Fatal(err)
	}
	r, err := s.Revert(orig.URL)
	if err != nil {
		t.Fatal(err)
	}
	if after := mustOK(t, orig.URL).body; string(after) != string(before) || r.Version != 1 || r.Title != orig.Title || r.Body != orig.Body {
		t.Errorf("revert of %s did not restore the original (version %d, title %q)", orig.URL, r.Version, r.Title)
	}
	if _, err := s.Revert(a.URL); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Revert(s.Outlets()[0].BaseURL + "/nope"); !errors.Is(err, ErrUnknownArticle) {
		t.Fatalf("revert unknown: %v", err)
	}
}

func TestConditionalGetAndErrors(t *testing.T) {
	s := startSite(t, Config{Seed: 2, Articles: 9})
	o := s.Outlets()[0]
	r := mustOK(t, o.FeedURLs[0])
	req, _ := http.NewRequest(http.MethodGet, o.FeedURLs[0], nil)
	req.Header.Set("If-None-Match", r.header.Get("ETag"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotModified {
		t.Fatalf("conditional get: %d", resp.StatusCode)
	}
	for _, p := range []string{"/nope", "/?page=99", "/?page=x", "/sitemaps/posts-9.xml"} {
		if r := get(t, o.BaseURL+p); r.status != http.StatusNotFound {
			t.Fatalf("%s: status %d, want 404", p, r.status)
		}
	}
	resp, err = http.Post(o.BaseURL+"/", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("post: %d", resp.StatusCode)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []Config{{Articles: -1}, {Outlets: -2}, {PageSize: -1},
		{Faults: map[string]Faults{"caliber": {ErrorStatus: 418}}}} {
		if _, err := New(c); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: err %v, want ErrConfig", c, err)
		}
	}
	if _, err := New(Config{Faults: map[string]Faults{"nope": {}}}); !errors.Is(err, ErrUnknownOutlet) {
		t.Errorf("unknown outlet faults: %v", err)
	}
}

func TestVariantsRedirectsAndDefacement(t *testing.T) {
	s := startSite(t, Config{Seed: 4, Articles: 12})
	for _, a := range s.Articles() {
		switch a.Outlet {
		case "caliber":
			// The AMP variant points back to the clean URL.
			page := mustOK(t, a.URL+"/amp")
			if !strings.Contains(string(page.body), `<link rel="canonical" href="`+a.URL+`">`) {
				t.Fatalf("amp page of %s lacks rel=canonical", a.URL)
			}
			if !strings.Contains(string(mustOK(t, a.URL).body), `<link rel="amphtml" href="`+a.URL+`/amp">`) {
				t.Fatalf("%s lacks rel=amphtml", a.URL)
			}
		case "report":
			// A missing trailing slash is redirected (the client follows).
			client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := client.Get(strings.TrimSuffix(a.URL, "/"))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != a.URL {
				t.Fatalf("redirect: %d to %q, want 301 to %s", resp.StatusCode, resp.Header.Get("Location"), a.URL)
			}
		}
	}
	o := s.Outlets()[1]
	if err := s.SetFaults(o.ID, Faults{Defaced: true}); err != nil {
		t.Fatal(err)
	}
	home := string(mustOK(t, o.BaseURL+"/").body)
	if !strings.Contains(home, "Hacked by") || strings.Contains(home, o.BaseURL+"/") {
		t.Fatalf("defaced home page:\n%s", home)
	}
	mustOK(t, o.ListingURLs[1]) // the rest of the site still works
}

func TestPublish(t *testing.T) {
	s, err := New(Config{Seed: 8, Articles: 30, Unpublished: 5})
	if err != nil {
		t.Fatal(err)
	}
	all := func() []Article { // the ground truth once everything is out
		s2, _ := New(Config{Seed: 8, Articles: 30})
		for _, o := range s.Outlets() {
			s2.SetBaseURL(o.ID, o.BaseURL)
		}
		return s2.Articles()
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	full := all()
	if got := len(s.Articles()); got != 25 || s.Unpublished() != 5 {
		t.Fatalf("published %d, unpublished %d", got, s.Unpublished())
	}
	hidden := full[4] // the oldest unpublished article
	if r := get(t, hidden.URL); r.status != http.StatusNotFound {
		t.Fatalf("unpublished article answers %d", r.status)
	}
	var o Outlet
	for _, x := range s.Outlets() {
		if x.ID == hidden.Outlet {
			o = x
		}
	}
	if strings.Contains(text(t, mustOK(t, o.FeedURLs[0])), hidden.URL) {
		t.Fatal("unpublished article in the feed")
	}
	got := s.Publish(1)
	if len(got) != 1 || got[0].URL != hidden.URL {
		t.Fatalf("publish(1) = %+v, want %s", got, hidden.URL)
	}
	mustOK(t, hidden.URL)
	if !strings.Contains(text(t, mustOK(t, o.FeedURLs[0])), hidden.URL) ||
		!strings.Contains(text(t, mustOK(t, o.ListingURLs[0])), hidden.URL) {
		t.Fatal("published article missing from feed or home page")
	}
	if got := s.Publish(10); len(got) != 4 || s.Unpublished() != 0 || len(s.Articles()) != 30 {
		t.Fatalf("publish(10) gave %d, %d left", len(got), s.Unpublished())
	}
	if _, err := New(Config{Articles: 3, Unpublished: 4}); !errors.Is(err, ErrConfig) {
		t.Fatalf("unpublished > articles: %v", err)
	}

	live := startSite(t, Config{Seed: 8, Articles: 6, Unpublished: 3, PublishEvery: 10 * time.Millisecond})
	deadline := time.Now().Add(3 * time.Second)
	for live.Unpublished() > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if live.Unpublished() != 0 {
		t.Fatal("PublishEvery did not publish everything")
	}
}

func TestRedesign(t *testing.T) {
	s := startSite(t, Config{Seed: 4, Articles: 3, Faults: map[string]Faults{"caliber": {Redesign: true}}})
	a := s.Articles()[0]
	page := string(mustOK(t, a.URL).body)
	if strings.Contains(page, "application/ld+json") || strings.Contains(page, `class="post__title"`) {
		t.Fatal("redesigned page keeps JSON-LD or old classes")
	}
	if !strings.Contains(page, html.EscapeString(a.Title)) || !strings.Contains(page, langByCode(a.Language).formatDate(a.PublishedAt)) {
		t.Fatal("redesigned page lost title or visible date")
	}
	if a.DateSource != "text" {
		t.Fatalf("date source %q during redesign", a.DateSource)
	}
	if err := s.SetFaults("caliber", Faults{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(mustOK(t, a.URL).body), "application/ld+json") || s.Articles()[0].DateSource != "jsonld" {
		t.Fatal("old layout not restored")
	}
}

func TestEditEvery(t *testing.T) {
	s := startSite(t, Config{Seed: 3, Articles: 6, EditEvery: 5 * time.Millisecond})
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		edited := 0
		for _, a := range s.Articles() {
			if a.Version > 1 {
				edited++
			}
		}
		if edited >= 3 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("EditEvery did not edit articles")
}

func TestUniqueAtScale(t *testing.T) {
	s, err := New(Config{Seed: 1, Articles: 20000})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	paths := map[string]bool{}
	for _, a := range s.arts {
		if seen[a.title] || seen[a.lead] {
			t.Fatalf("duplicate title or lead at %d: %q / %q", a.idx, a.title, a.lead)
		}
		seen[a.title], seen[a.lead] = true, true
		if paths[a.o.id+a.path] {
			t.Fatalf("duplicate path %s%s", a.o.id, a.path)
		}
		paths[a.o.id+a.path] = true
	}
}

// TestCopies: Config.Copies makes reprints and rewrites of earlier
// articles of other outlets in the same language, and says so.
func TestCopies(t *testing.T) {
	site, err := New(Config{Seed: 5, Articles: 300, Outlets: 6, Copies: 0.3})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range site.Outlets() {
		if err := site.SetBaseURL(o.ID, "https://"+o.ID+".simsite.test"); err != nil {
			t.Fatal(err)
		}
	}
	arts := site.Articles()
	byURL := map[string]Article{}
	for _, a := range arts {
		byURL[a.URL] = a
	}
	kinds := map[string]int{}
	for _, a := range arts {
		if a.CopyOf == "" {
			continue
		}
		kinds[a.CopyKind]++
		o, ok := byURL[a.CopyOf]
		switch {
		case !ok:
			t.Fatalf("%s copies %s, which is not an article", a.URL, a.CopyOf)
		case o.CopyOf != "":
			t.Errorf("%s copies a copy", a.URL)
		case o.Outlet == a.Outlet || o.Language != a.Language || !o.PublishedAt.Before(a.PublishedAt):
			t.Errorf("%s (%s %s %v) copies %s (%s %s %v)", a.URL, a.Outlet, a.Language, a.PublishedAt, o.URL, o.Outlet, o.Language, o.PublishedAt)
		}
		switch a.CopyKind {
		case CopyReprint:
			if a.Title != o.Title || !strings.HasPrefix(a.Body, o.Body) || a.Body == o.Body {
				t.Errorf("reprint %s: title %q of %q, body not the original's with a source line", a.URL, a.Title, o.Title)
			}
		case CopyRewrite:
			if a.Title == o.Title || a.Lead == o.Lead || a.Body == o.Body {
				t.Errorf("rewrite %s: title %q of %q, the same lead or body", a.URL, a.Title, o.Title)
			}
		default:
			t.Errorf("%s: copy kind %q", a.URL, a.CopyKind)
		}
	}
	if kinds[CopyReprint] < 20 || kinds[CopyRewrite] < 20 {
		t.Errorf("copies: %v, want about 45 of each", kinds)
	}
	// Without Copies the site is as before: no copies.
	plain, err := New(Config{Seed: 5, Articles: 300, Outlets: 6})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range plain.Articles() {
		if a.CopyOf != "" {
			t.Fatalf("%s is a copy without Config.Copies", a.URL)
		}
	}
}
