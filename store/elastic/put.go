package elastic

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/elastic/go-elasticsearch/v8/esutil"
	"go.uber.org/zap"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/store"
)

// External version layout: the article's version number, then its fetch
// time in seconds since 2000, then the length of its version history. Each
// write that changes what is stored raises it: a newer version raises the
// first or second part, an older version joining the history the third.
const (
	verBits   = 20 // article versions up to 1,048,575
	fetchBits = 31 // fetch times 2000..2068, clamped outside
	histBits  = 12 // histories up to 4095 entries, clamped above
)

var epoch2000 = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// externalVersion is the version_type=external version of h's document.
func externalVersion(h *store.History) int64 {
	clamp := func(v, bits int64) int64 { return max(0, min(v, 1<<bits-1)) }
	a := h.Article
	v := clamp(int64(a.Version), verBits)
	f := clamp(int64(a.FetchedAt.Sub(epoch2000)/time.Second), fetchBits)
	n := clamp(int64(len(h.Versions)), histBits)
	return v<<(fetchBits+histBits) | f<<histBits | n
}

// maxMergeRounds bounds the re-reads after lost races (409) in one Put.
const maxMergeRounds = 8

// Put stores a batch (see store.Store). Articles without a valid ID and articles the
// engine refuses (a mapping error) are reported in a *store.BatchError; an
// article refused for now (429 on its item) has a *BackoffError there. A
// cluster that cannot be reached or is overloaded for the whole batch gives
// a *BackoffError and nothing can be assumed stored.
func (s *Store) Put(ctx context.Context, arts []*article.Article) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	if len(arts) == 0 {
		return ctx.Err()
	}
	failed := map[int]error{}
	byID := map[string][]int{}
	var ids []string
	for i := range arts {
		if arts[i] == nil || !article.ValidID(arts[i].ID) {
			failed[i] = fmt.Errorf("%w: no valid article id", article.ErrInvalid)
			continue
		}
		if byID[arts[i].ID] == nil {
			ids = append(ids, arts[i].ID)
		}
		byID[arts[i].ID] = append(byID[arts[i].ID], i)
	}
	start := time.Now()
	written := 0
	pending := ids
	for round := 0; len(pending) > 0; round++ {
		if round == maxMergeRounds {
			return fmt.Errorf("elastic: put: %d articles still conflict with concurrent writes after %d rounds", len(pending), round)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		cur, err := s.load(ctx, pending)
		if err != nil {
			return fmt.Errorf("elastic: put: %w", err)
		}
		var writes []write
		for _, id := range pending {
			c := cur[id]
			if c == nil {
				c = &stored{}
			}
			changed := false
			for _, i := range byID[id] {
				if c.hist.Add(arts[i]) {
					changed = true
				}
			}
			if !changed {
				continue
			}
			v := externalVersion(&c.hist)
			if v <= c.version {
				v = c.version + 1 // a clamped part; still above what is stored
			}
			index := c.index
			if index == "" {
				index = writeAlias(s.cfg)
			}
			writes = append(writes, write{id: id, index: index, version: v, doc: newDocument(&c.hist)})
		}
		conflicts, itemErrs, err := s.bulk(ctx, writes)
		if err != nil {
			return err
		}
		for id, e := range itemErrs {
			for _, i := range byID[id] {
				failed[i] = e
			}
		}
		written += len(writes) - len(conflicts) - len(itemErrs)
		pending = conflicts
	}
	s.log.Debug("batch stored", zap.Int("articles", len(arts)), zap.Int("written", written), zap.Duration("took", time.Since(start)))
	if len(failed) > 0 {
		return &store.BatchError{Failed: failed}
	}
	return nil
}

// write is one document to index.
type write struct {
	id      string
	index   string
	version int64
	doc     *document
}

var flushStatusRE = regexp.MustCompile(`^flush: \[(\d{3})`)

// bulk indexes the writes with esutil.BulkIndexer and waits for all. It
// returns the IDs that lost a race (version conflict: another writer stored
// a newer state first), the IDs the engine refused, and an error when the
// requests themselves failed.
func (s *Store) bulk(ctx context.Context, writes []write) (conflicts []string, itemErrs map[string]error, err error) {
	itemErrs = map[string]error{}
	if len(writes) == 0 {
		return nil, itemErrs, nil
	}
	var (
		mu       sync.Mutex
		flushErr error
	)
	bodies := make([][]byte, len(writes))
	total := 0
	for i, w := range writes {
		b, err := json.Marshal(w.doc)
		if err != nil {
			return nil, nil, fmt.Errorf("elastic: encode %s: %w", w.id, err)
		}
		bodies[i] = b
		total += len(b) + 128 // and the action line
	}
	// The batch is split between the workers, so that one Put keeps them
	// all busy, in requests of at most BulkFlushBytes.
	workers := max(1, min(s.cfg.BulkWorkers, len(writes)/50))
	bi, err := esutil.NewBulkIndexer(esutil.BulkIndexerConfig{
		Client:        s.es,
		NumWorkers:    workers,
		FlushBytes:    min(s.cfg.BulkFlushBytes, max(64<<10, total/workers+1)),
		FlushInterval: time.Hour, // Close flushes
		Refresh:       s.cfg.Refresh,
		Timeout:       s.cfg.RequestTimeout,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("elastic: bulk indexer: %w", err)
	}
	onFailure := func(_ context.Context, it esutil.BulkIndexerItem, res esutil.BulkIndexerResponseItem, err error) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err != nil: // the request failed, not the item
			if flushErr == nil {
				flushErr = err
			}
		case res.Status == 409 || res.Error.Type == "version_conflict_engine_exception":
			conflicts = append(conflicts, it.DocumentID)
		case res.Status == 429 || res.Status >= 500:
			itemErrs[it.DocumentID] = &BackoffError{Op: "bulk item", Status: res.Status, Err: fmt.Errorf("%s: %s", res.Error.Type, res.Error.Reason)}
		default:
			itemErrs[it.DocumentID] = &ResponseError{Op: "bulk item", Status: res.Status, Type: res.Error.Type, Reason: res.Error.Reason}
		}
	}
	for i, w := range writes {
		b := bodies[i]
		v := w.version
		if err := bi.Add(ctx, esutil.BulkIndexerItem{
			Action: "index", Index: w.index, DocumentID: w.id,
			// A new article goes to the write alias, which must exist: never
			// to an index auto-created under the alias's name.
			RequireAlias: w.index == writeAlias(s.cfg),
			Version:      &v, VersionType: "external",
			Body:      bytes.NewReader(b),
			OnFailure: onFailure,
		}); err != nil {
			_ = bi.Close(ctx)
			return nil, nil, fmt.Errorf("elastic: bulk add: %w", err)
		}
	}
	if err := bi.Close(ctx); err != nil && flushErr == nil {
		flushErr = err
	}
	if flushErr != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		return nil, nil, classifyFlush(flushErr)
	}
	return conflicts, itemErrs, nil
}

// classifyFlush turns a failed bulk request into a *BackoffError (cluster
// unreachable, 429, 5xx) or a *ResponseError.
func classifyFlush(err error) error {
	if m := flushStatusRE.FindStringSubmatch(err.Error()); m != nil {
		st, _ := strconv.Atoi(m[1])
		if st != 429 && st < 500 {
			return &ResponseError{Op: "bulk", Status: st, Type: "request", Reason: err.Error()}
		}
		return &BackoffError{Op: "bulk", Status: st, Err: err}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return &BackoffError{Op: "bulk", Err: err}
}
