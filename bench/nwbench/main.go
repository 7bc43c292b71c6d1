// Command nwbench runs newswatch's system benchmarks (package bench/suite)
// and prints every figure beside its peer from the same run, with the
// machine it ran on; it also writes the whole report as JSON to
// bench/results/<date>-<commit>.json (<date>-<commit>-full.json in full
// mode).
//
//	go run ./bench/nwbench                 # quick: under 5 minutes on 2 cores
//	go run ./bench/nwbench -mode full      # larger data (1M-article search index)
//	go run ./bench/nwbench -sections crawl,nats
//
// Each section runs in its own child process (this binary re-executed), so
// that one section's heap does not slow the next and the peak RSS reported
// is that section's alone. Run it from the module root (make bench does).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/newswatch/newswatch/bench/suite"
)

// sizes are the data sizes of a mode.
type sizes struct {
	CrawlArticles  int
	NATSSync       int
	NATSAsync      int
	IndexArticles  int
	SearchArticles int
	SearchRounds   int
	DemoArticles   int
	Timeout        map[string]time.Duration
}

var modes = map[string]sizes{
	"quick": {CrawlArticles: 600, NATSSync: 2000, NATSAsync: 5000, IndexArticles: 3000,
		SearchArticles: 100_000, SearchRounds: 5, DemoArticles: 1000,
		Timeout: map[string]time.Duration{"extract": 2 * time.Minute, "dates": 2 * time.Minute, "crawl": 2 * time.Minute,
			"nats": 2 * time.Minute, "index": 2 * time.Minute, "search": 6 * time.Minute, "demo": 3 * time.Minute}},
	"full": {CrawlArticles: 3000, NATSSync: 10000, NATSAsync: 100_000, IndexArticles: 20_000,
		SearchArticles: 1_000_000, SearchRounds: 10, DemoArticles: 1000,
		Timeout: map[string]time.Duration{"extract": 5 * time.Minute, "dates": 5 * time.Minute, "crawl": 10 * time.Minute,
			"nats": 10 * time.Minute, "index": 20 * time.Minute, "search": 3 * time.Hour, "demo": 5 * time.Minute}},
}

// allSections in run order: the cheap ones first, the search index last
// but one (it is the longest), the demo last.
var allSections = []string{"extract", "dates", "crawl", "nats", "index", "search", "demo"}

type options struct {
	mode       string
	sections   []string
	outDir     string
	extractDev string
	dateDev    string
	trafDev    string
	// child mode
	section  string
	childOut string
	bins     string // dir of built binaries
	// size overrides (0: the mode's)
	crawlArticles, indexArticles, searchArticles, searchRounds int
}

// sizes returns the mode's sizes with the overrides applied.
func (o options) sizes() sizes {
	sz := modes[o.mode]
	set := func(dst *int, v int) {
		if v > 0 {
			*dst = v
		}
	}
	set(&sz.CrawlArticles, o.crawlArticles)
	set(&sz.IndexArticles, o.indexArticles)
	set(&sz.SearchArticles, o.searchArticles)
	set(&sz.SearchRounds, o.searchRounds)
	return sz
}

func main() {
	var o options
	var sections string
	flag.StringVar(&o.mode, "mode", "quick", "quick (under 5 minutes on 2 cores) or full (larger data)")
	flag.StringVar(&sections, "sections", strings.Join(allSections, ","), "comma-separated sections to run: "+strings.Join(allSections, ","))
	flag.StringVar(&o.outDir, "out", "bench/results", "directory for the JSON report (empty: no file)")
	flag.StringVar(&o.extractDev, "extract-dev", "../shared/extraction-bench/dev", "extraction benchmark pages (extractbench -dev)")
	flag.StringVar(&o.trafDev, "traf-dev", "../shared/traf-eval/dev", "trafilatura's evaluation corpus (trafevalbench -dev)")
	flag.StringVar(&o.dateDev, "date-dev", "../shared/date-bench/dev", "date benchmark pages (datebench -dev)")
	flag.IntVar(&o.crawlArticles, "crawl-articles", 0, "override the mode's simulated site size for the crawl section")
	flag.IntVar(&o.indexArticles, "index-articles", 0, "override the mode's article count for the index section")
	flag.IntVar(&o.searchArticles, "search-articles", 0, "override the mode's index size for the search section")
	flag.IntVar(&o.searchRounds, "search-rounds", 0, "override the mode's rounds over the query mix")
	flag.StringVar(&o.section, "run-section", "", "internal: run one section in this process")
	flag.StringVar(&o.childOut, "section-out", "", "internal: file for the section's JSON")
	flag.StringVar(&o.bins, "bins", "", "internal: directory of the built benchmark binaries")
	flag.Parse()
	if _, ok := modes[o.mode]; !ok {
		fatal(fmt.Errorf("unknown -mode %q: want quick or full", o.mode))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if o.section != "" {
		if err := child(ctx, o); err != nil {
			fatal(err)
		}
		return
	}
	for _, s := range strings.Split(sections, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if !slices.Contains(allSections, s) {
			fatal(fmt.Errorf("unknown section %q: want some of %s", s, strings.Join(allSections, ",")))
		}
		o.sections = append(o.sections, s)
	}
	if err := parent(ctx, o); err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "nwbench:", err)
	os.Exit(1)
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "nwbench: "+format+"\n", args...)
}

func parent(ctx context.Context, o options) error {
	begin := time.Now()
	root, err := suite.ModuleRoot()
	if err != nil {
		return err
	}
	rep := suite.NewReport(root, o.mode, begin)
	bins, err := os.MkdirTemp("", "nwbench-bin-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(bins)
	progress("mode %s, sections %s; building binaries", o.mode, strings.Join(o.sections, ","))
	build := time.Now()
	for _, pkg := range []string{"./bench/extractbench", "./bench/trafevalbench", "./bench/datebench", "./cmd/newswatch"} {
		if _, err := suite.BuildBinary(ctx, root, pkg, bins); err != nil {
			return err
		}
	}
	progress("built in %.1f s", time.Since(build).Seconds())
	self, err := os.Executable()
	if err != nil {
		return err
	}
	// The report is rewritten after every section, so that an interrupted
	// run (a long full mode) keeps what it measured.
	path := ""
	if o.outDir != "" {
		dir := o.outDir
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(root, dir)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		name := begin.UTC().Format("2006-01-02") + "-" + rep.Commit
		if o.mode != "quick" {
			name += "-" + o.mode
		}
		path = filepath.Join(dir, name+".json")
	}
	save := func() error {
		rep.Seconds = time.Since(begin).Seconds()
		if path == "" {
			return nil
		}
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		return os.WriteFile(path, append(b, '\n'), 0o644)
	}
	for _, name := range o.sections {
		if ctx.Err() != nil {
			break
		}
		progress("%s: running", name)
		sec := runChild(ctx, self, name, o, bins)
		progress("%s: %.1f s%s", name, sec.Seconds, errSuffix(sec.Error))
		rep.Sections = append(rep.Sections, sec)
		if err := save(); err != nil {
			return err
		}
	}
	if path != "" {
		progress("wrote %s", path)
	}
	if err := suite.WriteTable(os.Stdout, rep); err != nil {
		return err
	}
	for _, s := range rep.Sections {
		if s.Error != "" {
			return fmt.Errorf("section %s failed: %s", s.Name, s.Error)
		}
	}
	return ctx.Err()
}

func errSuffix(e string) string {
	if e == "" {
		return ""
	}
	return ", FAILED: " + e
}

// runChild runs one section in a child process and returns its Section,
// with the child's peak RSS.
func runChild(ctx context.Context, self, name string, o options, bins string) suite.Section {
	start := time.Now()
	sec := suite.Section{Name: name}
	f, err := os.CreateTemp("", "nwbench-section-*.json")
	if err != nil {
		sec.Error = err.Error()
		return sec
	}
	f.Close()
	defer os.Remove(f.Name())
	tctx, cancel := context.WithTimeout(ctx, modes[o.mode].Timeout[name])
	defer cancel()
	cmd := exec.CommandContext(tctx, self, "-mode", o.mode, "-run-section", name, "-section-out", f.Name(), "-bins", bins,
		"-extract-dev", o.extractDev, "-date-dev", o.dateDev, "-traf-dev", o.trafDev,
		"-crawl-articles", fmt.Sprint(o.crawlArticles), "-index-articles", fmt.Sprint(o.indexArticles),
		"-search-articles", fmt.Sprint(o.searchArticles), "-search-rounds", fmt.Sprint(o.searchRounds))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 20 * time.Second
	runErr := cmd.Run()
	if b, err := os.ReadFile(f.Name()); err == nil && len(b) > 0 {
		if err := json.Unmarshal(b, &sec); err != nil {
			sec.Error = "decode section result: " + err.Error()
		}
	}
	sec.Name = name
	sec.Seconds = time.Since(start).Seconds()
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			sec.MaxRSSKB = ru.Maxrss
			sec.CPUSeconds = float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
		}
	}
	if runErr != nil && sec.Error == "" {
		if tctx.Err() == context.DeadlineExceeded {
			sec.Error = fmt.Sprintf("timed out after %v", modes[o.mode].Timeout[name])
		} else {
			sec.Error = runErr.Error()
		}
	}
	if sec.Error != "" && len(sec.Figures) == 0 {
		sec.Figures = []suite.Figure{suite.MissingFigure(name, "", "section failed: "+oneLine(sec.Error))}
	}
	return sec
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 160 {
		s = s[:160] + "..."
	}
	return s
}

// child runs one section and writes its Section JSON to o.childOut, also
// when it fails (with Error set), so that the parent can report it.
func child(ctx context.Context, o options) error {
	sz := o.sizes()
	sec := suite.Section{Name: o.section, Details: map[string]any{}}
	var err error
	switch o.section {
	case "extract":
		var r suite.ExtractResult
		r, err = suite.Extraction(ctx, filepath.Join(o.bins, "extractbench"), o.extractDev)
		if err == nil {
			sec.Figures = suite.ExtractionFigures(r)
			sec.Details["extractbench"] = r
		} else {
			sec.Figures = []suite.Figure{suite.MissingFigure("extraction F1", "F1", "extractbench failed: "+oneLine(err.Error()))}
		}
		if t, terr := suite.TrafEval(ctx, filepath.Join(o.bins, "trafevalbench"), o.trafDev); terr == nil {
			sec.Figures = append(sec.Figures, suite.TrafEvalFigures(t)...)
			sec.Details["trafevalbench"] = t
		} else {
			sec.Figures = append(sec.Figures, suite.MissingFigure("traf-eval F1", "F1", "trafevalbench failed: "+oneLine(terr.Error())))
			err = errors.Join(err, terr)
		}
	case "dates":
		var r suite.DateResult
		r, err = suite.Dates(ctx, filepath.Join(o.bins, "datebench"), o.dateDev)
		if err == nil {
			sec.Figures = suite.DateFigures(r)
			sec.Details["datebench"] = r
		} else {
			sec.Figures = []suite.Figure{suite.MissingFigure("published date F1", "F1", "datebench failed: "+oneLine(err.Error()))}
		}
	case "crawl":
		var r suite.CrawlResult
		r, err = suite.Crawl(ctx, suite.CrawlConfig{Articles: sz.CrawlArticles})
		sec.Details["crawl"] = r
		if err == nil {
			sec.Figures = suite.CrawlFigures(r)
		}
	case "nats":
		var r suite.NATSResult
		r, err = suite.NATS(ctx, suite.NATSConfig{Sync: sz.NATSSync, Async: sz.NATSAsync})
		sec.Details["nats"] = r
		if err == nil {
			sec.Figures = suite.NATSFigures(r)
		}
	case "index":
		var r suite.IndexResult
		r, err = suite.Index(ctx, suite.IndexConfig{Articles: sz.IndexArticles})
		sec.Details["index"] = r
		if err == nil {
			sec.Figures = suite.IndexFigures(r)
		}
	case "search":
		var r suite.SearchResult
		r, err = suite.Search(ctx, suite.SearchConfig{Articles: sz.SearchArticles, Rounds: sz.SearchRounds})
		sec.Details["search"] = r
		if err == nil {
			sec.Figures = suite.SearchFigures(r)
		}
	case "demo":
		var r suite.DemoResult
		r, err = suite.Demo(ctx, suite.DemoConfig{Binary: filepath.Join(o.bins, "newswatch"), Articles: sz.DemoArticles})
		sec.Details["demo"] = r
		if err == nil {
			sec.Figures = suite.DemoFigures(r)
		}
	default:
		err = errors.New("unknown section")
	}
	if err != nil {
		sec.Error = err.Error()
	}
	b, merr := json.Marshal(sec)
	if merr != nil {
		return merr
	}
	if werr := os.WriteFile(o.childOut, b, 0o644); werr != nil {
		return werr
	}
	return err
}
