package indexer

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/newswatch/newswatch/bus"
)

// Config configures an Indexer. The zero value gives the documented
// defaults.
type Config struct {
	// Stream to consume. Default bus.StreamArticles.
	Stream string
	// Durable is the durable consumer name. Default "indexer".
	Durable string
	// FilterSubject narrows the consumer to some subjects, e.g.
	// "articles.caliber". Default: the whole stream.
	FilterSubject string
	// BatchSize is the most articles written to the store at once.
	// Default 500.
	BatchSize int
	// FlushInterval is the longest a batch waits to fill up before it is
	// written anyway. Default 1s.
	FlushInterval time.Duration
	// MaxDeliver is how many deliveries a message that the store keeps
	// rejecting gets before it goes to the dead-letter subject. Default 5.
	//
	// The indexer enforces it, not the server: the consumer itself has
	// unlimited deliveries, so a message redelivered because the indexer was
	// restarted is never parked silently by the server.
	MaxDeliver int
	// AckWait is how long the server waits for an ack before it redelivers
	// (the indexer crashed, or lost its connection): how long after a
	// crash the messages it had in hand come back. A batch whose Put takes
	// longer is kept alive with progress acks every AckWait/3.
	// Default 10s.
	AckWait time.Duration
	// RetryBackOff is the delay before a message the store rejected is
	// delivered again, by delivery number (1st failure: RetryBackOff[0],
	// ...; the last value repeats). Default 1s, 5s, 30s, 2m. Messages whose
	// dead letter could not be published are retried on the same schedule.
	RetryBackOff []time.Duration
	// OutageBackOff is the longest pause between retries while the store is
	// down (Put fails and Ping fails). During an outage the batch is held
	// and retried in place, so no message is dead-lettered because the
	// store was unavailable; the pauses grow from 100ms to this, which is
	// also how long after the store's return indexing may resume.
	// Default 10s.
	OutageBackOff time.Duration
	// PutTimeout bounds one store write. A write in flight at shutdown is
	// allowed to finish within it. Default 60s.
	PutTimeout time.Duration
	// MaxAckPending bounds the messages delivered but not yet acked.
	// Default 4 x BatchSize.
	MaxAckPending int
	// Registerer, if set, gets the indexer's Prometheus metrics.
	Registerer prometheus.Registerer
}

// Defaults.
const (
	DefaultDurable       = "indexer"
	DefaultBatchSize     = 500
	DefaultFlushInterval = time.Second
	DefaultMaxDeliver    = 5
	DefaultAckWait       = 10 * time.Second
	DefaultOutageBackOff = 10 * time.Second
	DefaultPutTimeout    = 60 * time.Second
)

// DefaultRetryBackOff is the default Config.RetryBackOff.
var DefaultRetryBackOff = []time.Duration{time.Second, 5 * time.Second, 30 * time.Second, 2 * time.Minute}

func (c *Config) setDefaults() {
	if c.Stream == "" {
		c.Stream = bus.StreamArticles
	}
	if c.Durable == "" {
		c.Durable = DefaultDurable
	}
	if c.BatchSize == 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.FlushInterval == 0 {
		c.FlushInterval = DefaultFlushInterval
	}
	if c.MaxDeliver == 0 {
		c.MaxDeliver = DefaultMaxDeliver
	}
	if c.AckWait == 0 {
		c.AckWait = DefaultAckWait
	}
	if len(c.RetryBackOff) == 0 {
		c.RetryBackOff = DefaultRetryBackOff
	}
	if c.OutageBackOff == 0 {
		c.OutageBackOff = DefaultOutageBackOff
	}
	if c.PutTimeout == 0 {
		c.PutTimeout = DefaultPutTimeout
	}
	if c.MaxAckPending == 0 {
		c.MaxAckPending = 4 * c.BatchSize
	}
}

// Validate reports a configuration error, after defaults are applied.
func (c Config) Validate() error {
	c.setDefaults()
	switch {
	case c.BatchSize < 1 || c.BatchSize > 10000:
		return fmt.Errorf("indexer: batch size %d not in 1..10000", c.BatchSize)
	case c.FlushInterval < 10*time.Millisecond:
		return fmt.Errorf("indexer: flush interval %v is shorter than 10ms", c.FlushInterval)
	case c.MaxDeliver < 1:
		return fmt.Errorf("indexer: max deliver %d < 1", c.MaxDeliver)
	case c.AckWait < time.Second:
		return fmt.Errorf("indexer: ack wait %v is shorter than 1s", c.AckWait)
	case c.OutageBackOff <= 0 || c.PutTimeout <= 0:
		return errors.New("indexer: outage back-off and put timeout must be positive")
	case c.MaxAckPending < c.BatchSize:
		return fmt.Errorf("indexer: max ack pending %d is below the batch size %d", c.MaxAckPending, c.BatchSize)
	}
	for _, d := range c.RetryBackOff {
		if d < 0 {
			return fmt.Errorf("indexer: negative retry back-off %v", d)
		}
	}
	if c.FilterSubject != "" && c.Stream == bus.StreamArticles {
		if _, err := bus.OutletOfSubject(c.FilterSubject); err != nil && c.FilterSubject != bus.ArticlesSubjects {
			return fmt.Errorf("indexer: filter subject: %w", err)
		}
	}
	return nil
}

// retryDelay is the Nak delay after the n-th delivery (n >= 1) failed.
func (c *Config) retryDelay(n uint64) time.Duration {
	i := int(n) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(c.RetryBackOff) {
		i = len(c.RetryBackOff) - 1
	}
	return c.RetryBackOff[i]
}
