package extract

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// BenchmarkExtract extracts the extraction-bench dev pages (skipped when
// ../shared/extraction-bench is not there). Quality is scored by
// bench/extractbench; this measures time and allocations.
func BenchmarkExtract(b *testing.B) {
	dir := os.Getenv("EXTRACTION_BENCH")
	if dir == "" {
		dir = "../../../shared/extraction-bench/dev"
	}
	files, _ := filepath.Glob(filepath.Join(dir, "html", "*.html.gz"))
	if len(files) == 0 {
		b.Skip("no extraction-bench pages")
	}
	var pages [][]byte
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			b.Fatal(err)
		}
		zr, err := gzip.NewReader(fh)
		if err != nil {
			b.Fatal(err)
		}
		p, err := io.ReadAll(zr)
		fh.Close()
		if err != nil {
			b.Fatal(err)
		}
		pages = append(pages, p)
	}
	ex := New()
	hdr := http.Header{"Content-Type": {"text/html; charset=utf-8"}}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		p := pages[i%len(pages)]
		_, _ = ex.Extract(context.Background(), Input{URL: "https://example.com/news/article-1", Body: p, Header: hdr, Outlet: "bench"})
	}
	// Process CPU time (all threads) per page: steadier than wall time on a
	// shared machine, and it counts the parallel extractors' work.
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestDumpArticles writes every extraction-bench page's Article as JSON
// lines to $EXTRACT_DUMP (skipped when unset), to compare whole outputs
// before and after a change.
func TestDumpArticles(t *testing.T) {
	out := os.Getenv("EXTRACT_DUMP")
	if out == "" {
		t.Skip("EXTRACT_DUMP not set")
	}
	dir := os.Getenv("EXTRACTION_BENCH")
	if dir == "" {
		dir = "../../../shared/extraction-bench/dev"
	}
	files, _ := filepath.Glob(filepath.Join(dir, "html", "*.html.gz"))
	var buf bytes.Buffer
	ex := New()
	hdr := http.Header{"Content-Type": {"text/html; charset=utf-8"}}
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(fh)
		if err != nil {
			t.Fatal(err)
		}
		p, err := io.ReadAll(zr)
		fh.Close()
		if err != nil {
			t.Fatal(err)
		}
		a, err := ex.Extract(context.Background(), Input{URL: "https://example.com/news/article-1", Body: p, Header: hdr, Outlet: "bench", FetchedAt: at})
		if err != nil {
			fmt.Fprintf(&buf, "%s\terror %v\n", filepath.Base(f), err)
			continue
		}
		j, _ := json.Marshal(a)
		fmt.Fprintf(&buf, "%s\t%s\n", filepath.Base(f), j)
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
