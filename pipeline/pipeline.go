// Package pipeline wires newswatch's parts into one process, in the order
// the data flows: NATS (embedded or external) → crawler → bus → indexer →
// store ← api. `newswatch run`, `demo` and the standalone part commands are
// thin layers over it, and the end-to-end tests drive it directly.
package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"

	"github.com/newswatch/newswatch/api"
	"github.com/newswatch/newswatch/api/keys"
	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/bus"
	"github.com/newswatch/newswatch/crawler"
	"github.com/newswatch/newswatch/crawler/extract"
	"github.com/newswatch/newswatch/crawler/health"
	"github.com/newswatch/newswatch/indexer"
	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/bleve"
	"github.com/newswatch/newswatch/store/elastic"
	"github.com/newswatch/newswatch/store/storemetrics"
	"github.com/newswatch/newswatch/story"
	"github.com/newswatch/newswatch/watch"
)

// Defaults.
const (
	DefaultDataDir = "./data"
	DefaultListen  = "127.0.0.1:8080"
	StoreBleve     = "bleve"
	StoreElastic   = "elastic"
)

// Parts selects what a process runs. `run` runs all of them.
type Parts struct {
	Crawl bool // crawlers for Config.Outlets, publishing to NATS
	Index bool // indexer: NATS → store
	Serve bool // HTTP API over the store
	Watch bool // watcher: watches matched against new articles, webhooks delivered (needs the store for edits)
}

// All is every part: the whole pipeline in one process.
var All = Parts{Crawl: true, Index: true, Serve: true, Watch: true}

// Config configures a Pipeline.
type Config struct {
	// Parts to run. Default (zero): All.
	Parts Parts
	// DataDir holds the embedded NATS files (DataDir/nats) and the Bleve
	// index (DataDir/index). Default DefaultDataDir.
	DataDir string
	// Listen is the API's address. Default DefaultListen; port 0 picks one.
	Listen string
	// MetricsListen, when set (host:port), serves /healthz, /readyz and
	// /metrics there for a process that runs no API (a `crawler` or an
	// `indexer` alone). Default: none.
	MetricsListen string
	// NATSURL, when set, connects to an external NATS instead of starting
	// an embedded server.
	NATSURL string
	// NATSListen, when set (host:port; port 0 picks one), makes the
	// embedded server listen on TCP for other processes, which must then
	// authenticate with NATSToken or one of NATSNKeys. Empty (the default):
	// no TCP listener; the pipeline connects in-process.
	NATSListen string
	// NATSToken is the token: the one clients of the embedded server's
	// TCP listener must present, or the one to present to the external
	// NATS at NATSURL.
	NATSToken string
	// NATSNKeys are public user nkeys ("U...") allowed on the embedded
	// server's TCP listener (instead of a token).
	NATSNKeys []string
	// NATSAuth holds the other credentials and the TLS files for the
	// external NATS at NATSURL (its Token is NATSToken's place: leave it
	// empty).
	NATSAuth bus.ClientAuth
	// NATSSync says when the embedded server flushes JetStream to disk:
	// bus.SyncAlways (0, the default: before every acknowledgement) or an
	// interval (bus.DefaultSyncInterval for `--nats-sync=interval`).
	NATSSync time.Duration
	// Streams sets the limits of the streams and buckets (zero: the
	// defaults of bus.StreamConfig).
	Streams bus.StreamConfig
	// Throttle says how crawlers slow down as the article stream nears
	// its limits (zero: the defaults of bus.ThrottleConfig; its OnChange
	// is the pipeline's).
	Throttle bus.ThrottleConfig
	// Store is the search store: StoreBleve (the default: an index under
	// DataDir) or StoreElastic (an Elasticsearch 8 / OpenSearch 2 cluster,
	// configured by Elastic).
	Store string
	// Elastic says how to reach the cluster when Store is StoreElastic.
	Elastic elastic.Config
	// Outlets are the outlets to crawl; required when Parts.Crawl.
	Outlets *crawler.Config
	// Location is the deployment's time zone: the API cuts days in it
	// (date-only from/to, stats days) when a request gives no tz. Default:
	// the Outlets config's timezone, else UTC.
	Location *time.Location
	// Open lets API requests without a key read (search, articles,
	// counts): for a local demo. Exports and key management need a key.
	Open bool
	// KeysFile holds the API keys (`newswatch keys create`); the API
	// reads it again when it changes. Default DataDir/keys.json.
	KeysFile string
	// Version is newswatch's version, written into export manifests.
	Version string
	// Rate and Burst are the API's default request rate limit per key
	// and per address reading without one (api.Config; 0: its defaults).
	Rate  float64
	Burst int
	// CrawlInterval is the longest pause between two polls of a source
	// of an outlet that sets neither interval nor poll.max_interval
	// (crawler.Crawler.Run). Default crawler.DefaultInterval.
	CrawlInterval time.Duration
	// Indexer tunes the indexer; its zero value gives its defaults.
	Indexer indexer.Config
	// Stories tunes the grouping of articles into stories (zero: the
	// defaults of story.Config); its Retention is Streams.StoriesTTL.
	Stories story.Config
	// Watch tunes the watcher and its webhooks (zero: the defaults of
	// watch.Config: webhooks to public addresses only). The API refuses
	// webhook targets by the same Watch.Webhook.Targets.
	Watch watch.Config
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
	if c.KeysFile == "" {
		c.KeysFile = filepath.Join(c.DataDir, keys.FileName)
	}
}

// Validate reports a configuration that cannot run.
func (c Config) Validate() error {
	c.setDefaults()
	if err := c.validateStore(); err != nil {
		return err
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
	if err := c.Streams.Validate(); err != nil {
		return err
	}
	if err := c.Throttle.Validate(); err != nil {
		return err
	}
	if err := c.Stories.Validate(); err != nil {
		return err
	}
	if err := c.Watch.Validate(); err != nil {
		return err
	}
	if c.NATSURL != "" {
		if c.NATSListen != "" || len(c.NATSNKeys) > 0 || c.NATSSync != bus.SyncAlways {
			return errors.New("nats listen address, nkeys and sync configure the embedded server; they do not go with an external nats url")
		}
		if _, err := c.clientAuth().Options(); err != nil {
			return err
		}
	} else if c.NATSAuth != (bus.ClientAuth{}) {
		return errors.New("nats credentials and tls files are for an external nats (--nats)")
	} else if c.Parts.Crawl || c.Parts.Index {
		if _, err := c.embeddedConfig(); err != nil {
			return err
		}
	}
	return c.Indexer.Validate()
}

// validateStore checks the store settings (defaults applied).
func (c Config) validateStore() error {
	switch c.Store {
	case StoreBleve:
		return nil
	case StoreElastic:
		return c.Elastic.Validate()
	}
	return fmt.Errorf("store %q: want %q or %q", c.Store, StoreBleve, StoreElastic)
}

// embeddedConfig is the embedded NATS server's configuration.
func (c Config) embeddedConfig() (bus.EmbeddedConfig, error) {
	ec := bus.EmbeddedConfig{DataDir: c.DataDir, Token: c.NATSToken, NKeys: c.NATSNKeys, SyncInterval: c.NATSSync}
	if c.NATSListen != "" {
		host, port, err := net.SplitHostPort(c.NATSListen)
		if err != nil {
			return ec, fmt.Errorf("nats listen address %q: %w", c.NATSListen, err)
		}
		n, err := strconv.Atoi(port)
		if err != nil || n < 0 || n > 65535 {
			return ec, fmt.Errorf("nats listen address %q: bad port", c.NATSListen)
		}
		if n == 0 {
			n = -1 // a free port
		}
		ec.Host, ec.Port = host, n
	}
	return ec, ec.Validate()
}

// clientAuth is how the pipeline authenticates to an external NATS.
func (c Config) clientAuth() bus.ClientAuth {
	a := c.NATSAuth
	if c.NATSToken != "" {
		a.Token = c.NATSToken
	}
	return a
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
	stories  *story.Assigner // gives crawled articles their story before they are published
	indexer  *indexer.Indexer
	watcher  *watch.Watcher
	apiLn    net.Listener // taken first, so a busy port fails fast
	opsLn    net.Listener // MetricsListen, taken first too
	ops      *http.Server
	server   *api.Server
	apiAddr  string
	registry *prometheus.Registry

	mu       sync.Mutex
	passes   map[string]int
	cancel   context.CancelFunc // stops crawlers and indexer
	crawlWG  sync.WaitGroup
	indexWG  sync.WaitGroup // the indexer and the watcher
	serveErr chan error
	closed   bool
}

// Start starts the configured parts and returns once they are running: the
// API is listening and the crawlers and indexer have begun. Stop it with
// Close. Every start-up failure is an error naming its cause (the address,
// directory, URL or path), with whatever had started already stopped
// again.
func Start(ctx context.Context, cfg Config, log *zap.Logger) (*Pipeline, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	p := &Pipeline{cfg: cfg, log: log.Named("pipeline"), root: log, registry: prometheus.NewRegistry(), passes: map[string]int{}, serveErr: make(chan error, 1)}
	if err := p.start(ctx); err != nil {
		if cerr := p.Close(); cerr != nil {
			p.log.Warn("stopping after a failed start", zap.Error(cerr))
		}
		return nil, err
	}
	return p, nil
}

func (p *Pipeline) start(ctx context.Context) error {
	cfg, log := p.cfg, p.root
	p.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if cfg.Parts.Serve {
		ln, err := net.Listen("tcp", cfg.Listen)
		if err != nil {
			return fmt.Errorf("api: cannot listen on %s: %w", cfg.Listen, listenCause(err))
		}
		p.apiLn = ln
	}
	if err := p.listenOps(); err != nil {
		return err
	}
	needBus := cfg.Parts.Crawl || cfg.Parts.Index || cfg.Parts.Watch
	embedded := needBus && cfg.NATSURL == ""
	// An API alone reads outlet health from an external NATS when given one.
	needBus = needBus || (cfg.Parts.Serve && cfg.NATSURL != "")
	if !cfg.Parts.Index && cfg.Parts.Serve && cfg.Store == StoreBleve {
		if err := p.checkIndex(); err != nil {
			return err
		}
	}
	if embedded || cfg.Parts.Index || cfg.Parts.Watch {
		if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
			return fmt.Errorf("data dir: %w", err)
		}
	}
	if needBus {
		if err := p.startBus(ctx); err != nil {
			return err
		}
	}
	if cfg.Parts.Index || cfg.Parts.Serve || cfg.Parts.Watch {
		st, err := p.openStore(ctx)
		if err != nil {
			return fmt.Errorf("open store: %w", err)
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
			return fmt.Errorf("indexer: %w", err)
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
	if cfg.Parts.Watch {
		as, err := p.storyAssigner(ctx)
		if err != nil {
			return err
		}
		wt, err := watch.New(cfg.Watch, p.conn, as, p.store, log)
		if err != nil {
			return fmt.Errorf("watcher: %w", err)
		}
		p.watcher = wt
		p.indexWG.Add(1)
		go func() {
			defer p.indexWG.Done()
			if err := wt.Run(runCtx); err != nil && !errors.Is(err, context.Canceled) {
				log.Error("watcher stopped", zap.Error(err))
			}
		}()
	}
	if cfg.Parts.Serve {
		if err := p.startAPI(); err != nil {
			return err
		}
	}
	p.startOps()
	if cfg.Parts.Crawl {
		leases, err := p.conn.Leases(ctx)
		if err != nil {
			return fmt.Errorf("crawler leases: %w", err)
		}
		cr, err := p.newCrawler(ctx, crawler.WithLeases(leases, p.crawlerName()))
		if err != nil {
			return err
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
	return nil
}

// newCrawler builds the crawler for the configured outlets on the bus:
// versions numbered against the url_state bucket and sources, schedules
// and health kept in outlet_state, so that they survive restarts and are
// shared by every crawler process; metrics in the process's registry;
// status changes published on outlets.events.<outlet>.
func (p *Pipeline) newCrawler(ctx context.Context, extra ...crawler.Option) (*crawler.Crawler, error) {
	kv, err := p.conn.URLState(ctx)
	if err != nil {
		return nil, fmt.Errorf("crawler state: %w", err)
	}
	okv, err := p.conn.OutletState(ctx)
	if err != nil {
		return nil, fmt.Errorf("crawler state: %w", err)
	}
	opts := []crawler.Option{crawler.WithOnPass(p.onPass), crawler.WithState(crawler.NewKVState(kv)),
		crawler.WithStore(crawler.NewKVStore(okv)), crawler.WithMetrics(p.registry), crawler.WithEvents(p.onOutletEvent),
		crawler.WithName(p.crawlerName())}
	opts = append(append(opts, extra...), p.cfg.CrawlerOptions...)
	sk, err := p.newSink()
	if err != nil {
		return nil, err
	}
	cr, err := crawler.New(p.cfg.Outlets, extract.New(), sk, p.root, opts...)
	if err != nil {
		return nil, fmt.Errorf("crawler: %w", err)
	}
	return cr, nil
}

// openStore opens the configured search store, its calls recorded in the
// process's metrics.
func (p *Pipeline) openStore(ctx context.Context) (store.Store, error) {
	var (
		st  store.Store
		err error
	)
	if p.cfg.Store == StoreElastic {
		st, err = elastic.Open(ctx, p.cfg.Elastic, p.root)
	} else {
		st, err = bleve.Open(p.indexDir(), bleve.Options{}, p.root)
	}
	if err != nil || p.registry == nil { // the tools (OpenStore) keep no metrics
		return st, err
	}
	wrapped, err := storemetrics.Wrap(st, p.registry, p.cfg.Store)
	if err != nil {
		st.Close()
		return nil, err
	}
	return wrapped, nil
}

// ErrNoIndex is returned by Start when only the API runs and the data
// directory holds no index: nothing would ever fill a new one, so a
// mistyped directory is refused rather than served empty.
var ErrNoIndex = errors.New("no search index")

func (p *Pipeline) indexDir() string { return filepath.Join(p.cfg.DataDir, "index") }

// checkIndex refuses, when only the API runs, a data directory without an
// index (a mistyped --data), before anything is created there.
func (p *Pipeline) checkIndex() error {
	ok, err := bleve.Exists(p.indexDir())
	if err != nil {
		return fmt.Errorf("data dir %s: %w", p.cfg.DataDir, err)
	}
	if !ok {
		return fmt.Errorf("data dir %s: %w there (the API serves an index that `run` or `indexer` built)", p.cfg.DataDir, ErrNoIndex)
	}
	return nil
}

// listenCause is the reason inside a net.Listen error, without the
// repetition of the address ("bind: address already in use").
func listenCause(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err
	}
	return err
}

func (p *Pipeline) startBus(ctx context.Context) error {
	conn, e, err := connectBus(ctx, p.cfg, p.root)
	if err != nil {
		return err
	}
	p.conn, p.embedded = conn, e
	if err := conn.EnsureStreamsWith(ctx, p.cfg.Streams); err != nil {
		return fmt.Errorf("nats streams: %w", err)
	}
	return nil
}

// connectBus starts the embedded NATS server on cfg.DataDir and connects
// to it in-process, or connects to the external one at cfg.NATSURL with
// cfg's credentials. The embedded server is nil for an external one.
func connectBus(ctx context.Context, cfg Config, log *zap.Logger) (*bus.Conn, *bus.Embedded, error) {
	if cfg.NATSURL != "" {
		opts, err := cfg.clientAuth().Options()
		if err != nil {
			return nil, nil, err
		}
		conn, err := bus.Connect(ctx, cfg.NATSURL, log, opts...)
		if err != nil {
			return nil, nil, err // "connect nats URL: ..."
		}
		return conn, nil, nil
	}
	ec, err := cfg.embeddedConfig()
	if err != nil {
		return nil, nil, err
	}
	e, err := bus.StartEmbedded(ctx, ec, log)
	if err != nil {
		return nil, nil, err // names itself "embedded nats: ..."
	}
	conn, err := e.Connect(ctx, log)
	if err != nil {
		e.Shutdown()
		return nil, nil, fmt.Errorf("embedded nats: %w", err)
	}
	return conn, e, nil
}

// ErrNoNATSData is returned by OpenBus for a data directory without the
// embedded NATS server's files.
var ErrNoNATSData = errors.New("no embedded NATS files")

// OpenBus connects to the bus as a pipeline with cfg would, for the tools
// that work on the bus beside or instead of a pipeline (`dead`, `audit`):
// the external NATS at cfg.NATSURL, or the embedded server's files under
// cfg.DataDir of a stopped `run` (a running one holds them: the error
// names it). close releases the connection and the embedded server.
func OpenBus(ctx context.Context, cfg Config, log *zap.Logger) (conn *bus.Conn, close func(), err error) {
	cfg.setDefaults()
	if cfg.NATSURL == "" {
		if cfg.NATSAuth != (bus.ClientAuth{}) || cfg.NATSToken != "" {
			return nil, nil, errors.New("nats credentials and tls files are for an external nats (--nats)")
		}
		if st, err := os.Stat(filepath.Join(cfg.DataDir, "nats")); err != nil || !st.IsDir() {
			return nil, nil, fmt.Errorf("data dir %s: %w there (give the --data of a stopped `newswatch run`, or --nats)", cfg.DataDir, ErrNoNATSData)
		}
	}
	conn, e, err := connectBus(ctx, cfg, log)
	if err != nil {
		if errors.Is(err, bus.ErrDataDirInUse) {
			err = fmt.Errorf("%w (while newswatch runs there, use --nats with its --nats-listen address)", err)
		}
		return nil, nil, err
	}
	return conn, func() { conn.Close(); e.Shutdown() }, nil
}

// OpenStore opens the search store a pipeline with cfg would use, for the
// tools (`audit`). A Bleve data directory must hold an index already.
func OpenStore(ctx context.Context, cfg Config, log *zap.Logger) (store.Store, error) {
	cfg.setDefaults()
	if err := cfg.validateStore(); err != nil {
		return nil, err
	}
	p := &Pipeline{cfg: cfg, root: log}
	if cfg.Store == StoreBleve {
		if err := p.checkIndex(); err != nil {
			return nil, err
		}
	}
	st, err := p.openStore(ctx)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	return st, nil
}

func (p *Pipeline) startAPI() error {
	ks, err := keys.Open(p.cfg.KeysFile)
	if err != nil {
		return fmt.Errorf("api: %w", err)
	}
	cfg := api.Config{Metrics: promhttp.HandlerFor(p.registry, promhttp.HandlerOpts{}), Registerer: p.registry, Ready: p.ready, Location: p.cfg.Location,
		Keys: ks, Open: p.cfg.Open, Version: p.cfg.Version, StoreName: p.cfg.Store, Rate: p.cfg.Rate, Burst: p.cfg.Burst}
	if p.conn != nil {
		kv, err := p.conn.OutletState(context.Background())
		if err != nil {
			return fmt.Errorf("api: outlet health: %w", err)
		}
		cfg.Outlets = outletHealth{crawler.NewHealthRecords(kv)}
		ws, err := watch.NewStore(context.Background(), p.conn, p.cfg.Watch.Webhook.Targets)
		if err != nil {
			return fmt.Errorf("api: watches: %w", err)
		}
		cfg.Watches = ws
	}
	if cfg.Location == nil && p.cfg.Outlets != nil {
		loc, err := p.cfg.Outlets.Location()
		if err != nil {
			return fmt.Errorf("api: %w", err)
		}
		cfg.Location = loc
	}
	srv, err := api.New(cfg, p.store, p.root)
	if err != nil {
		return fmt.Errorf("api: %w", err)
	}
	ln := p.apiLn
	p.apiAddr = ln.Addr().String()
	p.server = srv
	go func() {
		err := srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		p.serveErr <- err
	}()
	p.log.Info("api listening", zap.String("addr", "http://"+p.apiAddr))
	return nil
}

// ready reports what keeps the pipeline from doing its work, beyond the
// store answering: NATS not connected, or the indexer paused by a store
// outage.
func (p *Pipeline) ready(ctx context.Context) error {
	if p.conn != nil {
		if nc := p.conn.NATS(); !nc.IsConnected() {
			return fmt.Errorf("nats: %s", nc.Status())
		}
	}
	if p.indexer != nil {
		if err := p.indexer.Ready(ctx); err != nil {
			return fmt.Errorf("indexer: %w", err)
		}
	}
	return nil
}

// sink publishes crawled articles on the bus, each with its story
// (story.Assigner), slowing down as the stream nears its limits
// (bus.Throttle) so that articles are kept, not refused.
type sink struct {
	conn     *bus.Conn
	throttle *bus.Throttle
	stories  *story.Assigner
}

var _ crawler.Throttled = sink{}

// Throttled reports whether publishing is being slowed down.
func (s sink) Throttled() bool { return s.throttle.Slow() }

func (s sink) Publish(ctx context.Context, a *article.Article) error {
	if err := s.throttle.Wait(ctx); err != nil {
		return err
	}
	if err := s.stories.Assign(ctx, a); err != nil {
		return err
	}
	_, err := s.conn.Publish(ctx, a)
	return err
}

// newSink returns the crawlers' sink, with its throttle logged and
// exported as metrics.
func (p *Pipeline) newSink() (sink, error) {
	slowed := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: "newswatch", Subsystem: "crawler", Name: "publish_throttled",
		Help: "1 while crawlers slow down because the article stream nears its limits.",
	})
	tcfg := p.cfg.Throttle
	tcfg.OnChange = func(pr bus.Pressure, slow bool) {
		if slow {
			slowed.Set(1)
			p.log.Warn("article stream nearly full: crawlers slow down", zap.Float64("fill", pr.Fill),
				zap.Uint64("bytes", pr.Bytes), zap.Int64("max_bytes", pr.MaxBytes), zap.Uint64("store_used", pr.StoreUsed), zap.Int64("store_max", pr.StoreMax))
		} else {
			slowed.Set(0)
			p.log.Info("article stream has room again: crawlers at full speed", zap.Float64("fill", pr.Fill))
		}
	}
	th, err := bus.NewThrottle(p.conn, tcfg)
	if err != nil {
		return sink{}, err
	}
	fill := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: "newswatch", Subsystem: "bus", Name: "stream_fill_ratio",
		Help: "How full the article stream is against its nearest limit (stream max bytes/msgs or JetStream storage); 1 = full, new articles refused.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		return th.Pressure(ctx).Fill
	})
	if err := errors.Join(p.registry.Register(slowed), p.registry.Register(fill)); err != nil {
		return sink{}, fmt.Errorf("crawler metrics: %w", err)
	}
	as, err := p.storyAssigner(context.Background())
	if err != nil {
		return sink{}, err
	}
	return sink{conn: p.conn, throttle: th, stories: as}, nil
}

// storyAssigner returns the process's story assigner (the crawlers' sink
// assigns with it, the watcher reads stories from it), made on first use.
func (p *Pipeline) storyAssigner(ctx context.Context) (*story.Assigner, error) {
	if p.stories != nil {
		return p.stories, nil
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	kv, err := p.conn.Stories(ctx)
	if err != nil {
		return nil, fmt.Errorf("stories: %w", err)
	}
	scfg := p.cfg.Stories
	if scfg.Retention == 0 {
		scfg.Retention = p.cfg.Streams.StoriesTTL
	}
	if p.stories, err = story.NewAssigner(ctx, scfg, kv, p.root); err != nil {
		return nil, err
	}
	return p.stories, nil
}

func (p *Pipeline) onPass(st crawler.Stats) {
	p.mu.Lock()
	p.passes[st.Outlet]++
	first := p.passes[st.Outlet] == 1
	p.mu.Unlock()
	lvl := p.log.Debug // most polls of a monitor find nothing new
	if first || st.ArticlesPublished > 0 || st.ErrorCount() > 0 {
		lvl = p.log.Info
	}
	lvl("crawl pass done", zap.String("outlet", st.Outlet), zap.Duration("took", st.Duration),
		zap.Int("requests", st.Requests), zap.Int("not_modified", st.NotModified), zap.Int("discovered", st.Discovered),
		zap.Int("new", st.ArticlesNew), zap.Int("updated", st.ArticlesUpdated), zap.Int("errors", st.ErrorCount()))
}

// outletHealth serves the crawlers' outlet health records to the API.
type outletHealth struct{ r crawler.HealthRecords }

var _ api.OutletSource = outletHealth{}

func (o outletHealth) Outlets(ctx context.Context) ([]health.Outlet, error) { return o.r.Outlets(ctx) }

func (o outletHealth) Outlet(ctx context.Context, id string) (health.Outlet, error) {
	h, err := o.r.Outlet(ctx, id)
	if errors.Is(err, crawler.ErrNoRecord) {
		return h, fmt.Errorf("%w: no crawler has reported on %q", api.ErrUnknownOutlet, id)
	}
	return h, err
}

// onOutletEvent publishes an outlet's change of health status on
// outlets.events.<outlet>.
func (p *Pipeline) onOutletEvent(ev health.Event) {
	data, err := json.Marshal(ev)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	id := fmt.Sprintf("%s:%s:%d", ev.Outlet, ev.To, ev.At.UnixNano())
	if err := p.conn.PublishOutletEvent(ctx, ev.Outlet, data, id); err != nil {
		p.log.Warn("outlet event not published", zap.String("outlet", ev.Outlet), zap.String("status", string(ev.To)), zap.Error(err))
	}
}

// crawlerName names this crawler process in leases and outlet health:
// with an embedded NATS server reached in-process, the data directory
// (one process at a time holds it, so a restart takes its leases over at
// once); otherwise host and process ID.
func (p *Pipeline) crawlerName() string {
	host, _ := os.Hostname()
	if p.embedded != nil && p.cfg.NATSListen == "" {
		dir, err := filepath.Abs(p.cfg.DataDir)
		if err != nil {
			dir = p.cfg.DataDir
		}
		return host + ":" + dir
	}
	return fmt.Sprintf("%s:%d", host, os.Getpid())
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

// KeysFile is the file the API reads its keys from.
func (p *Pipeline) KeysFile() string { return p.cfg.KeysFile }

// NATSURL is the URL of the NATS server in use: the external one, the
// embedded server's TCP listener, or "" for an embedded server reached
// in-process only.
func (p *Pipeline) NATSURL() string {
	if p.embedded != nil {
		return p.embedded.ClientURL()
	}
	return p.cfg.NATSURL
}

// Watcher returns the running watcher, or nil.
func (p *Pipeline) Watcher() *watch.Watcher { return p.watcher }

// Indexer returns the running indexer, or nil.
func (p *Pipeline) Indexer() *indexer.Indexer { return p.indexer }

// Store is the search store (nil when neither the indexer nor the API runs).
func (p *Pipeline) Store() store.Store { return p.store }

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
	if p.stories != nil {
		p.stories.Close()
	}
	var errs []error
	if p.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := p.server.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("api shutdown: %w", err))
		}
		cancel()
	} else if p.apiLn != nil {
		p.apiLn.Close()
	}
	if p.ops != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := p.ops.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("metrics server shutdown: %w", err))
		}
		cancel()
	} else if p.opsLn != nil {
		p.opsLn.Close()
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
