package crawler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/bus/bustest"
	"github.com/newswatch/newswatch/simsite"
)

// A crawler that gets an outlet's lease back after another crawler held
// it reads the outlet's schedule afresh: the rechecks the other added
// (articles it found meanwhile) are kept, not overwritten by the stale
// schedule this process had, and no article page is fetched twice. The
// outlet moves as in production: a joins alone and holds both outlets; b
// joins and a hands one over after its pass; b stops and a takes it back.
func TestLeaseRetakenReadsSchedule(t *testing.T) {
	t.Parallel()
	s, err := simsite.New(simsite.Config{Seed: 61, Outlets: 2, Articles: 40, Unpublished: 24, LiveDates: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	conn := bustest.Connect(t, bustest.RunBasicJetStreamServer(t))
	ctx := context.Background()
	state, store := kvStoresOn(t, conn)
	// A bucket of its own with a short TTL: renewals every 400 ms.
	leases, err := conn.JetStream().CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "test_leases", TTL: 1200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	cfg := simsiteConfig(s)
	for i := range cfg.Outlets {
		cfg.Outlets[i].Poll = Poll{MinInterval: 100 * time.Millisecond, MaxInterval: 300 * time.Millisecond, Recheck: []time.Duration{time.Hour}}
	}
	type run struct {
		sink   *memSink
		cancel context.CancelFunc
		done   chan struct{}
	}
	start := func(holder string) *run {
		r := &run{sink: newMemSink(), done: make(chan struct{})}
		c := newTestCrawler(t, cfg, r.sink, WithState(state), WithStore(store), WithLeases(leases, holder))
		rctx, cancel := context.WithCancel(ctx)
		r.cancel = cancel
		go func() { defer close(r.done); c.Run(rctx, 300*time.Millisecond) }()
		t.Cleanup(func() { cancel(); <-r.done })
		return r
	}
	holder := func(id string) string {
		e, err := leases.Get(ctx, leaseKey(id))
		if err != nil {
			return ""
		}
		var rec leaseRecord
		_ = json.Unmarshal(e.Value(), &rec)
		return rec.Holder
	}
	rechecked := func(id string) map[string]bool {
		var rs []recheck
		if err := store.Load(ctx, id, "rechecks", &rs); err != nil && !errors.Is(err, ErrNoRecord) {
			t.Error(err)
		}
		m := map[string]bool{}
		for _, r := range rs {
			m[r.URL] = true
		}
		return m
	}
	// publish makes articles appear until n of outlet id have; it returns
	// those (canonical URLs) and how many appeared in all.
	publish := func(id string, n int) (urls []string, all int) {
		for len(urls) < n {
			for _, a := range s.Publish(1) {
				all++
				if a.Outlet == id {
					c, err := article.Canonicalize(a.URL)
					if err != nil {
						t.Fatal(err)
					}
					urls = append(urls, c)
				}
			}
		}
		return urls, all
	}
	inSink := func(r *run, urls []string) error {
		got := r.sink.byURL()
		for _, u := range urls {
			if got[u] == nil {
				return fmt.Errorf("%s not published", u)
			}
		}
		return nil
	}
	scheduled := func(id string, urls []string) error {
		have := rechecked(id)
		for _, u := range urls {
			if !have[u] {
				return fmt.Errorf("%s not in %s's recheck schedule", u, id)
			}
		}
		return nil
	}

	// a alone holds both outlets and finds their 16 articles.
	a := start("a")
	bustest.CheckFor(t, 20*time.Second, 20*time.Millisecond, func() error {
		if n := len(a.sink.articles()); n != 16 {
			return fmt.Errorf("a published %d articles, want 16", n)
		}
		return nil
	})
	// b joins: a hands one outlet (x) over after its pass.
	b := start("b")
	var x string
	bustest.CheckFor(t, 20*time.Second, 20*time.Millisecond, func() error {
		for _, o := range cfg.Outlets {
			if holder(o.ID) == "b" {
				x = o.ID
				return nil
			}
		}
		return errors.New("no outlet handed over to b")
	})
	// b finds x's new articles and schedules their rechecks.
	byB, all := publish(x, 3)
	bustest.CheckFor(t, 20*time.Second, 20*time.Millisecond, func() error {
		if err := inSink(b, byB); err != nil {
			return fmt.Errorf("b: %w", err)
		}
		return scheduled(x, byB)
	})
	// b stops (releasing its lease); a takes x back and finds x's next
	// articles: x's schedule must still hold b's.
	b.cancel()
	<-b.done
	bustest.CheckFor(t, 20*time.Second, 20*time.Millisecond, func() error {
		if h := holder(x); h != "a" {
			return fmt.Errorf("%s held by %q", x, h)
		}
		return nil
	})
	byA, more := publish(x, 2)
	bustest.CheckFor(t, 20*time.Second, 20*time.Millisecond, func() error {
		if err := inSink(a, byA); err != nil {
			return fmt.Errorf("a: %w", err)
		}
		if n, want := len(a.sink.articles())+len(b.sink.articles()), 16+all+more; n != want {
			return fmt.Errorf("a and b published %d articles, want %d", n, want)
		}
		return scheduled(x, byA)
	})
	if err := scheduled(x, byB); err != nil {
		t.Errorf("after a took %s back: %v", x, err)
	}
	if err := inSink(a, byB); err == nil {
		t.Errorf("a published b's articles of %s too", x)
	}
	for u, n := range articleFetchCounts(s) {
		if n > 1 {
			t.Errorf("article page %s fetched %d times", u, n)
		}
	}
	t.Logf("%s went a -> b -> a; %d rechecks scheduled for it", x, len(rechecked(x)))
}

// articleFetchCounts counts the full (not conditional) fetches of each
// article page in the request log.
func articleFetchCounts(s *simsite.Site) map[string]int {
	n := map[string]int{}
	for _, r := range s.Requests() {
		if r.Kind == "article" && !r.Conditional && r.Status == 200 {
			n[r.Outlet+" "+r.Path]++
		}
	}
	return n
}
