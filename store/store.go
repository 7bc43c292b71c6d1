// Package store defines the search store that the indexer writes articles
// into and the API reads from. Backends live in store/bleve (embedded, the
// default) and store/elastic (production); every backend must pass the
// conformance suite in store/storetest.
package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/newswatch/newswatch/article"
)

// Sentinel errors. Backends wrap them with %w so callers can test with
// errors.Is.
var (
	// ErrNotFound: no article with that ID.
	ErrNotFound = errors.New("article not found")
	// ErrBadQuery: the query (its text, a filter, the cursor or a size) is
	// malformed; the caller should fix it. The API maps it to 400.
	ErrBadQuery = errors.New("bad query")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("store closed")
)

// Sort orders for Query.Sort.
const (
	SortRelevance = "relevance" // default: score, then newest
	SortNewest    = "newest"    // published_at descending
	SortOldest    = "oldest"    // published_at ascending
)

// MaxSize is the largest page a Search returns.
const MaxSize = 100

// Query selects articles. The zero Query matches every article.
type Query struct {
	Text     string     // user query text; syntax in package store/query
	Outlets  []string   // any of these outlet IDs
	Langs    []string   // any of these languages
	Sections []string   // any of these sections
	Authors  []string   // any of these authors
	From     *time.Time // published_at >= From
	To       *time.Time // published_at < To
	Sort     string     // SortRelevance (default), SortNewest, SortOldest
	Size     int        // hits per page, 0..MaxSize; 0 returns only the total
	Cursor   string     // NextCursor of the previous page; opaque
}

// Hit is one matching article.
type Hit struct {
	ID         string              `json:"id"`
	Score      float64             `json:"score"`
	Article    article.Article     `json:"article"`
	Highlights map[string][]string `json:"highlights,omitempty"`
}

// Result is one page of a search.
type Result struct {
	Total      int64  `json:"total"`
	Hits       []Hit  `json:"hits"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// Version is one stored version of an article, oldest first in Record.
type Version struct {
	Version     int       `json:"version"`
	ContentHash string    `json:"content_hash"`
	FetchedAt   time.Time `json:"fetched_at"`
	Title       string    `json:"title,omitempty"`
}

// Record is an article (its newest version) with the history of versions.
type Record struct {
	Article  article.Article `json:"article"`
	Versions []Version       `json:"versions"`
}

// Store is a search store. Implementations are safe for concurrent use.
type Store interface {
	// Put stores a batch. Writes are idempotent (same ID and content hash
	// is a no-op) and never replace a newer version with an older one
	// (article.Article.Newer). It returns nil when every article is stored;
	// a *BatchError when only some failed (the others are stored); any
	// other error means none can be assumed stored.
	Put(ctx context.Context, arts []article.Article) error
	// Get returns the article with that ID and its versions, or ErrNotFound.
	Get(ctx context.Context, id string) (*Record, error)
	// Search runs a query. A malformed query gives an error wrapping ErrBadQuery.
	Search(ctx context.Context, q Query) (*Result, error)
	// Ping reports whether the store can serve requests.
	Ping(ctx context.Context) error
	// Close flushes and releases the store; later calls return ErrClosed.
	Close() error
}

// BatchError reports the items of a Put that failed, by index into the batch.
type BatchError struct {
	Failed map[int]error
}

func (e *BatchError) Error() string {
	idx := make([]int, 0, len(e.Failed))
	for i := range e.Failed {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	parts := make([]string, 0, len(idx))
	for _, i := range idx {
		parts = append(parts, fmt.Sprintf("item %d: %v", i, e.Failed[i]))
	}
	return fmt.Sprintf("%d of batch failed: %s", len(idx), strings.Join(parts, "; "))
}
