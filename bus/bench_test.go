package bus_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/bus"
	"github.com/newswatch/newswatch/bus/bustest"
)

// benchArticles returns n distinct articles of about 5 KB each, the size
// of a typical news article with its metadata.
func benchArticles(b *testing.B, n int) []*article.Article {
	b.Helper()
	arts := make([]*article.Article, n)
	for i := range arts {
		a, err := bustest.NewArticle(fmt.Sprintf("outlet%d", i%8), i, 4500)
		if err != nil {
			b.Fatal(err)
		}
		arts[i] = a
	}
	data, _ := bus.Encode(arts[0])
	b.SetBytes(int64(len(data)))
	return arts
}

// BenchmarkPublish measures synchronous publish-and-wait-for-ack of ≈5 KB
// articles to the embedded server's file store: one round trip each.
func BenchmarkPublish(b *testing.B) {
	e := bustest.RunBasicJetStreamServer(b)
	c := bustest.Connect(b, e)
	arts := benchArticles(b, b.N)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Publish(ctx, arts[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkPublishBatch measures async publishing of ≈5 KB articles in
// batches of 500 with every ack awaited: the crawler's fast path.
func BenchmarkPublishBatch(b *testing.B) {
	e := bustest.RunBasicJetStreamServer(b)
	c := bustest.Connect(b, e)
	arts := benchArticles(b, b.N)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i += 500 {
		end := min(i+500, b.N)
		if _, err := c.PublishBatch(ctx, arts[i:end]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
