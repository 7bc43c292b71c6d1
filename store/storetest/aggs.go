package storetest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/store"
)

// aggregationTests are the conformance tests of Aggregate and Scan.
var aggregationTests = []struct {
	name string
	fn   func(t *testing.T, s store.Store)
}{
	{"HistogramSumsToTotal", testHistogramSumsToTotal},
	{"HistogramDays", testHistogramDays},
	{"HistogramSplit", testHistogramSplit},
	{"Top", testTop},
	{"AggregateBadRequest", testAggregateBadRequest},
	{"Scan", testScan},
	{"ScanStops", testScanStops},
}

// Zones the aggregation tests cut days in: whole, half and three-quarter
// hour offsets, daylight saving time, both sides of the date line.
var testZones = []string{"UTC", "Asia/Baku", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu", "Pacific/Kiritimati", "Pacific/Pago_Pago"}

func loadZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("time zone %s: %v", name, err)
	}
	return loc
}

func aggregate(t *testing.T, s store.Store, q store.Query, a store.Aggregations) *store.AggregationResult {
	t.Helper()
	r, err := s.Aggregate(context.Background(), q, a)
	if err != nil {
		t.Fatalf("Aggregate(%+v, %+v): %v", q, a, err)
	}
	return r
}

// articleDate is the date histograms and sorts use.
func articleDate(a article.Article) time.Time {
	if a.PublishedAt != nil {
		return *a.PublishedAt
	}
	return a.FetchedAt
}

// undated, languageless: an article without a publication date and
// without a language (and without section and author).
func undated(t testing.TB) article.Article {
	a := mk(t, "https://apa.az/en/no-date", "apa", "", "", "Undated Baku note", "", "Some text about Baku.", nil)
	return a
}

// checkHistogram checks a histogram of the articles want (the ones the
// query matches) against the definition: buckets in order, each the
// bucket of its own start, holding exactly the articles dated in it, the
// counts summing to the total.
func checkHistogram(t *testing.T, label string, r *store.AggregationResult, want []article.Article, interval string, loc *time.Location) {
	t.Helper()
	h := r.Histogram
	if h == nil {
		t.Fatalf("%s: no histogram", label)
	}
	if r.Total != int64(len(want)) {
		t.Errorf("%s: total %d, want %d", label, r.Total, len(want))
	}
	if h.Interval != interval || h.TimeZone != loc.String() {
		t.Errorf("%s: interval %q zone %q, want %q %q", label, h.Interval, h.TimeZone, interval, loc.String())
	}
	sum := h.Missing
	for i, b := range h.Buckets {
		sum += b.Count
		if b.Count < 1 {
			t.Errorf("%s: bucket %s has count %d", label, b.Start, b.Count)
		}
		if !b.Start.Equal(store.BucketStart(b.Start, interval, loc)) {
			t.Errorf("%s: bucket start %s is not a %s start in %s", label, b.Start, interval, loc)
		}
		if b.Start.Location().String() != loc.String() {
			t.Errorf("%s: bucket start %s is not given in %s", label, b.Start, loc)
		}
		if i > 0 && !h.Buckets[i-1].Start.Before(b.Start) {
			t.Errorf("%s: buckets out of order: %s then %s", label, h.Buckets[i-1].Start, b.Start)
		}
	}
	if sum != r.Total {
		t.Errorf("%s: buckets sum to %d (missing %d), total %d", label, sum-h.Missing, h.Missing, r.Total)
	}
	expect := map[int64]int64{}
	for _, a := range want {
		expect[store.BucketStart(articleDate(a), interval, loc).Unix()]++
	}
	got := map[int64]int64{}
	for _, b := range h.Buckets {
		got[b.Start.Unix()] = b.Count
	}
	if h.Missing != 0 || fmt.Sprint(sortedCounts(got)) != fmt.Sprint(sortedCounts(expect)) {
		t.Errorf("%s: buckets %v (missing %d), want %v", label, sortedCounts(got), h.Missing, sortedCounts(expect))
	}
}

func sortedCounts(m map[int64]int64) []string {
	keys := make([]int64, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = fmt.Sprintf("%s:%d", time.Unix(k, 0).UTC().Format(time.RFC3339), m[k])
	}
	return out
}

// matching returns the fixture articles q matches, by searching.
func matching(t *testing.T, s store.Store, q store.Query, all []article.Article) []article.Article {
	t.Helper()
	q.Size = store.MaxSize
	r := search(t, s, q)
	byID := map[string]article.Article{}
	for _, a := range all {
		byID[a.ID] = a
	}
	var out []article.Article
	for _, h := range r.Hits {
		out = append(out, byID[h.ID])
	}
	if int64(len(out)) != r.Total {
		t.Fatalf("Search(%+v): total %d, %d hits", q, r.Total, len(out))
	}
	return out
}

// testHistogramSumsToTotal: for queries of every kind and every zone and
// interval, the histogram holds each matching article in its bucket and
// sums to the search total.
func testHistogramSumsToTotal(t *testing.T, s store.Store) {
	f := fixtures(t)
	all := append(f.arts, undated(t))
	put(t, s, all...)
	queries := []store.Query{
		{},
		{Text: "Baku"},
		{Text: "-Baku"},
		{Text: "Brent OR forum OR переговоры"},
		{Text: `"energy forum"`},
		{Text: "nonexistentword"},
		{Langs: []string{"ru", "az"}},
		{Text: "Baku", Outlets: []string{"caliber"}},
		{From: at(19, 0, 0), To: at(22, 0, 0)},
		{From: at(21, 0, 0)},
	}
	for _, q := range queries {
		want := matching(t, s, q, all)
		for _, zoneName := range testZones {
			loc := loadZone(t, zoneName)
			for _, interval := range store.Intervals {
				r := aggregate(t, s, q, store.Aggregations{Histogram: &store.Histogram{Interval: interval, Location: loc}})
				checkHistogram(t, fmt.Sprintf("query %+v, %s in %s", q, interval, zoneName), r, want, interval, loc)
			}
		}
		// Without a location the buckets are cut in UTC.
		r := aggregate(t, s, q, store.Aggregations{Histogram: &store.Histogram{Interval: store.IntervalDay}})
		checkHistogram(t, fmt.Sprintf("query %+v, day, no zone", q), r, want, store.IntervalDay, time.UTC)
		// The total alone.
		if r := aggregate(t, s, q, store.Aggregations{}); r.Total != int64(len(want)) || r.Histogram != nil || r.Top != nil {
			t.Errorf("Aggregate(%+v) without aggregations = %+v, want total %d only", q, r, len(want))
		}
	}
}

// testHistogramDays: the days of the fixtures, as people in Baku and in
// New York count them (written out by hand).
func testHistogramDays(t *testing.T, s store.Store) {
	f := fixtures(t)
	put(t, s, f.arts...)
	for _, tc := range []struct {
		zone string
		want []string
	}{
		{"Asia/Baku", []string{"2025-02-17:1", "2025-02-18:1", "2025-02-19:1", "2025-02-20:1", "2025-02-21:2", "2025-02-22:1"}},
		{"America/New_York", []string{"2025-02-16:1", "2025-02-18:1", "2025-02-19:1", "2025-02-20:1", "2025-02-21:3"}},
		{"UTC", []string{"2025-02-17:1", "2025-02-18:1", "2025-02-19:1", "2025-02-20:1", "2025-02-21:2", "2025-02-22:1"}},
	} {
		loc := loadZone(t, tc.zone)
		r := aggregate(t, s, store.Query{}, store.Aggregations{Histogram: &store.Histogram{Interval: store.IntervalDay, Location: loc}})
		var got []string
		for _, b := range r.Histogram.Buckets {
			if b.Start.Hour() != 0 || b.Start.Minute() != 0 {
				t.Errorf("%s: day bucket starts at %s", tc.zone, b.Start)
			}
			got = append(got, fmt.Sprintf("%s:%d", b.Start.Format(time.DateOnly), b.Count))
		}
		if strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("days in %s = %v, want %v", tc.zone, got, tc.want)
		}
	}
	// Weeks start on Monday: 17 February 2025 is one.
	loc := loadZone(t, "Asia/Baku")
	r := aggregate(t, s, store.Query{}, store.Aggregations{Histogram: &store.Histogram{Interval: store.IntervalWeek, Location: loc}})
	if len(r.Histogram.Buckets) != 1 || r.Histogram.Buckets[0].Start.Format(time.RFC3339) != "2025-02-17T00:00:00+04:00" || r.Histogram.Buckets[0].Count != 7 {
		t.Errorf("weeks in Baku = %+v, want one week from 2025-02-17T00:00:00+04:00 with 7", r.Histogram.Buckets)
	}
	ny := loadZone(t, "America/New_York")
	r = aggregate(t, s, store.Query{}, store.Aggregations{Histogram: &store.Histogram{Interval: store.IntervalWeek, Location: ny}})
	if len(r.Histogram.Buckets) != 2 || r.Histogram.Buckets[0].Start.Format(time.RFC3339) != "2025-02-10T00:00:00-05:00" || r.Histogram.Buckets[0].Count != 1 {
		t.Errorf("weeks in New York = %+v, want the week of 10 February with en3, then the rest", r.Histogram.Buckets)
	}
}

// testHistogramSplit: a split counts each bucket's articles per outlet or
// language, summing to the bucket; values beyond SplitSize count as
// OtherKey and articles without a value as NoneKey.
func testHistogramSplit(t *testing.T, s store.Store) {
	f := fixtures(t)
	all := append(f.arts, undated(t))
	put(t, s, all...)
	baku := loadZone(t, "Asia/Baku")
	for _, tc := range []struct {
		split     string
		size      int
		q         store.Query
		wantKeys  []string
		wantTotal map[string]int64
	}{
		{store.FacetLang, 0, store.Query{}, []string{"en", "az", "ru", store.NoneKey},
			map[string]int64{"en": 3, "az": 2, "ru": 2, store.NoneKey: 1}},
		{store.FacetLang, 1, store.Query{}, []string{"en", store.OtherKey, store.NoneKey},
			map[string]int64{"en": 3, store.OtherKey: 4, store.NoneKey: 1}},
		{store.FacetOutlet, 0, store.Query{}, []string{"apa", "caliber", "report", "media", "oxu"},
			map[string]int64{"apa": 2, "caliber": 2, "report": 2, "media": 1, "oxu": 1}},
		{store.FacetOutlet, 2, store.Query{Text: "Baku"}, []string{"apa", "caliber"},
			map[string]int64{"apa": 2, "caliber": 2}},
		{store.FacetLang, 0, store.Query{Text: "nonexistentword"}, nil, map[string]int64{}},
	} {
		label := fmt.Sprintf("split %s size %d query %+v", tc.split, tc.size, tc.q)
		r := aggregate(t, s, tc.q, store.Aggregations{Histogram: &store.Histogram{Interval: store.IntervalDay, Location: baku, Split: tc.split, SplitSize: tc.size}})
		checkHistogram(t, label, r, matching(t, s, tc.q, all), store.IntervalDay, baku)
		if strings.Join(r.Histogram.SplitKeys, ",") != strings.Join(tc.wantKeys, ",") {
			t.Errorf("%s: split keys %v, want %v", label, r.Histogram.SplitKeys, tc.wantKeys)
		}
		totals := map[string]int64{}
		for _, b := range r.Histogram.Buckets {
			var sum int64
			for k, n := range b.Split {
				if n < 1 {
					t.Errorf("%s: bucket %s: %q has count %d", label, b.Start, k, n)
				}
				sum += n
				totals[k] += n
			}
			if sum != b.Count {
				t.Errorf("%s: bucket %s: split %v sums to %d, count %d", label, b.Start, b.Split, sum, b.Count)
			}
		}
		if fmt.Sprint(totals) != fmt.Sprint(tc.wantTotal) {
			t.Errorf("%s: split totals %v, want %v", label, totals, tc.wantTotal)
		}
	}
	// The split of one day, by hand: 21 February in Baku has az1 (az) and
	// ru1 (ru).
	r := aggregate(t, s, store.Query{From: at(21, 0, 0), To: at(22, 0, 0)}, store.Aggregations{Histogram: &store.Histogram{Interval: store.IntervalDay, Location: baku, Split: store.FacetLang}})
	if b := r.Histogram.Buckets; len(b) != 1 || b[0].Count != 2 || fmt.Sprint(b[0].Split) != "map[az:1 ru:1]" {
		t.Errorf("21 February split by language = %+v, want az 1, ru 1", b)
	}
}

func topValues(tr *store.TopResult) string {
	var parts []string
	for _, v := range tr.Values {
		parts = append(parts, fmt.Sprintf("%s:%d", v.Value, v.Count))
	}
	return fmt.Sprintf("%s other %d missing %d", strings.Join(parts, " "), tr.Other, tr.Missing)
}

// testTop: the most frequent values of each facet, spelled as stored.
func testTop(t *testing.T, s store.Store) {
	f := fixtures(t)
	all := append(f.arts, undated(t))
	put(t, s, all...)
	for _, tc := range []struct {
		q    store.Query
		size int
		want map[string]string
	}{
		{store.Query{}, 0, map[string]string{
			store.FacetOutlet:  "apa:2 caliber:2 report:2 media:1 oxu:1 other 0 missing 0",
			store.FacetLang:    "en:3 az:2 ru:2 other 0 missing 1",
			store.FacetSection: "Politics:1 Siyasət:1 Society:1 Sport:1 İqtisadiyyat:1 Политика:1 Экономика:1 other 0 missing 1",
			store.FacetAuthor:  "John Smith:1 Ramin Məmmədov:1 Анна Петрова:1 other 0 missing 5",
		}},
		{store.Query{}, 2, map[string]string{
			store.FacetOutlet: "apa:2 caliber:2 other 4 missing 0",
			store.FacetLang:   "en:3 az:2 other 2 missing 1",
		}},
		{store.Query{Text: "Baku"}, 0, map[string]string{
			store.FacetOutlet: "apa:2 caliber:2 other 0 missing 0",
			store.FacetLang:   "en:3 other 0 missing 1",
		}},
		{store.Query{Langs: []string{"ru"}}, 1, map[string]string{
			store.FacetSection: "Политика:1 other 1 missing 0",
			store.FacetAuthor:  "Анна Петрова:1 other 0 missing 1",
		}},
		{store.Query{Text: "nonexistentword"}, 0, map[string]string{
			store.FacetOutlet: " other 0 missing 0",
		}},
	} {
		var facets []string
		for k := range tc.want {
			facets = append(facets, k)
		}
		sort.Strings(facets)
		r := aggregate(t, s, tc.q, store.Aggregations{Top: facets, TopSize: tc.size})
		want := matching(t, s, tc.q, all)
		if r.Total != int64(len(want)) {
			t.Errorf("top %+v: total %d, want %d", tc.q, r.Total, len(want))
		}
		if len(r.Top) != len(facets) {
			t.Errorf("top %+v: %d facets, want %d", tc.q, len(r.Top), len(facets))
		}
		for _, facet := range facets {
			tr := r.Top[facet]
			if tr == nil {
				t.Errorf("top %+v: no %s", tc.q, facet)
				continue
			}
			w := tc.want[facet]
			if got := topValues(tr); got != w {
				t.Errorf("top %s of %+v (size %d) = %q, want %q", facet, tc.q, tc.size, got, w)
			}
			if facet != store.FacetAuthor {
				sum := tr.Other + tr.Missing
				for _, v := range tr.Values {
					sum += v.Count
				}
				if sum != r.Total {
					t.Errorf("top %s of %+v: values, other and missing sum to %d, total %d", facet, tc.q, sum, r.Total)
				}
			}
		}
	}
}

func testAggregateBadRequest(t *testing.T, s store.Store) {
	f := fixtures(t)
	put(t, s, f.arts...)
	day := &store.Histogram{Interval: store.IntervalDay}
	for _, tc := range []struct {
		q store.Query
		a store.Aggregations
	}{
		{store.Query{Text: `"unclosed`}, store.Aggregations{Histogram: day}},
		{store.Query{Text: `nosuchfield:x`}, store.Aggregations{}},
		{store.Query{From: at(22, 0, 0), To: at(21, 0, 0)}, store.Aggregations{Histogram: day}},
		{store.Query{}, store.Aggregations{Histogram: &store.Histogram{Interval: "fortnight"}}},
		{store.Query{}, store.Aggregations{Histogram: &store.Histogram{Interval: store.IntervalDay, Split: store.FacetAuthor}}},
		{store.Query{}, store.Aggregations{Top: []string{"colour"}}},
		{store.Query{}, store.Aggregations{Top: []string{store.FacetLang}, TopSize: store.MaxTopSize + 1}},
	} {
		if _, err := s.Aggregate(context.Background(), tc.q, tc.a); !errors.Is(err, store.ErrBadQuery) {
			t.Errorf("Aggregate(%+v, %+v) = %v, want ErrBadQuery", tc.q, tc.a, err)
		}
	}
	// Size, sort and cursor do not matter.
	r := aggregate(t, s, store.Query{Text: "Baku", Size: 1, Sort: store.SortOldest, Cursor: "ignored"}, store.Aggregations{})
	if r.Total != 3 {
		t.Errorf("Aggregate with size, sort and cursor: total %d, want 3", r.Total)
	}
}

// scanAll collects what Scan delivers.
func scanAll(t *testing.T, s store.Store, q store.Query) []article.Article {
	t.Helper()
	var out []article.Article
	err := s.Scan(context.Background(), q, func(a *article.Article) error {
		out = append(out, *a)
		return nil
	})
	if err != nil {
		t.Fatalf("Scan(%+v): %v", q, err)
	}
	return out
}

// testScan: a scan delivers every matching article once, newest first,
// in the same order as newest-first search pages, beyond any page size.
func testScan(t *testing.T, s store.Store) {
	arts := pageArticles(t, 1234) // more than a page of any backend
	f := fixtures(t)
	arts = append(arts, f.arts...)
	arts = append(arts, undated(t))
	for i := 0; i < len(arts); i += 500 {
		put(t, s, arts[i:min(i+500, len(arts))]...)
	}
	byID := map[string]article.Article{}
	for _, a := range arts {
		byID[a.ID] = a
	}
	for _, q := range []store.Query{{}, {Text: "neft alpha"}, {Text: "Baku"}, {Langs: []string{"en"}, Sort: store.SortOldest, Size: 3}, {Text: "nonexistentword"}} {
		got := scanAll(t, s, q)
		// The same sequence as paging through a newest-first search.
		var want []string
		page := store.Query{Text: q.Text, Langs: q.Langs, Sort: store.SortNewest, Size: store.MaxSize}
		for n := 0; ; n++ {
			r := search(t, s, page)
			for _, h := range r.Hits {
				want = append(want, h.ID)
			}
			if r.NextCursor == "" {
				break
			}
			page.Cursor = r.NextCursor
			if n > len(arts) {
				t.Fatal("paging does not end")
			}
		}
		if len(got) != len(want) {
			t.Fatalf("Scan(%+v) delivered %d articles, search finds %d", q, len(got), len(want))
		}
		seen := map[string]bool{}
		for i, a := range got {
			if a.ID != want[i] {
				t.Fatalf("Scan(%+v): article %d is %s, newest-first search has %s", q, i, a.URL, byID[want[i]].URL)
			}
			if seen[a.ID] {
				t.Fatalf("Scan(%+v): %s delivered twice", q, a.URL)
			}
			seen[a.ID] = true
			sameArticle(t, a, byID[a.ID])
			if i > 0 && articleDate(a).After(articleDate(got[i-1])) {
				t.Fatalf("Scan(%+v): %s is newer than the article before it", q, a.URL)
			}
		}
	}
	if got := scanAll(t, s, store.Query{}); len(got) != len(arts) {
		t.Errorf("Scan of everything delivered %d, stored %d", len(got), len(arts))
	}
	if _, err := s.Search(context.Background(), store.Query{Text: `"open`}); !errors.Is(err, store.ErrBadQuery) {
		t.Fatal("bad query accepted by Search")
	}
	if err := s.Scan(context.Background(), store.Query{Text: `"open`}, func(*article.Article) error { return nil }); !errors.Is(err, store.ErrBadQuery) {
		t.Errorf("Scan of a malformed query = %v, want ErrBadQuery", err)
	}
}

// testScanStops: the first error of fn, or a cancelled context, ends a
// scan with that error.
func testScanStops(t *testing.T, s store.Store) {
	arts := pageArticles(t, 300)
	put(t, s, arts...)
	stop := errors.New("enough")
	n := 0
	err := s.Scan(context.Background(), store.Query{}, func(*article.Article) error {
		n++
		if n == 7 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 7 {
		t.Errorf("Scan stopped by fn: err %v after %d calls, want %v after 7", err, n, stop)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n = 0
	err = s.Scan(ctx, store.Query{}, func(*article.Article) error {
		n++
		if n == 5 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || n >= len(arts) {
		t.Errorf("Scan with cancelled context: err %v after %d calls, want context.Canceled before %d", err, n, len(arts))
	}
}
