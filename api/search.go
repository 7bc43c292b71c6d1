package api

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/newswatch/newswatch/store"
)

// searchParams are the query parameters of /v1/search; list parameters
// may repeat and may hold comma-separated values.
var searchParams = map[string]bool{
	"q": false, "sort": false, "size": false, "cursor": false, "from": false, "to": false,
	"outlet": true, "lang": true, "section": true, "author": true,
}

// badRequest is a caller error found while reading parameters.
type badRequest struct{ msg string }

func (e *badRequest) Error() string { return e.msg }

func badf(format string, a ...any) error { return &badRequest{fmt.Sprintf(format, a...)} }

// parseSearch reads a store.Query from URL parameters.
func (s *Server) parseSearch(v url.Values) (store.Query, error) {
	var q store.Query
	var unknown []string
	for k, vals := range v {
		list, known := searchParams[k]
		if !known {
			unknown = append(unknown, k)
			continue
		}
		if !list && len(vals) > 1 {
			return q, badf("parameter %q is given %d times; give it once", k, len(vals))
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		names := make([]string, 0, len(searchParams))
		for k := range searchParams {
			names = append(names, k)
		}
		sort.Strings(names)
		return q, badf("unknown parameter %s; known: %s", strings.Join(unknown, ", "), strings.Join(names, ", "))
	}
	q.Text = v.Get("q")
	q.Outlets = splitList(v["outlet"])
	q.Langs = splitList(v["lang"])
	q.Sections = splitList(v["section"])
	q.Authors = splitList(v["author"])
	switch srt := v.Get("sort"); srt {
	case "", store.SortRelevance, store.SortNewest, store.SortOldest:
		q.Sort = srt
	default:
		return q, badf("sort %q: want %s, %s or %s", srt, store.SortRelevance, store.SortNewest, store.SortOldest)
	}
	q.Size = s.cfg.DefaultSize
	if sz := v.Get("size"); sz != "" {
		n, err := strconv.Atoi(sz)
		if err != nil || n < 0 || n > store.MaxSize {
			return q, badf("size %q: want a whole number from 0 to %d", sz, store.MaxSize)
		}
		q.Size = n
	}
	q.Cursor = v.Get("cursor")
	var err error
	if q.From, err = s.parseTime("from", v.Get("from"), false); err != nil {
		return q, err
	}
	if q.To, err = s.parseTime("to", v.Get("to"), true); err != nil {
		return q, err
	}
	if q.From != nil && q.To != nil && !q.From.Before(*q.To) {
		return q, badf("from %s is not before to %s", v.Get("from"), v.Get("to"))
	}
	return q, nil
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

// parseTime reads an RFC 3339 time or a date. A date means the start of
// that day in the configured location; for "to" (exclusive) it means the
// end of that day, so from=2025-02-21&to=2025-02-21 is the whole day.
func (s *Server) parseTime(name, v string, endOfDay bool) (*time.Time, error) {
	if v == "" {
		return nil, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return &t, nil
	}
	if t, err := time.ParseInLocation(time.DateOnly, v, s.cfg.Location); err == nil {
		if endOfDay {
			t = t.AddDate(0, 0, 1)
		}
		return &t, nil
	}
	return nil, badf("%s %q: want a date (2025-02-21) or an RFC 3339 time (2025-02-21T18:17:00+04:00)", name, v)
}

func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	q, err := s.parseSearch(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, CodeBadRequest, err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
	defer cancel()
	res, err := s.st.Search(ctx, q)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	if res.Hits == nil {
		res.Hits = []store.Hit{}
	}
	writeJSON(w, http.StatusOK, res)
}

var idPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

func (s *Server) article(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !idPattern.MatchString(id) {
		writeError(w, http.StatusBadRequest, CodeBadRequest, fmt.Sprintf("article id %q: want 32 lower-case hex characters", id))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
	defer cancel()
	rec, err := s.st.Get(ctx, id)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	if rec.Versions == nil {
		rec.Versions = []store.Version{}
	}
	writeJSON(w, http.StatusOK, rec)
}
