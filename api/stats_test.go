package api

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/store"
)

// timelineOf fetches a timeline.
func (e *env) timelineOf(t *testing.T, params url.Values) timelineResult {
	t.Helper()
	resp, body := e.get(t, "GET", "/v1/stats/timeline?"+params.Encode(), "")
	if resp.StatusCode != 200 {
		t.Fatalf("timeline %s: %d %s", params.Encode(), resp.StatusCode, body)
	}
	var r timelineResult
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestTimelineSumsToSearchTotal: for every query, filter, zone, interval
// and split, the buckets (plus missing, which the stores leave at 0 for
// any date they index) add up to the search total; each bucket starts
// where store.BucketStart says, in the request's zone; split counts add
// up to their bucket.
func TestTimelineSumsToSearchTotal(t *testing.T) {
	// 1,500 articles, one every 9 hours: about 18 months, across the
	// daylight saving changes of the zones below.
	e := newCorpusEnv(t, Config{Location: time.UTC}, corpus(t, 1500, 9*time.Hour))
	zones := []string{"", "UTC", "Asia/Baku", "America/New_York", "Europe/London", "Asia/Kathmandu", "Australia/Lord_Howe",
		"America/St_Johns", "Pacific/Chatham", "Pacific/Kiritimati", "-09:30", "+05:45"}
	queries := []url.Values{
		{},
		{"q": {"Bakı"}},
		{"q": {"neft OR qaz OR нефть OR oil"}},
		{"q": {`"Azərbaycan Respublikası"`}},
		{"lang": {"ru"}},
		{"outlet": {"caliber,report"}, "q": {"-Bakı"}},
		{"from": {"2024-11-03"}, "to": {"2025-03-30"}},
		{"q": {"nonexistentword"}},
	}
	n := 0
	for _, q := range queries {
		for _, tz := range zones {
			p := url.Values{}
			for k, v := range q {
				p[k] = v
			}
			if tz != "" {
				p.Set("tz", tz)
			}
			total := e.search(t, url.Values(mergeParams(p, url.Values{"size": {"0"}}))).Total
			loc, err := newServerFor(t).location(p)
			if err != nil {
				t.Fatal(err)
			}
			if tz == "" {
				loc = time.UTC
			}
			for _, interval := range store.Intervals {
				for _, split := range []string{"", "outlet", "lang"} {
					tp := mergeParams(p, url.Values{"interval": {interval}})
					if split != "" {
						tp.Set("split", split)
					}
					r := e.timelineOf(t, tp)
					n++
					var sum int64
					for i, b := range r.Buckets {
						sum += b.Count
						if want := store.BucketStart(b.Start, interval, loc); !want.Equal(b.Start) {
							t.Errorf("%s: bucket %d starts %s, the %s holding it starts %s", tp.Encode(), i, b.Start, interval, want)
						}
						_, off := b.Start.Zone()
						if _, local := b.Start.In(loc).Zone(); off != local && !(local%60 != 0 && off == 0) {
							t.Errorf("%s: bucket %d start %s is not in %s", tp.Encode(), i, b.Start, loc)
						}
						if i > 0 && !r.Buckets[i-1].Start.Before(b.Start) {
							t.Errorf("%s: buckets out of order at %d", tp.Encode(), i)
						}
						if split != "" {
							var s int64
							for _, c := range b.Split {
								s += c
							}
							if s != b.Count {
								t.Errorf("%s: bucket %d split sums to %d, count %d", tp.Encode(), i, s, b.Count)
							}
						}
					}
					if sum+r.Missing != total || r.Total != total || r.Missing != 0 {
						t.Errorf("%s: buckets %d + missing %d, total %d; search total %d", tp.Encode(), sum, r.Missing, r.Total, total)
					}
				}
			}
		}
	}
	t.Logf("%d timelines, each summing to its search total", n)
}

func mergeParams(a, b url.Values) url.Values {
	out := url.Values{}
	for k, v := range a {
		out[k] = slices.Clone(v)
	}
	for k, v := range b {
		out[k] = slices.Clone(v)
	}
	return out
}

// TestTimelineDays: day buckets in Baku and in New York hold the articles
// people there date to that day, counted by hand.
func TestTimelineDays(t *testing.T) {
	arts := corpus(t, 400, 5*time.Hour)
	e := newCorpusEnv(t, Config{}, arts)
	for _, tz := range []string{"Asia/Baku", "America/New_York"} {
		loc, _ := time.LoadLocation(tz)
		want := map[string]int64{}
		for _, a := range arts {
			d := a.FetchedAt
			if a.PublishedAt != nil {
				d = *a.PublishedAt
			}
			want[d.In(loc).Format(time.DateOnly)]++
		}
		r := e.timelineOf(t, url.Values{"tz": {tz}, "interval": {"day"}})
		if len(r.Buckets) != len(want) {
			t.Errorf("%s: %d day buckets, the articles fall on %d days", tz, len(r.Buckets), len(want))
		}
		for _, b := range r.Buckets {
			st := b.Start.In(loc)
			if st.Hour() != 0 || st.Minute() != 0 {
				t.Errorf("%s: day bucket starts at %s, not local midnight", tz, st)
			}
			if day := st.Format(time.DateOnly); b.Count != want[day] {
				t.Errorf("%s: %s has %d articles, counted by hand %d", tz, day, b.Count, want[day])
			}
		}
		if r.TimeZone != tz {
			t.Errorf("time_zone %q, want %q", r.TimeZone, tz)
		}
	}
}

// TestTop: the most frequent facet values, counted by hand.
func TestTop(t *testing.T) {
	arts := corpus(t, 300, 3*time.Hour)
	e := newCorpusEnv(t, Config{}, arts)
	resp, body := e.get(t, "GET", "/v1/stats/top?size=100", "")
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	var r topResult
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatal(err)
	}
	if r.Total != int64(len(arts)) {
		t.Errorf("total %d, want %d", r.Total, len(arts))
	}
	count := func(get func(*article.Article) []string) (map[string]int64, int64) {
		m := map[string]int64{}
		var missing int64
		for _, a := range arts {
			vs := get(a)
			if len(vs) == 0 {
				missing++
			}
			for _, v := range vs {
				m[v]++
			}
		}
		return m, missing
	}
	one := func(s string) []string {
		if s == "" {
			return nil
		}
		return []string{s}
	}
	for facet, get := range map[string]func(*article.Article) []string{
		"outlet":  func(a *article.Article) []string { return one(a.Outlet) },
		"lang":    func(a *article.Article) []string { return one(a.Language) },
		"section": func(a *article.Article) []string { return one(a.Section) },
		"author":  func(a *article.Article) []string { return a.Authors },
	} {
		want, missing := count(get)
		got := r.Top[facet]
		if got == nil {
			t.Fatalf("no %s counts: %s", facet, body)
		}
		if got.Missing != missing {
			t.Errorf("%s: missing %d, want %d", facet, got.Missing, missing)
		}
		var listed int64
		for i, vc := range got.Values {
			listed += vc.Count
			if want[vc.Value] != vc.Count {
				t.Errorf("%s %q: %d, counted by hand %d", facet, vc.Value, vc.Count, want[vc.Value])
			}
			if i > 0 && vc.Count > got.Values[i-1].Count {
				t.Errorf("%s: not most frequent first at %d", facet, i)
			}
		}
		var all int64
		for _, c := range want {
			all += c
		}
		if listed+got.Other != all {
			t.Errorf("%s: listed %d + other %d, want %d", facet, listed, got.Other, all)
		}
	}
	// One facet, two values, with a query.
	resp, body = e.get(t, "GET", "/v1/stats/top?facet=lang&size=2&q="+url.QueryEscape("Bakı"), "")
	r = topResult{}
	if err := json.Unmarshal(body, &r); resp.StatusCode != 200 || err != nil || len(r.Top) != 1 || len(r.Top["lang"].Values) > 2 {
		t.Errorf("facet=lang&size=2: %d %s", resp.StatusCode, body)
	}
	if r.Total != e.search(t, url.Values{"q": {"Bakı"}, "size": {"0"}}).Total {
		t.Errorf("top total %d is not the search total", r.Total)
	}
	if !strings.Contains(string(body), `"lang"`) {
		t.Errorf("no lang: %s", body)
	}
}
