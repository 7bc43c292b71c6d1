package indexer_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/bus"
	"github.com/newswatch/newswatch/bus/bustest"
	"github.com/newswatch/newswatch/indexer"
)

// fastConfig keeps retries and batching short so the tests run quickly.
func fastConfig() indexer.Config {
	return indexer.Config{
		BatchSize:     100,
		FlushInterval: 50 * time.Millisecond,
		MaxDeliver:    3,
		AckWait:       5 * time.Second,
		RetryBackOff:  []time.Duration{10 * time.Millisecond, 20 * time.Millisecond},
		OutageBackOff: 20 * time.Millisecond,
		PutTimeout:    5 * time.Second,
	}
}

// runIndexer starts an indexer and returns it with a function that stops
// it and waits for Run to return.
func runIndexer(t *testing.T, cfg indexer.Config, c *bus.Conn, st *memStore) (*indexer.Indexer, func()) {
	t.Helper()
	ix, err := indexer.New(cfg, c, st, bustest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ix.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Error("Run did not return after cancel")
			}
		})
	}
	t.Cleanup(stop)
	return ix, stop
}

func publishN(t *testing.T, c *bus.Conn, n, from int) map[string]bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ids := map[string]bool{}
	var arts []*article.Article
	for i := from; i < from+n; i++ {
		a := bustest.Article(t, fmt.Sprintf("outlet%d", i%3), i, 500)
		arts = append(arts, a)
		ids[a.ID] = true
	}
	if _, err := c.PublishBatch(ctx, arts); err != nil {
		t.Fatal(err)
	}
	return ids
}

// waitStoredAndDead waits until st holds exactly want and the indexer has
// dead-lettered dead messages, then until it is idle.
func waitStoredAndDead(t *testing.T, ix *indexer.Indexer, st *memStore, want map[string]bool, dead uint64) {
	t.Helper()
	bustest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if err := st.check(want, true); err != nil {
			return err
		}
		if s := ix.Stats(); s.DeadLettered != dead {
			return fmt.Errorf("dead-lettered %d, want %d", s.DeadLettered, dead)
		}
		return nil
	})
	waitIdle(t, ix)
}

// waitIdle waits until the indexer has settled every message in the
// stream: nothing pending, nothing awaiting an ack, and the ack floor at the
// stream's last message.
func waitIdle(t *testing.T, ix *indexer.Indexer) {
	t.Helper()
	ctx := context.Background()
	bustest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		n, err := ix.Pending(ctx)
		if err != nil {
			return err
		}
		if n != 0 {
			return fmt.Errorf("%d messages pending", n)
		}
		info, err := ix.ConsumerInfo(ctx)
		if err != nil {
			return err
		}
		s, err := ix.Conn().JetStream().Stream(ctx, bus.StreamArticles)
		if err != nil {
			return err
		}
		if last := s.CachedInfo().State.LastSeq; info.AckFloor.Stream < last {
			return fmt.Errorf("ack floor at %d, stream at %d", info.AckFloor.Stream, last)
		}
		return nil
	})
}

func deadLetters(t *testing.T, c *bus.Conn) []*jetstream.RawStreamMsg {
	t.Helper()
	ctx := context.Background()
	s, err := c.JetStream().Stream(ctx, bus.StreamDead)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []*jetstream.RawStreamMsg
	for seq := info.State.FirstSeq; seq > 0 && seq <= info.State.LastSeq; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func TestConfigValidate(t *testing.T) {
	if err := (indexer.Config{}).Validate(); err != nil {
		t.Errorf("zero config: %v", err)
	}
	for name, c := range map[string]indexer.Config{
		"batch":      {BatchSize: -1},
		"flush":      {FlushInterval: time.Millisecond},
		"maxdeliver": {MaxDeliver: -2},
		"ackwait":    {AckWait: time.Millisecond},
		"backoff":    {RetryBackOff: []time.Duration{-time.Second}},
		"pending":    {BatchSize: 100, MaxAckPending: 10},
		"filter":     {FilterSubject: "other.x"},
	} {
		if err := c.Validate(); err == nil {
			t.Errorf("%s: invalid config accepted", name)
		}
	}
}

func TestIndexesAllExactlyOnce(t *testing.T) {
	e := bustest.RunBasicJetStreamServer(t)
	c := bustest.Connect(t, e)
	st := newMemStore()
	const n = 1000
	want := publishN(t, c, n, 0)
	reg := prometheus.NewRegistry()
	cfg := fastConfig()
	cfg.Registerer = reg
	ix, _ := runIndexer(t, cfg, c, st)
	// More arrive while it runs.
	for id := range publishN(t, c, 50, n) {
		want[id] = true
	}
	bustest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error { return st.check(want, true) })
	waitIdle(t, ix)
	st.mu.Lock()
	for id, a := range st.attempts {
		if a != 1 {
			t.Errorf("article %s was in %d Puts, want 1", id, a)
		}
	}
	puts := st.puts
	st.mu.Unlock()
	s := ix.Stats()
	if s.Indexed != n+50 || s.Retried != 0 || s.DeadLettered != 0 || s.Batches != uint64(puts) {
		t.Errorf("stats = %+v, store puts = %d", s, puts)
	}
	if s.Batches < (n+50)/100 {
		t.Errorf("%d batches for %d messages with batch size 100", s.Batches, n+50)
	}
	if got := metricValue(t, reg, "newswatch_indexer_messages_total", "indexed"); got != n+50 {
		t.Errorf("indexed metric = %v", got)
	}
	if got := gaugeValue(t, reg, "newswatch_indexer_pending_messages"); got != 0 {
		t.Errorf("pending gauge = %v after catching up", got)
	}
	// A second indexer on the same registry is refused.
	if _, err := indexer.New(cfg, c, st, nil); err == nil {
		t.Error("second registration on one registry accepted")
	}
}

func metricValue(t *testing.T, reg *prometheus.Registry, name, result string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == "result" && lp.GetValue() == result {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("metric %s{result=%q} not found", name, result)
	return 0
}

func gaugeValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	return onlyMetric(t, reg, name).GetGauge().GetValue()
}

func counterValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	return onlyMetric(t, reg, name).GetCounter().GetValue()
}

// onlyMetric returns the one series of metric name.
func onlyMetric(t *testing.T, reg *prometheus.Registry, name string) *dto.Metric {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0]
		}
	}
	t.Fatalf("metric %s not found", name)
	return nil
}

func TestSameIDInBatchKeepsNewest(t *testing.T) {
	e := bustest.RunBasicJetStreamServer(t)
	c := bustest.Connect(t, e)
	ctx := context.Background()
	v1 := bustest.Article(t, "caliber", 1, 0)
	v2 := *v1
	v2.Title = "Edited headline"
	v2.Version = 2
	v2.FetchedAt = v1.FetchedAt.Add(time.Hour)
	if err := v2.Finalize(); err != nil {
		t.Fatal(err)
	}
	// The newer version is published first: order in the batch must not
	// matter.
	for _, a := range []*article.Article{&v2, v1} {
		if _, err := c.Publish(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	st := newMemStore()
	ix, _ := runIndexer(t, fastConfig(), c, st)
	waitIdle(t, ix)
	rec, err := st.Get(ctx, v1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Article.Version != 2 || rec.Article.Title != "Edited headline" {
		t.Errorf("stored version %d %q, want the edited version 2", rec.Article.Version, rec.Article.Title)
	}
	st.mu.Lock()
	attempts := st.attempts[v1.ID]
	st.mu.Unlock()
	if attempts != 1 {
		t.Errorf("article in %d Puts, want 1 (deduplicated in the batch)", attempts)
	}
	if s := ix.Stats(); s.Indexed != 2 || s.Superseded != 1 {
		t.Errorf("stats = %+v, want 2 indexed (both acked), 1 superseded", s)
	}
}

func TestPartialBatchErrorRetried(t *testing.T) {
	e := bustest.RunBasicJetStreamServer(t)
	c := bustest.Connect(t, e)
	want := publishN(t, c, 300, 0)
	st := newMemStore()
	// Every third article fails its first two attempts.
	var flaky atomic.Int64
	st.itemErr = func(a article.Article, attempt int) error {
		if a.ID[0]%3 == 0 && attempt <= 2 {
			flaky.Add(1)
			return fmt.Errorf("shard busy: %w", errBoom)
		}
		return nil
	}
	ix, _ := runIndexer(t, fastConfig(), c, st) // MaxDeliver 3: the third delivery succeeds
	bustest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error { return st.check(want, true) })
	waitIdle(t, ix)
	s := ix.Stats()
	if flaky.Load() == 0 || s.Retried != uint64(flaky.Load()) {
		t.Errorf("retried %d, store failed %d items", s.Retried, flaky.Load())
	}
	if s.DeadLettered != 0 || s.Indexed != 300 {
		t.Errorf("stats = %+v", s)
	}
	if d := deadLetters(t, c); len(d) != 0 {
		t.Errorf("%d dead letters", len(d))
	}
}

func TestAlwaysFailingItemDeadLettered(t *testing.T) {
	e := bustest.RunBasicJetStreamServer(t)
	c := bustest.Connect(t, e)
	want := publishN(t, c, 200, 0)
	poison := bustest.Article(t, "outlet1", 7, 500)
	delete(want, poison.ID)
	st := newMemStore()
	st.itemErr = func(a article.Article, _ int) error {
		if a.ID == poison.ID {
			return errors.New("mapper_parsing_exception: field [title] too long")
		}
		return nil
	}
	ix, _ := runIndexer(t, fastConfig(), c, st)
	waitStoredAndDead(t, ix, st, want, 1)
	st.mu.Lock()
	attempts := st.attempts[poison.ID]
	st.mu.Unlock()
	if attempts != 3 {
		t.Errorf("poison article attempted %d times, want MaxDeliver=3", attempts)
	}
	d := deadLetters(t, c)
	if len(d) != 1 {
		t.Fatalf("%d dead letters, want 1", len(d))
	}
	m := d[0]
	if m.Subject != "articles.dead.outlet1" || m.Header.Get(bus.HeaderDeadReason) != bus.ReasonStoreFailed ||
		m.Header.Get(bus.HeaderDeadDeliveries) != "3" || !strings.Contains(m.Header.Get(bus.HeaderDeadError), "too long") ||
		m.Header.Get(bus.HeaderDeadMsgID) != poison.MsgID() {
		t.Errorf("dead letter %s %v", m.Subject, m.Header)
	}
	if got, err := bus.Decode(m.Data); err != nil || got.ID != poison.ID {
		t.Errorf("dead letter body is not the original article: %v", err)
	}
}

// A backend that fails whole batches (like one bad document failing a bulk
// request) must not take the good articles down with the bad one.
func TestWholeBatchErrorIsolatesPoison(t *testing.T) {
	e := bustest.RunBasicJetStreamServer(t)
	c := bustest.Connect(t, e)
	want := publishN(t, c, 250, 0)
	poison := bustest.Article(t, "outlet0", 42, 500)
	delete(want, poison.ID)
	st := newMemStore()
	st.batchErr = func(arts []*article.Article) error {
		for _, a := range arts {
			if a.ID == poison.ID {
				return errors.New("index write failed")
			}
		}
		return nil
	}
	ix, _ := runIndexer(t, fastConfig(), c, st)
	waitStoredAndDead(t, ix, st, want, 1)
	if d := deadLetters(t, c); len(d) != 1 || d[0].Header.Get(bus.HeaderDeadReason) != bus.ReasonStoreFailed {
		t.Errorf("dead letters: %d", len(d))
	}
}

func TestGarbageDeadLettered(t *testing.T) {
	e := bustest.RunBasicJetStreamServer(t)
	c := bustest.Connect(t, e)
	ctx := context.Background()
	want := publishN(t, c, 20, 0)
	good := bustest.Article(t, "apa", 1000, 0)
	goodJSON, err := bus.Encode(good)
	if err != nil {
		t.Fatal(err)
	}
	invalid := strings.Replace(string(goodJSON), `"schema":"article.v1"`, `"schema":"article.v9"`, 1)
	js := c.JetStream()
	raw := []struct{ subj, body, reason string }{
		{"articles.apa", "<html>not json</html>", bus.ReasonUndecodable},
		{"articles.apa", invalid, bus.ReasonInvalid},
		{"articles.trend", string(goodJSON), bus.ReasonOutletMismatch},
		{"articles.BAD", string(goodJSON), bus.ReasonInvalid},
	}
	for _, r := range raw {
		if _, err := js.Publish(ctx, r.subj, []byte(r.body)); err != nil {
			t.Fatal(err)
		}
	}
	st := newMemStore()
	ix, _ := runIndexer(t, fastConfig(), c, st)
	waitIdle(t, ix)
	if err := st.check(want, true); err != nil {
		t.Error(err)
	}
	d := deadLetters(t, c)
	if len(d) != len(raw) {
		t.Fatalf("%d dead letters, want %d", len(d), len(raw))
	}
	for i, r := range raw {
		m := d[i]
		wantSubj := "articles.dead.apa"
		switch r.subj {
		case "articles.trend":
			wantSubj = "articles.dead.trend"
		case "articles.BAD":
			wantSubj = "articles.dead." + bus.UnknownOutlet
		}
		if m.Subject != wantSubj || m.Header.Get(bus.HeaderDeadReason) != r.reason ||
			m.Header.Get(bus.HeaderDeadSubject) != r.subj || string(m.Data) != r.body ||
			m.Header.Get(bus.HeaderDeadDeliveries) != "1" || m.Header.Get(bus.HeaderDeadError) == "" {
			t.Errorf("dead letter %d: %s %v, want subject %s reason %s", i, m.Subject, m.Header, wantSubj, r.reason)
		}
	}
	if s := ix.Stats(); s.DeadLettered != uint64(len(raw)) || s.Indexed != 20 {
		t.Errorf("stats = %+v", s)
	}
}

// While the store is down, batches are held and retried, never
// dead-lettered, even with MaxDeliver 1.
func TestStoreOutageHoldsBatch(t *testing.T) {
	e := bustest.RunBasicJetStreamServer(t)
	c := bustest.Connect(t, e)
	want := publishN(t, c, 150, 0)
	st := newMemStore()
	var down atomic.Bool
	down.Store(true)
	var failedPuts atomic.Int64
	st.batchErr = func([]*article.Article) error {
		if down.Load() {
			failedPuts.Add(1)
			return errors.New("connection refused")
		}
		return nil
	}
	st.pingErr = func() error {
		if down.Load() {
			return errors.New("connection refused")
		}
		return nil
	}
	cfg := fastConfig()
	cfg.MaxDeliver = 1
	ix, _ := runIndexer(t, cfg, c, st)
	bustest.CheckFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		if failedPuts.Load() < 5 {
			return fmt.Errorf("%d failed puts", failedPuts.Load())
		}
		return nil
	})
	down.Store(false)
	bustest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error { return st.check(want, true) })
	waitIdle(t, ix)
	if s := ix.Stats(); s.DeadLettered != 0 || s.Indexed != 150 {
		t.Errorf("stats = %+v", s)
	}
	if d := deadLetters(t, c); len(d) != 0 {
		t.Errorf("%d dead letters after an outage", len(d))
	}
}

// Shutting down while a batch is being written loses nothing: the batch
// either finishes and is acked, or is handed back and redelivered after a
// restart of the indexer and of the NATS server.
func TestShutdownMidBatchLosesNothing(t *testing.T) {
	for _, tc := range []struct {
		name       string
		putTimeout time.Duration // shorter than the blocked Put: the write is abandoned
	}{
		{"write finishes", 5 * time.Second},
		{"write abandoned", 200 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			e := bustest.RunServerOnDir(t, dir)
			c := bustest.Connect(t, e)
			want := publishN(t, c, 400, 0)

			st := newMemStore()
			entered := make(chan struct{})
			release := make(chan struct{})
			var first atomic.Bool
			st.onPut = func(ctx context.Context, _ []*article.Article) error {
				if first.CompareAndSwap(false, true) {
					close(entered)
					select {
					case <-release:
					case <-ctx.Done():
						return ctx.Err()
					}
				}
				return nil
			}
			cfg := fastConfig()
			cfg.PutTimeout = tc.putTimeout
			_, stop := runIndexer(t, cfg, c, st)
			<-entered
			stopped := make(chan struct{})
			go func() { stop(); close(stopped) }()
			// Run must wait for the write in flight.
			select {
			case <-stopped:
				if tc.putTimeout > time.Second {
					t.Fatal("Run returned while a store write was in flight")
				}
			case <-time.After(300 * time.Millisecond):
			}
			close(release)
			<-stopped
			got := st.count()
			if tc.putTimeout > time.Second && got != 100 {
				t.Errorf("the batch in flight at shutdown stored %d articles, want 100", got)
			}
			if tc.putTimeout < time.Second && got != 0 {
				t.Errorf("an abandoned write stored %d articles", got)
			}

			// Restart NATS on the same directory and a new indexer.
			c.Close()
			e.Shutdown()
			e2 := bustest.RunServerOnDir(t, dir)
			c2 := bustest.Connect(t, e2)
			st.onPut = nil
			ix2, _ := runIndexer(t, fastConfig(), c2, st)
			bustest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error { return st.check(want, true) })
			waitIdle(t, ix2)
			if d := deadLetters(t, c2); len(d) != 0 {
				t.Errorf("%d dead letters", len(d))
			}
		})
	}
}

// The NATS server restarts under a running indexer and publisher: both
// reconnect on their own and every article arrives exactly once in the
// store.
func TestSurvivesServerRestart(t *testing.T) {
	dir := t.TempDir()
	cfg := bustest.TCPConfig(dir)
	e := bustest.RunServer(t, cfg)
	cfg.Port = e.Port()
	c := bustest.Connect(t, e)
	want := publishN(t, c, 200, 0)
	st := newMemStore()
	ix, _ := runIndexer(t, fastConfig(), c, st)
	bustest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error { return st.check(want, true) })

	e.Shutdown()
	// Publish while the server is down: Publish retries until it is back.
	published := make(chan error, 1)
	more := map[string]bool{}
	var arts []*article.Article
	for i := 200; i < 300; i++ {
		a := bustest.Article(t, "outlet1", i, 500)
		arts = append(arts, a)
		more[a.ID] = true
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		for _, a := range arts {
			if _, err := c.Publish(ctx, a); err != nil {
				published <- err
				return
			}
		}
		published <- nil
	}()
	time.Sleep(300 * time.Millisecond) // the server stays down for a while
	bustest.RunServer(t, cfg)
	if err := <-published; err != nil {
		t.Fatalf("publish across the restart: %v", err)
	}
	for id := range more {
		want[id] = true
	}
	bustest.CheckFor(t, 15*time.Second, 20*time.Millisecond, func() error { return st.check(want, true) })
	waitIdle(t, ix)
	if s := ix.Stats(); s.DeadLettered != 0 {
		t.Errorf("stats = %+v", s)
	}
}

type tempErr struct{ msg string }

func (e tempErr) Error() string   { return e.msg }
func (e tempErr) Temporary() bool { return true }

// Articles failing with an error marked Temporary are retried past
// MaxDeliver and never dead-lettered.
func TestTemporaryItemErrorNotDeadLettered(t *testing.T) {
	e := bustest.RunBasicJetStreamServer(t)
	c := bustest.Connect(t, e)
	want := publishN(t, c, 60, 0)
	st := newMemStore()
	st.itemErr = func(a article.Article, attempt int) error {
		if attempt <= 5 { // MaxDeliver is 3
			return fmt.Errorf("bulk item: %w", tempErr{"es_rejected_execution_exception (429)"})
		}
		return nil
	}
	ix, _ := runIndexer(t, fastConfig(), c, st)
	bustest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error { return st.check(want, true) })
	waitIdle(t, ix)
	if s := ix.Stats(); s.DeadLettered != 0 || s.Retried != 5*60 {
		t.Errorf("stats = %+v, want 300 retries and no dead letters", s)
	}
}

// A whole-batch error marked Temporary holds the batch without bisecting
// or pinging.
func TestTemporaryBatchErrorHoldsBatch(t *testing.T) {
	e := bustest.RunBasicJetStreamServer(t)
	c := bustest.Connect(t, e)
	want := publishN(t, c, 100, 0)
	st := newMemStore()
	var calls, pings atomic.Int64
	var sizes sync.Map
	st.batchErr = func(arts []*article.Article) error {
		sizes.Store(len(arts), true)
		if calls.Add(1) <= 3 {
			return tempErr{"cluster_block_exception"}
		}
		return nil
	}
	st.pingErr = func() error { pings.Add(1); return nil }
	cfg := fastConfig()
	cfg.MaxDeliver = 1
	ix, _ := runIndexer(t, cfg, c, st)
	bustest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error { return st.check(want, true) })
	waitIdle(t, ix)
	if s := ix.Stats(); s.DeadLettered != 0 || s.Indexed != 100 {
		t.Errorf("stats = %+v", s)
	}
	sizes.Range(func(k, _ any) bool {
		if k.(int) != 100 {
			t.Errorf("a Put of %d articles: the batch was split", k)
		}
		return true
	})
	if pings.Load() != 0 {
		t.Errorf("%d pings", pings.Load())
	}
}

// On a 3-node cluster with replicated streams, losing the stream's leader
// neither stops publishing nor indexing, and loses nothing.
func TestSurvivesClusterLeaderLoss(t *testing.T) {
	cl := bustest.RunCluster(t, 3)
	c := bustest.ConnectCluster(t, cl, bus.StreamConfig{Replicas: 3})
	want := publishN(t, c, 200, 0)
	st := newMemStore()
	ix, _ := runIndexer(t, fastConfig(), c, st)
	bustest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error { return st.check(want, true) })

	ctx := context.Background()
	s, err := c.JetStream().Stream(ctx, bus.StreamArticles)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil || info.Cluster == nil || info.Cluster.Leader == "" || info.Config.Replicas != 3 {
		t.Fatalf("stream not replicated: %+v, %v", info, err)
	}
	stopped := cl.Stop(info.Cluster.Leader)

	for id := range publishN(t, c, 200, 200) {
		want[id] = true
	}
	bustest.CheckFor(t, 15*time.Second, 20*time.Millisecond, func() error { return st.check(want, true) })
	// The old leader comes back and catches up; still nothing twice.
	cl.Restart(stopped)
	for id := range publishN(t, c, 50, 400) {
		want[id] = true
	}
	bustest.CheckFor(t, 15*time.Second, 20*time.Millisecond, func() error { return st.check(want, true) })
	waitIdle(t, ix)
	if s := ix.Stats(); s.DeadLettered != 0 {
		t.Errorf("stats = %+v", s)
	}
}

// A consumer deleted under a running indexer is created again and
// indexing goes on.
func TestConsumerDeletedIsRecreated(t *testing.T) {
	e := bustest.RunBasicJetStreamServer(t)
	c := bustest.Connect(t, e)
	want := publishN(t, c, 50, 0)
	st := newMemStore()
	ix, _ := runIndexer(t, fastConfig(), c, st)
	bustest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error { return st.check(want, true) })
	if err := c.JetStream().DeleteConsumer(context.Background(), bus.StreamArticles, indexer.DefaultDurable); err != nil {
		t.Fatal(err)
	}
	for id := range publishN(t, c, 50, 50) {
		want[id] = true
	}
	bustest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error { return st.check(want, true) })
	waitIdle(t, ix)
}
