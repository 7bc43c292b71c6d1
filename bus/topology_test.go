package bus_test

import (
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/bus"
	"github.com/newswatch/newswatch/bus/bustest"
)

// Everything newswatch keeps on the server comes from one declaration,
// with its limits; nothing in it drops an unindexed article to make room.
func TestTopologyDeclaresLimits(t *testing.T) {
	top, err := bus.NewTopology(bus.StreamConfig{MaxBytes: 1 << 30, MaxAge: 30 * 24 * time.Hour}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(top.Streams) != 5 || len(top.Buckets) != 6 {
		t.Fatalf("topology has %d streams and %d buckets", len(top.Streams), len(top.Buckets))
	}
	for _, s := range top.Streams {
		if s.Name == bus.StreamOutletEvents || s.Name == bus.StreamWatchDead || s.Name == bus.StreamWatchEvents {
			// Health and watch events are no articles: the oldest go
			// after 30 days (7 for watch events).
			want := bus.DefaultEventsMaxAge
			if s.Name == bus.StreamWatchEvents {
				want = bus.DefaultWatchEventsMaxAge
			}
			if s.MaxAge != want || s.Replicas != 1 {
				t.Errorf("stream %s: max age %v, replicas %d", s.Name, s.MaxAge, s.Replicas)
			}
			continue
		}
		if s.Discard != jetstream.DiscardNew {
			t.Errorf("stream %s discards old messages when full: unindexed articles could be dropped", s.Name)
		}
		if s.Storage != jetstream.FileStorage || s.Replicas != 1 || s.Duplicates != bus.DefaultDuplicates {
			t.Errorf("stream %s: storage %v, replicas %d, duplicates %v", s.Name, s.Storage, s.Replicas, s.Duplicates)
		}
	}
	a := top.Streams[0]
	if a.Name != bus.StreamArticles || a.MaxBytes != 1<<30 || a.MaxAge != 30*24*time.Hour || a.MaxMsgs != -1 {
		t.Errorf("ARTICLES limits: %+v", a)
	}
	top3, err := bus.NewTopology(bus.StreamConfig{}, bus.ClusterReplicas)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range top3.Streams {
		if s.Replicas != 3 {
			t.Errorf("clustered stream %s has %d replicas", s.Name, s.Replicas)
		}
	}
	for _, b := range top3.Buckets {
		if b.Replicas != 3 {
			t.Errorf("clustered bucket %s has %d replicas", b.Bucket, b.Replicas)
		}
		if b.Bucket == bus.BucketLeases && b.TTL != bus.DefaultLeaseTTL {
			t.Errorf("lease bucket TTL %v", b.TTL)
		}
		if b.Bucket == bus.BucketStories && b.TTL != bus.DefaultStoriesTTL {
			t.Errorf("stories bucket TTL %v", b.TTL)
		}
	}
	for _, bad := range []bus.StreamConfig{{Replicas: 2}, {MaxMsgs: -1}, {MaxAge: time.Minute}, {LeaseTTL: time.Millisecond}} {
		if _, err := bus.NewTopology(bad, 1); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	c := bus.IndexerConsumer(bus.IndexerConsumerConfig{Durable: "indexer", AckWait: time.Minute, MaxAckPending: 100})
	if c.AckPolicy != jetstream.AckExplicitPolicy || c.MaxDeliver != -1 || c.DeliverPolicy != jetstream.DeliverAllPolicy || len(c.BackOff) != 0 {
		t.Errorf("indexer consumer: %+v", c)
	}
}

// A stream that reaches its limit refuses new articles with ErrStreamFull
// at once (no 30-second retry) and keeps every article it had; Pressure
// and the Throttle see it coming.
func TestStreamFullRefusesNewKeepsOld(t *testing.T) {
	e := bustest.RunBasicJetStreamServer(t)
	c := bustest.Connect(t, e)
	ctx := ctxT(t)
	if err := c.EnsureStreamsWith(ctx, bus.StreamConfig{MaxMsgs: 10}); err != nil {
		t.Fatal(err)
	}
	var changes []bool
	th, err := bus.NewThrottle(c, bus.ThrottleConfig{SlowAt: 0.5, MaxDelay: 40 * time.Millisecond, Refresh: time.Nanosecond,
		OnChange: func(_ bus.Pressure, slow bool) { changes = append(changes, slow) }})
	if err != nil {
		t.Fatal(err)
	}
	var waited []time.Duration
	for i := 0; i < 10; i++ {
		start := time.Now()
		if err := th.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		waited = append(waited, time.Since(start))
		if _, err := c.Publish(ctx, bustest.Article(t, "caliber", i, 0)); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	p, err := c.Pressure(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if p.Msgs != 10 || p.MaxMsgs != 10 || p.Fill != 1 {
		t.Errorf("pressure at the limit: %+v", p)
	}
	if waited[0] > 30*time.Millisecond || waited[9] < 30*time.Millisecond {
		t.Errorf("throttle waits %v: want none when empty, most near the limit", waited)
	}
	if !th.Slow() || len(changes) != 1 || !changes[0] {
		t.Errorf("slow %v, changes %v", th.Slow(), changes)
	}

	start := time.Now()
	_, err = c.Publish(ctx, bustest.Article(t, "caliber", 10, 0))
	if !errors.Is(err, bus.ErrStreamFull) {
		t.Fatalf("publish into a full stream: %v, want ErrStreamFull", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("refusal took %v: it was retried", d)
	}
	res, err := c.PublishBatch(ctx, []*article.Article{bustest.Article(t, "caliber", 11, 0)})
	if !errors.Is(err, bus.ErrStreamFull) || !errors.Is(res[0].Err, bus.ErrStreamFull) {
		t.Errorf("batch into a full stream: %v", err)
	}
	s, err := c.JetStream().Stream(ctx, bus.StreamArticles)
	if err != nil {
		t.Fatal(err)
	}
	if info := s.CachedInfo(); info.State.Msgs != 10 || info.State.FirstSeq != 1 {
		t.Errorf("full stream holds %d messages from seq %d; want the first 10 kept", info.State.Msgs, info.State.FirstSeq)
	}

	// Room again (limit raised): publishing goes on and the throttle lets go.
	if err := c.EnsureStreamsWith(ctx, bus.StreamConfig{MaxMsgs: 1000}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Publish(ctx, bustest.Article(t, "caliber", 10, 0)); err != nil {
		t.Fatalf("publish after raising the limit: %v", err)
	}
	th.Pressure(ctx)
	if th.Slow() || len(changes) != 2 || changes[1] {
		t.Errorf("after raising the limit: slow %v, changes %v", th.Slow(), changes)
	}
}

// The embedded server's storage limit counts in Pressure.
func TestPressureServerStorage(t *testing.T) {
	e := bustest.RunServer(t, bus.EmbeddedConfig{DataDir: t.TempDir(), MaxStore: 1 << 20})
	c := bustest.Connect(t, e)
	ctx := ctxT(t)
	for i := 0; i < 20; i++ {
		if _, err := c.Publish(ctx, bustest.Article(t, "caliber", i, 10_000)); err != nil {
			t.Fatal(err)
		}
	}
	p, err := c.Pressure(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if p.StoreMax != 1<<20 || p.StoreUsed < 200_000 || p.Fill < 0.19 || p.Fill > 0.5 {
		t.Errorf("pressure of 20 x 10 KB on a 1 MiB server: %+v", p)
	}
}

// The embedded server syncs every write before acknowledging it, unless
// the operator opts out.
func TestEmbeddedSyncsBeforeAck(t *testing.T) {
	e := bustest.RunBasicJetStreamServer(t)
	if jc := e.Server().JetStreamConfig(); jc == nil || !jc.SyncAlways {
		t.Fatalf("default embedded server: %+v, want SyncAlways", jc)
	}
	e2 := bustest.RunServer(t, bus.EmbeddedConfig{DataDir: t.TempDir(), SyncInterval: bus.DefaultSyncInterval})
	if jc := e2.Server().JetStreamConfig(); jc.SyncAlways || jc.SyncInterval != bus.DefaultSyncInterval {
		t.Errorf("--nats-sync=interval: %+v", jc)
	}
	for in, want := range map[string]time.Duration{"always": bus.SyncAlways, "interval": bus.DefaultSyncInterval, "10s": 10 * time.Second} {
		if got, err := bus.ParseSync(in); err != nil || got != want {
			t.Errorf("ParseSync(%q) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"never", "-1s", "0s"} {
		if _, err := bus.ParseSync(bad); err == nil {
			t.Errorf("ParseSync(%q) accepted", bad)
		}
	}
}

// Streams created by earlier versions (which discarded the oldest messages
// when full) are updated in place, messages kept.
func TestEnsureStreamsUpdatesOlderStreams(t *testing.T) {
	e := bustest.RunBasicJetStreamServer(t)
	c := bustest.Connect(t, e)
	ctx := ctxT(t)
	if _, err := c.Publish(ctx, bustest.Article(t, "caliber", 1, 0)); err != nil {
		t.Fatal(err)
	}
	s, err := c.JetStream().Stream(ctx, bus.StreamArticles)
	if err != nil {
		t.Fatal(err)
	}
	old := s.CachedInfo().Config
	old.Discard = jetstream.DiscardOld
	if _, err := c.JetStream().UpdateStream(ctx, old); err != nil {
		t.Fatal(err)
	}
	if err := c.EnsureStreams(ctx); err != nil {
		t.Fatal(err)
	}
	if s, err = c.JetStream().Stream(ctx, bus.StreamArticles); err != nil {
		t.Fatal(err)
	}
	if info := s.CachedInfo(); info.Config.Discard != jetstream.DiscardNew || info.State.Msgs != 1 {
		t.Errorf("after EnsureStreams: discard %v, %d messages", info.Config.Discard, info.State.Msgs)
	}
}

// A WATCH_EVENTS stream of the one-subject-per-watch design gets the
// matches and retry subjects, its events kept.
func TestEnsureStreamsAddsWatchSubjects(t *testing.T) {
	e := bustest.RunBasicJetStreamServer(t)
	c := bustest.Connect(t, e)
	ctx := ctxT(t)
	js := c.JetStream()
	s, err := js.Stream(ctx, bus.StreamWatchEvents)
	if err != nil {
		t.Fatal(err)
	}
	old := s.CachedInfo().Config
	old.Subjects = []string{bus.WatchEventsSubjects}
	if _, err := js.UpdateStream(ctx, old); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, bus.WatchEventsPrefix+"0123456789abcdef", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, bus.WatchMatchesSubject, []byte(`{}`)); err == nil {
		t.Fatal("the older stream takes matches messages: the test shows nothing")
	}
	if err := c.EnsureStreams(ctx); err != nil {
		t.Fatal(err)
	}
	for _, subject := range []string{bus.WatchMatchesSubject, bus.WatchRetriesPrefix + "0123456789abcdef"} {
		if _, err := js.Publish(ctx, subject, []byte(`{}`)); err != nil {
			t.Errorf("publish to %s after EnsureStreams: %v", subject, err)
		}
	}
	if s, err = js.Stream(ctx, bus.StreamWatchEvents); err != nil {
		t.Fatal(err)
	}
	if n := s.CachedInfo().State.Msgs; n != 3 {
		t.Errorf("%d messages, want the older event and two new ones", n)
	}
}
