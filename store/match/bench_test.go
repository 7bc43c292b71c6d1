package match_test

import (
	"testing"
	"time"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/simsite"
	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/match"
	"github.com/newswatch/newswatch/store/match/matchtest"
)

// corpus returns n simulated articles (English, Azerbaijani, Russian).
func corpus(tb testing.TB, n int) []*article.Article {
	tb.Helper()
	arts, err := simsite.Corpus(simsite.Config{Seed: 11, Articles: n, Outlets: 6}, "simsite.test", time.Minute)
	if err != nil {
		tb.Fatal(err)
	}
	out := make([]*article.Article, len(arts))
	for i := range arts {
		out[i] = &arts[i]
	}
	return out
}

// BenchmarkWatches1000 matches each article (analysis included) against
// 1,000 watches: ns/op is the cost of one new article.
func BenchmarkWatches1000(b *testing.B) {
	arts := corpus(b, 300)
	benchWatches(b, arts, matchtest.Queries(arts, 1000, 7))
}

// BenchmarkTopicWatches1000 is BenchmarkWatches1000 with watches on topics
// (matchtest.TopicQueries), each matching a small share of the articles.
func BenchmarkTopicWatches1000(b *testing.B) {
	arts := corpus(b, 3000)
	benchWatches(b, arts, matchtest.TopicQueries(arts, 1000, 7))
}

func benchWatches(b *testing.B, arts []*article.Article, qs []store.Query) {
	ms := make([]*match.Matcher, len(qs))
	for i, q := range qs {
		m, err := match.Compile(q)
		if err != nil {
			b.Fatal(err)
		}
		ms[i] = m
	}
	b.ResetTimer()
	hits := 0
	for i := 0; i < b.N; i++ {
		d := match.NewDoc(arts[i%len(arts)])
		for _, m := range ms {
			if m.Match(d) {
				hits++
			}
		}
	}
	b.ReportMetric(float64(hits)/float64(b.N), "matches/article")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "articles/s")
}
