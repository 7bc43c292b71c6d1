package store

import (
	"fmt"
	"sort"
	"time"
)

// Aggregations: counts over the articles a Query matches, for charts of
// coverage over time and lists of the most frequent outlets, languages,
// sections and authors. Every backend computes them exactly (no sampling,
// no approximate counts), so that a histogram sums to the search total.
//
// In Elasticsearch terms: Aggregate is a search with size 0 and
// track_total_hits, the query and filters of Search, a date_histogram on the
// article date with calendar_interval, time_zone and min_doc_count 1, and
// terms aggregations on keyword fields that keep the values as written.

// Histogram intervals. Buckets are calendar units in the histogram's time
// zone: an hour bucket starts when the local clock shows a whole hour, a
// day bucket at local midnight (23 or 25 hours long on days when daylight
// saving time starts or ends), a week bucket on Monday at local midnight
// (ISO 8601 weeks, as Elasticsearch's calendar_interval "week"), a month
// bucket at local midnight of its first day.
const (
	IntervalHour  = "hour"
	IntervalDay   = "day"
	IntervalWeek  = "week"
	IntervalMonth = "month"
)

// Intervals lists the histogram intervals, finest first.
var Intervals = []string{IntervalHour, IntervalDay, IntervalWeek, IntervalMonth}

// Facets: the article fields a histogram can be split by (outlet and
// language) and whose most frequent values Top counts (all four). Values
// are counted as the articles spell them (a section "Siyasət" is not
// "siyasət"); an article counts once for each of its authors.
const (
	FacetOutlet  = "outlet"
	FacetLang    = "lang"
	FacetSection = "section"
	FacetAuthor  = "author"
)

// Facets lists every facet name.
var Facets = []string{FacetOutlet, FacetLang, FacetSection, FacetAuthor}

// FacetStory counts the articles of each story (article.Article.StoryID;
// articles without one are Missing): the biggest stories of a query. Top
// accepts it besides Facets.
const FacetStory = "story"

// SplitFacets lists the facets a histogram may be split by.
var SplitFacets = []string{FacetOutlet, FacetLang}

// Keys of Bucket.Split besides the facet's values.
const (
	// OtherKey counts the articles whose value is not among the
	// histogram's SplitSize most frequent ones.
	OtherKey = "(other)"
	// NoneKey counts the articles that have no value (an article without
	// a language).
	NoneKey = "(none)"
)

// Limits of an aggregation request.
const (
	// DefaultTopSize is the number of values Top and a split keep when
	// the request leaves the size at 0.
	DefaultTopSize = 10
	// MaxTopSize is the largest TopSize and SplitSize.
	MaxTopSize = 100
	// MaxBuckets is the largest number of non-empty histogram buckets an
	// aggregation returns (hour buckets over five years fit); a histogram
	// that would have more is a bad query: narrow From/To or choose a
	// coarser interval.
	MaxBuckets = 50000
)

// Aggregations asks Aggregate what to count. The zero value counts only
// the total.
type Aggregations struct {
	// Histogram, when set, counts the matching articles per time bucket.
	Histogram *Histogram
	// Top names the facets (FacetOutlet, FacetLang, FacetSection,
	// FacetAuthor) whose most frequent values to count; each at most once.
	Top []string
	// TopSize is how many values each Top facet keeps: 0 means
	// DefaultTopSize, at most MaxTopSize.
	TopSize int
}

// Histogram asks for counts per time bucket.
//
// Each article counts once, in the bucket that holds its date: published_at,
// or fetched_at when it has none (the date the newest/oldest sorts use).
// An article whose date the backend cannot place counts in
// HistogramResult.Missing instead (Bleve indexes the years 1677 to 2262), so
// that the bucket counts plus Missing always equal the total.
type Histogram struct {
	// Interval is one of IntervalHour, IntervalDay, IntervalWeek,
	// IntervalMonth (required).
	Interval string
	// Location is the time zone the buckets are cut in. Default (nil): UTC.
	Location *time.Location
	// Split, when set (FacetOutlet or FacetLang), also counts each bucket's
	// articles per value of that facet: Bucket.Split.
	Split string
	// SplitSize is how many values of Split are counted by name: the
	// SplitSize most frequent over all buckets (ties: the smaller value
	// first); the rest count under OtherKey. 0 means DefaultTopSize, at
	// most MaxTopSize.
	SplitSize int
}

// AggregationResult holds the counts Aggregate computed.
type AggregationResult struct {
	// Total is the number of articles the query matches: the Total of a
	// Search with the same query.
	Total int64 `json:"total"`
	// Histogram is set when the request asked for one.
	Histogram *HistogramResult `json:"histogram,omitempty"`
	// Top holds one entry per facet the request named.
	Top map[string]*TopResult `json:"top,omitempty"`
}

// HistogramResult is a date histogram.
type HistogramResult struct {
	Interval string `json:"interval"`
	// TimeZone is the name of the histogram's Location ("UTC",
	// "Asia/Baku").
	TimeZone string `json:"time_zone"`
	// Buckets are the non-empty buckets, oldest first. A chart that wants
	// the empty ones too walks BucketStart/NextBucket over its period.
	Buckets []Bucket `json:"buckets"`
	// Missing counts the matching articles that are in no bucket (see
	// Histogram); the counts of Buckets plus Missing equal Total.
	Missing int64 `json:"missing"`
	// SplitKeys are the keys of every Bucket.Split, most frequent first
	// (ties: smaller value first), then OtherKey and NoneKey when some
	// bucket has them. Empty when the histogram is not split.
	SplitKeys []string `json:"split_keys,omitempty"`
}

// Bucket is one time bucket of a histogram.
type Bucket struct {
	// Start is when the bucket begins, in the histogram's Location; the
	// bucket ends where NextBucket(Start, ...) begins.
	Start time.Time `json:"start"`
	// Count is the number of articles dated in the bucket (at least 1).
	Count int64 `json:"count"`
	// Split counts the bucket's articles per value of the split facet
	// (only values with a count); the counts sum to Count.
	Split map[string]int64 `json:"split,omitempty"`
}

// TopResult is the most frequent values of one facet.
type TopResult struct {
	// Values are the most frequent values, most frequent first (ties: the
	// smaller value first), at most TopSize of them.
	Values []ValueCount `json:"values"`
	// Other counts the occurrences of the values not listed.
	Other int64 `json:"other"`
	// Missing counts the matching articles without a value. For a facet
	// with one value per article (outlet, language, section) the counts of
	// Values plus Other plus Missing equal Total.
	Missing int64 `json:"missing"`
}

// ValueCount is one facet value and how many matching articles have it.
type ValueCount struct {
	Value string `json:"value"`
	Count int64  `json:"count"`
}

// Validate reports a request that cannot be run; the errors wrap
// ErrBadQuery. Backends call it first.
func (a Aggregations) Validate() error {
	if a.TopSize < 0 || a.TopSize > MaxTopSize {
		return fmt.Errorf("%w: top size %d: want 0..%d", ErrBadQuery, a.TopSize, MaxTopSize)
	}
	seen := map[string]bool{}
	for _, f := range a.Top {
		if !oneOf(f, Facets) && f != FacetStory {
			return fmt.Errorf("%w: top %q: want one of %v", ErrBadQuery, f, Facets)
		}
		if seen[f] {
			return fmt.Errorf("%w: top %q asked for twice", ErrBadQuery, f)
		}
		seen[f] = true
	}
	if h := a.Histogram; h != nil {
		if !oneOf(h.Interval, Intervals) {
			return fmt.Errorf("%w: interval %q: want one of %v", ErrBadQuery, h.Interval, Intervals)
		}
		if h.Split != "" && !oneOf(h.Split, SplitFacets) {
			return fmt.Errorf("%w: split %q: want one of %v", ErrBadQuery, h.Split, SplitFacets)
		}
		if h.SplitSize < 0 || h.SplitSize > MaxTopSize {
			return fmt.Errorf("%w: split size %d: want 0..%d", ErrBadQuery, h.SplitSize, MaxTopSize)
		}
	}
	return nil
}

func oneOf(s string, list []string) bool {
	for _, x := range list {
		if s == x {
			return true
		}
	}
	return false
}

// TopSizeOr returns n, or DefaultTopSize when n is 0.
func TopSizeOr(n int) int {
	if n == 0 {
		return DefaultTopSize
	}
	return n
}

// BucketStart returns the start of the histogram bucket of the given
// interval that holds t, in loc (nil: UTC). It is the one definition of
// the buckets: backends, conformance tests and charts filling empty
// buckets all use it. It panics on an unknown interval (validate first).
func BucketStart(t time.Time, interval string, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	switch interval {
	case IntervalHour:
		// The last whole hour the local clock showed: subtracting the
		// local minutes and seconds keeps the two distinct hours of a
		// night when the clock goes back.
		return t.Add(-time.Duration(t.Minute())*time.Minute - time.Duration(t.Second())*time.Second - time.Duration(t.Nanosecond()))
	case IntervalDay:
		return midnight(t.Year(), t.Month(), t.Day(), loc)
	case IntervalWeek:
		back := (int(t.Weekday()) + 6) % 7 // days since Monday
		return midnight(t.Year(), t.Month(), t.Day()-back, loc)
	case IntervalMonth:
		return midnight(t.Year(), t.Month(), 1, loc)
	}
	panic(fmt.Sprintf("store: unknown histogram interval %q", interval))
}

// midnight is the first instant of the local day y-m-d (normalised as
// time.Date does): local midnight, or when the clock skips midnight
// (daylight saving time starting at 00:00) the instant it skips to.
func midnight(y int, m time.Month, d int, loc *time.Location) time.Time {
	s := time.Date(y, m, d, 0, 0, 0, 0, loc)
	// For a skipped midnight time.Date may answer with an instant of the
	// previous day: then the day starts at the first minute after it that
	// belongs to the day.
	if s.Day() != time.Date(y, m, d, 12, 0, 0, 0, loc).Day() {
		s = time.Date(y, m, d, 2, 0, 0, 0, loc)
		for s.Add(-time.Minute).Day() == s.Day() {
			s = s.Add(-time.Minute)
		}
	}
	return s
}

// NextBucket returns the start of the bucket after the one that starts at
// start (a BucketStart of the same interval and loc).
func NextBucket(start time.Time, interval string, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	start = start.In(loc)
	switch interval {
	case IntervalHour:
		// The next instant the local clock shows a whole hour, at most an
		// hour and a half away (a clock put back by half an hour).
		next := BucketStart(start.Add(time.Hour), interval, loc)
		if !next.After(start) {
			next = BucketStart(start.Add(90*time.Minute), interval, loc)
		}
		return next
	case IntervalDay:
		return BucketStart(time.Date(start.Year(), start.Month(), start.Day()+1, 12, 0, 0, 0, loc), interval, loc)
	case IntervalWeek:
		return BucketStart(time.Date(start.Year(), start.Month(), start.Day()+7, 12, 0, 0, 0, loc), interval, loc)
	case IntervalMonth:
		return BucketStart(time.Date(start.Year(), start.Month()+1, 1, 12, 0, 0, 0, loc), interval, loc)
	}
	panic(fmt.Sprintf("store: unknown histogram interval %q", interval))
}

// ParseBound reads a from/to filter value given by a person: an RFC 3339
// time (2025-02-21T18:17:00+04:00), or a date (2025-02-21) meaning the
// start of that day in loc (nil: UTC) - for an upper bound (exclusive, like
// Query.To) the start of the next day, so that from=2025-02-21 and
// to=2025-02-21 select that whole day as people in loc count it. Every
// reader of dates from users (API parameters, the export command) uses it.
func ParseBound(v string, loc *time.Location, upper bool) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	d, err := time.Parse(time.DateOnly, v) // only its year, month and day count
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %q: want a date (2025-02-21) or an RFC 3339 time (2025-02-21T18:17:00+04:00)", ErrBadQuery, v)
	}
	if upper {
		d = time.Date(d.Year(), d.Month(), d.Day()+1, 12, 0, 0, 0, loc)
	} else {
		d = time.Date(d.Year(), d.Month(), d.Day(), 12, 0, 0, 0, loc)
	}
	return BucketStart(d, IntervalDay, loc), nil
}

// TopN returns the n most frequent values (ties: smaller value first) and
// the sum of the other counts: the top values of an aggregation, as every
// backend reports them.
func TopN(counts map[string]int64, n int) ([]ValueCount, int64) {
	all := make([]ValueCount, 0, len(counts))
	for v, c := range counts {
		all = append(all, ValueCount{Value: v, Count: c})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].Count != all[j].Count {
			return all[i].Count > all[j].Count
		}
		return all[i].Value < all[j].Value
	})
	var other int64
	if len(all) > n {
		for _, vc := range all[n:] {
			other += vc.Count
		}
		all = all[:n]
	}
	return all, other
}
