package api

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/newswatch/newswatch/store"
)

// timelineResult is the answer of /v1/stats/timeline: the store's date
// histogram with the query's total. The bucket counts plus missing equal
// total, which is the search total of the same query.
type timelineResult struct {
	Total     int64          `json:"total"`
	Interval  string         `json:"interval"`
	TimeZone  string         `json:"time_zone"`
	Buckets   []store.Bucket `json:"buckets"`
	Missing   int64          `json:"missing"`
	SplitKeys []string       `json:"split_keys,omitempty"`
}

// topResult is the answer of /v1/stats/top.
type topResult struct {
	Total int64                       `json:"total"`
	Top   map[string]*store.TopResult `json:"top"`
}

// timeline counts a query's articles per hour, day, week or month in the
// request's time zone, optionally split by outlet or language.
func (s *Server) timeline(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	q, loc, err := s.parseFilters(v)
	if err != nil {
		writeError(w, http.StatusBadRequest, CodeBadRequest, err.Error())
		return
	}
	h := &store.Histogram{Location: loc}
	if h.Interval, err = oneOfParam(v, "interval", store.IntervalDay, store.Intervals); err == nil {
		if h.Split, err = oneOfParam(v, "split", "", store.SplitFacets); err == nil {
			h.SplitSize, err = intParam(v, "split_size", store.DefaultTopSize, 1, store.MaxTopSize)
		}
	}
	if err == nil && h.Split == "" && v.Get("split_size") != "" {
		err = badf("split_size needs split (outlet or lang)")
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, CodeBadRequest, err.Error())
		return
	}
	res, ok := s.aggregate(w, r, q, store.Aggregations{Histogram: h})
	if !ok {
		return
	}
	out := timelineResult{Total: res.Total, Interval: h.Interval, TimeZone: loc.String(), Buckets: []store.Bucket{}}
	if hr := res.Histogram; hr != nil {
		out.TimeZone, out.Missing, out.SplitKeys = hr.TimeZone, hr.Missing, hr.SplitKeys
		if hr.Buckets != nil {
			out.Buckets = hr.Buckets
		}
	}
	// Bucket starts in the request's zone, so that a client reads the
	// local day or hour off them - unless the zone's offset then had
	// seconds (local mean time before about 1900: Baku was +03:19:24),
	// which RFC 3339 cannot write: then in UTC, the instant exact.
	for i := range out.Buckets {
		st := out.Buckets[i].Start.In(loc)
		if _, off := st.Zone(); off%60 != 0 {
			st = st.UTC()
		}
		out.Buckets[i].Start = st
	}
	writeJSON(w, http.StatusOK, out)
}

// top counts the most frequent outlets, languages, sections and authors
// of a query's articles.
func (s *Server) top(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	q, _, err := s.parseFilters(v)
	if err != nil {
		writeError(w, http.StatusBadRequest, CodeBadRequest, err.Error())
		return
	}
	a := store.Aggregations{Top: splitList(v["facet"])}
	if len(a.Top) == 0 {
		a.Top = store.Facets
	}
	seen := map[string]bool{}
	for _, f := range a.Top {
		switch {
		case !slices.Contains(store.Facets, f):
			err = badf("facet %s: want some of %s", store.Echo(f), strings.Join(store.Facets, ", "))
		case seen[f]:
			err = badf("facet %s is given twice", store.Echo(f))
		}
		if err != nil {
			break
		}
		seen[f] = true
	}
	if err == nil {
		a.TopSize, err = intParam(v, "size", store.DefaultTopSize, 1, store.MaxTopSize)
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, CodeBadRequest, err.Error())
		return
	}
	res, ok := s.aggregate(w, r, q, a)
	if !ok {
		return
	}
	out := topResult{Total: res.Total, Top: res.Top}
	for _, f := range a.Top {
		if t := out.Top[f]; t != nil && t.Values == nil {
			t.Values = []store.ValueCount{}
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// aggregate runs an aggregation within the request timeout, answering the
// store's errors itself; ok is false when it did.
func (s *Server) aggregate(w http.ResponseWriter, r *http.Request, q store.Query, a store.Aggregations) (*store.AggregationResult, bool) {
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
	defer cancel()
	res, err := s.st.Aggregate(ctx, q, a)
	if err != nil {
		s.storeError(w, r, err)
		return nil, false
	}
	return res, true
}
