package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/newswatch/newswatch/crawler"
	"github.com/newswatch/newswatch/pipeline"
)

// cmdCrawl backfills one outlet: `newswatch crawl --outlet ID --since DATE`.
func cmdCrawl(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("crawl", "--outlet ID --since DATE [flags]",
		"Backfills one outlet: walks its sitemaps, feeds, listings (page after page) and daily\n"+
			"archive (its archive: URL template) back to DATE, fetching every article it does not have\n"+
			"yet and publishing it to NATS (the embedded server under --data, or --nats), where `run`\n"+
			"or `indexer` indexes it. Shows a progress bar on a terminal and plain progress lines\n"+
			"otherwise. Interrupted (Ctrl-C), it keeps what it did: the same command again fetches\n"+
			"nothing it has and goes on where it stopped. It takes the outlet's crawl lease, so it\n"+
			"refuses to run while another crawler polls the outlet on the same NATS.")
	var (
		outlet, since, config, data, nats, tokenFile, progress, level string
		maxPages, maxArticles                                         int
		dev                                                           bool
		auth                                                          natsAuthFlags
	)
	fs.StringVar(&outlet, "outlet", "", "ID of the outlet to backfill (required)")
	fs.StringVar(&since, "since", "", "how far back: a `date` (2025-02-01, midnight in the outlet's time zone) or an RFC 3339 time (required)")
	fs.StringVar(&config, "config", "", configUsage)
	fs.StringVar(&data, "data", pipeline.DefaultDataDir, "`directory` of the embedded NATS server (the data directory newswatch run uses); one newswatch process at a time")
	fs.StringVar(&nats, "nats", "", "external NATS URL(s), comma-separated, instead of the embedded server")
	fs.StringVar(&tokenFile, "nats-token-file", "", "`file` holding the token to present to --nats")
	auth.register(fs)
	fs.IntVar(&maxPages, "max-pages", 1000, "listing pages followed per listing and per archive day")
	fs.IntVar(&maxArticles, "max-articles", 0, "article pages fetched at most (0: no limit)")
	fs.StringVar(&progress, "progress", "auto", "progress display: auto (a bar on a terminal, lines otherwise), bar, lines or none")
	fs.BoolVar(&dev, "dev", false, "human-readable console logs instead of JSON")
	fs.StringVar(&level, "log-level", "warn", "log level: debug, info, warn, error")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	switch {
	case outlet == "":
		return errors.New("--outlet is required")
	case since == "":
		return errors.New("--since is required")
	case maxPages < 1 || maxArticles < 0:
		return errors.New("--max-pages must be at least 1 and --max-articles at least 0")
	case progress != "auto" && progress != "bar" && progress != "lines" && progress != "none":
		return fmt.Errorf("--progress %q: want auto, bar, lines or none", progress)
	}
	oc, err := loadOutlets(config)
	if err != nil {
		return err
	}
	o, ok := oc.Outlet(outlet)
	if !ok {
		ids := make([]string, 0, len(oc.Outlets))
		for _, x := range oc.Outlets {
			ids = append(ids, x.ID)
		}
		return fmt.Errorf("--outlet %q is not in %s (outlets: %s)", outlet, cmp.Or(config, "the built-in catalog"), strings.Join(ids, ", "))
	}
	from, err := backfillSince(since, o, oc)
	if err != nil {
		return err
	}
	log, err := newLogger(stderr, dev, level)
	if err != nil {
		return err
	}
	defer log.Sync()
	cfg := pipeline.Config{DataDir: data, NATSURL: nats, NATSAuth: auth.auth(), Outlets: oc}
	if tokenFile != "" {
		if cfg.NATSToken, err = readToken(tokenFile); err != nil {
			return err
		}
	}
	show := newProgress(progress, stderr, outlet)
	started := time.Now()
	st, err := pipeline.Backfill(ctx, cfg, pipeline.BackfillConfig{Outlet: outlet,
		Pass:     crawler.PassOptions{Since: from, MaxListingPages: maxPages, MaxArticles: maxArticles},
		Progress: show.update}, log)
	show.done(st)
	summary := fmt.Sprintf("crawl %s since %s: %d articles published (%d new, %d updated), %d pages fetched, %d articles already there (not fetched again), %d failed, in %v",
		outlet, from.Format(time.RFC3339), st.ArticlesPublished, st.ArticlesNew, st.ArticlesUpdated, st.PagesFetched, st.Known,
		st.ErrorCount(), time.Since(started).Round(100*time.Millisecond))
	if err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintln(stdout, summary)
			return fmt.Errorf("interrupted after %d of %d articles found so far; the same command again goes on from there", st.ArticlesDone, st.Discovered)
		}
		return err
	}
	fmt.Fprintln(stdout, summary)
	return nil
}

// backfillSince reads --since: a date (midnight in the outlet's zone, else
// the deployment's) or an RFC 3339 time, not in the future.
func backfillSince(s string, o crawler.OutletConfig, cfg *crawler.Config) (time.Time, error) {
	loc, err := cfg.Location()
	if err != nil {
		return time.Time{}, err
	}
	if o.Timezone != "" {
		if l, err := time.LoadLocation(o.Timezone); err == nil {
			loc = l
		}
	}
	t, err := time.ParseInLocation("2006-01-02", s, loc)
	if err != nil {
		if t, err = time.Parse(time.RFC3339, s); err != nil {
			return time.Time{}, fmt.Errorf("--since %q: want a date (2025-02-01) or an RFC 3339 time", s)
		}
	}
	if t.After(time.Now()) {
		return time.Time{}, fmt.Errorf("--since %s is in the future", s)
	}
	return t, nil
}

// progressView shows a backfill's progress: a bar on a terminal, a plain
// line every few seconds otherwise.
type progressView struct {
	w      io.Writer
	outlet string
	bar    *progressbar.ProgressBar
	lines  bool
	last   time.Time
	start  time.Time
}

func newProgress(mode string, w io.Writer, outlet string) *progressView {
	v := &progressView{w: w, outlet: outlet, start: time.Now()}
	if mode == "auto" {
		mode = "lines"
		if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			mode = "bar"
		}
	}
	switch mode {
	case "bar":
		v.bar = progressbar.NewOptions64(-1, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(outlet),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("articles"),
			progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSetWidth(30), progressbar.OptionClearOnFinish())
	case "lines":
		v.lines = true
	}
	return v
}

// update shows the pass's progress: articles done of those found so far,
// pages fetched, rate and time left (found grows while the backfill
// discovers more).
func (v *progressView) update(st crawler.Stats) {
	switch {
	case v.bar != nil:
		v.bar.ChangeMax64(int64(max(st.Discovered, 1)))
		v.bar.Describe(fmt.Sprintf("%s: %d pages", v.outlet, st.PagesFetched))
		_ = v.bar.Set64(int64(st.ArticlesDone))
	case v.lines:
		if time.Since(v.last) < 2*time.Second {
			return
		}
		v.last = time.Now()
		fmt.Fprintln(v.w, progressLine(v.outlet, st, time.Since(v.start)))
	}
}

func (v *progressView) done(st crawler.Stats) {
	switch {
	case v.bar != nil:
		_ = v.bar.Finish()
	case v.lines:
		fmt.Fprintln(v.w, progressLine(v.outlet, st, time.Since(v.start)))
	}
}

// progressLine is one plain progress line.
func progressLine(outlet string, st crawler.Stats, took time.Duration) string {
	rate := float64(st.ArticlesDone) / max(took.Seconds(), 0.001)
	eta := "?"
	if left := st.Discovered - st.ArticlesDone; rate > 0 && left >= 0 {
		eta = time.Duration(float64(left) / rate * float64(time.Second)).Round(time.Second).String()
	}
	return fmt.Sprintf("crawl %s: %d of %d articles, %d pages, %d new, %d known, %.1f articles/s, ETA %s",
		outlet, st.ArticlesDone, st.Discovered, st.PagesFetched, st.ArticlesNew, st.Known, rate, eta)
}
