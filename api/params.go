package api

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/newswatch/newswatch/store"
)

// paramSet names the query parameters a route takes; true marks list
// parameters, which may repeat and hold comma-separated values.
type paramSet map[string]bool

// with returns the union of p and more.
func (p paramSet) with(more paramSet) paramSet {
	out := make(paramSet, len(p)+len(more))
	for k, v := range p {
		out[k] = v
	}
	for k, v := range more {
		out[k] = v
	}
	return out
}

// filterParams choose articles: every route that reads a result set
// (search, counts, export) takes them.
var filterParams = paramSet{
	"q": false, "outlet": true, "lang": true, "section": true, "author": true, "from": false, "to": false, "tz": false,
}

// The parameters of each route that takes any.
var (
	searchParams   = filterParams.with(paramSet{"sort": false, "size": false, "cursor": false, "fields": true, "highlight": false})
	timelineParams = filterParams.with(paramSet{"interval": false, "split": false, "split_size": false})
	topParams      = filterParams.with(paramSet{"facet": true, "size": false})
	exportParams   = filterParams.with(paramSet{"format": false})
)

// badRequest is a caller error found while reading parameters.
type badRequest struct{ msg string }

func (e *badRequest) Error() string { return e.msg }

func badf(format string, a ...any) error { return &badRequest{fmt.Sprintf(format, a...)} }

// checkParams refuses parameters the route does not take and single-value
// parameters given more than once.
func checkParams(v url.Values, known paramSet) error {
	echo := store.Echo
	var unknown []string
	for k, vals := range v {
		list, ok := known[k]
		if !ok {
			unknown = append(unknown, k)
			continue
		}
		if !list && len(vals) > 1 {
			return badf("parameter %s is given %d times; give it once", echo(k), len(vals))
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	const show = 5
	more := ""
	if len(unknown) > show {
		more = fmt.Sprintf(" and %d more", len(unknown)-show)
		unknown = unknown[:show]
	}
	for i := range unknown {
		unknown[i] = echo(unknown[i])
	}
	names := make([]string, 0, len(known))
	for k := range known {
		names = append(names, k)
	}
	sort.Strings(names)
	if len(names) == 0 {
		return badf("unknown parameter %s%s; this route takes no parameters", strings.Join(unknown, ", "), more)
	}
	return badf("unknown parameter %s%s; known: %s", strings.Join(unknown, ", "), more, strings.Join(names, ", "))
}

// parseFilters reads the query text and filters (filterParams) and the
// time zone they were read in.
func (s *Server) parseFilters(v url.Values) (store.Query, *time.Location, error) {
	var q store.Query
	q.Text = v.Get("q")
	q.Outlets = splitList(v["outlet"])
	q.Langs = splitList(v["lang"])
	q.Sections = splitList(v["section"])
	q.Authors = splitList(v["author"])
	loc, err := s.location(v)
	if err != nil {
		return q, nil, err
	}
	q.From, q.To, err = dateRange(v, loc)
	return q, loc, err
}

// location reads the tz parameter: an IANA time zone (Asia/Baku, UTC) or
// a fixed offset (+04:00); without it, the deployment's (Config.Location).
func (s *Server) location(v url.Values) (*time.Location, error) {
	tz := v.Get("tz")
	if tz == "" {
		return s.cfg.Location, nil
	}
	if loc, ok := fixedZone(tz); ok {
		return loc, nil
	}
	if tz == "Local" || strings.HasPrefix(tz, "/") {
		return nil, badf("tz %s: want an IANA time zone (Asia/Baku, UTC) or an offset (+04:00)", store.Echo(tz))
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, badf("tz %s: want an IANA time zone (Asia/Baku, UTC) or an offset (+04:00)", store.Echo(tz))
	}
	return loc, nil
}

// fixedZone reads an offset from UTC: +04:00, -03:30, +0400.
func fixedZone(tz string) (*time.Location, bool) {
	t, err := time.Parse("-07:00", tz)
	if err != nil {
		if t, err = time.Parse("-0700", tz); err != nil {
			return nil, false
		}
	}
	_, off := t.Zone()
	return time.FixedZone(tz, off), true
}

// dateRange reads from and to: RFC 3339 times, or dates cut in loc (see
// store.ParseBound: from=2025-02-21&to=2025-02-21 is that whole day).
func dateRange(v url.Values, loc *time.Location) (from, to *time.Time, err error) {
	for _, b := range []struct {
		name  string
		upper bool
		dst   **time.Time
	}{{"from", false, &from}, {"to", true, &to}} {
		raw := v.Get(b.name)
		if raw == "" {
			continue
		}
		t, err := store.ParseBound(raw, loc, b.upper)
		if err != nil {
			return nil, nil, badf("%s %s: want a date (2025-02-21) or an RFC 3339 time (2025-02-21T18:17:00+04:00)", b.name, store.Echo(raw))
		}
		*b.dst = &t
	}
	if from != nil && to != nil && !from.Before(*to) {
		return nil, nil, badf("from %s is not before to %s", store.Echo(v.Get("from")), store.Echo(v.Get("to")))
	}
	return from, to, nil
}

func splitList(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// intParam reads an optional whole number in [lo, hi]; def when absent
// (given empty, it is a mistake like any other value that is not a
// number).
func intParam(v url.Values, name string, def, lo, hi int) (int, error) {
	if _, given := v[name]; !given {
		return def, nil
	}
	raw := v.Get(name)
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		return 0, badf("%s %s: want a whole number from %d to %d", name, store.Echo(raw), lo, hi)
	}
	return n, nil
}

// oneOfParam reads an optional parameter that takes one of values; def
// when absent (given empty, it names none of them).
func oneOfParam(v url.Values, name, def string, values []string) (string, error) {
	if _, given := v[name]; !given {
		return def, nil
	}
	raw := v.Get(name)
	for _, x := range values {
		if raw == x {
			return raw, nil
		}
	}
	return "", badf("%s %s: want one of %s", name, store.Echo(raw), strings.Join(values, ", "))
}
