// Command exportbench measures exports at scale (make bench-export): over
// an index of a million realistic articles (built once, niced, and reused),
// the rate of a raw store scan (store/bleve ScanJSON and Scan in a process
// of their own) beside GET /v1/export of the same articles as NDJSON, CSV
// and Parquet served by a real `newswatch api` process, with that
// process's peak resident memory during each export.
//
// Every export is read to its end by this process, which counts the rows
// and checks the SHA-256 and row count the server sends as trailers.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/newswatch/newswatch/api/export"
	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/bench/suite"
	"github.com/newswatch/newswatch/store"
	sbleve "github.com/newswatch/newswatch/store/bleve"
)

func main() {
	mode := flag.String("mode", "run", "run (the benchmark), or the child modes build and scan")
	dir := flag.String("dir", "", "the benchmark's data directory, kept between runs (default: the user cache dir's newswatch/exportbench-N)")
	n := flag.Int("articles", 1_000_000, "articles in the index")
	seed := flag.Int64("seed", 9, "seed of the corpus")
	formats := flag.String("formats", "ndjson,csv,parquet", "export formats to time, comma-separated")
	query := flag.String("q", "", "query to export (default: every article)")
	out := flag.String("out", "bench/results", "directory for the JSON report")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "Usage: exportbench [flags]\n\nTimes exports of a large index through the API beside the raw store scan.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if *dir == "" {
		c, err := os.UserCacheDir()
		if err != nil {
			fail(err)
		}
		*dir = filepath.Join(c, "newswatch", fmt.Sprintf("exportbench-%d-seed%d", *n, *seed))
	}
	say := func(f string, a ...any) { fmt.Fprintf(os.Stderr, "exportbench: "+f+"\n", a...) }
	var err error
	switch *mode {
	case "build":
		err = ensureIndex(ctx, *dir, *n, *seed, nil, say)
	case "scan":
		err = scanChild(ctx, *dir, *query)
	case "run":
		err = run(ctx, *dir, *n, *seed, strings.Split(*formats, ","), *query, *out, say)
	default:
		err = fmt.Errorf("-mode %q: want run, build or scan", *mode)
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "exportbench:", err)
	os.Exit(1)
}

// scanResult is what the scan child reports.
type scanResult struct {
	Method  string  `json:"method"`
	Rows    int64   `json:"rows"`
	Seconds float64 `json:"seconds"`
	Bytes   int64   `json:"bytes"`
}

type scanReport struct {
	Scans    []scanResult `json:"scans"`
	PeakRSSK int64        `json:"peak_rss_kb"`
}

// scanChild opens the index and times ScanJSON (the articles' stored
// JSON, as exports read them) and Scan (decoded articles), printing the
// results as JSON.
func scanChild(ctx context.Context, dir, q string) error {
	st, err := sbleve.Open(filepath.Join(dir, indexDir), sbleve.Options{}, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	var rep scanReport
	query := store.Query{Text: q}
	start := time.Now()
	r := scanResult{Method: "ScanJSON"}
	err = st.ScanJSON(ctx, query, func(doc []byte) error {
		r.Rows++
		r.Bytes += int64(len(doc))
		return nil
	})
	if err != nil {
		return err
	}
	r.Seconds = time.Since(start).Seconds()
	rep.Scans = append(rep.Scans, r)
	start = time.Now()
	r = scanResult{Method: "Scan"}
	err = st.Scan(ctx, query, func(a *article.Article) error {
		r.Rows++
		return nil
	})
	if err != nil {
		return err
	}
	r.Seconds = time.Since(start).Seconds()
	rep.Scans = append(rep.Scans, r)
	rep.PeakRSSK = suite.ProcStatusKB(os.Getpid(), "VmHWM")
	return json.NewEncoder(os.Stdout).Encode(rep)
}

// procCPU is a process's user+system CPU time so far (/proc/PID/stat).
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name, in parentheses, may hold spaces: fields count
	// from after its closing parenthesis (state is field 3).
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64) // utime, field 14
	st, _ := strconv.ParseInt(f[12], 10, 64) // stime, field 15
	const ticks = 100                        // USER_HZ on Linux
	return time.Duration(ut+st) * time.Second / ticks
}

// rssPeaks are the largest anonymous and file-backed resident sizes seen.
type rssPeaks struct{ anon, file int64 }

// sampleRSS reads a process's RssAnon and RssFile every 50 ms until stop
// is closed and returns their peaks (the kernel's VmHWM is the peak of
// their sum).
func sampleRSS(pid int, stop <-chan struct{}) rssPeaks {
	var p rssPeaks
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		p.anon = max(p.anon, suite.ProcStatusKB(pid, "RssAnon"))
		p.file = max(p.file, suite.ProcStatusKB(pid, "RssFile"))
		select {
		case <-stop:
			return p
		case <-t.C:
		}
	}
}

// resetPeak resets a process's peak RSS (VmHWM) to its current RSS
// (Linux: "5" to /proc/PID/clear_refs), so that the next reading is the
// peak of what follows.
func resetPeak(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

func run(ctx context.Context, dir string, n int, seed int64, formats []string, q, outDir string, say func(string, ...any)) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	begin := time.Now()
	rep := suite.NewReport(root, fmt.Sprintf("export-%d", n), begin)
	// The index: built (or checked) by a child at low priority, so that
	// the machine's other work keeps its share.
	buildStart := time.Now()
	args := []string{"-mode", "build", "-dir", dir, "-articles", strconv.Itoa(n), "-seed", strconv.FormatInt(seed, 10)}
	var build *exec.Cmd
	if nice, err := exec.LookPath("nice"); err == nil {
		build = exec.CommandContext(ctx, nice, append([]string{"-n", "10", self}, args...)...)
	} else {
		build = exec.CommandContext(ctx, self, args...)
	}
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build the index: %w", err)
	}
	indexBytes, _ := suite.DirSize(filepath.Join(dir, indexDir))
	say("index: %d articles, %.1f GiB on disk (ready in %s)", n, float64(indexBytes)/(1<<30), time.Since(buildStart).Round(time.Second))

	// The raw store scan, in a process of its own.
	say("raw store scan ...")
	scanStart := time.Now()
	sc := exec.CommandContext(ctx, self, "-mode", "scan", "-dir", dir, "-q", q)
	var scanOut bytes.Buffer
	sc.Stdout, sc.Stderr = &scanOut, os.Stderr
	if err := sc.Run(); err != nil {
		return fmt.Errorf("scan: %w", err)
	}
	var scans scanReport
	if err := json.Unmarshal(scanOut.Bytes(), &scans); err != nil {
		return fmt.Errorf("scan report: %w: %s", err, scanOut.String())
	}
	rate := func(r scanResult) float64 { return float64(r.Rows) / r.Seconds }
	raw := scans.Scans[0]
	scanSec := suite.Section{Name: "scan", Seconds: time.Since(scanStart).Seconds(), MaxRSSKB: scans.PeakRSSK,
		CPUSeconds: (sc.ProcessState.UserTime() + sc.ProcessState.SystemTime()).Seconds(),
		Details:    map[string]any{"scans": scans.Scans, "index_bytes": indexBytes, "articles": n}}
	scanSec.Figures = append(scanSec.Figures,
		suite.Single("store ScanJSON (stored JSON, no HTTP)", "rows/s", suite.HigherIsBetter, rate(raw),
			fmt.Sprintf("%d rows in %.1f s, %.0f MiB of JSON", raw.Rows, raw.Seconds, float64(raw.Bytes)/(1<<20))),
		suite.Compare("store Scan (decoded articles)", "rows/s", suite.HigherIsBetter, rate(scans.Scans[1]), "store ScanJSON, same run", rate(raw)),
		suite.Single("peak RSS, scan process (open + both scans)", "MiB", suite.LowerIsBetter, float64(scans.PeakRSSK)/1024, ""))
	rep.Sections = append(rep.Sections, scanSec)
	if raw.Rows != int64(n) && q == "" {
		return fmt.Errorf("the scan delivered %d articles of %d", raw.Rows, n)
	}

	// The exports, through a real `newswatch api` process.
	exportSec, err := exports(ctx, root, dir, formats, q, raw, say)
	rep.Sections = append(rep.Sections, exportSec)
	rep.Seconds = time.Since(begin).Seconds()
	if werr := suite.WriteTable(os.Stdout, rep); werr != nil {
		return werr
	}
	path, serr := suite.SaveReport(rep, root, outDir, "-export")
	if serr == nil {
		say("report: %s", path)
	}
	if err != nil {
		return err
	}
	return serr
}

// exports starts `newswatch api` on the data directory and times an export
// of each format, reading it to its end.
func exports(ctx context.Context, root, dir string, formats []string, q string, raw scanResult, say func(string, ...any)) (sec suite.Section, err error) {
	sec = suite.Section{Name: "export", Details: map[string]any{}}
	start := time.Now()
	defer func() { sec.Seconds = time.Since(start).Seconds() }()
	tmp, err := os.MkdirTemp("", "exportbench-")
	if err != nil {
		return sec, err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "newswatch")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, filepath.Join(root, "cmd", "newswatch")).CombinedOutput(); err != nil {
		return sec, fmt.Errorf("build newswatch: %v\n%s", err, out)
	}
	keyOut, err := exec.CommandContext(ctx, bin, "keys", "create", "--data", dir, "--scope", "export", "--name", "exportbench").Output()
	if err != nil {
		return sec, fmt.Errorf("keys create: %w", err)
	}
	key := strings.TrimSpace(string(keyOut))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return sec, err
	}
	addr := ln.Addr().String()
	ln.Close()
	api := exec.CommandContext(ctx, bin, "api", "--data", dir, "--listen", addr, "--log-level", "warn")
	api.Stdout, api.Stderr = io.Discard, os.Stderr
	if err := api.Start(); err != nil {
		return sec, err
	}
	defer func() {
		api.Process.Signal(os.Interrupt)
		api.Wait()
		// The bench's key is not left behind.
		exec.Command(bin, "keys", "revoke", "--data", dir, strings.Split(strings.TrimPrefix(key, "nwk_"), "_")[0]).Run()
	}()
	base := "http://" + addr
	deadline := time.Now().Add(2 * time.Minute)
	for {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			return sec, fmt.Errorf("newswatch api did not become ready: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	pid := api.Process.Pid
	idle := suite.ProcStatusKB(pid, "VmRSS")
	sec.Details["api_rss_kb_before"] = idle
	say("newswatch api: RSS %d MiB (anonymous %d MiB, file-backed %d MiB) before the exports",
		idle>>10, suite.ProcStatusKB(pid, "RssAnon")>>10, suite.ProcStatusKB(pid, "RssFile")>>10)
	rawRate := float64(raw.Rows) / raw.Seconds
	var peakAll int64
	for _, format := range formats {
		say("export %s ...", format)
		if err := resetPeak(pid); err != nil {
			say("cannot reset the API process's peak RSS (%v): the peak includes its start", err)
		}
		cpu0 := procCPU(pid)
		stopSampling := make(chan struct{})
		sampled := make(chan rssPeaks)
		go func() { sampled <- sampleRSS(pid, stopSampling) }()
		r, err := fetch(ctx, base, key, format, q)
		close(stopSampling)
		parts := <-sampled
		if err != nil {
			return sec, fmt.Errorf("export %s: %w", format, err)
		}
		peak := suite.ProcStatusKB(pid, "VmHWM")
		peakAll = max(peakAll, peak)
		exportRate := float64(r.rows) / r.seconds
		apiCPU := (procCPU(pid) - cpu0).Seconds()
		sec.Figures = append(sec.Figures,
			suite.Compare("GET /v1/export "+format, "rows/s", suite.HigherIsBetter, exportRate, "store ScanJSON, no HTTP", rawRate),
			suite.Single("CPU of the API process per 1M rows, "+format, "s", suite.LowerIsBetter, apiCPU*1e6/float64(r.rows),
				"user+system CPU time of `newswatch api` during the export, however loaded the machine; the reading client's is not counted"),
			suite.Single("peak RSS of the API process, "+format+" export", "MiB", suite.LowerIsBetter, float64(peak)/1024,
				fmt.Sprintf("%d rows, %.0f MiB in %.1f s; RSS %.0f MiB before the export; sampled peaks: anonymous %.0f MiB, file-backed %.0f MiB",
					r.rows, float64(r.bytes)/(1<<20), r.seconds, float64(idle)/1024, float64(parts.anon)/1024, float64(parts.file)/1024)))
		sec.Details[format] = map[string]any{"rows": r.rows, "bytes": r.bytes, "seconds": r.seconds, "peak_rss_kb": peak, "sha256": r.sha, "api_cpu_seconds": apiCPU,
			"sampled_peak_rss_anon_kb": parts.anon, "sampled_peak_rss_file_kb": parts.file}
		if q == "" && r.rows != raw.Rows {
			return sec, fmt.Errorf("export %s: %d rows, the store scan %d", format, r.rows, raw.Rows)
		}
	}
	sec.MaxRSSKB = peakAll
	sec.CPUSeconds = procCPU(pid).Seconds() // the API process's, from its start
	return sec, nil
}

type fetched struct {
	rows, bytes int64
	seconds     float64
	sha         string
}

// fetch reads an export to its end, counting its rows (lines of NDJSON
// and CSV; the trailer's count for Parquet) and checking its trailers.
func fetch(ctx context.Context, base, key, format, q string) (fetched, error) {
	var f fetched
	u := base + "/v1/export?format=" + format
	if q != "" {
		u += "&q=" + url.QueryEscape(q)
	}
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return f, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return f, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		return f, fmt.Errorf("%s: %s", resp.Status, b)
	}
	sum := sha256.New()
	br := bufio.NewReaderSize(io.TeeReader(resp.Body, sum), 1<<20)
	buf := make([]byte, 1<<20)
	var lines int64
	for {
		k, err := br.Read(buf)
		f.bytes += int64(k)
		lines += int64(bytes.Count(buf[:k], []byte{'\n'}))
		if err == io.EOF {
			break
		}
		if err != nil {
			return f, err
		}
	}
	f.seconds = time.Since(start).Seconds()
	f.sha = hex.EncodeToString(sum.Sum(nil))
	if got := resp.Trailer.Get(export.TrailerSHA256); got != f.sha {
		return f, fmt.Errorf("sha256 %s, trailer %q", f.sha, got)
	}
	rows, err := strconv.ParseInt(resp.Trailer.Get(export.TrailerRows), 10, 64)
	if err != nil {
		return f, fmt.Errorf("no row count trailer")
	}
	f.rows = rows
	if format == export.FormatNDJSON && lines != rows {
		return f, fmt.Errorf("%d lines, trailer says %d rows", lines, rows)
	}
	return f, nil
}

// moduleRoot is the directory of go.mod above the working directory.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", err
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("run exportbench inside the newswatch module")
	}
	return filepath.Dir(mod), nil
}
