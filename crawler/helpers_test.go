package crawler

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html/charset"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/crawler/extract"
)

// memSink records published articles.
type memSink struct {
	mu       sync.Mutex
	byID     map[string]*article.Article
	calls    int
	failNext int // fail this many publishes first
}

func newMemSink() *memSink { return &memSink{byID: map[string]*article.Article{}} }

func (s *memSink) Publish(ctx context.Context, a *article.Article) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	s.calls++
	if s.failNext > 0 {
		s.failNext--
		return fmt.Errorf("sink unavailable")
	}
	s.byID[a.ID] = a
	return nil
}

func (s *memSink) articles() map[string]*article.Article {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]*article.Article, len(s.byID))
	for k, v := range s.byID {
		out[k] = v
	}
	return out
}

func (s *memSink) byURL() map[string]*article.Article {
	out := map[string]*article.Article{}
	for _, a := range s.articles() {
		out[a.CanonicalURL] = a
	}
	return out
}

// fixture is a small outlet on loopback: robots.txt, an RSS feed, a
// sitemap index with a plain and a gzipped child, a sitemap listed only in
// robots.txt, paginated listings, a disallowed path, tracking-parameter
// variants, an AMP twin with rel=canonical and one article answering 429
// first.
type fixture struct {
	srv *httptest.Server

	mu       sync.Mutex
	hits     map[string]int // path?query -> requests
	agents   map[string]bool
	inFlight atomic.Int32
	maxIn    atomic.Int32
	flaky    int // 429s (Retry-After: 1) left for the flaky article
	delay    time.Duration
}

// fixtureArticles are the article IDs the fixture publishes.
var fixtureArticles = func() []int {
	var ids []int
	for i := 10001; i <= 10029; i++ {
		ids = append(ids, i)
	}
	return ids
}()

func articlePath(id int) string { return fmt.Sprintf("/news/%d-the-story-of-number-%d", id, id) }

func newFixture(t *testing.T) *fixture {
	f := &fixture{hits: map[string]int{}, agents: map[string]bool{}}
	mux := http.NewServeMux()
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.URL.Path
		if r.URL.RawQuery != "" {
			key += "?" + r.URL.RawQuery
		}
		f.mu.Lock()
		f.hits[key]++
		f.agents[r.UserAgent()] = true
		delay := f.delay
		f.mu.Unlock()
		n := f.inFlight.Add(1)
		defer f.inFlight.Add(-1)
		for {
			m := f.maxIn.Load()
			if n <= m || f.maxIn.CompareAndSwap(m, n) {
				break
			}
		}
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	base := f.srv.URL
	mux.HandleFunc("/robots.txt", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "User-agent: *\nDisallow: /private/\n\nSitemap: %s/sitemap-extra.xml\n", base)
	})
	mux.HandleFunc("/rss.xml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		var b strings.Builder
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Fixture</title>`)
		for i, id := range fixtureArticles[:5] {
			link := base + articlePath(id)
			if i == 0 {
				link += "?utm_source=rss&amp;utm_medium=feed"
			}
			fmt.Fprintf(&b, `<item><title>Story %d</title><link>%s</link><pubDate>Fri, 21 Feb 2025 14:%02d:00 +0000</pubDate></item>`, id, link, i)
		}
		b.WriteString(`</channel></rss>`)
		w.Write([]byte(b.String()))
	})
	urlset := func(ids []int, extra string) string {
		var b strings.Builder
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9" xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">`)
		for _, id := range ids {
			fmt.Fprintf(&b, `<url><loc>%s%s</loc><lastmod>2025-02-21</lastmod><image:image><image:loc>%s/img/%d.jpg</image:loc></image:image>
<news:news><news:publication><news:name>Fixture</news:name><news:language>en</news:language></news:publication><news:publication_date>2025-02-21T18:17:00+04:00</news:publication_date><news:title>Story %d</news:title></news:news></url>`, base, articlePath(id), base, id, id)
		}
		b.WriteString(extra)
		b.WriteString(`</urlset>`)
		return b.String()
	}
	mux.HandleFunc("/sitemap_index.xml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>%s/sitemap-1.xml</loc><lastmod>2025-02-21T18:17:00+04:00</lastmod></sitemap>
<sitemap><loc>%s/sitemap-2.xml.gz</loc></sitemap></sitemapindex>`, base, base)
	})
	mux.HandleFunc("/sitemap-1.xml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		w.Write([]byte(urlset(fixtureArticles[5:10], "")))
	})
	mux.HandleFunc("/sitemap-2.xml.gz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write([]byte(urlset(fixtureArticles[10:15], "")))
		zw.Close()
		w.Write(buf.Bytes())
	})
	mux.HandleFunc("/sitemap-extra.xml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		extra := fmt.Sprintf(`<url><loc>%s%s?fbclid=abc123</loc></url>`, base, articlePath(fixtureArticles[0]))
		w.Write([]byte(urlset(fixtureArticles[27:29], extra)))
	})
	mux.HandleFunc("/news", func(w http.ResponseWriter, r *http.Request) {
		page := r.URL.Query().Get("page")
		var ids []int
		next := ""
		switch page {
		case "", "1":
			ids, next = fixtureArticles[15:20], "/news?page=2"
		case "2":
			ids, next = fixtureArticles[20:25], "/news?page=3"
		case "3":
			ids = fixtureArticles[25:27]
		default:
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		var b strings.Builder
		b.WriteString(`<html><head><title>News</title>`)
		if next != "" {
			fmt.Fprintf(&b, `<link rel="next" href="%s">`, next)
		}
		b.WriteString(`</head><body><nav><a href="/">Home</a> <a href="/tag/politics">Politics</a> <a href="/author/jane">Jane</a></nav><ul>`)
		for _, id := range ids {
			fmt.Fprintf(&b, `<li><a href="%s">Story %d</a></li>`, articlePath(id), id)
		}
		// Links every listing page carries: the first feed article
		// (plain), the AMP twin of the last article, a disallowed page.
		fmt.Fprintf(&b, `<li><a href="%s#comments">again</a></li>`, articlePath(fixtureArticles[0]))
		fmt.Fprintf(&b, `<li><a href="/amp%s">amp</a></li>`, articlePath(fixtureArticles[28]))
		b.WriteString(`<li><a href="/private/news/99999-the-secret-story-page">secret</a></li></ul>`)
		if next != "" {
			fmt.Fprintf(&b, `<div class="pagination"><a href="%s">Next</a></div>`, next)
		}
		b.WriteString(`</body></html>`)
		w.Write([]byte(b.String()))
	})
	articleHandler := func(w http.ResponseWriter, r *http.Request) {
		p := strings.TrimPrefix(r.URL.Path, "/amp")
		var id int
		if _, err := fmt.Sscanf(p, "/news/%d-", &id); err != nil || id < fixtureArticles[0] || id > fixtureArticles[len(fixtureArticles)-1] {
			http.NotFound(w, r)
			return
		}
		if id == fixtureArticles[7] {
			f.mu.Lock()
			flaky := f.flaky > 0
			if flaky {
				f.flaky--
			}
			f.mu.Unlock()
			if flaky {
				w.Header().Set("Retry-After", "1")
				http.Error(w, "slow down", http.StatusTooManyRequests)
				return
			}
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<html><head><title>Story %d</title><link rel="canonical" href="%s%s"></head>
<body><header><a href="/">Fixture News</a></header><h1>Story %d</h1><article>
<p>Body of story %d. The city council met on Thursday evening to discuss the new budget for road repairs, school buildings and the public library, which has been closed for renovation since the spring.</p>
<p>Council members disagreed about how much money should go to each project. Several residents spoke during the public session and asked for more transparency about the contracts that were signed last year.</p>
<p>A final vote on the budget is expected next month, after a second round of hearings in every district of the city.</p>
</article><footer>© Fixture News</footer></body></html>`, id, base, articlePath(id), id, id)
	}
	mux.HandleFunc("/news/", articleHandler)
	mux.HandleFunc("/amp/news/", articleHandler)
	mux.HandleFunc("/private/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<html><body><h1>Secret</h1><article><p>Nobody should fetch this.</p></article></body></html>`)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, `<html><body><a href="/news">News</a></body></html>`)
	})
	return f
}

func (f *fixture) hitsFor(prefix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for k, v := range f.hits {
		if strings.HasPrefix(k, prefix) {
			n += v
		}
	}
	return n
}

// config returns an outlet config for the fixture with no delays.
func (f *fixture) config() *Config {
	fetch := DefaultFetch()
	fetch.Rate = Rate{Parallelism: 4}
	fetch.Retry.Backoff = 10 * time.Millisecond
	fetch.UserAgent = "newswatch-test/1.0"
	return &Config{Outlets: []OutletConfig{{
		ID:             "fixture",
		BaseURL:        f.srv.URL + "/",
		Timezone:       "Asia/Baku",
		Feeds:          []string{f.srv.URL + "/rss.xml"},
		Sitemaps:       []string{f.srv.URL + "/sitemap_index.xml"},
		Listings:       []string{f.srv.URL + "/news"},
		RobotsSitemaps: true,
		Fetch:          fetch,
	}}}
}

// fakeExtract is a small stand-in for the extractor: title from <h1>,
// body from the <p> elements outside header/footer/aside, canonical from
// rel=canonical, charset from the header or <meta>. Pages without both
// are not articles.
func fakeExtract(ctx context.Context, in extract.Input) (*article.Article, error) {
	rd, err := charset.NewReader(bytes.NewReader(in.Body), in.Header.Get("Content-Type"))
	if err != nil {
		return nil, err
	}
	doc, err := goquery.NewDocumentFromReader(rd)
	if err != nil {
		return nil, err
	}
	a := &article.Article{URL: in.URL, Outlet: in.Outlet, FetchedAt: in.FetchedAt}
	a.Title = strings.TrimSpace(doc.Find("h1").First().Text())
	var paras []string
	doc.Find("p").Each(func(_ int, s *goquery.Selection) {
		if s.ParentsFiltered("footer, #footer, .footer, aside, header, .news-card, .news-list, .news-table").Length() > 0 {
			return
		}
		if t := strings.Join(strings.Fields(s.Text()), " "); t != "" {
			paras = append(paras, t)
		}
	})
	if a.Title == "" || len(paras) < 2 {
		return nil, extract.ErrNotArticle
	}
	a.Body = strings.Join(paras, "\n\n")
	canon, _ := doc.Find(`link[rel="canonical"]`).Attr("href")
	if a.CanonicalURL, err = article.ResolveCanonical(in.URL, canon); err != nil {
		return nil, err
	}
	if err := a.Finalize(); err != nil {
		return nil, err
	}
	return a, nil
}
