// Package pipeline wires newswatch's parts into one process, in the order
// the data flows: NATS (embedded or external) → crawler → bus → indexer →
// store ← api. `newswatch run`, `demo` and the standalone part commands are
// thin layers over it, and the end-to-end tests drive it directly.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"

	"github.com/newswatch/newswatch/api"
	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/bus"
	"github.com/newswatch/newswatch/crawler"
	"github.com/newswatch/newswatch/crawler/extract"
	"github.com/newswatch/newswatch/indexer"
	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/bleve"
)

// Defaults.
const (
	DefaultDataDir = "./data"
	DefaultListen  = "127.0.0.1:8080"
	StoreBleve     = "bleve"
)

// Parts selects what a process runs. `run` runs all of them.
type Parts struct {
	Crawl bool // crawlers for Config.Outlets, publishing to NATS
	Index bool // indexer: NATS → store
	Serve bool // HTTP API over the store
}

// All is every part: the whole pipeline in one process.
var All = Parts{Crawl: true, Index: true, Serve: true}

// Config configures a Pipeline.
type Config struct {
	// Parts to run. Default (zero): All.
	Parts Parts
	// DataDir holds the embedded NATS files (DataDir/nats) and the Bleve
	// index (DataDir/index). Default DefaultDataDir.
	DataDir string
	// Listen is the API's address. Default DefaultListen; port 0 picks one.
	Listen string
	// NATSURL, when set, connects to an external NATS instead of starting
	// an embedded server.
	NATSURL string
	// Store is the search store: "bleve" (the default and, in this build,
	// the only one).
	Store string
	// Outlets are the outlets to crawl; required when Parts.Crawl.
	Outlets *crawler.Config
	// CrawlInterval is the pause between passes over an outlet that does
	// not set its own. Default crawler.DefaultInterval.
	CrawlInterval time.Duration
	// Indexer tunes the indexer; its zero value gives its defaults.
	Indexer indexer.Config
	// CrawlerOptions are passed to crawler.New (tests use them).
	CrawlerOptions []crawler.Option
}

func (c *Config) setDefaults() {
	if c.Parts == (Parts{}) {
		c.Parts = All
	}
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir
	}
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.Store == "" {
		c.Store = StoreBleve
	}
}

// Validate reports a configuration that cannot run.
func (c Config) Validate() error {
	c.setDefaults()
	if c.Store != StoreBleve {
		return fmt.Errorf("store %q: this build supports only %q", c.Store, StoreBleve)
	}
	if c.Parts.Crawl {
		if c.Outlets == nil {
			return errors.New("crawling needs an outlet config")
		}
		if err := c.Outlets.Validate(); err != nil {
			return err
		}
	}
	if c.CrawlInterval < 0 {
		return fmt.Errorf("crawl interval %v is negative", c.CrawlInterval)
	}
	return c.Indexer.Validate()
}

// Pipeline is a running newswatch process.
type Pipeline struct {
	cfg      Config
	log      *zap.Logger // the pipeline's own messages
	root     *zap.Logger // handed to the components, which name themselves
	embedded *bus.Embedded
	conn     *bus.Conn
	store    store.Store
	crawler  *crawler.Crawler
	indexer  *indexer.Indexer
	server   *http.Server
	apiAddr  string
	registry *prometheus.Registry

	mu       sync.Mutex
	passes   map[string]int
	cancel   context.CancelFunc // stops crawlers and indexer
	crawlWG  sync.WaitGroup
	indexWG  sync.WaitGroup
	serveErr chan error
	closed   bool
}

// Start starts the configured parts and returns once they are running: the
// API is listening and the crawlers and indexer have begun. Stop it with
// Close.
func Start(ctx context.Context, cfg Config, log *zap.Logger) (p *Pipeline, err error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	p = &Pipeline{cfg: cfg, log: log.Named("pipeline"), root: log, registry: prometheus.NewRegistry(), passes: map[string]int{}, serveErr: make(chan error, 1)}
	defer func() {
		if err != nil {
			p.Close()
		}
	}()
	p.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	needBus := cfg.Parts.Crawl || cfg.Parts.Index
	if needBus {
		if err := p.startBus(ctx); err != nil {
			return nil, err
		}
	}
	if cfg.Parts.Index || cfg.Parts.Serve {
		st, err := bleve.Open(filepath.Join(cfg.DataDir, "index"), bleve.Options{}, log)
		if err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
		p.store = st
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	p.cancel = cancel
	if cfg.Parts.Index {
		icfg := cfg.Indexer
		icfg.Registerer = p.registry
		ix, err := indexer.New(icfg, p.conn, p.store, log)
		if err != nil {
			return nil, fmt.Errorf("indexer: %w", err)
		}
		p.indexer = ix
		p.indexWG.Add(1)
		go func() {
			defer p.indexWG.Done()
			if err := ix.Run(runCtx); err != nil && !errors.Is(err, context.Canceled) {
				log.Error("indexer stopped", zap.Error(err))
			}
		}()
	}
	if cfg.Parts.Serve {
		if err := p.startAPI(); err != nil {
			return nil, err
		}
	}
	if cfg.Parts.Crawl {
		opts := append([]crawler.Option{crawler.WithOnPass(p.onPass)}, cfg.CrawlerOptions...)
		cr, err := crawler.New(cfg.Outlets, extract.New(), sink{p.conn}, log, opts...)
		if err != nil {
			return nil, fmt.Errorf("crawler: %w", err)
		}
		p.crawler = cr
		p.crawlWG.Add(1)
		go func() {
			defer p.crawlWG.Done()
			if err := cr.Run(runCtx, cfg.CrawlInterval); err != nil && !errors.Is(err, context.Canceled) {
				log.Error("crawler stopped", zap.Error(err))
			}
		}()
	}
	return p, nil
}

func (p *Pipeline) startBus(ctx context.Context) error {
	url := p.cfg.NATSURL
	if url == "" {
		e, err := bus.StartEmbedded(ctx, bus.EmbeddedConfig{DataDir: p.cfg.DataDir}, p.root)
		if err != nil {
			return fmt.Errorf("embedded nats: %w", err)
		}
		p.embedded = e
		url = e.ClientURL()
	}
	conn, err := bus.Connect(ctx, url, p.root)
	if err != nil {
		return fmt.Errorf("connect nats: %w", err)
	}
	p.conn = conn
	if err := conn.EnsureStreams(ctx); err != nil {
		return fmt.Errorf("nats streams: %w", err)
	}
	return nil
}

func (p *Pipeline) startAPI() error {
	cfg := api.Config{}
	if p.conn != nil {
		nc := p.conn.NATS()
		cfg.Ready = func(context.Context) error {
			if !nc.IsConnected() {
				return fmt.Errorf("nats: %s", nc.Status())
			}
			return nil
		}
	}
	srv, err := api.New(cfg, p.store, p.root)
	if err != nil {
		return fmt.Errorf("api: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(p.registry, promhttp.HandlerOpts{}))
	mux.Handle("/", srv.Handler())
	ln, err := net.Listen("tcp", p.cfg.Listen)
	if err != nil {
		return fmt.Errorf("api listen: %w", err)
	}
	p.apiAddr = ln.Addr().String()
	p.server = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		err := p.server.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		p.serveErr <- err
	}()
	p.log.Info("api listening", zap.String("addr", "http://"+p.apiAddr))
	return nil
}

// sink publishes crawled articles on the bus.
type sink struct{ conn *bus.Conn }

func (s sink) Publish(ctx context.Context, a *article.Article) error {
	_, err := s.conn.Publish(ctx, a)
	return err
}

func (p *Pipeline) onPass(st crawler.Stats) {
	p.mu.Lock()
	p.passes[st.Outlet]++
	p.mu.Unlock()
	p.log.Info("crawl pass done", zap.String("outlet", st.Outlet), zap.Duration("took", st.Duration),
		zap.Int("discovered", st.Discovered), zap.Int("published", st.ArticlesPublished),
		zap.Int("errors", st.ErrorCount()))
}

// Passes returns how many crawl passes over each outlet have finished.
func (p *Pipeline) Passes() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.passes))
	for k, v := range p.passes {
		out[k] = v
	}
	return out
}

// APIAddr is the address the API listens on (host:port), or "" when the
// API is not served.
func (p *Pipeline) APIAddr() string { return p.apiAddr }

// NATSURL is the URL of the NATS server in use.
func (p *Pipeline) NATSURL() string {
	if p.embedded != nil {
		return p.embedded.ClientURL()
	}
	return p.cfg.NATSURL
}

// Indexer returns the running indexer, or nil.
func (p *Pipeline) Indexer() *indexer.Indexer { return p.indexer }

// ServeErr delivers the API server's error if it stops on its own.
func (p *Pipeline) ServeErr() <-chan error { return p.serveErr }

// Close stops everything in data-flow order: crawlers first (no new
// articles), then the indexer (an in-flight batch is stored and acked, or
// left unacked for redelivery), then the API, the store and NATS. Nothing
// acknowledged is lost.
func (p *Pipeline) Close() error {
	if p.closed {
		return nil
	}
	p.closed = true
	if p.cancel != nil {
		p.cancel()
	}
	p.crawlWG.Wait()
	p.indexWG.Wait()
	var errs []error
	if p.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := p.server.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("api shutdown: %w", err))
		}
		cancel()
	}
	if p.store != nil {
		if err := p.store.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close store: %w", err))
		}
	}
	if p.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := p.conn.Drain(ctx); err != nil {
			p.conn.Close()
		}
		cancel()
	}
	if p.embedded != nil {
		p.embedded.Shutdown()
	}
	return errors.Join(errs...)
}
