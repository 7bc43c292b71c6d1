// Package crawler discovers and fetches articles from news outlets with
// Colly: one collector per outlet and pass, robots.txt obeyed, per-host
// parallelism and delays, retries with Retry-After and back-off. It
// discovers article URLs from RSS/Atom feeds, sitemaps (indexes, Google
// News, gzipped or not) and paginated listing pages, hands each article
// page (raw bytes and headers) to the extractor and publishes the result
// to a Sink. Outlets are described by a YAML file (LoadConfig) that is
// validated with file and line for every problem.
//
//	cfg, err := crawler.LoadConfig("outlets.yaml")    // *ValidationError lists problems
//	c, err := crawler.New(cfg, extract.New(), sink, log)
//	stats, err := c.Crawl(ctx)                         // one pass over every outlet
//	err = c.Run(ctx, 5*time.Minute)                    // passes until ctx is done
//
// Within a pass an article is fetched once per canonical URL (tracking
// parameters folded by article.Canonicalize) and published once per
// article ID. Fetch, parse and extraction failures are counted in Stats,
// never fatal.
package crawler

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"regexp"
	"sort"
	"sync"
	"time"

	"github.com/andybalholm/cascadia"
	"go.uber.org/zap"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/crawler/extract"
)

// Sink receives every article a pass extracts. The bus publisher
// satisfies it. Publish must be safe for concurrent use.
type Sink interface {
	Publish(ctx context.Context, a *article.Article) error
}

// SinkFunc adapts a function to Sink, e.g. the bus publisher:
//
//	crawler.SinkFunc(func(ctx context.Context, a *article.Article) error {
//		_, err := conn.Publish(ctx, a)
//		return err
//	})
type SinkFunc func(ctx context.Context, a *article.Article) error

// Publish implements Sink.
func (f SinkFunc) Publish(ctx context.Context, a *article.Article) error { return f(ctx, a) }

var _ Sink = SinkFunc(nil)

// ExtractFunc turns a fetched page into an Article; (*extract.Extractor).Extract
// is the production one.
type ExtractFunc func(ctx context.Context, in extract.Input) (*article.Article, error)

// ErrUnknownOutlet is returned by CrawlOutlet for an ID not in the config.
var ErrUnknownOutlet = errors.New("unknown outlet")

// Option configures a Crawler.
type Option func(*Crawler)

// WithExtractFunc replaces the extractor (tests; alternative extractors).
func WithExtractFunc(f ExtractFunc) Option { return func(c *Crawler) { c.extract = f } }

// WithTransport sets the HTTP transport every outlet's collector uses
// (default: a clone of http.DefaultTransport).
func WithTransport(rt http.RoundTripper) Option { return func(c *Crawler) { c.transport = rt } }

// WithOnPass registers a function called with the Stats of every finished
// pass over one outlet (for metrics and outlet health).
func WithOnPass(f func(Stats)) Option { return func(c *Crawler) { c.onPass = f } }

// WithProgress registers a function called during passes with a snapshot
// of the pass's Stats (at most every 100ms, and once at the end), e.g. to
// drive a progress bar: ArticlesDone of Discovered. It is called from the
// crawl goroutines and must not block.
func WithProgress(f func(Stats)) Option { return func(c *Crawler) { c.onProgress = f } }

// Crawler crawls the outlets of a Config. It is safe for concurrent use;
// passes over the same outlet should not overlap (Run never overlaps them).
type Crawler struct {
	outlets    []*outlet
	extract    ExtractFunc
	sink       Sink
	log        *zap.Logger
	transport  http.RoundTripper
	onPass     func(Stats)
	onProgress func(Stats)

	mu   sync.Mutex
	last map[string]Stats
}

// outlet is an OutletConfig prepared for crawling.
type outlet struct {
	cfg       OutletConfig
	loc       *time.Location
	hosts     hostSet
	articleRe *regexp.Regexp
	excludeRe *regexp.Regexp
	next      cascadia.Selector
	log       *zap.Logger
	gates     *hostGates
	docs      *docCache
}

// New prepares a Crawler for the outlets of cfg, which must be valid. ex
// extracts articles unless WithExtractFunc is given; sink receives them;
// log may be nil.
func New(cfg *Config, ex *extract.Extractor, sink Sink, log *zap.Logger, opts ...Option) (*Crawler, error) {
	if cfg == nil {
		return nil, fmt.Errorf("%w: nil config", ErrInvalidConfig)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if sink == nil {
		return nil, errors.New("crawler: nil sink")
	}
	if log == nil {
		log = zap.NewNop()
	}
	c := &Crawler{sink: sink, log: log.Named("crawler"), last: map[string]Stats{}}
	if ex != nil {
		c.extract = ex.Extract
	}
	for _, opt := range opts {
		opt(c)
	}
	if c.extract == nil {
		return nil, errors.New("crawler: nil extractor")
	}
	if c.transport == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 8
		c.transport = t
	}
	for _, oc := range cfg.Outlets {
		o, err := prepareOutlet(oc, c.log)
		if err != nil {
			return nil, err
		}
		c.outlets = append(c.outlets, o)
	}
	return c, nil
}

func prepareOutlet(oc OutletConfig, log *zap.Logger) (*outlet, error) {
	if oc.Name == "" {
		oc.Name = oc.ID
	}
	d := DefaultFetch()
	if oc.UserAgent == "" {
		oc.UserAgent = d.UserAgent
	}
	if oc.Rate.Parallelism == 0 {
		oc.Rate.Parallelism = d.Rate.Parallelism
	}
	if oc.Timeout == 0 {
		oc.Timeout = d.Timeout
	}
	if oc.MaxBodySize == 0 {
		oc.MaxBodySize = d.MaxBodySize
	}
	if oc.Retry.MaxWait == 0 {
		oc.Retry.MaxWait = d.Retry.MaxWait
	}
	o := &outlet{cfg: oc, loc: time.UTC, hosts: oc.hostSet(), log: log.With(zap.String("outlet", oc.ID)), gates: &hostGates{until: map[string]time.Time{}}, docs: &docCache{m: map[string]*cachedDoc{}}}
	var err error
	if oc.Timezone != "" {
		if o.loc, err = time.LoadLocation(oc.Timezone); err != nil {
			return nil, fmt.Errorf("%w: outlet %s: %w", ErrInvalidConfig, oc.ID, err)
		}
	}
	if oc.ArticlePattern != "" {
		if o.articleRe, err = regexp.Compile(oc.ArticlePattern); err != nil {
			return nil, fmt.Errorf("%w: outlet %s: %w", ErrInvalidConfig, oc.ID, err)
		}
	}
	if oc.ExcludePattern != "" {
		if o.excludeRe, err = regexp.Compile(oc.ExcludePattern); err != nil {
			return nil, fmt.Errorf("%w: outlet %s: %w", ErrInvalidConfig, oc.ID, err)
		}
	}
	if oc.NextSelector != "" {
		if o.next, err = cascadia.Compile(oc.NextSelector); err != nil {
			return nil, fmt.Errorf("%w: outlet %s: %w", ErrInvalidConfig, oc.ID, err)
		}
	}
	return o, nil
}

// Outlets returns the IDs of the configured outlets, disabled ones included.
func (c *Crawler) Outlets() []string {
	ids := make([]string, len(c.outlets))
	for i, o := range c.outlets {
		ids[i] = o.cfg.ID
	}
	return ids
}

// PassOptions change one pass; zero values keep the outlet's config.
type PassOptions struct {
	// Since skips feed and sitemap entries, and child sitemaps, dated
	// before it (backfill to a date).
	Since time.Time
	// MaxArticles and MaxListingPages override the outlet's limits when > 0.
	MaxArticles     int
	MaxListingPages int
}

// Crawl runs one full discovery and fetch pass over every enabled outlet,
// in parallel, and returns when all are done. Fetch, parse and extraction
// problems are counted in Stats, never fatal; the error is the context's
// when it ended the pass early.
func (c *Crawler) Crawl(ctx context.Context) (Stats, error) {
	total := Stats{Started: time.Now(), Errors: map[string]int{}, Outlets: map[string]Stats{}}
	var (
		wg sync.WaitGroup
		mu sync.Mutex
	)
	for _, o := range c.outlets {
		if o.cfg.Disabled {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := c.pass(ctx, o, PassOptions{})
			mu.Lock()
			total.add(st)
			total.Outlets[o.cfg.ID] = st
			mu.Unlock()
		}()
	}
	wg.Wait()
	total.Duration = time.Since(total.Started)
	return total, ctx.Err()
}

// CrawlOutlet runs one pass over the outlet with the given ID (disabled or
// not).
func (c *Crawler) CrawlOutlet(ctx context.Context, id string, opts PassOptions) (Stats, error) {
	for _, o := range c.outlets {
		if o.cfg.ID == id {
			st := c.pass(ctx, o, opts)
			return st, ctx.Err()
		}
	}
	return Stats{}, fmt.Errorf("%w: %q", ErrUnknownOutlet, id)
}

// Run crawls every enabled outlet repeatedly, each in its own loop: a
// pass, then a pause of the outlet's Interval (or interval, or
// DefaultInterval), until ctx is done. It returns nil when stopped by ctx;
// in-flight requests are cancelled at once, a request slot in its
// politeness delay is released after at most Delay+RandomDelay.
func (c *Crawler) Run(ctx context.Context, interval time.Duration) error {
	if interval <= 0 {
		interval = DefaultInterval
	}
	var wg sync.WaitGroup
	for _, o := range c.outlets {
		if o.cfg.Disabled {
			continue
		}
		iv := interval
		if o.cfg.Interval > 0 {
			iv = o.cfg.Interval
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				c.pass(ctx, o, PassOptions{})
				if !sleepCtx(ctx, iv) {
					return
				}
			}
		}()
	}
	wg.Wait()
	return nil
}

// LastStats returns the Stats of the last finished pass of each outlet.
func (c *Crawler) LastStats() map[string]Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]Stats, len(c.last))
	for k, v := range c.last {
		out[k] = v.clone()
	}
	return out
}

// Stats counts what one pass did.
type Stats struct {
	// Outlet is the outlet ID; empty in the aggregate Crawl returns.
	Outlet   string        `json:"outlet,omitempty"`
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration_ns"`
	// Requests are HTTP requests sent (robots.txt and retries included).
	Requests int `json:"requests"`
	// PagesFetched are successful (2xx) responses.
	PagesFetched int `json:"pages_fetched"`
	// Feeds, Sitemaps and Listings are the documents of each kind fetched.
	Feeds    int `json:"feeds"`
	Sitemaps int `json:"sitemaps"`
	Listings int `json:"listings"`
	// Discovered are distinct candidate article URLs (by canonical URL).
	Discovered int `json:"discovered"`
	// ArticlesFetched are article pages fetched; ArticlesPublished those
	// extracted and accepted by the Sink.
	ArticlesFetched   int `json:"articles_fetched"`
	ArticlesPublished int `json:"articles_published"`
	// ArticlesDone are discovered article URLs finished with, whatever the
	// outcome (fetched, failed, blocked); with Discovered it measures
	// progress.
	ArticlesDone int `json:"articles_done"`
	// NotArticles are fetched pages the extractor found no article in.
	NotArticles int `json:"not_articles"`
	// Duplicates are article pages whose canonical URL was already
	// published in this pass (variants, rel=canonical).
	Duplicates int `json:"duplicates"`
	// NotModified are feeds, sitemaps and listing pages that answered 304
	// to a conditional request; what they yielded last time is reused.
	NotModified int `json:"not_modified"`
	// RobotsBlocked are URLs robots.txt disallowed (never fetched).
	RobotsBlocked int `json:"robots_blocked"`
	// Retries are fetches retried after an error, 429 or 5xx.
	Retries int `json:"retries"`
	// Skipped are URLs left out by limits, age or a paused host.
	Skipped int `json:"skipped"`
	// Errors counts failures by kind: network, http_4xx, http_5xx,
	// rate_limited, too_large, robots_unavailable, feed, sitemap, listing,
	// extract, invalid_article, publish, request, panic.
	Errors map[string]int `json:"errors,omitempty"`
	// Outlets are the per-outlet Stats in the aggregate Crawl returns.
	Outlets map[string]Stats `json:"outlets,omitempty"`
}

// ErrorCount is the total of Errors.
func (s Stats) ErrorCount() int {
	n := 0
	for _, v := range s.Errors {
		n += v
	}
	return n
}

func (s *Stats) add(o Stats) {
	s.Requests += o.Requests
	s.PagesFetched += o.PagesFetched
	s.Feeds += o.Feeds
	s.Sitemaps += o.Sitemaps
	s.Listings += o.Listings
	s.Discovered += o.Discovered
	s.ArticlesFetched += o.ArticlesFetched
	s.ArticlesPublished += o.ArticlesPublished
	s.ArticlesDone += o.ArticlesDone
	s.NotArticles += o.NotArticles
	s.Duplicates += o.Duplicates
	s.NotModified += o.NotModified
	s.RobotsBlocked += o.RobotsBlocked
	s.Retries += o.Retries
	s.Skipped += o.Skipped
	if s.Errors == nil {
		s.Errors = map[string]int{}
	}
	for k, v := range o.Errors {
		s.Errors[k] += v
	}
}

func (s Stats) clone() Stats {
	e := make(map[string]int, len(s.Errors))
	for k, v := range s.Errors {
		e[k] = v
	}
	s.Errors = e
	if s.Outlets != nil {
		o := make(map[string]Stats, len(s.Outlets))
		for k, v := range s.Outlets {
			o[k] = v.clone()
		}
		s.Outlets = o
	}
	return s
}

// zapFields renders Stats for a log line.
func (s Stats) zapFields() []zap.Field {
	kinds := make([]string, 0, len(s.Errors))
	for k := range s.Errors {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	errs := make([]zap.Field, 0, len(kinds))
	for _, k := range kinds {
		errs = append(errs, zap.Int(k, s.Errors[k]))
	}
	return []zap.Field{
		zap.Duration("duration", s.Duration), zap.Int("requests", s.Requests),
		zap.Int("pages", s.PagesFetched), zap.Int("discovered", s.Discovered),
		zap.Int("articles_fetched", s.ArticlesFetched), zap.Int("published", s.ArticlesPublished),
		zap.Int("not_articles", s.NotArticles), zap.Int("duplicates", s.Duplicates),
		zap.Int("not_modified", s.NotModified), zap.Int("robots_blocked", s.RobotsBlocked), zap.Int("retries", s.Retries),
		zap.Int("skipped", s.Skipped), zap.Dict("errors", errs...),
	}
}

// hostGates pause hosts that asked for it (Retry-After), across passes.
type hostGates struct {
	mu    sync.Mutex
	until map[string]time.Time
}

func (g *hostGates) get(host string) time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.until[host]
}

func (g *hostGates) set(host string, t time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if t.After(g.until[host]) {
		g.until[host] = t
	}
}

// maxCachedURLs bounds the URLs remembered per outlet for conditional
// GETs (about 100 bytes each); documents beyond it are simply fetched.
const maxCachedURLs = 500_000

// docCache remembers, across passes, what each feed, sitemap and listing
// page yielded and the validators it came with, for conditional GETs.
type docCache struct {
	mu   sync.Mutex
	m    map[string]*cachedDoc
	urls int // URLs held by all entries
}

type cachedDoc struct {
	etag, lastModified string
	found              *found
}

func (f *found) size() int { return len(f.articles) + len(f.sitemaps) + len(f.listings) + 1 }

func (c *docCache) get(u string) *cachedDoc {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[u]
}

// store remembers f for URL u; without validators, or when the cache is
// full, it forgets u instead.
func (c *docCache) store(u, etag, lastModified string, f *found) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[u]; ok {
		c.urls -= old.found.size()
		delete(c.m, u)
	}
	if (etag == "" && lastModified == "") || c.urls+f.size() > maxCachedURLs {
		return
	}
	c.m[u] = &cachedDoc{etag: etag, lastModified: lastModified, found: f}
	c.urls += f.size()
}

// sleepCtx sleeps for d or until ctx is done; it reports whether the full
// sleep happened.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// backoff is the wait before retry number attempt (0-based): base doubled
// per attempt, plus up to 50% jitter.
func backoff(base time.Duration, attempt int) time.Duration {
	if base <= 0 {
		return 0
	}
	d := base << min(attempt, 10)
	return d + rand.N(d/2+1)
}
