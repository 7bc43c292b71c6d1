package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/newswatch/newswatch/bus"
	"github.com/newswatch/newswatch/bus/bustest"
	"github.com/newswatch/newswatch/simsite"
)

// leaseHolders returns which crawler holds each outlet's lease.
func leaseHolders(ctx context.Context, c *bus.Conn) (map[string]string, error) {
	kv, err := c.Leases(ctx)
	if err != nil {
		return nil, err
	}
	kl, err := kv.ListKeysFiltered(ctx, "outlet.*")
	if err != nil {
		return nil, err
	}
	var keys []string
	for k := range kl.Keys() {
		keys = append(keys, k)
	}
	kl.Stop()
	out := map[string]string{}
	for _, k := range keys {
		e, err := kv.Get(ctx, k)
		if err != nil {
			continue
		}
		var rec struct{ Holder string }
		if json.Unmarshal(e.Value(), &rec) == nil {
			out[strings.TrimPrefix(k, "outlet.")] = rec.Holder
		}
	}
	return out, nil
}

// articleFetches counts the full (unconditional) fetches of each article
// page in the request log; conditional ones are edit rechecks.
func articleFetches(site *simsite.Site) map[string]int {
	n := map[string]int{}
	for _, r := range site.Requests() {
		if r.Kind == "article" && !r.Conditional && r.Status == 200 {
			n[r.Outlet+" "+r.Path]++
		}
	}
	return n
}

// Acceptance: two `newswatch crawler` processes on one NATS share the
// outlets through leases, and no article page is fetched twice; after
// one is killed with SIGKILL, the other takes over its outlets within 30
// seconds (leases expire after the bucket's TTL, 15 s by default) and
// fetches what they publish meanwhile, again once.
func TestTwoCrawlersShareAndTakeOver(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two crawler processes")
	}
	t.Parallel()
	e := bustest.RunServer(t, bustest.TCPConfig(t.TempDir()))
	conn := bustest.Connect(t, e)
	ctx := context.Background()
	site, err := simsite.New(simsite.Config{Seed: 41, Outlets: 6, Articles: 96, Unpublished: 36, LiveDates: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := site.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { site.Close() })
	var b strings.Builder
	b.WriteString("defaults:\n  rate: {delay: 5ms, random_delay: 1ms, parallelism: 2}\n  poll: {min_interval: 1s, max_interval: 2s}\noutlets:\n")
	for _, o := range site.Outlets() {
		fmt.Fprintf(&b, "  - id: %s\n    base_url: %s\n    timezone: %s\n    feeds: [%s]\n    sitemaps: [%s]\n    listings: [%s]\n",
			o.ID, o.BaseURL, o.TimeZone, strings.Join(o.FeedURLs, ", "), strings.Join(o.SitemapURLs, ", "), strings.Join(o.ListingURLs, ", "))
	}
	cfg := writeFile(t, "outlets.yaml", b.String())
	token := writeFile(t, "token", bustest.Token)
	args := []string{"crawler", "--config", cfg, "--nats", e.ClientURL(), "--nats-token-file", token}
	a := startProc(t, args...)
	bproc := startProc(t, args...)
	stored := func() uint64 {
		s, err := conn.JetStream().Stream(ctx, bus.StreamArticles)
		if err != nil {
			return 0
		}
		return s.CachedInfo().State.Msgs
	}
	waitArticles := func(want uint64, within time.Duration) {
		t.Helper()
		bustest.CheckFor(t, within, 100*time.Millisecond, func() error {
			for _, p := range []*proc{a, bproc} {
				if p != nil && p.cmd.ProcessState == nil {
					if err := p.exited(t); err != nil {
						t.Fatal(err)
					}
				}
			}
			if n := stored(); n != want {
				return fmt.Errorf("%d articles published, want %d", n, want)
			}
			return nil
		})
	}
	noneTwice := func() {
		t.Helper()
		total := 0
		for page, n := range articleFetches(site) {
			total += n
			if n > 1 {
				t.Errorf("article page %s fetched %d times", page, n)
			}
		}
		if total != len(site.Articles()) {
			t.Errorf("%d article fetches for %d articles", total, len(site.Articles()))
		}
	}
	n := uint64(len(site.Articles()))
	waitArticles(n, 2*time.Minute)
	// Both processes hold a fair share (3 of 6 outlets each).
	var holders map[string]string
	bustest.CheckFor(t, time.Minute, 200*time.Millisecond, func() error {
		var err error
		if holders, err = leaseHolders(ctx, conn); err != nil {
			return err
		}
		per := map[string]int{}
		for _, h := range holders {
			per[h]++
		}
		if len(holders) != 6 || len(per) != 2 {
			return fmt.Errorf("leases %v", holders)
		}
		for h, k := range per {
			if k != 3 {
				return fmt.Errorf("%s holds %d outlets", h, k)
			}
		}
		return nil
	})
	site.Publish(12)
	waitArticles(n+12, time.Minute)
	noneTwice()

	// Kill one: the other takes its outlets over.
	aName := fmt.Sprintf(":%d", a.cmd.Process.Pid)
	var orphans []string
	for o, h := range holders {
		if strings.HasSuffix(h, aName) {
			orphans = append(orphans, o)
		}
	}
	a.kill9(t)
	killed := time.Now()
	site.Publish(12)
	var takeover time.Duration
	bustest.CheckFor(t, time.Minute, 100*time.Millisecond, func() error {
		hs, err := leaseHolders(ctx, conn)
		if err != nil {
			return err
		}
		for _, o := range orphans {
			if h := hs[o]; h == "" || strings.HasSuffix(h, aName) {
				return fmt.Errorf("%s held by %q", o, h)
			}
		}
		takeover = time.Since(killed)
		return nil
	})
	waitArticles(n+24, time.Minute)
	fetched := time.Since(killed)
	if takeover > 30*time.Second {
		t.Errorf("outlets of the killed crawler taken over after %v, want within 30s", takeover)
	}
	noneTwice()
	t.Logf("%d articles by two crawlers, each page fetched once; the killed crawler's %d outlets taken over after %v, their new articles published %v after the kill",
		n+24, len(orphans), takeover.Round(100*time.Millisecond), fetched.Round(100*time.Millisecond))
}
