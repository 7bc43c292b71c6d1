// Command watchbench measures whether watch matching keeps up (make
// bench-watch): an embedded NATS, the indexer into a Bleve index and the
// watcher with -watches saved queries (store/match/matchtest: on topics,
// or on common words), in one process as `run` has them, while articles
// (-corpus: bench/suite's realistic corpus, or simsite's outlets with
// their reprints and rewrites) are published at -rate a second for
// -duration, each given its story first as the crawlers' sink does;
// -edits of them come back 10 s later as a new version with an edited
// headline (edit events, which read the earlier version from the store).
// A share of the watches (-webhooks) POST their events to a webhook on
// loopback. -sync both runs it twice, one after the other: with NATS
// syncing every write before acknowledging it (newswatch's default) and
// every 2 minutes (--nats-sync interval).
//
// It reports the latency from publication to the event in WATCH_EVENTS
// (and to the webhook), the watcher's backlog sampled every second, how
// long it took to drain after the last article, and the process's CPU per
// article.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/bench/suite"
	"github.com/newswatch/newswatch/bus"
	"github.com/newswatch/newswatch/indexer"
	"github.com/newswatch/newswatch/internal/netguard"
	"github.com/newswatch/newswatch/simsite"
	"github.com/newswatch/newswatch/store/bleve"
	"github.com/newswatch/newswatch/store/match/matchtest"
	"github.com/newswatch/newswatch/story"
	"github.com/newswatch/newswatch/watch"
)

// Result is what a run measured.
type Result struct {
	Machine       suite.Machine     `json:"machine"`
	Corpus        string            `json:"corpus"`
	Watches       int               `json:"watches"`
	Queries       string            `json:"queries"`
	Sync          string            `json:"nats_sync"`
	Webhooks      int               `json:"webhooks"`
	Rate          float64           `json:"target_articles_per_second"`
	Duration      float64           `json:"duration_seconds"`
	Published     int               `json:"published"`
	Edits         int               `json:"edits"`
	PublishedRate float64           `json:"published_per_second"`
	Events        int               `json:"events"`
	EventsPerArt  float64           `json:"events_per_article"`
	ToEventMS     suite.Percentiles `json:"publication_to_event_ms"`
	ToWebhookMS   suite.Percentiles `json:"publication_to_webhook_ms"`
	Deliveries    int               `json:"webhook_deliveries"`
	MaxBacklog    uint64            `json:"watcher_max_backlog"`
	MeanBacklog   float64           `json:"watcher_mean_backlog"`
	DrainSeconds  float64           `json:"drain_seconds"`
	CPUPerArtMS   float64           `json:"cpu_ms_per_article"`
	KeptUp        bool              `json:"kept_up"`
}

func main() {
	nWatches := flag.Int("watches", 1000, "saved queries")
	rate := flag.Float64("rate", 100, "articles published a second")
	duration := flag.Duration("duration", time.Minute, "how long articles are published")
	edits := flag.Float64("edits", 0.05, "share of the articles published again later with an edited headline")
	hooks := flag.Float64("webhooks", 0.1, "share of the watches with a webhook (on loopback)")
	corpusName := flag.String("corpus", "realistic", "the articles: realistic (bench/suite's Zipf vocabularies and named entities in az/ru/en, as bench-store uses) or simsite (simsite's outlets, with reprints and rewrites of each other's articles)")
	queries := flag.String("queries", "topic", "the watches' queries: topic (matchtest.TopicQueries: each matches a small share of the articles) or broad (matchtest.Queries: common words, each matches about a sixth)")
	out := flag.String("out", "", "also write the result as JSON to this `file`")
	syncMode := flag.String("sync", "both", "when the embedded NATS flushes to disk: always (before acknowledging each message, the default of newswatch run), interval (every 2 minutes, --nats-sync interval), or both, one after the other")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the run to this `file`")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "watchbench:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "watchbench:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *corpusName != "realistic" && *corpusName != "simsite" {
		fmt.Fprintln(os.Stderr, "watchbench: -corpus: want realistic or simsite")
		os.Exit(2)
	}
	if *queries != "topic" && *queries != "broad" {
		fmt.Fprintln(os.Stderr, "watchbench: -queries: want topic or broad")
		os.Exit(2)
	}
	modes := map[string][]string{"always": {"always"}, "interval": {"interval"}, "both": {"always", "interval"}}[*syncMode]
	if modes == nil {
		fmt.Fprintln(os.Stderr, "watchbench: -sync: want always, interval or both")
		os.Exit(2)
	}
	var results []Result
	for _, mode := range modes {
		every := bus.SyncAlways
		if mode == "interval" {
			every = bus.DefaultSyncInterval
		}
		res, err := run(ctx, *corpusName, *nWatches, *rate, *duration, *edits, *hooks, *queries, every)
		if err != nil {
			fmt.Fprintln(os.Stderr, "watchbench:", err)
			os.Exit(1)
		}
		res.Sync = mode
		report(os.Stdout, res)
		results = append(results, res)
	}
	if *out != "" {
		b, _ := json.MarshalIndent(results, "", "  ")
		if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "watchbench:", err)
			os.Exit(1)
		}
	}
}

func run(ctx context.Context, corpusName string, nWatches int, rate float64, duration time.Duration, editShare, hookShare float64, queries string, syncEvery time.Duration) (Result, error) {
	res := Result{Machine: suite.DescribeMachine(), Corpus: corpusName, Watches: nWatches, Queries: queries, Rate: rate, Duration: duration.Seconds()}
	log := zap.NewNop()
	dir, err := os.MkdirTemp("", "watchbench-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	n := int(rate * duration.Seconds())
	fmt.Fprintf(os.Stderr, "watchbench: making %d articles and %d watches\n", n, nWatches)
	var corpus []article.Article
	if corpusName == "simsite" {
		if corpus, err = simsite.Corpus(simsite.Config{Seed: 21, Articles: n, Outlets: 6, Copies: 0.3}, "simsite.test", time.Minute); err != nil {
			return res, err
		}
	} else if err := suite.NewRealistic(21).Articles(n, 1000, func(b []article.Article) error {
		corpus = append(corpus, b...)
		return nil
	}); err != nil {
		return res, err
	}
	arts := make([]*article.Article, len(corpus))
	for i := range corpus {
		arts[i] = &corpus[len(corpus)-1-i] // oldest first
	}

	e, err := bus.StartEmbedded(ctx, bus.EmbeddedConfig{DataDir: dir, SyncInterval: syncEvery}, log)
	if err != nil {
		return res, err
	}
	defer e.Shutdown()
	conn, err := e.Connect(ctx, log)
	if err != nil {
		return res, err
	}
	defer conn.Close()
	if err := conn.EnsureStreams(ctx); err != nil {
		return res, err
	}
	idx, err := bleve.Open(dir+"/index", bleve.Options{}, log)
	if err != nil {
		return res, err
	}
	defer idx.Close()
	skv, err := conn.Stories(ctx)
	if err != nil {
		return res, err
	}
	stories, err := story.NewAssigner(ctx, story.Config{}, skv, log)
	if err != nil {
		return res, err
	}
	defer stories.Close()

	// The webhook receiver.
	var hmu sync.Mutex
	var toHook []float64
	published := map[string]time.Time{} // article message ID -> published
	var pmu sync.Mutex
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		now := time.Now()
		var ev watch.Event
		if json.Unmarshal(b, &ev) == nil && ev.Article != nil {
			pmu.Lock()
			at, ok := published[ev.Article.MsgID()]
			pmu.Unlock()
			if ok {
				hmu.Lock()
				toHook = append(toHook, float64(now.Sub(at).Microseconds())/1000)
				hmu.Unlock()
			}
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rcv.Close()

	ws, err := watch.NewStore(ctx, conn, netguard.Any)
	if err != nil {
		return res, err
	}
	qs := matchtest.TopicQueries(arts, nWatches, 7)
	if queries == "broad" {
		qs = matchtest.Queries(arts, nWatches, 7)
	}
	for i, q := range qs {
		w := watch.Watch{Query: q.Text, Outlets: q.Outlets, Langs: q.Langs}
		if float64(i%100) < hookShare*100 {
			w.Webhook = &watch.Webhook{URL: rcv.URL + "/hook"}
			res.Webhooks++
		}
		if _, err := ws.Create(ctx, w); err != nil {
			return res, fmt.Errorf("watch %d %q: %w", i, q.Text, err)
		}
	}
	ix, err := indexer.New(indexer.Config{}, conn, idx, log)
	if err != nil {
		return res, err
	}
	wt, err := watch.New(watch.Config{Webhook: watch.HookConfig{Targets: netguard.Any}}, conn, stories, idx, log)
	if err != nil {
		return res, err
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = ix.Run(rctx) }()
	go func() { defer wg.Done(); _ = wt.Run(rctx) }()
	defer wg.Wait()
	defer cancel()
	js := conn.JetStream()
	var cons jetstream.Consumer
	for cons == nil {
		if cons, err = js.Consumer(ctx, bus.StreamArticles, bus.WatcherDurable); err != nil {
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			cons = nil
			time.Sleep(50 * time.Millisecond)
		}
	}
	for wt.Stats().Watches < nWatches {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Events as they reach the stream.
	var emu sync.Mutex
	var toEvent []float64
	evc, err := js.OrderedConsumer(ctx, bus.StreamWatchEvents, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverNewPolicy})
	if err != nil {
		return res, err
	}
	cc, err := evc.Consume(func(m jetstream.Msg) {
		now := time.Now()
		md, err := m.Metadata()
		if err != nil || strings.HasPrefix(m.Subject(), bus.WatchRetriesPrefix) {
			return // a webhook retry is no new event
		}
		evs, err := watch.EventsOf(m.Subject(), m.Data(), md.Sequence.Stream)
		if err != nil || len(evs) == 0 || evs[0].Article == nil {
			return
		}
		pmu.Lock()
		at, ok := published[evs[0].Article.MsgID()]
		pmu.Unlock()
		if ok {
			emu.Lock()
			for range evs {
				toEvent = append(toEvent, float64(now.Sub(at).Microseconds())/1000)
			}
			emu.Unlock()
		}
	})
	if err != nil {
		return res, err
	}
	defer cc.Stop()

	backlog := func() uint64 {
		info, err := cons.Info(ctx)
		if err != nil {
			return 0
		}
		return info.NumPending + uint64(info.NumAckPending)
	}
	var samples []uint64
	sampleDone := make(chan struct{})
	go func() {
		defer close(sampleDone)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-rctx.Done():
				return
			case <-t.C:
				b := backlog()
				emu.Lock()
				samples = append(samples, b)
				emu.Unlock()
			}
		}
	}()

	var ru0 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	fmt.Fprintf(os.Stderr, "watchbench: publishing %.0f articles a second for %v\n", rate, duration)
	interval := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	type pendingEdit struct {
		a   *article.Article
		due time.Time
	}
	var due []pendingEdit
	publish := func(a *article.Article) error {
		if err := stories.Assign(ctx, a); err != nil {
			return err
		}
		pmu.Lock()
		published[a.MsgID()] = time.Now()
		pmu.Unlock()
		_, err := conn.Publish(ctx, a)
		return err
	}
	for i := 0; time.Since(start) < duration && ctx.Err() == nil; i++ {
		next := start.Add(time.Duration(i) * interval)
		if d := time.Until(next); d > 0 {
			time.Sleep(d)
		}
		// An edit due replaces this slot's new article now and then, so the
		// rate holds.
		if len(due) > 0 && time.Now().After(due[0].due) {
			v2 := *due[0].a
			due = due[1:]
			v2.Title = "Yenilənib: " + v2.Title
			v2.Version, v2.FetchedAt = 2, time.Now().UTC()
			if err := v2.Finalize(); err != nil {
				return res, err
			}
			if err := publish(&v2); err != nil {
				return res, err
			}
			res.Edits++
			continue
		}
		if res.Published >= len(arts) {
			break
		}
		a := arts[res.Published]
		a.FetchedAt = time.Now().UTC()
		if err := publish(a); err != nil {
			return res, err
		}
		res.Published++
		if float64(res.Published%100) < editShare*100 {
			due = append(due, pendingEdit{a: a, due: time.Now().Add(10 * time.Second)})
		}
	}
	pubTime := time.Since(start)
	res.PublishedRate = float64(res.Published+res.Edits) / pubTime.Seconds()
	drainStart := time.Now()
	for backlog() > 0 && time.Since(drainStart) < 3*time.Minute && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	res.DrainSeconds = time.Since(drainStart).Seconds()
	var ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(ru1.Utime.Nano()+ru1.Stime.Nano()-ru0.Utime.Nano()-ru0.Stime.Nano()) * time.Nanosecond
	res.CPUPerArtMS = float64(cpu.Microseconds()) / 1000 / float64(res.Published+res.Edits)
	// Let the last events and deliveries arrive.
	time.Sleep(3 * time.Second)
	cancel()
	<-sampleDone
	emu.Lock()
	res.Events = len(toEvent)
	res.ToEventMS = suite.PercentilesOf(toEvent)
	var sum uint64
	for _, s := range samples {
		sum += s
		res.MaxBacklog = max(res.MaxBacklog, s)
	}
	if len(samples) > 0 {
		res.MeanBacklog = float64(sum) / float64(len(samples))
	}
	emu.Unlock()
	hmu.Lock()
	res.Deliveries = len(toHook)
	res.ToWebhookMS = suite.PercentilesOf(toHook)
	hmu.Unlock()
	res.EventsPerArt = float64(res.Events) / float64(res.Published+res.Edits)
	// Keeping up: the articles published were handled at the pace they
	// came (the backlog never exceeded two seconds of articles) and the
	// rest drained within two seconds.
	res.KeptUp = res.MaxBacklog <= uint64(2*rate) && res.DrainSeconds <= 2 && res.PublishedRate >= 0.95*rate
	return res, nil
}

func report(w io.Writer, r Result) {
	fmt.Fprintf(w, "machine: %d cores (%s), %s, load average at start %s\n", r.Machine.Cores, r.Machine.CPUModel, r.Machine.GoVersion, r.Machine.LoadAvg)
	fmt.Fprintf(w, "%s corpus, %d %s watches (%d with a webhook on loopback); %d articles + %d edits published in %.0f s (%.1f a second, target %.0f), NATS sync %s; indexer and watcher in this process\n",
		r.Corpus, r.Watches, r.Queries, r.Webhooks, r.Published, r.Edits, r.Duration, r.PublishedRate, r.Rate, r.Sync)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "measure\tn\tp50\tp95\tp99\tmax")
	fmt.Fprintf(tw, "publication -> event in WATCH_EVENTS (ms)\t%d\t%.1f\t%.1f\t%.1f\t%.1f\n", r.ToEventMS.N, r.ToEventMS.P50, r.ToEventMS.P95, r.ToEventMS.P99, r.ToEventMS.Max)
	fmt.Fprintf(tw, "publication -> webhook received (ms)\t%d\t%.1f\t%.1f\t%.1f\t%.1f\n", r.ToWebhookMS.N, r.ToWebhookMS.P50, r.ToWebhookMS.P95, r.ToWebhookMS.P99, r.ToWebhookMS.Max)
	tw.Flush()
	fmt.Fprintf(w, "events: %d (%.1f per article); watcher backlog sampled each second: max %d, mean %.1f messages; drained %.2f s after the last article\n",
		r.Events, r.EventsPerArt, r.MaxBacklog, r.MeanBacklog, r.DrainSeconds)
	fmt.Fprintf(w, "CPU (whole process: NATS, stories, indexer, Bleve, watcher, webhooks): %.2f ms per article\n", r.CPUPerArtMS)
	fmt.Fprintf(w, "kept up: %v\n", r.KeptUp)
}
