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
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

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
	// ErrTooCostly: the query would cost more work than the store allows
	// one search (too many words, prefixes that expand to too many words,
	// words that match too much together); the caller should narrow it.
	// The API maps it to 400.
	ErrTooCostly = errors.New("query too costly")
	// ErrBusy: the store is running as many searches as it allows and none
	// ended in time; the caller should retry shortly. The API maps it to
	// 503 with Retry-After.
	ErrBusy = errors.New("store busy")
)

// MaxEcho is how many characters of a caller's input an error message
// repeats (see Echo).
const MaxEcho = 80

// Echo quotes a caller's input for an error message: Go-quoted, cut to
// MaxEcho characters, with "..." and the full length when it was cut, so
// that a 100 KB parameter does not come back whole.
func Echo(s string) string {
	if utf8.RuneCountInString(s) <= MaxEcho {
		return strconv.Quote(s)
	}
	cut, n := s, 0
	for i := range s {
		if n == MaxEcho {
			cut = s[:i]
			break
		}
		n++
	}
	return fmt.Sprintf("%s... (%d bytes)", strconv.Quote(cut), len(s))
}

// Sort orders for Query.Sort. The article date that sorts (and histograms)
// use is published_at, or fetched_at for an article without one, to the
// second; ties (articles within one second) are broken by article ID.
const (
	SortRelevance = "relevance" // default: score, then newest
	SortNewest    = "newest"    // article date descending
	SortOldest    = "oldest"    // article date ascending
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
	Stories  []string   // any of these story IDs (article.Article.StoryID)
	From     *time.Time // published_at >= From; see ParseBound for dates people type
	To       *time.Time // published_at < To
	Sort     string     // SortRelevance (default), SortNewest, SortOldest
	Size     int        // hits per page, 0..MaxSize; 0 returns only the total
	Cursor   string     // NextCursor of the previous page; opaque
	// NoHighlights leaves Hit.Highlights out (and the work of finding
	// them); it changes neither the hits nor their order, so a cursor
	// made with highlights serves without them and back.
	NoHighlights bool
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
// Lead and Body are the version's text, so that versions can be compared
// (a Record carries them for every version; History keeps them only for
// versions whose content is not the current article's, see History.Add).
// A version stored before newswatch kept the text of versions has its
// Title only, and TextKept false.
type Version struct {
	Version     int       `json:"version"`
	ContentHash string    `json:"content_hash"`
	FetchedAt   time.Time `json:"fetched_at"`
	Title       string    `json:"title,omitempty"`
	Lead        string    `json:"lead,omitempty"`
	Body        string    `json:"body,omitempty"`
	// TextKept says Lead and Body are the version's (empty ones
	// included).
	TextKept bool `json:"text_kept,omitempty"`
}

// Record is an article (its newest version) with the history of versions.
type Record struct {
	Article  article.Article `json:"article"`
	Versions []Version       `json:"versions"`
}

// Store is a search store. Implementations are safe for concurrent use.
type Store interface {
	// Put stores a batch of validated articles (article.Validate runs where
	// articles enter newswatch, not again here); an article whose ID is not
	// article.ValidID fails alone. The batch may hold several versions of
	// one article: each joins the history. Writes are idempotent (the same
	// version again is a no-op) and never replace a newer version with an
	// older one (article.Article.Newer). Put does not keep or change the
	// articles. It returns nil when every article is stored; a *BatchError
	// when only some failed (the others are stored); any other error means
	// none can be assumed stored.
	Put(ctx context.Context, arts []*article.Article) error
	// Get returns the article with that ID and its versions, or ErrNotFound.
	Get(ctx context.Context, id string) (*Record, error)
	// Search runs a query. A malformed query gives an error wrapping ErrBadQuery.
	Search(ctx context.Context, q Query) (*Result, error)
	// Aggregate counts the articles q matches (its text and filters; Sort,
	// Size and Cursor are ignored): the total, and what a asks for (a date
	// histogram in a time zone, the most frequent values of facets). See
	// Aggregations. A malformed query or request gives an error wrapping
	// ErrBadQuery.
	Aggregate(ctx context.Context, q Query, a Aggregations) (*AggregationResult, error)
	// Scan calls fn with every article q matches (its text and filters;
	// Sort, Size and Cursor are ignored) in the order of SortNewest, so
	// the same data gives the same sequence, each article once. It holds
	// a page of articles in memory, however many match, and stops at the
	// first error of fn or ctx and returns it. Articles stored during a
	// scan may or may not be delivered.
	Scan(ctx context.Context, q Query, fn func(*article.Article) error) error
	// ScanJSON is Scan delivering each article as its Article v1 JSON
	// instead: one compact JSON object (no newline) that decodes to the
	// article Scan would deliver, in the same sequence. fn must not keep
	// doc after it returns. It spares exports decoding and encoding every
	// article where the backend stores the JSON itself.
	ScanJSON(ctx context.Context, q Query, fn func(doc []byte) error) error
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
