package bleve

import (
	"context"
	"fmt"
	randv1 "math/rand"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/storetest"
)

var benchWords = strings.Fields(`neft qaz Bakı Şuşa Qarabağ prezident iqtisadiyyat seçki parlament
nazir büdcə ixrac idxal bank manat dollar nefть переговоры Баку министр экономика цены газ выборы
парламент forum energy minister election parliament budget export bank oil gas talks`)

func benchArticles(b *testing.B, n, seed int) []article.Article {
	r := rand.New(rand.NewPCG(uint64(seed), 1))
	// Word frequencies follow Zipf's law over a 20000-word vocabulary whose
	// most frequent words are the real ones above, as in news text.
	zipf := randv1.NewZipf(randv1.New(randv1.NewSource(int64(seed))), 1.1, 2, 20000)
	word := func() string {
		k := int(zipf.Uint64())
		if k < len(benchWords) {
			return benchWords[k]
		}
		return fmt.Sprintf("w%dx", k)
	}
	out := make([]article.Article, n)
	for i := range out {
		var sb strings.Builder
		for j := 0; j < 400; j++ { // ~3 KB of body
			sb.WriteString(word())
			sb.WriteByte(' ')
		}
		pub := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(90*24)) * time.Hour)
		a := article.Article{
			URL: fmt.Sprintf("https://bench.example/%d/%d", seed, i), Outlet: []string{"caliber", "report", "oxu"}[i%3],
			Language: []string{"az", "ru", "en"}[i%3], Title: benchWords[r.IntN(len(benchWords))] + " " + benchWords[r.IntN(len(benchWords))],
			Body: sb.String(), PublishedAt: &pub, FetchedAt: pub.Add(time.Hour),
		}
		if err := a.Finalize(); err != nil {
			b.Fatal(err)
		}
		out[i] = a
	}
	return out
}

// BenchmarkPut measures storing batches of 100 new articles (reported per
// article).
func BenchmarkPut(b *testing.B) {
	x, err := Open(b.TempDir(), Options{}, zap.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	defer x.Close()
	arts := benchArticles(b, b.N, 1)
	b.ResetTimer()
	for i := 0; i < len(arts); i += 100 {
		if err := x.Put(context.Background(), storetest.Ptrs(arts[i:min(i+100, len(arts))])); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPutReplay measures a replayed batch of 100 (all no-ops).
func BenchmarkPutReplay(b *testing.B) {
	x, err := Open(b.TempDir(), Options{}, zap.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	defer x.Close()
	arts := benchArticles(b, 100, 1)
	if err := x.Put(context.Background(), storetest.Ptrs(arts)); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := x.Put(context.Background(), storetest.Ptrs(arts)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSearch measures a boolean query with filters and highlights
// over 5000 articles.
func BenchmarkSearch(b *testing.B) {
	x, err := Open(b.TempDir(), Options{}, zap.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	defer x.Close()
	arts := benchArticles(b, 5000, 2)
	for i := 0; i < len(arts); i += 500 {
		if err := x.Put(context.Background(), storetest.Ptrs(arts[i:i+500])); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, err := x.Search(context.Background(), store.Query{Text: `(neft OR газ) "energy forum" -manat`, Langs: []string{"az", "en"}, Size: 20, Sort: store.SortRelevance})
		if err != nil {
			b.Fatal(err)
		}
	}
}
