package suite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	bv "github.com/blevesearch/bleve/v2"
	"go.uber.org/zap"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/bus"
	"github.com/newswatch/newswatch/store"
	sbleve "github.com/newswatch/newswatch/store/bleve"
)

// StoreQuery is one request of the realistic mix: a search, or (Aggs set)
// an aggregation.
type StoreQuery struct {
	Name  string
	Kind  string // entity, topic, phrase, boolean, filter, newest, prefix, aggregation
	Query store.Query
	Aggs  *store.Aggregations
}

// RealisticMix is the query mix of the realistic corpus c, ending at end:
// the requests analysts make - named entities of every frequency (the
// capital, a mid-ranked person, a rare organisation), inflected forms,
// topic words, names as phrases, booleans, filters, newest first, and
// counts over time and top outlets - in the three languages.
func RealisticMix(c *Realistic) []StoreQuery {
	az, ru, en := c.langs[0], c.langs[1], c.langs[2]
	name := func(l *rlang, k int) string { return strings.Join(l.entities[k].words, " ") }
	// A person (two words) near rank k, for phrases.
	person := func(l *rlang, k int) string {
		for ; k < len(l.entities); k++ {
			if len(l.entities[k].words) == 2 {
				return `"` + name(l, k) + `"`
			}
		}
		return name(l, 0)
	}
	topic := func(l *rlang, t, k int) string { return l.topics[t][k] }
	q := func(text string) store.Query { return store.Query{Text: text, Size: SearchSize} }
	month := RealisticEnd.Add(-30 * 24 * time.Hour)
	quarter := RealisticEnd.Add(-90 * 24 * time.Hour)
	end := RealisticEnd.Add(time.Minute)
	baku := time.FixedZone("+04", 4*3600)
	if loc, err := time.LoadLocation("Asia/Baku"); err == nil {
		baku = loc
	}
	return []StoreQuery{
		{Name: "az capital", Kind: "entity", Query: q(name(az, 0))},
		{Name: "ru capital", Kind: "entity", Query: q(name(ru, 0))},
		{Name: "en capital", Kind: "entity", Query: q(name(en, 0))},
		{Name: "az city, locative", Kind: "entity", Query: q(name(az, 1) + "da")},
		{Name: "ru region, genitive", Kind: "entity", Query: q(name(ru, 8) + "а")},
		{Name: "az entity rank 120", Kind: "entity", Query: q(name(az, 120))},
		{Name: "ru entity rank 400", Kind: "entity", Query: q(name(ru, 400))},
		{Name: "en entity rank 2000", Kind: "entity", Query: q(name(en, 2000))},
		{Name: "az topic word", Kind: "topic", Query: q(topic(az, 1, 15))},
		{Name: "ru topic word, inflected", Kind: "topic", Query: q(topic(ru, 2, 30) + "ом")},
		{Name: "en topic word", Kind: "topic", Query: q(topic(en, 3, 25) + "s")},
		{Name: "az person phrase", Kind: "phrase", Query: q(person(az, 30))},
		{Name: "ru person phrase", Kind: "phrase", Query: q(person(ru, 200))},
		{Name: "en person phrase", Kind: "phrase", Query: q(person(en, 60))},
		{Name: "az entity AND topic", Kind: "boolean", Query: q(name(az, 0) + " " + topic(az, 1, 5))},
		{Name: "ru entity OR entity", Kind: "boolean", Query: q(name(ru, 3) + " OR " + name(ru, 9))},
		{Name: "3-language entity", Kind: "boolean", Query: q(name(az, 2) + " OR " + name(ru, 2) + " OR " + name(en, 2))},
		{Name: "en entity -topic", Kind: "boolean", Query: q(name(en, 5) + " -" + topic(en, 0, 3))},
		{Name: "az entity, lang filter", Kind: "filter", Query: store.Query{Text: name(az, 4), Langs: []string{"az"}, Size: SearchSize}},
		{Name: "ru topic, outlet filter", Kind: "filter", Query: store.Query{Text: topic(ru, 0, 10), Outlets: []string{c.outlets[1]}, Size: SearchSize}},
		{Name: "az entity, last 30 days", Kind: "filter", Query: store.Query{Text: name(az, 8), From: &month, To: &end, Size: SearchSize}},
		{Name: "section+lang only", Kind: "filter", Query: store.Query{Sections: []string{en.sections[4]}, Langs: []string{"en"}, Size: SearchSize}},
		{Name: "everything, newest", Kind: "newest", Query: store.Query{Sort: store.SortNewest, Size: SearchSize}},
		{Name: "az entity, newest", Kind: "newest", Query: store.Query{Text: name(az, 0), Sort: store.SortNewest, Size: SearchSize}},
		{Name: "ru topic+lang, newest", Kind: "newest", Query: store.Query{Text: topic(ru, 5, 8), Langs: []string{"ru"}, Sort: store.SortNewest, Size: SearchSize}},
		{Name: "en prefix", Kind: "prefix", Query: q(topic(en, 6, 12)[:5] + "*")},
		{Name: "az entity, days in Baku, 90 days", Kind: "aggregation",
			Query: store.Query{Text: name(az, 0), From: &quarter, To: &end},
			Aggs:  &store.Aggregations{Histogram: &store.Histogram{Interval: store.IntervalDay, Location: baku}}},
		{Name: "ru topic, weeks by outlet", Kind: "aggregation",
			Query: store.Query{Text: topic(ru, 2, 30)},
			Aggs:  &store.Aggregations{Histogram: &store.Histogram{Interval: store.IntervalWeek, Location: baku, Split: store.FacetOutlet}}},
		{Name: "en entity, top outlets+sections", Kind: "aggregation",
			Query: store.Query{Text: name(en, 1)},
			Aggs:  &store.Aggregations{Top: []string{store.FacetOutlet, store.FacetSection}}},
		{Name: "az last 30 days, top authors", Kind: "aggregation",
			Query: store.Query{Langs: []string{"az"}, From: &month, To: &end},
			Aggs:  &store.Aggregations{Top: []string{store.FacetAuthor}}},
	}
}

// DenseMix is today's query mix (QueryMix over the simsite corpus) as
// StoreQuery values.
func DenseMix(sample []article.Article) []StoreQuery {
	var out []StoreQuery
	for _, q := range QueryMix(sample) {
		out = append(out, StoreQuery{Name: q.Name, Kind: q.Kind, Query: q.Query})
	}
	return out
}

// StoreConfig sizes the store benchmark.
type StoreConfig struct {
	// Articles of the realistic corpus. Default 100000.
	Articles int
	// DenseArticles of simsite's corpus for today's dense mix. Default
	// 30000; negative: none.
	DenseArticles int
	// Rounds over each mix after a warm-up round. Default 5.
	Rounds int
	// IndexSample is how many articles the side-by-side indexing
	// comparison (store Put vs bare Bleve) indexes on each side. Default
	// 20000.
	IndexSample int
	// Seed of the corpora. Default 7.
	Seed int64
	Log  *zap.Logger
	// Progress, when set, is told what the benchmark is doing.
	Progress func(string)
}

// MixResult is one mix run on both sides.
type MixResult struct {
	Corpus     string      `json:"corpus"`
	Articles   int         `json:"articles"`
	JSONBytes  int64       `json:"json_bytes"`
	IndexBytes int64       `json:"index_bytes"`
	LoadPerSec float64     `json:"load_per_sec"`
	Store      Latency     `json:"store"`
	Bare       Latency     `json:"bare"`
	PerQuery   []QueryStat `json:"per_query"`
	Mismatches []string    `json:"mismatches,omitempty"`
}

// StoreResult holds the store benchmark's measurements.
type StoreResult struct {
	Realistic MixResult  `json:"realistic"`
	Dense     *MixResult `json:"dense,omitempty"`
	// Side by side on the first IndexSample realistic articles.
	IndexSample   int     `json:"index_sample"`
	PutPerSec     float64 `json:"put_per_sec"`
	BarePerSec    float64 `json:"bare_per_sec"`
	PeakRSSKB     int64   `json:"peak_rss_kb"`
	SettleSeconds float64 `json:"settle_seconds"`
}

// Store measures store/bleve on the realistic corpus (and on simsite's
// dense corpus): indexing with Put beside bare Bleve batches of the same
// documents, the index size beside the JSON, and the latency of the mixes
// beside bare Bleve running the same Bleve requests on the same index.
func Store(ctx context.Context, cfg StoreConfig) (StoreResult, error) {
	if cfg.Articles <= 0 {
		cfg.Articles = 100000
	}
	if cfg.DenseArticles == 0 {
		cfg.DenseArticles = 30000
	}
	if cfg.Rounds <= 0 {
		cfg.Rounds = 5
	}
	if cfg.IndexSample <= 0 {
		cfg.IndexSample = 20000
	}
	cfg.IndexSample = min(cfg.IndexSample, cfg.Articles)
	if cfg.Seed == 0 {
		cfg.Seed = 7
	}
	if cfg.Log == nil {
		cfg.Log = zap.NewNop()
	}
	say := func(format string, a ...any) {
		if cfg.Progress != nil {
			cfg.Progress(fmt.Sprintf(format, a...))
		}
	}
	var res StoreResult
	dir, err := os.MkdirTemp("", "nwbench-store-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	twin, err := NewTwin()
	if err != nil {
		return res, err
	}
	defer twin.Close()
	real := NewRealistic(cfg.Seed)

	// Indexing side by side, twice each in opposite orders, best rate.
	res.IndexSample = cfg.IndexSample
	var sample []article.Article
	if err := real.Articles(cfg.IndexSample, 1000, func(b []article.Article) error {
		sample = append(sample, b...)
		return nil
	}); err != nil {
		return res, err
	}
	say("indexing %d realistic articles with Put and with bare Bleve, twice each", len(sample))
	for run := 0; run < 2; run++ {
		sides := []func() error{
			func() error {
				path := filepath.Join(dir, fmt.Sprintf("bare%d.bleve", run))
				rate, err := BareIndex(path, twin, sample, 1000)
				res.BarePerSec = max(res.BarePerSec, rate)
				return errors.Join(err, os.RemoveAll(path))
			},
			func() error {
				path := filepath.Join(dir, fmt.Sprintf("put%d", run))
				st, err := sbleve.Open(path, sbleve.Options{}, cfg.Log)
				if err != nil {
					return err
				}
				rate, err := StorePut(ctx, st, sample, 1000)
				res.PutPerSec = max(res.PutPerSec, rate)
				return errors.Join(err, st.Close(), os.RemoveAll(path))
			},
		}
		if run == 1 {
			sides[0], sides[1] = sides[1], sides[0]
		}
		for _, side := range sides {
			if err := side(); err != nil {
				return res, fmt.Errorf("indexing: %w", err)
			}
		}
	}
	sample = nil

	say("loading %d realistic articles", cfg.Articles)
	mr, err := runMix(ctx, cfg, twin, filepath.Join(dir, "realistic"), "realistic", cfg.Articles,
		func(fn func([]article.Article) error) error { return real.Articles(cfg.Articles, 1000, fn) },
		func([]article.Article) []StoreQuery { return RealisticMix(real) }, say, &res.SettleSeconds)
	res.Realistic = mr
	if err != nil {
		return res, err
	}
	if cfg.DenseArticles > 0 {
		say("loading %d dense (simsite) articles", cfg.DenseArticles)
		var settle float64
		dr, err := runMix(ctx, cfg, twin, filepath.Join(dir, "dense"), "dense", cfg.DenseArticles,
			func(fn func([]article.Article) error) error {
				return Corpus(cfg.Seed, cfg.DenseArticles, 1000, Short, fn)
			},
			DenseMix, say, &settle)
		res.Dense = &dr
		if err != nil {
			return res, err
		}
	}
	res.PeakRSSKB = PeakRSSKB()
	return res, nil
}

// runMix loads a corpus into a store under dir, measures it, and runs the
// mix made from its first articles on the store and on bare Bleve.
func runMix(ctx context.Context, cfg StoreConfig, twin *Twin, dir, corpus string, n int,
	gen func(func([]article.Article) error) error, mix func([]article.Article) []StoreQuery,
	say func(string, ...any), settleSeconds *float64) (MixResult, error) {
	res := MixResult{Corpus: corpus, Articles: n}
	st, err := sbleve.Open(dir, sbleve.Options{}, cfg.Log)
	if err != nil {
		return res, err
	}
	var first []article.Article
	start := time.Now()
	last := start
	loaded := 0
	err = gen(func(b []article.Article) error {
		if first == nil {
			first = append([]article.Article(nil), b[:min(len(b), 50)]...)
		}
		for i := range b {
			body, err := bus.Encode(&b[i])
			if err != nil {
				return err
			}
			res.JSONBytes += int64(len(body))
		}
		loaded += len(b)
		if time.Since(last) > 30*time.Second {
			last = time.Now()
			say("  %d/%d loaded, %.0f articles/s", loaded, n, float64(loaded)/time.Since(start).Seconds())
		}
		return st.Put(ctx, ptrs(b))
	})
	res.LoadPerSec = float64(loaded) / time.Since(start).Seconds() // of what was loaded, if interrupted
	if err != nil {
		st.Close()
		return res, fmt.Errorf("load %s: %w", corpus, err)
	}
	if err := st.Close(); err != nil {
		return res, err
	}
	path := filepath.Join(dir, sbleve.IndexDirName)
	if *settleSeconds, _, err = settle(path, 5*time.Minute); err != nil {
		return res, err
	}
	if res.IndexBytes, err = DirSize(dir); err != nil {
		return res, err
	}
	say("  %s: %d articles, %.0f articles/s, index %.2fx the JSON", corpus, n, res.LoadPerSec, float64(res.IndexBytes)/float64(res.JSONBytes))

	rr, err := runRounds(ctx, dir, twin, mix(first), cfg.Rounds, cfg.Log)
	if err != nil {
		return res, fmt.Errorf("%s: %w", corpus, err)
	}
	res.Store, res.Bare, res.PerQuery, res.Mismatches = rr.store, rr.bare, rr.stats, rr.mismatches
	return res, nil
}

// rounds are the latencies of a mix on both sides.
type rounds struct {
	store, bare Latency
	stats       []QueryStat
	mismatches  []string
}

// runRounds runs the mix on the store index under dir, then on bare Bleve
// opening the same index files, rounds times after a warm-up round. Rounds
// alternate between the sides, each opening the index afresh, so that
// drifting machine load hits both alike.
func runRounds(ctx context.Context, dir string, twin *Twin, qs []StoreQuery, n int, log *zap.Logger) (rounds, error) {
	var res rounds
	path := filepath.Join(dir, sbleve.IndexDirName)
	stats := make([]QueryStat, len(qs))
	storeQ := make([][]time.Duration, len(qs))
	bareQ := make([][]time.Duration, len(qs))
	var storeAll, bareAll []time.Duration
	for round := 0; round <= n; round++ {
		st, err := sbleve.Open(dir, sbleve.Options{}, log)
		if err != nil {
			return res, err
		}
		for i, q := range qs {
			t := time.Now()
			var total int64
			if q.Aggs != nil {
				r, err := st.Aggregate(ctx, q.Query, *q.Aggs)
				if err != nil {
					st.Close()
					return res, fmt.Errorf("%q: %w", q.Name, err)
				}
				total = r.Total
			} else {
				r, err := st.Search(ctx, q.Query)
				if err != nil {
					st.Close()
					return res, fmt.Errorf("%q: %w", q.Name, err)
				}
				total = r.Total
			}
			d := time.Since(t)
			stats[i].Name, stats[i].Kind, stats[i].Total = q.Name, q.Kind, total
			if round > 0 {
				storeAll = append(storeAll, d)
				storeQ[i] = append(storeQ[i], d)
			}
		}
		if err := st.Close(); err != nil {
			return res, err
		}
		idx, err := bv.Open(path)
		if err != nil {
			return res, fmt.Errorf("open bare: %w", err)
		}
		for i, q := range qs {
			req, err := bareRequest(twin, q)
			if err != nil {
				idx.Close()
				return res, fmt.Errorf("bare %q: %w", q.Name, err)
			}
			t := time.Now()
			r, err := idx.SearchInContext(ctx, req)
			d := time.Since(t)
			if err != nil {
				idx.Close()
				return res, fmt.Errorf("bare %q: %w", q.Name, err)
			}
			stats[i].BareTotal = r.Total
			if round > 0 {
				bareAll = append(bareAll, d)
				bareQ[i] = append(bareQ[i], d)
			}
		}
		if err := idx.Close(); err != nil {
			return res, err
		}
	}
	res.store, res.bare = Summarize(storeAll), Summarize(bareAll)
	for i := range stats {
		stats[i].MedianMs = Summarize(storeQ[i]).P50
		stats[i].BareMedianMs = Summarize(bareQ[i]).P50
		if stats[i].Total != int64(stats[i].BareTotal) {
			res.mismatches = append(res.mismatches, stats[i].Name)
		}
	}
	res.stats = stats
	return res, nil
}

// bareRequest is the peer of q: for a search, the Bleve request the store
// builds; for an aggregation, the same query counted by Bleve's own terms
// facets (outlet for histograms - one doc value per matching article, as
// the store's date key - and the asked facets for top values).
func bareRequest(twin *Twin, q StoreQuery) (*bv.SearchRequest, error) {
	if q.Aggs == nil {
		return twin.Request(q.Query)
	}
	qq := q.Query
	qq.Size, qq.Sort, qq.Cursor = 0, "", ""
	req, err := twin.Request(qq)
	if err != nil {
		return nil, err
	}
	req.Fields = nil
	req.Score = bv.ScoreNone
	facets := q.Aggs.Top
	if q.Aggs.Histogram != nil {
		facets = append([]string{store.FacetOutlet}, facets...)
	}
	for _, f := range facets {
		req.AddFacet(f, bv.NewFacetRequest("facet_"+f, store.TopSizeOr(q.Aggs.TopSize)))
	}
	return req, nil
}

func ptrs(arts []article.Article) []*article.Article {
	out := make([]*article.Article, len(arts))
	for i := range arts {
		out[i] = &arts[i]
	}
	return out
}

// StoreFigures turns a StoreResult into table rows: item 5 of issue 11.
func StoreFigures(r StoreResult) []Figure {
	size := func(n int) string {
		if n >= 1_000_000 && n%1_000_000 == 0 {
			return fmt.Sprintf("%dM", n/1_000_000)
		}
		return fmt.Sprintf("%dk", n/1000)
	}
	var out []Figure
	peer := "bare Bleve, same index+request"
	for _, m := range []*MixResult{&r.Realistic, r.Dense} {
		if m == nil {
			continue
		}
		at := fmt.Sprintf(" @ %s %s", size(m.Articles), m.Corpus)
		p50 := Compare("search p50"+at, "ms", LowerIsBetter, m.Store.P50, peer, m.Bare.P50)
		p50.Note = fmt.Sprintf("%d queries x %d rounds = %d samples per side, %d hits with highlights; aggregations' peer: the same query with Bleve's terms facets",
			len(m.PerQuery), m.Store.Samples/max(len(m.PerQuery), 1), m.Store.Samples, SearchSize)
		if len(m.Mismatches) > 0 {
			p50.Note += "; totals differ on: " + strings.Join(m.Mismatches, ", ")
		}
		out = append(out, p50,
			Compare("search p95"+at, "ms", LowerIsBetter, m.Store.P95, peer, m.Bare.P95),
			Compare("search p99"+at, "ms", LowerIsBetter, m.Store.P99, peer, m.Bare.P99))
		sz := Compare("index size"+at, "MiB", LowerIsBetter, float64(m.IndexBytes)/(1<<20), "the articles as JSON", float64(m.JSONBytes)/(1<<20))
		sz.Note = fmt.Sprintf("after Close and merges; %.1f KB JSON per article", float64(m.JSONBytes)/float64(max(m.Articles, 1))/1000)
		out = append(out, sz, Single("load with Put"+at, "articles/s", HigherIsBetter, m.LoadPerSec, "whole corpus, batches of 1000"))
	}
	put := Compare(fmt.Sprintf("store Put, %s realistic", size(r.IndexSample)), "articles/s", HigherIsBetter, r.PutPerSec,
		"bare Bleve batches, same docs+mapping", r.BarePerSec)
	put.Note = "best of two runs each, alternating; batches of 1000"
	out = append(out, put, Single("peak RSS", "MiB", LowerIsBetter, float64(r.PeakRSSKB)/1024, "the benchmark process"))
	return out
}
