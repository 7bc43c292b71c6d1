package bleve

import (
	"context"
	"testing"

	bv "github.com/blevesearch/bleve/v2"
	"go.uber.org/zap"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/storetest"
)

// TestSearchSameAsSinglePass checks that Search (ranking without stored
// fields, the page's articles loaded afterwards) returns the hits, scores
// and order of one bleve search of the translation that loads them, and
// highlights the first hit of every text query.
func TestSearchSameAsSinglePass(t *testing.T) {
	ctx := context.Background()
	x, _ := indexed(t, 1500, 3)
	queries := []store.Query{
		{Text: "neft", Size: 10},
		{Text: "neft", Size: 10, Sort: store.SortNewest},
		{Text: "Qarabag OR газ", Size: 25},
		{Text: `(neft OR газ) "energy forum" -manat`, Langs: []string{"az", "en"}, Size: 20},
		{Text: "нефти", Size: 20},
		{Text: "elections parliament", Size: 15, Sort: store.SortOldest},
		{Text: "title:bank OR body:oil", Size: 30},
		{Text: "pre* budget", Size: 10},
		{Text: "Bakı", Outlets: []string{"oxu"}, Size: 5},
		{Text: "w100x", Size: 0},
		{Text: "", Size: 10},
		{Text: "", Size: 20, Sort: store.SortNewest},
		{Text: "", Size: 1, Sort: store.SortNewest},
		{Text: "Bakı OR нефти", Size: 50, Sort: store.SortNewest, Outlets: []string{"oxu", "report"}},
		{Text: "w100x", Size: 10, Sort: store.SortNewest},
	}
	for _, q := range queries {
		got, err := x.Search(ctx, q)
		if err != nil {
			t.Fatalf("%q: %v", q.Text, err)
		}
		// The reference: one search that loads the articles.
		cq, err := x.compile(q)
		if err != nil {
			t.Fatal(err)
		}
		sortName := q.Sort
		if sortName == "" {
			sortName = store.SortRelevance
		}
		order, _ := sortOrder(sortName)
		req := bv.NewSearchRequestOptions(cq.full, q.Size+1, 0, false)
		req.SortByCustom(order)
		req.Fields = []string{fSource}
		res, err := x.idx.Search(req)
		if err != nil {
			t.Fatal(err)
		}
		if int64(res.Total) != got.Total {
			t.Errorf("%q: total %d, want %d", q.Text, got.Total, res.Total)
		}
		want := res.Hits
		if len(want) > q.Size {
			want = want[:q.Size]
		}
		if len(want) != len(got.Hits) {
			t.Fatalf("%q: %d hits, want %d", q.Text, len(got.Hits), len(want))
		}
		for i, h := range want {
			g := got.Hits[i]
			if g.ID != h.ID || g.Score != h.Score {
				t.Errorf("%q: hit %d: %s %v, want %s %v", q.Text, i, g.ID, g.Score, h.ID, h.Score)
			}
			src, _ := h.Fields[fSource].(string)
			if a, err := x.src.decode(src); err != nil || a.ContentHash != g.Article.ContentHash {
				t.Errorf("%q: hit %d %s: article %s is not the stored one", q.Text, i, g.ID, g.Article.URL)
			}
		}
		if cq.hasText && q.Size > 0 && len(got.Hits) > 0 && got.Hits[0].Highlights == nil {
			t.Errorf("%q: no highlights", q.Text)
		}
	}
}

// TestNewestPagesSameAsFullSort pages newest first through queries of
// every selectivity, following the cursors, with the date windows and
// without them: the same pages, scores, totals and cursors.
func TestNewestPagesSameAsFullSort(t *testing.T) {
	ctx := context.Background()
	x, arts := indexed(t, 3000, 5)
	for _, q := range []store.Query{
		{Size: 20}, {Size: 7}, {Size: 100},
		{Text: "neft", Size: 10}, {Text: "Bakı OR газ", Size: 25, Langs: []string{"az", "ru"}},
		{Text: "w100x", Size: 3}, {Text: "nosuchwordanywhere", Size: 10},
	} {
		q.Sort = store.SortNewest
		wq, fq := q, q
		pages := 0
		for {
			x.noWindows = false
			w, err := x.Search(ctx, wq)
			if err != nil {
				t.Fatal(err)
			}
			x.noWindows = true
			f, err := x.Search(ctx, fq)
			if err != nil {
				t.Fatal(err)
			}
			if w.Total != f.Total || len(w.Hits) != len(f.Hits) || w.NextCursor != f.NextCursor {
				t.Fatalf("%q page %d: total %d, %d hits, cursor %q; full sort: %d, %d, %q", q.Text, pages, w.Total, len(w.Hits), w.NextCursor, f.Total, len(f.Hits), f.NextCursor)
			}
			for i := range w.Hits {
				if w.Hits[i].ID != f.Hits[i].ID || w.Hits[i].Score != f.Hits[i].Score {
					t.Fatalf("%q page %d hit %d: %s %v, full sort %s %v", q.Text, pages, i, w.Hits[i].ID, w.Hits[i].Score, f.Hits[i].ID, f.Hits[i].Score)
				}
			}
			pages++
			if w.NextCursor == "" || pages == 40 {
				break
			}
			wq.Cursor, fq.Cursor = w.NextCursor, f.NextCursor
		}
		t.Logf("%q: %d pages the same", q.Text, pages)
	}
	x.noWindows = false
	// The windows did serve: the newest 21 of everything come from one.
	order, _ := sortOrder(store.SortNewest)
	if res, ok, err := x.searchNewest(ctx, order, 21, nil); err != nil || !ok || len(res.Hits) != 21 || res.Total != uint64(len(arts)) {
		t.Errorf("windowed search of everything: ok %v, err %v", ok, err)
	}
}

// indexed is an index of n benchArticles (made with seed), closed when the
// test ends; the test is skipped in short mode.
func indexed(t *testing.T, n, seed int) (*Index, []article.Article) {
	t.Helper()
	if testing.Short() {
		t.Skipf("indexes %d articles", n)
	}
	x, err := Open(t.TempDir(), Options{}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	arts := benchArticles(nil, n, seed)
	if err := x.Put(context.Background(), storetest.Ptrs(arts)); err != nil {
		t.Fatal(err)
	}
	return x, arts
}
