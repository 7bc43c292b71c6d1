package elastic

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8/esapi"
	"go.uber.org/zap/zaptest"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/bus/bustest"
	"github.com/newswatch/newswatch/indexer"
	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/bleve"
	"github.com/newswatch/newswatch/store/storetest"
)

func mustPut(t *testing.T, s store.Store, arts ...*article.Article) {
	t.Helper()
	if err := s.Put(context.Background(), arts); err != nil {
		t.Fatalf("Put: %v", err)
	}
}

// nextVersion is a's next version with new body text.
func nextVersion(t *testing.T, a *article.Article, body string) *article.Article {
	t.Helper()
	b := *a
	b.Body = body
	b.Version = a.Version + 1
	b.FetchedAt = a.FetchedAt.Add(time.Hour)
	b.ContentHash = article.ComputeContentHash(&b)
	return &b
}

// TestEngineRefusesOlderVersion: the engine itself (version_type=external)
// refuses to replace a newer version with an older one, whoever writes it:
// the store, or a raw bulk request that skips the store's merge.
func TestEngineRefusesOlderVersion(t *testing.T) {
	s := openTest(t, testConfig(t))
	defer s.Close()
	ctx := context.Background()
	v1 := storetest.Fixtures(t)[0]
	v2 := nextVersion(t, v1, v1.Body+"\n\nUpdate: okapi")
	mustPut(t, s, v2)
	mustPut(t, s, v1) // the older one after the newer one

	rec, err := s.Get(ctx, v1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Article.ContentHash != v2.ContentHash || len(rec.Versions) != 2 {
		t.Fatalf("after v2 then v1: article %s with %d versions, want v2 with 2", rec.Article.ContentHash, len(rec.Versions))
	}

	// A raw write of v1 (with v1's own external version) that bypasses the
	// store's merge: the engine answers 409 and keeps v2.
	hist := &store.History{}
	hist.Add(v1)
	raw := newDocument(hist)
	body, _ := json.Marshal(raw)
	res, err := esapi.IndexRequest{
		Index: writeAlias(s.cfg), DocumentID: v1.ID, Body: bytes.NewReader(body),
		Version: ptr(int(externalVersion(hist))), VersionType: "external", Refresh: "true",
	}.Do(ctx, s.es)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusConflict {
		t.Fatalf("raw write of the older version: status %d, want 409", res.StatusCode)
	}
	rec, err = s.Get(ctx, v1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Article.ContentHash != v2.ContentHash {
		t.Errorf("the engine let an older version replace the newer one")
	}
	r, err := s.Search(ctx, store.Query{Text: "okapi", Size: 10})
	if err != nil || r.Total != 1 {
		t.Errorf("search for v2's word: %v, %+v", err, r)
	}
}

// TestSameBehaviourAsBleve: inflections, case and diacritic folding find
// the same articles in the engine as in Bleve.
func TestSameBehaviourAsBleve(t *testing.T) {
	es := openTest(t, testConfig(t))
	defer es.Close()
	bl, err := bleve.Open(t.TempDir(), bleve.Options{}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer bl.Close()
	arts := storetest.Fixtures(t)
	mustPut(t, es, arts...)
	mustPut(t, bl, arts...)
	found := 0
	for _, q := range []string{
		// Russian inflections (stemming)
		"переговоров", "переговорам", "министра", "нефти", "ценами", "баррелей", "встреча",
		// English inflections
		"forums", "hosted", "ministers", "export", "celebrating", "winning", "expected",
		// Azerbaijani suffixes and letters
		"Şuşa", "şuşa", "Qarabağda", "Azərbaycanın", "Azərbaycan", "neftin", "qiyməti", "bərpa", "ILHAM", "İLHAM", "ilham", "ıŞıQLANDIRMA",
		// without diacritics
		"Qarabag", "Susa", "Suşa", "Eliyev", "secki", "olke", "gelirleri",
		// Cyrillic letters are not Latin diacritics
		"переговорьі", "ёлка",
		// prefixes and phrases
		"переговор*", "Azərb*", "qiym*", `"Şuşa şəhərində"`, `"şuşa şəhərində"`, `"SUSA"`,
	} {
		got, want := hitIDs(t, es, q), hitIDs(t, bl, q)
		if got != want {
			t.Errorf("%q: engine finds [%s], Bleve [%s]", q, got, want)
		}
		if got != "" {
			found++
		}
	}
	// Most of them find something: the comparison is not of empty results.
	if found < 30 {
		t.Errorf("only %d queries found anything", found)
	}
}

func hitIDs(t *testing.T, s store.Store, text string) string {
	t.Helper()
	r, err := s.Search(context.Background(), store.Query{Text: text, Size: store.MaxSize})
	if err != nil {
		t.Fatalf("Search(%q): %v", text, err)
	}
	ids := make([]string, 0, len(r.Hits))
	for _, h := range r.Hits {
		ids = append(ids, h.Article.URL)
	}
	sort.Strings(ids)
	return strings.Join(ids, " ")
}

// TestRolloverKeepsOneCopy: after a rollover new articles go to the new
// index and new versions of old ones stay in the index that holds them.
func TestRolloverKeepsOneCopy(t *testing.T) {
	cfg := testConfig(t)
	cfg.RolloverDocs = 2
	s := openTest(t, cfg)
	defer s.Close()
	ctx := context.Background()
	arts := storetest.Fixtures(t)
	mustPut(t, s, arts[0], arts[1])
	rolled, err := s.Rollover(ctx)
	if err != nil || !rolled {
		t.Fatalf("Rollover = %v, %v; want a new index", rolled, err)
	}
	v2 := nextVersion(t, arts[0], arts[0].Body+"\n\nUpdate: lynx")
	mustPut(t, s, v2, arts[2])
	idx, err := s.indices(ctx)
	if err != nil || len(idx) != 2 {
		t.Fatalf("indices %v, %v; want 2", idx, err)
	}
	r, err := s.Search(ctx, store.Query{Size: store.MaxSize})
	if err != nil || r.Total != 3 {
		t.Fatalf("total after rollover = %+v, %v; want 3", r, err)
	}
	rec, err := s.Get(ctx, arts[0].ID)
	if err != nil || rec.Article.ContentHash != v2.ContentHash || len(rec.Versions) != 2 {
		t.Fatalf("Get after rollover: %+v, %v", rec, err)
	}
	cur, err := s.load(ctx, []string{arts[0].ID, arts[2].ID})
	if err != nil {
		t.Fatal(err)
	}
	if cur[arts[0].ID].index == cur[arts[2].ID].index {
		t.Errorf("old article moved to the new index %s", cur[arts[0].ID].index)
	}
}

func TestDeleteBefore(t *testing.T) {
	s := openTest(t, testConfig(t))
	defer s.Close()
	ctx := context.Background()
	arts := storetest.Fixtures(t)
	mustPut(t, s, arts...)
	cut := time.Date(2025, 2, 20, 0, 0, 0, 0, time.UTC)
	var want int64
	for _, a := range arts {
		if a.PublishedAt.Before(cut) {
			want++
		}
	}
	n, err := s.DeleteBefore(ctx, cut)
	if err != nil || n != want || want == 0 {
		t.Fatalf("DeleteBefore = %d, %v; want %d", n, err, want)
	}
	r, err := s.Search(ctx, store.Query{From: ptr(time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)), To: &cut})
	if err != nil || r.Total != 0 {
		t.Errorf("articles before the cut left: %+v, %v", r, err)
	}
	if r, _ := s.Search(ctx, store.Query{}); r == nil || r.Total != int64(len(arts))-want {
		t.Errorf("total after retention = %+v", r)
	}
}

// TestScanIsConsistent: a scan runs over a point in time: articles stored
// while it runs are not delivered, every article there at its start is,
// once.
func TestScanIsConsistent(t *testing.T) {
	s := openTest(t, testConfig(t))
	defer s.Close()
	ctx := context.Background()
	var arts []*article.Article
	for i := range 1200 {
		a := &article.Article{
			URL: fmt.Sprintf("https://scan.example/a/%04d", i), Outlet: "scan", Language: "en",
			Title: fmt.Sprintf("Scan %d", i), Body: "scan body", FetchedAt: time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i%50) * time.Hour),
		}
		if err := a.Finalize(); err != nil {
			t.Fatal(err)
		}
		arts = append(arts, a)
	}
	mustPut(t, s, arts...)
	seen := map[string]int{}
	added := false
	err := s.Scan(ctx, store.Query{Text: "scan"}, func(a *article.Article) error {
		seen[a.ID]++
		if !added {
			added = true
			late := &article.Article{URL: "https://scan.example/late", Outlet: "scan", Title: "Scan late", Body: "scan late", FetchedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			if err := late.Finalize(); err != nil {
				return err
			}
			return s.Put(ctx, []*article.Article{late})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != len(arts) {
		t.Errorf("scan delivered %d articles, want %d", len(seen), len(arts))
	}
	for _, a := range arts {
		if seen[a.ID] != 1 {
			t.Fatalf("%s delivered %d times", a.URL, seen[a.ID])
		}
	}
}

// engineProxy is a reverse proxy to the test engine that can answer 429
// to bulk and search requests, or stop answering (closed listener).
type engineProxy struct {
	srv      *httptest.Server
	busyBulk atomic.Bool
	busyFind atomic.Bool
}

func newEngineProxy(t *testing.T) *engineProxy {
	target, err := url.Parse(engineURL(t))
	if err != nil {
		t.Fatal(err)
	}
	p := &engineProxy{}
	rp := httputil.NewSingleHostReverseProxy(target)
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if (p.busyBulk.Load() && strings.HasSuffix(r.URL.Path, "/_bulk")) ||
			(p.busyFind.Load() && strings.HasSuffix(r.URL.Path, "/_search")) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"error":{"type":"es_rejected_execution_exception","reason":"rejected execution (queue capacity 200)"},"status":429}`)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

// TestBackoff: a cluster answering 429 or gone gives typed, temporary
// errors that the indexer holds batches on; nothing is half-written and the
// same batch goes through once the cluster is back.
func TestBackoff(t *testing.T) {
	p := newEngineProxy(t)
	cfg := testConfig(t)
	cfg.Addresses = []string{p.srv.URL}
	cfg.MaxRetries = 2
	cfg.RetryBackoff = 10 * time.Millisecond
	s := openTest(t, cfg)
	defer s.Close()
	ctx := context.Background()
	arts := storetest.Fixtures(t)

	p.busyBulk.Store(true)
	err := s.Put(ctx, arts)
	var be *BackoffError
	if !errors.As(err, &be) || be.Status != http.StatusTooManyRequests || !errors.Is(err, ErrUnavailable) || !indexer.Temporary(err) {
		t.Fatalf("Put on a busy cluster = %v, want a temporary *BackoffError with status 429", err)
	}
	p.busyBulk.Store(false)
	mustPut(t, s, arts...)

	p.busyFind.Store(true)
	if _, err := s.Search(ctx, store.Query{Text: "Baku"}); !errors.Is(err, store.ErrBusy) {
		t.Errorf("Search on a busy cluster = %v, want ErrBusy", err)
	}
	p.busyFind.Store(false)
	if r, err := s.Search(ctx, store.Query{}); err != nil || r.Total != int64(len(arts)) {
		t.Errorf("after the cluster recovered: %+v, %v", r, err)
	}

	p.srv.Close() // gone
	start := time.Now()
	err = s.Put(ctx, arts[:1])
	if !errors.As(err, &be) || be.Status != 0 || !indexer.Temporary(err) {
		t.Errorf("Put on a gone cluster = %v, want an unreachable *BackoffError", err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("Put on a gone cluster took %s", d)
	}
	if err := s.Ping(ctx); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Ping on a gone cluster = %v", err)
	}
}

// TestOpenErrors: start-up failures are clean errors.
func TestOpenErrors(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	_, err = Open(ctx, Config{Addresses: []string{closed}, MaxRetries: 1, RetryBackoff: time.Millisecond}, zaptest.NewLogger(t))
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("Open(nothing listening) = %v, want ErrUnavailable", err)
	}
	for name, answer := range map[string]string{
		"elasticsearch 7": `{"version":{"number":"7.10.2"}}`,
		"opensearch 1":    `{"version":{"number":"1.3.0","distribution":"opensearch"}}`,
		"not a cluster":   `<html>hello</html>`,
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Elastic-Product", "Elasticsearch")
			fmt.Fprint(w, answer)
		}))
		_, err := Open(ctx, Config{Addresses: []string{srv.URL}}, zaptest.NewLogger(t))
		if !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: Open = %v, want ErrUnsupported", name, err)
		}
		srv.Close()
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer srv.Close()
	var re *ResponseError
	if _, err := Open(ctx, Config{Addresses: []string{srv.URL}}, zaptest.NewLogger(t)); !errors.As(err, &re) || re.Status != 401 {
		t.Errorf("Open(401) = %v, want a *ResponseError 401", err)
	}
	if _, err := Open(ctx, Config{}, nil); !errors.Is(err, ErrConfig) {
		t.Errorf("Open(no address) = %v", err)
	}
}

// TestRetentionLoop: with Config.Retention the maintenance loop deletes
// the articles dated before now-retention, and keeps the others.
func TestRetentionLoop(t *testing.T) {
	cfg := testConfig(t)
	cfg.Retention = 24 * time.Hour
	cfg.MaintainInterval = 200 * time.Millisecond
	s := openTest(t, cfg)
	defer s.Close()
	ctx := context.Background()
	old := storetest.Fixtures(t) // published in February 2025
	recent := &article.Article{URL: "https://apa.az/en/today", Outlet: "apa", Title: "Today", Body: "Fresh news from Baku.", FetchedAt: time.Now().UTC()}
	if err := recent.Finalize(); err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, append(old, recent)...)
	bustest.CheckFor(t, 30*time.Second, 100*time.Millisecond, func() error {
		r, err := s.Search(ctx, store.Query{Size: store.MaxSize})
		if err != nil {
			return err
		}
		if r.Total != 1 || r.Hits[0].ID != recent.ID {
			return fmt.Errorf("%d articles left, want only the recent one", r.Total)
		}
		return nil
	})
}
