package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/match"
)

// MatcherQueries are the queries on which store/match must accept exactly
// the articles a store's search returns: words in every script and case,
// inflected and without diacritics, phrases, prefixes, fields, booleans,
// exclusions, words of punctuation only, and filters.
var MatcherQueries = []store.Query{
	{}, {Text: "Baku"}, {Text: "Bakı"}, {Text: "BAKI"}, {Text: "baki"}, {Text: `"bakı şəhər"`},
	{Text: "Azərbaycan"}, {Text: "azerbaycan"}, {Text: "Azərbaycanın"}, {Text: "Azərbaycan'ın"},
	{Text: "ölkə"}, {Text: "ÖLKƏNİN"}, {Text: "olkenin"}, {Text: "büdcə"}, {Text: "budce"},
	{Text: "layihəsini"}, {Text: "BƏYANATDA"}, {Text: "bəyanat"}, {Text: "ixracı"}, {Text: "Şəki"},
	{Text: "seki"}, {Text: "QASIMOV"}, {Text: "qasımov"}, {Text: "sahibkar*"}, {Text: "Şuşa*"},
	{Text: "Баку"}, {Text: "переговоры"}, {Text: "переговорах"}, {Text: "бюджет"}, {Text: "бюджета"},
	{Text: "туризма"}, {Text: "карабаха"}, {Text: "Гянджа"}, {Text: "критика"}, {Text: "нефть"},
	{Text: "business"}, {Text: "businesses"}, {Text: "plans"}, {Text: "approved"}, {Text: "approve"},
	{Text: "tourism"}, {Text: "economy"}, {Text: "Qarabag"}, {Text: "Qarabağ"}, {Text: "Qarabağda"},
	{Text: "COVID-19"}, {Text: "80"}, {Text: "ener*"}, {Text: "qara*"},
	{Text: "outlet:caliber"}, {Text: "outlet:CALIBER"}, {Text: "lang:ru"}, {Text: "title:Baku"},
	{Text: "title:Bakı"}, {Text: "body:переговоры"}, {Text: "author:Smith"}, {Text: `author:"John Smith"`},
	{Text: `author:"Smith Ramin"`}, {Text: `section:"Daxili siyasət"`}, {Text: "section:politics"},
	{Text: "tag:energy"}, {Text: "tag:Karabakh"}, {Text: "outlet:cal*"}, {Text: "title:ener*"},
	{Text: "-Baku"}, {Text: "Baku OR Bakı"}, {Text: `enerji -"yaşıl enerji"`}, {Text: "NOT Baku NOT Bakı"},
	{Text: `"energy forum"`}, {Text: `"forum energy"`}, {Text: `"new energy corridor projects"`},
	{Text: `"Qarabag FK"`}, {Text: `"Şuşa şəhərində"`}, {Text: "(Baku OR Баку) AND -forum"},
	{Text: "—"}, {Text: "— OR Baku"}, {Text: "-—"}, {Text: "Baku AND —"},
	{Text: "Baku", Langs: []string{"ru"}}, {Text: "бюджета", Langs: []string{"az", "ru"}},
	{Text: "plans", Langs: []string{"en"}}, {Outlets: []string{"report", "CALIBER"}},
	{Sections: []string{"politics"}}, {Authors: []string{"john smith"}},
	{Text: "Baku", Outlets: []string{"vesti"}, Sections: []string{"Политика"}},
	{Stories: []string{storyOil}}, {Text: "Baku", Stories: []string{storyOil, storyBaku}},
}

// testMatcherAgrees runs MatcherAgrees on the fixtures.
func testMatcherAgrees(t *testing.T, s store.Store) {
	MatcherAgrees(t, s, nil)
}

// MatcherAgrees puts the fixtures and corpus into the empty store s and
// checks that store/match accepts exactly the articles the store's search
// returns for each of MatcherQueries (with a corpus, at least two thirds
// of them must find something). A third of the articles get a story. The
// backends' tests run it on a simulated corpus (English, Azerbaijani and
// Russian outlets).
func MatcherAgrees(t *testing.T, s store.Store, corpus []article.Article) {
	arts := append(fixtures(t).arts, corpus...)
	for i := range arts {
		if i%3 == 0 {
			arts[i].StoryID = storyOil
		}
	}
	put(t, s, arts...)
	docs := make([]*match.Doc, len(arts))
	for i := range arts {
		docs[i] = match.NewDoc(&arts[i])
	}
	nonEmpty := 0
	for _, q := range MatcherQueries {
		label := fmt.Sprintf("text %q outlets %v langs %v sections %v authors %v stories %v", q.Text, q.Outlets, q.Langs, q.Sections, q.Authors, q.Stories)
		m, err := match.Compile(q)
		if err != nil {
			t.Errorf("%s: Compile: %v", label, err)
			continue
		}
		want := allIDs(t, s, q)
		var got []string
		for _, d := range docs {
			if m.Match(d) {
				got = append(got, d.A.ID)
			}
		}
		slices.Sort(got)
		if len(want) > 0 {
			nonEmpty++
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: matcher accepts %d articles, the store finds %d; only the matcher: %v; only the store: %v",
				label, len(got), len(want), titles(arts, minus(got, want)), titles(arts, minus(want, got)))
		}
	}
	if len(corpus) > 0 && nonEmpty < len(MatcherQueries)*2/3 {
		t.Errorf("only %d of %d queries find anything", nonEmpty, len(MatcherQueries))
	}
}

// allIDs runs q page after page and returns the sorted IDs of every hit.
func allIDs(t *testing.T, s store.Store, q store.Query) []string {
	t.Helper()
	q.Size, q.NoHighlights, q.Sort = store.MaxSize, true, store.SortNewest
	var out []string
	for {
		r, err := s.Search(context.Background(), q)
		if err != nil {
			t.Fatalf("Search(%q): %v", q.Text, err)
		}
		for _, h := range r.Hits {
			out = append(out, h.ID)
		}
		if r.NextCursor == "" || len(r.Hits) == 0 {
			break
		}
		q.Cursor = r.NextCursor
	}
	slices.Sort(out)
	return out
}

func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

func titles(arts []article.Article, ids []string) string {
	var out []string
	for _, id := range ids {
		for _, a := range arts {
			if a.ID == id {
				out = append(out, fmt.Sprintf("%s %q", a.Language, a.Title))
			}
		}
		if len(out) >= 5 {
			out = append(out, "...")
			break
		}
	}
	return strings.Join(out, "; ")
}
