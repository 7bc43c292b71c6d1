package crawler

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/bus"
)

// URLState is what the crawler remembers about one article page between
// passes, restarts and crawler processes: the content it last published
// and that version's number, when it first saw and last fetched the page,
// and the page's validators. A URL with a state is not fetched again when
// a feed, sitemap or listing shows it, only when its edit-recheck time
// comes (Poll.Recheck), when a sitemap's lastmod says it changed, or when
// Refetch is set. A fetch with the same content hash is not published
// again; a new content hash is version Version+1, an edit reverted to
// earlier content included.
type URLState struct {
	// ContentHash is article.Article.ContentHash of the last published
	// version; empty while nothing was published (Status not_article,
	// gone or failed).
	ContentHash string `json:"content_hash,omitempty"`
	// Version is that version's number (1 for the first; 0: none).
	Version int `json:"version"`
	// FetchedAt is when that version was fetched.
	FetchedAt time.Time `json:"fetched_at"`
	// FirstSeen is when the crawler first fetched the page.
	FirstSeen time.Time `json:"first_seen,omitempty"`
	// CheckedAt is the last fetch of the page, a 304 included.
	CheckedAt time.Time `json:"checked_at,omitempty"`
	// ETag and LastModified are the page's validators at CheckedAt, sent
	// with the next fetch (a 304 means unchanged).
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	// Listed is the modification date a sitemap or feed gave for the page
	// at CheckedAt (RFC 3339): a later one means the page changed.
	Listed string `json:"listed,omitempty"`
	// Status is what the last fetch found: "" (an article), StatusNotArticle,
	// StatusGone (404 or 410), StatusFailed (it could not be fetched after
	// several passes, or was too large) or StatusAlias (a variant of
	// another URL's article).
	Status string `json:"status,omitempty"`
	// Checks are the edit rechecks done so far.
	Checks int `json:"checks,omitempty"`
	// Refetch asks for a fetch at the next discovery even though the page
	// is known (set by `newswatch audit` when the store lost a version).
	Refetch bool `json:"refetch,omitempty"`
}

// URLState statuses.
const (
	StatusNotArticle = "not_article"
	StatusGone       = "gone"
	StatusFailed     = "failed"
	// StatusAlias marks a URL whose page is another URL's article (an AMP
	// or print variant, a page whose rel=canonical points elsewhere).
	StatusAlias = "alias"
)

// Published reports whether a version of the article was published.
func (s URLState) Published() bool { return s.Version > 0 }

// Sentinel errors of a StateStore.
var (
	// ErrNoState: nothing is remembered about the article yet.
	ErrNoState = errors.New("no url state")
	// ErrStateConflict: the state changed since it was read (another
	// crawler process published a version meanwhile).
	ErrStateConflict = errors.New("url state changed concurrently")
)

// StateStore keeps a URLState per outlet and article. Keys are article
// identities: any URL of the article (article.ID) finds the same state.
// Implementations are safe for concurrent use.
type StateStore interface {
	// Get returns the state and a revision to pass to Put, or an error
	// wrapping ErrNoState.
	Get(ctx context.Context, outlet, rawURL string) (URLState, uint64, error)
	// Put stores st if the state is still at revision rev (0: none stored
	// yet), else it fails with an error wrapping ErrStateConflict. It
	// returns the new revision.
	Put(ctx context.Context, outlet, rawURL string, st URLState, rev uint64) (uint64, error)
}

// MemoryState is a StateStore in memory: versions are numbered across the
// passes of one process. It is the default of New.
type MemoryState struct {
	mu sync.Mutex
	m  map[string]memEntry
}

type memEntry struct {
	st  URLState
	rev uint64
}

var _ StateStore = (*MemoryState)(nil)

// NewMemoryState returns an empty MemoryState.
func NewMemoryState() *MemoryState { return &MemoryState{m: map[string]memEntry{}} }

// Get implements StateStore.
func (s *MemoryState) Get(_ context.Context, outlet, rawURL string) (URLState, uint64, error) {
	key, err := bus.URLKey(outlet, rawURL)
	if err != nil {
		return URLState{}, 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[key]
	if !ok {
		return URLState{}, 0, fmt.Errorf("%w: %s", ErrNoState, key)
	}
	return e.st, e.rev, nil
}

// Put implements StateStore.
func (s *MemoryState) Put(_ context.Context, outlet, rawURL string, st URLState, rev uint64) (uint64, error) {
	key, err := bus.URLKey(outlet, rawURL)
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m[key].rev != rev {
		return 0, fmt.Errorf("%w: %s at revision %d, not %d", ErrStateConflict, key, s.m[key].rev, rev)
	}
	s.m[key] = memEntry{st: st, rev: rev + 1}
	return rev + 1, nil
}

// KVState is a StateStore on a NATS KV bucket (bus.Conn.URLState, the
// "url_state" bucket), keyed by bus.URLKey: the numbering survives restarts
// and is shared by every crawler process on the bus.
type KVState struct{ kv jetstream.KeyValue }

var _ StateStore = KVState{}

// NewKVState returns a StateStore on kv.
func NewKVState(kv jetstream.KeyValue) KVState { return KVState{kv: kv} }

// Get implements StateStore.
func (s KVState) Get(ctx context.Context, outlet, rawURL string) (URLState, uint64, error) {
	key, err := bus.URLKey(outlet, rawURL)
	if err != nil {
		return URLState{}, 0, err
	}
	var st URLState
	rev, err := bus.GetJSON(ctx, s.kv, key, &st)
	if errors.Is(err, bus.ErrKeyNotFound) {
		return URLState{}, 0, fmt.Errorf("%w: %w", ErrNoState, err)
	}
	return st, rev, err
}

// Put implements StateStore.
func (s KVState) Put(ctx context.Context, outlet, rawURL string, st URLState, rev uint64) (uint64, error) {
	key, err := bus.URLKey(outlet, rawURL)
	if err != nil {
		return 0, err
	}
	n, err := bus.PutJSON(ctx, s.kv, key, st, rev)
	if errors.Is(err, bus.ErrRevision) {
		return 0, fmt.Errorf("%w: %w", ErrStateConflict, err)
	}
	return n, err
}

// nextVersion numbers a against the remembered state: publish reports
// whether a is new content (a first version, or a content hash other than
// the last published one), in which case a.Version is set to its number.
func nextVersion(a *article.Article, prev URLState, known bool) (publish bool) {
	switch {
	case !known:
		a.Version = 1
	case prev.ContentHash == a.ContentHash:
		return false
	default:
		a.Version = prev.Version + 1
	}
	return true
}
