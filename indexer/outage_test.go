package indexer_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/bus/bustest"
	"github.com/newswatch/newswatch/indexer"
	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/bleve"
)

// OutageEnv sets the length of the store outage in TestStoreOutage (a Go
// duration). The default keeps `go test` quick; the acceptance run uses
// NEWSWATCH_STORE_OUTAGE=60s.
const OutageEnv = "NEWSWATCH_STORE_OUTAGE"

// failingStore is a real store whose writes fail while down is set, the
// way a stopped Elasticsearch (pingToo: Ping fails too) or a Bleve index on
// a full disk (writes fail with a temporary error, reads and Ping work)
// fails. It counts the calls made during the outage.
type failingStore struct {
	store.Store
	down    atomic.Bool
	pingToo bool
	calls   atomic.Int64 // Put and Ping calls while down
}

// diskFull is what a Bleve write on a full disk looks like to the indexer:
// a temporary error of the store itself.
type diskFull struct{}

func (diskFull) Error() string {
	return "bleve: batch: write articles.bleve/store/000000a1.zap: no space left on device"
}
func (diskFull) Temporary() bool { return true }

func (s *failingStore) Put(ctx context.Context, arts []*article.Article) error {
	if s.down.Load() {
		s.calls.Add(1)
		if s.pingToo {
			return errors.New("dial tcp 127.0.0.1:9200: connect: connection refused")
		}
		return diskFull{}
	}
	return s.Store.Put(ctx, arts)
}

func (s *failingStore) Ping(ctx context.Context) error {
	if s.down.Load() && s.pingToo {
		s.calls.Add(1)
		return errors.New("dial tcp 127.0.0.1:9200: connect: connection refused")
	}
	return s.Store.Ping(ctx)
}

// The store is unavailable for a while as articles keep arriving: the
// indexer pauses with back-off (a few calls, no busy loop), Ready and the
// metrics show the outage, nothing is dead-lettered or lost, and the
// backlog drains once the store is back: every article in the real Bleve
// index once.
func TestStoreOutage(t *testing.T) {
	outage := 3 * time.Second
	if v := os.Getenv(OutageEnv); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("$%s: %v", OutageEnv, err)
		}
		outage = d
	}
	for _, mode := range []struct {
		name    string
		pingToo bool
	}{{"store stopped", true}, {"writes fail", false}} {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			testStoreOutage(t, outage, mode.pingToo)
		})
	}
}

func testStoreOutage(t *testing.T, outage time.Duration, pingToo bool) {
	e := bustest.RunBasicJetStreamServer(t)
	c := bustest.Connect(t, e)
	bl, err := bleve.Open(t.TempDir(), bleve.Options{}, bustest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bl.Close() })
	st := &failingStore{Store: bl, pingToo: pingToo}
	reg := prometheus.NewRegistry()
	cfg := indexer.Config{BatchSize: 200, FlushInterval: 50 * time.Millisecond, MaxDeliver: 1,
		OutageBackOff: min(outage/6, indexer.DefaultOutageBackOff), Registerer: reg}
	ix, err := indexer.New(cfg, c, st, bustest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ix.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	// Articles arrive all along: before, during and after the outage.
	want := map[string]bool{}
	var mu sync.Mutex
	publish := func(from, n int) {
		arts := make([]*article.Article, n)
		for i := range arts {
			arts[i] = bustest.Article(t, fmt.Sprintf("outlet%d", (from+i)%3), from+i, 800)
		}
		pctx, pcancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer pcancel()
		if _, err := c.PublishBatch(pctx, arts); err != nil {
			t.Error(err)
		}
		mu.Lock()
		for _, a := range arts {
			want[a.ID] = true
		}
		mu.Unlock()
	}
	publish(0, 300)
	bustest.CheckFor(t, 30*time.Second, 20*time.Millisecond, func() error {
		if n := ix.Stats().Indexed; n < 300 {
			return fmt.Errorf("%d indexed before the outage", n)
		}
		return nil
	})

	st.down.Store(true)
	began := time.Now()
	publish(300, 300)
	bustest.CheckFor(t, 30*time.Second, 20*time.Millisecond, func() error {
		if ix.StoreState().Up {
			return errors.New("the indexer has not seen the outage")
		}
		return nil
	})
	for i := 1; time.Since(began) < outage; i++ {
		publish(300+300*i, 50) // trickle during the outage
		time.Sleep(min(outage/10, time.Second))
	}
	// Seen during the outage: not ready, metrics down, batch held.
	if err := ix.Ready(ctx); !errors.Is(err, indexer.ErrStoreUnavailable) {
		t.Errorf("Ready during the outage: %v", err)
	} else {
		t.Logf("Ready during the outage: %v", err)
	}
	if v := gaugeValue(t, reg, "newswatch_indexer_store_up"); v != 0 {
		t.Errorf("store_up = %v during the outage", v)
	}
	if v := gaugeValue(t, reg, "newswatch_indexer_held_messages"); v < 1 {
		t.Errorf("held_messages = %v during the outage", v)
	}
	if v := counterValue(t, reg, "newswatch_indexer_store_down_seconds_total"); v < 0.5*outage.Seconds() {
		t.Errorf("store_down_seconds_total = %v during an outage of %v", v, outage)
	}
	calls := st.calls.Load()
	st.down.Store(false)
	took := time.Since(began)

	// No busy loop: write attempts back off from 100ms doubling up to
	// OutageBackOff, so an outage costs a handful of calls (a store that
	// fails Ping too gets a ping after each failed write).
	steps, wait := 0, 100*time.Millisecond
	for total := time.Duration(0); total < took; steps++ {
		total += wait
		wait = min(2*wait, cfg.OutageBackOff)
	}
	perStep := int64(1)
	if st.pingToo {
		perStep = 2
	}
	if max := perStep * int64(steps+2); calls > max {
		t.Errorf("%d store calls during an outage of %v; want at most %d (back-off)", calls, took.Round(time.Millisecond), max)
	}
	t.Logf("outage %v: %d store calls (Put and Ping), %d back-off steps", took.Round(time.Millisecond), calls, steps)

	publish(100_000, 300)
	// The backlog drains: every article stored once, nothing dead.
	drained := time.Now()
	bustest.CheckFor(t, 60*time.Second, 50*time.Millisecond, func() error {
		n, err := ix.Pending(ctx)
		if err != nil || n > 0 {
			return fmt.Errorf("%d pending (%v)", n, err)
		}
		return nil
	})
	t.Logf("backlog drained %v after the store came back", time.Since(drained).Round(time.Millisecond))
	waitIdle(t, ix)
	mu.Lock()
	defer mu.Unlock()
	res, err := bl.Search(ctx, store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != int64(len(want)) {
		t.Errorf("store holds %d articles, want %d", res.Total, len(want))
	}
	for id := range want {
		r, err := bl.Get(ctx, id)
		if err != nil {
			t.Fatalf("article %s lost: %v", id, err)
		}
		if len(r.Versions) != 1 {
			t.Errorf("article %s has %d versions", id, len(r.Versions))
		}
	}
	s := ix.Stats()
	if s.DeadLettered != 0 || s.Indexed != uint64(len(want)) {
		t.Errorf("stats %+v, want %d indexed, none dead", s, len(want))
	}
	if d := deadLetters(t, c); len(d) != 0 {
		t.Errorf("%d dead letters after an outage", len(d))
	}
	if err := ix.Ready(ctx); err != nil {
		t.Errorf("Ready after the outage: %v", err)
	}
	state := ix.StoreState()
	if !state.Up || state.Outages != 1 || state.Downtime < outage*9/10 {
		t.Errorf("store state after the outage: %+v", state)
	}
	if v := gaugeValue(t, reg, "newswatch_indexer_store_up"); v != 1 {
		t.Errorf("store_up = %v after the outage", v)
	}
	if v := counterValue(t, reg, "newswatch_indexer_store_outages_total"); v != 1 {
		t.Errorf("store_outages_total = %v", v)
	}
	down := counterValue(t, reg, "newswatch_indexer_store_down_seconds_total")
	if down < outage.Seconds()*0.9 || math.IsNaN(down) {
		t.Errorf("store_down_seconds_total = %v after an outage of %v", down, outage)
	}
	t.Logf("metrics: store_down_seconds_total %.1f, store_outage_retries_total %v, %d articles indexed", down,
		counterValue(t, reg, "newswatch_indexer_store_outage_retries_total"), len(want))
}
