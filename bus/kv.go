package bus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/newswatch/newswatch/article"
)

// URLState returns the url_state bucket (created by EnsureStreams).
func (c *Conn) URLState(ctx context.Context) (jetstream.KeyValue, error) {
	kv, err := c.js.KeyValue(ctx, BucketURLState)
	if err != nil {
		return nil, fmt.Errorf("kv bucket %s: %w", BucketURLState, err)
	}
	return kv, nil
}

// OutletState returns the outlet_state bucket (created by EnsureStreams).
func (c *Conn) OutletState(ctx context.Context) (jetstream.KeyValue, error) {
	kv, err := c.js.KeyValue(ctx, BucketOutletState)
	if err != nil {
		return nil, fmt.Errorf("kv bucket %s: %w", BucketOutletState, err)
	}
	return kv, nil
}

// Leases returns the crawl_leases bucket (created by EnsureStreams).
func (c *Conn) Leases(ctx context.Context) (jetstream.KeyValue, error) {
	kv, err := c.js.KeyValue(ctx, BucketLeases)
	if err != nil {
		return nil, fmt.Errorf("kv bucket %s: %w", BucketLeases, err)
	}
	return kv, nil
}

// Stories returns the stories bucket (created by EnsureStreams).
func (c *Conn) Stories(ctx context.Context) (jetstream.KeyValue, error) {
	return c.bucket(ctx, BucketStories)
}

// Watches returns the watches bucket (created by EnsureStreams).
func (c *Conn) Watches(ctx context.Context) (jetstream.KeyValue, error) {
	return c.bucket(ctx, BucketWatches)
}

// WatchPending returns the watch_pending bucket (created by EnsureStreams).
func (c *Conn) WatchPending(ctx context.Context) (jetstream.KeyValue, error) {
	return c.bucket(ctx, BucketWatchPending)
}

func (c *Conn) bucket(ctx context.Context, name string) (jetstream.KeyValue, error) {
	kv, err := c.js.KeyValue(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("kv bucket %s: %w", name, err)
	}
	return kv, nil
}

// ErrBadKeyName is wrapped by OutletKey for a name that is not made of KV
// key tokens.
var ErrBadKeyName = errors.New("bad kv key name")

// OutletKey returns the outlet_state key of one record of an outlet:
// "<outlet>.<name>", where name is one or more dot-separated tokens of
// a-z, A-Z, 0-9, "-" and "_" (for example "health" or "src.<hash>").
func OutletKey(outlet, name string) (string, error) {
	if err := article.ValidateOutlet(outlet); err != nil {
		return "", err
	}
	if name == "" || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") || strings.Contains(name, "..") {
		return "", fmt.Errorf("%w: %q", ErrBadKeyName, name)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return "", fmt.Errorf("%w: %q", ErrBadKeyName, name)
		}
	}
	return outlet + "." + name, nil
}

// URLKey returns the url_state key for an article URL:
// "<outlet>.<article ID>" (article.ID), so every variant of the URL that
// has the article's identity (http or https, "www.", tracking parameters)
// shares the key. URLs themselves are not valid KV keys.
func URLKey(outlet, rawURL string) (string, error) {
	if err := article.ValidateOutlet(outlet); err != nil {
		return "", err
	}
	id, err := article.ID(rawURL)
	if err != nil {
		return "", fmt.Errorf("url state key: %w", err)
	}
	return outlet + "." + id, nil
}

// ErrKeyNotFound is returned by GetJSON for a missing or deleted key.
var ErrKeyNotFound = jetstream.ErrKeyNotFound

// GetJSON reads key from kv into v and returns its revision. A missing key
// gives an error wrapping ErrKeyNotFound.
func GetJSON(ctx context.Context, kv jetstream.KeyValue, key string, v any) (uint64, error) {
	e, err := kv.Get(ctx, key)
	if err != nil {
		return 0, fmt.Errorf("kv %s get %s: %w", kv.Bucket(), key, err)
	}
	if err := json.Unmarshal(e.Value(), v); err != nil {
		return 0, fmt.Errorf("kv %s get %s: decode: %w", kv.Bucket(), key, err)
	}
	return e.Revision(), nil
}

// ErrRevision is wrapped by PutJSON when the key is not at the expected
// revision (another writer got there first).
var ErrRevision = errors.New("kv key changed concurrently")

// PutJSON writes v as JSON under key and returns the new revision, with
// optimistic concurrency: with lastRevision > 0 it writes only if the key
// is still at that revision; with lastRevision 0 only if the key does not
// exist yet. Otherwise the error wraps ErrRevision.
func PutJSON(ctx context.Context, kv jetstream.KeyValue, key string, v any, lastRevision uint64) (uint64, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return 0, fmt.Errorf("kv %s put %s: encode: %w", kv.Bucket(), key, err)
	}
	var rev uint64
	if lastRevision > 0 {
		rev, err = kv.Update(ctx, key, data, lastRevision)
	} else {
		rev, err = kv.Create(ctx, key, data)
	}
	var apiErr *jetstream.APIError
	if errors.Is(err, jetstream.ErrKeyExists) || (errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence) {
		return 0, fmt.Errorf("kv %s put %s at revision %d: %w: %w", kv.Bucket(), key, lastRevision, ErrRevision, err)
	}
	if err != nil {
		return 0, fmt.Errorf("kv %s put %s: %w", kv.Bucket(), key, err)
	}
	return rev, nil
}

// FollowKV calls apply with every entry kv holds and returns once they are
// applied; then it goes on calling apply with every change (puts, deletes,
// purges) until ctx is done, when the returned channel is closed. A failure
// to watch kv, or ctx ending while loading, is an error.
func FollowKV(ctx context.Context, kv jetstream.KeyValue, apply func(jetstream.KeyValueEntry)) (<-chan struct{}, error) {
	w, err := kv.WatchAll(ctx)
	if err != nil {
		return nil, fmt.Errorf("follow kv %s: %w", kv.Bucket(), err)
	}
	// The current values come first, then nil, then the changes.
	for loaded := false; !loaded; {
		select {
		case e, ok := <-w.Updates():
			if !ok {
				return nil, fmt.Errorf("follow kv %s: closed while loading", kv.Bucket())
			}
			if e == nil {
				loaded = true
				continue
			}
			apply(e)
		case <-ctx.Done():
			_ = w.Stop()
			return nil, fmt.Errorf("load kv %s: %w", kv.Bucket(), ctx.Err())
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer w.Stop() //nolint:errcheck // stopping on the way out
		for {
			select {
			case <-ctx.Done():
				return
			case e, ok := <-w.Updates():
				if !ok {
					return
				}
				if e != nil {
					apply(e)
				}
			}
		}
	}()
	return done, nil
}
