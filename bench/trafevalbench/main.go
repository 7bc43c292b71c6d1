// Command trafevalbench scores newswatch's article extractor on trafilatura's
// own evaluation corpus (../shared/traf-eval: news, blogs, institutional and
// shop pages in many languages), beside go-trafilatura with fallback and
// readeck go-readability, all in the same process on the same pages.
//
// Scoring is trafilatura's tests/eval_common.py, as the corpus README gives
// it: each document lists text chunks that must appear in the extracted
// main text ("with") and chunks that must not ("without"); after folding
// whitespace, a "with" chunk found is a true positive, else a false
// negative, a "without" chunk found is a false positive, else a true
// negative. Counts are summed over the corpus: precision = tp/(tp+fp),
// recall = tp/(tp+fn), F1 = 2tp/(2tp+fp+fn). A failed extraction counts
// its "with" chunks as false negatives.
//
// Each extractor gets the page's raw bytes (any charset) and decodes them
// itself: newswatch through extract.Extract, go-trafilatura and
// go-readability through go-shiori/dom.Parse (charset detection), the way
// go-trafilatura's own comparison script reads this corpus. Times include
// decoding and parsing.
//
//	go run ./bench/trafevalbench -dev ../shared/traf-eval/dev [-json out.json] [-errors] [-dump dir]
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/go-shiori/dom"

	"github.com/newswatch/newswatch/bench/internal/peers"
	"github.com/newswatch/newswatch/crawler/extract"
)

// extractor maps a document to its main text.
type extractor struct {
	Name string
	Run  func(d doc) (string, error)
}

// pageResult is one extractor's verdicts on one document.
type pageResult struct {
	Key    string   `json:"key"`
	TP     int      `json:"tp"`
	FP     int      `json:"fp"`
	FN     int      `json:"fn"`
	TN     int      `json:"tn"`
	Ms     float64  `json:"ms"`
	Error  string   `json:"error,omitempty"`
	Missed []string `json:"missed,omitempty"`
	Leaked []string `json:"leaked,omitempty"`
	Chars  int      `json:"chars"`
	// NotArticle is set when the extractor found no article text and
	// said so (newswatch extract prints what it found, with a warning).
	NotArticle bool `json:"not_article,omitempty"`
}

// result is one extractor's scores over the corpus.
type result struct {
	Name        string       `json:"name"`
	Docs        int          `json:"docs"`
	TP          int          `json:"tp"`
	FP          int          `json:"fp"`
	FN          int          `json:"fn"`
	TN          int          `json:"tn"`
	Scores      metrics      `json:"scores"`
	MedianMs    float64      `json:"median_ms"`
	MeanMs      float64      `json:"mean_ms"`
	CPUMs       float64      `json:"cpu_ms"`
	Errors      int          `json:"errors"`       // extractions that failed
	NotArticles int          `json:"not_articles"` // pages said to be no article (no text; not a failure of extract)
	PerPage     []pageResult `json:"per_page"`
}

func main() {
	dev := flag.String("dev", "../shared/traf-eval/dev", "corpus directory (evaldata.json, pages/)")
	jsonOut := flag.String("json", "", "write results as JSON to this file")
	dump := flag.String("dump", "", "write every extractor's text per document into this directory")
	only := flag.String("only", "", "comma-separated extractor names to run (ours,go-trafilatura,go-readability); empty runs all")
	showErrors := flag.Bool("errors", false, "list, per document, the chunks ours missed or let through")
	flag.Parse()
	if err := run(*dev, *jsonOut, *dump, *only, *showErrors); err != nil {
		fmt.Fprintln(os.Stderr, "trafevalbench:", err)
		os.Exit(1)
	}
}

func run(dev, jsonOut, dump, only string, showErrors bool) error {
	docs, err := load(dev)
	if err != nil {
		return err
	}
	ex := extract.New()
	all := []extractor{
		{Name: "ours", Run: func(d doc) (string, error) {
			return peers.Body(ex.Extract(context.Background(), extract.Input{URL: d.URL, Body: d.Raw, Outlet: "bench"}))
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
	if len(exs) == 0 {
		return fmt.Errorf("-only %q names no extractor", only)
	}
	if dump != "" {
		if err := os.MkdirAll(dump, 0o755); err != nil {
			return err
		}
	}
	for _, e := range exs { // warm-up: one-off start-up costs are not page time
		_, _ = e.Run(docs[0])
	}
	results := make([]result, len(exs))
	times := make([][]float64, len(exs))
	for i, e := range exs {
		results[i] = result{Name: e.Name, Docs: len(docs)}
	}
	// Documents in the outer loop, extractors in rotating order in the
	// inner one, so that load from other processes hits all alike.
	for di, d := range docs {
		for k := range exs {
			i := (k + di) % len(exs)
			cpu0 := peers.CPUTime()
			start := time.Now()
			text, err := exs[i].Run(d)
			ms := float64(time.Since(start).Microseconds()) / 1000
			results[i].CPUMs += float64((peers.CPUTime() - cpu0).Microseconds()) / 1000
			c, missed, leaked := score(d, text, err != nil)
			pr := pageResult{Key: d.Key, TP: c.TP, FP: c.FP, FN: c.FN, TN: c.TN, Ms: ms,
				Missed: missed, Leaked: leaked, Chars: len(text)}
			if err != nil {
				pr.Error = err.Error()
				if errors.Is(err, peers.ErrNotArticle) {
					pr.NotArticle = true
					results[i].NotArticles++
				} else {
					results[i].Errors++
				}
			}
			r := &results[i]
			r.TP, r.FP, r.FN, r.TN = r.TP+c.TP, r.FP+c.FP, r.FN+c.FN, r.TN+c.TN
			r.PerPage = append(r.PerPage, pr)
			times[i] = append(times[i], ms)
			if dump != "" {
				if err := os.WriteFile(filepath.Join(dump, d.File+"."+exs[i].Name+".txt"), []byte(text), 0o644); err != nil {
					return err
				}
			}
		}
	}
	for i := range results {
		r := &results[i]
		r.Scores = counts{TP: r.TP, FP: r.FP, FN: r.FN, TN: r.TN}.metrics()
		sorted := slices.Clone(times[i])
		sort.Float64s(sorted)
		r.MedianMs = peers.Median(sorted)
		for _, t := range times[i] {
			r.MeanMs += t
		}
		r.MeanMs /= float64(len(times[i]))
		r.CPUMs /= float64(len(docs))
	}
	fmt.Printf("traf-eval: %d documents from %s, chunk scoring of trafilatura's eval_common.py\n\n", len(docs), dev)
	fmt.Printf("%-16s %5s %5s %5s %5s  %-9s %-6s %-6s %-8s %9s %9s %9s %6s %8s\n", "extractor", "tp", "fp", "fn", "tn",
		"precision", "recall", "F1", "accuracy", "median ms", "mean ms", "cpu ms", "errors", "not art.")
	for _, r := range results {
		fmt.Printf("%-16s %5d %5d %5d %5d  %-9.3f %-6.3f %-6.3f %-8.3f %9.2f %9.2f %9.2f %6d %8d\n", r.Name, r.TP, r.FP, r.FN, r.TN,
			r.Scores.Precision, r.Scores.Recall, r.Scores.F1, r.Scores.Accuracy, r.MedianMs, r.MeanMs, r.CPUMs, r.Errors, r.NotArticles)
	}
	fmt.Println("\nms = wall time per document including charset decoding and parsing; cpu ms = mean process CPU time per document, all threads;\n" +
		"errors = extraction failed; not art. = ours found no article text and said so (newswatch extract prints what it found\n" +
		"with a warning); both score as empty text")
	if showErrors {
		for _, r := range results {
			if r.Name != "ours" {
				continue
			}
			for _, p := range r.PerPage {
				if p.FN == 0 && p.FP == 0 {
					continue
				}
				fmt.Printf("\n%s  tp %d fp %d fn %d  %d chars %s\n", p.Key, p.TP, p.FP, p.FN, p.Chars, p.Error)
				for _, m := range p.Missed {
					fmt.Printf("   - missed: %.120q\n", m)
				}
				for _, m := range p.Leaked {
					fmt.Printf("   + leaked: %.120q\n", m)
				}
			}
		}
	}
	if jsonOut != "" {
		b, err := json.MarshalIndent(map[string]any{
			"dev": dev, "docs": len(docs), "time": time.Now().UTC().Format(time.RFC3339), "results": results,
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

// load reads evaldata.json and every page, in sorted key order. A key that
// is not an absolute http(s) URL ("hard::..." labels, malformed URLs) gets
// the placeholder https://example.org/NAME.
func load(dev string) ([]doc, error) {
	b, err := os.ReadFile(filepath.Join(dev, "evaldata.json"))
	if err != nil {
		return nil, fmt.Errorf("read evaldata: %w", err)
	}
	var data map[string]struct {
		File    string   `json:"file"`
		With    []string `json:"with"`
		Without []string `json:"without"`
	}
	if err := json.Unmarshal(b, &data); err != nil {
		return nil, fmt.Errorf("parse evaldata: %w", err)
	}
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	docs := make([]doc, 0, len(keys))
	for _, k := range keys {
		e := data[k]
		raw, err := peers.ReadGz(filepath.Join(dev, "pages", e.File+".gz"))
		if err != nil {
			return nil, err
		}
		u := k
		if p, err := url.Parse(k); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			u = "https://example.org/" + url.PathEscape(e.File)
		}
		docs = append(docs, doc{Key: k, File: e.File, URL: u, With: e.With, Without: e.Without, Raw: raw})
	}
	if len(docs) == 0 {
		return nil, errors.New("no documents in evaldata.json")
	}
	return docs, nil
}

// runTrafilatura runs go-trafilatura as its comparison script runs it on
// this corpus: dom.Parse (charset detection), ExtractDocument with
// fallback, without comments, ContentText.
func runTrafilatura(d doc) (string, error) {
	root, err := dom.Parse(bytes.NewReader(d.Raw))
	if err != nil {
		return "", err
	}
	return peers.Trafilatura(root, d.URL, true)
}

// runReadability runs readeck go-readability on the page as dom.Parse
// decodes it and renders its text.
func runReadability(d doc) (string, error) {
	root, err := dom.Parse(bytes.NewReader(d.Raw))
	if err != nil {
		return "", err
	}
	return peers.Readability(root, d.URL)
}
