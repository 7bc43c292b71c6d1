package bus

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// StreamConfig configures the streams and buckets EnsureStreams creates.
// The zero value gives the defaults.
type StreamConfig struct {
	// Duplicates is the de-duplication window of ARTICLES: republishing the
	// same article version (same Nats-Msg-Id) within it is a no-op at the
	// server. Default 24h.
	Duplicates time.Duration
	// MaxAge drops articles older than this from ARTICLES. Default 0: keep
	// everything (the stream is the replayable record of what was seen).
	// When set it must be at least Duplicates.
	MaxAge time.Duration
	// MaxBytes caps the size of ARTICLES, dropping the oldest. Default 0:
	// no cap.
	MaxBytes int64
	// Replicas is the replication factor of every stream and bucket (1, 3
	// or 5 on a cluster). Default 1.
	Replicas int
	// Compress turns on S2 compression of the stored messages.
	Compress bool
}

// DefaultDuplicates is the default de-duplication window of ARTICLES.
const DefaultDuplicates = 24 * time.Hour

func (c *StreamConfig) setDefaults() {
	if c.Duplicates == 0 {
		c.Duplicates = DefaultDuplicates
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
}

// Validate reports a configuration error, after defaults are applied.
func (c StreamConfig) Validate() error {
	c.setDefaults()
	switch {
	case c.Duplicates < 0 || c.MaxAge < 0 || c.MaxBytes < 0:
		return errors.New("stream config: negative duplicates, max age or max bytes")
	case c.MaxAge > 0 && c.MaxAge < c.Duplicates:
		return fmt.Errorf("stream config: max age %v is shorter than the duplicates window %v", c.MaxAge, c.Duplicates)
	case c.Replicas < 1 || c.Replicas > 5:
		return fmt.Errorf("stream config: replicas %d not in 1..5", c.Replicas)
	}
	return nil
}

// EnsureStreams creates or updates the streams and KV buckets with the
// default StreamConfig.
func (c *Conn) EnsureStreams(ctx context.Context) error {
	return c.EnsureStreamsWith(ctx, StreamConfig{})
}

// EnsureStreamsWith creates the streams ARTICLES and ARTICLES_DEAD and the
// KV buckets url_state and outlet_state, or updates them to cfg. It is
// idempotent and safe to run from every process at start-up.
func (c *Conn) EnsureStreamsWith(ctx context.Context, cfg StreamConfig) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	cfg.setDefaults()
	compression := jetstream.NoCompression
	if cfg.Compress {
		compression = jetstream.S2Compression
	}
	streams := []jetstream.StreamConfig{{
		Name:        StreamArticles,
		Description: "newswatch articles, one subject per outlet",
		Subjects:    []string{ArticlesSubjects},
		Retention:   jetstream.LimitsPolicy,
		Storage:     jetstream.FileStorage,
		Discard:     jetstream.DiscardOld,
		Duplicates:  cfg.Duplicates,
		MaxAge:      cfg.MaxAge,
		MaxBytes:    maxOrUnlimited(cfg.MaxBytes),
		MaxMsgs:     -1,
		Replicas:    cfg.Replicas,
		Compression: compression,
	}, {
		Name:        StreamDead,
		Description: "newswatch dead letters: articles that could not be indexed",
		Subjects:    []string{DeadSubjects},
		Retention:   jetstream.LimitsPolicy,
		Storage:     jetstream.FileStorage,
		Discard:     jetstream.DiscardOld,
		Duplicates:  cfg.Duplicates,
		MaxBytes:    -1,
		MaxMsgs:     -1,
		Replicas:    cfg.Replicas,
		Compression: compression,
	}}
	for _, sc := range streams {
		if _, err := c.js.CreateOrUpdateStream(ctx, sc); err != nil {
			return fmt.Errorf("ensure stream %s: %w", sc.Name, err)
		}
	}
	buckets := []jetstream.KeyValueConfig{{
		Bucket:      BucketURLState,
		Description: "newswatch per-URL crawl state",
		History:     1,
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas,
		Compression: cfg.Compress,
	}, {
		Bucket:      BucketOutletState,
		Description: "newswatch per-outlet state",
		History:     5,
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas,
		Compression: cfg.Compress,
	}}
	for _, kc := range buckets {
		if _, err := c.js.CreateOrUpdateKeyValue(ctx, kc); err != nil {
			return fmt.Errorf("ensure kv bucket %s: %w", kc.Bucket, err)
		}
	}
	c.log.Debug("streams and buckets ensured")
	return nil
}

func maxOrUnlimited(n int64) int64 {
	if n == 0 {
		return -1
	}
	return n
}

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

// URLKey returns the url_state key for a URL: "<outlet>.<hash>", where hash
// is the first 16 bytes of the URL's SHA-256, hex encoded. URLs themselves
// are not valid KV keys. Pass the canonical URL (article.Canonicalize) so
// that variants of one URL share a key.
func URLKey(outlet, url string) (string, error) {
	if err := ValidateOutlet(outlet); err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(url))
	return outlet + "." + hex.EncodeToString(sum[:16]), nil
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

// PutJSON writes v as JSON under key and returns the new revision. With
// lastRevision > 0 it writes only if the key is still at that revision
// (optimistic concurrency; a conflict wraps jetstream.ErrKeyExists); with
// lastRevision 0 it writes unconditionally.
func PutJSON(ctx context.Context, kv jetstream.KeyValue, key string, v any, lastRevision uint64) (uint64, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return 0, fmt.Errorf("kv %s put %s: encode: %w", kv.Bucket(), key, err)
	}
	var rev uint64
	if lastRevision > 0 {
		rev, err = kv.Update(ctx, key, data, lastRevision)
	} else {
		rev, err = kv.Put(ctx, key, data)
	}
	if err != nil {
		return 0, fmt.Errorf("kv %s put %s: %w", kv.Bucket(), key, err)
	}
	return rev, nil
}
