package indexer_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/bus"
	"github.com/newswatch/newswatch/bus/bustest"
	"github.com/newswatch/newswatch/indexer"
	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/bleve"
)

// A 3-node JetStream cluster of real nats-server processes (fsync before
// ack), streams with 3 replicas: the leader of ARTICLES is killed with
// SIGKILL in the middle of ingest and restarted later. Publishing and
// indexing go on, nothing acknowledged is lost, nothing is indexed twice,
// and the restarted node catches up without any operator action.
func TestProcessClusterNodeKilledMidIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("starts nats-server processes")
	}
	const token = "cluster-test-token-0123456789abcdef"
	began := time.Now()
	cl := bustest.StartProcessCluster(t, 3, bustest.ProcessConfig{Token: token})
	t.Logf("cluster healthy after %v", time.Since(began).Round(time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	conn, err := bus.Connect(ctx, cl.URLs(), bustest.Logger(t), nats.Token(token))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Close)
	bustest.CheckFor(t, 60*time.Second, 200*time.Millisecond, func() error {
		sctx, scancel := context.WithTimeout(ctx, 10*time.Second)
		defer scancel()
		return conn.EnsureStreams(sctx) // replicas: 3, because clustered
	})
	t.Logf("streams ready after %v", time.Since(began).Round(time.Millisecond))
	info := streamInfo(t, conn)
	if info.Config.Replicas != 3 || info.Cluster == nil || len(info.Cluster.Replicas) != 2 {
		t.Fatalf("ARTICLES not replicated 3 ways: %+v", info.Cluster)
	}
	kv, err := conn.URLState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := kv.Status(ctx); err != nil || st.(*jetstream.KeyValueBucketStatus).StreamInfo().Config.Replicas != 3 {
		t.Errorf("url_state bucket not replicated 3 ways: %v", err)
	}

	bl, err := bleve.Open(t.TempDir(), bleve.Options{}, bustest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bl.Close() })
	ix, err := indexer.New(indexer.Config{BatchSize: 200, FlushInterval: 100 * time.Millisecond, AckWait: 5 * time.Second}, conn, bl, bustest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	ictx, icancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- ix.Run(ictx) }()
	t.Cleanup(func() { icancel(); <-done })

	// Publish in batches of 50, as crawlers do, all along.
	const total = 2000
	var published atomic.Int64
	want := map[string]bool{}
	arts := make([]*article.Article, total)
	for i := range arts {
		arts[i] = bustest.Article(t, []string{"caliber", "report", "oxu"}[i%3], i, 1200)
		want[arts[i].ID] = true
	}
	pubErr := make(chan error, 1)
	go func() {
		for i := 0; i < total; i += 50 {
			pctx, pcancel := context.WithTimeout(ctx, 60*time.Second)
			_, err := conn.PublishBatch(pctx, arts[i:i+50])
			pcancel()
			if err != nil {
				pubErr <- fmt.Errorf("publish %d..%d: %w", i, i+50, err)
				return
			}
			published.Add(50)
			time.Sleep(10 * time.Millisecond) // crawlers publish as they fetch
		}
		pubErr <- nil
	}()
	var pubDone error
	waitPublished := func(n int64) {
		t.Helper()
		bustest.CheckFor(t, 120*time.Second, 20*time.Millisecond, func() error {
			select {
			case err := <-pubErr:
				if err != nil {
					t.Fatalf("publisher: %v", err)
				}
				pubDone = errors.New("publisher done")
			default:
			}
			if p := published.Load(); p < n {
				return fmt.Errorf("%d published", p)
			}
			return nil
		})
	}
	waitPublished(total / 4)
	leader := streamInfo(t, conn).Cluster.Leader
	node := cl.Node(leader)
	node.Kill()
	killedAt := published.Load()
	t.Logf("%v: killed %s (leader of ARTICLES) after %d published, %d indexed", time.Since(began).Round(time.Millisecond), leader, killedAt, ix.Stats().Indexed)
	waitPublished(total * 3 / 4)
	node.Start()
	t.Logf("%v: restarted %s after %d published, %d indexed", time.Since(began).Round(time.Millisecond), leader, published.Load(), ix.Stats().Indexed)
	if killedAt >= total*3/4 {
		t.Errorf("the node was killed after %d of %d publishes: not mid-ingest", killedAt, total)
	}
	if pubDone == nil {
		if err := <-pubErr; err != nil {
			t.Fatal(err)
		}
	}

	bustest.CheckFor(t, 180*time.Second, 100*time.Millisecond, func() error {
		n, err := ix.Pending(ctx)
		if err != nil || n > 0 {
			return fmt.Errorf("%d pending (%v)", n, err)
		}
		r, err := bl.Search(ctx, store.Query{})
		if err != nil {
			return err
		}
		if r.Total != total {
			return fmt.Errorf("store holds %d, want %d", r.Total, total)
		}
		return nil
	})
	t.Logf("all indexed after %v", time.Since(began).Round(time.Millisecond))
	seen := map[string]int{}
	if err := bl.Scan(ctx, store.Query{}, func(a *article.Article) error { seen[a.ID]++; return nil }); err != nil {
		t.Fatal(err)
	}
	for id := range want {
		if seen[id] != 1 {
			t.Errorf("article %s stored %d times", id, seen[id])
		}
	}
	if len(seen) != total {
		t.Errorf("%d distinct articles stored, want %d", len(seen), total)
	}
	if s := ix.Stats(); s.DeadLettered != 0 {
		t.Errorf("stats %+v", s)
	}
	// The restarted node is a current replica again, by itself.
	bustest.CheckFor(t, 120*time.Second, 200*time.Millisecond, func() error {
		info := streamInfo(t, conn)
		if info.State.Msgs != total {
			return fmt.Errorf("stream holds %d messages, want %d", info.State.Msgs, total)
		}
		peers := map[string]bool{info.Cluster.Leader: true}
		for _, r := range info.Cluster.Replicas {
			if !r.Current || r.Offline {
				return fmt.Errorf("replica %s: current %v, offline %v, lag %d", r.Name, r.Current, r.Offline, r.Lag)
			}
			peers[r.Name] = true
		}
		if !peers[leader] || len(peers) != 3 {
			return fmt.Errorf("stream peers %v, want the restarted %s among 3", peers, leader)
		}
		return nil
	})
}

func streamInfo(t *testing.T, conn *bus.Conn) *jetstream.StreamInfo {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := conn.JetStream().Stream(ctx, bus.StreamArticles)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return info
}
