package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/store"
)

// parseSearch reads a search: the filters, sort, size, cursor and
// highlight, and the article fields asked for (nil: all).
func (s *Server) parseSearch(v url.Values) (store.Query, []string, error) {
	q, _, err := s.parseFilters(v)
	if err != nil {
		return q, nil, err
	}
	if q.Sort, err = oneOfParam(v, "sort", "", []string{store.SortRelevance, store.SortNewest, store.SortOldest}); err != nil {
		return q, nil, err
	}
	if q.Size, err = intParam(v, "size", s.cfg.DefaultSize, 0, store.MaxSize); err != nil {
		return q, nil, err
	}
	q.Cursor = v.Get("cursor")
	hl, err := oneOfParam(v, "highlight", "true", []string{"true", "false"})
	if err != nil {
		return q, nil, err
	}
	q.NoHighlights = hl == "false"
	var fields []string
	if _, given := v["fields"]; given {
		fields = splitList(v["fields"])
		if len(fields) == 0 {
			return q, nil, badf("fields is empty: name the article fields to return (%s)", strings.Join(articleFields(), ", "))
		}
		known := map[string]bool{}
		for _, f := range articleFields() {
			known[f] = true
		}
		for _, f := range fields {
			if !known[f] {
				return q, nil, badf("fields: %s is not an article field; want some of %s", store.Echo(f), strings.Join(articleFields(), ", "))
			}
		}
	}
	return q, fields, nil
}

// articleFields are the JSON names of the Article v1 fields, in order:
// what fields= may choose from.
var articleFields = sync.OnceValue(func() []string {
	t := reflect.TypeFor[article.Article]()
	out := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
})

// partialHit is a hit whose article holds only the fields asked for.
type partialHit struct {
	ID         string                     `json:"id"`
	Score      float64                    `json:"score"`
	Article    map[string]json.RawMessage `json:"article"`
	Highlights map[string][]string        `json:"highlights,omitempty"`
}

type partialResult struct {
	Total      int64        `json:"total"`
	Hits       []partialHit `json:"hits"`
	NextCursor string       `json:"next_cursor,omitempty"`
}

// project keeps the fields of a's JSON that are asked for (and that a
// has: fields an article lacks stay absent).
func project(a *article.Article, fields []string) (map[string]json.RawMessage, error) {
	b, err := json.Marshal(a)
	if err != nil {
		return nil, err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return nil, err
	}
	out := make(map[string]json.RawMessage, len(fields))
	for _, f := range fields {
		if v, ok := all[f]; ok {
			out[f] = v
		}
	}
	return out, nil
}

func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	q, fields, err := s.parseSearch(r.URL.Query())
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
	if fields == nil {
		writeJSON(w, http.StatusOK, res)
		return
	}
	out := partialResult{Total: res.Total, NextCursor: res.NextCursor, Hits: make([]partialHit, len(res.Hits))}
	for i, h := range res.Hits {
		art, err := project(&h.Article, fields)
		if err != nil {
			s.storeError(w, r, fmt.Errorf("encode article %s: %w", h.ID, err))
			return
		}
		out.Hits[i] = partialHit{ID: h.ID, Score: h.Score, Article: art, Highlights: h.Highlights}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) article(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !article.ValidID(id) {
		writeError(w, http.StatusBadRequest, CodeBadRequest, fmt.Sprintf("article id %s: want %d lower-case hex characters", store.Echo(id), article.IDLen))
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
