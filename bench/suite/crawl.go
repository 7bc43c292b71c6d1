package suite

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gocolly/colly/v2"
	"go.uber.org/zap"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/bus"
	"github.com/newswatch/newswatch/crawler"
	"github.com/newswatch/newswatch/crawler/extract"
	"github.com/newswatch/newswatch/simsite"
	"github.com/newswatch/newswatch/simsite/simcrawl"
)

// CrawlConfig sizes the crawl benchmark.
type CrawlConfig struct {
	// Articles on the simulated site (3 outlets). Default 600.
	Articles int
	// Seed of the simulated site. Default 1.
	Seed int64
	// Log receives the crawler's logs; nil discards them.
	Log *zap.Logger
}

// CrawlResult holds both sides of the crawl benchmark.
type CrawlResult struct {
	Articles int `json:"articles"`
	// Pipeline: one crawler.Crawl pass with the production extractor,
	// publishing every article to JetStream (embedded server, file store).
	PipelineSeconds   float64        `json:"pipeline_seconds"`
	PipelinePages     int            `json:"pipeline_pages"` // 2xx responses
	PipelineRequests  int            `json:"pipeline_requests"`
	PipelinePublished int            `json:"pipeline_published"`
	StreamMessages    uint64         `json:"stream_messages"`
	PipelineErrors    map[string]int `json:"pipeline_errors,omitempty"`
	// Bare: colly fetching the same URLs (every URL the pipeline fetched)
	// with the same per-host parallelism and delay, doing nothing with the
	// bodies.
	BareSeconds float64 `json:"bare_seconds"`
	BarePages   int     `json:"bare_pages"`
	BareErrors  int     `json:"bare_errors"`
	Parallelism int     `json:"parallelism_per_host"`
	DelayMs     float64 `json:"delay_ms"`
}

// PipelinePagesPerSec is pages (2xx responses) per second of the pipeline.
func (r CrawlResult) PipelinePagesPerSec() float64 {
	return float64(r.PipelinePages) / r.PipelineSeconds
}

// BarePagesPerSec is pages per second of the bare colly fetch.
func (r CrawlResult) BarePagesPerSec() float64 { return float64(r.BarePages) / r.BareSeconds }

// recorder is an http.RoundTripper that remembers every URL answered 2xx.
type recorder struct {
	base http.RoundTripper
	mu   sync.Mutex
	ok   []string
	seen map[string]bool
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.base.RoundTrip(req)
	if err == nil && resp.StatusCode/100 == 2 {
		r.mu.Lock()
		if u := req.URL.String(); !r.seen[u] {
			r.seen[u] = true
			r.ok = append(r.ok, u)
		}
		r.mu.Unlock()
	}
	return resp, err
}

func newTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 8 // the crawler's default transport
	return t
}

// busSink publishes crawled articles on the bus, as `newswatch run` does.
type busSink struct{ conn *bus.Conn }

func (s busSink) Publish(ctx context.Context, a *article.Article) error {
	_, err := s.conn.Publish(ctx, a)
	return err
}

// Crawl measures one crawl pass (discovery, fetch, extraction, publish to
// JetStream) over a simulated site on loopback, then a bare colly fetch of
// exactly the pages the pass fetched, with the same politeness
// (simcrawl.Outlets: per-host parallelism and delay).
func Crawl(ctx context.Context, cfg CrawlConfig) (CrawlResult, error) {
	if cfg.Articles <= 0 {
		cfg.Articles = 600
	}
	if cfg.Seed == 0 {
		cfg.Seed = 1
	}
	log := cfg.Log
	if log == nil {
		log = zap.NewNop()
	}
	res := CrawlResult{Articles: cfg.Articles}
	site, err := simsite.New(simsite.Config{Seed: cfg.Seed, Articles: cfg.Articles})
	if err != nil {
		return res, err
	}
	if err := site.Start(); err != nil {
		return res, err
	}
	defer site.Close()

	dir, err := os.MkdirTemp("", "nwbench-crawl-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	conn, stop, err := startBus(ctx, dir, log)
	if err != nil {
		return res, err
	}
	defer stop()

	ccfg := simcrawl.Outlets(site)
	res.Parallelism = ccfg.Defaults.Rate.Parallelism
	res.DelayMs = float64(ccfg.Defaults.Rate.Delay) / float64(time.Millisecond)
	rec := &recorder{base: newTransport(), seen: map[string]bool{}}
	cr, err := crawler.New(ccfg, extract.New(), busSink{conn}, log, crawler.WithTransport(rec))
	if err != nil {
		return res, err
	}
	start := time.Now()
	st, err := cr.Crawl(ctx)
	res.PipelineSeconds = time.Since(start).Seconds()
	if err != nil {
		return res, fmt.Errorf("crawl: %w", err)
	}
	res.PipelinePages = st.PagesFetched
	res.PipelineRequests = st.Requests
	res.PipelinePublished = st.ArticlesPublished
	res.PipelineErrors = st.Errors
	if si, err := conn.JetStream().Stream(ctx, bus.StreamArticles); err == nil {
		if info, err := si.Info(ctx); err == nil {
			res.StreamMessages = info.State.Msgs
		}
	}
	if st.ArticlesPublished < cfg.Articles {
		return res, fmt.Errorf("crawl published %d of %d articles (errors %v)", st.ArticlesPublished, cfg.Articles, st.Errors)
	}

	urls := rec.ok
	start = time.Now()
	pages, errs, err := BareColly(ctx, urls, res.Parallelism, ccfg.Defaults.Rate.Delay)
	res.BareSeconds = time.Since(start).Seconds()
	res.BarePages, res.BareErrors = pages, errs
	if err != nil {
		return res, err
	}
	return res, nil
}

// BareColly fetches urls with one async colly collector per host (the
// crawler's layout), parallelism and delay per host, robots.txt ignored,
// and nothing done with the bodies. It returns the 2xx responses and the
// errors.
func BareColly(ctx context.Context, urls []string, parallelism int, delay time.Duration) (pages, errs int, err error) {
	byHost := map[string][]string{}
	for _, raw := range urls {
		u, err := url.Parse(raw)
		if err != nil {
			return 0, 0, err
		}
		byHost[u.Host] = append(byHost[u.Host], raw)
	}
	var ok, failed atomic.Int64
	tr := newTransport()
	var wg sync.WaitGroup
	errc := make(chan error, len(byHost))
	for _, list := range byHost {
		c := colly.NewCollector(colly.Async(true))
		c.Context = ctx
		c.IgnoreRobotsTxt = true
		c.MaxBodySize = 0
		c.WithTransport(tr)
		if err := c.Limit(&colly.LimitRule{DomainGlob: "*", Parallelism: parallelism, Delay: delay}); err != nil {
			return 0, 0, err
		}
		c.OnResponse(func(*colly.Response) { ok.Add(1) })
		c.OnError(func(*colly.Response, error) { failed.Add(1) })
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, u := range list {
				if err := c.Visit(u); err != nil {
					errc <- fmt.Errorf("visit %s: %w", u, err)
					return
				}
			}
			c.Wait()
		}()
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		return int(ok.Load()), int(failed.Load()), err
	}
	return int(ok.Load()), int(failed.Load()), ctx.Err()
}

// CrawlFigures turns a CrawlResult into table rows.
func CrawlFigures(r CrawlResult) []Figure {
	f := Compare("crawl+extract+publish", "pages/s", HigherIsBetter, r.PipelinePagesPerSec(),
		"bare colly fetch, same pages", r.BarePagesPerSec())
	f.Note = fmt.Sprintf("%d pages (%d articles) from simsite on loopback, %d in flight per host, %.0f ms delay; ratio = share of bare fetch speed left after discovery, extraction and JetStream publish",
		r.PipelinePages, r.PipelinePublished, r.Parallelism, r.DelayMs)
	a := Single("articles published", "articles/s", HigherIsBetter, float64(r.PipelinePublished)/r.PipelineSeconds,
		"same pass, articles extracted and acked by JetStream")
	return []Figure{f, a}
}
