package suite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bv "github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/mapping"
	"go.uber.org/zap"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/bus"
	"github.com/newswatch/newswatch/indexer"
	"github.com/newswatch/newswatch/store"
	sbleve "github.com/newswatch/newswatch/store/bleve"
)

// IndexConfig sizes the indexing benchmark.
type IndexConfig struct {
	// Articles indexed by each side. Default 5000.
	Articles int
	// Batch size of the bare Bleve and store.Put sides; the indexer uses
	// its own default (indexer.DefaultBatchSize), which is also the default
	// here.
	Batch int
	// Seed of the corpus. Default 4.
	Seed int64
	Log  *zap.Logger
}

// IndexResult holds the indexing rates.
type IndexResult struct {
	Articles      int     `json:"articles"`
	MeanJSONBytes float64 `json:"mean_json_bytes"`
	Batch         int     `json:"batch"`
	// EndToEnd: articles already in JetStream (file store), consumed by
	// the indexer into store/bleve, timed from indexer start to the last ack.
	EndToEndPerSec float64 `json:"end_to_end_per_sec"`
	IndexerBatches uint64  `json:"indexer_batches"`
	// StorePut: store/bleve Put in batches (version bookkeeping included).
	StorePutPerSec float64 `json:"store_put_per_sec"`
	// Bare: bleve.Index.Batch of the same documents with the same mapping.
	BarePerSec float64 `json:"bare_per_sec"`
	// Index sizes after Close: equal sizes show the two sides indexed the
	// same documents.
	BareBytes  int64 `json:"bare_bytes"`
	StoreBytes int64 `json:"store_bytes"`
}

// Twin is an empty store/bleve index that lends bare Bleve its mapping,
// its documents and its queries, so that the bare side indexes and
// searches exactly what the store does, without the store around it.
type Twin struct {
	x   *sbleve.Index
	dir string
}

// NewTwin opens a twin in a temporary directory; Close removes it.
func NewTwin() (*Twin, error) {
	dir, err := os.MkdirTemp("", "nwbench-twin-")
	if err != nil {
		return nil, err
	}
	x, err := sbleve.Open(dir, sbleve.Options{}, nil)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return &Twin{x: x, dir: dir}, nil
}

// Mapping is the store's index mapping.
func (t *Twin) Mapping() mapping.IndexMapping { return t.x.Mapping() }

// Document is the Bleve document the store writes for a new article.
func (t *Twin) Document(a *article.Article) (map[string]any, error) { return t.x.Document(a) }

// Request is the Bleve request of the store's search for q.
func (t *Twin) Request(q store.Query) (*bv.SearchRequest, error) { return t.x.BleveRequest(q) }

// Close closes and removes the twin.
func (t *Twin) Close() error {
	err := t.x.Close()
	return errors.Join(err, os.RemoveAll(t.dir))
}

// BareIndex indexes the articles into a new bare Bleve index at path with
// the twin's mapping and documents, in batches, and returns articles per
// second.
func BareIndex(path string, twin *Twin, arts []article.Article, batch int) (float64, error) {
	idx, err := bv.New(path, twin.Mapping())
	if err != nil {
		return 0, err
	}
	start := time.Now()
	for i := 0; i < len(arts); i += batch {
		b := idx.NewBatch()
		for j := i; j < min(i+batch, len(arts)); j++ {
			doc, err := twin.Document(&arts[j])
			if err != nil {
				idx.Close()
				return 0, err
			}
			if err := b.Index(arts[j].ID, doc); err != nil {
				idx.Close()
				return 0, err
			}
		}
		if err := idx.Batch(b); err != nil {
			idx.Close()
			return 0, err
		}
	}
	rate := float64(len(arts)) / time.Since(start).Seconds()
	n, err := idx.DocCount()
	if cerr := idx.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	if n != uint64(len(arts)) {
		return 0, fmt.Errorf("bare index holds %d documents, want %d", n, len(arts))
	}
	return rate, nil
}

// StorePut stores the articles with store/bleve Put in batches and returns
// articles per second.
func StorePut(ctx context.Context, st store.Store, arts []article.Article, batch int) (float64, error) {
	ptrs := pointers(arts)
	start := time.Now()
	for i := 0; i < len(ptrs); i += batch {
		if err := st.Put(ctx, ptrs[i:min(i+batch, len(ptrs))]); err != nil {
			return 0, err
		}
	}
	return float64(len(arts)) / time.Since(start).Seconds(), nil
}

// pointers returns pointers to the elements of arts, as store.Put and
// bus.Conn.PublishBatch take them.
func pointers(arts []article.Article) []*article.Article {
	out := make([]*article.Article, len(arts))
	for i := range arts {
		out[i] = &arts[i]
	}
	return out
}

// Index measures articles per second into Bleve three ways over the same
// articles: through JetStream and the indexer into store/bleve (end to
// end), store/bleve Put alone, and bare Bleve batches with the same mapping
// and documents. Each side runs twice and keeps its best rate.
func Index(ctx context.Context, cfg IndexConfig) (IndexResult, error) {
	if cfg.Articles <= 0 {
		cfg.Articles = 5000
	}
	if cfg.Batch <= 0 {
		cfg.Batch = indexer.DefaultBatchSize
	}
	if cfg.Seed == 0 {
		cfg.Seed = 4
	}
	log := cfg.Log
	if log == nil {
		log = zap.NewNop()
	}
	res := IndexResult{Articles: cfg.Articles, Batch: cfg.Batch}
	arts, err := CorpusArticles(cfg.Seed, cfg.Articles, Short)
	if err != nil {
		return res, err
	}
	var size int
	for i := range arts {
		b, err := bus.Encode(&arts[i])
		if err != nil {
			return res, err
		}
		size += len(b)
	}
	res.MeanJSONBytes = float64(size) / float64(len(arts))
	dir, err := os.MkdirTemp("", "nwbench-index-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)

	twin, err := NewTwin()
	if err != nil {
		return res, fmt.Errorf("store twin: %w", err)
	}
	defer twin.Close()
	// Warm up (analyzers, allocator, page cache) on a few articles, then
	// run the three sides twice, in opposite orders, keeping each side's
	// best rate: start-up effects and drifting machine load then favour
	// no side.
	if _, err := BareIndex(filepath.Join(dir, "warm.bleve"), twin, arts[:min(len(arts), 500)], cfg.Batch); err != nil {
		return res, fmt.Errorf("warm-up: %w", err)
	}
	sides := []func(run int) error{
		func(run int) error {
			path := filepath.Join(dir, fmt.Sprintf("bare%d.bleve", run))
			rate, err := BareIndex(path, twin, arts, cfg.Batch)
			if err != nil {
				return fmt.Errorf("bare bleve: %w", err)
			}
			res.BarePerSec = max(res.BarePerSec, rate)
			res.BareBytes, err = DirSize(path)
			return errors.Join(err, os.RemoveAll(path))
		},
		func(run int) error {
			path := filepath.Join(dir, fmt.Sprintf("put%d", run))
			st, err := sbleve.Open(path, sbleve.Options{}, log)
			if err != nil {
				return err
			}
			rate, err := StorePut(ctx, st, arts, cfg.Batch)
			if cerr := st.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return fmt.Errorf("store put: %w", err)
			}
			res.StorePutPerSec = max(res.StorePutPerSec, rate)
			res.StoreBytes, err = DirSize(path)
			return errors.Join(err, os.RemoveAll(path))
		},
		func(run int) error {
			path := filepath.Join(dir, fmt.Sprintf("e2e%d", run))
			rate, batches, err := IndexEndToEnd(ctx, path, arts, log)
			if err != nil {
				return fmt.Errorf("end to end: %w", err)
			}
			res.EndToEndPerSec = max(res.EndToEndPerSec, rate)
			res.IndexerBatches = batches
			return os.RemoveAll(path)
		},
	}
	for i := range sides {
		if err := sides[i](0); err != nil {
			return res, err
		}
	}
	for i := len(sides) - 1; i >= 0; i-- {
		if err := sides[i](1); err != nil {
			return res, err
		}
	}
	return res, nil
}

// IndexEndToEnd publishes the articles to JetStream (untimed), then runs the
// indexer into a new store/bleve under dir and returns articles per second
// from the indexer's start to its last ack, and the batches it wrote.
func IndexEndToEnd(ctx context.Context, dir string, arts []article.Article, log *zap.Logger) (float64, uint64, error) {
	conn, stop, err := startBus(ctx, dir, log)
	if err != nil {
		return 0, 0, err
	}
	defer stop()
	if _, err := PublishAsync(ctx, conn, arts, 1000); err != nil {
		return 0, 0, err
	}
	st, err := sbleve.Open(filepath.Join(dir, "index"), sbleve.Options{}, log)
	if err != nil {
		return 0, 0, err
	}
	defer st.Close()
	ix, err := indexer.New(indexer.Config{}, conn, st, log)
	if err != nil {
		return 0, 0, err
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- ix.Run(rctx) }()
	want := uint64(len(arts))
	var elapsed time.Duration
	for {
		s := ix.Stats()
		if s.Indexed >= want {
			elapsed = time.Since(start)
			break
		}
		if s.DeadLettered > 0 {
			cancel()
			<-done
			return 0, 0, fmt.Errorf("indexer dead-lettered %d messages", s.DeadLettered)
		}
		select {
		case err := <-done:
			cancel()
			return 0, 0, fmt.Errorf("indexer stopped early: %v", err)
		case <-ctx.Done():
			cancel()
			<-done
			return 0, 0, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	cancel()
	if err := <-done; err != nil {
		return 0, 0, err
	}
	r, err := st.Search(ctx, store.Query{})
	if err != nil {
		return 0, 0, err
	}
	if r.Total != int64(len(arts)) {
		return 0, 0, fmt.Errorf("store holds %d articles, want %d", r.Total, len(arts))
	}
	return float64(len(arts)) / elapsed.Seconds(), ix.Stats().Batches, nil
}

// IndexFigures turns an IndexResult into table rows.
func IndexFigures(r IndexResult) []Figure {
	e := Compare("NATS->indexer->Bleve", "articles/s", HigherIsBetter, r.EndToEndPerSec,
		"bare Bleve batches, same docs+mapping", r.BarePerSec)
	e.Note = fmt.Sprintf("%d articles of %.1f KB JSON; indexer batches of %d from the JetStream file store with fsync before ack (the default), timed from indexer start to last ack", r.Articles, r.MeanJSONBytes/1000, indexer.DefaultBatchSize)
	p := Compare("store/bleve Put", "articles/s", HigherIsBetter, r.StorePutPerSec,
		"bare Bleve batches, same docs+mapping", r.BarePerSec)
	p.Note = fmt.Sprintf("%d articles in batches of %d; the store also reads stored versions before writing", r.Articles, r.Batch)
	return []Figure{e, p}
}
