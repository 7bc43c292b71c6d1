package suite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	bv "github.com/blevesearch/bleve/v2"
	"go.uber.org/zap"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/bus"
	"github.com/newswatch/newswatch/store"
	sbleve "github.com/newswatch/newswatch/store/bleve"
)

// SearchSize is the page size of every query in the mix.
const SearchSize = 20

// SearchQuery is one query of a mix. Its peer is bare Bleve running the
// same Bleve request the store builds for it (Twin.Request): the same
// query, filters, sort and page, loading each hit's stored article,
// without the store's cursor, page loading, decoding and highlighting.
type SearchQuery struct {
	Name  string
	Kind  string // term, phrase, boolean, filter, newest, prefix, field
	Query store.Query
}

// QueryMix returns the fixed query mix: terms, phrases, booleans, filters,
// newest-first sorting, a prefix and a fielded query, in Azerbaijani,
// Russian and English, over a corpus made by Corpus(seed, ...). Two
// phrases are leads of particular corpus articles (few hits: leads are
// unique within a simsite chunk, rarely repeated across chunks); sample
// holds a few corpus articles to take them from.
func QueryMix(sample []article.Article) []SearchQuery {
	var leadAZ, leadRU, section string
	for _, a := range sample {
		switch {
		case a.Language == "az" && leadAZ == "":
			leadAZ = a.Lead
		case a.Language == "ru" && leadRU == "":
			leadRU = a.Lead
		}
		if a.Language == "en" && section == "" {
			section = a.Section
		}
	}
	clean := strings.NewReplacer(`"`, " ", `\`, " ").Replace
	leadAZ, leadRU = clean(leadAZ), clean(leadRU)
	month := CorpusEnd.Add(-30 * 24 * time.Hour)
	end := CorpusEnd.Add(time.Minute)
	q := func(text string) store.Query { return store.Query{Text: text, Size: SearchSize} }
	mix := []SearchQuery{
		{Name: "en term", Kind: "term", Query: q("budget")},
		{Name: "az term", Kind: "term", Query: q("enerji")},
		{Name: "ru term, stemmed", Kind: "term", Query: q("бюджет")},
		{Name: "en rare term", Kind: "term", Query: q("Shamakhi")},
		{Name: "en phrase", Kind: "phrase", Query: q(`"energy corridor"`)},
		{Name: "az phrase", Kind: "phrase", Query: q(`"yeni enerji dəhlizi"`)},
		{Name: "ru phrase", Kind: "phrase", Query: q(`"проект бюджета"`)},
		{Name: "az lead phrase (rare)", Kind: "phrase", Query: q(`"` + leadAZ + `"`)},
		{Name: "ru lead phrase (rare)", Kind: "phrase", Query: q(`"` + leadRU + `"`)},
		{Name: "en boolean", Kind: "boolean", Query: q("budget AND (Caspian OR Karabakh) -tourism")},
		{Name: "az OR", Kind: "boolean", Query: q("enerji OR nəqliyyat")},
		{Name: "ru AND NOT", Kind: "boolean", Query: q("Баку AND NOT туризма")},
		{Name: "3-language boolean", Kind: "boolean", Query: q("(Bakı OR Baku OR Баку) AND (büdcə OR budget OR бюджета)")},
		{Name: "az term, lang filter", Kind: "filter", Query: store.Query{Text: "Bakı", Langs: []string{"az"}, Size: SearchSize}},
		{Name: "en term, outlet filter", Kind: "filter", Query: store.Query{Text: "budget", Outlets: []string{"caliber"}, Size: SearchSize}},
		{Name: "ru term, last 30 days", Kind: "filter", Query: store.Query{Text: "Карабаха", From: &month, To: &end, Size: SearchSize}},
		{Name: "section+lang filter only", Kind: "filter", Query: store.Query{Sections: []string{section}, Langs: []string{"en"}, Size: SearchSize}},
		{Name: "everything, newest", Kind: "newest", Query: store.Query{Sort: store.SortNewest, Size: SearchSize}},
		{Name: "en term, newest", Kind: "newest", Query: store.Query{Text: "energy", Sort: store.SortNewest, Size: SearchSize}},
		{Name: "ru term+lang, newest", Kind: "newest", Query: store.Query{Text: "Карабаха", Langs: []string{"ru"}, Sort: store.SortNewest, Size: SearchSize}},
		{Name: "prefix", Kind: "prefix", Query: q("invest*")},
		{Name: "title field", Kind: "field", Query: q("title:Azerbaijan")},
	}
	return mix
}

// SearchConfig sizes the search benchmark.
type SearchConfig struct {
	// Articles in the index. Default 100000.
	Articles int
	// Rounds over the query mix, after one warm-up round. Default 10.
	Rounds int
	// Batch is the store.Put batch size of the load. Default 1000.
	Batch int
	// Seed of the corpus. Default 5.
	Seed int64
	// Dir, when set, keeps the index there instead of a temporary
	// directory removed at the end.
	Dir string
	Log *zap.Logger
}

// Latency summarises query times in milliseconds.
type Latency struct {
	Samples int     `json:"samples"`
	P50     float64 `json:"p50_ms"`
	P95     float64 `json:"p95_ms"`
	P99     float64 `json:"p99_ms"`
	Mean    float64 `json:"mean_ms"`
	Max     float64 `json:"max_ms"`
}

// Summarize computes percentiles (nearest rank) of durations.
func Summarize(ds []time.Duration) Latency {
	if len(ds) == 0 {
		return Latency{}
	}
	ms := make([]float64, len(ds))
	var sum float64
	for i, d := range ds {
		ms[i] = float64(d.Nanoseconds()) / 1e6
		sum += ms[i]
	}
	sort.Float64s(ms)
	rank := func(p float64) float64 {
		k := int(float64(len(ms))*p+0.999999) - 1
		return ms[min(max(k, 0), len(ms)-1)]
	}
	return Latency{Samples: len(ms), P50: rank(0.50), P95: rank(0.95), P99: rank(0.99), Mean: sum / float64(len(ms)), Max: ms[len(ms)-1]}
}

// QueryStat is one query of the mix on both sides.
type QueryStat struct {
	Name         string  `json:"name"`
	Kind         string  `json:"kind"`
	Total        int64   `json:"total"`
	BareTotal    uint64  `json:"bare_total"`
	MedianMs     float64 `json:"median_ms"`
	BareMedianMs float64 `json:"bare_median_ms"`
}

// SearchResult holds the search benchmark's measurements.
type SearchResult struct {
	Articles    int         `json:"articles"`
	LoadSeconds float64     `json:"load_seconds"`
	LoadPerSec  float64     `json:"load_per_sec"`
	IndexBytes  int64       `json:"index_bytes"`
	JSONBytes   int64       `json:"json_bytes"` // the articles as JSON Article v1
	Queries     int         `json:"queries"`
	Rounds      int         `json:"rounds"`
	Store       Latency     `json:"store"`
	Bare        Latency     `json:"bare"`
	PerQuery    []QueryStat `json:"per_query"`
	PeakRSSKB   int64       `json:"peak_rss_kb"`
	// SettleSeconds is the wait for background merges after the load;
	// Segments the index's file segments then.
	SettleSeconds float64 `json:"settle_seconds"`
	// Mismatches names the queries whose hit count differs between the
	// store and the bare query (the peer then does different work).
	Mismatches   []string `json:"mismatches,omitempty"`
	Segments     int      `json:"segments"`
	HighlightsOn bool     `json:"highlights_on"`
}

// Search loads Articles synthetic articles into store/bleve with Put,
// measures the index on disk, then runs the query mix Rounds times through
// store.Search (highlights on, as the API serves it) and through bare Bleve
// on the same index files, and reports latency percentiles of both and
// the process's peak RSS.
func Search(ctx context.Context, cfg SearchConfig) (SearchResult, error) {
	if cfg.Articles <= 0 {
		cfg.Articles = 100000
	}
	if cfg.Rounds <= 0 {
		cfg.Rounds = 10
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 1000
	}
	if cfg.Seed == 0 {
		cfg.Seed = 5
	}
	log := cfg.Log
	if log == nil {
		log = zap.NewNop()
	}
	res := SearchResult{Articles: cfg.Articles, Rounds: cfg.Rounds, HighlightsOn: true}
	dir := cfg.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "nwbench-search-")
		if err != nil {
			return res, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	st, err := sbleve.Open(dir, sbleve.Options{}, log)
	if err != nil {
		return res, err
	}
	var sample []article.Article
	start := time.Now()
	err = Corpus(cfg.Seed, cfg.Articles, cfg.Batch, Short, func(b []article.Article) error {
		if sample == nil {
			sample = slices.Clone(b[:min(len(b), 50)])
		}
		for i := range b {
			body, err := bus.Encode(&b[i])
			if err != nil {
				return err
			}
			res.JSONBytes += int64(len(body))
		}
		return st.Put(ctx, pointers(b))
	})
	res.LoadSeconds = time.Since(start).Seconds()
	res.LoadPerSec = float64(cfg.Articles) / res.LoadSeconds
	if err != nil {
		st.Close()
		return res, fmt.Errorf("load: %w", err)
	}
	all, err := st.Search(ctx, store.Query{})
	if err != nil {
		st.Close()
		return res, err
	}
	if all.Total != int64(cfg.Articles) {
		st.Close()
		return res, fmt.Errorf("index holds %d articles, want %d", all.Total, cfg.Articles)
	}

	if err := st.Close(); err != nil {
		return res, err
	}
	path := filepath.Join(dir, sbleve.IndexDirName)
	if res.SettleSeconds, res.Segments, err = settle(path, 2*time.Minute); err != nil {
		return res, err
	}
	if res.IndexBytes, err = DirSize(dir); err != nil {
		return res, err
	}

	// Rounds alternate between the store and bare Bleve, each opening the
	// index afresh, so that drifting machine load hits both alike; round 0
	// of each warms up and is not counted.
	mix := QueryMix(sample)
	res.Queries = len(mix)
	twin, err := NewTwin()
	if err != nil {
		return res, err
	}
	defer twin.Close()
	qs := make([]StoreQuery, len(mix))
	for i, q := range mix {
		qs[i] = StoreQuery{Name: q.Name, Kind: q.Kind, Query: q.Query}
	}
	rr, err := runRounds(ctx, dir, twin, qs, cfg.Rounds, log)
	if err != nil {
		return res, err
	}
	res.Store, res.Bare, res.PerQuery, res.Mismatches = rr.store, rr.bare, rr.stats, rr.mismatches
	res.PeakRSSKB = PeakRSSKB()
	return res, nil
}

// settle opens the Bleve index at path and waits until its background
// merges have finished (no in-memory segments and the same number of file
// segments for two seconds), at most limit; it returns the wait and the
// segments left.
func settle(path string, limit time.Duration) (float64, int, error) {
	idx, err := bv.Open(path)
	if err != nil {
		return 0, 0, fmt.Errorf("open bare: %w", err)
	}
	defer idx.Close()
	start := time.Now()
	count := func() (mem, file int) {
		m, _ := idx.StatsMap()["index"].(map[string]interface{})
		num := func(k string) int {
			switch v := m[k].(type) {
			case uint64:
				return int(v)
			case int:
				return v
			case float64:
				return int(v)
			}
			return -1
		}
		return num("num_root_memorysegments"), num("num_root_filesegments")
	}
	_, last := count()
	stable := time.Now()
	for time.Since(start) < limit {
		time.Sleep(200 * time.Millisecond)
		mem, file := count()
		if file != last || mem != 0 {
			last, stable = file, time.Now()
			continue
		}
		if time.Since(stable) >= 2*time.Second {
			break
		}
	}
	return time.Since(start).Seconds(), last, nil
}

// SearchFigures turns a SearchResult into table rows.
func SearchFigures(r SearchResult) []Figure {
	n := fmt.Sprintf("%dk articles", r.Articles/1000)
	if r.Articles >= 1_000_000 && r.Articles%1_000_000 == 0 {
		n = fmt.Sprintf("%dM articles", r.Articles/1_000_000)
	}
	peer := "bare Bleve, same index+query"
	note := fmt.Sprintf("%d synthetic az/ru/en articles (%.1f KB JSON each); %d queries x %d rounds = %d samples per side (terms, phrases, booleans, filters, newest, prefix), %d hits with highlights; peer: bare Bleve running the Bleve request the store builds (same query, filters, sort, page, stored article loaded), without the store's page loading, decoding and highlights",
		r.Articles, float64(r.JSONBytes)/float64(max(r.Articles, 1))/1000, r.Queries, r.Rounds, r.Store.Samples, SearchSize)
	if len(r.Mismatches) > 0 {
		note += fmt.Sprintf("; hit counts differ on %d queries: %s", len(r.Mismatches), strings.Join(r.Mismatches, ", "))
	}
	p50 := Compare("search p50 @ "+n, "ms", LowerIsBetter, r.Store.P50, peer, r.Bare.P50)
	p50.Note = note
	p95 := Compare("search p95 @ "+n, "ms", LowerIsBetter, r.Store.P95, peer, r.Bare.P95)
	p99 := Compare("search p99 @ "+n, "ms", LowerIsBetter, r.Store.P99, peer, r.Bare.P99)
	size := Compare("index size on disk", "MiB", LowerIsBetter, float64(r.IndexBytes)/(1<<20),
		"the articles as JSON", float64(r.JSONBytes)/(1<<20))
	size.Note = "Bleve index directory after Close vs the JSON Article v1 bytes it holds"
	load := Single("load with store Put", "articles/s", HigherIsBetter, r.LoadPerSec,
		fmt.Sprintf("building the %s index, batches of 1000", n))
	rss := Single("peak RSS, search process", "MiB", LowerIsBetter, float64(r.PeakRSSKB)/1024,
		"getrusage maxrss of the process that generated, loaded and queried the index")
	return []Figure{p50, p95, p99, size, load, rss}
}
