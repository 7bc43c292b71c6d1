// Command extractbench scores newswatch's article extractor against
// go-trafilatura (with fallback) and readeck go-readability on the
// extraction benchmark pages (../shared/extraction-bench), all in the same
// process on the same pages, with the benchmark's scoring method: 4-gram
// shingle precision, recall and F1 macro-averaged over documents, exact
// token accuracy, and bootstrap standard deviations.
//
//	go run ./bench/extractbench -dev ../shared/extraction-bench/dev [-json out.json] [-dump dir]
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"sort"
	"strings"
	"time"

	"golang.org/x/net/html"

	"github.com/newswatch/newswatch/bench/internal/peers"
	"github.com/newswatch/newswatch/crawler/extract"
)

type page struct {
	ID    string
	URL   string
	Truth string
	HTML  []byte
}

// extractor maps a page to its plain-text body.
type extractor struct {
	Name string
	Run  func(p page) (string, error)
}

// pageResult is one extractor's result on one page.
type pageResult struct {
	ID        string  `json:"id"`
	URL       string  `json:"url"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	Exact     bool    `json:"exact"`
	Ms        float64 `json:"ms"`
	Error     string  `json:"error,omitempty"`
	// NotArticle is set when the extractor found no article text and
	// said so (newswatch extract prints what it found, with a warning).
	NotArticle bool `json:"not_article,omitempty"`
}

// result is one extractor's scores over all pages.
type result struct {
	Name        string       `json:"name"`
	Pages       int          `json:"pages"`
	Scores      metrics      `json:"scores"`
	Std         metrics      `json:"std"`
	MedianMs    float64      `json:"median_ms"`
	MeanMs      float64      `json:"mean_ms"`
	CPUMs       float64      `json:"cpu_ms"`       // mean process CPU time per page (all threads)
	Errors      int          `json:"errors"`       // extractions that failed
	NotArticles int          `json:"not_articles"` // pages said to be no article (no text; not a failure of extract)
	PerPage     []pageResult `json:"per_page"`
}

func main() {
	dev := flag.String("dev", "../shared/extraction-bench/dev", "benchmark directory (ground-truth.json, html/)")
	jsonOut := flag.String("json", "", "write results as JSON to this file")
	dump := flag.String("dump", "", "write every extractor's text per page into this directory")
	only := flag.String("only", "", "comma-separated extractor names to run (ours,go-trafilatura,go-readability); empty runs all")
	rounds := flag.Int("bootstrap", 1000, "bootstrap resamples")
	seed := flag.Uint64("seed", 1, "bootstrap random seed")
	worst := flag.Int("worst", 0, "print the N worst pages of each extractor by F1")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "extractbench:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "extractbench:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if err := run(*dev, *jsonOut, *dump, *only, *rounds, *seed, *worst); err != nil {
		fmt.Fprintln(os.Stderr, "extractbench:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func run(dev, jsonOut, dump, only string, rounds int, seed uint64, worst int) error {
	pages, err := loadPages(dev)
	if err != nil {
		return err
	}
	ex := extract.New()
	all := []extractor{
		{Name: "ours", Run: func(p page) (string, error) {
			return peers.Body(ex.Extract(context.Background(), extract.Input{
				URL:    p.URL,
				Body:   p.HTML,
				Header: http.Header{"Content-Type": {"text/html; charset=utf-8"}},
				Outlet: "bench",
			}))
		}},
		{Name: "go-trafilatura", Run: runTrafilatura},
		{Name: "go-readability", Run: runReadability},
	}
	var exs []extractor
	for _, e := range all {
		if only == "" || slices.Contains(strings.Split(only, ","), e.Name) {
			exs = append(exs, e)
		}
	}
	if dump != "" {
		if err := os.MkdirAll(dump, 0o755); err != nil {
			return err
		}
	}
	// Warm up every extractor once (model loading, regexp compilation) so
	// that one-off start-up costs do not count as page time.
	for _, e := range exs {
		_, _ = e.Run(pages[0])
	}
	// Pages in the outer loop, extractors in the inner one (in rotating
	// order), so that load from other processes hits all of them alike.
	results := make([]result, len(exs))
	docs := make([][]docCounts, len(exs))
	times := make([][]float64, len(exs))
	for i, e := range exs {
		results[i] = result{Name: e.Name, Pages: len(pages)}
	}
	for pi, p := range pages {
		for k := range exs {
			i := (k + pi) % len(exs)
			e := exs[i]
			cpu0 := peers.CPUTime()
			start := time.Now()
			text, err := e.Run(p)
			ms := float64(time.Since(start).Microseconds()) / 1000
			results[i].CPUMs += float64((peers.CPUTime() - cpu0).Microseconds()) / 1000
			text = strings.ReplaceAll(text, "\u00ad", "")
			c := compare(p.Truth, text, 4)
			docs[i] = append(docs[i], c)
			times[i] = append(times[i], ms)
			pr := pageResult{ID: p.ID, URL: p.URL, Precision: docPrecision(c), Recall: docRecall(c), Exact: c.exact, Ms: ms}
			if err != nil {
				pr.Error = err.Error()
				if errors.Is(err, peers.ErrNotArticle) {
					pr.NotArticle = true
					results[i].NotArticles++
				} else {
					results[i].Errors++
				}
			}
			results[i].PerPage = append(results[i].PerPage, pr)
			if dump != "" {
				if err := os.WriteFile(filepath.Join(dump, p.ID[:12]+"."+e.Name+".txt"), []byte(text), 0o644); err != nil {
					return err
				}
			}
		}
	}
	for i := range results {
		r := &results[i]
		r.Scores = corpus(docs[i])
		r.Std = bootstrap(docs[i], rounds, rand.New(rand.NewPCG(seed, seed)))
		sorted := slices.Clone(times[i])
		sort.Float64s(sorted)
		r.MedianMs = peers.Median(sorted)
		for _, t := range times[i] {
			r.MeanMs += t
		}
		r.MeanMs /= float64(len(times[i]))
		r.CPUMs /= float64(len(pages))
	}
	if dump != "" {
		for _, p := range pages {
			if err := os.WriteFile(filepath.Join(dump, p.ID[:12]+".truth.txt"), []byte(p.Truth), 0o644); err != nil {
				return err
			}
		}
	}
	fmt.Printf("extraction benchmark: %d pages from %s, 4-gram shingles, ± = bootstrap std over %d resamples\n\n", len(pages), dev, rounds)
	fmt.Printf("%-16s %-15s %-15s %-15s %-15s %9s %9s %9s %6s %8s\n", "extractor", "F1", "precision", "recall", "accuracy", "median ms", "mean ms", "cpu ms", "errors", "not art.")
	for _, r := range results {
		fmt.Printf("%-16s %.3f ± %.3f  %.3f ± %.3f  %.3f ± %.3f  %.3f ± %.3f  %9.2f %9.2f %9.2f %6d %8d\n", r.Name,
			r.Scores.F1, r.Std.F1, r.Scores.Precision, r.Std.Precision, r.Scores.Recall, r.Std.Recall,
			r.Scores.Accuracy, r.Std.Accuracy, r.MedianMs, r.MeanMs, r.CPUMs, r.Errors, r.NotArticles)
	}
	fmt.Println("\nms = wall time per page; cpu ms = mean process CPU time per page, all threads (ours runs its two content extractors in parallel)")
	if worst > 0 {
		for _, r := range results {
			pp := slices.Clone(r.PerPage)
			f1 := func(p pageResult) float64 {
				if p.Precision+p.Recall == 0 {
					return 0
				}
				return 2 * p.Precision * p.Recall / (p.Precision + p.Recall)
			}
			sort.SliceStable(pp, func(i, j int) bool { return f1(pp[i]) < f1(pp[j]) })
			fmt.Printf("\nworst pages of %s:\n", r.Name)
			for _, p := range pp[:min(worst, len(pp))] {
				fmt.Printf("  %s  F1 %.3f  P %.3f  R %.3f  %s %s\n", p.ID[:12], f1(p), p.Precision, p.Recall, p.URL, p.Error)
			}
		}
	}
	if jsonOut != "" {
		b, err := json.MarshalIndent(map[string]any{
			"dev": dev, "pages": len(pages), "bootstrap": rounds, "seed": seed,
			"time": time.Now().UTC().Format(time.RFC3339), "results": results,
		}, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func loadPages(dev string) ([]page, error) {
	b, err := os.ReadFile(filepath.Join(dev, "ground-truth.json"))
	if err != nil {
		return nil, fmt.Errorf("read ground truth: %w", err)
	}
	var gt map[string]struct {
		ArticleBody string `json:"articleBody"`
		URL         string `json:"url"`
	}
	if err := json.Unmarshal(b, &gt); err != nil {
		return nil, fmt.Errorf("parse ground truth: %w", err)
	}
	ids := make([]string, 0, len(gt))
	for id := range gt {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	pages := make([]page, 0, len(ids))
	for _, id := range ids {
		h, err := peers.ReadGz(filepath.Join(dev, "html", id+".html.gz"))
		if err != nil {
			return nil, fmt.Errorf("page %s: %w", id, err)
		}
		pages = append(pages, page{ID: id, URL: gt[id].URL, Truth: gt[id].ArticleBody, HTML: h})
	}
	if len(pages) == 0 {
		return nil, errors.New("no pages in ground truth")
	}
	return pages, nil
}

// runTrafilatura runs go-trafilatura as the original benchmark did: html.Parse
// of the UTF-8 page, ExtractDocument with EnableFallback, ContentText.
func runTrafilatura(p page) (string, error) {
	doc, err := html.Parse(bytes.NewReader(p.HTML))
	if err != nil {
		return "", err
	}
	return peers.Trafilatura(doc, p.URL, false)
}

// runReadability runs readeck go-readability on the parsed page and renders
// its text content.
func runReadability(p page) (string, error) {
	doc, err := html.Parse(bytes.NewReader(p.HTML))
	if err != nil {
		return "", err
	}
	return peers.Readability(doc, p.URL)
}
