package store

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestBucketStart(t *testing.T) {
	for _, tc := range []struct {
		zone, interval, at, want string
	}{
		{"UTC", IntervalHour, "2025-02-21T18:17:05Z", "2025-02-21T18:00:00Z"},
		{"Asia/Baku", IntervalHour, "2025-02-21T18:17:05Z", "2025-02-21T18:00:00Z"},
		{"Asia/Kathmandu", IntervalHour, "2025-02-21T18:17:00Z", "2025-02-21T18:15:00Z"}, // +05:45: 00:02 local
		{"Asia/Kolkata", IntervalHour, "2025-02-21T18:17:00Z", "2025-02-21T17:30:00Z"},   // +05:30: 23:47 local
		{"Asia/Baku", IntervalDay, "2025-02-20T21:00:00Z", "2025-02-20T20:00:00Z"},       // 01:00 on the 21st in Baku
		{"Asia/Baku", IntervalDay, "2025-02-20T19:59:59Z", "2025-02-19T20:00:00Z"},       // 23:59:59 on the 20th
		{"UTC", IntervalDay, "2025-02-20T21:00:00Z", "2025-02-20T00:00:00Z"},
		{"America/New_York", IntervalDay, "2025-02-21T03:00:00Z", "2025-02-20T05:00:00Z"},
		{"Asia/Baku", IntervalWeek, "2025-02-21T10:00:00Z", "2025-02-16T20:00:00Z"},  // Friday -> Monday 17th 00:00 +04
		{"Asia/Baku", IntervalWeek, "2025-02-16T20:00:00Z", "2025-02-16T20:00:00Z"},  // Monday 00:00 itself
		{"Asia/Baku", IntervalWeek, "2025-02-16T19:59:00Z", "2025-02-09T20:00:00Z"},  // Sunday 23:59
		{"UTC", IntervalWeek, "2025-03-02T23:00:00Z", "2025-02-24T00:00:00Z"},        // Sunday -> Monday before, across a month
		{"Asia/Baku", IntervalMonth, "2025-02-28T20:30:00Z", "2025-02-28T20:00:00Z"}, // 00:30 on 1 March
		{"Asia/Baku", IntervalMonth, "2025-02-21T10:00:00Z", "2025-01-31T20:00:00Z"},
		// New York leaves daylight saving time at 02:00 EDT on 2 November
		// 2025: the hour 01:00-02:00 happens twice, as two buckets.
		{"America/New_York", IntervalHour, "2025-11-02T05:30:00Z", "2025-11-02T05:00:00Z"}, // 01:30 EDT
		{"America/New_York", IntervalHour, "2025-11-02T06:30:00Z", "2025-11-02T06:00:00Z"}, // 01:30 EST
		{"America/New_York", IntervalDay, "2025-11-02T23:00:00Z", "2025-11-02T04:00:00Z"},
		// Sao Paulo skipped midnight on 4 November 2018 (00:00 -03 became
		// 01:00 -02): the day started at 01:00 local.
		{"America/Sao_Paulo", IntervalDay, "2018-11-04T15:00:00Z", "2018-11-04T03:00:00Z"},
		{"America/Sao_Paulo", IntervalDay, "2018-11-04T02:59:00Z", "2018-11-03T03:00:00Z"},
		{"America/Sao_Paulo", IntervalMonth, "2018-11-04T15:00:00Z", "2018-11-01T03:00:00Z"},
		{"Asia/Beirut", IntervalDay, "2020-03-29T10:00:00Z", "2020-03-28T22:00:00Z"}, // skipped midnight, the other way round in time.Date
	} {
		loc := zone(t, tc.zone)
		got := BucketStart(utc(tc.at), tc.interval, loc)
		if !got.Equal(utc(tc.want)) {
			t.Errorf("BucketStart(%s, %s, %s) = %s, want %s", tc.at, tc.interval, tc.zone, got.UTC().Format(time.RFC3339), tc.want)
		}
		if got.Location() != loc {
			t.Errorf("BucketStart(%s, %s, %s) is in %s", tc.at, tc.interval, tc.zone, got.Location())
		}
	}
}

func TestNextBucket(t *testing.T) {
	for _, tc := range []struct {
		zone, interval, start string
		length                time.Duration
	}{
		{"UTC", IntervalHour, "2025-02-21T18:00:00Z", time.Hour},
		{"America/New_York", IntervalDay, "2025-03-09T05:00:00Z", 23 * time.Hour}, // clocks forward
		{"America/New_York", IntervalDay, "2025-11-02T04:00:00Z", 25 * time.Hour}, // clocks back
		{"America/New_York", IntervalHour, "2025-11-02T05:00:00Z", time.Hour},     // first 01:00
		{"Asia/Baku", IntervalWeek, "2025-02-16T20:00:00Z", 7 * 24 * time.Hour},
		{"Asia/Baku", IntervalMonth, "2025-01-31T20:00:00Z", 28 * 24 * time.Hour},
		{"UTC", IntervalMonth, "2024-02-01T00:00:00Z", 29 * 24 * time.Hour},
		{"America/Sao_Paulo", IntervalDay, "2018-11-03T03:00:00Z", 24 * time.Hour},
		{"America/Sao_Paulo", IntervalDay, "2018-11-04T03:00:00Z", 23 * time.Hour},
	} {
		loc := zone(t, tc.zone)
		start := utc(tc.start)
		if BucketStart(start, tc.interval, loc) != start.In(loc) {
			t.Fatalf("%s is not a %s bucket start in %s", tc.start, tc.interval, tc.zone)
		}
		if got := NextBucket(start, tc.interval, loc).Sub(start); got != tc.length {
			t.Errorf("%s bucket at %s in %s lasts %s, want %s", tc.interval, tc.start, tc.zone, got, tc.length)
		}
	}
}

// TestBucketsTile: for random instants in zones with odd offsets and
// daylight saving time, the bucket of t holds t, starts at its own start,
// and the next bucket starts where it ends.
func TestBucketsTile(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	zones := []string{"UTC", "Asia/Baku", "America/New_York", "Europe/London", "Asia/Kathmandu", "Australia/Lord_Howe", "America/Sao_Paulo", "Asia/Beirut", "Pacific/Chatham"}
	lo, hi := utc("2010-01-01T00:00:00Z").Unix(), utc("2030-01-01T00:00:00Z").Unix()
	for i := 0; i < 20000; i++ {
		loc := zone(t, zones[i%len(zones)])
		interval := Intervals[r.IntN(len(Intervals))]
		at := time.Unix(lo+r.Int64N(hi-lo), r.Int64N(1e9))
		s := BucketStart(at, interval, loc)
		n := NextBucket(s, interval, loc)
		if s.After(at) || !n.After(at) {
			t.Fatalf("%s in %s: %s bucket [%s, %s) does not hold it", at.UTC(), loc, interval, s, n)
		}
		if again := BucketStart(s, interval, loc); !again.Equal(s) {
			t.Fatalf("%s in %s: bucket start %s has bucket start %s", at.UTC(), loc, s, again)
		}
		if BucketStart(n, interval, loc) != n || BucketStart(n.Add(-time.Nanosecond), interval, loc) != s {
			t.Fatalf("%s in %s: %s bucket [%s, %s) does not meet the next", at.UTC(), loc, interval, s, n)
		}
	}
}

func TestParseBound(t *testing.T) {
	baku := zone(t, "Asia/Baku")
	for _, tc := range []struct {
		v     string
		loc   *time.Location
		upper bool
		want  string
	}{
		{"2025-02-21", baku, false, "2025-02-20T20:00:00Z"},
		{"2025-02-21", baku, true, "2025-02-21T20:00:00Z"},
		{"2025-02-21", nil, false, "2025-02-21T00:00:00Z"},
		{"2025-02-21", nil, true, "2025-02-22T00:00:00Z"},
		{"2025-12-31", baku, true, "2025-12-31T20:00:00Z"},
		{"2025-02-21T18:17:00+04:00", nil, false, "2025-02-21T14:17:00Z"},
		{"2025-02-21T18:17:00Z", baku, true, "2025-02-21T18:17:00Z"},
		{"2018-11-04", zone(t, "America/Sao_Paulo"), false, "2018-11-04T03:00:00Z"},
	} {
		got, err := ParseBound(tc.v, tc.loc, tc.upper)
		if err != nil {
			t.Errorf("ParseBound(%q): %v", tc.v, err)
			continue
		}
		if !got.Equal(utc(tc.want)) {
			t.Errorf("ParseBound(%q, %v, upper %v) = %s, want %s", tc.v, tc.loc, tc.upper, got.UTC().Format(time.RFC3339), tc.want)
		}
	}
	for _, v := range []string{"", "yesterday", "2025-02-30", "2025-2-1", "21.02.2025", "2025-02-21T18:17"} {
		if _, err := ParseBound(v, baku, false); !errors.Is(err, ErrBadQuery) {
			t.Errorf("ParseBound(%q) = %v, want ErrBadQuery", v, err)
		}
	}
}

func TestAggregationsValidate(t *testing.T) {
	for _, a := range []Aggregations{
		{},
		{Top: Facets, TopSize: MaxTopSize},
		{Histogram: &Histogram{Interval: IntervalDay}},
		{Histogram: &Histogram{Interval: IntervalWeek, Split: FacetLang, SplitSize: 3, Location: time.UTC}},
	} {
		if err := a.Validate(); err != nil {
			t.Errorf("Validate(%+v) = %v", a, err)
		}
	}
	for _, a := range []Aggregations{
		{Top: []string{"colour"}},
		{Top: []string{FacetLang, FacetLang}},
		{TopSize: -1},
		{TopSize: MaxTopSize + 1},
		{Histogram: &Histogram{}},
		{Histogram: &Histogram{Interval: "fortnight"}},
		{Histogram: &Histogram{Interval: IntervalDay, Split: FacetSection}},
		{Histogram: &Histogram{Interval: IntervalDay, SplitSize: MaxTopSize + 1}},
	} {
		if err := a.Validate(); !errors.Is(err, ErrBadQuery) {
			t.Errorf("Validate(%+v) = %v, want ErrBadQuery", a, err)
		}
	}
}

func TestTopN(t *testing.T) {
	top, other := TopN(map[string]int64{"oxu": 5, "apa": 5, "report": 9, "trend": 1, "vesti": 2}, 3)
	want := []ValueCount{{Value: "report", Count: 9}, {Value: "apa", Count: 5}, {Value: "oxu", Count: 5}}
	if !reflect.DeepEqual(top, want) || other != 3 {
		t.Errorf("TopN: %v, other %d; want %v, other 3", top, other, want)
	}
	if top, other := TopN(map[string]int64{"a": 1}, 10); len(top) != 1 || other != 0 {
		t.Errorf("fewer values than n: %v, %d", top, other)
	}
}
