// Package matchtest makes the saved queries of the watch benchmarks
// (store/match's BenchmarkWatches1000, bench/watchbench): queries as
// editors write them, from the words of a corpus.
package matchtest

import (
	"fmt"
	"math/rand/v2"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/words"
)

// Queries returns n saved queries made from the words of arts (seeded by
// seed): names and words of the corpus (some inflected, some without
// diacritics), phrases, alternatives, exclusions and prefixes, a third
// with an outlet or language filter. arts must hold words of 5 letters
// or more.
func Queries(arts []*article.Article, n int, seed uint64) []store.Query {
	r := rand.New(rand.NewPCG(seed, seed))
	pick := func() (string, string) {
		for {
			a := arts[r.IntN(len(arts))]
			var long []string
			for _, w := range words.Split(a.Title + " " + a.Body) {
				if len([]rune(w.Term)) >= 5 {
					long = append(long, w.Term)
				}
			}
			if len(long) > 0 {
				return long[r.IntN(len(long))], long[r.IntN(len(long))]
			}
		}
	}
	out := make([]store.Query, 0, n)
	for i := 0; i < n; i++ {
		w1, w2 := pick()
		var q store.Query
		switch i % 6 {
		case 0:
			q.Text = w1
		case 1:
			q.Text = words.Unaccent(w1)
		case 2:
			q.Text = fmt.Sprintf("%s OR %s", w1, w2)
		case 3:
			q.Text = fmt.Sprintf("%s -%s", w1, w2)
		case 4:
			q.Text = fmt.Sprintf("%q", w1+" "+w2)
		case 5:
			q.Text = string([]rune(w1)[:4]) + "*"
		}
		out = append(out, filtered(r, arts, i, q))
	}
	return out
}

// TopicQueries returns n saved queries on topics, as an editor follows a
// person, a place or an event: each built from words that only a few
// articles of arts use (in 0.1% to 2% of them, folded as the store folds
// words) - one such word, a phrase of it and the word after it, two of
// them as alternatives, or one without another - a third with an outlet
// or language filter. Unlike Queries (whose common words make each watch
// match a sixth of the articles), each matches a small share of the
// articles, as watches do on a real news flow.
func TopicQueries(arts []*article.Article, n int, seed uint64) []store.Query {
	r := rand.New(rand.NewPCG(seed, seed))
	df := map[string]int{}
	docs := make([][]words.Word, len(arts))
	for i, a := range arts {
		docs[i] = words.Split(a.Title + " " + a.Body)
		seen := map[string]bool{}
		for _, w := range docs[i] {
			if k := words.Unaccent(w.Term); !seen[k] {
				seen[k] = true
				df[k]++
			}
		}
	}
	lo, hi := max(2, len(arts)/1000), max(3, len(arts)/50)
	rare := func(w words.Word) bool {
		d := df[words.Unaccent(w.Term)]
		return len([]rune(w.Term)) >= 5 && d >= lo && d <= hi
	}
	// pick returns a rare word of a random article and the word after it.
	pick := func() (string, string) {
		for {
			ws := docs[r.IntN(len(docs))]
			var at []int
			for i, w := range ws {
				if rare(w) && i+1 < len(ws) {
					at = append(at, i)
				}
			}
			if len(at) > 0 {
				i := at[r.IntN(len(at))]
				return ws[i].Term, ws[i+1].Term
			}
		}
	}
	out := make([]store.Query, 0, n)
	for i := 0; i < n; i++ {
		w1, next := pick()
		var q store.Query
		switch i % 6 {
		case 0, 1:
			q.Text = w1
		case 2:
			q.Text = words.Unaccent(w1)
		case 3:
			q.Text = fmt.Sprintf("%q", w1+" "+next)
		case 4:
			w2, _ := pick()
			q.Text = fmt.Sprintf("%s OR %s", w1, w2)
		case 5:
			w2, _ := pick()
			q.Text = fmt.Sprintf("%s -%s", w1, w2)
		}
		out = append(out, filtered(r, arts, i, q))
	}
	return out
}

// filtered gives every ninth query (from the first) an outlet filter and
// every ninth (from the fourth) a language filter, of a random article.
func filtered(r *rand.Rand, arts []*article.Article, i int, q store.Query) store.Query {
	switch i % 9 {
	case 0:
		q.Outlets = []string{arts[r.IntN(len(arts))].Outlet}
	case 3:
		q.Langs = []string{arts[r.IntN(len(arts))].Language}
	}
	return q
}
