package bleve

import (
	"context"
	"fmt"
	"time"

	bv "github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search"
	bq "github.com/blevesearch/bleve/v2/search/query"
	"github.com/blevesearch/bleve/v2/search/searcher"
	index "github.com/blevesearch/bleve_index_api"
)

// The from/to filter. A bleve date field indexes every date as sixteen
// terms (one per precision), most of them unique to the document: a
// sixth of the index. Instead, published_at is indexed as three calendar
// terms (its UTC year, month and day: "y2025", "m2025-02", "d2025-02-21"),
// a range is covered by the whole years, months and days inside it, and
// the days it cuts are checked against the exact time in the date_key
// doc values. Years 0 to 9999 are indexed; other dates do not match
// from/to filters.

// calendarTerms are the calendar terms of t.
func calendarTerms(t time.Time) []string {
	t = t.UTC()
	if t.Year() < 0 || t.Year() > 9999 {
		return nil
	}
	return []string{
		fmt.Sprintf("y%04d", t.Year()),
		fmt.Sprintf("m%04d-%02d", t.Year(), t.Month()),
		fmt.Sprintf("d%04d-%02d-%02d", t.Year(), t.Month(), t.Day()),
	}
}

var (
	calendarMin = time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)
	calendarMax = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
)

// publishedIn matches the articles published in [from, to), compared to
// the second; a zero bound is open.
type publishedIn struct {
	from, to time.Time
}

var _ bq.Query = (*publishedIn)(nil)

// newPublishedIn returns the filter, or nil when it matches nothing.
func newPublishedIn(from, to *time.Time) *publishedIn {
	q := &publishedIn{from: calendarMin, to: calendarMax}
	if from != nil && from.After(q.from) {
		q.from = *from
	}
	if to != nil && to.Before(q.to) {
		q.to = *to
	}
	// Dates are compared to the second: the first whole second at or
	// after each bound.
	q.from, q.to = ceilSecond(q.from), ceilSecond(q.to)
	if !q.from.Before(q.to) {
		return nil
	}
	return q
}

func ceilSecond(t time.Time) time.Time {
	if t.Nanosecond() == 0 {
		return t.UTC()
	}
	return t.UTC().Truncate(time.Second).Add(time.Second)
}

// cover returns calendar terms whose days lie wholly in [from, to) and
// the terms of the (at most two) days it cuts, whose articles need the
// exact check.
func (q *publishedIn) cover() (inner []bq.Query, cut []string) {
	day := func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) }
	cur, end := day(q.from), day(q.to)
	if cur.Before(q.from) {
		cut = append(cut, calendarTerms(cur)[2])
		cur = cur.AddDate(0, 0, 1)
	}
	if end.Before(q.to) && end.Before(calendarMax) && (len(cut) == 0 || !end.Equal(day(q.from))) {
		cut = append(cut, calendarTerms(end)[2])
	}
	term := func(s string) bq.Query {
		tq := bv.NewTermQuery(s)
		tq.SetField(fPubCal)
		return tq
	}
	yes, no := true, false
	yearRange := func(lo, hi string, hiIncl *bool) {
		rq := bv.NewTermRangeInclusiveQuery(lo, hi, &yes, hiIncl)
		rq.SetField(fPubCal)
		inner = append(inner, rq)
	}
	if cur.Equal(calendarMin) {
		// Open start: every year before the end's by a range over the
		// year terms the index holds.
		if end.Equal(calendarMax) {
			yearRange("y0000", "y9999", &yes)
			return inner, cut
		}
		yearRange("y0000", calendarTerms(end)[0], &no)
		cur = time.Date(end.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	}
	for cur.Before(end) {
		switch {
		case cur.Month() == 1 && cur.Day() == 1 && end.Equal(calendarMax):
			// Open end: every year from this one.
			yearRange(calendarTerms(cur)[0], "y9999", &yes)
			return inner, cut
		case cur.Month() == 1 && cur.Day() == 1 && !cur.AddDate(1, 0, 0).After(end):
			inner = append(inner, term(calendarTerms(cur)[0]))
			cur = cur.AddDate(1, 0, 0)
		case cur.Day() == 1 && !cur.AddDate(0, 1, 0).After(end):
			inner = append(inner, term(calendarTerms(cur)[1]))
			cur = cur.AddDate(0, 1, 0)
		default:
			inner = append(inner, term(calendarTerms(cur)[2]))
			cur = cur.AddDate(0, 0, 1)
		}
	}
	return inner, cut
}

// Searcher implements bq.Query.
func (q *publishedIn) Searcher(ctx context.Context, r index.IndexReader, m mapping.IndexMapping, opts search.SearcherOptions) (search.Searcher, error) {
	inner, cut := q.cover()
	var parts []search.Searcher
	closeAll := func() {
		for _, p := range parts {
			p.Close()
		}
	}
	if len(inner) > 0 {
		s, err := bq.NewDisjunctionQuery(inner).Searcher(ctx, r, m, opts)
		if err != nil {
			return nil, err
		}
		parts = append(parts, s)
	}
	if len(cut) > 0 {
		var qs []bq.Query
		for _, c := range cut {
			tq := bv.NewTermQuery(c)
			tq.SetField(fPubCal)
			qs = append(qs, tq)
		}
		s, err := bq.NewDisjunctionQuery(qs).Searcher(ctx, r, m, opts)
		if err != nil {
			closeAll()
			return nil, err
		}
		dv, err := r.DocValueReader([]string{fDateKey})
		if err != nil {
			s.Close()
			closeAll()
			return nil, err
		}
		from, to := q.from.Unix(), q.to.Unix()
		parts = append(parts, searcher.NewFilteringSearcher(ctx, s, func(_ *search.SearchContext, d *search.DocumentMatch) bool {
			in := false
			_ = dv.VisitDocValues(d.IndexInternalID, func(_ string, term []byte) {
				if sec, ok := parseDateKey(term); ok {
					in = sec >= from && sec < to
				}
			})
			return in
		}))
	}
	switch len(parts) {
	case 0:
		return searcher.NewMatchNoneSearcher(r)
	case 1:
		return parts[0], nil
	}
	s, err := searcher.NewDisjunctionSearcher(ctx, r, parts, 1, opts)
	if err != nil {
		closeAll()
		return nil, err
	}
	return s, nil
}
