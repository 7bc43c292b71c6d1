package elastic

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/highlight"
	"github.com/newswatch/newswatch/store/words"
)

// sortOrder is the sort of a store sort name; every order ends with the
// article ID so that pages break ties the same way each time.
func sortOrder(name string) ([]dsl, error) {
	date := func(order string) dsl {
		return dsl{fSortDate: dsl{"order": order, "missing": "_last"}}
	}
	id := dsl{fID: dsl{"order": "asc"}}
	switch name {
	case store.SortRelevance:
		return []dsl{{"_score": dsl{"order": "desc"}}, date("desc"), id}, nil
	case store.SortNewest:
		return []dsl{date("desc"), id}, nil
	case store.SortOldest:
		return []dsl{date("asc"), id}, nil
	}
	return nil, fmt.Errorf("%w: sort %q: want %s, %s or %s", store.ErrBadQuery, name, store.SortRelevance, store.SortNewest, store.SortOldest)
}

// decodeCursor returns the search_after values of a store cursor: numbers
// (score, date in milliseconds), then the article ID.
func decodeCursor(s, sort, fp string, n int) ([]json.RawMessage, error) {
	after, err := store.DecodeCursor(s, sort, fp, n)
	if err != nil {
		return nil, err
	}
	for i, v := range after {
		var num float64
		var str string
		if i < n-1 && json.Unmarshal(v, &num) != nil {
			return nil, store.CursorError("bad sort value")
		}
		if i == n-1 && json.Unmarshal(v, &str) != nil {
			return nil, store.CursorError("bad id")
		}
	}
	return after, nil
}

// searchHit is one hit of a search answer.
type searchHit struct {
	ID     string            `json:"_id"`
	Score  *float64          `json:"_score"`
	Source json.RawMessage   `json:"_source"`
	Sort   []json.RawMessage `json:"sort"`
}

type searchAnswer struct {
	PitID string `json:"pit_id"`
	Hits  struct {
		Total struct {
			Value int64 `json:"value"`
		} `json:"total"`
		Hits []searchHit `json:"hits"`
	} `json:"hits"`
	Aggregations json.RawMessage `json:"aggregations"`
}

// sourceExcludes keeps the version history out of search answers.
var sourceExcludes = []string{fVersions, fSortDate}

// Search runs a query. Pages follow each other with search_after on the
// sort values of the last hit, so articles stored between pages neither
// repeat nor hide the ones already there.
func (s *Store) Search(ctx context.Context, q store.Query) (*store.Result, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	if q.Size < 0 || q.Size > store.MaxSize {
		return nil, fmt.Errorf("%w: size %d: want 0..%d", store.ErrBadQuery, q.Size, store.MaxSize)
	}
	sortName := q.Sort
	if sortName == "" {
		sortName = store.SortRelevance
	}
	order, err := sortOrder(sortName)
	if err != nil {
		return nil, err
	}
	full, text, err := searchQuery(q)
	if err != nil {
		return nil, err
	}
	fp := store.Fingerprint(q)
	var after []json.RawMessage
	if q.Cursor != "" {
		if after, err = decodeCursor(q.Cursor, sortName, fp, len(order)); err != nil {
			return nil, err
		}
	}
	body := dsl{
		"query":            full,
		"track_total_hits": true,
		"size":             0,
	}
	if q.Size > 0 {
		body["size"] = q.Size + 1 // one more tells whether there is a next page
		body["sort"] = order
		body["_source"] = dsl{"excludes": sourceExcludes}
		if after != nil {
			body["search_after"] = after
		}
	}
	ans, err := s.search(ctx, body)
	if err != nil {
		return nil, err
	}
	out := &store.Result{Total: ans.Hits.Total.Value, Hits: make([]store.Hit, 0, min(len(ans.Hits.Hits), q.Size))}
	hits := ans.Hits.Hits
	more := q.Size > 0 && len(hits) > q.Size
	if more {
		hits = hits[:q.Size]
	}
	// Highlights are made here, from the articles (store/highlight), as
	// store/bleve makes them: the engine's highlighter cannot mark a word
	// found through its stem candidates, which sit in separate fields.
	var hl *highlight.Highlighter
	if text != nil && !q.NoHighlights {
		hl = highlight.Compile(text, words.QueryLangs(q.Langs))
	}
	for _, h := range hits {
		hit, err := decodeSearchHit(h)
		if err != nil {
			return nil, err
		}
		if hl != nil {
			hit.Highlights = hl.Article(&hit.Article, highlight.HTML)
		}
		out.Hits = append(out.Hits, hit)
	}
	if more {
		out.NextCursor = store.EncodeCursor(sortName, fp, hits[len(hits)-1].Sort)
	}
	return out, nil
}

func decodeSearchHit(h searchHit) (store.Hit, error) {
	var a article.Article
	if err := json.Unmarshal(h.Source, &a); err != nil {
		return store.Hit{}, fmt.Errorf("elastic: stored article %s: %w", h.ID, err)
	}
	hit := store.Hit{ID: h.ID, Article: a}
	if h.Score != nil {
		hit.Score = *h.Score
	}
	return hit, nil
}

// search runs a search body on the read alias. A 400 answer is the query's
// fault (ErrBadQuery).
func (s *Store) search(ctx context.Context, body dsl) (*searchAnswer, error) {
	rd, err := jsonBody(body)
	if err != nil {
		return nil, err
	}
	out, err := s.do(ctx, "search", esapi.SearchRequest{Index: []string{readAlias(s.cfg)}, Body: rd})
	if err != nil {
		return nil, searchError(err)
	}
	var ans searchAnswer
	if err := json.Unmarshal(out, &ans); err != nil {
		return nil, fmt.Errorf("elastic: search answer: %w", err)
	}
	return &ans, nil
}

func searchError(err error) error {
	var re *ResponseError
	if errors.As(err, &re) && re.Status == http.StatusBadRequest {
		if strings.Contains(re.Type, "too_many") || strings.Contains(re.Reason, "too many") {
			// too_many_clauses, too_many_nested_clauses, ...
			return fmt.Errorf("%w: %s: %s", store.ErrTooCostly, re.Type, re.Reason)
		}
		return fmt.Errorf("%w: %s: %s", store.ErrBadQuery, re.Type, re.Reason)
	}
	var be *BackoffError
	if errors.As(err, &be) {
		// Overloaded (429 search rejections) or unreachable: retry shortly.
		return fmt.Errorf("%w: %w", store.ErrBusy, err)
	}
	return err
}

// pitKeepAlive is how long a scan's point in time lives between pages.
const pitKeepAlive = "2m"

// scanPage is how many articles Scan reads at a time.
const scanPage = 500

// Scan calls fn with every article q matches, newest first (see
// store.Store), a page at a time over one point in time, so that the scan
// sees the index as it was when it started (a consistent export) and
// costs the cluster no deep-paging window.
func (s *Store) Scan(ctx context.Context, q store.Query, fn func(*article.Article) error) error {
	return s.scan(ctx, q, func(h searchHit) error {
		var a article.Article
		if err := json.Unmarshal(h.Source, &a); err != nil {
			return fmt.Errorf("elastic: stored article %s: %w", h.ID, err)
		}
		return fn(&a)
	})
}

// ScanJSON is Scan delivering each article's Article v1 JSON. The engine
// returns the stored document's source without the fields the store adds
// for searching, re-serialised by the engine, so it is decoded and
// encoded again to be exactly json.Marshal's encoding of the article.
func (s *Store) ScanJSON(ctx context.Context, q store.Query, fn func(doc []byte) error) error {
	return s.scan(ctx, q, func(h searchHit) error {
		var a article.Article
		if err := json.Unmarshal(h.Source, &a); err != nil {
			return fmt.Errorf("elastic: stored article %s: %w", h.ID, err)
		}
		doc, err := json.Marshal(&a)
		if err != nil {
			return fmt.Errorf("elastic: stored article %s: %w", h.ID, err)
		}
		return fn(doc)
	})
}

// scan calls fn with every hit of q, newest first, paging over a point in
// time.
func (s *Store) scan(ctx context.Context, q store.Query, fn func(searchHit) error) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	order, err := sortOrder(store.SortNewest)
	if err != nil {
		return err
	}
	q.Sort, q.Size, q.Cursor = "", 0, ""
	full, _, err := searchQuery(q)
	if err != nil {
		return err
	}
	pit, err := s.openPIT(ctx)
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		s.closePIT(cctx, pit)
	}()
	var after []json.RawMessage
	for {
		body := dsl{
			"query":            full,
			"size":             scanPage,
			"sort":             order,
			"track_total_hits": false,
			"_source":          dsl{"excludes": sourceExcludes},
			"pit":              dsl{"id": pit, "keep_alive": pitKeepAlive},
		}
		if after != nil {
			body["search_after"] = after
		}
		rd, err := jsonBody(body)
		if err != nil {
			return err
		}
		// A search with a point in time names no index.
		out, err := s.do(ctx, "scan", esapi.SearchRequest{Body: rd})
		if err != nil {
			return searchError(err)
		}
		var ans searchAnswer
		if err := json.Unmarshal(out, &ans); err != nil {
			return fmt.Errorf("elastic: scan answer: %w", err)
		}
		if ans.PitID != "" {
			pit = ans.PitID
		}
		for _, h := range ans.Hits.Hits {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := fn(h); err != nil {
				return err
			}
		}
		if len(ans.Hits.Hits) < scanPage {
			return ctx.Err()
		}
		after = ans.Hits.Hits[len(ans.Hits.Hits)-1].Sort
	}
}

// openPIT opens a point in time on the read alias: Elasticsearch's
// POST /<index>/_pit, OpenSearch's POST /<index>/_search/point_in_time.
func (s *Store) openPIT(ctx context.Context) (string, error) {
	var (
		out []byte
		err error
	)
	if s.engine.Name == EngineOpenSearch {
		out, err = s.raw(ctx, "open point in time", http.MethodPost, "/"+readAlias(s.cfg)+"/_search/point_in_time?keep_alive="+pitKeepAlive, nil)
	} else {
		out, err = s.do(ctx, "open point in time", esapi.OpenPointInTimeRequest{Index: []string{readAlias(s.cfg)}, KeepAlive: pitKeepAlive})
	}
	if err != nil {
		return "", err
	}
	var res struct {
		ID    string `json:"id"`     // Elasticsearch
		PitID string `json:"pit_id"` // OpenSearch
	}
	if err := json.Unmarshal(out, &res); err != nil {
		return "", fmt.Errorf("elastic: point in time answer: %w", err)
	}
	if res.ID == "" {
		res.ID = res.PitID
	}
	if res.ID == "" {
		return "", fmt.Errorf("elastic: point in time answer without an id")
	}
	return res.ID, nil
}

func (s *Store) closePIT(ctx context.Context, id string) {
	var err error
	if s.engine.Name == EngineOpenSearch {
		var body []byte
		body, err = json.Marshal(dsl{"pit_id": []string{id}})
		if err == nil {
			_, err = s.raw(ctx, "close point in time", http.MethodDelete, "/_search/point_in_time", body)
		}
	} else {
		var rd *bytes.Reader
		if rd, err = jsonBody(dsl{"id": id}); err == nil {
			_, err = s.do(ctx, "close point in time", esapi.ClosePointInTimeRequest{Body: rd})
		}
	}
	if err != nil {
		s.log.Debug("close point in time failed; it expires by itself")
	}
}

// raw runs a request the esapi package has no type for (OpenSearch's
// point-in-time API).
func (s *Store) raw(ctx context.Context, op, method, path string, body []byte) ([]byte, error) {
	var rd *bytes.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	var req *http.Request
	var err error
	if rd != nil {
		req, err = http.NewRequestWithContext(ctx, method, path, rd)
	} else {
		req, err = http.NewRequestWithContext(ctx, method, path, nil)
	}
	if err != nil {
		return nil, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := s.es.Perform(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &BackoffError{Op: op, Err: err}
	}
	defer res.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(res.Body); err != nil {
		return nil, &BackoffError{Op: op, Status: res.StatusCode, Err: err}
	}
	if res.StatusCode >= 300 {
		return nil, responseError(op, res.StatusCode, buf.Bytes())
	}
	return buf.Bytes(), nil
}
