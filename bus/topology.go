package bus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// This file is the one place where newswatch declares what it keeps on the
// NATS server: its streams, its KV buckets and its durable consumers, each
// with its limits. Every process applies it at start-up (EnsureStreams),
// and the indexer creates its consumer from IndexerConsumer.
//
// No limit here ever drops an article that was not indexed: the article
// streams refuse new messages when full (DiscardNew; Publish then fails
// with ErrStreamFull and the crawler, which remembers only what was
// published, fetches the page again later), and Pressure tells publishers
// when a stream or the server's storage nears its limit so that they slow
// down first.

// StreamConfig sets the limits of the streams and buckets EnsureStreams
// creates. The zero value gives the defaults.
type StreamConfig struct {
	// Duplicates is the de-duplication window of ARTICLES: republishing the
	// same article version (same Nats-Msg-Id) within it is a no-op at the
	// server. Default 24h.
	Duplicates time.Duration
	// MaxAge drops articles older than this from ARTICLES. Default 0: keep
	// everything (the stream is the replayable record of what was seen,
	// which `newswatch audit` republishes from). When set it must be at
	// least Duplicates.
	MaxAge time.Duration
	// MaxBytes caps the size of ARTICLES. When it is reached new articles
	// are refused (ErrStreamFull), never old ones dropped. Default 0: no
	// cap of its own; the server's JetStream storage limit applies.
	MaxBytes int64
	// MaxMsgs caps the number of messages in ARTICLES, like MaxBytes.
	// Default 0: no cap.
	MaxMsgs int64
	// DeadMaxBytes caps ARTICLES_DEAD like MaxBytes caps ARTICLES (a full
	// dead-letter stream makes the indexer retry instead). Default 0: no
	// cap. Dead letters leave the stream by `newswatch dead replay`.
	DeadMaxBytes int64
	// Replicas is the replication factor of every stream and bucket: 1, 3
	// or 5. Default 0: automatic, 1 on a standalone server (the embedded
	// one) and 3 on a cluster.
	Replicas int
	// Compress turns on S2 compression of the stored messages.
	Compress bool
	// LeaseTTL is how long a crawl lease lasts unless renewed (the
	// crawl_leases bucket's TTL): a killed crawler's outlets are taken
	// over after at most this plus a renewal period. Default
	// DefaultLeaseTTL. A bucket keeps the TTL it was created with.
	LeaseTTL time.Duration
	// EventsMaxAge is how long outlet health events are kept. Default
	// DefaultEventsMaxAge.
	EventsMaxAge time.Duration
	// StoriesTTL is how long the stories bucket remembers an article's
	// story (a later version keeps its story within it). Default
	// DefaultStoriesTTL. A bucket keeps the TTL it was created with.
	StoriesTTL time.Duration
	// WatchEventsMaxAge is how long watch events are kept for clients
	// that reconnect (Last-Event-ID) and for webhook retries. Default
	// DefaultWatchEventsMaxAge.
	WatchEventsMaxAge time.Duration
}

// Defaults of StreamConfig.
const (
	DefaultLeaseTTL     = 15 * time.Second
	DefaultEventsMaxAge = 30 * 24 * time.Hour
	// DefaultStoriesTTL is the default StoriesTTL.
	DefaultStoriesTTL = 7 * 24 * time.Hour
	// DefaultWatchEventsMaxAge is the default WatchEventsMaxAge.
	DefaultWatchEventsMaxAge = 7 * 24 * time.Hour
)

// DefaultDuplicates is the default de-duplication window of ARTICLES.
const DefaultDuplicates = 24 * time.Hour

// ClusterReplicas is the replication factor used on a cluster when
// StreamConfig.Replicas is 0.
const ClusterReplicas = 3

func (c *StreamConfig) setDefaults() {
	if c.Duplicates == 0 {
		c.Duplicates = DefaultDuplicates
	}
	if c.LeaseTTL == 0 {
		c.LeaseTTL = DefaultLeaseTTL
	}
	if c.EventsMaxAge == 0 {
		c.EventsMaxAge = DefaultEventsMaxAge
	}
	if c.StoriesTTL == 0 {
		c.StoriesTTL = DefaultStoriesTTL
	}
	if c.WatchEventsMaxAge == 0 {
		c.WatchEventsMaxAge = DefaultWatchEventsMaxAge
	}
}

// Validate reports a configuration error, after defaults are applied.
func (c StreamConfig) Validate() error {
	c.setDefaults()
	switch {
	case c.Duplicates < 0 || c.MaxAge < 0 || c.MaxBytes < 0 || c.MaxMsgs < 0 || c.DeadMaxBytes < 0 || c.EventsMaxAge < 0 ||
		c.StoriesTTL < 0 || c.WatchEventsMaxAge < 0:
		return errors.New("stream config: negative duplicates, max age, max bytes, max msgs or ttl")
	case c.LeaseTTL < time.Second:
		return fmt.Errorf("stream config: lease ttl %v: want at least 1s", c.LeaseTTL)
	case c.MaxAge > 0 && c.MaxAge < c.Duplicates:
		return fmt.Errorf("stream config: max age %v is shorter than the duplicates window %v", c.MaxAge, c.Duplicates)
	case c.Replicas != 0 && c.Replicas != 1 && c.Replicas != 3 && c.Replicas != 5:
		return fmt.Errorf("stream config: replicas %d: want 1, 3 or 5 (0: automatic)", c.Replicas)
	}
	return nil
}

// Topology is everything EnsureStreams declares on the server.
type Topology struct {
	Streams []jetstream.StreamConfig
	Buckets []jetstream.KeyValueConfig
}

// NewTopology returns the streams and buckets for cfg with replicas
// copies each (cfg.Replicas, when set, wins).
func NewTopology(cfg StreamConfig, replicas int) (Topology, error) {
	if err := cfg.Validate(); err != nil {
		return Topology{}, err
	}
	cfg.setDefaults()
	if cfg.Replicas != 0 {
		replicas = cfg.Replicas
	}
	if replicas < 1 {
		replicas = 1
	}
	compression := jetstream.NoCompression
	if cfg.Compress {
		compression = jetstream.S2Compression
	}
	// events is a stream of events (no articles): the oldest go first,
	// after maxAge.
	events := func(name, description, subjects string, maxAge, duplicates time.Duration, more ...string) jetstream.StreamConfig {
		return jetstream.StreamConfig{
			Name: name, Description: description, Subjects: append([]string{subjects}, more...),
			Retention: jetstream.LimitsPolicy, Storage: jetstream.FileStorage, Discard: jetstream.DiscardOld,
			Duplicates: duplicates, MaxAge: maxAge, MaxMsgs: -1, MaxBytes: -1, Replicas: replicas, Compression: compression,
		}
	}
	return Topology{
		Streams: []jetstream.StreamConfig{{
			Name:        StreamArticles,
			Description: "newswatch articles, one subject per outlet",
			Subjects:    []string{ArticlesSubjects},
			Retention:   jetstream.LimitsPolicy,
			Storage:     jetstream.FileStorage,
			Discard:     jetstream.DiscardNew,
			Duplicates:  cfg.Duplicates,
			MaxAge:      cfg.MaxAge,
			MaxBytes:    orUnlimited(cfg.MaxBytes),
			MaxMsgs:     orUnlimited(cfg.MaxMsgs),
			Replicas:    replicas,
			Compression: compression,
		},
			events(StreamOutletEvents, "newswatch outlet health events: status changes, one subject per outlet", OutletEventsSubjects, cfg.EventsMaxAge, 0),
			{
				Name:        StreamDead,
				Description: "newswatch dead letters: articles that could not be indexed",
				Subjects:    []string{DeadSubjects},
				Retention:   jetstream.LimitsPolicy,
				Storage:     jetstream.FileStorage,
				Discard:     jetstream.DiscardNew,
				Duplicates:  cfg.Duplicates,
				MaxBytes:    orUnlimited(cfg.DeadMaxBytes),
				MaxMsgs:     -1,
				Replicas:    replicas,
				Compression: compression,
			},
			events(StreamWatchEvents, "newswatch watch events: matching articles and edits (one message per version for all its watches), outlet status and coverage gaps (one subject per watch), webhook retries",
				WatchEventsSubjects, cfg.WatchEventsMaxAge, cfg.Duplicates, WatchMatchesSubject, WatchRetriesSubjects),
			events(StreamWatchDead, "newswatch watch events whose webhook failed every delivery attempt", WatchDeadSubjects, cfg.EventsMaxAge, 0),
		},
		Buckets: []jetstream.KeyValueConfig{{
			Bucket:      BucketURLState,
			Description: "newswatch per-URL crawl state",
			History:     1,
			Storage:     jetstream.FileStorage,
			Replicas:    replicas,
			Compression: cfg.Compress,
		}, {
			Bucket:      BucketOutletState,
			Description: "newswatch per-outlet state: sources, recheck schedule, health",
			History:     1,
			Storage:     jetstream.FileStorage,
			Replicas:    replicas,
			Compression: cfg.Compress,
		}, {
			Bucket:      BucketLeases,
			Description: "newswatch crawl leases: which crawler polls which outlet",
			History:     1,
			TTL:         cfg.LeaseTTL,
			Storage:     jetstream.FileStorage,
			Replicas:    replicas,
		}, {
			Bucket:      BucketStories,
			Description: "newswatch story assignments: article -> story, with its signature",
			History:     1,
			TTL:         cfg.StoriesTTL,
			Storage:     jetstream.FileStorage,
			Replicas:    replicas,
			Compression: cfg.Compress,
		}, {
			Bucket:      BucketWatches,
			Description: "newswatch watches: saved queries with their delivery",
			History:     1,
			Storage:     jetstream.FileStorage,
			Replicas:    replicas,
		}, {
			Bucket:      BucketWatchPending,
			Description: "newswatch coverage-gap checks a watcher has scheduled",
			History:     1,
			Storage:     jetstream.FileStorage,
			Replicas:    replicas,
		}},
	}, nil
}

func orUnlimited(n int64) int64 {
	if n == 0 {
		return -1
	}
	return n
}

// Clustered reports whether the server c is connected to is a member of
// a cluster.
func (c *Conn) Clustered() bool { return c.nc.ConnectedClusterName() != "" }

// EnsureStreams creates or updates the streams and KV buckets with the
// default StreamConfig.
func (c *Conn) EnsureStreams(ctx context.Context) error {
	return c.EnsureStreamsWith(ctx, StreamConfig{})
}

// EnsureStreamsWith creates the streams and KV buckets of NewTopology
// (ARTICLES, OUTLET_EVENTS, ARTICLES_DEAD, WATCH_EVENTS, WATCH_DEAD,
// url_state, outlet_state, crawl_leases, stories, watches, watch_pending),
// or updates them to
// cfg; with cfg.Replicas 0 they get ClusterReplicas copies on a cluster
// and one on a standalone server. It is idempotent and safe to run from
// every process at start-up.
func (c *Conn) EnsureStreamsWith(ctx context.Context, cfg StreamConfig) error {
	replicas := 1
	if c.Clustered() {
		replicas = ClusterReplicas
	}
	top, err := NewTopology(cfg, replicas)
	if err != nil {
		return err
	}
	for _, sc := range top.Streams {
		if _, err := c.js.CreateOrUpdateStream(ctx, sc); err != nil {
			return fmt.Errorf("ensure stream %s: %w", sc.Name, err)
		}
	}
	for _, kc := range top.Buckets {
		if _, err := c.js.CreateOrUpdateKeyValue(ctx, kc); err != nil {
			return fmt.Errorf("ensure kv bucket %s: %w", kc.Bucket, err)
		}
	}
	c.log.Debug("streams and buckets ensured", zap.Int("replicas", top.Streams[0].Replicas))
	return nil
}

// IndexerConsumerConfig holds the settings of the indexer's durable
// consumer that the indexer decides (see indexer.Config).
type IndexerConsumerConfig struct {
	Durable       string        // consumer name
	FilterSubject string        // "" for the whole stream
	AckWait       time.Duration // redelivery after this without an ack
	MaxAckPending int           // messages delivered and not yet acked
}

// IndexerConsumer is the durable pull consumer the indexer reads ARTICLES
// with: every message from the start, explicit acks, no server-side
// delivery limit or back-off (the indexer enforces MaxDeliver and its
// retry delays itself, so a message redelivered because the indexer was
// restarted is never parked silently by the server, and a Nak delay is not
// offset from AckWait). Its replicas follow the stream's.
func IndexerConsumer(c IndexerConsumerConfig) jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:       c.Durable,
		Description:   "newswatch indexer: articles into the search store",
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       c.AckWait,
		MaxDeliver:    -1,
		MaxAckPending: c.MaxAckPending,
		FilterSubject: c.FilterSubject,
	}
}

// Durable consumer names besides the indexer's.
const (
	// WatcherDurable is the watcher's consumer on ARTICLES and on
	// OUTLET_EVENTS (one on each stream, of the same name).
	WatcherDurable = "watcher"
	// WebhooksDurable is the webhook deliverer's consumer on WATCH_EVENTS.
	WebhooksDurable = "webhooks"
)

// WatcherConsumer is the durable pull consumer the watcher reads stream
// (ARTICLES or OUTLET_EVENTS) with: from the messages published after it
// was first created (watches are about what is new; a restarted watcher
// resumes where it stopped), explicit acks, redelivery after ackWait, no
// server-side delivery limit (the watcher acks what it cannot use).
func WatcherConsumer(stream string, ackWait time.Duration) jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:       WatcherDurable,
		Description:   "newswatch watcher: matches watches against " + stream,
		DeliverPolicy: jetstream.DeliverNewPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       ackWait,
		MaxDeliver:    -1,
		MaxAckPending: 1000,
	}
}

// WebhooksConsumer is the durable pull consumer that delivers watch events
// to webhooks: every event published after it was first created, explicit
// acks; a failed delivery is retried by a negative acknowledgement with a
// delay (the deliverer's back-off), up to the deliverer's limit, after
// which it goes to WATCH_DEAD. maxPending events are delivered at once.
func WebhooksConsumer(ackWait time.Duration, maxPending int) jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:       WebhooksDurable,
		Description:   "newswatch webhooks: delivers watch events",
		DeliverPolicy: jetstream.DeliverNewPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       ackWait,
		MaxDeliver:    -1,
		MaxAckPending: maxPending,
	}
}
