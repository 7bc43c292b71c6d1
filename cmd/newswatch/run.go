package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/newswatch/newswatch/bus"
	"github.com/newswatch/newswatch/crawler"
	"github.com/newswatch/newswatch/crawler/catalog"
	"github.com/newswatch/newswatch/internal/netguard"
	"github.com/newswatch/newswatch/pipeline"
	"github.com/newswatch/newswatch/simsite"
	"github.com/newswatch/newswatch/simsite/simcrawl"
)

// pipelineFlags are the flags of the commands that run pipeline parts.
type pipelineFlags struct {
	config     string
	hasConfig  bool // the command has --config (run, crawler)
	data       string
	listen     string
	nats       string
	natsListen string
	tokenFile  string
	nkeys      stringList
	natsAuth   natsAuthFlags
	natsSync   string
	metrics    string
	store      string
	es         esFlags
	interval   time.Duration
	tz         string
	open       bool
	keysFile   string
	rate       float64
	burst      int
	dev        bool
	level      string
	hooks      string // --webhook-targets
}

// natsMode says how a command reaches NATS.
type natsMode int

const (
	natsNone     natsMode = iota // the part needs no NATS
	natsOptional                 // an external NATS if given (api: outlet health)
	natsExternal                 // an external NATS only (crawler, indexer)
	natsEither                   // the embedded server, or --nats (run, demo)
)

// register adds the flags the parts use to fs: only those the command
// really reads.
func (f *pipelineFlags) register(fs *flag.FlagSet, parts pipeline.Parts, nats natsMode, config bool) {
	if parts.Crawl {
		if config {
			f.hasConfig = true
			fs.StringVar(&f.config, "config", "", configUsage)
		}
		fs.DurationVar(&f.interval, "crawl-interval", crawler.DefaultInterval, "longest pause between two polls of a source (feed, sitemap, listing) of an outlet whose config sets no interval or poll.max_interval; sources with new articles are polled down to poll.min_interval (10s)")
	}
	embedded := nats == natsEither
	if parts.Index || parts.Serve || embedded {
		what := "search index"
		if embedded {
			what = "embedded NATS files and search index"
		}
		fs.StringVar(&f.data, "data", pipeline.DefaultDataDir, "data directory ("+what+"); one newswatch process at a time")
	}
	if parts.Index || parts.Serve {
		fs.StringVar(&f.store, "store", pipeline.StoreBleve, "search store: bleve (an index under --data) or elastic (an Elasticsearch 8 / OpenSearch 2 cluster, --es)")
		f.es.register(fs)
	}
	if parts.Serve {
		fs.StringVar(&f.listen, "listen", pipeline.DefaultListen, "API listen address (host:port; port 0 picks a free one)")
		fs.BoolVar(&f.open, "open", false, "let API requests without a key read (search, articles, counts); for a local demo. Exports and key management still need a key")
		fs.Float64Var(&f.rate, "rate-limit", 20, "API requests per second a key may make (a key may set its own: keys create --rate), and each client address reading without a key")
		fs.IntVar(&f.burst, "burst", 40, "API requests a key (or address) may make at once, above --rate-limit")
		fs.StringVar(&f.keysFile, "keys", "", "`file` of API keys made by `newswatch keys create` (default: keys.json in --data); re-read when it changes")
		fs.StringVar(&f.tz, "tz", "", "the deployment's time `zone` (IANA name): the API cuts date-only from/to in it when a request gives no tz (default: the timezone of the outlet config, else of the built-in catalog, Asia/Baku)")
	}
	if parts.Serve || parts.Watch {
		fs.StringVar(&f.hooks, "webhook-targets", string(netguard.Public), "where watches' webhooks may go: public (the default: loopback, private, shared and link-local addresses such as 127.0.0.1, 10.0.0.1 and 169.254.169.254 are refused, after name resolution and on redirects too), any (the operator trusts every watch's URL), or local (loopback and private addresses only, no DNS: an offline machine)")
	}
	switch nats {
	case natsOptional:
		fs.StringVar(&f.nats, "nats", "", "NATS URL(s), comma-separated, to read outlet health from (GET /v1/outlets answers 503 without)")
		fs.StringVar(&f.tokenFile, "nats-token-file", "", "`file` holding the token to present to NATS")
		f.natsAuth.register(fs)
	case natsExternal:
		fs.StringVar(&f.nats, "nats", "", "NATS URL(s) to connect to, comma-separated (required)")
		fs.StringVar(&f.tokenFile, "nats-token-file", "", "`file` holding the token to present to NATS")
		f.natsAuth.register(fs)
		fs.StringVar(&f.metrics, "metrics-listen", "", "serve /healthz, /readyz and /metrics on this `address` (host:port). Default: none")
	case natsEither:
		fs.StringVar(&f.nats, "nats", "", "external NATS URL(s), comma-separated, instead of the embedded server")
		fs.StringVar(&f.natsListen, "nats-listen", "", "let other processes reach the embedded NATS server on this TCP `address` (host:port); they must authenticate (token or nkey). Default: no TCP listener")
		fs.StringVar(&f.tokenFile, "nats-token-file", "", "`file` holding the NATS token: the one --nats-listen clients must present (default: a new one, printed at start), or the one to present to --nats")
		fs.Var(&f.nkeys, "nats-nkey", "public user `nkey` (U...) allowed on --nats-listen instead of a token; repeatable")
		fs.StringVar(&f.natsSync, "nats-sync", "always", "when the embedded NATS flushes to disk: always (before acknowledging each article; survives power loss), interval (every 2 minutes: faster, an OS crash can lose the last ones) or a `duration`")
		f.natsAuth.register(fs)
	}
	fs.BoolVar(&f.dev, "dev", false, "human-readable console logs instead of JSON")
	fs.StringVar(&f.level, "log-level", "info", "log level: debug, info, warn, error")
}

// pipelineConfig turns the flags into a pipeline config. generated is a
// NATS token made up here (to be printed), or "".
func (f *pipelineFlags) pipelineConfig(parts pipeline.Parts) (cfg pipeline.Config, generated string, err error) {
	cfg = pipeline.Config{Parts: parts, DataDir: f.data, Listen: f.listen, NATSURL: f.nats,
		NATSListen: f.natsListen, NATSNKeys: f.nkeys, Store: f.store, CrawlInterval: f.interval,
		NATSAuth: f.natsAuth.auth(), MetricsListen: f.metrics,
		Open: f.open, KeysFile: f.keysFile, Version: versionString(), Rate: f.rate, Burst: f.burst}
	if f.natsSync != "" {
		if cfg.NATSSync, err = bus.ParseSync(f.natsSync); err != nil {
			return cfg, "", fmt.Errorf("--nats-sync: %w", err)
		}
		if f.nats != "" && cfg.NATSSync != bus.SyncAlways {
			return cfg, "", errors.New("--nats-sync configures the embedded NATS server; set sync_interval in the external server's config")
		}
	}
	cfg.Watch.Webhook.Targets = netguard.Policy(f.hooks)
	if err := cfg.Watch.Webhook.Targets.Validate(); err != nil {
		return cfg, "", fmt.Errorf("--webhook-targets: %w", err)
	}
	if f.store == pipeline.StoreElastic {
		if cfg.Elastic, err = f.es.config(); err != nil {
			return cfg, "", err
		}
	} else if f.es.addresses != "" {
		return cfg, "", fmt.Errorf("--es needs --store %s", pipeline.StoreElastic)
	}
	if f.tokenFile != "" {
		if cfg.NATSToken, err = readToken(f.tokenFile); err != nil {
			return cfg, "", err
		}
	} else if f.natsListen != "" && f.nats == "" && len(f.nkeys) == 0 {
		generated = rand.Text() + rand.Text() // 256 bits
		cfg.NATSToken = generated
	}
	if parts.Crawl && f.hasConfig {
		oc, err := loadOutlets(f.config)
		if err != nil {
			return cfg, "", err
		}
		cfg.Outlets = oc
	}
	if parts.Serve {
		if cfg.Location, err = f.location(cfg.Outlets); err != nil {
			return cfg, "", err
		}
	}
	return cfg, generated, nil
}

// configUsage describes --config.
const configUsage = "outlet config `file` (YAML; newswatch outlets check --config FILE validates one); default: the built-in catalog of Azerbaijani outlets (" + catalog.Name + ")"

// loadOutlets reads the outlet config file path, or the built-in catalog
// when path is empty.
func loadOutlets(path string) (*crawler.Config, error) {
	if path == "" {
		cfg, err := catalog.Load()
		if err != nil {
			return nil, fmt.Errorf("built-in catalog: %w", err)
		}
		return cfg, nil
	}
	return crawler.LoadConfig(path)
}

// location is the deployment's time zone: --tz, else the outlet config's
// timezone, else the built-in catalog's.
func (f *pipelineFlags) location(outlets *crawler.Config) (*time.Location, error) {
	if f.tz != "" {
		loc, err := time.LoadLocation(f.tz)
		if err != nil || f.tz == "Local" {
			return nil, fmt.Errorf("--tz %q: want an IANA time zone such as Asia/Baku or UTC", f.tz)
		}
		return loc, nil
	}
	if outlets != nil && outlets.Timezone != "" {
		return outlets.Location()
	}
	cat, err := catalog.Load()
	if err != nil {
		return nil, fmt.Errorf("built-in catalog: %w", err)
	}
	return cat.Location()
}

// printAccess tells who may use the API and where its keys are.
func printAccess(w io.Writer, p *pipeline.Pipeline, cfg pipeline.Config) {
	if cfg.Open {
		fmt.Fprintf(w, "                  open: reads need no API key (--open); exports do (newswatch keys create --scope export --keys %s)\n", p.KeysFile())
	} else {
		fmt.Fprintf(w, "                  API keys in %s (newswatch keys create --scope read|export|admin --keys FILE)\n", p.KeysFile())
	}
}

// printNATS tells how other processes reach the embedded NATS server, if
// it listens: its URL and, once, a token generated for this run.
func printNATS(w io.Writer, p *pipeline.Pipeline, cfg pipeline.Config, generated string) {
	if cfg.NATSURL != "" || p.NATSURL() == "" {
		return
	}
	switch {
	case generated != "":
		fmt.Fprintf(w, "  NATS:           %s (token %s; pass it with --nats-token-file)\n", p.NATSURL(), generated)
	case cfg.NATSToken != "":
		fmt.Fprintf(w, "  NATS:           %s (token from --nats-token-file)\n", p.NATSURL())
	default:
		fmt.Fprintf(w, "  NATS:           %s (nkey authentication)\n", p.NATSURL())
	}
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// newFlagSet returns a flag set whose --help says what the command does,
// then lists its flags.
func newFlagSet(name, args, about string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "usage: newswatch %s %s\n\n%s\n", name, args, about)
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintln(w, "\nflags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// part is a pipeline command: which parts it runs and how it is described.
type part struct {
	name   string
	parts  pipeline.Parts
	nats   natsMode
	about  string
	needsN bool // --nats is required
}

var (
	partRun = part{name: "run", parts: pipeline.All, nats: natsEither,
		about: "Runs everything in one process: an embedded NATS JetStream server (files under --data;\n" +
			"no TCP listener unless --nats-listen), the crawlers for the outlets in --config, the\n" +
			"indexer and the HTTP API on --listen. --nats uses an external NATS instead.\n" +
			"Runs until interrupted (Ctrl-C, SIGTERM), then stops cleanly."}
	partCrawler = part{name: "crawler", parts: pipeline.Parts{Crawl: true}, nats: natsExternal, needsN: true,
		about: "Runs the crawlers alone: crawls the outlets in --config and publishes their articles\n" +
			"to an external NATS (--nats), for scale-out. Keeps no local data."}
	partIndexer = part{name: "indexer", parts: pipeline.Parts{Index: true, Watch: true}, nats: natsExternal, needsN: true,
		about: "Runs the indexer alone: consumes articles from an external NATS (--nats) into the\n" +
			"search index under --data, for scale-out; and the watcher, which matches the watches\n" +
			"against new articles and versions and delivers their webhooks (indexers share the work)."}
	partAPI = part{name: "api", parts: pipeline.Parts{Serve: true}, nats: natsOptional,
		about: "Serves the HTTP API alone over the search index under --data, which an earlier `run`\n" +
			"or `indexer` built; a directory without an index is refused. With --nats it also serves\n" +
			"the crawlers' outlet health (GET /v1/outlets)."}
)

// runParts runs a pipeline command until ctx is done, then shuts it down in
// order.
func runParts(ctx context.Context, args []string, stdout, stderr io.Writer, c part) error {
	fs := newFlagSet(c.name, "[flags]", c.about)
	var f pipelineFlags
	f.register(fs, c.parts, c.nats, true)
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if c.needsN && f.nats == "" {
		return errors.New("--nats is required: this part runs against an external NATS")
	}
	log, err := newLogger(stderr, f.dev, f.level)
	if err != nil {
		return err
	}
	defer log.Sync()
	cfg, generated, err := f.pipelineConfig(c.parts)
	if err != nil {
		return err
	}
	return serve(ctx, cfg, log, func(p *pipeline.Pipeline) {
		if c.parts.Serve {
			fmt.Fprintf(stdout, "  API:            http://%s\n", p.APIAddr())
			fmt.Fprintf(stdout, "  web page:       http://%s/\n", p.APIAddr())
			printAccess(stdout, p, cfg)
		}
		if cfg.Outlets != nil && f.hasConfig {
			fmt.Fprintf(stdout, "  outlets:        %d from %s\n", len(cfg.Outlets.Outlets), cmp.Or(f.config, "the built-in catalog (--config FILE for your own)"))
		}
		printNATS(stdout, p, cfg, generated)
	})
}

// serve starts a pipeline, calls started (if set) and blocks until ctx is
// done or the API fails, then closes the pipeline.
func serve(ctx context.Context, cfg pipeline.Config, log *zap.Logger, started func(*pipeline.Pipeline)) error {
	p, err := pipeline.Start(ctx, cfg, log)
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, context.Canceled) {
			// Interrupted while starting (the API may already have
			// answered): Start has closed what it opened; a clean stop.
			log.Info("interrupted while starting; stopped cleanly")
			return nil
		}
		return err
	}
	if started != nil {
		started(p)
	}
	var serveErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case serveErr = <-p.ServeErr():
		log.Error("api server failed", zap.Error(serveErr))
	}
	if err := p.Close(); err != nil {
		return errors.Join(serveErr, err)
	}
	log.Info("stopped cleanly")
	return serveErr
}

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runParts(ctx, args, stdout, stderr, partRun)
}

func cmdCrawler(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runParts(ctx, args, stdout, stderr, partCrawler)
}

func cmdIndexer(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runParts(ctx, args, stdout, stderr, partIndexer)
}

func cmdAPI(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runParts(ctx, args, stdout, stderr, partAPI)
}

func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo", "[flags]",
		"Runs the whole pipeline (as `run` does) against simulated outlets served on loopback,\n"+
			"so it works offline. Prints the API's and the simulated sites' addresses; Ctrl-C stops it.")
	var f pipelineFlags
	f.register(fs, pipeline.All, natsEither, false)
	articles := fs.Int("articles", 300, "number of simulated articles across the outlets at the start")
	outlets := fs.Int("outlets", simsite.DefaultOutlets, "number of simulated outlets")
	seed := fs.Int64("seed", 1, "seed of the simulated site (same seed, same site)")
	publishEvery := fs.Duration("publish-every", 20*time.Second, "the simulated outlets publish a new article this often while the demo runs (0: never)")
	editEvery := fs.Duration("edit-every", time.Minute, "and edit one of their articles this often (0: never); an edit becomes the article's next version")
	outageEvery := fs.Duration("outage-every", 5*time.Minute, "and take one outlet down this often, in turn, for --outage-for (0: never), so /v1/outlets shows health changing")
	outageFor := fs.Duration("outage-for", time.Minute, "how long each outage lasts")
	minPoll := fs.Duration("min-poll", crawler.DefaultMinInterval, "shortest pause between two polls of a simulated outlet's feed, sitemap or listing")
	fs.Lookup("crawl-interval").DefValue = "30s"
	f.interval = 30 * time.Second
	// The demo answers reads without a key (and says so).
	fs.Lookup("open").DefValue = "true"
	f.open = true
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	log, err := newLogger(stderr, f.dev, f.level)
	if err != nil {
		return err
	}
	defer log.Sync()
	cfg, generated, err := f.pipelineConfig(pipeline.All)
	if err != nil {
		return err
	}
	// The outlets get host names derived from the seed (under ".test",
	// which no real outlet has), so article URLs and IDs are the same on
	// every start: a restart on the same --data adds nothing.
	if *publishEvery < 0 || *editEvery < 0 || *outageEvery < 0 || *outageFor < 0 {
		return errors.New("--publish-every, --edit-every, --outage-every and --outage-for must be >= 0")
	}
	if *minPoll <= 0 {
		return errors.New("--min-poll must be > 0")
	}
	if *outageEvery > 0 && *outageFor >= *outageEvery {
		return fmt.Errorf("--outage-for %v must be shorter than --outage-every %v", *outageFor, *outageEvery)
	}
	// The articles published while the demo runs come from a pool of
	// unpublished ones (enough for 6 hours at the default pace), dated
	// when they appear.
	pool := 0
	if *publishEvery > 0 {
		pool = max(50, min(int(6*time.Hour / *publishEvery), 5000))
	}
	site, err := simsite.New(simsite.Config{Seed: *seed, Articles: *articles + pool, Unpublished: pool, Outlets: *outlets,
		Domain: simsite.SeedDomain(*seed), LiveDates: true, PublishEvery: *publishEvery, EditEvery: *editEvery,
		OutageEvery: *outageEvery, OutageFor: *outageFor})
	if err != nil {
		return err
	}
	if err := site.Start(); err != nil {
		return err
	}
	defer site.Close()
	cfg.Outlets = simcrawl.Outlets(site)
	for i := range cfg.Outlets.Outlets {
		cfg.Outlets.Outlets[i].Poll.MinInterval = *minPoll
	}
	cfg.CrawlerOptions = append(cfg.CrawlerOptions, simcrawl.Options(site)...)
	return serve(ctx, cfg, log, func(p *pipeline.Pipeline) {
		fmt.Fprintf(stdout, "newswatch demo: %d simulated articles\n", *articles)
		fmt.Fprintf(stdout, "  web page:       http://%s/ (open it in a browser)\n", p.APIAddr())
		if *publishEvery > 0 || *editEvery > 0 || *outageEvery > 0 {
			fmt.Fprintf(stdout, "  live:           a new article every %v, an edit every %v, an outlet down for %v every %v (0: off; see /v1/outlets)\n",
				*publishEvery, *editEvery, *outageFor, *outageEvery)
		}
		fmt.Fprintf(stdout, "  API:            http://%s/v1/search?q=...\n", p.APIAddr())
		printAccess(stdout, p, cfg)
		for _, o := range site.Outlets() {
			fmt.Fprintf(stdout, "  simulated site: %-8s %s (%s), served on %s\n", o.ID, o.BaseURL, o.Language, o.Addr)
		}
		if o := site.Outlets(); len(o) > 0 {
			u, _ := url.Parse(o[0].BaseURL)
			fmt.Fprintf(stdout, "  (the simulated host names resolve only inside newswatch; to browse one:\n"+
				"   curl --connect-to %s:80:%s %s/)\n", u.Hostname(), o[0].Addr, o[0].BaseURL)
		}
		printNATS(stdout, p, cfg, generated)
		fmt.Fprintln(stdout, "Ctrl-C stops it.")
	})
}
