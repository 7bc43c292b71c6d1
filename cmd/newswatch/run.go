package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"go.uber.org/zap"

	"github.com/newswatch/newswatch/crawler"
	"github.com/newswatch/newswatch/pipeline"
	"github.com/newswatch/newswatch/simsite"
)

// pipelineFlags are the flags of the commands that run pipeline parts.
type pipelineFlags struct {
	config   string
	data     string
	listen   string
	nats     string
	store    string
	interval time.Duration
	dev      bool
	level    string
}

// register adds the flags the parts use to fs.
func (f *pipelineFlags) register(fs *flag.FlagSet, parts pipeline.Parts) {
	if parts.Crawl {
		fs.StringVar(&f.config, "config", "outlets.yaml", "outlet config file (YAML)")
		fs.DurationVar(&f.interval, "crawl-interval", crawler.DefaultInterval, "pause between crawl passes over an outlet that sets no interval")
	}
	if parts.Index || parts.Serve {
		fs.StringVar(&f.data, "data", pipeline.DefaultDataDir, "data directory (embedded NATS files, search index)")
		fs.StringVar(&f.store, "store", pipeline.StoreBleve, "search store: bleve")
	}
	if parts.Serve {
		fs.StringVar(&f.listen, "listen", pipeline.DefaultListen, "API listen address")
	}
	fs.StringVar(&f.nats, "nats", "", "external NATS URL(s), comma-separated; empty starts an embedded server under --data")
	fs.BoolVar(&f.dev, "dev", false, "human-readable console logs instead of JSON")
	fs.StringVar(&f.level, "log-level", "info", "log level: debug, info, warn, error")
}

func (f *pipelineFlags) pipelineConfig(parts pipeline.Parts) (pipeline.Config, error) {
	cfg := pipeline.Config{Parts: parts, DataDir: f.data, Listen: f.listen, NATSURL: f.nats,
		Store: f.store, CrawlInterval: f.interval}
	if parts.Crawl && f.config != "" {
		oc, err := crawler.LoadConfig(f.config)
		if err != nil {
			return cfg, err
		}
		cfg.Outlets = oc
	}
	return cfg, nil
}

// runParts runs the given pipeline parts until ctx is done, then shuts
// them down in order.
func runParts(ctx context.Context, args []string, stderr io.Writer, name string, parts pipeline.Parts, needNATS bool) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	var f pipelineFlags
	f.register(fs, parts)
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if needNATS && f.nats == "" {
		return errors.New("--nats is required: this part runs against an external NATS")
	}
	log, err := newLogger(stderr, f.dev, f.level)
	if err != nil {
		return err
	}
	defer log.Sync()
	cfg, err := f.pipelineConfig(parts)
	if err != nil {
		return err
	}
	return serve(ctx, cfg, log, nil)
}

// serve starts a pipeline, calls started (if set) and blocks until ctx is
// done or the API fails, then closes the pipeline.
func serve(ctx context.Context, cfg pipeline.Config, log *zap.Logger, started func(*pipeline.Pipeline)) error {
	p, err := pipeline.Start(ctx, cfg, log)
	if err != nil {
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

func cmdRun(ctx context.Context, args []string, _, stderr io.Writer) error {
	return runParts(ctx, args, stderr, "run", pipeline.All, false)
}

func cmdCrawler(ctx context.Context, args []string, _, stderr io.Writer) error {
	return runParts(ctx, args, stderr, "crawler", pipeline.Parts{Crawl: true}, true)
}

func cmdIndexer(ctx context.Context, args []string, _, stderr io.Writer) error {
	return runParts(ctx, args, stderr, "indexer", pipeline.Parts{Index: true}, true)
}

func cmdAPI(ctx context.Context, args []string, _, stderr io.Writer) error {
	return runParts(ctx, args, stderr, "api", pipeline.Parts{Serve: true}, false)
}

func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	var f pipelineFlags
	f.register(fs, pipeline.All)
	articles := fs.Int("articles", 300, "number of simulated articles across the outlets")
	outlets := fs.Int("outlets", simsite.DefaultOutlets, "number of simulated outlets")
	seed := fs.Int64("seed", 1, "seed of the simulated site (same seed, same site)")
	fs.Lookup("crawl-interval").DefValue = "30s"
	f.interval = 30 * time.Second
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: newswatch demo [flags]\n\nRuns the whole pipeline against simulated outlets on loopback (no internet needed).\n--config is ignored: the outlets are the simulated ones.")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	log, err := newLogger(stderr, f.dev, f.level)
	if err != nil {
		return err
	}
	defer log.Sync()
	site, err := simsite.New(simsite.Config{Seed: *seed, Articles: *articles, Outlets: *outlets})
	if err != nil {
		return err
	}
	if err := site.Start(); err != nil {
		return err
	}
	defer site.Close()
	f.config = ""
	cfg, err := f.pipelineConfig(pipeline.All)
	if err != nil {
		return err
	}
	cfg.Outlets = pipeline.DemoOutlets(site)
	return serve(ctx, cfg, log, func(p *pipeline.Pipeline) {
		fmt.Fprintf(stdout, "newswatch demo: %d simulated articles\n", *articles)
		fmt.Fprintf(stdout, "  API:            http://%s/v1/search?q=...\n", p.APIAddr())
		for _, o := range site.Outlets() {
			fmt.Fprintf(stdout, "  simulated site: %-8s %s (%s)\n", o.ID, o.BaseURL, o.Language)
		}
		fmt.Fprintln(stdout, "Ctrl-C stops it.")
	})
}
