package suite

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ExtractResult is what bench/extractbench writes with -json (the fields
// used here).
type ExtractResult struct {
	Pages   int `json:"pages"`
	Results []struct {
		Name   string `json:"name"`
		Pages  int    `json:"pages"`
		Scores struct {
			Precision, Recall, F1, Accuracy float64
		} `json:"scores"`
		MedianMs float64 `json:"median_ms"`
		MeanMs   float64 `json:"mean_ms"`
		CPUMs    float64 `json:"cpu_ms"`
		Errors   int     `json:"errors"`
	} `json:"results"`
}

// DateResult is what bench/datebench writes with -json.
type DateResult struct {
	Pages  int `json:"pages"`
	Scores []struct {
		Tool      string  `json:"tool"`
		Precision float64 `json:"precision"`
		Recall    float64 `json:"recall"`
		F1        float64 `json:"f1"`
		Accuracy  float64 `json:"accuracy"`
		MsPerPage float64 `json:"ms_per_page"`
	} `json:"scores"`
}

// TrafEvalResult is what bench/trafevalbench writes with -json (the fields
// used here).
type TrafEvalResult struct {
	Docs    int `json:"docs"`
	Results []struct {
		Name   string `json:"name"`
		TP     int    `json:"tp"`
		FP     int    `json:"fp"`
		FN     int    `json:"fn"`
		TN     int    `json:"tn"`
		Scores struct {
			Precision float64 `json:"precision"`
			Recall    float64 `json:"recall"`
			F1        float64 `json:"f1"`
		} `json:"scores"`
		MedianMs    float64 `json:"median_ms"`
		MeanMs      float64 `json:"mean_ms"`
		Errors      int     `json:"errors"`
		NotArticles int     `json:"not_articles"`
	} `json:"results"`
}

// runJSON runs bin with args plus "-json FILE" and decodes FILE into v.
func runJSON(ctx context.Context, bin string, args []string, v any) error {
	f, err := os.CreateTemp("", "nwbench-*.json")
	if err != nil {
		return err
	}
	f.Close()
	defer os.Remove(f.Name())
	cmd := exec.CommandContext(ctx, bin, append(args, "-json", f.Name())...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", filepath.Base(bin), err, lastLines(out.String(), 5))
	}
	b, err := os.ReadFile(f.Name())
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s -json output: %w", filepath.Base(bin), err)
	}
	return nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], " | ")
}

// Extraction runs the extractbench binary on dev and returns its result.
func Extraction(ctx context.Context, bin, dev string) (ExtractResult, error) {
	var r ExtractResult
	err := runJSON(ctx, bin, []string{"-dev", dev}, &r)
	return r, err
}

// TrafEval runs the trafevalbench binary on dev and returns its result.
func TrafEval(ctx context.Context, bin, dev string) (TrafEvalResult, error) {
	var r TrafEvalResult
	err := runJSON(ctx, bin, []string{"-dev", dev}, &r)
	return r, err
}

// Dates runs the datebench binary on dev and returns its result.
func Dates(ctx context.Context, bin, dev string) (DateResult, error) {
	var r DateResult
	err := runJSON(ctx, bin, []string{"-dev", dev}, &r)
	return r, err
}

// ExtractionFigures turns extractbench's result into rows: our F1 and
// ms/page beside go-trafilatura (with fallback) and go-readability.
func ExtractionFigures(r ExtractResult) []Figure {
	byName := map[string]int{}
	for i, x := range r.Results {
		byName[x.Name] = i
	}
	oi, ok := byName["ours"]
	if !ok {
		return []Figure{MissingFigure("extraction F1", "F1", "extractbench reported no \"ours\" result")}
	}
	ours := r.Results[oi]
	var out []Figure
	for _, peer := range []struct{ name, label string }{{"go-trafilatura", "go-trafilatura (fallback on)"}, {"go-readability", "readeck go-readability"}} {
		pi, ok := byName[peer.name]
		if !ok {
			out = append(out, MissingFigure("extraction F1 vs "+peer.name, "F1", "extractbench reported no "+peer.name+" result"))
			continue
		}
		p := r.Results[pi]
		f := Compare("extraction F1", "F1", HigherIsBetter, ours.Scores.F1, peer.label, p.Scores.F1)
		f.Note = fmt.Sprintf("%d pages of extraction-bench/dev, 4-gram shingle F1 (extractbench)", r.Pages)
		out = append(out, f)
		ms := Compare("extraction time", "ms/page", LowerIsBetter, ours.MeanMs, peer.label, p.MeanMs)
		ms.Note = "mean wall time per page, same process, interleaved"
		out = append(out, ms)
	}
	return out
}

// TrafEvalFigures turns trafevalbench's result into rows: our F1 and
// median ms/page on trafilatura's evaluation corpus beside go-trafilatura
// (with fallback).
func TrafEvalFigures(r TrafEvalResult) []Figure {
	var ours, peer int = -1, -1
	for i, x := range r.Results {
		switch x.Name {
		case "ours":
			ours = i
		case "go-trafilatura":
			peer = i
		}
	}
	if ours < 0 || peer < 0 {
		return []Figure{MissingFigure("traf-eval F1", "F1", "trafevalbench reported no \"ours\" or no go-trafilatura result")}
	}
	o, p := r.Results[ours], r.Results[peer]
	const label = "go-trafilatura (fallback on)"
	f := Compare("traf-eval F1", "F1", HigherIsBetter, o.Scores.F1, label, p.Scores.F1)
	f.Note = fmt.Sprintf("%d documents of traf-eval/dev, with/without chunks (trafevalbench); ours P %.3f R %.3f, %d failed, %d without article text",
		r.Docs, o.Scores.Precision, o.Scores.Recall, o.Errors, o.NotArticles)
	ms := Compare("traf-eval time", "ms/page", LowerIsBetter, o.MedianMs, label, p.MedianMs)
	ms.Note = "median wall time per document incl. charset decoding and parsing, same process, interleaved"
	return []Figure{f, ms}
}

// DateFigures turns datebench's result into rows: our date F1 and ms/page
// beside go-htmldate (extensive and fast mode).
func DateFigures(r DateResult) []Figure {
	if len(r.Scores) == 0 {
		return []Figure{MissingFigure("date F1", "F1", "datebench reported no scores")}
	}
	ours := r.Scores[0] // datebench lists newswatch first
	if !strings.HasPrefix(ours.Tool, "newswatch") {
		return []Figure{MissingFigure("date F1", "F1", fmt.Sprintf("datebench's first tool is %q, not newswatch", ours.Tool))}
	}
	var out []Figure
	for _, p := range r.Scores[1:] {
		if !strings.Contains(p.Tool, "htmldate") {
			continue // a variant of ours, not a peer
		}
		f := Compare("published date F1", "F1", HigherIsBetter, ours.F1, p.Tool, p.F1)
		f.Note = fmt.Sprintf("%d pages of date-bench/dev, exact day (datebench)", r.Pages)
		ms := Compare("date extraction time", "ms/page", LowerIsBetter, ours.MsPerPage, p.Tool, p.MsPerPage)
		out = append(out, f, ms)
	}
	if len(out) == 0 {
		out = append(out, MissingFigure("published date F1", "F1", "datebench ran without its go-htmldate peers"))
	}
	return out
}
