// Package elastic is the production search store: articles in Elasticsearch
// 8 or OpenSearch 2 (detected at Open) through
// github.com/elastic/go-elasticsearch/v8.
//
// Layout: an index template (<prefix>-articles: mappings, analyzers, keyword
// fields for facets; Kibana reads it as-is) creates time-based indices
// <prefix>-articles-<date>-<n>; writes go through the write alias
// <prefix>-articles-write, which rolls over to a new index after
// Config.RolloverAge, and reads through the read alias <prefix>-articles,
// which holds every index. An article stays in the index it was first
// written to.
//
// Writes are versioned and idempotent: Put reads what is stored for the
// batch's IDs (real-time multi-get), merges with store.History (the same
// version rules as every backend) and writes the changed articles with
// esutil.BulkIndexer under version_type=external with a version that grows
// with the article's version, its fetch time and its history, so the engine
// itself refuses an older write over a newer one. A write that lost a race
// with another writer (409) is merged again and retried.
package elastic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	es "github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esapi"
	"go.uber.org/zap"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/words"
)

var _ store.Store = (*Store)(nil)

// Store is a store.Store on an Elasticsearch or OpenSearch cluster.
type Store struct {
	cfg    Config
	es     *es.Client
	engine engineInfo
	log    *zap.Logger

	mu     sync.RWMutex // held for reading by every call; Close takes it for writing
	closed bool

	idxMu   sync.Mutex
	idxList []string  // the indices behind the read alias, as last read
	idxAt   time.Time // when idxList was read
	stop    chan struct{}
	done    chan struct{}
}

// Open connects to the cluster, detects the engine, installs the index
// template and creates the first index and the aliases when they do not
// exist. An unreachable cluster gives a *BackoffError (ErrUnavailable).
func Open(ctx context.Context, cfg Config, log *zap.Logger) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if log == nil {
		log = zap.NewNop()
	}
	client, ph, err := newClient(cfg)
	if err != nil {
		return nil, err
	}
	eng, err := detect(ctx, client, ph)
	if err != nil {
		return nil, fmt.Errorf("elastic: open %s: %w", strings.Join(cfg.Addresses, ","), err)
	}
	s := &Store{cfg: cfg, es: client, engine: eng, log: log.Named("elastic"), stop: make(chan struct{}), done: make(chan struct{})}
	if err := s.setup(ctx); err != nil {
		return nil, fmt.Errorf("elastic: open: %w", err)
	}
	s.log.Info("opened", zap.String("engine", eng.Name), zap.String("version", eng.Version),
		zap.String("read_alias", readAlias(cfg)), zap.String("write_alias", writeAlias(cfg)))
	go s.maintain()
	return s, nil
}

// Engine reports the engine and version detected at Open, e.g.
// ("opensearch", "2.19.6").
func (s *Store) Engine() (name, version string) { return s.engine.Name, s.engine.Version }

// setup installs the template and the first index with its aliases.
func (s *Store) setup(ctx context.Context) error {
	body, err := jsonBody(indexTemplate(s.cfg))
	if err != nil {
		return err
	}
	if _, err := s.do(ctx, "put index template", esapi.IndicesPutIndexTemplateRequest{Name: templateName(s.cfg), Body: body}); err != nil {
		return err
	}
	has, err := s.hasWriteAlias(ctx)
	if err != nil {
		return err
	}
	if has {
		return s.addNewFields(ctx)
	}
	body, err = jsonBody(map[string]any{"aliases": map[string]any{writeAlias(s.cfg): map[string]any{"is_write_index": true}}})
	if err != nil {
		return err
	}
	_, err = s.do(ctx, "create index", esapi.IndicesCreateRequest{Index: urlEscapeIndex(firstIndexName(s.cfg)), Body: body})
	var re *ResponseError
	if errors.As(err, &re) && re.Type == "resource_already_exists_exception" {
		// Another process created it at the same moment.
		has, err2 := s.hasWriteAlias(ctx)
		if err2 != nil {
			return err2
		}
		if has {
			return nil
		}
	}
	return err
}

// addNewFields adds the fields of the current mapping that indices made
// by older versions lack (an index keeps its mapping until rollover, but
// may gain fields): story_id (mapping version 3). Articles stored before
// have none.
func (s *Store) addNewFields(ctx context.Context) error {
	props := mappings()["properties"].(map[string]any)
	body, err := jsonBody(map[string]any{"properties": map[string]any{fStory: props[fStory]}})
	if err != nil {
		return err
	}
	_, err = s.do(ctx, "add new fields to the mapping", esapi.IndicesPutMappingRequest{Index: []string{readAlias(s.cfg)}, Body: body})
	return err
}

// urlEscapeIndex escapes a date-math index name for the URL path.
func urlEscapeIndex(name string) string {
	r := strings.NewReplacer("<", "%3C", ">", "%3E", "{", "%7B", "}", "%7D", "/", "%2F", "|", "%7C", "+", "%2B", ":", "%3A", ",", "%2C")
	return r.Replace(name)
}

func (s *Store) hasWriteAlias(ctx context.Context) (bool, error) {
	_, err := s.do(ctx, "get write alias", esapi.IndicesGetAliasRequest{Name: []string{writeAlias(s.cfg)}})
	var re *ResponseError
	if errors.As(err, &re) && re.Status == http.StatusNotFound {
		return false, nil
	}
	return err == nil, err
}

// maintain rolls the write index over when it is old or full and applies
// Config.Retention, at Open and every Config.MaintainInterval until Close.
func (s *Store) maintain() {
	defer close(s.done)
	t := time.NewTicker(s.cfg.MaintainInterval)
	defer t.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		if _, err := s.Rollover(ctx); err != nil && !errors.Is(err, store.ErrClosed) {
			s.log.Warn("rollover check failed", zap.Error(err))
		}
		if s.cfg.Retention > 0 {
			if _, err := s.DeleteBefore(ctx, time.Now().Add(-s.cfg.Retention)); err != nil && !errors.Is(err, store.ErrClosed) {
				s.log.Warn("retention failed", zap.Error(err))
			}
		}
		cancel()
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
	}
}

// Rollover starts a new write index when the current one is older than
// Config.RolloverAge or holds Config.RolloverDocs articles, and reports
// whether it did. It runs at Open and every Config.MaintainInterval.
func (s *Store) Rollover(ctx context.Context) (bool, error) {
	if err := s.enter(); err != nil {
		return false, err
	}
	defer s.mu.RUnlock()
	cond := map[string]any{"max_age": fmt.Sprintf("%ds", int64(s.cfg.RolloverAge/time.Second))}
	if s.cfg.RolloverDocs > 0 {
		cond["max_docs"] = s.cfg.RolloverDocs
	}
	body, err := jsonBody(map[string]any{"conditions": cond})
	if err != nil {
		return false, err
	}
	out, err := s.do(ctx, "rollover", esapi.IndicesRolloverRequest{Alias: writeAlias(s.cfg), Body: body})
	if err != nil {
		return false, err
	}
	var res struct {
		RolledOver bool   `json:"rolled_over"`
		NewIndex   string `json:"new_index"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		return false, fmt.Errorf("elastic: rollover answer: %w", err)
	}
	if res.RolledOver {
		s.forgetIndices()
		s.log.Info("rolled over", zap.String("new_index", res.NewIndex))
	}
	return res.RolledOver, nil
}

func (s *Store) enter() error {
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return store.ErrClosed
	}
	return nil
}

// Close stops the maintenance loop and the client; later calls return
// store.ErrClosed. Writes are synchronous, so nothing is left to flush.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	close(s.stop)
	<-s.done
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.es.Close(ctx); err != nil {
		return fmt.Errorf("elastic: close: %w", err)
	}
	return nil
}

// Ping reports whether the cluster answers and the read alias exists.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	_, err := s.do(ctx, "ping", esapi.IndicesExistsAliasRequest{Name: []string{readAlias(s.cfg)}})
	if err != nil {
		return fmt.Errorf("elastic: ping: %w", err)
	}
	return nil
}

// document is the indexed form of an article's newest version.
type document struct {
	article.Article
	SortDate time.Time       `json:"sort_date"`
	Versions []store.Version `json:"versions"`
	// The stem candidates (store/words) of the title, lead and body, in
	// the field of the article's language (not in _source).
	StemAz []string `json:"stem_az,omitempty"`
	StemRu []string `json:"stem_ru,omitempty"`
	StemEn []string `json:"stem_en,omitempty"`
}

func newDocument(h *store.History) *document {
	a := h.Article
	d := &document{Article: *a, SortDate: a.FetchedAt, Versions: h.Versions}
	if a.PublishedAt != nil {
		d.SortDate = *a.PublishedAt
	}
	// Sorts order by the date to the second, then by ID, as every store
	// does (Bleve's date key is in seconds): the engine's date would keep
	// milliseconds.
	d.SortDate = d.SortDate.Truncate(time.Second)
	lang := words.LangOf(a.Language)
	if lang == "" {
		return d
	}
	stems := words.TextStems(lang, strings.Join([]string{a.Title, a.Lead, a.Body}, "\n\n"))
	switch lang {
	case words.AZ:
		d.StemAz = stems
	case words.RU:
		d.StemRu = stems
	case words.EN:
		d.StemEn = stems
	}
	return d
}

// stored is what the cluster holds for one ID.
type stored struct {
	index   string
	version int64 // the engine's (external) version
	hist    store.History
}

// indicesTTL is how long the list of indices behind the read alias is
// reused. An index another process creates by a rollover meanwhile is the
// write index, where this store writes new articles too, so no article
// gets two copies unless two rollovers happen within it.
const indicesTTL = 10 * time.Second

// indices lists the concrete indices behind the read alias (cached for
// indicesTTL; a rollover by this store forgets the list).
func (s *Store) indices(ctx context.Context) ([]string, error) {
	s.idxMu.Lock()
	if s.idxList != nil && time.Since(s.idxAt) < indicesTTL {
		list := s.idxList
		s.idxMu.Unlock()
		return list, nil
	}
	s.idxMu.Unlock()
	list, err := s.readIndices(ctx)
	if err != nil || len(list) == 0 {
		return list, err
	}
	s.idxMu.Lock()
	s.idxList, s.idxAt = list, time.Now()
	s.idxMu.Unlock()
	return list, nil
}

// forgetIndices drops the cached index list.
func (s *Store) forgetIndices() {
	s.idxMu.Lock()
	s.idxList = nil
	s.idxMu.Unlock()
}

func (s *Store) readIndices(ctx context.Context) ([]string, error) {
	out, err := s.do(ctx, "get read alias", esapi.IndicesGetAliasRequest{Name: []string{readAlias(s.cfg)}})
	var re *ResponseError
	if errors.As(err, &re) && re.Status == http.StatusNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(out, &m); err != nil {
		return nil, fmt.Errorf("elastic: alias answer: %w", err)
	}
	idx := make([]string, 0, len(m))
	for k := range m {
		idx = append(idx, k)
	}
	return idx, nil
}

// load reads, in real time (not waiting for a refresh), what is stored for
// each ID, from every index behind the read alias.
func (s *Store) load(ctx context.Context, ids []string) (map[string]*stored, error) {
	out := make(map[string]*stored, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	idx, err := s.indices(ctx)
	if err != nil || len(idx) == 0 {
		return out, err
	}
	type ref struct {
		Index string `json:"_index"`
		ID    string `json:"_id"`
	}
	const chunk = 1000
	var refs []ref
	for _, id := range ids {
		for _, ix := range idx {
			refs = append(refs, ref{ix, id})
		}
	}
	for start := 0; start < len(refs); start += chunk {
		end := min(start+chunk, len(refs))
		body, err := jsonBody(map[string]any{"docs": refs[start:end]})
		if err != nil {
			return nil, err
		}
		res, err := s.do(ctx, "read stored versions", esapi.MgetRequest{Body: body, Realtime: ptr(true)})
		if err != nil {
			return nil, err
		}
		var mg struct {
			Docs []struct {
				Index   string          `json:"_index"`
				ID      string          `json:"_id"`
				Found   bool            `json:"found"`
				Version int64           `json:"_version"`
				Source  json.RawMessage `json:"_source"`
				Error   json.RawMessage `json:"error"`
			} `json:"docs"`
		}
		if err := json.Unmarshal(res, &mg); err != nil {
			return nil, fmt.Errorf("elastic: mget answer: %w", err)
		}
		for _, d := range mg.Docs {
			if len(d.Error) > 0 {
				// An index deleted since the alias was read holds nothing.
				if strings.Contains(string(d.Error), "index_not_found") {
					s.forgetIndices()
					continue
				}
				return nil, fmt.Errorf("elastic: read %s/%s: %s", d.Index, d.ID, d.Error)
			}
			if !d.Found {
				continue
			}
			var doc document
			if err := json.Unmarshal(d.Source, &doc); err != nil {
				return nil, fmt.Errorf("elastic: stored article %s: %w", d.ID, err)
			}
			if prev := out[d.ID]; prev != nil && prev.version >= d.Version {
				continue
			}
			a := doc.Article
			out[d.ID] = &stored{index: d.Index, version: d.Version, hist: store.History{Article: &a, Versions: doc.Versions}}
		}
	}
	return out, nil
}

func ptr[T any](v T) *T { return &v }

// Get returns the article with that ID and its versions, read in real time.
func (s *Store) Get(ctx context.Context, id string) (*store.Record, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	if !article.ValidID(id) {
		return nil, fmt.Errorf("%w: %q", store.ErrNotFound, id)
	}
	cur, err := s.load(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	c := cur[id]
	if c == nil {
		return nil, fmt.Errorf("%w: %s", store.ErrNotFound, id)
	}
	return c.hist.Record(), nil
}

// DocumentJSON is the document the store indexes for an article stored
// once (a one-version history). Benchmarks index it with a bare bulk
// indexer to compare with Put.
func DocumentJSON(a *article.Article) ([]byte, error) {
	h := &store.History{}
	h.Add(a)
	return json.Marshal(newDocument(h))
}

// NewClient returns a go-elasticsearch client for cfg's cluster, after the
// same engine detection as Open (with the X-Elastic-Product shim for
// OpenSearch), and the engine's name and version.
func NewClient(ctx context.Context, cfg Config) (*es.Client, string, string, error) {
	if err := cfg.Validate(); err != nil {
		return nil, "", "", err
	}
	client, ph, err := newClient(cfg.withDefaults())
	if err != nil {
		return nil, "", "", err
	}
	eng, err := detect(ctx, client, ph)
	if err != nil {
		return nil, "", "", err
	}
	return client, eng.Name, eng.Version, nil
}

// Aliases returns the read and write aliases of cfg's prefix.
func Aliases(cfg Config) (read, write string) {
	cfg = cfg.withDefaults()
	return readAlias(cfg), writeAlias(cfg)
}
