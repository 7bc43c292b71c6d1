package suite

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"go.uber.org/zap"

	"github.com/newswatch/newswatch/api"
	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/bleve"
)

// AbuseConfig sizes the abuse benchmark.
type AbuseConfig struct {
	Articles int           // in the index; default 30000
	Heavy    int           // concurrent clients sending worst-case queries; default 16
	Duration time.Duration // of each loaded phase; default 20s
	Idle     int           // cheap queries timed on the idle server; default 200
	Cheap    string        // the cheap query; default "Bakı"
	Seed     int64         // corpus seed; default 5
	Dir      string        // index directory; default a temporary one, removed
	Log      *zap.Logger
}

// AbuseSide is one configuration of the server under the same abuse.
type AbuseSide struct {
	Name        string         `json:"name"`
	CheapIdle   Latency        `json:"cheap_idle"`
	CheapLoaded Latency        `json:"cheap_loaded"`
	Ratio       float64        `json:"cheap_p95_loaded_over_idle"`
	CheapErrors map[string]int `json:"cheap_errors,omitempty"` // status -> count under load
	// Worst-case requests answered in the phase, by status; Unanswered
	// were still waiting when it ended.
	HeavyByStatus map[string]Latency `json:"heavy_by_status"`
	Unanswered    int                `json:"heavy_unanswered"`
	PeakRSSMiB    float64            `json:"peak_rss_mib"` // sampled during the loaded phase
	BaseRSSMiB    float64            `json:"base_rss_mib"` // before it
}

// AbuseResult is the abuse benchmark's measurements.
type AbuseResult struct {
	Machine  Machine     `json:"machine"`
	Articles int         `json:"articles"`
	Heavy    int         `json:"heavy_clients"`
	Duration float64     `json:"phase_seconds"`
	Cheap    string      `json:"cheap_query"`
	Worst    []string    `json:"worst_queries"` // first 120 characters of each
	Sides    []AbuseSide `json:"sides"`
}

// Abuse loads a realistic index, then serves it through the real API
// (api.Server.Serve on loopback) twice: with the default search limits
// and with the store's limits off (and a long deadline), as newswatch was
// before them. Each time it times a cheap query on the idle server, then
// again while Heavy clients send worst-case queries back to back: the
// issue's one prefix 256 times, the 256 commonest words OR'ed, and 256
// two-letter prefixes OR'ed. It reports the cheap query's p95 under load
// over its idle p95, what the worst-case requests got, and the RSS.
func Abuse(ctx context.Context, cfg AbuseConfig) (AbuseResult, error) {
	if cfg.Articles <= 0 {
		cfg.Articles = 30000
	}
	if cfg.Heavy <= 0 {
		cfg.Heavy = 16
	}
	if cfg.Duration <= 0 {
		cfg.Duration = 20 * time.Second
	}
	if cfg.Idle <= 0 {
		cfg.Idle = 200
	}
	if cfg.Cheap == "" {
		cfg.Cheap = "Bakı"
	}
	if cfg.Seed == 0 {
		cfg.Seed = 5
	}
	log := cfg.Log
	if log == nil {
		log = zap.NewNop()
	}
	res := AbuseResult{Machine: DescribeMachine(), Articles: cfg.Articles, Heavy: cfg.Heavy, Duration: cfg.Duration.Seconds(), Cheap: cfg.Cheap}
	dir := cfg.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "nwbench-abuse-")
		if err != nil {
			return res, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	words, err := loadAbuseIndex(ctx, dir, cfg, log)
	if err != nil {
		return res, err
	}
	worst := worstQueries(words)
	for _, q := range worst {
		res.Worst = append(res.Worst, fmt.Sprintf("%.120s (%d bytes)", q, len(q)))
	}
	off := bleve.Limits{MaxPostings: -1, MaxTermLists: -1, MaxPrefixTerms: -1, HeavyPostings: -1, MaxHeavy: -1, MaxSearches: -1, QueueWait: -1}
	for _, side := range []struct {
		name   string
		limits bleve.Limits
		api    api.Config
	}{
		{"limits on (defaults)", bleve.Limits{}, api.Config{}},
		{"limits off (as before)", off, api.Config{RequestTimeout: 10 * time.Minute}},
	} {
		s, err := abuseSide(ctx, dir, side.name, side.limits, side.api, cfg, worst, log)
		if err != nil {
			return res, fmt.Errorf("%s: %w", side.name, err)
		}
		res.Sides = append(res.Sides, s)
	}
	return res, nil
}

// loadAbuseIndex fills dir with the corpus (unless it already holds it)
// and returns the words of a sample of it, commonest first.
func loadAbuseIndex(ctx context.Context, dir string, cfg AbuseConfig, log *zap.Logger) ([]string, error) {
	st, err := bleve.Open(dir, bleve.Options{}, log)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	freq := map[string]int{}
	have, err := st.Search(ctx, store.Query{})
	if err != nil {
		return nil, err
	}
	load := have.Total != int64(cfg.Articles)
	if load && have.Total != 0 {
		return nil, fmt.Errorf("%s holds %d articles, not %d: use an empty directory", dir, have.Total, cfg.Articles)
	}
	err = Corpus(cfg.Seed, cfg.Articles, 1000, Short, func(b []article.Article) error {
		if len(freq) < 5000 {
			for _, a := range b[:min(len(b), 200)] {
				for _, w := range strings.FieldsFunc(a.Body, func(r rune) bool { return !unicode.IsLetter(r) }) {
					if len([]rune(w)) >= 3 {
						freq[strings.ToLower(w)]++
					}
				}
			}
		}
		if !load {
			return nil
		}
		return st.Put(ctx, pointers(b))
	})
	if err != nil {
		return nil, err
	}
	words := make([]string, 0, len(freq))
	for w := range freq {
		words = append(words, w)
	}
	sort.Slice(words, func(i, j int) bool {
		if freq[words[i]] != freq[words[j]] {
			return freq[words[i]] > freq[words[j]]
		}
		return words[i] < words[j]
	})
	return words, nil
}

// worstQueries are what a hostile client sends: each at most 256 terms,
// about 1-3 KB.
func worstQueries(words []string) []string {
	const n = 256
	repeat := strings.TrimSuffix(strings.Repeat("de* OR ", n), " OR ")
	common := strings.Join(words[:min(n, len(words))], " OR ")
	var prefixes []string
	seen := map[string]bool{}
	for _, w := range words {
		p := string([]rune(w)[:2])
		if !seen[p] && len(prefixes) < n {
			seen[p] = true
			prefixes = append(prefixes, p+"*")
		}
	}
	return []string{repeat, common, strings.Join(prefixes, " OR ")}
}

func abuseSide(ctx context.Context, dir, name string, limits bleve.Limits, acfg api.Config, cfg AbuseConfig, worst []string, log *zap.Logger) (AbuseSide, error) {
	out := AbuseSide{Name: name, HeavyByStatus: map[string]Latency{}, CheapErrors: map[string]int{}}
	st, err := bleve.Open(dir, bleve.Options{Limits: limits}, log)
	if err != nil {
		return out, err
	}
	defer st.Close()
	srv, err := api.New(acfg, st, log)
	if err != nil {
		return out, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return out, err
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		srv.Shutdown(sctx)
		<-served
	}()
	base := "http://" + ln.Addr().String() + "/v1/search?"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: cfg.Heavy + 4}}
	defer client.CloseIdleConnections()
	get := func(ctx context.Context, q string) (int, time.Duration, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+url.Values{"q": {q}, "size": {"10"}}.Encode(), nil)
		if err != nil {
			return 0, 0, err
		}
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, time.Since(start), err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, time.Since(start), err
	}
	cheap := func(ctx context.Context, n int, pause time.Duration, errs map[string]int) ([]time.Duration, error) {
		var ds []time.Duration
		for i := 0; n <= 0 || i < n; i++ {
			if ctx.Err() != nil {
				break
			}
			code, d, err := get(ctx, cfg.Cheap)
			switch {
			case err != nil && ctx.Err() != nil:
				return ds, nil
			case err != nil:
				return ds, err
			case code != http.StatusOK:
				errs[strconv.Itoa(code)]++
			default:
				ds = append(ds, d)
			}
			time.Sleep(pause)
		}
		return ds, nil
	}

	// Warm up, then the idle baseline.
	if _, err := cheap(ctx, 20, 0, out.CheapErrors); err != nil {
		return out, err
	}
	idle, err := cheap(ctx, cfg.Idle, 10*time.Millisecond, out.CheapErrors)
	if err != nil {
		return out, err
	}
	out.CheapIdle = Summarize(idle)
	out.BaseRSSMiB = float64(currentRSSKB()) / 1024

	// The loaded phase: Heavy clients send worst-case queries back to
	// back while the cheap query is timed as before.
	lctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	var mu sync.Mutex
	byStatus := map[string][]time.Duration{}
	var wg sync.WaitGroup
	for c := 0; c < cfg.Heavy; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := c; lctx.Err() == nil; i++ {
				code, d, err := get(lctx, worst[i%len(worst)])
				mu.Lock()
				switch {
				case err != nil && lctx.Err() != nil:
					out.Unanswered++
				case err != nil:
					byStatus["error: "+err.Error()] = append(byStatus["error: "+err.Error()], d)
				default:
					byStatus[strconv.Itoa(code)] = append(byStatus[strconv.Itoa(code)], d)
				}
				mu.Unlock()
			}
		}()
	}
	peak := make(chan int64, 1)
	go func() {
		var max int64
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			if kb := currentRSSKB(); kb > max {
				max = kb
			}
			select {
			case <-lctx.Done():
				peak <- max
				return
			case <-t.C:
			}
		}
	}()
	time.Sleep(500 * time.Millisecond) // let the abuse start
	loaded, err := cheap(lctx, 0, 10*time.Millisecond, out.CheapErrors)
	wg.Wait()
	if err != nil {
		return out, err
	}
	out.CheapLoaded = Summarize(loaded)
	for k, ds := range byStatus {
		out.HeavyByStatus[k] = Summarize(ds)
	}
	out.PeakRSSMiB = float64(<-peak) / 1024
	if out.CheapIdle.P95 > 0 {
		out.Ratio = out.CheapLoaded.P95 / out.CheapIdle.P95
	}
	if len(out.CheapErrors) == 0 {
		out.CheapErrors = nil
	}
	return out, nil
}

// currentRSSKB is the process's resident set now, 0 if unknown.
func currentRSSKB() int64 { return ProcStatusKB(0, "VmRSS") }

// AbuseTable renders the result for people.
func AbuseTable(r AbuseResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "machine: %d cores (%s), %s, load average at start %s\n", r.Machine.Cores, r.Machine.CPUModel, r.Machine.GoVersion, r.Machine.LoadAvg)
	fmt.Fprintf(&b, "index: %d articles; %d clients send worst-case queries for %.0fs beside one sending %q (10 ms apart)\n", r.Articles, r.Heavy, r.Duration, r.Cheap)
	for i, q := range r.Worst {
		fmt.Fprintf(&b, "worst %d: %s\n", i+1, q)
	}
	b.WriteString("\n")
	for _, s := range r.Sides {
		fmt.Fprintf(&b, "%s\n", s.Name)
		fmt.Fprintf(&b, "  cheap query idle     p50 %8.1f ms  p95 %8.1f ms  (%d)\n", s.CheapIdle.P50, s.CheapIdle.P95, s.CheapIdle.Samples)
		fmt.Fprintf(&b, "  cheap query loaded   p50 %8.1f ms  p95 %8.1f ms  (%d)  p95 loaded / idle = %.2fx\n", s.CheapLoaded.P50, s.CheapLoaded.P95, s.CheapLoaded.Samples, s.Ratio)
		if len(s.CheapErrors) > 0 {
			fmt.Fprintf(&b, "  cheap query errors   %v\n", s.CheapErrors)
		}
		codes := make([]string, 0, len(s.HeavyByStatus))
		for k := range s.HeavyByStatus {
			codes = append(codes, k)
		}
		sort.Strings(codes)
		for _, k := range codes {
			l := s.HeavyByStatus[k]
			fmt.Fprintf(&b, "  worst-case -> %-6s %5d answers; p50 %8.1f ms  p95 %8.1f ms  max %8.1f ms\n", k, l.Samples, l.P50, l.P95, l.Max)
		}
		fmt.Fprintf(&b, "  worst-case unanswered when the phase ended: %d\n", s.Unanswered)
		fmt.Fprintf(&b, "  RSS                  %.0f MiB before, peak %.0f MiB under load\n", s.BaseRSSMiB, s.PeakRSSMiB)
	}
	return b.String()
}
