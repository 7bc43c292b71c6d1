package extract

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/newswatch/newswatch/article"
)

func extractFile(t *testing.T, file, url, tz, contentType string) *article.Article {
	t.Helper()
	body, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	in := Input{URL: url, Body: body, Outlet: "test", FetchedAt: time.Date(2025, 3, 20, 0, 0, 0, 0, time.UTC)}
	if tz != "" {
		if in.Location, err = time.LoadLocation(tz); err != nil {
			t.Fatal(err)
		}
	}
	if contentType != "" {
		in.Header = http.Header{"Content-Type": {contentType}}
	}
	a, err := New().Extract(context.Background(), in)
	if err != nil {
		t.Fatalf("extract %s: %v", file, err)
	}
	return a
}

// The acceptance checks of the [extract] issue, stated directly rather than
// only recorded in the golden files.
func TestCaliberAnalyticsPage(t *testing.T) {
	a := extractFile(t, "testdata/golden/caliber_analytics_en.html",
		"https://caliber.az/en/post/baku-and-the-middle-corridor-why-freight-is-moving-south", "Asia/Baku", "text/html; charset=utf-8")
	if a.Section != "ANALYTICS" {
		t.Errorf("section = %q, want ANALYTICS", a.Section)
	}
	if a.PublishedAt == nil || a.PublishedAt.Format(time.RFC3339) != "2025-02-21T18:17:00+04:00" {
		t.Errorf("published_at = %v, want 2025-02-21T18:17:00+04:00", a.PublishedAt)
	}
	if a.Views == nil || *a.Views != 406 {
		t.Errorf("views = %v, want 406", a.Views)
	}
	if a.Title != "Baku and the Middle Corridor: why freight is moving south" {
		t.Errorf("title = %q", a.Title)
	}
	if len(a.Authors) != 0 {
		t.Errorf("authors = %q, want none (the page names no person)", a.Authors)
	}
	for _, junk := range []string{"Facebook", "Telegram", "YouTube", "App Store", "Google Play", "Politics",
		"EN", "RU", "Share", "Copy link", "Ссылка скопирована", "Views", "406", "©", "All rights reserved",
		"About us", "More in Analytics", "ferry fleet", "ANALYTICS", "21 February"} {
		if strings.Contains(a.Body, junk) {
			t.Errorf("body contains %q:\n%s", junk, a.Body)
		}
	}
	if !strings.HasPrefix(a.Body, "Container trains from western China") ||
		!strings.HasSuffix(a.Body, "keep their tariffs and their paperwork in step.") {
		t.Errorf("body does not run from the first to the last paragraph:\n%s", a.Body)
	}
	if n := strings.Count(a.Body, "\n\n"); n != 5 {
		t.Errorf("body has %d paragraph breaks, want 5 (5 paragraphs and a subheading)", n)
	}
}

func TestWindows1251Page(t *testing.T) {
	a := extractFile(t, "testdata/golden/vesti_cp1251_ru.html", "https://vesti.az/economy/kurs-manata-ostanetsya-stabilnym-cb-512345", "Asia/Baku", "")
	if a.Title != "Курс маната останется стабильным — ЦБ" {
		t.Errorf("title = %q", a.Title)
	}
	if !strings.Contains(a.Body, "Центральный банк Азербайджана оставил учетную ставку") || strings.ContainsRune(a.Body, '\uFFFD') {
		t.Errorf("body is not correct Cyrillic:\n%s", a.Body)
	}
	if a.Language != "ru" {
		t.Errorf("language = %q, want ru", a.Language)
	}
	for _, junk := range []string{"Поделиться", "Ссылка скопирована", "Просмотров", "Читайте также", "Все права защищены"} {
		if strings.Contains(a.Body, junk) {
			t.Errorf("body contains %q", junk)
		}
	}
}

func TestNotArticle(t *testing.T) {
	a, err := New().Extract(context.Background(), Input{URL: "https://example.com/", Body: []byte("<html><body><nav><a href=/>Home</a></nav></body></html>"), Outlet: "x"})
	if !errors.Is(err, ErrNotArticle) || a != nil {
		t.Fatalf("err = %v, article %v, want ErrNotArticle and no article", err, a)
	}
	for _, u := range []string{"not a url", "xhttps://example.com/news/1", "ftp://example.com/news/1"} {
		if _, err := New().Extract(context.Background(), Input{URL: u, Body: []byte("<p>x</p>"), Outlet: "x"}); err == nil || errors.Is(err, ErrNotArticle) {
			t.Errorf("page URL %q: err = %v, want a URL error", u, err)
		}
	}
}

// A page without article text (a shell that scripts fill in) gives
// ErrNotArticle with what was found on it: metadata, dates, identity.
func TestNotArticlePartial(t *testing.T) {
	page := []byte(`<html lang="de"><head><title>Wie man eine runde Tischdecke herstellt | homify</title>
<meta property="og:description" content="Eine Anleitung in sieben Schritten.">
<link rel="canonical" href="https://www.homify.de/diy/20546/tischdecke">
<meta property="article:published_time" content="2021-03-04T10:00:00+01:00"></head>
<body><div id="app"></div><script>render()</script></body></html>`)
	a, err := New().Extract(context.Background(), Input{URL: "https://www.homify.de/diy/20546/tischdecke?utm_source=x", Body: page, Outlet: "homify"})
	var na *NotArticleError
	if !errors.As(err, &na) || !errors.Is(err, ErrNotArticle) || a != nil {
		t.Fatalf("err = %v, article %v; want a *NotArticleError and no article", err, a)
	}
	p := na.Partial
	if p == nil || p.Title != "Wie man eine runde Tischdecke herstellt" || p.Lead != "Eine Anleitung in sieben Schritten." ||
		p.Body != "" || p.PublishedAt == nil || p.CanonicalURL != "https://www.homify.de/diy/20546/tischdecke" {
		t.Fatalf("partial = %+v", p)
	}
	if err := p.Validate(); err != nil {
		t.Errorf("partial is not a valid (finalized) article: %v", err)
	}
	// Input that is not HTML at all has nothing to show.
	_, err = New().Extract(context.Background(), Input{URL: "https://example.com/x", Body: []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"), Outlet: "x"})
	if !errors.Is(err, ErrNotArticle) || errors.As(err, &na) {
		t.Errorf("pdf: err = %v, want ErrNotArticle without a partial", err)
	}
}

func TestOverrides(t *testing.T) {
	page := []byte(`<html><head><title>Wrong title</title></head><body>
<div class="hdr"><span class="t">Right title</span><span class="who">Nigar Aliyeva</span><span class="when">14 mart 2025 09:30</span></div>
<div class="story"><p>First paragraph of the story that the generic extractor might not find on its own, long enough to count.</p>
<p class="ad">Advertisement text that must go.</p><p>Second paragraph of the story, also written as ordinary running text.</p></div>
<div class="junk"><p>Lots of other text in a block that looks like content but is not the article at all, it is a list of teasers that go on and on.</p></div>
</body></html>`)
	baku, _ := time.LoadLocation("Asia/Baku")
	in := Input{URL: "https://example.az/news/1", Body: page, Outlet: "x", Location: baku,
		FetchedAt: time.Date(2025, 3, 15, 0, 0, 0, 0, time.UTC),
		Overrides: &Overrides{Title: ".hdr .t", Author: ".who", Date: ".when", Body: ".story", Remove: []string{".ad"}}}
	a, err := New().Extract(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if a.Title != "Right title" || len(a.Authors) != 1 || a.Authors[0] != "Nigar Aliyeva" {
		t.Errorf("title %q authors %q", a.Title, a.Authors)
	}
	if a.PublishedAt == nil || a.PublishedAt.Format(time.RFC3339) != "2025-03-14T09:30:00+04:00" {
		t.Errorf("published_at = %v", a.PublishedAt)
	}
	want := "First paragraph of the story that the generic extractor might not find on its own, long enough to count.\n\nSecond paragraph of the story, also written as ordinary running text."
	if a.Body != want {
		t.Errorf("body = %q, want %q", a.Body, want)
	}
	in.Overrides = &Overrides{Body: "div["}
	if _, err := New().Extract(context.Background(), in); !errors.Is(err, ErrBadOverride) {
		t.Errorf("bad selector: err = %v, want ErrBadOverride", err)
	}
}

func TestCleanTitle(t *testing.T) {
	for _, c := range []struct{ title, site, url, h1, want string }{
		{"Headline here | Caliber.Az", "Caliber.Az", "https://caliber.az/x", "", "Headline here"},
		{"Headline here - Report.az", "", "https://report.az/x", "", "Headline here"},
		{"Report.az :: Headline here", "", "https://report.az/x", "", "Headline here"},
		{"Headline - with dash | The Site", "The Site", "https://thesite.com/x", "", "Headline - with dash"},
		{"Mourinho agrees deal - Sky News", "", "https://news.sky.com/x", "Mourinho agrees deal", "Mourinho agrees deal"},
		{"Курс маната — ЦБ :: Вести.az", "", "https://vesti.az/x", "", "Курс маната — ЦБ"},
		{"Just a headline", "", "https://x.com/", "", "Just a headline"},
	} {
		u, _ := url.Parse(c.url)
		if got := cleanTitle(c.title, c.site, u, c.h1); got != c.want {
			t.Errorf("cleanTitle(%q) = %q, want %q", c.title, got, c.want)
		}
	}
}

func TestViews(t *testing.T) {
	for _, c := range []struct {
		html string
		want int64
	}{
		{`<div>Views: 406</div>`, 406},
		{`<span>Baxış: 1 520</span>`, 1520},
		{`<span>Просмотров: 12 345</span>`, 12345},
		{`<span class="meta"><i class="fa fa-eye"></i> 2,048</span>`, 2048},
		{`<span class="views-count">77</span>`, 77},
		{`<span>Baxış sayı:</span> <b>15</b>`, 15},
		{`<span>807 views</span>`, 807},
		{`<span>👁 1 024</span>`, 1024},
		{`<div class="stats"><span>👁️</span><span>88</span></div>`, 88},
	} {
		doc, err := parseHTML([]byte(c.html))
		if err != nil {
			t.Fatal(err)
		}
		got := findViews(doc)
		if got == nil || *got != c.want {
			t.Errorf("findViews(%s) = %v, want %d", c.html, got, c.want)
		}
	}
	for _, page := range []string{`<p>The 2024 budget has 406 items.</p>`, `<span class="comments-counter">5</span>`, `<span class="counter">12</span>`} {
		doc, _ := parseHTML([]byte(page))
		if got := findViews(doc); got != nil {
			t.Errorf("findViews found %d in %s", *got, page)
		}
	}
}

// A 10 MB page and 100,000 nested <div>s finish in bounded time.
func TestHugeAndDeepPages(t *testing.T) {
	var big bytes.Buffer
	big.WriteString("<html><head><title>Big</title></head><body><article>")
	para := "<p>" + strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit. ", 20) + "</p>\n"
	for big.Len() < 10<<20 {
		big.WriteString(para)
	}
	big.WriteString("</article></body></html>")
	deep := "<html><body>" + strings.Repeat("<div>", 100000) + "<p>" + strings.Repeat("Deep text in the innermost element. ", 20) + "</p>" + strings.Repeat("</div>", 100000) + "</body></html>"
	unclosed := "<html><body>" + strings.Repeat("<div><span><b>x ", 50000) + "</body></html>"
	for name, page := range map[string][]byte{"10MB": big.Bytes(), "deep": []byte(deep), "unclosed": []byte(unclosed)} {
		start := time.Now()
		a, err := New().Extract(context.Background(), Input{URL: "https://example.com/a", Body: page, Outlet: "x"})
		if err != nil && !errors.Is(err, ErrNotArticle) {
			t.Errorf("%s: %v", name, err)
		}
		if name == "deep" && (a == nil || !strings.Contains(a.Body, "Deep text in the innermost element.")) {
			t.Errorf("deep: the innermost text was lost: %v", err)
		}
		if name == "10MB" && (a == nil || !strings.HasPrefix(a.Body, "Lorem ipsum dolor sit amet")) {
			t.Errorf("10MB: no body: %v", err)
		}
		if d := time.Since(start); d > 20*time.Second {
			t.Errorf("%s: took %v", name, d)
		}
		t.Logf("%s: %d bytes in %v", name, len(page), time.Since(start))
	}
}

func FuzzExtract(f *testing.F) {
	for _, s := range []string{
		"", "<html>", "<p>text</p>", `<script type="application/ld+json">{"@type":"NewsArticle","headline":1,"author":[{"name":null}]}</script><p>x</p>`,
		"<div>" + strings.Repeat("<div>", 600) + "text", "<table><tr><td><table><p>x",
		`<meta charset="koi8-r"><p>` + "\xf0\xd2\xc9\xd7\xc5\xd4</p>", "<svg><p>x</svg><math><mi>y",
	} {
		f.Add([]byte(s))
	}
	if b, err := os.ReadFile("testdata/golden/caliber_analytics_en.html"); err == nil {
		f.Add(b)
	}
	ex := New()
	f.Fuzz(func(t *testing.T, page []byte) {
		start := time.Now()
		a, err := ex.Extract(context.Background(), Input{URL: "https://example.com/news/1", Body: page, Outlet: "x"})
		if d := time.Since(start); d > 10*time.Second {
			t.Fatalf("took %v on %d bytes", d, len(page))
		}
		if err != nil {
			return
		}
		if a.Body == "" {
			t.Fatal("article with empty body")
		}
		if err := a.Validate(); err != nil {
			t.Fatalf("invalid article: %v", err)
		}
	})
}

// A page that shows a teaser and declares the full text in JSON-LD gets the
// declared text.
func TestArticleBodyFromJSONLD(t *testing.T) {
	full := []string{
		strings.Repeat("The first paragraph of the full story, declared in structured data. ", 4),
		strings.Repeat("The second paragraph continues the story with more detail. ", 4),
		strings.Repeat("The third paragraph closes it with a quote and an outlook. ", 4),
	}
	for i := range full {
		full[i] = strings.TrimSpace(full[i])
	}
	page := `<html><head><title>Story</title><script type="application/ld+json">{"@type":"NewsArticle","headline":"Story","articleBody":"` +
		strings.Join(full, `\n`) + `"}</script></head><body><article><h1>Story</h1><p>` + full[0][:120] +
		`</p><button>Read more</button></article></body></html>`
	a, err := New().Extract(context.Background(), Input{URL: "https://example.com/story", Body: []byte(page), Outlet: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Join(full, "\n\n"); a.Body != want {
		t.Errorf("body = %q\nwant %q", a.Body, want)
	}
}

// One Extractor serves many goroutines (the crawler shares it).
func TestConcurrentExtract(t *testing.T) {
	ex := New()
	body, err := os.ReadFile("testdata/golden/caliber_analytics_en.html")
	if err != nil {
		t.Fatal(err)
	}
	baku, _ := time.LoadLocation("Asia/Baku")
	in := Input{URL: "https://caliber.az/en/post/x", Body: body, Outlet: "caliber", Location: baku,
		FetchedAt: time.Date(2025, 2, 22, 0, 0, 0, 0, time.UTC), Overrides: &Overrides{Remove: []string{".post__more"}}}
	first, err := ex.Extract(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			for range 5 {
				a, err := ex.Extract(context.Background(), in)
				if err == nil && a.ContentHash != first.ContentHash {
					err = errors.New("different result under concurrency")
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// The article's counter wins over the counters of teasers listed before it.
func TestViewsPreferArticle(t *testing.T) {
	page := `<html><body><div class="top"><div class="item"><a href="/a">Other story</a><span>Views: 12</span></div></div>
<aside><div class="item"><a href="/b">Popular story</a> <span class="views">99</span></div></aside>
<article><h1>Headline</h1><p>` + strings.Repeat("Running text of the article itself. ", 20) + `</p>
<footer class="meta"><span>Baxış sayı:</span> <b>406</b></footer></article>
<footer>Views: 5</footer></body></html>`
	doc, err := parseHTML([]byte(page))
	if err != nil {
		t.Fatal(err)
	}
	m := readMeta(doc, nil)
	if m.Views == nil || *m.Views != 406 {
		t.Fatalf("views = %v, want 406", m.Views)
	}
}

func TestOutboundLinks(t *testing.T) {
	page, _ := url.Parse("https://caliber.az/en/post/story#top")
	got := outboundLinks([]string{
		"/en/post/other-story", "https://caliber.az/en/post/story", "#comments", "mailto:desk@caliber.az",
		"https://www.facebook.com/sharer/sharer.php?u=x", "https://caliber.az/tag/caspian", "/", "javascript:void(0)",
		"https://www.reuters.com/world/asia/some-report-2025-02-21/", "/en/post/other-story#p2",
	}, page, 10)
	want := []string{"https://caliber.az/en/post/other-story", "https://www.reuters.com/world/asia/some-report-2025-02-21/"}
	if !slices.Equal(got, want) {
		t.Errorf("links = %q, want %q", got, want)
	}
}

func TestTruncatedHeadline(t *testing.T) {
	full := "Baku and the Middle Corridor: why freight is moving south, and what it means for the ports of the Caspian region"
	page := `<html><head><meta property="og:title" content="` + full + `">
<script type="application/ld+json">{"@type":"NewsArticle","headline":"Baku and the Middle Corridor: why freight is moving south, and what it means for the ports…"}</script></head><body></body></html>`
	doc, _ := parseHTML([]byte(page))
	if m := readMeta(doc, nil); m.Title != full {
		t.Errorf("title = %q, want the untruncated og:title", m.Title)
	}
}

// Yoast-style JSON-LD names the author and publisher by "@id" references
// into the @graph.
func TestJSONLDGraphReferences(t *testing.T) {
	page := `<html><head><script type="application/ld+json">{"@context":"https://schema.org","@graph":[
{"@type":"Organization","@id":"https://apa.az/#organization","name":"APA"},
{"@type":"Person","@id":"https://apa.az/#/schema/person/1","name":"Rəşad Süleymanov"},
{"@type":"NewsArticle","@id":"https://apa.az/x#article","headline":"Başlıq","articleSection":["Siyasət"],
 "author":{"@id":"https://apa.az/#/schema/person/1"},"publisher":{"@id":"https://apa.az/#organization"}}]}</script></head><body></body></html>`
	doc, _ := parseHTML([]byte(page))
	m := readMeta(doc, nil)
	if len(m.Authors) != 1 || m.Authors[0] != "Rəşad Süleymanov" || m.Section != "Siyasət" || m.Title != "Başlıq" {
		t.Errorf("authors %q section %q title %q", m.Authors, m.Section, m.Title)
	}
	if len(m.orgNames) == 0 || m.orgNames[0] != "APA" {
		t.Errorf("publisher not resolved: %q", m.orgNames)
	}
}

// A category label of a teaser above the article is not the article's
// section.
func TestSectionLabelScope(t *testing.T) {
	page := `<html><body><div class="breaking"><div class="card"><span class="category">Sport</span><a href="/s/1">Match report</a></div></div>
<article><span class="post-category">Economy</span><h1>Headline</h1><p>` + strings.Repeat("Running text of the article. ", 20) + `</p></article></body></html>`
	doc, _ := parseHTML([]byte(page))
	if m := readMeta(doc, nil); m.Section != "Economy" {
		t.Errorf("section = %q, want Economy", m.Section)
	}
}

func TestAuthors(t *testing.T) {
	site, _ := url.Parse("https://coastalherald.example.com/x")
	for _, c := range []struct {
		byline string
		want   []string
	}{
		{"By Leyla Mammadova and Tom Fisher, The Coastal Herald", []string{"Leyla Mammadova", "Tom Fisher"}},
		{"Müəllif: Nigar Əliyeva", []string{"Nigar Əliyeva"}},
		{"Автор: Анна Смирнова и Иван Петров", []string{"Анна Смирнова", "Иван Петров"}},
		{"by Jeff Foust Monday, November 18, 2019", []string{"Jeff Foust"}},
		{"Ilana Muhlstein, MS, RDN", []string{"Ilana Muhlstein"}},
		{"TOM KRISHER, AP Auto Writer", []string{"TOM KRISHER"}},
		{"Staff Reports", nil},
		{"admin", nil},
		{"https://www.facebook.com/someone", nil},
		{"Coastal Herald", nil},
		{"Marcus De Guzman", []string{"Marcus De Guzman"}},
	} {
		got := cleanAuthors(splitAuthors(c.byline), []string{"The Coastal Herald"}, site)
		if !slices.Equal(got, c.want) {
			t.Errorf("%q -> %q, want %q", c.byline, got, c.want)
		}
	}
}

func TestRejectsNonHTML(t *testing.T) {
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 64)...)
	for name, body := range map[string][]byte{
		"empty":  nil,
		"png":    png,
		"binary": {0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0},
		"pdf":    []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"),
		"text":   []byte("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n"),
	} {
		_, err := New().Extract(context.Background(), Input{URL: "https://caliber.az/en/post/x", Outlet: "caliber", Body: body})
		if !errors.Is(err, ErrNotArticle) {
			t.Errorf("%s: err = %v, want ErrNotArticle", name, err)
		}
	}
}
