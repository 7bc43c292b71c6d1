package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/newswatch/newswatch/crawler"
)

// BackfillConfig configures Backfill.
type BackfillConfig struct {
	// Outlet is the ID of the outlet to backfill (required).
	Outlet string
	// Pass says how far back (Since, required) and with which limits.
	Pass crawler.PassOptions
	// Progress, if set, is called with the pass's Stats as it goes (at
	// most every 100 ms, and once at the end).
	Progress func(crawler.Stats)
}

// ErrBackfillConfig is wrapped by Backfill for a job it cannot run.
var ErrBackfillConfig = errors.New("invalid backfill")

// Backfill walks one outlet's sitemaps, feeds, listings and archive back
// to a date and publishes what it finds on the bus of cfg (the embedded
// NATS under cfg.DataDir, or cfg.NATSURL), as `newswatch crawl` does. It
// holds the outlet's crawl lease meanwhile (failing with
// crawler.ErrLeaseHeld while another crawler polls the outlet). An
// interrupted backfill (ctx cancelled) keeps what it did: run again, it
// fetches no page it has and goes on from the documents' unfinished
// entries. The articles wait on the bus for an indexer (`run` or
// `indexer`).
func Backfill(ctx context.Context, cfg Config, job BackfillConfig, log *zap.Logger) (crawler.Stats, error) {
	cfg.Parts = Parts{Crawl: true}
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return crawler.Stats{}, fmt.Errorf("config: %w", err)
	}
	if _, ok := cfg.Outlets.Outlet(job.Outlet); !ok {
		return crawler.Stats{}, fmt.Errorf("%w: outlet %q is not in the outlet config", ErrBackfillConfig, job.Outlet)
	}
	if job.Pass.Since.IsZero() {
		return crawler.Stats{}, fmt.Errorf("%w: no date to go back to", ErrBackfillConfig)
	}
	p := &Pipeline{cfg: cfg, log: log.Named("pipeline"), root: log, registry: prometheus.NewRegistry(), passes: map[string]int{}, serveErr: make(chan error, 1)}
	defer func() {
		if err := p.Close(); err != nil {
			p.log.Warn("closing after the backfill", zap.Error(err))
		}
	}()
	if p.cfg.NATSURL == "" {
		if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
			return crawler.Stats{}, fmt.Errorf("data dir: %w", err)
		}
	}
	if err := p.startBus(ctx); err != nil {
		return crawler.Stats{}, err
	}
	var extra []crawler.Option
	if job.Progress != nil {
		extra = append(extra, crawler.WithProgress(job.Progress))
	}
	cr, err := p.newCrawler(ctx, extra...)
	if err != nil {
		return crawler.Stats{}, err
	}
	leases, err := p.conn.Leases(ctx)
	if err != nil {
		return crawler.Stats{}, fmt.Errorf("crawler leases: %w", err)
	}
	release, err := crawler.AcquireLease(ctx, leases, p.crawlerName(), job.Outlet)
	if err != nil {
		return crawler.Stats{}, fmt.Errorf("outlet %s: %w (stop it, or run the backfill where it runs)", job.Outlet, err)
	}
	defer release()
	return cr.CrawlOutlet(ctx, job.Outlet, job.Pass)
}
