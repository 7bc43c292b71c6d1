// Command storebench measures the search store (store/bleve) at scale on a
// realistic corpus - Zipf vocabularies of 30,000 words per language, named
// entities with Zipf frequencies, realistic lengths - and a query mix of
// realistic selectivity (entities, topics, phrases, booleans, filters,
// newest first, aggregations), beside today's dense mix on simsite's
// corpus. Every figure sits beside bare Bleve from the same run: indexing
// with Put vs bare Bleve batches of the same documents, the index vs the
// articles as JSON, and search latency vs bare Bleve running the same
// requests on the same index. It prints the table and writes
// bench/results/<date>-<commit>-store-<size>.json.
//
//	go run ./bench/storebench                        # make bench-store: 100k
//	go run ./bench/storebench -articles 1000000      # make bench-store-1m
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
)

func main() {
	articles := flag.Int("articles", 100000, "articles of the realistic corpus")
	dense := flag.Int("dense", 30000, "articles of simsite's dense corpus for today's mix (-1: none)")
	rounds := flag.Int("rounds", 5, "rounds over each query mix after a warm-up round")
	sample := flag.Int("index-sample", 20000, "articles each side indexes in the side-by-side indexing comparison")
	seed := flag.Int64("seed", 7, "seed of the corpora")
	out := flag.String("out", "bench/results", "directory for the JSON report (empty: no file)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *articles, *dense, *rounds, *sample, *seed, *out); err != nil {
		fmt.Fprintln(os.Stderr, "storebench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, articles, dense, rounds, sample int, seed int64, out string) error {
	begin := time.Now()
	root, err := suite.ModuleRoot()
	if err != nil {
		return err
	}
	mode := fmt.Sprintf("store-%dk", articles/1000)
	if articles >= 1_000_000 && articles%1_000_000 == 0 {
		mode = fmt.Sprintf("store-%dm", articles/1_000_000)
	}
	rep := suite.NewReport(root, mode, begin)
	progress := func(s string) {
		fmt.Fprintf(os.Stderr, "%s storebench: %s\n", time.Now().Format("15:04:05"), s)
	}
	res, err := suite.Store(ctx, suite.StoreConfig{Articles: articles, DenseArticles: dense, Rounds: rounds,
		IndexSample: sample, Seed: seed, Progress: progress})
	sec := suite.Section{Name: "store", Seconds: time.Since(begin).Seconds(), Figures: suite.StoreFigures(res),
		Details: map[string]any{"result": res}}
	if err != nil {
		sec.Error = err.Error()
	}
	rep.Sections = append(rep.Sections, sec)
	rep.Seconds = time.Since(begin).Seconds()
	if werr := suite.WriteTable(os.Stdout, rep); werr != nil && err == nil {
		err = werr
	}
	for _, m := range []*suite.MixResult{&res.Realistic, res.Dense} {
		if m == nil {
			continue
		}
		fmt.Printf("\n%s mix, median ms per query (store / bare, hits):\n", m.Corpus)
		for _, q := range m.PerQuery {
			fmt.Printf("  %-34s %-11s %8.2f / %8.2f  %8d\n", q.Name, q.Kind, q.MedianMs, q.BareMedianMs, q.Total)
		}
	}
	if out != "" {
		path, serr := suite.SaveReport(rep, root, out, "-"+mode)
		if serr != nil {
			return serr
		}
		fmt.Fprintln(os.Stderr, "report:", path)
	}
	return err
}
