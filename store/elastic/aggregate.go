package elastic

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/newswatch/newswatch/store"
)

// facetField is the keyword field holding a facet's values as the articles
// spell them.
func facetField(facet string) string {
	switch facet {
	case store.FacetOutlet:
		return fOutlet
	case store.FacetLang:
		return fLang
	case store.FacetSection:
		return fSection
	case store.FacetAuthor:
		return fAuthors
	case store.FacetStory:
		return fStory
	}
	return ""
}

// calendarInterval is the engine's calendar_interval of a store interval.
var calendarInterval = map[string]string{
	store.IntervalHour:  "1h",
	store.IntervalDay:   "1d",
	store.IntervalWeek:  "1w",
	store.IntervalMonth: "1M",
}

// compositePage is how many buckets one composite aggregation page holds.
const compositePage = 2000

// Aggregate counts the articles q matches (see store.Store). Counts are
// exact on any number of shards: histogram buckets (split or not) and facet
// values are read with paged composite aggregations, not with top-N terms
// aggregations, and the top values and split keys are chosen here by the
// same rule as every backend (most frequent, ties: smaller value first).
func (s *Store) Aggregate(ctx context.Context, q store.Query, a store.Aggregations) (*store.AggregationResult, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	if err := a.Validate(); err != nil {
		return nil, err
	}
	q.Sort, q.Size, q.Cursor = "", 0, ""
	full, _, err := searchQuery(q)
	if err != nil {
		return nil, err
	}
	// Total and the facets' missing counts in one request.
	body := dsl{"query": full, "size": 0, "track_total_hits": true}
	if len(a.Top) > 0 {
		aggs := dsl{}
		for _, f := range a.Top {
			aggs["missing_"+f] = dsl{"missing": dsl{"field": facetField(f)}}
		}
		body["aggs"] = aggs
	}
	ans, err := s.search(ctx, body)
	if err != nil {
		return nil, err
	}
	out := &store.AggregationResult{Total: ans.Hits.Total.Value}
	var missing map[string]struct {
		DocCount int64 `json:"doc_count"`
	}
	if len(a.Top) > 0 {
		if err := json.Unmarshal(ans.Aggregations, &missing); err != nil {
			return nil, fmt.Errorf("elastic: aggregation answer: %w", err)
		}
		out.Top = map[string]*store.TopResult{}
		for _, f := range a.Top {
			counts := map[string]int64{}
			err := s.composite(ctx, full, []dsl{{"v": dsl{"terms": dsl{"field": facetField(f)}}}}, func(key map[string]json.RawMessage, n int64) error {
				var v string
				if err := json.Unmarshal(key["v"], &v); err != nil {
					return err
				}
				counts[v] += n
				return nil
			})
			if err != nil {
				return nil, err
			}
			values, other := store.TopN(counts, store.TopSizeOr(a.TopSize))
			out.Top[f] = &store.TopResult{Values: values, Other: other, Missing: missing["missing_"+f].DocCount}
		}
	}
	if a.Histogram != nil {
		if out.Histogram, err = s.histogram(ctx, full, a.Histogram, out.Total); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// zoneName is the engine's time_zone for loc: its IANA name, or for a zone
// without one (time.FixedZone) its offset.
func zoneName(loc *time.Location) string {
	if l, err := time.LoadLocation(loc.String()); err == nil && l.String() == loc.String() && loc.String() != "Local" {
		return loc.String()
	}
	_, off := time.Now().In(loc).Zone()
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("%c%02d:%02d", sign, off/3600, off%3600/60)
}

func (s *Store) histogram(ctx context.Context, full dsl, h *store.Histogram, total int64) (*store.HistogramResult, error) {
	loc := h.Location
	if loc == nil {
		loc = time.UTC
	}
	sources := []dsl{{"d": dsl{"date_histogram": dsl{
		"field": fSortDate, "calendar_interval": calendarInterval[h.Interval], "time_zone": zoneName(loc),
	}}}}
	if h.Split != "" {
		sources = append(sources, dsl{"v": dsl{"terms": dsl{"field": facetField(h.Split), "missing_bucket": true}}})
	}
	type bucketAcc struct {
		count int64
		split map[string]int64 // "" key: no value
	}
	buckets := map[int64]*bucketAcc{}
	totals := map[string]int64{}
	err := s.composite(ctx, full, sources, func(key map[string]json.RawMessage, n int64) error {
		var ms int64
		if err := json.Unmarshal(key["d"], &ms); err != nil {
			return fmt.Errorf("bucket key: %w", err)
		}
		// The bucket as store.BucketStart defines it, holding the
		// engine's bucket start.
		start := store.BucketStart(time.UnixMilli(ms), h.Interval, loc).UnixMilli()
		b := buckets[start]
		if b == nil {
			if len(buckets) == store.MaxBuckets {
				return fmt.Errorf("%w: the %s histogram has more than %d buckets: narrow from/to or choose a coarser interval",
					store.ErrBadQuery, h.Interval, store.MaxBuckets)
			}
			b = &bucketAcc{}
			buckets[start] = b
		}
		b.count += n
		if h.Split != "" {
			var v *string
			if err := json.Unmarshal(key["v"], &v); err != nil {
				return fmt.Errorf("bucket key: %w", err)
			}
			if b.split == nil {
				b.split = map[string]int64{}
			}
			k := ""
			if v != nil {
				k = *v
				totals[k] += n
			}
			b.split[k] += n
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	hr := &store.HistogramResult{Interval: h.Interval, TimeZone: loc.String(), Buckets: make([]store.Bucket, 0, len(buckets))}
	kept := map[string]bool{}
	if h.Split != "" {
		top, _ := store.TopN(totals, store.TopSizeOr(h.SplitSize))
		for _, vc := range top {
			kept[vc.Value] = true
			hr.SplitKeys = append(hr.SplitKeys, vc.Value)
		}
	}
	starts := make([]int64, 0, len(buckets))
	for st := range buckets {
		starts = append(starts, st)
	}
	sort.Slice(starts, func(i, j int) bool { return starts[i] < starts[j] })
	var sum int64
	other, none := false, false
	for _, st := range starts {
		b := buckets[st]
		sum += b.count
		bk := store.Bucket{Start: time.UnixMilli(st).In(loc), Count: b.count}
		if h.Split != "" {
			bk.Split = map[string]int64{}
			for v, n := range b.split {
				switch {
				case v == "":
					bk.Split[store.NoneKey] += n
					none = true
				case kept[v]:
					bk.Split[v] += n
				default:
					bk.Split[store.OtherKey] += n
					other = true
				}
			}
		}
		hr.Buckets = append(hr.Buckets, bk)
	}
	if other {
		hr.SplitKeys = append(hr.SplitKeys, store.OtherKey)
	}
	if none {
		hr.SplitKeys = append(hr.SplitKeys, store.NoneKey)
	}
	hr.Missing = total - sum // articles without a sort date (none are written so)
	return hr, nil
}

// composite pages through a composite aggregation of the sources over the
// articles full matches and calls visit with each bucket's key and count.
func (s *Store) composite(ctx context.Context, full dsl, sources []dsl, visit func(key map[string]json.RawMessage, n int64) error) error {
	var after map[string]json.RawMessage
	for {
		comp := dsl{"size": compositePage, "sources": sources}
		if after != nil {
			comp["after"] = after
		}
		body := dsl{"query": full, "size": 0, "track_total_hits": false, "aggs": dsl{"c": dsl{"composite": comp}}}
		rd, err := jsonBody(body)
		if err != nil {
			return err
		}
		out, err := s.do(ctx, "aggregate", esapi.SearchRequest{Index: []string{readAlias(s.cfg)}, Body: rd})
		if err != nil {
			return searchError(err)
		}
		var ans struct {
			Aggregations struct {
				C struct {
					AfterKey map[string]json.RawMessage `json:"after_key"`
					Buckets  []struct {
						Key      map[string]json.RawMessage `json:"key"`
						DocCount int64                      `json:"doc_count"`
					} `json:"buckets"`
				} `json:"c"`
			} `json:"aggregations"`
		}
		if err := json.Unmarshal(out, &ans); err != nil {
			return fmt.Errorf("elastic: aggregation answer: %w", err)
		}
		c := ans.Aggregations.C
		for _, b := range c.Buckets {
			if err := visit(b.Key, b.DocCount); err != nil {
				return err
			}
		}
		if len(c.Buckets) < compositePage || c.AfterKey == nil {
			return nil
		}
		after = c.AfterKey
	}
}

