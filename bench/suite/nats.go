package suite

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/bus"
)

// NATSConfig sizes the publish benchmark.
type NATSConfig struct {
	// Sync is the number of articles published one by one, each waiting
	// for its ack. Default 2000.
	Sync int
	// Async is the number of articles published with PublishBatch.
	// Default 20000.
	Async int
	// Batch is the PublishBatch size. Default 1000.
	Batch int
	// Seed of the corpus. Default 3.
	Seed int64
	Log  *zap.Logger
}

// NATSResult holds the publish rates.
type NATSResult struct {
	MeanMessageBytes float64 `json:"mean_message_bytes"`
	SyncMessages     int     `json:"sync_messages"`
	AsyncMessages    int     `json:"async_messages"`
	Batch            int     `json:"batch"`
	// JetStream through bus.Conn (JSON encode + validate + publish + ack),
	// file store.
	SyncPerSec  float64 `json:"sync_per_sec"`
	AsyncPerSec float64 `json:"async_per_sec"`
	// Core NATS on the same server and connection, same encoding:
	// request/reply to an in-process responder (a round trip per message,
	// no storage) and fire-and-forget publish with a final flush.
	CoreRequestPerSec float64 `json:"core_request_per_sec"`
	CorePublishPerSec float64 `json:"core_publish_per_sec"`
	// The same JetStream publishes on a server that syncs in the
	// background every bus.DefaultSyncInterval (`--nats-sync=interval`)
	// instead of before every ack (the default, measured above).
	IntervalSyncPerSec  float64 `json:"interval_sync_per_sec"`
	IntervalAsyncPerSec float64 `json:"interval_async_per_sec"`
	StreamMessages      uint64  `json:"stream_messages"`
}

// NATS measures JetStream publish → ack rates for article-sized messages on
// the embedded server's file store, sync and batched, with fsync before
// every ack (the default), and as peers core NATS with the same messages
// (what persistence and acks cost over the bare messaging layer) and the
// same publishes on a server that syncs every 2 minutes (what fsync before
// ack costs). Each side runs twice (in opposite orders) and keeps its best
// rate.
func NATS(ctx context.Context, cfg NATSConfig) (NATSResult, error) {
	if cfg.Sync <= 0 {
		cfg.Sync = 2000
	}
	if cfg.Async <= 0 {
		cfg.Async = 20000
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 1000
	}
	if cfg.Seed == 0 {
		cfg.Seed = 3
	}
	log := cfg.Log
	if log == nil {
		log = zap.NewNop()
	}
	res := NATSResult{SyncMessages: cfg.Sync, AsyncMessages: cfg.Async, Batch: cfg.Batch}
	// Two runs need distinct articles: a republished one would be a
	// de-duplicated no-op.
	arts, err := CorpusArticles(cfg.Seed, 2*(cfg.Sync+cfg.Async), Long)
	if err != nil {
		return res, err
	}
	var total int
	for i := range arts {
		b, err := bus.Encode(&arts[i])
		if err != nil {
			return res, err
		}
		total += len(b)
	}
	res.MeanMessageBytes = float64(total) / float64(len(arts))

	dir, err := os.MkdirTemp("", "nwbench-nats-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	conn, stop, err := startBus(ctx, dir, log)
	if err != nil {
		return res, err
	}
	defer stop()
	iconn, istop, err := startBusSync(ctx, dir+"/interval", log, bus.DefaultSyncInterval)
	if err != nil {
		return res, err
	}
	defer istop()

	// Two runs, JetStream first and then the peers first, keeping each
	// side's best rate, so that warm-up and drifting load favour neither.
	nc := conn.NATS()
	for run := 0; run < 2; run++ {
		part := arts[run*(cfg.Sync+cfg.Async) : (run+1)*(cfg.Sync+cfg.Async)]
		syncArts, asyncArts := part[:cfg.Sync], part[cfg.Sync:]
		steps := []func() error{
			func() error {
				r, err := PublishSync(ctx, conn, syncArts)
				res.SyncPerSec = max(res.SyncPerSec, r)
				return err
			},
			func() error {
				r, err := CoreRequest(ctx, nc, syncArts)
				res.CoreRequestPerSec = max(res.CoreRequestPerSec, r)
				return err
			},
			func() error {
				r, err := PublishAsync(ctx, conn, asyncArts, cfg.Batch)
				res.AsyncPerSec = max(res.AsyncPerSec, r)
				return err
			},
			func() error {
				r, err := CorePublish(ctx, nc, asyncArts)
				res.CorePublishPerSec = max(res.CorePublishPerSec, r)
				return err
			},
			func() error {
				r, err := PublishSync(ctx, iconn, syncArts)
				res.IntervalSyncPerSec = max(res.IntervalSyncPerSec, r)
				return err
			},
			func() error {
				r, err := PublishAsync(ctx, iconn, asyncArts, cfg.Batch)
				res.IntervalAsyncPerSec = max(res.IntervalAsyncPerSec, r)
				return err
			},
		}
		if run == 1 { // peers first
			steps = []func() error{steps[1], steps[4], steps[0], steps[3], steps[5], steps[2]}
		}
		for _, step := range steps {
			if err := step(); err != nil {
				return res, err
			}
		}
	}
	if s, err := conn.JetStream().Stream(ctx, bus.StreamArticles); err == nil {
		if info, err := s.Info(ctx); err == nil {
			res.StreamMessages = info.State.Msgs
		}
	}
	if want := uint64(len(arts)); res.StreamMessages != want {
		return res, fmt.Errorf("stream holds %d messages, want %d", res.StreamMessages, want)
	}
	if s, err := iconn.JetStream().Stream(ctx, bus.StreamArticles); err != nil || s.CachedInfo().State.Msgs != uint64(len(arts)) {
		return res, fmt.Errorf("interval-sync stream: not %d messages (%v)", len(arts), err)
	}
	return res, nil
}

// PublishSync publishes each article with bus.Conn.Publish (waiting for
// its ack) and returns messages per second.
func PublishSync(ctx context.Context, conn *bus.Conn, arts []article.Article) (float64, error) {
	start := time.Now()
	for i := range arts {
		if _, err := conn.Publish(ctx, &arts[i]); err != nil {
			return 0, fmt.Errorf("publish: %w", err)
		}
	}
	return float64(len(arts)) / time.Since(start).Seconds(), nil
}

// PublishAsync publishes the articles with bus.Conn.PublishBatch in
// batches and returns messages per second, every ack received.
func PublishAsync(ctx context.Context, conn *bus.Conn, arts []article.Article, batch int) (float64, error) {
	ptrs := pointers(arts)
	start := time.Now()
	for i := 0; i < len(ptrs); i += batch {
		if _, err := conn.PublishBatch(ctx, ptrs[i:min(i+batch, len(ptrs))]); err != nil {
			return 0, fmt.Errorf("publish batch: %w", err)
		}
	}
	return float64(len(arts)) / time.Since(start).Seconds(), nil
}

// CoreRequest sends each article (bus.Encode, like Publish) as a core NATS
// request to an in-process responder that answers at once, and returns
// round trips per second: the peer of a sync JetStream publish without
// storage.
func CoreRequest(ctx context.Context, nc *nats.Conn, arts []article.Article) (float64, error) {
	const subj = "bench.echo"
	sub, err := nc.Subscribe(subj, func(m *nats.Msg) { _ = m.Respond([]byte("+OK")) })
	if err != nil {
		return 0, err
	}
	defer sub.Unsubscribe()
	if err := nc.Flush(); err != nil {
		return 0, err
	}
	start := time.Now()
	for i := range arts {
		b, err := bus.Encode(&arts[i])
		if err != nil {
			return 0, err
		}
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err = nc.RequestWithContext(rctx, subj, b)
		cancel()
		if err != nil {
			return 0, fmt.Errorf("request: %w", err)
		}
	}
	return float64(len(arts)) / time.Since(start).Seconds(), nil
}

// CorePublish publishes each article (bus.Encode) with core NATS, without
// JetStream or a subscriber, flushes and returns messages per second: the
// peer of batched JetStream publishing without storage or acks.
func CorePublish(ctx context.Context, nc *nats.Conn, arts []article.Article) (float64, error) {
	start := time.Now()
	for i := range arts {
		b, err := bus.Encode(&arts[i])
		if err != nil {
			return 0, err
		}
		if err := nc.Publish("bench.core", b); err != nil {
			return 0, err
		}
	}
	if err := nc.FlushTimeout(30 * time.Second); err != nil {
		return 0, err
	}
	return float64(len(arts)) / time.Since(start).Seconds(), nil
}

// NATSFigures turns a NATSResult into table rows.
func NATSFigures(r NATSResult) []Figure {
	s := Compare("JetStream publish->ack, sync", "msgs/s", HigherIsBetter, r.SyncPerSec,
		"core NATS request/reply, same msgs", r.CoreRequestPerSec)
	s.Note = fmt.Sprintf("%d msgs of %.1f KB JSON, file store; peer makes the same round trip without storage", r.SyncMessages, r.MeanMessageBytes/1000)
	a := Compare("JetStream publish->ack, async", "msgs/s", HigherIsBetter, r.AsyncPerSec,
		"core NATS publish+flush, same msgs", r.CorePublishPerSec)
	a.Note = fmt.Sprintf("%d msgs in PublishBatch(%d); peer sends the same bytes without storage or acks", r.AsyncMessages, r.Batch)
	fs := Compare("publish->ack sync, fsync before ack", "msgs/s", HigherIsBetter, r.SyncPerSec,
		"same, fsync every 2 min (--nats-sync=interval)", r.IntervalSyncPerSec)
	fs.Note = "the cost of surviving an OS crash or power loss: the default syncs every write before acking"
	fa := Compare("publish->ack async, fsync before ack", "msgs/s", HigherIsBetter, r.AsyncPerSec,
		"same, fsync every 2 min (--nats-sync=interval)", r.IntervalAsyncPerSec)
	fa.Note = fmt.Sprintf("%d msgs in PublishBatch(%d) on each server", r.AsyncMessages, r.Batch)
	return []Figure{s, a, fs, fa}
}

// startBus starts an embedded JetStream server with its files under dir,
// syncing before every ack (the default), connects to it in-process and
// creates the streams. stop closes both.
func startBus(ctx context.Context, dir string, log *zap.Logger) (conn *bus.Conn, stop func(), err error) {
	return startBusSync(ctx, dir, log, bus.SyncAlways)
}

// startBusSync is startBus with the server's sync interval.
func startBusSync(ctx context.Context, dir string, log *zap.Logger, sync time.Duration) (conn *bus.Conn, stop func(), err error) {
	emb, err := bus.StartEmbedded(ctx, bus.EmbeddedConfig{DataDir: dir, SyncInterval: sync}, log)
	if err != nil {
		return nil, nil, err
	}
	conn, err = emb.Connect(ctx, log)
	if err != nil {
		emb.Shutdown()
		return nil, nil, err
	}
	stop = func() { conn.Close(); emb.Shutdown() }
	if err := conn.EnsureStreams(ctx); err != nil {
		stop()
		return nil, nil, err
	}
	return conn, stop, nil
}
