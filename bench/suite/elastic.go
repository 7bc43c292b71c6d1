package suite

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"sync/atomic"
	"time"

	"github.com/elastic/go-elasticsearch/v8/esapi"
	"github.com/elastic/go-elasticsearch/v8/esutil"
	"go.uber.org/zap"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/indexer"
	"github.com/newswatch/newswatch/store"
	sbleve "github.com/newswatch/newswatch/store/bleve"
	"github.com/newswatch/newswatch/store/elastic"
)

// ElasticConfig sizes the search-engine benchmarks. They need a running
// engine (make es-up starts the test engine).
type ElasticConfig struct {
	// URL of the engine (required).
	URL string
	// Articles indexed by each side of the bulk benchmark and searched by
	// the search benchmark. Default 20000.
	Articles int
	// Batch is the Put batch size (the indexer's default batch). Default 500.
	Batch int
	// Rounds over the query mix, after one warm-up round. Default 10.
	Rounds int
	// OutageArticles go through NATS and the indexer in the outage
	// benchmark. Default 20000.
	OutageArticles int
	// Outage is how long the engine stays stopped. Default 60 s.
	Outage time.Duration
	// StopEngine and StartEngine are shell commands that stop the engine
	// and start it again with its data (deploy/testengine/engine.sh stop,
	// start --keep); without them the outage benchmark is skipped.
	StopEngine, StartEngine string
	Seed                    int64
	Log                     *zap.Logger
}

func (c *ElasticConfig) defaults() {
	if c.Articles <= 0 {
		c.Articles = 20000
	}
	if c.Batch <= 0 {
		c.Batch = 500
	}
	if c.Rounds <= 0 {
		c.Rounds = 10
	}
	if c.OutageArticles <= 0 {
		c.OutageArticles = 20000
	}
	if c.Outage <= 0 {
		c.Outage = 60 * time.Second
	}
	if c.Seed == 0 {
		c.Seed = 5
	}
	if c.Log == nil {
		c.Log = zap.NewNop()
	}
}

func benchPrefix(kind string) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return "nwbench-" + kind + "-" + hex.EncodeToString(b[:])
}

func (c ElasticConfig) storeConfig(prefix string) elastic.Config {
	return elastic.Config{Addresses: elastic.ParseAddresses(c.URL), Prefix: prefix, Replicas: -1}
}

// ElasticIndexResult compares Put with a bare bulk indexer.
type ElasticIndexResult struct {
	Engine        string  `json:"engine"`
	Articles      int     `json:"articles"`
	Batch         int     `json:"batch"`
	StorePerSec   float64 `json:"store_per_sec"` // best of two runs
	BarePerSec    float64 `json:"bare_per_sec"`  // best of two runs
	StoreRuns     []float64
	BareRuns      []float64
	StoreReplay   float64 `json:"store_replay_per_sec"` // the same batches again: all no-ops
	SearchedTotal int64   `json:"searched_total"`
}

// ElasticIndex loads the corpus through elastic.Store.Put (batches of
// Batch, as the indexer writes) and through a bare esutil.BulkIndexer
// (the same document bodies, no reads, no versions), each twice in
// alternating order on fresh indices with the same template, and reports
// the best rate of each. It keeps the last store-loaded index for the
// search benchmark and returns its config (the caller drops it).
func ElasticIndex(ctx context.Context, cfg ElasticConfig) (ElasticIndexResult, elastic.Config, error) {
	cfg.defaults()
	res := ElasticIndexResult{Articles: cfg.Articles, Batch: cfg.Batch}
	var arts []article.Article
	if err := Corpus(cfg.Seed, cfg.Articles, cfg.Batch, Short, func(b []article.Article) error {
		arts = append(arts, b...)
		return nil
	}); err != nil {
		return res, elastic.Config{}, err
	}
	var kept elastic.Config
	for round, order := range []string{"bare", "store", "store", "bare"} {
		prefix := benchPrefix(order)
		scfg := cfg.storeConfig(prefix)
		st, err := elastic.Open(ctx, scfg, cfg.Log)
		if err != nil {
			return res, kept, err
		}
		res.Engine, _ = st.Engine()
		name, version := st.Engine()
		res.Engine = name + " " + version
		var rate float64
		if order == "store" {
			rate, err = StorePut(ctx, st, arts, cfg.Batch)
		} else {
			rate, err = bareBulk(ctx, scfg, arts, cfg.Batch)
		}
		if err == nil && order == "store" && round == 2 {
			res.StoreReplay, err = StorePut(ctx, st, arts, cfg.Batch)
		}
		st.Close()
		if err != nil {
			_ = elastic.Drop(ctx, scfg)
			return res, kept, fmt.Errorf("%s: %w", order, err)
		}
		if order == "store" {
			res.StoreRuns = append(res.StoreRuns, rate)
		} else {
			res.BareRuns = append(res.BareRuns, rate)
		}
		if order == "store" && round == 2 {
			kept = scfg
			continue
		}
		if err := elastic.Drop(ctx, scfg); err != nil {
			return res, kept, err
		}
	}
	res.StorePerSec, res.BarePerSec = slices.Max(res.StoreRuns), slices.Max(res.BareRuns)
	// Everything is there once: the store's count after a refresh.
	st, err := elastic.Open(ctx, kept, cfg.Log)
	if err != nil {
		return res, kept, err
	}
	defer st.Close()
	if err := refresh(ctx, kept); err != nil {
		return res, kept, err
	}
	r, err := st.Search(ctx, store.Query{})
	if err != nil {
		return res, kept, err
	}
	res.SearchedTotal = r.Total
	if r.Total != int64(len(arts)) {
		return res, kept, fmt.Errorf("the store holds %d articles, want %d", r.Total, len(arts))
	}
	return res, kept, nil
}

// bareBulk indexes the store's documents of arts into cfg's write alias
// with one long-lived esutil.BulkIndexer (2 workers, as the store's; each
// request about as large as batch documents, as the store's), and returns
// articles per second until its Close returns.
func bareBulk(ctx context.Context, cfg elastic.Config, arts []article.Article, batch int) (float64, error) {
	client, _, _, err := elastic.NewClient(ctx, cfg)
	if err != nil {
		return 0, err
	}
	flush := 0
	for i := range min(batch, len(arts)) {
		body, err := elastic.DocumentJSON(&arts[i])
		if err != nil {
			return 0, err
		}
		flush += len(body) + 100 // and the action line
	}
	_, write := elastic.Aliases(cfg)
	var failed atomic.Int64
	var firstErr atomic.Value
	start := time.Now()
	bi, err := esutil.NewBulkIndexer(esutil.BulkIndexerConfig{
		Client: client, Index: write, NumWorkers: elastic.DefaultBulkWorkers, FlushBytes: flush, FlushInterval: time.Hour,
	})
	if err != nil {
		return 0, err
	}
	for i := range arts {
		body, err := elastic.DocumentJSON(&arts[i])
		if err != nil {
			return 0, err
		}
		if err := bi.Add(ctx, esutil.BulkIndexerItem{
			Action: "index", DocumentID: arts[i].ID, Body: bytes.NewReader(body),
			OnFailure: func(_ context.Context, _ esutil.BulkIndexerItem, r esutil.BulkIndexerResponseItem, err error) {
				failed.Add(1)
				if err == nil {
					err = fmt.Errorf("%s: %s", r.Error.Type, r.Error.Reason)
				}
				firstErr.CompareAndSwap(nil, err)
			},
		}); err != nil {
			return 0, err
		}
	}
	if err := bi.Close(ctx); err != nil {
		return 0, err
	}
	elapsed := time.Since(start)
	if n := failed.Load(); n > 0 {
		return 0, fmt.Errorf("bare bulk: %d items failed, first: %v", n, firstErr.Load())
	}
	return float64(len(arts)) / elapsed.Seconds(), nil
}

// refresh makes everything written to cfg's indices searchable.
func refresh(ctx context.Context, cfg elastic.Config) error {
	client, _, _, err := elastic.NewClient(ctx, cfg)
	if err != nil {
		return err
	}
	read, _ := elastic.Aliases(cfg)
	res, err := esapi.IndicesRefreshRequest{Index: []string{read}}.Do(ctx, client)
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.IsError() {
		return fmt.Errorf("refresh: %s", res.Status())
	}
	return nil
}

// ElasticSearchResult compares the query mix on the engine with Bleve.
type ElasticSearchResult struct {
	Articles   int         `json:"articles"`
	Rounds     int         `json:"rounds"`
	Engine     Latency     `json:"engine"`
	Bleve      Latency     `json:"bleve"`
	PerQuery   []QueryStat `json:"per_query"` // Bare* fields hold Bleve's
	Mismatches []string    `json:"mismatches,omitempty"`
}

// ElasticSearch runs the search benchmark's query mix (QueryMix, highlights
// on, as the API serves it) Rounds times against the engine store loaded
// by ElasticIndex and against store/bleve loaded with the same corpus in
// the same process, alternating the two per query, and reports both
// sides' latency percentiles and any query whose totals differ.
func ElasticSearch(ctx context.Context, cfg ElasticConfig, loaded elastic.Config) (ElasticSearchResult, error) {
	cfg.defaults()
	res := ElasticSearchResult{Articles: cfg.Articles, Rounds: cfg.Rounds}
	es, err := elastic.Open(ctx, loaded, cfg.Log)
	if err != nil {
		return res, err
	}
	defer es.Close()
	dir, err := os.MkdirTemp("", "nwbench-es-bleve-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	bl, err := sbleve.Open(dir, sbleve.Options{}, cfg.Log)
	if err != nil {
		return res, err
	}
	defer bl.Close()
	var sample []article.Article
	if err := Corpus(cfg.Seed, cfg.Articles, 1000, Short, func(b []article.Article) error {
		if sample == nil {
			sample = slices.Clone(b[:min(len(b), 50)])
		}
		return bl.Put(ctx, pointers(b))
	}); err != nil {
		return res, err
	}
	mix := QueryMix(sample)
	var esAll, blAll []time.Duration
	per := make([][2][]time.Duration, len(mix))
	totals := make([][2]int64, len(mix))
	for round := 0; round <= cfg.Rounds; round++ { // round 0 warms up
		for i, q := range mix {
			for side, st := range []store.Store{es, bl} {
				if (round+i)%2 == 1 {
					st = []store.Store{bl, es}[side]
					side = 1 - side
				}
				t0 := time.Now()
				r, err := st.Search(ctx, q.Query)
				d := time.Since(t0)
				if err != nil {
					return res, fmt.Errorf("%s: %w", q.Name, err)
				}
				totals[i][side] = r.Total
				if round == 0 {
					continue
				}
				per[i][side] = append(per[i][side], d)
				if side == 0 {
					esAll = append(esAll, d)
				} else {
					blAll = append(blAll, d)
				}
			}
		}
	}
	res.Engine, res.Bleve = Summarize(esAll), Summarize(blAll)
	for i, q := range mix {
		res.PerQuery = append(res.PerQuery, QueryStat{Name: q.Name, Kind: q.Kind, Total: totals[i][0], BareTotal: uint64(totals[i][1]),
			MedianMs: Summarize(per[i][0]).P50, BareMedianMs: Summarize(per[i][1]).P50})
		if totals[i][0] != totals[i][1] {
			res.Mismatches = append(res.Mismatches, fmt.Sprintf("%s: engine %d, bleve %d", q.Name, totals[i][0], totals[i][1]))
		}
	}
	return res, nil
}

// ElasticOutageResult is the indexer's behaviour through an engine outage.
type ElasticOutageResult struct {
	Articles        int     `json:"articles"`
	OutageSeconds   float64 `json:"outage_seconds"`    // engine stopped
	StoredAtStop    uint64  `json:"stored_at_stop"`    // indexed before the stop
	RestartSeconds  float64 `json:"restart_seconds"`   // start command to engine ready
	ResumeSeconds   float64 `json:"resume_seconds"`    // engine ready to the indexer's first write (its outage back-off)
	CatchUpSeconds  float64 `json:"catch_up_seconds"`  // engine ready to every article stored
	BeforePerSec    float64 `json:"before_per_sec"`    // indexing rate before the stop
	CatchUpPerSec   float64 `json:"catch_up_per_sec"`  // rate from the first write after the restart to the last
	FinalTotal      int64   `json:"final_total"`       // articles searchable at the end
	Lost            int64   `json:"lost"`              // Articles - FinalTotal
	DeadLettered    uint64  `json:"dead_lettered"`     // must be 0: an outage is no poison
	StoreErrorsSeen uint64  `json:"store_errors_seen"` // failed Puts the indexer retried
}

// ElasticOutage publishes OutageArticles to JetStream, runs the indexer
// into an engine store, stops the engine (StopEngine) once about a third
// is stored, keeps it down for Outage, starts it again (StartEngine) and
// measures how long the indexer takes to store the rest, checking that
// every article is there exactly once and none was dead-lettered.
func ElasticOutage(ctx context.Context, cfg ElasticConfig) (ElasticOutageResult, error) {
	cfg.defaults()
	res := ElasticOutageResult{Articles: cfg.OutageArticles}
	if cfg.StopEngine == "" || cfg.StartEngine == "" {
		return res, errors.New("outage benchmark needs the engine's stop and start commands")
	}
	var arts []article.Article
	if err := Corpus(cfg.Seed+1, cfg.OutageArticles, 1000, Short, func(b []article.Article) error {
		arts = append(arts, b...)
		return nil
	}); err != nil {
		return res, err
	}
	dir, err := os.MkdirTemp("", "nwbench-outage-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	conn, stop, err := startBus(ctx, dir, cfg.Log)
	if err != nil {
		return res, err
	}
	defer stop()
	if _, err := PublishAsync(ctx, conn, arts, 1000); err != nil {
		return res, err
	}
	scfg := cfg.storeConfig(benchPrefix("outage"))
	scfg.MaxRetries = 1 // the indexer's back-off holds the batch
	st, err := elastic.Open(ctx, scfg, cfg.Log)
	if err != nil {
		return res, err
	}
	defer func() {
		st.Close()
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		_ = elastic.Drop(dctx, scfg)
	}()
	ix, err := indexer.New(indexer.Config{}, conn, st, cfg.Log)
	if err != nil {
		return res, err
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- ix.Run(rctx) }()
	want := uint64(len(arts))
	wait := func(cond func(indexer.Stats) bool, limit time.Duration) error {
		deadline := time.Now().Add(limit)
		for !cond(ix.Stats()) {
			if time.Now().After(deadline) {
				return fmt.Errorf("indexer stats %+v after %s", ix.Stats(), limit)
			}
			select {
			case err := <-done:
				return fmt.Errorf("indexer stopped: %v", err)
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(10 * time.Millisecond):
			}
		}
		return nil
	}
	if err := wait(func(s indexer.Stats) bool { return s.Indexed >= want/3 }, 5*time.Minute); err != nil {
		return res, err
	}
	res.StoredAtStop = ix.Stats().Indexed
	res.BeforePerSec = float64(res.StoredAtStop) / time.Since(start).Seconds()
	if err := shell(ctx, cfg.StopEngine); err != nil {
		return res, fmt.Errorf("stop engine: %w", err)
	}
	down := time.Now()
	select {
	case <-time.After(cfg.Outage):
	case <-ctx.Done():
		return res, ctx.Err()
	}
	restart := time.Now()
	if err := shell(ctx, cfg.StartEngine); err != nil {
		return res, fmt.Errorf("start engine: %w", err)
	}
	ready := time.Now()
	res.OutageSeconds = ready.Sub(down).Seconds()
	res.RestartSeconds = ready.Sub(restart).Seconds()
	storedAtReady := ix.Stats().Indexed
	if err := wait(func(s indexer.Stats) bool { return s.Indexed > storedAtReady }, 5*time.Minute); err != nil {
		return res, err
	}
	resumed := time.Now()
	storedAtResume := ix.Stats().Indexed
	res.ResumeSeconds = resumed.Sub(ready).Seconds()
	if err := wait(func(s indexer.Stats) bool { return s.Indexed >= want }, 10*time.Minute); err != nil {
		return res, err
	}
	res.CatchUpSeconds = time.Since(ready).Seconds()
	res.CatchUpPerSec = float64(want-storedAtResume) / time.Since(resumed).Seconds()
	cancel()
	<-done
	s := ix.Stats()
	res.DeadLettered = s.DeadLettered
	res.StoreErrorsSeen = s.PutErrors
	if err := refresh(ctx, scfg); err != nil {
		return res, err
	}
	r, err := st.Search(ctx, store.Query{})
	if err != nil {
		return res, err
	}
	res.FinalTotal = r.Total
	res.Lost = int64(len(arts)) - r.Total
	if res.Lost != 0 || res.DeadLettered != 0 {
		return res, fmt.Errorf("after the outage the store holds %d of %d articles, %d dead-lettered", r.Total, len(arts), res.DeadLettered)
	}
	return res, nil
}

func shell(ctx context.Context, command string) error {
	cmd := exec.CommandContext(ctx, "sh", "-c", command)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd.Run()
}

// ElasticFigures turns the three results into table rows.
func ElasticFigures(ix ElasticIndexResult, se ElasticSearchResult, out *ElasticOutageResult) []Figure {
	note := fmt.Sprintf("%d queries x %d rounds, highlights on; %d queries with another total than Bleve's", len(se.PerQuery), se.Rounds, len(se.Mismatches))
	figs := []Figure{
		Compare("store/elastic Put ("+ix.Engine+")", "articles/s", HigherIsBetter, ix.StorePerSec, "bare esutil.BulkIndexer, same docs", ix.BarePerSec),
		Single("Put of the same batches again (no-ops)", "articles/s", HigherIsBetter, ix.StoreReplay, "reads only: every article is already stored"),
		withNote(Compare(fmt.Sprintf("search p50 @ %d articles", se.Articles), "ms", LowerIsBetter, se.Engine.P50, "store/bleve, same corpus and queries", se.Bleve.P50), note),
		Compare(fmt.Sprintf("search p95 @ %d articles", se.Articles), "ms", LowerIsBetter, se.Engine.P95, "store/bleve, same corpus and queries", se.Bleve.P95),
		Compare(fmt.Sprintf("search p99 @ %d articles", se.Articles), "ms", LowerIsBetter, se.Engine.P99, "store/bleve, same corpus and queries", se.Bleve.P99),
	}
	if out != nil {
		figs = append(figs,
			Single("engine outage (stopped, restarted)", "s", LowerIsBetter, out.OutageSeconds, fmt.Sprintf("%d of %d articles stored before the stop", out.StoredAtStop, out.Articles)),
			Single("engine ready -> indexer writes again", "s", LowerIsBetter, out.ResumeSeconds, "the indexer's outage back-off (indexer.Config.OutageBackOff, at most 30 s)"),
			Compare("indexer catch-up rate after the restart", "articles/s", HigherIsBetter, out.CatchUpPerSec, "indexer rate before the stop", out.BeforePerSec),
			Single("catch-up time after the engine is ready", "s", LowerIsBetter, out.CatchUpSeconds, fmt.Sprintf("%d lost, %d dead-lettered, %d failed Puts retried", out.Lost, out.DeadLettered, out.StoreErrorsSeen)),
		)
	}
	return figs
}

func withNote(f Figure, note string) Figure {
	f.Note = note
	return f
}
