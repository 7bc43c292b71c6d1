package storetest

import (
	"context"
	"strings"
	"testing"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/store"
)

// Story IDs of the Stories case.
const (
	storyOil  = "0011223344556677889900aabbccddee"
	storyBaku = "ffeeddccbbaa00998877665544332211"
)

// testStories: the story filter finds a story's articles (with the other
// filters and the text), the story facet counts each story's articles
// (those without one as missing), and a new version keeps its story.
func testStories(t *testing.T, s store.Store) {
	f := fixtures(t)
	arts := make([]article.Article, len(f.arts))
	copy(arts, f.arts)
	for i := range arts {
		switch f.keyOf[arts[i].ID] {
		case az2, ru2:
			arts[i].StoryID = storyOil
		case ru1, en1, en2:
			arts[i].StoryID = storyBaku
		}
	}
	put(t, s, arts...)
	wantKeys(t, f, s, store.Query{Stories: []string{storyOil}}, az2, ru2)
	wantKeys(t, f, s, store.Query{Stories: []string{storyBaku, " ", storyOil}}, az2, ru2, ru1, en1, en2)
	wantKeys(t, f, s, store.Query{Stories: []string{storyBaku}, Langs: []string{"en"}}, en1, en2)
	wantKeys(t, f, s, store.Query{Stories: []string{storyBaku}, Text: "derby"}, en2)
	wantKeys(t, f, s, store.Query{Stories: []string{strings.Repeat("0", article.IDLen)}})

	r, err := s.Aggregate(context.Background(), store.Query{}, store.Aggregations{Top: []string{store.FacetStory}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := topValues(r.Top[store.FacetStory]), storyBaku+":3 "+storyOil+":2 other 0 missing 2"; got != want {
		t.Errorf("top stories %s, want %s", got, want)
	}
	// A new version keeps the article in its story.
	v2 := edit(t, f.byKey[en2], "Qarabag wins the derby again", "Qarabag FK won.", 1)
	v2.StoryID = storyBaku
	put(t, s, v2)
	wantKeys(t, f, s, store.Query{Stories: []string{storyBaku}, Text: "again"}, en2)
}
