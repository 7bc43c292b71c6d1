// Package bleve is the embedded search store: a persistent Bleve index in a
// directory, the default store of newswatch (no server to install). It keeps
// one document per article ID holding the newest version and its version
// history, and passes the conformance suite in store/storetest.
//
// Text analysis (analysis.go, stems.go) serves Azerbaijani, Russian and
// English. The title and the lead with the body are indexed once each as
// exact words (Unicode segmentation; case folded with the Azerbaijani
// I/İ/ı/i as one letter and Russian ё as е; apostrophe suffixes split off
// proper nouns), with positions for phrases. Each article's words are also
// indexed, in the stem field of its language, under their stem candidates
// without diacritics: the Snowball and a light stemmer for Russian,
// Snowball for English, and a suffix analysis of Azerbaijani case endings,
// possessives and plurals. A query word finds every article whose words
// share a candidate with it, so "Gəncə" finds "Gəncədə" and back, "Карабах"
// finds "Карабаха", "Qarabag" finds "Qarabağın"; a query of unknown
// language is analysed for each language its script can be. Exact forms
// rank first; phrases and fielded words match exact forms only (case
// aside). Highlights (store/highlight) mark every matched form in fragments
// cut at word boundaries. Dates are filtered by calendar terms and sorted
// and counted by a sortable key (datefilter.go, datekey.go); the stored
// article JSON is compressed with zstd (source.go).
package bleve

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	bv "github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
	bq "github.com/blevesearch/bleve/v2/search/query"
	"go.uber.org/zap"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/internal/lockfile"
	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/highlight"
	"github.com/newswatch/newswatch/store/query"
	"github.com/newswatch/newswatch/store/words"
)

var _ store.Store = (*Index)(nil)

// IndexDirName is the directory, inside the directory given to Open, that
// holds the Bleve index.
const IndexDirName = "articles.bleve"

// Highlight styles for Options.HighlightStyle.
const (
	HighlightHTML = string(highlight.HTML) // matches wrapped in <mark>...</mark>, text HTML-escaped
	HighlightANSI = string(highlight.ANSI) // matches in ANSI colour, for terminals
	HighlightNone = string(highlight.None) // no highlights
)

// Options tune an Index. The zero value is ready to use.
type Options struct {
	// HighlightStyle of the fragments in Hit.Highlights; default HighlightHTML.
	HighlightStyle string
	// Limits bound the cost of one search and how many run at once; the
	// zero value gives their defaults.
	Limits Limits
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
	lock *lockfile.Lock // of the directory, held until Close
	log  *zap.Logger
	opts Options
	tr   translator
	adm  *admission // search slots
	src  *sourceCodec

	mu      sync.RWMutex // guards closed; held (read) by every operation
	closed  bool
	writeMu sync.Mutex // serialises Put: read versions, then write

	noWindows bool // newest-first pages sorted in full (tests compare)
}

// Open opens the index under dir, creating dir and the index when they do
// not exist. Everything stored survives Close and a later Open.
//
// One Index at a time may have dir open: Open waits up to lockTimeout for
// another holder and then fails with an error wrapping ErrLocked that names
// the holder (pid, host, command). Creation is crash-safe: the index is
// built beside its place and renamed into it when complete, so a process
// killed at any point leaves no index or a complete one, never a
// half-built one (see openIndex).
func Open(dir string, opts Options, log *zap.Logger) (*Index, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if opts.HighlightStyle == "" {
		opts.HighlightStyle = HighlightHTML
	}
	opts.Limits.setDefaults()
	if log == nil {
		log = zap.NewNop()
	}
	log = log.Named("bleve")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("bleve: create %s: %w", dir, err)
	}
	lk, err := lockDir(dir, lockTimeout)
	if err != nil {
		return nil, err
	}
	src, err := newSourceCodec()
	if err != nil {
		lk.Release()
		return nil, err
	}
	idx, err := openIndex(dir, log)
	if err != nil {
		src.close()
		lk.Release()
		return nil, err
	}
	return &Index{idx: idx, lock: lk, log: log, opts: opts, tr: translator{m: idx.Mapping(), words: newWordAnalyzer()}, src: src, adm: newAdmission(opts.Limits)}, nil
}

// lockTimeout is how long Open waits for another process (or Index) to
// release the index directory before it gives up.
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
	err := x.idx.Close()
	x.src.close()
	if uerr := x.lock.Release(); err == nil && uerr != nil {
		err = uerr
	}
	if err != nil {
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

// writeError is a failure of the index itself (reading the stored
// versions, writing a batch: a full disk, an I/O error), not of the
// articles. It is temporary (see indexer.Temporary): the indexer holds
// the batch and retries with back-off until the index writes again,
// instead of dead-lettering good articles.
type writeError struct{ err error }

func (e *writeError) Error() string   { return e.err.Error() }
func (e *writeError) Unwrap() error   { return e.err }
func (e *writeError) Temporary() bool { return true }

// current is what the index holds for one article ID.
type current struct {
	store.History
	changed bool
}

// Put stores a batch: new articles and newer versions replace what is
// indexed, an older version only joins the version history, and content
// already stored is a no-op (see current.has). An article without a valid
// ID is reported in a *store.BatchError; the others are stored.
func (x *Index) Put(ctx context.Context, arts []*article.Article) error {
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
		if arts[i] == nil || !article.ValidID(arts[i].ID) {
			failed[i] = fmt.Errorf("%w: no valid article id", article.ErrInvalid)
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
		a := arts[i]
		c := cur[a.ID]
		if c == nil {
			c = &current{}
			cur[a.ID] = c
		}
		if c.Add(a) {
			c.changed = true
		}
	}
	b := x.idx.NewBatch()
	for id, c := range cur {
		if !c.changed {
			continue
		}
		doc, err := x.document(c)
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
			return &writeError{fmt.Errorf("bleve: batch: %w", err)}
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
			err = fmt.Errorf("bleve: read current versions: %w", err)
			if ctx.Err() == nil {
				err = &writeError{err}
			}
			return nil, err
		}
		for _, h := range res.Hits {
			a, vs, err := x.decodeHit(h)
			if err != nil {
				return nil, fmt.Errorf("bleve: stored article %s: %w", h.ID, err)
			}
			out[h.ID] = &current{History: store.History{Article: a, Versions: vs}}
		}
	}
	return out, nil
}

func (x *Index) decodeHit(h *search.DocumentMatch) (*article.Article, []store.Version, error) {
	src, _ := h.Fields[fSource].(string)
	a, err := x.src.decode(src)
	if err != nil {
		return nil, nil, err
	}
	var vs []store.Version
	if s, ok := h.Fields[fVersions].(string); ok && s != "" {
		if err := json.Unmarshal([]byte(s), &vs); err != nil {
			return nil, nil, fmt.Errorf("decode versions: %w", err)
		}
	}
	return a, vs, nil
}

// document builds the Bleve document of an article's newest version.
func (x *Index) document(c *current) (map[string]interface{}, error) {
	a := c.Article
	src, err := x.src.encode(a)
	if err != nil {
		return nil, err
	}
	vs, err := json.Marshal(c.Versions)
	if err != nil {
		return nil, err
	}
	doc := map[string]interface{}{
		fSource:   src,
		fVersions: string(vs),
		fOutlet:   a.Outlet,
	}
	put := func(k, v string) {
		if v != "" {
			doc[k] = v
		}
	}
	put(fFacetOutlet, a.Outlet)
	put(fFacetLang, a.Language)
	put(fFacetSection, a.Section)
	put(fFacetStory, a.StoryID)
	var authors []string
	for _, au := range a.Authors {
		if au != "" {
			authors = append(authors, au)
		}
	}
	if len(authors) > 0 {
		doc[fFacetAuthor] = authors
	}
	text := a.LeadAndBody()
	put(fTitle, a.Title)
	put(fBody, text)
	put(fSection, a.Section)
	put(fLang, a.Language)
	if len(a.Authors) > 0 {
		doc[fAuthors] = a.Authors
		doc[fAuthorTxt] = a.Authors
	}
	if len(a.Tags) > 0 {
		doc[fTags] = a.Tags
	}
	if a.PublishedAt != nil {
		if cal := calendarTerms(*a.PublishedAt); cal != nil {
			doc[fPubCal] = cal
		}
	}
	doc[fDateKey] = dateKey(articleDate(a))
	if lang := words.LangOf(a.Language); lang != "" {
		doc[fStemLang] = lang
		doc[stemField(lang)] = a.Title + "\n\n" + text
	}
	return doc, nil
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
	return c.Record(), nil
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
	cq, sortName, order, err := x.compileSorted(q)
	if err != nil {
		return nil, err
	}

	fp := store.Fingerprint(q)
	var after []string
	if q.Cursor != "" {
		after, err = decodeCursor(q.Cursor, sortName, fp, len(order))
		if err != nil {
			return nil, err
		}
	}
	// What the search would read is estimated from the index's term
	// statistics: over the budget it is refused before it runs. A heavy
	// one (big, or estimated to read much) waits for one of the few heavy
	// slots; a big one is estimated in it already.
	tk := x.adm.ticket()
	defer tk.release()
	lim := x.opts.Limits
	heavy := !smallShape(cq.full)
	if heavy {
		if err := tk.enterHeavy(ctx); err != nil {
			return nil, err
		}
	}
	c, err := x.estimate(ctx, cq.full)
	if err != nil {
		return nil, err
	}
	if lim.HeavyPostings > 0 && c.postings > lim.HeavyPostings {
		heavy = true
		if err := tk.enterHeavy(ctx); err != nil {
			return nil, err
		}
	}
	if err := tk.enter(ctx); err != nil {
		return nil, err
	}
	x.log.Debug("search", zap.Int64("est_postings", c.postings), zap.Int("est_term_lists", c.lists), zap.Bool("heavy", heavy))

	// The search itself ranks and counts without loading stored fields;
	// the page's articles are read afterwards and highlighted from their
	// text (highlight.go).
	req := bv.NewSearchRequestOptions(cq.full, 0, 0, false)
	req.SortByCustom(order)
	if q.Size > 0 {
		req.Size = q.Size + 1 // one more tells whether there is a next page
	}
	if after != nil {
		req.SearchAfter = after
	}
	var res *bv.SearchResult
	windowed := false
	if _, all := cq.full.(*bq.MatchAllQuery); all && sortName == store.SortNewest && req.Size > 0 && !x.noWindows {
		res, windowed, err = x.searchNewest(ctx, order, req.Size, after)
	}
	if err == nil && !windowed {
		res, err = x.idx.SearchInContext(ctx, req)
	}
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
	arts, err := x.sources(ctx, hits)
	if err != nil {
		return nil, err
	}
	var hl *highlight.Highlighter
	if cq.hasText && !q.NoHighlights && x.opts.HighlightStyle != HighlightNone {
		hl = highlight.Compile(cq.ast, cq.tr.langs)
	}
	for _, h := range hits {
		a := arts[h.ID]
		if a == nil {
			return nil, fmt.Errorf("bleve: stored article %s: not found", h.ID)
		}
		hit := store.Hit{ID: h.ID, Score: h.Score, Article: *a}
		if hl != nil {
			hit.Highlights = hl.Article(a, highlight.Style(x.opts.HighlightStyle))
		}
		out.Hits = append(out.Hits, hit)
	}
	if more {
		last := hits[len(hits)-1]
		out.NextCursor = encodeCursor(sortName, fp, sortValues(order, last))
	}
	return out, nil
}

// compiled is a store.Query translated for bleve.
type compiled struct {
	ast     query.Node
	tr      translator // with the query's languages
	text    bq.Query   // the text query alone (match-all when hasText is false)
	hasText bool
	full    bq.Query // text and filters
}

// compile translates the text and filters of q.
func (x *Index) compile(q store.Query) (*compiled, error) {
	ast, err := query.Parse(q.Text)
	if err != nil {
		return nil, err
	}
	c := &compiled{ast: ast, tr: x.tr.forLangs(q.Langs)}
	c.text, c.hasText, err = c.tr.translate(ast)
	if err != nil {
		return nil, err
	}
	if !c.hasText {
		c.text = bv.NewMatchAllQuery()
	}
	c.full, err = withFilters(c.text, q)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// compileSorted compiles q and resolves its sort.
func (x *Index) compileSorted(q store.Query) (*compiled, string, search.SortOrder, error) {
	sortName := q.Sort
	if sortName == "" {
		sortName = store.SortRelevance
	}
	order, err := sortOrder(sortName)
	if err != nil {
		return nil, "", nil, err
	}
	cq, err := x.compile(q)
	if err != nil {
		return nil, "", nil, err
	}
	return cq, sortName, order, nil
}

// sources reads the stored articles of the hits.
func (x *Index) sources(ctx context.Context, hits search.DocumentMatchCollection) (map[string]*article.Article, error) {
	out := make(map[string]*article.Article, len(hits))
	if len(hits) == 0 {
		return out, nil
	}
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.ID
	}
	req := bv.NewSearchRequestOptions(bv.NewDocIDQuery(ids), len(ids), 0, false)
	req.Fields = []string{fSource}
	req.Score = bv.ScoreNone
	res, err := x.idx.SearchInContext(ctx, req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("bleve: load hits: %w", err)
	}
	for _, h := range res.Hits {
		src, _ := h.Fields[fSource].(string)
		a, err := x.src.decode(src)
		if err != nil {
			return nil, fmt.Errorf("bleve: stored article %s: %w", h.ID, err)
		}
		out[h.ID] = a
	}
	return out, nil
}

func sortOrder(name string) (search.SortOrder, error) {
	date := func(desc bool) *search.SortField {
		return &search.SortField{Field: fDateKey, Type: search.SortFieldAsString, Desc: desc, Missing: search.SortFieldMissingLast}
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
	var stories []bq.Query
	for _, id := range q.Stories {
		if id = strings.TrimSpace(id); id != "" {
			tq := bv.NewTermQuery(id)
			tq.SetField(fFacetStory)
			stories = append(stories, tq)
		}
	}
	if len(stories) > 0 {
		filters = append(filters, disjunction(stories))
	}
	if q.From != nil || q.To != nil {
		if q.From != nil && q.To != nil && !q.From.Before(*q.To) {
			return nil, fmt.Errorf("%w: from %s is not before to %s", store.ErrBadQuery, q.From.Format(time.RFC3339), q.To.Format(time.RFC3339))
		}
		if f := newPublishedIn(q.From, q.To); f != nil {
			filters = append(filters, f)
		} else {
			filters = append(filters, bv.NewMatchNoneQuery())
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
