package api

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/newswatch/newswatch/api/keys"
	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/simsite"
	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/bleve"
)

// corpus is n simulated articles (simsite: az, ru and en news from six
// outlets), one every `every` back from the simulated site's base time,
// plus awkward ones: text with commas, quotes, CR, LF and a leading space,
// an article without a publication date (its fetch date counts), one
// without language, section or authors, and ones dated in 1900 and 2300.
func corpus(t testing.TB, n int, every time.Duration) []*article.Article {
	t.Helper()
	site, err := simsite.New(simsite.Config{Seed: 7, Articles: n, Outlets: simsite.DefaultOutlets, Interval: every})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range site.Outlets() {
		if err := site.SetBaseURL(o.ID, "https://"+o.ID+".corpus.example"); err != nil {
			t.Fatal(err)
		}
	}
	var out []*article.Article
	for _, a := range site.Articles() {
		s, err := a.Stored(a.PublishedAt.Add(3 * time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, &s)
	}
	baku := time.FixedZone("", 4*3600)
	at := func(y int, m time.Month, d, h int) *time.Time {
		v := time.Date(y, m, d, h, 17, 0, 0, baku)
		return &v
	}
	views := int64(0)
	odd := []article.Article{
		{URL: "https://odd.example/quotes", Outlet: "odd", Language: "en", Section: "Op-ed, \"quoted\"",
			Title: `Oil, gas and "Baku": a, b`, Lead: " leading space", Body: "Line one\nline two\r\nline three\n\n\"Quoted\", with commas, in Baku.",
			Authors: []string{"Doe, Jane", `A "B" C`}, Tags: []string{"neft,qaz", "x"}, PublishedAt: at(2025, 2, 20, 23), DateSource: article.DateSourceJSONLD,
			Views: &views, Links: []string{"https://odd.example/a?x=1,2"}},
		{URL: "https://odd.example/undated", Outlet: "odd", Title: "Undated note on Baku", Body: "No date on this page about Baku."},
		{URL: "https://odd.example/old", Outlet: "odd", Language: "ru", Title: "Баку в 1900 году", Body: "Старая заметка о Баку.", PublishedAt: at(1900, 1, 1, 0), DateSource: article.DateSourceText},
		{URL: "https://odd.example/future", Outlet: "odd", Language: "az", Title: "Bakı 2300", Body: "Gələcək haqqında Bakı.", PublishedAt: at(2300, 12, 31, 23), DateSource: article.DateSourceText},
	}
	fetched := time.Date(2025, 2, 21, 12, 0, 0, 123456789, time.UTC)
	for i := range odd {
		a := odd[i]
		a.FetchedAt = fetched
		if err := a.Finalize(); err != nil {
			t.Fatal(err)
		}
		out = append(out, &a)
	}
	return out
}

// newCorpusEnv serves a Bleve index holding arts.
func newCorpusEnv(t *testing.T, cfg Config, arts []*article.Article) *env {
	t.Helper()
	idx, err := bleve.Open(t.TempDir(), bleve.Options{}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	for i := 0; i < len(arts); i += 500 {
		if err := idx.Put(context.Background(), arts[i:min(i+500, len(arts))]); err != nil {
			t.Fatal(err)
		}
	}
	e := newEnvStore(t, cfg, idx)
	e.arts = arts
	return e
}

// newKeys makes a keys file with one key of each scope and returns the
// set and the keys by scope.
func newKeys(t *testing.T) (*keys.Set, map[keys.Scope]string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), keys.FileName)
	tokens := map[keys.Scope]string{}
	for _, sc := range keys.Scopes {
		tok, _, err := keys.Create(path, keys.NewOptions{Scope: sc, Name: string(sc) + " key"})
		if err != nil {
			t.Fatal(err)
		}
		tokens[sc] = tok
	}
	set, err := keys.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return set, tokens
}

// get sends a GET (or another method) with an API key ("" for none) and
// reads the whole answer.
func (e *env) get(t *testing.T, method, path, key string) (*http.Response, []byte) {
	t.Helper()
	auth := ""
	if key != "" {
		auth = "Bearer " + key
	}
	return send(t, method, e.srv.URL+path, auth)
}

// searchAll pages through a newest-first search of q and returns the IDs.
func searchAll(t *testing.T, st store.Store, q store.Query) []string {
	t.Helper()
	q.Sort, q.Size = store.SortNewest, store.MaxSize
	var ids []string
	for {
		r, err := st.Search(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range r.Hits {
			ids = append(ids, h.ID)
		}
		if r.NextCursor == "" {
			return ids
		}
		q.Cursor = r.NextCursor
	}
}

// send sends a request with the Authorization header as given ("": none)
// and reads the whole answer, trailers included.
func send(t *testing.T, method, u, authorization string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %.100s: %v", method, u, err)
	}
	return resp, body
}
