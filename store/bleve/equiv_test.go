package bleve

import (
	"context"
	"testing"

	bv "github.com/blevesearch/bleve/v2"
	"go.uber.org/zap"

	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/storetest"
)

// TestSearchSameAsSinglePass checks that Search (ranking without stored
// fields, the page's articles loaded afterwards) returns the hits, scores
// and order of one bleve search of the translation that loads them, and
// highlights the first hit of every text query.
func TestSearchSameAsSinglePass(t *testing.T) {
	if testing.Short() {
		t.Skip("indexes 1500 articles")
	}
	ctx := context.Background()
	x, err := Open(t.TempDir(), Options{}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	arts := benchArticles(nil, 1500, 3)
	if err := x.Put(ctx, storetest.Ptrs(arts)); err != nil {
		t.Fatal(err)
	}
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
