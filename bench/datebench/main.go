// Command datebench scores published-date extraction on the date benchmark
// (../shared/date-bench/dev, htmldate's evaluation pages) with the method in
// that folder's README: each output is normalized to YYYY-MM-DD and compared
// exactly with the reference; no output is fn, a matching output tp, any
// other output (also on a page whose reference is null) fp.
//
// It runs newswatch's dates.Find (given the page URL, as in production) and,
// on the same pages in the same run, the same extractor without the URL and
// go-htmldate in fast and extensive mode (given only the HTML, as in the
// original comparison), and prints
// precision, recall, F1, accuracy and ms/page for each. Finally every page
// goes through the whole extractor (extract.Extract on the raw bytes), and
// the pages it fails on are listed.
//
//	go run ./bench/datebench -dev ../shared/date-bench/dev [-json out.json] [-errors]
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	htmldate "github.com/markusmobius/go-htmldate"
	"golang.org/x/net/html"

	"github.com/newswatch/newswatch/bench/internal/peers"
	"github.com/newswatch/newswatch/crawler/extract"
	"github.com/newswatch/newswatch/crawler/extract/charset"
	"github.com/newswatch/newswatch/crawler/extract/dates"
)

type truth struct {
	Date *string `json:"date"`
	URL  string  `json:"url"`
}

type page struct {
	id   string
	ref  string // "" when null
	url  string
	html string
	raw  []byte // the page as stored, before charset decoding
}

// Score is one tool's totals.
type Score struct {
	Tool      string  `json:"tool"`
	TP        int     `json:"tp"`
	FP        int     `json:"fp"`
	FN        int     `json:"fn"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Accuracy  float64 `json:"accuracy"`
	MsPerPage float64 `json:"ms_per_page"`
	Seconds   float64 `json:"seconds"`

	outputs map[string]string
	sources map[string]string
}

func main() {
	dev := flag.String("dev", "../shared/date-bench/dev", "benchmark folder with ground-truth.json and html/")
	jsonOut := flag.String("json", "", "also write the scores as JSON to this file")
	showErrors := flag.Bool("errors", false, "list the pages newswatch gets wrong")
	showAll := flag.Bool("all", false, "list every page with each tool's output")
	only := flag.Bool("only", false, "run newswatch only (faster tuning loop)")
	flag.Parse()

	pages, err := load(*dev)
	if err != nil {
		fmt.Fprintln(os.Stderr, "datebench:", err)
		os.Exit(1)
	}
	now := time.Now()
	tools := []struct {
		name string
		run  func(p page) (string, string)
	}{
		{"newswatch dates.Find (with URL)", func(p page) (string, string) {
			doc, err := html.Parse(strings.NewReader(p.html))
			if err != nil {
				return "", ""
			}
			r := dates.Find(doc, dates.Options{URL: p.url, Now: now})
			if r.Published == nil {
				return "", ""
			}
			return r.Published.Format("2006-01-02"), r.Source
		}},
	}
	if !*only {
		// Ablation: the same extractor given only the HTML, like go-htmldate.
		tools = append(tools, struct {
			name string
			run  func(p page) (string, string)
		}{"newswatch dates.Find (no URL)", func(p page) (string, string) {
			doc, err := html.Parse(strings.NewReader(p.html))
			if err != nil {
				return "", ""
			}
			r := dates.Find(doc, dates.Options{Now: now})
			if r.Published == nil {
				return "", ""
			}
			return r.Published.Format("2006-01-02"), r.Source
		}})
		for _, ext := range []bool{false, true} {
			name := "go-htmldate fast"
			if ext {
				name = "go-htmldate extensive"
			}
			tools = append(tools, struct {
				name string
				run  func(p page) (string, string)
			}{name, func(p page) (string, string) {
				r, err := htmldate.FromReader(strings.NewReader(p.html), htmldate.Options{UseOriginalDate: true, SkipExtensiveSearch: !ext})
				if err != nil || r.IsZero() {
					return "", ""
				}
				return r.DateTime.Format("2006-01-02"), ""
			}})
		}
	}

	var scores []*Score
	for _, tool := range tools {
		s := &Score{Tool: tool.name, outputs: map[string]string{}, sources: map[string]string{}}
		start := time.Now()
		for _, p := range pages {
			out, src := tool.run(p)
			s.outputs[p.id], s.sources[p.id] = out, src
		}
		s.Seconds = time.Since(start).Seconds()
		for _, p := range pages {
			switch out := s.outputs[p.id]; {
			case out == "":
				s.FN++
			case p.ref != "" && out == p.ref:
				s.TP++
			default:
				s.FP++
			}
		}
		n := len(pages)
		s.Precision = round3(ratio(s.TP, s.TP+s.FP))
		s.Recall = round3(ratio(s.TP, s.TP+s.FN))
		s.F1 = round3(ratio(2*s.TP, 2*s.TP+s.FP+s.FN))
		s.Accuracy = round3(ratio(s.TP, n))
		s.MsPerPage = math.Round(s.Seconds*1000/float64(n)*1000) / 1000
		scores = append(scores, s)
	}

	fmt.Printf("published_at on %s: %d pages\n\n", *dev, len(pages))
	// Time is also given relative to go-htmldate fast, as in the original table.
	var fast float64
	for _, s := range scores {
		if s.Tool == "go-htmldate fast" {
			fast = s.Seconds
		}
	}
	fmt.Printf("%-32s %4s %4s %4s  %-9s %-6s %-8s %-6s %-8s %s\n", "Tool", "tp", "fp", "fn", "Precision", "Recall", "Accuracy", "F1", "ms/page", "Time")
	for _, s := range scores {
		rel := "-"
		if fast > 0 {
			rel = fmt.Sprintf("%.2fx", s.Seconds/fast)
		}
		fmt.Printf("%-32s %4d %4d %4d  %-9.3f %-6.3f %-8.3f %-6.3f %-8.2f %s\n", s.Tool, s.TP, s.FP, s.FN, s.Precision, s.Recall, s.Accuracy, s.F1, s.MsPerPage, rel)
	}
	bySrc := map[string][3]int{}
	ours := scores[0]
	for _, p := range pages {
		src := ours.sources[p.id]
		if src == "" {
			src = "none"
		}
		c := bySrc[src]
		switch out := ours.outputs[p.id]; {
		case out == "":
			c[2]++
		case out == p.ref:
			c[0]++
		default:
			c[1]++
		}
		bySrc[src] = c
	}
	var srcs []string
	for k := range bySrc {
		srcs = append(srcs, k)
	}
	sort.Strings(srcs)
	fmt.Printf("\nnewswatch by date_source (tp/fp/fn):")
	for _, k := range srcs {
		c := bySrc[k]
		fmt.Printf("  %s %d/%d/%d", k, c[0], c[1], c[2])
	}
	fmt.Println()
	if *showErrors {
		fmt.Println()
		for _, p := range pages {
			out := ours.outputs[p.id]
			if *showAll || out != p.ref || out == "" {
				ext := ""
				if len(scores) > 1 {
					ext = scores[len(scores)-1].outputs[p.id]
				}
				fmt.Printf("%s ref=%-10s got=%-10s src=%-6s htmldate-ext=%-10s %s\n", p.id, p.ref, out, ours.sources[p.id], ext, p.url)
			}
		}
	}
	// Every page through the whole extractor (charset, content, metadata,
	// dates): none may make it fail.
	failures, notArticles := extractFailures(pages, now)
	fmt.Printf("\nnewswatch extract on every page (raw bytes): %d of %d failed; %d said to be no article (no text; printed with a warning)\n",
		len(failures), len(pages), len(notArticles))
	for _, f := range failures {
		fmt.Printf("  failed: %s\n", f)
	}
	for _, f := range notArticles {
		fmt.Printf("  not an article: %s\n", f)
	}
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(map[string]any{"dev": *dev, "pages": len(pages), "scores": scores,
			"extract_failures": failures, "not_articles": notArticles}, "", "  ")
		if err := os.WriteFile(*jsonOut, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "datebench:", err)
			os.Exit(1)
		}
	}
}

// extractFailures runs extract.Extract on every page's raw bytes and
// returns "id: error" for each page it fails on and, apart, the ids of the
// pages it finds no article text in (which newswatch extract prints with a
// warning).
func extractFailures(pages []page, now time.Time) (failures, notArticles []string) {
	ex := extract.New()
	failures, notArticles = []string{}, []string{}
	for _, p := range pages {
		u := p.url
		if pu, err := url.Parse(u); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			u = "https://example.org/" + p.id
		}
		_, err := peers.Body(ex.Extract(context.Background(), extract.Input{URL: u, Body: p.raw, FetchedAt: now, Outlet: "bench"}))
		switch {
		case errors.Is(err, peers.ErrNotArticle):
			notArticles = append(notArticles, p.id)
		case err != nil:
			failures = append(failures, p.id+": "+err.Error())
		}
	}
	return failures, notArticles
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// load reads the ground truth and the gzip-compressed pages, decoding each
// to UTF-8 as the original loader does (UTF-8, else detected charset).
func load(dir string) ([]page, error) {
	b, err := os.ReadFile(filepath.Join(dir, "ground-truth.json"))
	if err != nil {
		return nil, err
	}
	var gt map[string]truth
	if err := json.Unmarshal(b, &gt); err != nil {
		return nil, fmt.Errorf("ground truth: %w", err)
	}
	ids := make([]string, 0, len(gt))
	for id := range gt {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	pages := make([]page, 0, len(ids))
	for _, id := range ids {
		raw, err := peers.ReadGz(filepath.Join(dir, "html", id+".html.gz"))
		if err != nil {
			return nil, err
		}
		utf, _, err := charset.Decode(raw, "")
		if err != nil {
			utf = raw
		}
		p := page{id: id, url: gt[id].URL, html: string(utf), raw: raw}
		if d := gt[id].Date; d != nil {
			p.ref = *d
		}
		pages = append(pages, p)
	}
	return pages, nil
}
