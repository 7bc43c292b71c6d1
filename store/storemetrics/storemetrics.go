// Package storemetrics counts and times what a process asks of its search
// store, as Prometheus metrics, by wrapping the store.Store it uses: the
// indexer's writes and the API's reads alike.
//
//	newswatch_store_requests_total{store,op,result}      calls by outcome
//	newswatch_store_request_duration_seconds{store,op}   their latency
//	newswatch_store_articles_total{store,op}             articles written (put) and delivered (scan)
//
// op is put, get, search, aggregate, scan, ping; result is ok, bad_query,
// too_costly, not_found, busy, timeout, canceled, closed or error.
package storemetrics

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/newswatch/newswatch/internal/promreg"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/store"
)

// Store is a store.Store that records its calls.
type Store struct {
	st       store.Store
	name     string
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	articles *prometheus.CounterVec
}

var _ store.Store = (*Store)(nil)

// Wrap returns st recording its calls on reg under the store label name
// (bleve, elastic). Wrapping several stores on one registry shares the
// metrics.
func Wrap(st store.Store, reg prometheus.Registerer, name string) (*Store, error) {
	s := &Store{st: st, name: name}
	var err error
	if s.requests, err = promreg.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "newswatch_store_requests_total",
		Help: "Calls to the search store, by operation and result.",
	}, []string{"store", "op", "result"})); err != nil {
		return nil, err
	}
	if s.duration, err = promreg.Register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "newswatch_store_request_duration_seconds",
		Help:    "Latency of calls to the search store, by operation (a scan: the whole scan).",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 120, 600},
	}, []string{"store", "op"})); err != nil {
		return nil, err
	}
	if s.articles, err = promreg.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "newswatch_store_articles_total",
		Help: "Articles handed to the store (put) and delivered by scans (scan).",
	}, []string{"store", "op"})); err != nil {
		return nil, err
	}
	return s, nil
}

// Unwrap returns the wrapped store.
func (s *Store) Unwrap() store.Store { return s.st }

// result names the outcome of a call.
func result(err error) string {
	var be *store.BatchError
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, store.ErrTooCostly):
		return "too_costly"
	case errors.Is(err, store.ErrBadQuery):
		return "bad_query"
	case errors.Is(err, store.ErrNotFound):
		return "not_found"
	case errors.Is(err, store.ErrBusy):
		return "busy"
	case errors.Is(err, store.ErrClosed):
		return "closed"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.As(err, &be):
		return "partial"
	}
	return "error"
}

func (s *Store) record(op string, start time.Time, err error) {
	s.requests.WithLabelValues(s.name, op, result(err)).Inc()
	s.duration.WithLabelValues(s.name, op).Observe(time.Since(start).Seconds())
}

func (s *Store) Put(ctx context.Context, arts []*article.Article) error {
	start := time.Now()
	err := s.st.Put(ctx, arts)
	s.record("put", start, err)
	s.articles.WithLabelValues(s.name, "put").Add(float64(len(arts)))
	return err
}

func (s *Store) Get(ctx context.Context, id string) (*store.Record, error) {
	start := time.Now()
	r, err := s.st.Get(ctx, id)
	s.record("get", start, err)
	return r, err
}

func (s *Store) Search(ctx context.Context, q store.Query) (*store.Result, error) {
	start := time.Now()
	r, err := s.st.Search(ctx, q)
	s.record("search", start, err)
	return r, err
}

func (s *Store) Aggregate(ctx context.Context, q store.Query, a store.Aggregations) (*store.AggregationResult, error) {
	start := time.Now()
	r, err := s.st.Aggregate(ctx, q, a)
	s.record("aggregate", start, err)
	return r, err
}

func (s *Store) Scan(ctx context.Context, q store.Query, fn func(*article.Article) error) error {
	start := time.Now()
	var n int64
	err := s.st.Scan(ctx, q, func(a *article.Article) error {
		n++
		return fn(a)
	})
	s.record("scan", start, err)
	s.articles.WithLabelValues(s.name, "scan").Add(float64(n))
	return err
}

func (s *Store) ScanJSON(ctx context.Context, q store.Query, fn func([]byte) error) error {
	start := time.Now()
	var n int64
	err := s.st.ScanJSON(ctx, q, func(doc []byte) error {
		n++
		return fn(doc)
	})
	s.record("scan", start, err)
	s.articles.WithLabelValues(s.name, "scan").Add(float64(n))
	return err
}

func (s *Store) Ping(ctx context.Context) error {
	start := time.Now()
	err := s.st.Ping(ctx)
	s.record("ping", start, err)
	return err
}

func (s *Store) Close() error { return s.st.Close() }
