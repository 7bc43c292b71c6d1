// Package crawler discovers and fetches articles from news outlets with
// Colly and keeps watching them. It discovers article URLs from RSS/Atom
// feeds, sitemaps (indexes, Google News, gzipped or not), paginated
// listing pages and, for backfills, daily archives; hands each article
// page (raw bytes and headers) to the extractor and publishes the result
// to a Sink. Outlets are described by a YAML file (LoadConfig) that is
// validated with file and line for every problem.
//
//	cfg, err := crawler.LoadConfig("outlets.yaml")    // *ValidationError lists problems
//	c, err := crawler.New(cfg, extract.New(), sink, log)
//	stats, err := c.Crawl(ctx)                         // one pass over every outlet
//	err = c.Run(ctx, 5*time.Minute)                    // monitor until ctx is done
//	stats, err = c.CrawlOutlet(ctx, "caliber", crawler.PassOptions{Since: day}) // backfill
//
// The crawler remembers, in a StateStore (NATS KV url_state in
// production), every article page it fetched: its content hash and
// version, when it was first seen and last fetched, and its validators.
// A known page is not fetched again when a feed, sitemap or listing shows
// it; only its edit rechecks (Poll.Recheck: 10 min, 1 h, 6 h and 24 h
// after first seen, conditional GETs), a newer sitemap lastmod or an audit
// fetch it again, and a changed title or body is published as the next
// version. In an OutletStore (KV outlet_state) it remembers each
// discovery document's validators and unfinished entries, so feeds,
// sitemaps and listing pages are polled with conditional GETs across
// restarts, and an interrupted backfill resumes without refetching what
// it has.
//
// Run polls each source on its own adaptive schedule (Poll: at least
// every MinInterval, default 10 s, at most every MaxInterval), holds every
// request to its host's politeness (Rate; a robots.txt Crawl-delay
// overrides it), obeys robots.txt (fetched once per Poll.RobotsTTL) and
// Retry-After, and judges each outlet's health (package health): up,
// degraded, down, layout-changed or defaced. With leases (WithLeases)
// several crawler processes share the outlets. Fetch, parse and
// extraction failures are counted in Stats and health, never fatal.
package crawler

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"sync"
	"time"

	"github.com/andybalholm/cascadia"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/crawler/extract"
	"github.com/newswatch/newswatch/crawler/health"
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

// Throttled is implemented by a Sink that slows publishing down when its
// stream nears a limit (the pipeline's, with bus.Throttle). After each
// publish the crawler asks, and a slowed publish shows in the outlet's
// health (problem "publish_slowed"); an article the stream refused as full
// (bus.ErrStreamFull) shows as "stream_full" and is fetched again later.
type Throttled interface {
	Throttled() bool
}

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

// WithState sets where the crawler remembers each article's last
// published content hash and version (default: a MemoryState, which
// numbers versions within this process only; pipelines pass a KVState on
// the url_state bucket so numbering survives restarts).
func WithState(st StateStore) Option { return func(c *Crawler) { c.state = st } }

// WithStore sets where the crawler remembers each outlet's sources
// (validators, unfinished entries, poll schedule), its recheck schedule and
// its health (default: a MemoryStore; pipelines pass a KVStore on the
// outlet_state bucket, which the API reads outlet health from).
func WithStore(st OutletStore) Option { return func(c *Crawler) { c.store = st } }

// WithHealth sets how outlet health is judged (window, thresholds).
func WithHealth(cfg health.Config) Option { return func(c *Crawler) { c.healthCfg = cfg } }

// WithEvents registers a function called with every change of an outlet's
// health status (the pipeline publishes them on outlets.events.<outlet>).
// It is called from crawl goroutines and should not block for long.
func WithEvents(f func(health.Event)) Option { return func(c *Crawler) { c.onEvent = f } }

// WithMetrics registers the crawler's per-outlet Prometheus metrics with
// reg: newswatch_crawler_requests_total{outlet,result},
// newswatch_crawler_articles_total{outlet,kind="new"|"updated"},
// newswatch_crawler_fetch_duration_seconds{outlet},
// newswatch_crawler_last_success_timestamp_seconds{outlet} and
// newswatch_crawler_outlet_status{outlet,status} (1 for the current one).
func WithMetrics(reg prometheus.Registerer) Option { return func(c *Crawler) { c.reg = reg } }

// WithName names this crawler process in outlet health records (and
// leases): for example "host:pid".
func WithName(name string) Option { return func(c *Crawler) { c.name = name } }

// WithOnPass registers a function called with the Stats of every finished
// pass over one outlet.
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
	state      StateStore
	store      OutletStore
	healthCfg  health.Config
	onEvent    func(health.Event)
	reg        prometheus.Registerer
	metrics    *metrics
	name       string
	leases     *leaseConfig
	onPass     func(Stats)
	onProgress func(Stats)

	mu   sync.Mutex
	last map[string]Stats
}

// outlet is an OutletConfig prepared for crawling, with what the crawler
// keeps about it across passes.
type outlet struct {
	cfg       OutletConfig
	loc       *time.Location
	hosts     hostSet
	articleRe *regexp.Regexp
	excludeRe *regexp.Regexp
	next      cascadia.Selector
	log       *zap.Logger
	gates     *hostGates
	limits    *limiters
	robots    *robotsCache
	health    *health.Tracker
	metrics   *metrics // nil without WithMetrics
	home      string   // canonical home page, when it is one of the listings
	runMax    time.Duration

	mu    sync.Mutex
	sched schedule
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
	if c.state == nil {
		c.state = NewMemoryState()
	}
	if c.store == nil {
		c.store = NewMemoryStore()
	}
	if err := c.healthCfg.Validate(); err != nil {
		return nil, err
	}
	if c.reg != nil {
		m, err := newMetrics(c.reg)
		if err != nil {
			return nil, err
		}
		c.metrics = m
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
		o.metrics = c.metrics
		o.health, err = health.NewTracker(c.healthCfg, o.cfg.ID, o.cfg.Name, c.statusChanged(o))
		if err != nil {
			return nil, err
		}
		if c.metrics != nil {
			c.metrics.status.WithLabelValues(o.cfg.ID, string(health.Up)).Set(1)
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
	if oc.Poll.MinInterval == 0 {
		oc.Poll.MinInterval = d.Poll.MinInterval
	}
	if oc.Poll.Recheck == nil {
		oc.Poll.Recheck = d.Poll.Recheck
	}
	if oc.Poll.RobotsTTL == 0 {
		oc.Poll.RobotsTTL = d.Poll.RobotsTTL
	}
	o := &outlet{cfg: oc, loc: time.UTC, hosts: oc.hostSet(), log: log.With(zap.String("outlet", oc.ID)),
		gates: &hostGates{until: map[string]time.Time{}}, limits: &limiters{rate: oc.Rate}, robots: &robotsCache{}}
	if home, err := article.Canonicalize(oc.BaseURL); err == nil {
		for _, l := range oc.Listings {
			if c, err := article.Canonicalize(l); err == nil && c == home {
				o.home = home
			}
		}
	}
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

// PassOptions change one pass; zero values keep the outlet's config.
type PassOptions struct {
	// Since makes the pass a backfill to that date: feed and sitemap
	// entries and child sitemaps dated before it are skipped, the outlet's
	// Archive is walked day by day back to it, and listings are paged
	// through past the articles the crawler has (up to MaxListingPages).
	Since time.Time
	// MaxArticles and MaxListingPages override the outlet's limits when > 0.
	MaxArticles     int
	MaxListingPages int
}

// maxArchiveDays bounds the archive days one backfill walks (ten years).
const maxArchiveDays = 3660

// planFor is the plan of a pass over every source of o.
func (c *Crawler) planFor(o *outlet, opts PassOptions) plan {
	cfg := o.cfg
	pl := plan{sources: o.sources(), maxArticles: cfg.Limits.MaxArticles, maxListing: cfg.Limits.MaxListingPages,
		maxSitemaps: cfg.Limits.MaxSitemaps}
	if opts.MaxArticles > 0 {
		pl.maxArticles = opts.MaxArticles
	}
	if opts.MaxListingPages > 0 {
		pl.maxListing = opts.MaxListingPages
	}
	if cfg.Limits.MaxAge > 0 {
		pl.cutoff = time.Now().Add(-cfg.Limits.MaxAge)
	}
	if !opts.Since.IsZero() {
		pl.backfill = true
		pl.cutoff = opts.Since
		if cfg.Archive != "" {
			since, today := opts.Since.In(o.loc), time.Now().In(o.loc)
			first := time.Date(since.Year(), since.Month(), since.Day(), 0, 0, 0, 0, o.loc)
			for d := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, o.loc); !d.Before(first) && len(pl.archive) < maxArchiveDays; d = d.AddDate(0, 0, -1) {
				pl.archive = append(pl.archive, ArchiveURL(cfg.Archive, d))
			}
		}
	} else {
		_, pl.rechecks = o.dueWork(time.Now(), 0)
	}
	return pl
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
			c.loadSchedule(ctx, o)
			st := c.pass(ctx, o, c.planFor(o, PassOptions{}))
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
			c.loadSchedule(ctx, o)
			st := c.pass(ctx, o, c.planFor(o, opts))
			return st, ctx.Err()
		}
	}
	return Stats{}, fmt.Errorf("%w: %q", ErrUnknownOutlet, id)
}

// Run monitors every enabled outlet until ctx is done: each in its own
// loop, it polls the sources that are due (Poll: adaptive intervals
// between MinInterval and MaxInterval, which defaults to the outlet's
// Interval, else interval, else DefaultInterval) and the articles due for
// an edit recheck, then sleeps until the next is due. With WithLeases an
// outlet is monitored only while this process holds its lease. Run
// returns nil when stopped by ctx; in-flight requests are cancelled at
// once.
func (c *Crawler) Run(ctx context.Context, interval time.Duration) error {
	if interval <= 0 {
		interval = DefaultInterval
	}
	for _, o := range c.outlets {
		o.runMax = interval
		if o.cfg.Interval > 0 {
			o.runMax = o.cfg.Interval
		}
	}
	if c.leases != nil {
		return c.runLeased(ctx)
	}
	var wg sync.WaitGroup
	for _, o := range c.outlets {
		if o.cfg.Disabled {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.monitor(ctx, o, nil)
		}()
	}
	wg.Wait()
	return nil
}

// monitor polls one outlet until ctx is done, or until stop is closed
// (then it returns after the pass in progress, if any).
func (c *Crawler) monitor(ctx context.Context, o *outlet, stop <-chan struct{}) {
	c.loadSchedule(ctx, o)
	maxIv := o.maxInterval(0)
	for {
		now := time.Now()
		// Sources due within half the shortest interval come along: one
		// pass polls them together instead of one pass each.
		srcs, rcs := o.dueWork(now, o.cfg.Poll.MinInterval/2)
		if len(srcs) > 0 || len(rcs) > 0 {
			pl := plan{sources: srcs, rechecks: rcs, monitor: true, maxInterval: maxIv,
				maxArticles: o.cfg.Limits.MaxArticles, maxListing: o.cfg.Limits.MaxListingPages, maxSitemaps: o.cfg.Limits.MaxSitemaps}
			if o.cfg.Limits.MaxAge > 0 {
				pl.cutoff = now.Add(-o.cfg.Limits.MaxAge)
			}
			c.pass(ctx, o, pl)
		}
		wake := o.nextWake(time.Now(), maxIv)
		t := time.NewTimer(max(time.Until(wake), 10*time.Millisecond))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-stop:
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// maxInterval is the longest poll interval of the outlet: Poll.MaxInterval,
// else its Interval, else Run's (or DefaultInterval).
func (o *outlet) maxInterval(fallback time.Duration) time.Duration {
	switch {
	case o.cfg.Poll.MaxInterval > 0:
		return o.cfg.Poll.MaxInterval
	case o.cfg.Interval > 0:
		return o.cfg.Interval
	case fallback > 0:
		return fallback
	case o.runMax > 0:
		return o.runMax
	}
	return DefaultInterval
}

// isHome reports whether rawURL is the outlet's home page (watched for
// defacement).
func (o *outlet) isHome(rawURL string) bool {
	if o.home == "" {
		return false
	}
	c, err := article.Canonicalize(rawURL)
	return err == nil && c == o.home
}

// Health returns the health of every outlet as this crawler judges it.
func (c *Crawler) Health() []health.Outlet {
	out := make([]health.Outlet, 0, len(c.outlets))
	now := time.Now()
	for _, o := range c.outlets {
		h := o.health.Snapshot(now)
		h.Crawler = c.name
		out = append(out, h)
	}
	return out
}

// OutletHealth returns the health of one outlet as this crawler judges it.
func (c *Crawler) OutletHealth(id string) (health.Outlet, error) {
	for _, o := range c.outlets {
		if o.cfg.ID == id {
			h := o.health.Snapshot(time.Now())
			h.Crawler = c.name
			return h, nil
		}
	}
	return health.Outlet{}, fmt.Errorf("%w: %q", ErrUnknownOutlet, id)
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
	// Unchanged are article pages whose content was published before (the
	// same content hash as the article's last version): not published
	// again.
	Unchanged int `json:"unchanged"`
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
	// Known are article URLs discovered that the crawler fetched before
	// (URLState): not fetched again.
	Known int `json:"known"`
	// Rechecks are known articles fetched again on their edit-recheck
	// schedule.
	Rechecks int `json:"rechecks"`
	// ArticlesNew and ArticlesUpdated split ArticlesPublished into first
	// versions and later ones.
	ArticlesNew     int `json:"articles_new"`
	ArticlesUpdated int `json:"articles_updated"`
	// SitemapsUnchanged are child sitemaps not fetched because their index
	// shows the lastmod they had when fetched.
	SitemapsUnchanged int `json:"sitemaps_unchanged"`
	// Deferred are article pages that failed before and wait for their
	// back-off to pass (they stay unfinished).
	Deferred int `json:"deferred"`
	// Errors counts failures by kind: network, redirect, http_4xx,
	// http_5xx, rate_limited, too_large, robots_unavailable, feed,
	// sitemap, listing, extract, invalid_article, state, publish, request,
	// panic.
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
	s.Unchanged += o.Unchanged
	s.NotArticles += o.NotArticles
	s.Duplicates += o.Duplicates
	s.NotModified += o.NotModified
	s.RobotsBlocked += o.RobotsBlocked
	s.Retries += o.Retries
	s.Skipped += o.Skipped
	s.Known += o.Known
	s.Rechecks += o.Rechecks
	s.ArticlesNew += o.ArticlesNew
	s.ArticlesUpdated += o.ArticlesUpdated
	s.SitemapsUnchanged += o.SitemapsUnchanged
	s.Deferred += o.Deferred
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
		zap.Int("articles_fetched", s.ArticlesFetched), zap.Int("published", s.ArticlesPublished), zap.Int("unchanged", s.Unchanged),
		zap.Int("known", s.Known), zap.Int("rechecks", s.Rechecks),
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
