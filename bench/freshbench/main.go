// Command freshbench measures freshness (make bench-freshness): how long
// after an outlet publishes an article it is searchable in newswatch's
// API. It runs the whole pipeline in this process (embedded NATS,
// crawlers with the production poll settings, indexer, Bleve, API) against
// simulated outlets on loopback that publish articles at random times (a
// Poisson process) for -duration, and reports percentiles of (searchable
// in the API - published on the outlet), beside what the polling cost
// the outlets (requests a minute, share answered 304).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"go.uber.org/zap"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/bench/suite"
	"github.com/newswatch/newswatch/crawler"
	"github.com/newswatch/newswatch/internal/backoff"
	"github.com/newswatch/newswatch/pipeline"
	"github.com/newswatch/newswatch/simsite"
	"github.com/newswatch/newswatch/simsite/simcrawl"
)

// Result is what a run measured.
type Result struct {
	Machine      suite.Machine                `json:"machine"`
	Commit       string                       `json:"commit,omitempty"`
	Started      time.Time                    `json:"started"`
	Duration     string                       `json:"duration"`
	Outlets      int                          `json:"outlets"`
	PerMinute    float64                      `json:"articles_per_minute"`
	MinInterval  string                       `json:"min_interval"`
	MaxInterval  string                       `json:"max_interval"`
	Published    int                          `json:"published"`
	Searchable   int                          `json:"searchable"`
	LatencyS     suite.Percentiles            `json:"latency_seconds"`
	ByOutlet     map[string]suite.Percentiles `json:"by_outlet"`
	ReqPerMinute map[string]float64           `json:"requests_per_minute"`
	NotModified  float64                      `json:"share_304"`
	TargetP50S   float64                      `json:"target_p50_seconds"`
	TargetP95S   float64                      `json:"target_p95_seconds"`
	Met          bool                         `json:"target_met"`
}

func main() {
	duration := flag.Duration("duration", 5*time.Minute, "how long the outlets publish")
	outlets := flag.Int("outlets", 3, "simulated outlets")
	perMinute := flag.Float64("rate", 10, "articles published a minute, over all outlets, at random times")
	minInterval := flag.Duration("min-interval", crawler.DefaultMinInterval, "the crawler's shortest poll interval (the floor)")
	maxInterval := flag.Duration("max-interval", crawler.DefaultInterval, "the crawler's longest poll interval")
	seed := flag.Uint64("seed", 1, "seed of the publishing times")
	out := flag.String("out", "bench/results", "directory for the JSON result (empty: none)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := run(ctx, *duration, *outlets, *perMinute, *minInterval, *maxInterval, *seed)
	if err != nil {
		fmt.Fprintln(os.Stderr, "freshbench:", err)
		os.Exit(1)
	}
	printTable(res)
	if *out != "" {
		name := filepath.Join(*out, fmt.Sprintf("freshness-%s-%s.json", res.Started.Format("2006-01-02"), res.Commit))
		b, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(name, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "freshbench:", err)
			os.Exit(1)
		}
		fmt.Println("wrote", name)
	}
}

func commit() string {
	b, err := exec.Command("git", "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}

// pending is an article published and not yet seen in the API.
type pending struct {
	a         simsite.Article
	id        string
	published time.Time
}

func run(ctx context.Context, duration time.Duration, outlets int, perMinute float64, minIv, maxIv time.Duration, seed uint64) (*Result, error) {
	res := &Result{Machine: suite.DescribeMachine(), Commit: commit(), Started: time.Now(), Duration: duration.String(),
		Outlets: outlets, PerMinute: perMinute, MinInterval: minIv.String(), MaxInterval: maxIv.String(),
		TargetP50S: 15, TargetP95S: 30, ByOutlet: map[string]suite.Percentiles{}, ReqPerMinute: map[string]float64{}}
	// Enough unpublished articles for the run, three times over.
	pool := int(3*perMinute*duration.Minutes()) + 20
	site, err := simsite.New(simsite.Config{Seed: int64(seed), Articles: 300 + pool, Unpublished: pool, Outlets: outlets,
		Domain: simsite.SeedDomain(int64(seed)), LiveDates: true})
	if err != nil {
		return nil, err
	}
	if err := site.Start(); err != nil {
		return nil, err
	}
	defer site.Close()
	oc := simcrawl.Outlets(site)
	for i := range oc.Outlets {
		oc.Outlets[i].Poll.MinInterval, oc.Outlets[i].Poll.MaxInterval = minIv, maxIv
	}
	dir, err := os.MkdirTemp("", "freshbench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	log := zap.NewNop()
	p, err := pipeline.Start(ctx, pipeline.Config{DataDir: dir, Listen: "127.0.0.1:0", Outlets: oc, CrawlInterval: maxIv,
		CrawlerOptions: simcrawl.Options(site), Open: true, Rate: 1e6, Burst: 1e6}, log)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	base := "http://" + p.APIAddr()
	fmt.Printf("freshbench: %d outlets, %d articles at the start; waiting until all are searchable\n", outlets, len(site.Articles()))
	if err := waitTotal(ctx, base, int64(len(site.Articles())), 3*time.Minute); err != nil {
		return nil, err
	}
	// Let the poll schedules settle from the start-up crawl.
	time.Sleep(2 * minIv)
	site.ClearRequests()
	fmt.Printf("freshbench: publishing about %.1f articles a minute at random times for %v (crawler floor %v)\n", perMinute, duration, minIv)

	var mu sync.Mutex
	var waiting []*pending
	var lat []float64
	byOutlet := map[string][]float64{}
	obsCtx, stopObs := context.WithCancel(ctx)
	defer stopObs()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the observer: every 200 ms, asks the API for each article waiting
		defer wg.Done()
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-obsCtx.Done():
				return
			case <-t.C:
			}
			mu.Lock()
			list := append([]*pending(nil), waiting...)
			mu.Unlock()
			for _, w := range list {
				if ok, err := searchable(base, w.id); err == nil && ok {
					d := time.Since(w.published).Seconds()
					mu.Lock()
					lat = append(lat, d)
					byOutlet[w.a.Outlet] = append(byOutlet[w.a.Outlet], d)
					for i, x := range waiting {
						if x == w {
							waiting = append(waiting[:i], waiting[i+1:]...)
							break
						}
					}
					mu.Unlock()
				}
			}
		}
	}()
	rng := rand.New(rand.NewPCG(seed, 0xf7e5))
	end := time.Now().Add(duration)
	published := 0
	for time.Now().Before(end) && ctx.Err() == nil {
		gap := time.Duration(rng.ExpFloat64() * 60 / perMinute * float64(time.Second))
		if !backoff.Sleep(ctx, min(gap, time.Until(end))) || time.Now().After(end) {
			break
		}
		now := time.Now()
		for _, a := range site.Publish(1) {
			id, err := article.ID(a.URL)
			if err != nil {
				return nil, err
			}
			mu.Lock()
			waiting = append(waiting, &pending{a: a, id: id, published: now})
			mu.Unlock()
			published++
		}
	}
	log2 := site.Requests()
	// What is still waiting gets two more minutes.
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); {
		mu.Lock()
		n := len(waiting)
		mu.Unlock()
		if n == 0 || !backoff.Sleep(ctx, 200*time.Millisecond) {
			break
		}
	}
	stopObs()
	wg.Wait()
	res.Published = published
	res.Searchable = len(lat)
	res.LatencyS = suite.PercentilesOf(lat)
	for o, xs := range byOutlet {
		res.ByOutlet[o] = suite.PercentilesOf(xs)
	}
	n304 := 0
	for _, r := range log2 {
		res.ReqPerMinute[r.Outlet] += 1 / duration.Minutes()
		if r.Status == http.StatusNotModified {
			n304++
		}
	}
	if len(log2) > 0 {
		res.NotModified = float64(n304) / float64(len(log2))
	}
	res.Met = res.Searchable == res.Published && res.LatencyS.P50 <= res.TargetP50S && res.LatencyS.P95 <= res.TargetP95S
	return res, nil
}

// searchable reports whether the API has the article: GET
// /v1/articles/{id} answers from the search index, as searches do.
func searchable(base, id string) (bool, error) {
	resp, err := http.Get(base + "/v1/articles/" + url.PathEscape(id))
	if err != nil {
		return false, err
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK, nil
}

func waitTotal(ctx context.Context, base string, want int64, within time.Duration) error {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/v1/search?size=0")
		if err == nil {
			var body struct{ Total int64 }
			err = json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			if err == nil && body.Total >= want {
				return nil
			}
		}
		if !backoff.Sleep(ctx, 200*time.Millisecond) {
			return ctx.Err()
		}
	}
	return fmt.Errorf("the start-up articles were not searchable within %v", within)
}

func printTable(r *Result) {
	fmt.Printf("\nmachine: %d cores (%s), %s, load average at start %s\n", r.Machine.Cores, r.Machine.CPUModel, r.Machine.GoVersion, r.Machine.LoadAvg)
	fmt.Printf("freshness: %d articles published at random times over %s on %d outlets (%.1f a minute), crawler floor %s, ceiling %s\n",
		r.Published, r.Duration, r.Outlets, r.PerMinute, r.MinInterval, r.MaxInterval)
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "\tn\tp50\tp95\tp99\tmax\t")
	row := func(name string, p suite.Percentiles) {
		fmt.Fprintf(w, "%s\t%d\t%.1f s\t%.1f s\t%.1f s\t%.1f s\t\n", name, p.N, p.P50, p.P95, p.P99, p.Max)
	}
	row("searchable - published", r.LatencyS)
	ids := make([]string, 0, len(r.ByOutlet))
	for o := range r.ByOutlet {
		ids = append(ids, o)
	}
	sort.Strings(ids)
	for _, o := range ids {
		row("  "+o, r.ByOutlet[o])
	}
	w.Flush()
	var reqs []string
	for _, o := range ids {
		reqs = append(reqs, fmt.Sprintf("%s %.1f", o, r.ReqPerMinute[o]))
	}
	fmt.Printf("requests a minute per outlet: %s; %.0f%% answered 304\n", strings.Join(reqs, ", "), 100*r.NotModified)
	verdict := "met"
	if !r.Met {
		verdict = "NOT met"
	}
	fmt.Printf("target p50 <= %.0f s, p95 <= %.0f s, every article searchable: %s (%d of %d searchable)\n",
		r.TargetP50S, r.TargetP95S, verdict, r.Searchable, r.Published)
}
