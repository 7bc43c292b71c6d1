package storemetrics

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap/zaptest"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/bleve"
	"github.com/newswatch/newswatch/store/storetest"
)

// TestRecords: every call reaches the store and is counted by operation
// and result, with its latency.
func TestRecords(t *testing.T) {
	idx, err := bleve.Open(t.TempDir(), bleve.Options{}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	s, err := Wrap(idx, reg, "bleve")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	arts := storetest.Fixtures(t)
	if err := s.Put(ctx, arts); err != nil {
		t.Fatal(err)
	}
	if r, err := s.Search(ctx, store.Query{Text: "Baku", Size: 5}); err != nil || r.Total == 0 {
		t.Fatalf("search: %v", err)
	}
	if _, err := s.Search(ctx, store.Query{Text: `"open`}); !errors.Is(err, store.ErrBadQuery) {
		t.Fatalf("bad query: %v", err)
	}
	if _, err := s.Get(ctx, arts[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "00000000000000000000000000000000"); !errors.Is(err, store.ErrNotFound) {
		t.Fatal(err)
	}
	n := 0
	if err := s.ScanJSON(ctx, store.Query{}, func([]byte) error { n++; return nil }); err != nil || n != len(arts) {
		t.Fatalf("scan: %d, %v", n, err)
	}
	if err := s.Scan(ctx, store.Query{}, func(*article.Article) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Aggregate(ctx, store.Query{}, store.Aggregations{Top: []string{store.FacetLang}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		op, result string
		want       float64
	}{{"put", "ok", 1}, {"search", "ok", 1}, {"search", "bad_query", 1}, {"get", "ok", 1}, {"get", "not_found", 1},
		{"scan", "ok", 2}, {"aggregate", "ok", 1}, {"ping", "ok", 1}} {
		if got := testutil.ToFloat64(s.requests.WithLabelValues("bleve", tc.op, tc.result)); got != tc.want {
			t.Errorf("requests{op=%s,result=%s} = %g, want %g", tc.op, tc.result, got, tc.want)
		}
	}
	if got := testutil.ToFloat64(s.articles.WithLabelValues("bleve", "scan")); got != float64(2*len(arts)) {
		t.Errorf("scanned articles %g, want %d", got, 2*len(arts))
	}
	if got := testutil.ToFloat64(s.articles.WithLabelValues("bleve", "put")); got != float64(len(arts)) {
		t.Errorf("put articles %g, want %d", got, len(arts))
	}
	// A second wrapper on the same registry shares the metrics.
	s2, err := Wrap(idx, reg, "bleve")
	if err != nil {
		t.Fatal(err)
	}
	s2.Ping(ctx)
	if got := testutil.ToFloat64(s.requests.WithLabelValues("bleve", "ping", "ok")); got != 2 {
		t.Errorf("shared ping count %g, want 2", got)
	}
	cctx, cancel := context.WithTimeout(ctx, time.Nanosecond)
	defer cancel()
	time.Sleep(time.Millisecond)
	s.Search(cctx, store.Query{Text: "Baku"})
	if got := testutil.ToFloat64(s.requests.WithLabelValues("bleve", "search", "timeout")); got != 1 {
		t.Errorf("timed-out search counted %g times as timeout", got)
	}
}
