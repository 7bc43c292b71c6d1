package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/bus"
	"github.com/newswatch/newswatch/bus/bustest"
	"github.com/newswatch/newswatch/indexer"
	"github.com/newswatch/newswatch/internal/promreg/promtest"
	"github.com/newswatch/newswatch/pipeline"
	"github.com/newswatch/newswatch/simsite"
	"github.com/newswatch/newswatch/store"
	sbleve "github.com/newswatch/newswatch/store/bleve"
)

// proc is a newswatch process started by a test.
type proc struct {
	cmd            *exec.Cmd
	stdout, stderr *syncBuffer
	done           chan struct{}
}

// startProc starts the binary with args; it is killed when the test ends.
func startProc(t *testing.T, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(binary(t), args...), stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("newswatch %s stderr (tail):\n%s", args[0], tail(p.stderr.String()))
		}
	})
	return p
}

// kill9 kills the process with SIGKILL and waits until it is gone.
func (p *proc) kill9(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
}

// stop stops the process with SIGTERM and wants a clean exit.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		t.Fatal("no exit within 60s of SIGTERM")
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit code %d after SIGTERM\n%s", code, tail(p.stderr.String()))
	}
}

// exited fails the test if the process has stopped on its own.
func (p *proc) exited(t *testing.T) error {
	select {
	case <-p.done:
		return fmt.Errorf("newswatch exited: %v\n%s", p.cmd.ProcessState, tail(p.stderr.String()))
	default:
		return nil
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// consumerProgress returns the indexer consumer's ack floor, the last
// stream message it delivered and what it has not finished.
func consumerProgress(ctx context.Context, c *bus.Conn) (floor, delivered, pending uint64, err error) {
	cons, err := c.JetStream().Consumer(ctx, bus.StreamArticles, indexer.DefaultDurable)
	if err != nil {
		return 0, 0, 0, err
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return 0, 0, 0, err
	}
	return info.AckFloor.Stream, info.Delivered.Stream, info.NumPending + uint64(info.NumAckPending), nil
}

// storedIDs opens the Bleve index under data (its process stopped) and
// counts each article ID in it.
func storedIDs(t *testing.T, data string) map[string]int {
	t.Helper()
	st, err := sbleve.Open(filepath.Join(data, "index"), sbleve.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ids := map[string]int{}
	if err := st.Scan(context.Background(), store.Query{}, func(a *article.Article) error { ids[a.ID]++; return nil }); err != nil {
		t.Fatal(err)
	}
	return ids
}

// A separate `newswatch indexer` process, consuming 10,000 articles from a
// real nats-server process (fsync before ack), is killed with SIGKILL
// twice in the middle and restarted: the index ends with exactly the
// 10,000 articles, each once.
func TestIndexerProcessKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("runs nats-server and newswatch processes")
	}
	t.Parallel()
	const token = "kill9-test-token-0123456789abcdef"
	srv := bustest.StartProcess(t, bustest.ProcessConfig{Token: token})
	tokenFile := writeFile(t, "token", token)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := bus.Connect(ctx, srv.URL(), bustest.Logger(t), nats.Token(token))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	if err := c.EnsureStreams(ctx); err != nil {
		t.Fatal(err)
	}
	const total = 10_000
	began := time.Now()
	want := map[string]bool{}
	for i := 0; i < total; i += 1000 {
		arts := make([]*article.Article, 1000)
		for j := range arts {
			arts[j] = bustest.Article(t, []string{"caliber", "report", "oxu", "apa"}[(i+j)%4], i+j, 1500)
			want[arts[j].ID] = true
		}
		if _, err := c.PublishBatch(ctx, arts); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d articles published in %v", total, time.Since(began).Round(time.Millisecond))
	data := t.TempDir()
	args := []string{"indexer", "--nats", srv.URL(), "--nats-token-file", tokenFile, "--data", data}
	for _, killAt := range []uint64{1500, 5000} {
		ix := startProc(t, args...)
		var floor, delivered uint64
		bustest.CheckFor(t, 3*time.Minute, 5*time.Millisecond, func() error {
			if err := ix.exited(t); err != nil {
				t.Fatal(err)
			}
			floor, delivered, _, err = consumerProgress(ctx, c)
			if err != nil {
				return err
			}
			if delivered < killAt {
				return fmt.Errorf("delivered up to %d", delivered)
			}
			return nil
		})
		ix.kill9(t)
		if floor >= total {
			t.Fatalf("killed after the ack floor reached %d: not mid-ingest", floor)
		}
		t.Logf("indexer killed with SIGKILL having been delivered up to %d of %d (ack floor %d)", delivered, total, floor)
	}
	ix := startProc(t, args...)
	bustest.CheckFor(t, 3*time.Minute, 50*time.Millisecond, func() error {
		if err := ix.exited(t); err != nil {
			t.Fatal(err)
		}
		floor, _, pending, err := consumerProgress(ctx, c)
		if err != nil {
			return err
		}
		if floor != total || pending != 0 {
			return fmt.Errorf("ack floor %d, pending %d", floor, pending)
		}
		return nil
	})
	t.Logf("all indexed %v after the start", time.Since(began).Round(time.Millisecond))
	ix.stop(t)
	ids := storedIDs(t, data)
	if len(ids) != total {
		t.Errorf("%d distinct articles in the index, want %d", len(ids), total)
	}
	for id := range want {
		if ids[id] != 1 {
			t.Errorf("article %s is in the index %d times", id, ids[id])
		}
	}
	for id := range ids {
		if !want[id] {
			t.Errorf("unknown article %s in the index", id)
		}
	}
}

// siteConfig writes an outlet config for the outlets of a started
// simulated site, fetching at most perSecond pages a second from each
// (one request at a time), for the binary's --config.
func siteConfig(t *testing.T, site *simsite.Site, delay time.Duration) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "defaults:\n  rate: {delay: %s, random_delay: 1ms, parallelism: 1}\n  limits: {max_listing_pages: 1000}\noutlets:\n", delay)
	list := func(key string, urls []string) {
		if len(urls) > 0 {
			fmt.Fprintf(&b, "    %s: [%s]\n", key, strings.Join(urls, ", "))
		}
	}
	for _, o := range site.Outlets() {
		fmt.Fprintf(&b, "  - id: %s\n    base_url: %s\n    timezone: %s\n    languages: [%s]\n    robots_sitemaps: true\n",
			o.ID, o.BaseURL, o.TimeZone, strings.Join(o.Languages, ", "))
		list("feeds", o.FeedURLs)
		list("sitemaps", o.SitemapURLs)
		list("listings", o.ListingURLs)
	}
	return writeFile(t, "outlets.yaml", b.String())
}

// apiTotal asks a running API for the number of articles it holds.
func apiTotal(addr string) (int64, error) {
	r, err := apiSearch(addr, url.Values{"size": {"0"}})
	if err != nil {
		return 0, err
	}
	return r.Total, nil
}

func apiSearch(addr string, q url.Values) (*store.Result, error) {
	resp, err := http.Get("http://" + addr + "/v1/search?" + q.Encode())
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("search: %s", resp.Status)
	}
	var r store.Result
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return nil, err
	}
	return &r, nil
}

// apiArticles pages through every article the API holds, newest first.
func apiArticles(t *testing.T, addr string) []article.Article {
	t.Helper()
	var out []article.Article
	q := url.Values{"size": {"100"}, "sort": {"newest"}}
	for {
		r, err := apiSearch(addr, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range r.Hits {
			out = append(out, h.Article)
		}
		if r.NextCursor == "" || len(r.Hits) == 0 {
			return out
		}
		q.Set("cursor", r.NextCursor)
	}
}

// `newswatch run` is killed with SIGKILL in the middle of ingesting a
// simulated site and started again on the same data: every article ends
// in the index once, as version 1, and in the stream once.
func TestRunKill9MidIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("runs newswatch processes")
	}
	t.Parallel()
	const n = 240
	site := startSite(t, n)
	cfg := siteConfig(t, site, 40*time.Millisecond)
	data := t.TempDir()
	addr := freePort(t)
	args := []string{"run", "--config", cfg, "--data", data, "--listen", addr, "--crawl-interval", "1h", "--open", "--rate-limit", "100000"}
	run := startProc(t, args...)
	var at int64
	bustest.CheckFor(t, 2*time.Minute, 5*time.Millisecond, func() error {
		if err := run.exited(t); err != nil {
			t.Fatal(err)
		}
		var err error
		if at, err = apiTotal(addr); err != nil {
			return err
		}
		if at < n/4 {
			return fmt.Errorf("%d searchable", at)
		}
		return nil
	})
	run.kill9(t)
	if at >= n {
		t.Fatalf("killed with all %d articles in: not mid-ingest", at)
	}
	t.Logf("run killed with SIGKILL at %d of %d articles searchable", at, n)

	run = startProc(t, args...)
	bustest.CheckFor(t, 3*time.Minute, 100*time.Millisecond, func() error {
		if err := run.exited(t); err != nil {
			t.Fatal(err)
		}
		total, err := apiTotal(addr)
		if err != nil {
			return err
		}
		pending, err := promtest.Value(addr, "newswatch_indexer_pending_messages")
		if err != nil {
			return err
		}
		if total != n || pending != 0 {
			return fmt.Errorf("%d searchable, %v pending", total, pending)
		}
		return nil
	})
	arts := apiArticles(t, addr)
	seen := map[string]bool{}
	for _, a := range arts {
		if seen[a.ID] {
			t.Errorf("article %s listed twice", a.ID)
		}
		seen[a.ID] = true
		if a.Version != 1 {
			t.Errorf("article %s is version %d after the restart, want 1", a.ID, a.Version)
		}
	}
	if len(arts) != n {
		t.Errorf("%d articles listed, want %d", len(arts), n)
	}
	run.stop(t)

	// The stream holds each article once: what was published again after
	// the kill was a duplicate the server dropped.
	ctx := context.Background()
	conn, closeBus, err := pipeline.OpenBus(ctx, pipeline.Config{DataDir: data}, bustest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer closeBus()
	s, err := conn.JetStream().Stream(ctx, bus.StreamArticles)
	if err != nil {
		t.Fatal(err)
	}
	if msgs := s.CachedInfo().State.Msgs; msgs != n {
		t.Errorf("ARTICLES holds %d messages for %d articles", msgs, n)
	}
}
