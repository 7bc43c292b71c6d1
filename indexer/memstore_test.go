package indexer_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/store"
)

// memStore is an in-memory store.Store for the indexer tests. Hooks make
// it fail in the ways real backends do.
type memStore struct {
	mu       sync.Mutex
	arts     map[string]article.Article
	writes   map[string]int // successful writes per ID (no-ops excluded)
	attempts map[string]int // Put calls that included the ID
	puts     int
	closed   bool

	// itemErr, when set, fails single items (reported in a BatchError).
	itemErr func(a article.Article, attempt int) error
	// batchErr, when set, fails a whole Put (nothing stored).
	batchErr func(arts []*article.Article) error
	// pingErr, when set, is returned by Ping.
	pingErr func() error
	// onPut, when set, runs at the start of every Put, outside the lock.
	onPut func(ctx context.Context, arts []*article.Article) error
}

var _ store.Store = (*memStore)(nil)

func newMemStore() *memStore {
	return &memStore{arts: map[string]article.Article{}, writes: map[string]int{}, attempts: map[string]int{}}
}

func (s *memStore) Put(ctx context.Context, arts []*article.Article) error {
	if s.onPut != nil {
		if err := s.onPut(ctx, arts); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return store.ErrClosed
	}
	s.puts++
	inPut := map[string]bool{}
	for _, a := range arts {
		if !inPut[a.ID] {
			inPut[a.ID] = true
			s.attempts[a.ID]++
		}
	}
	if s.batchErr != nil {
		if err := s.batchErr(arts); err != nil {
			return err
		}
	}
	failed := map[int]error{}
	for i, a := range arts {
		if s.itemErr != nil {
			if err := s.itemErr(*a, s.attempts[a.ID]); err != nil {
				failed[i] = err
				continue
			}
		}
		old, ok := s.arts[a.ID]
		if ok && (old.ContentHash == a.ContentHash || old.Newer(a)) {
			continue
		}
		s.arts[a.ID] = *a
		s.writes[a.ID]++
	}
	if len(failed) > 0 {
		return &store.BatchError{Failed: failed}
	}
	return nil
}

func (s *memStore) Get(_ context.Context, id string) (*store.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.arts[id]
	if !ok {
		return nil, fmt.Errorf("%s: %w", id, store.ErrNotFound)
	}
	return &store.Record{Article: a, Versions: []store.Version{{Version: a.Version, ContentHash: a.ContentHash, FetchedAt: a.FetchedAt, Title: a.Title}}}, nil
}

// Search supports only listing: any text or filter is a bad query here.
func (s *memStore) Search(_ context.Context, q store.Query) (*store.Result, error) {
	if q.Text != "" || len(q.Outlets) > 0 || len(q.Langs) > 0 || q.Size < 0 || q.Size > store.MaxSize {
		return nil, fmt.Errorf("memstore lists only: %w", store.ErrBadQuery)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.arts))
	for id := range s.arts {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	res := &store.Result{Total: int64(len(ids))}
	for _, id := range ids[:min(q.Size, len(ids))] {
		res.Hits = append(res.Hits, store.Hit{ID: id, Article: s.arts[id]})
	}
	return res, nil
}

// Aggregate supports only the total of a listing, like Search.
func (s *memStore) Aggregate(ctx context.Context, q store.Query, a store.Aggregations) (*store.AggregationResult, error) {
	if a.Histogram != nil || len(a.Top) > 0 {
		return nil, fmt.Errorf("memstore counts only: %w", store.ErrBadQuery)
	}
	r, err := s.Search(ctx, store.Query{Text: q.Text, Outlets: q.Outlets, Langs: q.Langs})
	if err != nil {
		return nil, err
	}
	return &store.AggregationResult{Total: r.Total}, nil
}

// Scan lists every article, by ID, like Search.
func (s *memStore) Scan(ctx context.Context, q store.Query, fn func(*article.Article) error) error {
	r, err := s.Search(ctx, store.Query{Text: q.Text, Outlets: q.Outlets, Langs: q.Langs, Size: store.MaxSize})
	if err != nil {
		return err
	}
	if r.Total > int64(len(r.Hits)) {
		return fmt.Errorf("memstore scans at most %d articles: %w", store.MaxSize, store.ErrBadQuery)
	}
	for i := range r.Hits {
		if err := fn(&r.Hits[i].Article); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// ScanJSON is Scan with each article as JSON.
func (s *memStore) ScanJSON(ctx context.Context, q store.Query, fn func([]byte) error) error {
	return s.Scan(ctx, q, func(a *article.Article) error {
		b, err := json.Marshal(a)
		if err != nil {
			return err
		}
		return fn(b)
	})
}

func (s *memStore) Ping(context.Context) error {
	if s.pingErr != nil {
		return s.pingErr()
	}
	return nil
}

func (s *memStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

func (s *memStore) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.arts)
}

// check verifies that the store holds exactly the IDs in want, each
// written exactly once when once is set.
func (s *memStore) check(want map[string]bool, once bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.arts) != len(want) {
		return fmt.Errorf("store has %d articles, want %d", len(s.arts), len(want))
	}
	for id := range want {
		if _, ok := s.arts[id]; !ok {
			return fmt.Errorf("article %s missing", id)
		}
		if once && s.writes[id] != 1 {
			return fmt.Errorf("article %s written %d times", id, s.writes[id])
		}
	}
	return nil
}

var errBoom = errors.New("boom")
