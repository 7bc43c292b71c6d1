// Package bleve is the embedded search store: a persistent Bleve index in a
// directory, the default store of newswatch (no server to install). It keeps
// one document per article ID holding the newest version and its version
// history, and passes the conformance suite in store/storetest.
//
// Text is analysed for Azerbaijani, Russian and English together: Unicode
// word segmentation, case folding that treats the Azerbaijani I/İ/ı/i as one
// letter and Russian ё as е, apostrophe suffixes split off proper nouns;
// Russian, English and Azerbaijani articles are also indexed stemmed (the
// Azerbaijani with the Turkish Snowball stemmer), so "нефти" finds "нефть",
// "elections" finds "election" and "seçki" finds "seçkilər"; and Latin text is also indexed
// without diacritics, so "Qarabag" finds "Qarabağ" (ranked below exact
// spellings). Phrases and field-restricted words match exact forms only.
package bleve

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	bv "github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/highlight/format/ansi"
	"github.com/blevesearch/bleve/v2/search/highlight/format/html"
	_ "github.com/blevesearch/bleve/v2/search/highlight/highlighter/ansi" // registers the ansi highlighter
	bq "github.com/blevesearch/bleve/v2/search/query"
	"go.uber.org/zap"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/query"
)

var _ store.Store = (*Index)(nil)

// IndexDirName is the directory, inside the directory given to Open, that
// holds the Bleve index.
const IndexDirName = "articles.bleve"

// Highlight styles for Options.HighlightStyle.
const (
	HighlightHTML = "html" // matches wrapped in <mark>...</mark>, text HTML-escaped
	HighlightANSI = "ansi" // matches in ANSI colour, for terminals
	HighlightNone = "none" // no highlights
)

// Options tune an Index. The zero value is ready to use.
type Options struct {
	// HighlightStyle of the fragments in Hit.Highlights; default HighlightHTML.
	HighlightStyle string
}

// Validate reports whether the options are usable.
func (o Options) Validate() error {
	switch o.HighlightStyle {
	case "", HighlightHTML, HighlightANSI, HighlightNone:
		return nil
	}
	return fmt.Errorf("bleve: highlight style %q: want %s, %s or %s", o.HighlightStyle, HighlightHTML, HighlightANSI, HighlightNone)
}

// Index is a store.Store on a Bleve index. It is safe for concurrent use.
type Index struct {
	idx  bv.Index
	log  *zap.Logger
	opts Options
	tr   translator
	mark string // what the highlight style puts before a match

	mu      sync.RWMutex // guards closed; held (read) by every operation
	closed  bool
	writeMu sync.Mutex // serialises Put: read versions, then write
}

// Open opens the index under dir, creating dir and the index when they do
// not exist. Everything stored survives Close and a later Open.
func Open(dir string, opts Options, log *zap.Logger) (*Index, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if opts.HighlightStyle == "" {
		opts.HighlightStyle = HighlightHTML
	}
	if log == nil {
		log = zap.NewNop()
	}
	log = log.Named("bleve")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("bleve: create %s: %w", dir, err)
	}
	path := filepath.Join(dir, IndexDirName)
	var idx bv.Index
	if _, err := os.Stat(filepath.Join(path, "index_meta.json")); err == nil {
		idx, err = bv.OpenUsing(path, runtimeConfig())
		if err != nil {
			return nil, fmt.Errorf("bleve: open %s (is another newswatch using it?): %w", path, err)
		}
		v, err := idx.GetInternal([]byte(mappingVersionKey))
		if err != nil {
			idx.Close()
			return nil, fmt.Errorf("bleve: open %s: read mapping version: %w", path, err)
		}
		if string(v) != mappingVersion {
			// The index keeps the analysis it was created with; searches
			// still work, with the older analysis.
			log.Warn("index was created by another version of newswatch; rebuild it (remove the directory and re-crawl or replay the stream) for the current analysis",
				zap.String("path", path), zap.String("index_mapping", string(v)), zap.String("current_mapping", mappingVersion))
		}
		log.Info("opened index", zap.String("path", path))
	} else {
		m, err := newMapping()
		if err != nil {
			return nil, fmt.Errorf("bleve: mapping: %w", err)
		}
		idx, err = bv.NewUsing(path, m, bv.Config.DefaultIndexType, bv.Config.DefaultKVStore, runtimeConfig())
		if err != nil {
			return nil, fmt.Errorf("bleve: create %s: %w", path, err)
		}
		if err := idx.SetInternal([]byte(mappingVersionKey), []byte(mappingVersion)); err != nil {
			idx.Close()
			return nil, fmt.Errorf("bleve: create %s: %w", path, err)
		}
		log.Info("created index", zap.String("path", path))
	}
	mark := "<mark>"
	if opts.HighlightStyle == HighlightANSI {
		mark = ansi.DefaultAnsiHighlight
	}
	return &Index{idx: idx, log: log, opts: opts, tr: translator{m: idx.Mapping()}, mark: mark}, nil
}

// mappingVersion names the index mapping and analysis of this code; bump it
// when they change, so that older indexes are reported on Open.
const (
	mappingVersion    = "1"
	mappingVersionKey = "newswatch_mapping_version"
)

// lockTimeout is how long Open waits for another process to release the
// index before it gives up.
const lockTimeout = 3 * time.Second

func runtimeConfig() map[string]interface{} {
	return map[string]interface{}{"bolt_timeout": lockTimeout.String()}
}

// Close flushes and closes the index; later calls return store.ErrClosed.
func (x *Index) Close() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return store.ErrClosed
	}
	x.closed = true
	if err := x.idx.Close(); err != nil {
		return fmt.Errorf("bleve: close: %w", err)
	}
	return nil
}

// enter takes the read lock unless the index is closed.
func (x *Index) enter() error {
	x.mu.RLock()
	if x.closed {
		x.mu.RUnlock()
		return store.ErrClosed
	}
	return nil
}

// Ping reports whether the index can serve requests.
func (x *Index) Ping(ctx context.Context) error {
	if err := x.enter(); err != nil {
		return err
	}
	defer x.mu.RUnlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, err := x.idx.DocCount(); err != nil {
		return fmt.Errorf("bleve: ping: %w", err)
	}
	return nil
}

// current is what the index holds for one article ID.
type current struct {
	art      *article.Article // newest version; nil when the ID is new
	versions []store.Version  // oldest first
	changed  bool
}

// has reports whether storing a would add nothing: its content is already
// stored under the same version number, or it is not newer than the current
// version (a replay, or a crawler that lost count of versions). Content that
// comes back in a newer version (an edit reverted) is a new version.
func (c *current) has(a *article.Article) bool {
	for _, v := range c.versions {
		if v.ContentHash == a.ContentHash && (v.Version == a.Version || !a.Newer(c.art)) {
			return true
		}
	}
	return false
}

func (c *current) add(a *article.Article) {
	c.versions = append(c.versions, store.Version{
		Version: a.Version, ContentHash: a.ContentHash, FetchedAt: a.FetchedAt, Title: a.Title,
	})
	sort.SliceStable(c.versions, func(i, j int) bool {
		vi, vj := c.versions[i], c.versions[j]
		if vi.Version != vj.Version {
			return vi.Version < vj.Version
		}
		return vi.FetchedAt.Before(vj.FetchedAt)
	})
	if c.art == nil || a.Newer(c.art) {
		cp := *a
		c.art = &cp
	}
	c.changed = true
}

// Put stores a batch: new articles and newer versions replace what is
// indexed, an older version only joins the version history, and content
// already stored is a no-op (see current.has).
// Articles that fail validation are reported in a *store.BatchError; the
// others are stored.
func (x *Index) Put(ctx context.Context, arts []article.Article) error {
	if err := x.enter(); err != nil {
		return err
	}
	defer x.mu.RUnlock()
	if len(arts) == 0 {
		return ctx.Err()
	}
	failed := map[int]error{}
	var ids []string
	seen := map[string]bool{}
	for i := range arts {
		if err := arts[i].Validate(); err != nil {
			failed[i] = err
			continue
		}
		if !seen[arts[i].ID] {
			seen[arts[i].ID] = true
			ids = append(ids, arts[i].ID)
		}
	}

	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	cur, err := x.load(ctx, ids)
	if err != nil {
		return err
	}
	for i := range arts {
		if failed[i] != nil {
			continue
		}
		a := &arts[i]
		c := cur[a.ID]
		if c == nil {
			c = &current{}
			cur[a.ID] = c
		}
		if c.has(a) {
			continue
		}
		c.add(a)
	}
	b := x.idx.NewBatch()
	for id, c := range cur {
		if !c.changed {
			continue
		}
		doc, err := document(c)
		if err != nil {
			return fmt.Errorf("bleve: document %s: %w", id, err)
		}
		if err := b.Index(id, doc); err != nil {
			return fmt.Errorf("bleve: index %s: %w", id, err)
		}
	}
	if b.Size() > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		start := time.Now()
		if err := x.idx.Batch(b); err != nil {
			return fmt.Errorf("bleve: batch: %w", err)
		}
		x.log.Debug("batch stored", zap.Int("docs", b.Size()), zap.Int("articles", len(arts)), zap.Duration("took", time.Since(start)))
	}
	if len(failed) > 0 {
		return &store.BatchError{Failed: failed}
	}
	return nil
}

// load reads the stored article and versions of each ID that exists.
func (x *Index) load(ctx context.Context, ids []string) (map[string]*current, error) {
	out := make(map[string]*current, len(ids))
	const chunk = 1000
	for start := 0; start < len(ids); start += chunk {
		end := min(start+chunk, len(ids))
		req := bv.NewSearchRequestOptions(bv.NewDocIDQuery(ids[start:end]), end-start, 0, false)
		req.Fields = []string{fSource, fVersions}
		res, err := x.idx.SearchInContext(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("bleve: read current versions: %w", err)
		}
		for _, h := range res.Hits {
			a, vs, err := decodeHit(h)
			if err != nil {
				return nil, fmt.Errorf("bleve: stored article %s: %w", h.ID, err)
			}
			out[h.ID] = &current{art: a, versions: vs}
		}
	}
	return out, nil
}

func decodeHit(h *search.DocumentMatch) (*article.Article, []store.Version, error) {
	src, _ := h.Fields[fSource].(string)
	var a article.Article
	if err := json.Unmarshal([]byte(src), &a); err != nil {
		return nil, nil, fmt.Errorf("decode article: %w", err)
	}
	var vs []store.Version
	if s, ok := h.Fields[fVersions].(string); ok && s != "" {
		if err := json.Unmarshal([]byte(s), &vs); err != nil {
			return nil, nil, fmt.Errorf("decode versions: %w", err)
		}
	}
	return &a, vs, nil
}

// document builds the Bleve document of an article's newest version.
func document(c *current) (map[string]interface{}, error) {
	a := c.art
	src, err := json.Marshal(a)
	if err != nil {
		return nil, err
	}
	vs, err := json.Marshal(c.versions)
	if err != nil {
		return nil, err
	}
	doc := map[string]interface{}{
		fSource:   string(src),
		fVersions: string(vs),
		fOutlet:   a.Outlet,
	}
	put := func(k, v string) {
		if v != "" {
			doc[k] = v
		}
	}
	put(fTitle, a.Title)
	put(fLead, a.Lead)
	put(fBody, a.Body)
	put(fSection, a.Section)
	put(fLang, a.Language)
	if len(a.Authors) > 0 {
		doc[fAuthors] = a.Authors
		doc[fAuthorTxt] = a.Authors
	}
	if len(a.Tags) > 0 {
		doc[fTags] = a.Tags
	}
	sortDate := a.FetchedAt
	if a.PublishedAt != nil && indexable(*a.PublishedAt) {
		doc[fPublished] = a.PublishedAt.UTC()
		sortDate = *a.PublishedAt
	}
	if indexable(sortDate) {
		doc[fSortDate] = sortDate.UTC()
	} else {
		doc[fSortDate] = bq.MinRFC3339CompatibleTime
	}
	all := strings.Join([]string{a.Title, a.Lead, a.Body}, "\n\n")
	doc[fPlainText] = all
	switch lang := strings.ToLower(a.Language); {
	case lang == "ru" || strings.HasPrefix(lang, "ru-"):
		doc[fRuText] = all
	case lang == "en" || strings.HasPrefix(lang, "en-"):
		doc[fEnText] = all
	case lang == "az" || strings.HasPrefix(lang, "az-"):
		doc[fAzText] = all
	}
	return doc, nil
}

// indexable reports whether Bleve can index t (years 1677 to 2262). Dates
// outside are kept in the stored article but not indexed.
func indexable(t time.Time) bool {
	return !t.Before(bq.MinRFC3339CompatibleTime) && !t.After(bq.MaxRFC3339CompatibleTime)
}

// Get returns the article with that ID and its versions.
func (x *Index) Get(ctx context.Context, id string) (*store.Record, error) {
	if err := x.enter(); err != nil {
		return nil, err
	}
	defer x.mu.RUnlock()
	cur, err := x.load(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	c := cur[id]
	if c == nil {
		return nil, fmt.Errorf("%w: %s", store.ErrNotFound, id)
	}
	vs := c.versions
	if vs == nil {
		vs = []store.Version{}
	}
	return &store.Record{Article: *c.art, Versions: vs}, nil
}

// Search runs a query.
func (x *Index) Search(ctx context.Context, q store.Query) (*store.Result, error) {
	if err := x.enter(); err != nil {
		return nil, err
	}
	defer x.mu.RUnlock()
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
	ast, err := query.Parse(q.Text)
	if err != nil {
		return nil, err
	}
	textQ, hasText, err := x.tr.translate(ast)
	if err != nil {
		return nil, err
	}
	if !hasText {
		textQ = bv.NewMatchAllQuery()
	}
	bleveQ, err := withFilters(textQ, q)
	if err != nil {
		return nil, err
	}

	fp := fingerprint(q)
	var after []string
	if q.Cursor != "" {
		after, err = decodeCursor(q.Cursor, sortName, fp, len(order))
		if err != nil {
			return nil, err
		}
	}
	// The search itself ranks and counts without loading stored fields or
	// term locations: asking bleve for highlights would make it read the
	// term vectors of every matching document, not only of the page. The
	// page's articles and highlights are fetched afterwards (x.page).
	req := bv.NewSearchRequestOptions(bleveQ, 0, 0, false)
	req.SortByCustom(order)
	if q.Size > 0 {
		req.Size = q.Size + 1 // one more tells whether there is a next page
	}
	if after != nil {
		req.SearchAfter = after
	}
	res, err := x.idx.SearchInContext(ctx, req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("bleve: search: %w", err)
	}
	out := &store.Result{Total: int64(res.Total), Hits: make([]store.Hit, 0, min(len(res.Hits), max(q.Size, 0)))}
	hits := res.Hits
	more := q.Size > 0 && len(hits) > q.Size
	if more {
		hits = hits[:q.Size]
	}
	// The filters match no highlighted field: the text query alone gives
	// the page's highlights.
	page, err := x.page(ctx, textQ, hits, hasText && x.opts.HighlightStyle != HighlightNone)
	if err != nil {
		return nil, err
	}
	for _, h0 := range hits {
		h := page[h0.ID]
		if h == nil {
			return nil, fmt.Errorf("bleve: stored article %s: not found", h0.ID)
		}
		src, _ := h.Fields[fSource].(string)
		var a article.Article
		if err := json.Unmarshal([]byte(src), &a); err != nil {
			return nil, fmt.Errorf("bleve: stored article %s: %w", h.ID, err)
		}
		hit := store.Hit{ID: h0.ID, Score: h0.Score, Article: a}
		if len(h.Fragments) > 0 {
			hit.Highlights = map[string][]string{}
			for f, frags := range h.Fragments {
				// bleve also returns fragments of fields without a match;
				// only those that mark something are highlights.
				var marked []string
				for _, fr := range frags {
					if strings.Contains(fr, x.mark) {
						marked = append(marked, fr)
					}
				}
				if len(marked) > 0 {
					hit.Highlights[f] = marked
				}
			}
			if len(hit.Highlights) == 0 {
				hit.Highlights = nil
			}
		}
		out.Hits = append(out.Hits, hit)
	}
	if more {
		last := hits[len(hits)-1]
		out.NextCursor = encodeCursor(sortName, fp, sortValues(order, last))
	}
	return out, nil
}

// page loads the stored article of each hit and, when highlight is set, the
// highlights of the query in it, by running the query again restricted to
// those documents. Highlights depend only on the query's terms and the
// document, so they are the same as a highlighted search would give.
func (x *Index) page(ctx context.Context, q bq.Query, hits search.DocumentMatchCollection, highlight bool) (map[string]*search.DocumentMatch, error) {
	out := make(map[string]*search.DocumentMatch, len(hits))
	if len(hits) == 0 {
		return out, nil
	}
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.ID
	}
	var pq bq.Query = bv.NewDocIDQuery(ids)
	if highlight {
		pq = bv.NewConjunctionQuery(pq, q)
	}
	req := bv.NewSearchRequestOptions(pq, len(ids), 0, false)
	req.Fields = []string{fSource}
	req.SortBy([]string{"_id"})
	if highlight {
		style := html.Name
		if x.opts.HighlightStyle == HighlightANSI {
			style = ansi.Name
		}
		req.Highlight = bv.NewHighlightWithStyle(style)
		req.Highlight.AddField(fTitle)
		req.Highlight.AddField(fLead)
		req.Highlight.AddField(fBody)
	}
	res, err := x.idx.SearchInContext(ctx, req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("bleve: load hits: %w", err)
	}
	for _, h := range res.Hits {
		out[h.ID] = h
	}
	return out, nil
}

func sortOrder(name string) (search.SortOrder, error) {
	date := func(desc bool) *search.SortField {
		return &search.SortField{Field: fSortDate, Type: search.SortFieldAsDate, Desc: desc, Missing: search.SortFieldMissingLast}
	}
	switch name {
	case store.SortRelevance:
		return search.SortOrder{&search.SortScore{Desc: true}, date(true), &search.SortDocID{}}, nil
	case store.SortNewest:
		return search.SortOrder{date(true), &search.SortDocID{}}, nil
	case store.SortOldest:
		return search.SortOrder{date(false), &search.SortDocID{}}, nil
	}
	return nil, fmt.Errorf("%w: sort %q: want %s, %s or %s", store.ErrBadQuery, name, store.SortRelevance, store.SortNewest, store.SortOldest)
}

// sortValues are the search-after values of a hit, as bleve parses them.
func sortValues(order search.SortOrder, h *search.DocumentMatch) []string {
	out := make([]string, len(order))
	for i, s := range order {
		switch s.(type) {
		case *search.SortScore:
			out[i] = strconv.FormatFloat(h.Score, 'g', -1, 64)
		case *search.SortDocID:
			out[i] = h.ID
		default:
			if i < len(h.DecodedSort) {
				out[i] = h.DecodedSort[i]
			}
		}
	}
	return out
}

func withFilters(textQ bq.Query, q store.Query) (bq.Query, error) {
	var filters []bq.Query
	anyOf := func(field string, values []string) {
		var qs []bq.Query
		for _, v := range values {
			if v = strings.TrimSpace(v); v == "" {
				continue
			}
			mq := bv.NewMatchQuery(v)
			mq.SetField(field)
			qs = append(qs, mq)
		}
		if len(qs) > 0 {
			filters = append(filters, disjunction(qs))
		}
	}
	anyOf(fOutlet, q.Outlets)
	anyOf(fLang, q.Langs)
	anyOf(fSection, q.Sections)
	anyOf(fAuthors, q.Authors)
	if q.From != nil || q.To != nil {
		if q.From != nil && q.To != nil && !q.From.Before(*q.To) {
			return nil, fmt.Errorf("%w: from %s is not before to %s", store.ErrBadQuery, q.From.Format(time.RFC3339), q.To.Format(time.RFC3339))
		}
		// Bleve stores dates as nanoseconds since 1970 (years 1677..2262):
		// a bound outside that range is either no bound or matches nothing.
		lo, hi := bq.MinRFC3339CompatibleTime, bq.MaxRFC3339CompatibleTime
		var from, to time.Time
		none := false
		if q.From != nil {
			switch {
			case q.From.After(hi):
				none = true
			case !q.From.Before(lo):
				from = q.From.UTC()
			}
		}
		if q.To != nil {
			switch {
			case !q.To.After(lo):
				none = true
			case q.To.Before(hi):
				to = q.To.UTC()
			}
		}
		switch {
		case none:
			filters = append(filters, bv.NewMatchNoneQuery())
		case !from.IsZero() || !to.IsZero():
			incl, excl := true, false
			dq := bv.NewDateRangeInclusiveQuery(from, to, &incl, &excl)
			dq.SetField(fPublished)
			filters = append(filters, dq)
		default: // both bounds open: only articles that have a date
			incl := true
			dq := bv.NewDateRangeInclusiveQuery(lo, hi, &incl, &incl)
			dq.SetField(fPublished)
			filters = append(filters, dq)
		}
	}
	if len(filters) == 0 {
		return textQ, nil
	}
	b := bv.NewBooleanQuery()
	b.AddMust(textQ)
	var f bq.Query = bv.NewConjunctionQuery(filters...)
	if len(filters) == 1 {
		f = filters[0]
	}
	b.AddFilter(f)
	return b, nil
}
