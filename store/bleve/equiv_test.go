package bleve

import (
	"context"
	"reflect"
	"strings"
	"testing"

	bv "github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/highlight/format/html"
	"go.uber.org/zap"

	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/query"
)

// TestSearchSameAsSinglePass checks that Search (term queries for one-word
// phrases, highlights fetched for the page only) returns the hits, scores,
// order and highlights of one highlighted bleve search of the phrase-only
// translation.
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
	if err := x.Put(ctx, arts); err != nil {
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
		// The reference: the former single-pass search.
		phraseAsTerm = false
		ast, _ := query.Parse(q.Text)
		textQ, hasText, err := x.tr.translate(ast)
		phraseAsTerm = true
		if err != nil {
			t.Fatal(err)
		}
		if !hasText {
			textQ = bv.NewMatchAllQuery()
		}
		bq, err := withFilters(textQ, q)
		if err != nil {
			t.Fatal(err)
		}
		sortName := q.Sort
		if sortName == "" {
			sortName = store.SortRelevance
		}
		order, _ := sortOrder(sortName)
		req := bv.NewSearchRequestOptions(bq, q.Size+1, 0, false)
		req.SortByCustom(order)
		if hasText {
			req.Highlight = bv.NewHighlightWithStyle(html.Name)
			req.Highlight.AddField(fTitle)
			req.Highlight.AddField(fLead)
			req.Highlight.AddField(fBody)
		}
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
			var wh map[string][]string
			for f, frags := range h.Fragments {
				for _, fr := range frags {
					if strings.Contains(fr, "<mark>") {
						if wh == nil {
							wh = map[string][]string{}
						}
						wh[f] = append(wh[f], fr)
					}
				}
			}
			if !reflect.DeepEqual(g.Highlights, wh) {
				t.Errorf("%q: hit %d %s: highlights %v, want %v", q.Text, i, g.ID, g.Highlights, wh)
			}
		}
		if hasText && q.Size > 0 && len(got.Hits) > 0 && got.Hits[0].Highlights == nil {
			t.Errorf("%q: no highlights", q.Text)
		}
	}
}
