// Package indexer moves articles from the bus into the search store: a
// durable JetStream pull consumer that fetches messages in batches (by size
// and by time), decodes them, writes each batch with store.Put and
// acknowledges only the messages whose articles the store confirmed.
//
// Failures are handled per message: an undecodable or invalid message goes
// to the dead-letter subject "articles.dead.<outlet>" at once; an article
// the store rejects is delivered again after a back-off and dead-lettered
// after Config.MaxDeliver deliveries; while the store is down (Put and Ping
// fail) the batch is held and retried in place, so an outage dead-letters
// nothing. A message is acked (or terminated after its dead letter is
// confirmed) only after its fate is durable, so nothing is lost: at worst
// an article is delivered again, and store writes are idempotent.
package indexer

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/bus"
	"github.com/newswatch/newswatch/internal/backoff"
	"github.com/newswatch/newswatch/store"
)

// ErrRunning is returned by Run when the indexer is already running.
var ErrRunning = errors.New("indexer already running")

// Stats are the indexer's counters since New.
type Stats struct {
	Batches      uint64 // batches written to the store (Put calls that succeeded at least in part)
	Indexed      uint64 // messages acked because the store confirmed their article
	Superseded   uint64 // of those, messages whose article was replaced in the batch by a newer version of the same ID
	Retried      uint64 // messages handed back for a later delivery (store rejected them)
	DeadLettered uint64 // messages moved to the dead-letter subject
	PutErrors    uint64 // store.Put calls that returned an error
}

// Indexer consumes articles from the bus into a store.
type Indexer struct {
	cfg     Config
	conn    *bus.Conn
	st      store.Store
	log     *zap.Logger
	metrics *metrics
	health  storeHealth
	running atomic.Bool

	batches, indexed, superseded, retried, dead, putErrors atomic.Uint64
}

// New returns an Indexer writing into st. Run starts it.
func New(cfg Config, conn *bus.Conn, st store.Store, log *zap.Logger) (*Indexer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	if conn == nil || st == nil {
		return nil, errors.New("indexer: nil bus connection or store")
	}
	if log == nil {
		log = zap.NewNop()
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	ix := &Indexer{cfg: cfg, conn: conn, st: st, log: log.Named("indexer"), metrics: m}
	ix.health.metrics = m
	if err := m.registerHealth(cfg.Registerer, &ix.health); err != nil {
		return nil, err
	}
	if cfg.Registerer != nil {
		pending := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: "newswatch", Subsystem: "indexer", Name: "pending_messages",
			Help: "Messages in the stream the indexer has not finished (not delivered yet, or not acked yet); NaN when NATS cannot be asked.",
		}, func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			n, err := ix.Pending(ctx)
			if err != nil {
				return math.NaN()
			}
			return float64(n)
		})
		if err := cfg.Registerer.Register(pending); err != nil {
			return nil, fmt.Errorf("indexer metrics: %w", err)
		}
	}
	return ix, nil
}

// Stats returns a snapshot of the counters.
func (ix *Indexer) Stats() Stats {
	return Stats{
		Batches:      ix.batches.Load(),
		Indexed:      ix.indexed.Load(),
		Superseded:   ix.superseded.Load(),
		Retried:      ix.retried.Load(),
		DeadLettered: ix.dead.Load(),
		PutErrors:    ix.putErrors.Load(),
	}
}

// ConsumerConfig is the JetStream consumer the indexer creates or updates
// (bus.IndexerConsumer with this indexer's settings).
func (ix *Indexer) ConsumerConfig() jetstream.ConsumerConfig {
	return bus.IndexerConsumer(bus.IndexerConsumerConfig{
		Durable:       ix.cfg.Durable,
		FilterSubject: ix.cfg.FilterSubject,
		AckWait:       ix.cfg.AckWait,
		MaxAckPending: ix.cfg.MaxAckPending,
	})
}

// ConsumerInfo returns the server's view of the indexer's consumer.
func (ix *Indexer) ConsumerInfo(ctx context.Context) (*jetstream.ConsumerInfo, error) {
	c, err := ix.conn.JetStream().Consumer(ctx, ix.cfg.Stream, ix.cfg.Durable)
	if err != nil {
		return nil, fmt.Errorf("indexer consumer: %w", err)
	}
	info, err := c.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("indexer consumer info: %w", err)
	}
	return info, nil
}

// Pending returns how many messages the consumer has not finished: not yet
// delivered plus delivered and not yet acked. It is 0 when the index is
// caught up with the stream.
func (ix *Indexer) Pending(ctx context.Context) (uint64, error) {
	info, err := ix.ConsumerInfo(ctx)
	if err != nil {
		return 0, err
	}
	n := info.NumPending + uint64(info.NumAckPending)
	if n == 0 && ix.cfg.FilterSubject == "" {
		// Right after the consumer is created the server may report no
		// pending messages before it has counted them: compare the ack
		// floor with the stream's last message too.
		s, err := ix.conn.JetStream().Stream(ctx, ix.cfg.Stream)
		if err != nil {
			return 0, fmt.Errorf("indexer stream: %w", err)
		}
		if last := s.CachedInfo().State.LastSeq; info.AckFloor.Stream < last {
			n = last - info.AckFloor.Stream
		}
	}
	return n, nil
}

// Conn returns the bus connection the indexer uses.
func (ix *Indexer) Conn() *bus.Conn { return ix.conn }

// Run creates (or updates) the durable consumer and indexes until ctx is
// done; then it returns nil. A batch in flight when ctx is cancelled
// finishes its store write (within Config.PutTimeout) and is acked;
// messages fetched but not yet written are handed back for immediate
// redelivery.
func (ix *Indexer) Run(ctx context.Context) error {
	if !ix.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer ix.running.Store(false)

	cons, err := ix.ensureConsumer(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	ix.log.Info("indexer started", zap.String("stream", ix.cfg.Stream), zap.String("consumer", ix.cfg.Durable),
		zap.Int("batch_size", ix.cfg.BatchSize), zap.Duration("flush_interval", ix.cfg.FlushInterval))
	defer func() { ix.log.Info("indexer stopped", zap.Any("stats", ix.Stats())) }()

	errWait := retryBackoff.Start()
	lastCheck := time.Now()
	for ctx.Err() == nil {
		msgs, err := ix.fetch(cons)
		if err == nil && len(msgs) == 0 && time.Since(lastCheck) < consumerCheckInterval {
			continue
		}
		if err != nil && errors.Is(err, nats.ErrConnectionClosed) {
			return fmt.Errorf("indexer: %w", err)
		}
		if err != nil || len(msgs) == 0 {
			// A failed or long-idle fetch: make sure the consumer still
			// exists. One deleted from outside (an operator, a lost
			// non-replicated store) is created again and indexing goes on
			// from the stream's start; store writes are idempotent.
			lastCheck = time.Now()
			if ix.consumerGone(ctx, cons, err) {
				ix.log.Warn("consumer gone; creating it again", zap.NamedError("fetch_error", err))
				if cons, err = ix.ensureConsumer(ctx); err != nil {
					if ctx.Err() != nil {
						break
					}
					return err
				}
				continue
			}
		}
		if err != nil {
			wait := errWait.Next()
			ix.log.Warn("fetch failed; retrying", zap.Error(err), zap.Duration("wait", wait))
			if !backoff.Sleep(ctx, wait) {
				break
			}
			continue
		}
		errWait.Reset()
		if len(msgs) == 0 {
			continue
		}
		if ctx.Err() != nil {
			ix.handBack(msgs)
			break
		}
		ix.process(ctx, msgs)
	}
	return nil
}

// retryBackoff spaces retries of failed fetches and consumer creation:
// 100ms doubling up to 5s.
var retryBackoff = backoff.Policy{Initial: 100 * time.Millisecond, Max: 5 * time.Second}

// consumerCheckInterval is how often an idle indexer checks that its
// consumer still exists.
const consumerCheckInterval = 5 * time.Second

// consumerGone reports whether the consumer was deleted: fetchErr says so,
// or the server does not know it.
func (ix *Indexer) consumerGone(ctx context.Context, cons jetstream.Consumer, fetchErr error) bool {
	if errors.Is(fetchErr, jetstream.ErrConsumerNotFound) || errors.Is(fetchErr, jetstream.ErrConsumerDeleted) {
		return true
	}
	ictx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err := cons.Info(ictx)
	return errors.Is(err, jetstream.ErrConsumerNotFound)
}

func (ix *Indexer) ensureConsumer(ctx context.Context) (jetstream.Consumer, error) {
	b := retryBackoff.Start()
	for {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		cons, err := ix.conn.JetStream().CreateOrUpdateConsumer(cctx, ix.cfg.Stream, ix.ConsumerConfig())
		cancel()
		if err == nil {
			return cons, nil
		}
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			return nil, fmt.Errorf("indexer: stream %s not found (run bus EnsureStreams first): %w", ix.cfg.Stream, err)
		}
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) && apiErr.Code == 400 {
			return nil, fmt.Errorf("indexer: create consumer %s: %w", ix.cfg.Durable, err)
		}
		wait := b.Next()
		ix.log.Warn("create consumer failed; retrying", zap.Error(err), zap.Duration("wait", wait))
		if !backoff.Sleep(ctx, wait) {
			return nil, ctx.Err()
		}
	}
}

// fetch returns up to BatchSize messages, waiting at most FlushInterval for
// the batch to fill.
func (ix *Indexer) fetch(cons jetstream.Consumer) ([]jetstream.Msg, error) {
	b, err := cons.Fetch(ix.cfg.BatchSize, jetstream.FetchMaxWait(ix.cfg.FlushInterval))
	if err != nil {
		return nil, err
	}
	var msgs []jetstream.Msg
	for m := range b.Messages() {
		msgs = append(msgs, m)
	}
	if err := b.Error(); err != nil && len(msgs) == 0 &&
		!errors.Is(err, nats.ErrTimeout) && !errors.Is(err, jetstream.ErrNoMessages) {
		return nil, err
	}
	return msgs, nil
}

// settleTimeout bounds publishing the dead letters of one batch.
const settleTimeout = 30 * time.Second

// handBackDelay is the Nak delay for messages handed back unprocessed. A
// Nak with a delay is persisted by the server (a plain Nak only queues the
// message in memory), so the message is redelivered at once even after the
// server restarts, instead of after AckWait.
const handBackDelay = time.Millisecond

// handBack naks messages for immediate redelivery (shutdown).
func (ix *Indexer) handBack(msgs []jetstream.Msg) {
	for _, m := range msgs {
		_ = m.NakWithDelay(handBackDelay)
	}
	ix.flush()
}

// item is one decoded message.
type item struct {
	msg  jetstream.Msg
	meta *jetstream.MsgMetadata
	art  *article.Article
}

// group is the messages of one article ID in a batch; art is the newest
// version among them.
type group struct {
	art   *article.Article
	items []item
}

// versions returns the distinct versions of the group's articles (one per
// Nats-Msg-Id), each of which joins the article's history in the store.
func (g *group) versions() []*article.Article {
	seen := map[string]bool{}
	var out []*article.Article
	for _, it := range g.items {
		if k := it.art.MsgID(); !seen[k] {
			seen[k] = true
			out = append(out, it.art)
		}
	}
	return out
}

// process decodes, stores and acks one fetched batch.
func (ix *Indexer) process(ctx context.Context, msgs []jetstream.Msg) {
	start := time.Now()
	// Past this point the batch runs to completion even if ctx is
	// cancelled: its store write finishes and its messages are acked.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ix.cfg.PutTimeout)
	defer cancel()

	byID := map[string]int{}
	var groups []*group
	for _, m := range msgs {
		meta, err := m.Metadata()
		if err != nil {
			// Not a JetStream message: nothing to ack.
			ix.log.Error("message without metadata", zap.String("subject", m.Subject()), zap.Error(err))
			continue
		}
		a, reason, err := decode(m)
		if err != nil {
			ix.deadLetter(wctx, item{msg: m, meta: meta}, reason, err)
			continue
		}
		it := item{msg: m, meta: meta, art: a}
		if gi, ok := byID[a.ID]; ok {
			g := groups[gi]
			g.items = append(g.items, it)
			if a.Newer(g.art) {
				g.art = a
			}
			continue
		}
		byID[a.ID] = len(groups)
		groups = append(groups, &group{art: a, items: []item{it}})
	}
	if len(groups) > 0 {
		stopKeep := ix.keepAlive(groups)
		failed := ix.put(ctx, wctx, groups)
		stopKeep()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
		ix.settle(sctx, groups, failed)
		cancel()
	}
	ix.flush()
	ix.metrics.batchSeconds.Observe(time.Since(start).Seconds())
	ix.metrics.batchSize.Observe(float64(len(msgs)))
}

// decode returns the article of m, or the dead-letter reason and error.
func decode(m jetstream.Msg) (*article.Article, string, error) {
	a, err := bus.Decode(m.Data())
	if err != nil {
		if errors.Is(err, article.ErrInvalid) {
			return nil, bus.ReasonInvalid, err
		}
		return nil, bus.ReasonUndecodable, err
	}
	outlet, err := bus.OutletOfSubject(m.Subject())
	if err != nil {
		return nil, bus.ReasonInvalid, err
	}
	if outlet != a.Outlet {
		return nil, bus.ReasonOutletMismatch, fmt.Errorf("article outlet %q published on subject %q", a.Outlet, m.Subject())
	}
	return a, "", nil
}

// put writes every version in the groups (a batch may hold A, B and A
// again of one article: each joins its history) and returns the failed
// group indices with their errors; a group fails when any of its versions
// does. During a store outage it retries until the store is back or ctx
// (the Run context) is done; then, or when the write timed out as a whole,
// every group counts as failed with a nil error, which settle hands back
// for immediate redelivery.
func (ix *Indexer) put(ctx, wctx context.Context, groups []*group) map[int]error {
	var (
		arts  []*article.Article
		owner []int // group index of arts[i]
	)
	for gi, g := range groups {
		for _, a := range g.versions() {
			arts = append(arts, a)
			owner = append(owner, gi)
		}
	}
	byGroup := func(failed map[int]error) map[int]error {
		if failed == nil {
			return nil
		}
		out := make(map[int]error, len(failed))
		for i, err := range failed {
			if _, ok := out[owner[i]]; !ok || out[owner[i]] == nil {
				out[owner[i]] = err
			}
		}
		return out
	}
	handBack := func() map[int]error {
		all := make(map[int]error, len(groups))
		for i := range groups {
			all[i] = nil
		}
		return all
	}
	outage := backoff.Policy{Initial: min(100*time.Millisecond, ix.cfg.OutageBackOff), Max: ix.cfg.OutageBackOff}.Start()
	held := 0
	for _, g := range groups {
		held += len(g.items)
	}
	wasDown := false
	for attempt := 0; ; attempt++ {
		if attempt > 0 && wasDown {
			ix.metrics.outageRetries.Inc()
		}
		failed, total, pingErr, timedOut := ix.tryPut(ctx, wctx, attempt, arts)
		switch {
		case total == nil:
			ix.batches.Add(1)
			ix.metrics.batches.Inc()
			ix.health.up(ix.log)
			return byGroup(failed)
		case timedOut:
			ix.log.Warn("store write timed out; handing the batch back", zap.Error(total),
				zap.Int("articles", len(arts)), zap.Duration("put_timeout", ix.cfg.PutTimeout))
			return handBack()
		case pingErr == nil && !wasDown:
			// Every article failed, even one by one, while the store was
			// up: the articles themselves are rejected.
			ix.health.up(ix.log)
			return byGroup(failed)
		case pingErr == nil:
			// The store came back during this attempt: try again before
			// blaming the articles.
			wasDown = false
			ix.log.Info("store is back; retrying the held batch", zap.Int("articles", len(arts)))
			continue
		}
		wasDown = true
		ix.health.down(ix.log, pingErr, held)
		wait := outage.Next()
		ix.log.Warn("store unavailable; holding the batch", zap.Error(pingErr), zap.NamedError("put_error", total),
			zap.Int("articles", len(arts)), zap.Duration("retry_in", wait))
		if !backoff.Sleep(ctx, wait) {
			ix.health.release()
			return handBack()
		}
	}
}

// tryPut is one attempt of put: the first uses wctx, later ones (during an
// outage) get a fresh write deadline. When the whole write fails it pings
// the store: if the store is down that is an outage (pingErr); if it is up
// the batch is bisected to find the articles it rejects, and the store is
// pinged again if they all fail. timedOut reports that the write ran out of
// time.
func (ix *Indexer) tryPut(ctx, wctx context.Context, attempt int, arts []*article.Article) (failed map[int]error, total, pingErr error, timedOut bool) {
	if attempt > 0 {
		var cancel context.CancelFunc
		wctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), ix.cfg.PutTimeout)
		defer cancel()
	}
	failed, total = ix.putOnce(wctx, arts, 0)
	if total == nil {
		return failed, nil, nil, false
	}
	if wctx.Err() != nil {
		return failed, total, nil, true
	}
	if Temporary(total) {
		// The store says so itself: hold the batch as in an outage.
		return failed, total, total, false
	}
	if pingErr = ix.st.Ping(wctx); pingErr != nil || len(arts) == 1 {
		return failed, total, pingErr, false
	}
	mid := len(arts) / 2
	f1, e1 := ix.putBisect(wctx, arts[:mid], 0)
	f2, e2 := ix.putBisect(wctx, arts[mid:], mid)
	failed = make(map[int]error, len(f1)+len(f2))
	for i, e := range f1 {
		failed[i] = e
	}
	for i, e := range f2 {
		failed[i] = e
	}
	if e1 == nil || e2 == nil {
		return failed, nil, nil, false
	}
	if wctx.Err() != nil {
		return failed, total, nil, true
	}
	return failed, total, ix.st.Ping(wctx), false
}

// putOnce stores arts and returns the failed indices (offset by off) with
// their errors and, when the whole write failed, its error.
func (ix *Indexer) putOnce(ctx context.Context, arts []*article.Article, off int) (map[int]error, error) {
	err := ix.st.Put(ctx, arts)
	if err == nil {
		return nil, nil
	}
	ix.putErrors.Add(1)
	ix.metrics.putErrors.Inc()
	var be *store.BatchError
	if errors.As(err, &be) {
		failed := make(map[int]error, len(be.Failed))
		for i, e := range be.Failed {
			if i >= 0 && i < len(arts) {
				if e == nil {
					e = errors.New("store reported a failure without an error")
				}
				failed[off+i] = e
			}
		}
		return failed, nil
	}
	failed := make(map[int]error, len(arts))
	for i := range arts {
		failed[off+i] = err
	}
	return failed, err
}

// putBisect stores arts; on a whole-write error it splits them in halves to
// find the articles the store rejects. It returns every failed index
// (offset by off) with its error and, when every article failed, the error
// of the whole write.
func (ix *Indexer) putBisect(ctx context.Context, arts []*article.Article, off int) (map[int]error, error) {
	failed, err := ix.putOnce(ctx, arts, off)
	if err == nil || len(arts) == 1 || ctx.Err() != nil {
		return failed, err
	}
	mid := len(arts) / 2
	f1, e1 := ix.putBisect(ctx, arts[:mid], off)
	f2, e2 := ix.putBisect(ctx, arts[mid:], off+mid)
	failed = make(map[int]error, len(f1)+len(f2))
	for i, e := range f1 {
		failed[i] = e
	}
	for i, e := range f2 {
		failed[i] = e
	}
	if e1 != nil && e2 != nil {
		return failed, err
	}
	return failed, nil
}

// Temporary reports whether a store error says it will pass: some error
// in its chain has a Temporary() bool method that returns true (net.Error
// timeouts, or a backend marking an overloaded or rejected-for-now write,
// such as Elasticsearch's 429 per item). A temporary whole-batch error holds
// the batch like an outage; an article failing temporarily is retried with
// back-off and never dead-lettered for it.
func Temporary(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

// settle acks the messages of stored groups and retries or dead-letters
// those of failed ones.
func (ix *Indexer) settle(ctx context.Context, groups []*group, failed map[int]error) {
	for gi, g := range groups {
		ferr, bad := failed[gi]
		for _, it := range g.items {
			switch {
			case !bad:
				if err := it.msg.Ack(); err != nil {
					ix.log.Warn("ack failed; the article will be delivered again", zap.String("id", g.art.ID), zap.Error(err))
					continue
				}
				ix.indexed.Add(1)
				ix.metrics.messages.WithLabelValues("indexed").Inc()
				if it.art != g.art {
					ix.superseded.Add(1)
					ix.metrics.messages.WithLabelValues("superseded").Inc()
				}
			case ferr == nil:
				// Shutdown during a store outage: hand back now.
				_ = it.msg.NakWithDelay(handBackDelay)
			case it.meta.NumDelivered >= uint64(ix.cfg.MaxDeliver) && !Temporary(ferr):
				ix.deadLetter(ctx, it, bus.ReasonStoreFailed, ferr)
			default:
				delay := ix.cfg.retryDelay(it.meta.NumDelivered)
				ix.log.Warn("store rejected article; will retry", zap.String("id", g.art.ID),
					zap.Uint64("delivery", it.meta.NumDelivered), zap.Duration("retry_in", delay), zap.Error(ferr))
				if err := it.msg.NakWithDelay(delay); err != nil {
					ix.log.Warn("nak failed", zap.Error(err))
				}
				ix.retried.Add(1)
				ix.metrics.messages.WithLabelValues("retried").Inc()
			}
		}
	}
}

// deadLetter publishes it to the dead-letter subject and, once the server
// confirmed it, terminates the original. If the dead letter cannot be
// published the original is handed back for a later delivery.
func (ix *Indexer) deadLetter(ctx context.Context, it item, reason string, cause error) {
	d := bus.DeadLetter{
		Subject:    it.msg.Subject(),
		Data:       it.msg.Data(),
		MsgID:      it.msg.Headers().Get(jetstream.MsgIDHeader),
		Deliveries: it.meta.NumDelivered,
		StreamSeq:  it.meta.Sequence.Stream,
		Reason:     reason,
		Err:        cause,
	}
	if _, err := ix.conn.PublishDead(ctx, d); err != nil {
		delay := ix.cfg.retryDelay(it.meta.NumDelivered)
		ix.log.Error("dead letter not published; will retry", zap.Uint64("stream_seq", d.StreamSeq), zap.Error(err))
		_ = it.msg.NakWithDelay(delay)
		return
	}
	if err := it.msg.TermWithReason(reason); err != nil {
		// The dead letter is stored; a redelivery will be dead-lettered
		// again as a duplicate (same stream sequence).
		ix.log.Warn("term failed", zap.Error(err))
	}
	ix.dead.Add(1)
	ix.metrics.messages.WithLabelValues("dead_lettered").Inc()
	ix.log.Warn("message dead-lettered", zap.String("subject", d.Subject), zap.Uint64("stream_seq", d.StreamSeq),
		zap.Uint64("deliveries", d.Deliveries), zap.String("reason", reason), zap.Error(cause))
}

// keepAlive sends progress acks for the batch's messages every third of
// AckWait, so a slow store write does not cause redeliveries. The returned
// function stops it.
func (ix *Indexer) keepAlive(groups []*group) func() {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(ix.cfg.AckWait / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				for _, g := range groups {
					for _, it := range g.items {
						_ = it.msg.InProgress()
					}
				}
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// flush pushes buffered acks to the server and waits for it to have read
// them.
func (ix *Indexer) flush() {
	if err := ix.conn.NATS().FlushTimeout(5 * time.Second); err != nil {
		ix.log.Warn("flush acks", zap.Error(err))
	}
}
