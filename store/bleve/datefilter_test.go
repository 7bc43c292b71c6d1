package bleve

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	bq "github.com/blevesearch/bleve/v2/search/query"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/storetest"
)

// TestPublishedFilter checks the calendar-term date filter against the
// definition (from <= published_at < to) on random dates and bounds:
// ranges within a day, across months, years and centuries, open on either
// side, at midnight, with fractions of a second, and undated articles.
func TestPublishedFilter(t *testing.T) {
	x := open(t, t.TempDir())
	defer x.Close()
	r := rand.New(rand.NewPCG(11, 12))
	base := time.Date(2025, 2, 21, 0, 0, 0, 0, time.UTC)
	var arts []article.Article
	var dates []*time.Time
	for i := 0; i < 400; i++ {
		var pub *time.Time
		switch {
		case i%40 == 0: // undated
		case i%40 == 1: // far years
			p := time.Date([]int{1, 1500, 1969, 2262, 3000, 9999}[r.IntN(6)], time.Month(1+r.IntN(12)), 1+r.IntN(28), r.IntN(24), 0, 0, 0, time.UTC)
			pub = &p
		case i%3 == 0: // around midnights of a few days
			p := base.AddDate(0, 0, r.IntN(5)).Add(time.Duration(r.IntN(7200)-3600) * time.Second)
			pub = &p
		default: // years around now
			p := base.Add(time.Duration(r.Int64N(int64(30*365*24*time.Hour))) - 15*365*24*time.Hour).Truncate(time.Second)
			pub = &p
		}
		a := art(t, fmt.Sprintf("https://dates.example/%d", i), "en", "dated", "text")
		a.PublishedAt = pub
		if pub != nil {
			p := pub.In(time.FixedZone("", (r.IntN(27)-12)*3600)) // any offset
			a.PublishedAt = &p
		}
		if err := a.Finalize(); err != nil {
			t.Fatal(err)
		}
		arts = append(arts, a)
		dates = append(dates, pub)
	}
	if err := x.Put(context.Background(), storetest.Ptrs(arts)); err != nil {
		t.Fatal(err)
	}
	bound := func() *time.Time {
		var b time.Time
		switch r.IntN(6) {
		case 0:
			return nil
		case 1: // a midnight
			b = base.AddDate(0, 0, r.IntN(5)-1)
		case 2: // a date's own instant
			for b.IsZero() {
				if d := dates[r.IntN(len(dates))]; d != nil {
					b = *d
				}
			}
		case 3: // with a fraction of a second
			b = base.Add(time.Duration(r.Int64N(int64(5 * 24 * time.Hour))))
		case 4: // far
			b = time.Date([]int{1, 1000, 2000, 2262, 5000, 9999}[r.IntN(6)], 6, 1, 0, 0, 0, 0, time.UTC)
		default:
			b = base.Add(time.Duration(r.Int64N(int64(30*365*24*time.Hour))) - 15*365*24*time.Hour)
		}
		b = b.In(time.FixedZone("", (r.IntN(27)-12)*3600))
		return &b
	}
	for k := 0; k < 300; k++ {
		from, to := bound(), bound()
		if from == nil && to == nil {
			continue
		}
		if from != nil && to != nil && !from.Before(*to) {
			from, to = to, from
			if !from.Before(*to) {
				continue
			}
		}
		var want []string
		for i, d := range dates {
			if d != nil && (from == nil || !d.Before(*from)) && (to == nil || d.Before(*to)) {
				want = append(want, arts[i].ID)
			}
		}
		var got []string
		err := x.Scan(context.Background(), store.Query{From: from, To: to}, func(a *article.Article) error {
			got = append(got, a.ID)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		sort.Strings(want)
		sort.Strings(got)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("from %v to %v: %d articles, want %d", from, to, len(got), len(want))
		}
	}
}

func TestCalendarCover(t *testing.T) {
	d := func(s string) *time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return &v
	}
	for _, tc := range []struct {
		from, to *time.Time
		want     string
	}{
		{d("2025-02-21T00:00:00Z"), d("2025-02-22T00:00:00Z"), "d2025-02-21 |"},
		{d("2025-02-21T10:00:00Z"), d("2025-02-21T11:00:00Z"), "| d2025-02-21"},
		{d("2025-02-21T10:00:00Z"), d("2025-02-23T11:00:00Z"), "d2025-02-22 | d2025-02-21 d2025-02-23"},
		{d("2024-12-30T00:00:00Z"), d("2026-02-02T00:00:00Z"), "d2024-12-30 d2024-12-31 y2025 m2026-01 d2026-02-01 |"},
		{d("2025-02-01T00:00:00Z"), d("2025-04-01T00:00:00Z"), "m2025-02 m2025-03 |"},
		{nil, d("2025-03-02T12:00:00Z"), "[y0000,y2025) m2025-01 m2025-02 d2025-03-01 | d2025-03-02"},
		{d("2023-11-30T23:59:59.5Z"), nil, "m2023-12 [y2024,y9999] |"}, // rounds up to midnight
		{d("2023-11-30T22:00:00.5Z"), nil, "m2023-12 [y2024,y9999] | d2023-11-30"},
		{d("0001-01-01T00:00:00Z"), nil, "[y0001,y9999] |"},
	} {
		inner, cut := newPublishedIn(tc.from, tc.to).cover()
		var parts []string
		for _, q := range inner {
			switch q := q.(type) {
			case *bq.TermQuery:
				parts = append(parts, q.Term)
			case *bq.TermRangeQuery:
				end := ")"
				if *q.InclusiveMax {
					end = "]"
				}
				parts = append(parts, "["+q.Min+","+q.Max+end)
			default:
				t.Fatalf("cover gives a %T", q)
			}
		}
		got := strings.TrimSpace(strings.Join(parts, " ") + " | " + strings.Join(cut, " "))
		if got != tc.want {
			t.Errorf("cover(%v, %v) = %q, want %q", tc.from, tc.to, got, tc.want)
		}
	}
}
