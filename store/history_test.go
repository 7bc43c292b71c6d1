package store

import (
	"testing"
	"time"

	"github.com/newswatch/newswatch/article"
)

func version(t *testing.T, v int, title, body string, fetched time.Time) *article.Article {
	t.Helper()
	a := &article.Article{URL: "https://report.az/xeber/1", Outlet: "report", Title: title, Lead: "Lead " + title,
		Body: body, Version: v, FetchedAt: fetched}
	if err := a.Finalize(); err != nil {
		t.Fatal(err)
	}
	return a
}

// The history keeps the text of versions other than the current one (so an
// article never edited costs no second copy of its text), and Record gives
// every version its text, in any order of arrival, a revert included.
func TestHistoryKeepsVersionText(t *testing.T) {
	t0 := time.Date(2025, 2, 21, 14, 0, 0, 0, time.UTC)
	v1 := version(t, 1, "Bakıda yağış", "Bakıda güclü yağış yağıb.", t0)
	v2 := version(t, 2, "Bakıda leysan", "Bakıda leysan yağışı yağıb.", t0.Add(time.Hour))
	v3 := version(t, 3, v1.Title, v1.Body, t0.Add(2*time.Hour)) // v1 reverted
	if v3.ContentHash != v1.ContentHash {
		t.Fatal("revert has another hash")
	}
	for _, order := range [][]*article.Article{{v1, v2, v3}, {v2, v1, v3}, {v1, v3, v2}} {
		var h History
		for _, a := range order {
			h.Add(a)
		}
		if len(h.Versions) != 3 || h.Article.Version != 3 {
			t.Fatalf("order %d,%d,%d: %d versions, current %d", order[0].Version, order[1].Version, order[2].Version, len(h.Versions), h.Article.Version)
		}
		for _, v := range h.Versions {
			stored := v.Body != "" || v.Lead != "" || v.TextKept
			if want := v.ContentHash != h.Article.ContentHash; stored != want {
				t.Errorf("version %d holds text %v, want %v (only versions unlike the current one keep theirs)", v.Version, stored, want)
			}
		}
		rec := h.Record()
		for i, want := range []*article.Article{v1, v2, v3} {
			got := rec.Versions[i]
			if got.Version != want.Version || !got.TextKept || got.Lead != want.Lead || got.Body != want.Body || got.Title != want.Title {
				t.Errorf("record version %d = %+v, want the text of %d", i, got, want.Version)
			}
		}
	}
	// A version line stored before versions kept their text (Title only)
	// gets its text when it is the article being replaced.
	h := History{Article: v1, Versions: []Version{{Version: 1, ContentHash: v1.ContentHash, FetchedAt: v1.FetchedAt, Title: v1.Title}}}
	h.Add(v2)
	rec := h.Record()
	if got := rec.Versions[0]; !got.TextKept || got.Body != v1.Body {
		t.Errorf("old version line after an edit = %+v, want v1's text", got)
	}
	old := Version{Version: 1, ContentHash: "x", Title: "t"}
	h = History{Article: v2, Versions: []Version{old, {Version: 2, ContentHash: v2.ContentHash}}}
	if got := h.Record().Versions[0]; got.TextKept || got.Body != "" {
		t.Errorf("a version whose text was never kept = %+v, want TextKept false", got)
	}
}
