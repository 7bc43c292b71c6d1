package indexer_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/bus/bustest"
	"github.com/newswatch/newswatch/indexer"
)

// BenchmarkIndexer measures the indexer alone: b.N ≈5 KB articles already
// in the stream, consumed, decoded, written to an in-memory store and acked,
// with the default batch size.
func BenchmarkIndexer(b *testing.B) {
	e := bustest.RunBasicJetStreamServer(b)
	c := bustest.Connect(b, e)
	ctx := context.Background()
	arts := make([]*article.Article, 0, 500)
	for i := 0; i < b.N; i++ {
		a, err := bustest.NewArticle(fmt.Sprintf("outlet%d", i%8), i, 4500)
		if err != nil {
			b.Fatal(err)
		}
		arts = append(arts, a)
		if len(arts) == cap(arts) || i == b.N-1 {
			if _, err := c.PublishBatch(ctx, arts); err != nil {
				b.Fatal(err)
			}
			arts = arts[:0]
		}
	}
	st := newMemStore()
	ix, err := indexer.New(indexer.Config{FlushInterval: 100 * time.Millisecond}, c, st, nil)
	if err != nil {
		b.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	b.ResetTimer()
	go func() { done <- ix.Run(rctx) }()
	for st.count() < b.N {
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
