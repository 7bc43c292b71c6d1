// Command esbench measures store/elastic against a running search engine
// (make bench-elastic starts the test engine and runs it): bulk indexing
// through the store vs a bare esutil.BulkIndexer of the same documents,
// search latency of the benchmark query mix vs store/bleve on the same
// corpus, and the indexer through an engine outage (stopped for -outage,
// started again; nothing may be lost). It prints the table and writes
// bench/results/<date>-<commit>-elastic.json.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/newswatch/newswatch/bench/suite"
	"github.com/newswatch/newswatch/store/elastic"
)

func main() {
	var cfg suite.ElasticConfig
	var out string
	flag.StringVar(&cfg.URL, "es", os.Getenv("NEWSWATCH_ES_URL"), "engine URL (default $NEWSWATCH_ES_URL)")
	flag.IntVar(&cfg.Articles, "articles", 20000, "articles per side of the bulk benchmark, and in the searched index")
	flag.IntVar(&cfg.Batch, "batch", 500, "Put batch size")
	flag.IntVar(&cfg.Rounds, "rounds", 10, "rounds over the query mix")
	flag.IntVar(&cfg.OutageArticles, "outage-articles", 20000, "articles through NATS and the indexer in the outage benchmark")
	flag.DurationVar(&cfg.Outage, "outage", 60*time.Second, "how long the engine stays stopped")
	flag.StringVar(&cfg.StopEngine, "stop", "", "shell command that stops the engine (empty: no outage benchmark)")
	flag.StringVar(&cfg.StartEngine, "start", "", "shell command that starts the engine again with its data and waits until it is ready")
	flag.StringVar(&out, "out", "bench/results", "directory for the JSON report (empty: none)")
	flag.Parse()
	if cfg.URL == "" {
		fatal(fmt.Errorf("no engine: -es URL or NEWSWATCH_ES_URL (make bench-elastic starts the test engine)"))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, out); err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "esbench:", err)
	os.Exit(1)
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "esbench: "+format+"\n", args...)
}

func run(ctx context.Context, cfg suite.ElasticConfig, out string) error {
	begin := time.Now()
	root, err := suite.ModuleRoot()
	if err != nil {
		return err
	}
	rep := suite.NewReport(root, "elastic", begin)
	sec := suite.Section{Name: "elastic", Details: map[string]any{}}

	progress("bulk: %d articles per side, batches of %d", cfg.Articles, cfg.Batch)
	ix, loaded, err := suite.ElasticIndex(ctx, cfg)
	defer func() {
		if loaded.Prefix != "" {
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			defer cancel()
			_ = elastic.Drop(dctx, loaded)
		}
	}()
	if err != nil {
		return fmt.Errorf("bulk: %w", err)
	}
	sec.Details["index"] = ix
	progress("bulk: store %.0f/s, bare %.0f/s; search: %d rounds", ix.StorePerSec, ix.BarePerSec, cfg.Rounds)
	se, err := suite.ElasticSearch(ctx, cfg, loaded)
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	sec.Details["search"] = se
	var outage *suite.ElasticOutageResult
	if cfg.StopEngine != "" {
		progress("outage: %d articles, engine down %s", cfg.OutageArticles, cfg.Outage)
		o, err := suite.ElasticOutage(ctx, cfg)
		sec.Details["outage"] = o
		if err != nil {
			return fmt.Errorf("outage: %w", err)
		}
		outage = &o
	}
	sec.Figures = suite.ElasticFigures(ix, se, outage)
	sec.Seconds = time.Since(begin).Seconds()
	rep.Sections = append(rep.Sections, sec)
	rep.Seconds = sec.Seconds
	if out != "" {
		path, err := suite.SaveReport(rep, root, out, "-elastic")
		if err != nil {
			return err
		}
		progress("wrote %s", path)
	}
	return suite.WriteTable(os.Stdout, rep)
}
