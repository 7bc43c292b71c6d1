package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/store"
)

// exportTests are the conformance tests of what exports and lean search
// pages rely on: ScanJSON, scans over articles whose dates are spread
// unevenly (bursts, gaps, decades), and NoHighlights.
var exportTests = []struct {
	name string
	fn   func(t *testing.T, s store.Store)
}{
	{"ScanJSON", testScanJSON},
	{"ScanUnevenDates", testScanUnevenDates},
	{"NoHighlights", testNoHighlights},
	{"DateToTheSecond", testDateToTheSecond},
}

// newestPages is the IDs of every hit of q, paging a newest-first search.
func newestPages(t *testing.T, s store.Store, q store.Query) []string {
	t.Helper()
	q.Sort, q.Size, q.Cursor = store.SortNewest, store.MaxSize, ""
	var ids []string
	for n := 0; ; n++ {
		r := search(t, s, q)
		for _, h := range r.Hits {
			ids = append(ids, h.ID)
		}
		if r.NextCursor == "" {
			return ids
		}
		q.Cursor = r.NextCursor
		if n > 100000 {
			t.Fatal("paging does not end")
		}
	}
}

// scanJSONAll collects what ScanJSON delivers, copied.
func scanJSONAll(t *testing.T, s store.Store, q store.Query) [][]byte {
	t.Helper()
	var out [][]byte
	err := s.ScanJSON(context.Background(), q, func(doc []byte) error {
		out = append(out, bytes.Clone(doc))
		return nil
	})
	if err != nil {
		t.Fatalf("ScanJSON(%+v): %v", q, err)
	}
	return out
}

// checkScans checks that Scan and ScanJSON of q deliver the articles of a
// newest-first search, in its order, each once and as stored (byID).
func checkScans(t *testing.T, s store.Store, q store.Query, byID map[string]article.Article) {
	t.Helper()
	want := newestPages(t, s, q)
	got := scanAll(t, s, q)
	docs := scanJSONAll(t, s, q)
	if len(got) != len(want) || len(docs) != len(want) {
		t.Fatalf("%+v: Scan delivered %d, ScanJSON %d, search finds %d", q, len(got), len(docs), len(want))
	}
	for i, a := range got {
		if a.ID != want[i] {
			t.Fatalf("%+v: Scan's article %d is %s (%s), newest-first search has %s (%s)", q, i,
				a.ID, articleDate(a), want[i], articleDate(byID[want[i]]))
		}
		sameArticle(t, a, byID[a.ID])
		doc := docs[i]
		if bytes.ContainsAny(doc, "\n\r") || !json.Valid(doc) || doc[0] != '{' {
			t.Fatalf("%+v: ScanJSON doc %d is not one compact JSON object: %.200s", q, i, doc)
		}
		var d article.Article
		if err := json.Unmarshal(doc, &d); err != nil {
			t.Fatalf("%+v: ScanJSON doc %d: %v", q, i, err)
		}
		if d.ID != a.ID {
			t.Fatalf("%+v: ScanJSON doc %d is %s, Scan's is %s", q, i, d.ID, a.ID)
		}
		sameArticle(t, d, a)
	}
}

// testScanJSON: ScanJSON delivers what Scan does, as JSON, and stops like
// it.
func testScanJSON(t *testing.T, s store.Store) {
	f := fixtures(t)
	arts := append(pageArticles(t, 250), f.arts...)
	arts = append(arts, undated(t))
	put(t, s, arts...)
	byID := map[string]article.Article{}
	for _, a := range arts {
		byID[a.ID] = a
	}
	for _, q := range []store.Query{{}, {Text: "Baku"}, {Text: "neft gamma"}, {Outlets: []string{"p2"}}, {Text: "nonexistentword"}} {
		checkScans(t, s, q, byID)
	}
	if err := s.ScanJSON(context.Background(), store.Query{Text: `"open`}, func([]byte) error { return nil }); !errors.Is(err, store.ErrBadQuery) {
		t.Errorf("ScanJSON of a malformed query = %v, want ErrBadQuery", err)
	}
	stop := errors.New("enough")
	n := 0
	err := s.ScanJSON(context.Background(), store.Query{}, func([]byte) error {
		if n++; n == 7 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 7 {
		t.Errorf("ScanJSON stopped by fn: err %v after %d calls, want %v after 7", err, n, stop)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n = 0
	err = s.ScanJSON(ctx, store.Query{}, func([]byte) error {
		if n++; n == 5 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || n >= len(arts) {
		t.Errorf("ScanJSON with cancelled context: err %v after %d calls, want context.Canceled before %d", err, n, len(arts))
	}
}

// testScanUnevenDates: scans are complete and in order whatever the dates:
// a burst of articles in one minute, hundreds sharing one instant, a
// sparse tail over decades with gaps of years, and undated articles.
func testScanUnevenDates(t *testing.T, s store.Store) {
	rng := rand.New(rand.NewPCG(12, 34))
	var arts []article.Article
	add := func(kind string, i int, published *time.Time) {
		word := []string{"neft", "qaz", "bank"}[rng.IntN(3)]
		arts = append(arts, mk(t, fmt.Sprintf("https://uneven.example/%s/%d", kind, i), []string{"u1", "u2", "u3"}[i%3], "az", "",
			fmt.Sprintf("Uneven %s %d", kind, i), "", word+" xəbər "+kind, published))
	}
	burst := time.Date(2025, time.March, 3, 9, 0, 0, 0, time.UTC)
	for i := range 1100 { // 1,100 articles in one minute, at millisecond steps
		d := burst.Add(time.Duration(rng.IntN(60000)) * time.Millisecond)
		add("burst", i, &d)
	}
	same := time.Date(2024, time.June, 1, 12, 0, 0, 0, time.UTC)
	for i := range 300 { // 300 at one instant
		add("same", i, &same)
	}
	for i := range 250 { // a sparse tail: 1950 to 2025, denser lately
		d := burst.Add(-time.Duration(rng.Float64()*rng.Float64()*75*365*24) * time.Hour)
		add("tail", i, &d)
	}
	for i := range 5 {
		add("undated", i, nil)
	}
	for i := 0; i < len(arts); i += 500 {
		put(t, s, arts[i:min(i+500, len(arts))]...)
	}
	byID := map[string]article.Article{}
	for _, a := range arts {
		byID[a.ID] = a
	}
	for _, q := range []store.Query{{}, {Text: "neft"}, {Text: "bank OR qaz", Outlets: []string{"u1", "u3"}}} {
		checkScans(t, s, q, byID)
	}
}

// testNoHighlights: NoHighlights leaves out highlights and changes neither
// hits nor order; cursors serve either way.
func testNoHighlights(t *testing.T, s store.Store) {
	f := fixtures(t)
	put(t, s, f.arts...)
	put(t, s, pageArticles(t, 30)...)
	q := store.Query{Text: "Baku OR neft", Size: 5}
	with := search(t, s, q)
	q.NoHighlights = true
	without := search(t, s, q)
	if with.Total != without.Total || len(with.Hits) != len(without.Hits) || with.NextCursor != without.NextCursor {
		t.Fatalf("NoHighlights changed the page: total %d/%d, hits %d/%d, cursor %q/%q",
			with.Total, without.Total, len(with.Hits), len(without.Hits), with.NextCursor, without.NextCursor)
	}
	marked := 0
	for i := range with.Hits {
		if with.Hits[i].ID != without.Hits[i].ID {
			t.Errorf("hit %d: %s with highlights, %s without", i, with.Hits[i].ID, without.Hits[i].ID)
		}
		marked += len(with.Hits[i].Highlights)
		if without.Hits[i].Highlights != nil {
			t.Errorf("hit %d has highlights with NoHighlights: %v", i, without.Hits[i].Highlights)
		}
	}
	if marked == 0 {
		t.Error("no hit has highlights without NoHighlights")
	}
	// The cursor of a page with highlights serves the next page without.
	q.Cursor = with.NextCursor
	next := search(t, s, q)
	q.NoHighlights = false
	nextWith := search(t, s, q)
	if len(next.Hits) == 0 || len(next.Hits) != len(nextWith.Hits) || next.Hits[0].ID != nextWith.Hits[0].ID {
		t.Errorf("next page differs with and without highlights: %d/%d hits", len(next.Hits), len(nextWith.Hits))
	}
}

// testDateToTheSecond: sorts and scans order by the article date to the
// second, then by ID, so that every store orders alike: articles within
// one second (at other milliseconds, or the same instant) come in ID
// order, newest first and oldest first alike.
func testDateToTheSecond(t *testing.T, s store.Store) {
	base := time.Date(2025, time.May, 5, 8, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { v := base.Add(d); return &v }
	var arts []article.Article
	var within []string
	for i := range 12 {
		a := mk(t, fmt.Sprintf("https://second.example/%d", i), "s1", "en", "", fmt.Sprintf("Second %d", i), "", "neft second",
			at(time.Duration((11-i)*83%1000)*time.Millisecond))
		arts = append(arts, a)
		within = append(within, a.ID)
	}
	slices.Sort(within)
	before := mk(t, "https://second.example/before", "s1", "en", "", "Second before", "", "neft second", at(-time.Millisecond))
	after := mk(t, "https://second.example/after", "s1", "en", "", "Second after", "", "neft second", at(time.Second))
	put(t, s, append(arts, before, after)...)
	q := store.Query{Outlets: []string{"s1"}, Size: store.MaxSize}
	for _, sort := range []string{store.SortNewest, store.SortOldest} {
		q.Sort = sort
		var got []string
		for _, h := range search(t, s, q).Hits {
			got = append(got, h.ID)
		}
		want := append(append([]string{after.ID}, within...), before.ID)
		if sort == store.SortOldest {
			want = append(append([]string{before.ID}, within...), after.ID)
		}
		if !slices.Equal(got, want) {
			t.Errorf("sort %s: %v\nwant %v (the second's articles by ID)", sort, got, want)
		}
	}
	var scanned []string
	for _, a := range scanAll(t, s, store.Query{Outlets: []string{"s1"}}) {
		scanned = append(scanned, a.ID)
	}
	if want := append(append([]string{after.ID}, within...), before.ID); !slices.Equal(scanned, want) {
		t.Errorf("scan: %v\nwant %v", scanned, want)
	}
}
