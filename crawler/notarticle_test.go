package crawler

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/zap/zaptest"

	"github.com/newswatch/newswatch/crawler/extract"
)

// A page without article text (a shell that scripts fill in) is counted as
// not an article and not published, although the extractor finds its title
// and date (what `newswatch extract` shows with a warning).
func TestCrawlDoesNotPublishNotArticles(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	mux.HandleFunc("/rss.xml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Shells</title>
<item><title>Story</title><link>%[1]s/news/1-the-story</link></item>
<item><title>Shell</title><link>%[1]s/news/2-the-shell</link></item></channel></rss>`, srv.URL)
	})
	mux.HandleFunc("/news/1-the-story", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<html><head><title>The story</title></head><body><article><h1>The story</h1>
<p>The city council met on Thursday evening to discuss the new budget for road repairs, school buildings and the public library, which has been closed since the spring.</p>
<p>Council members disagreed about how much money should go to each project, and several residents asked for more transparency about last year's contracts.</p>
</article></body></html>`)
	})
	mux.HandleFunc("/news/2-the-shell", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<html><head><title>The shell</title><meta property="article:published_time" content="2025-02-21T18:17:00+04:00"></head>
<body><div id="root"></div><script src="/app.js"></script></body></html>`)
	})
	cfg := &Config{Outlets: []OutletConfig{{ID: "shells", BaseURL: srv.URL, Timezone: "Asia/Baku", Feeds: []string{srv.URL + "/rss.xml"}}}}
	sink := newMemSink()
	c, err := New(cfg, extract.New(), sink, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.Crawl(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := sink.articles()
	if len(got) != 1 || st.NotArticles != 1 {
		t.Fatalf("published %d, not articles %d; want 1 and 1 (stats %+v)", len(got), st.NotArticles, st)
	}
	for _, a := range got {
		if !strings.Contains(a.Body, "city council") {
			t.Errorf("published %q, want the story", a.Title)
		}
	}
}
