package extract

import (
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkExtract extracts the extraction-bench dev pages (skipped when
// ../shared/extraction-bench is not there). Quality is scored by
// bench/extractbench; this measures time and allocations.
func BenchmarkExtract(b *testing.B) {
	files, _ := filepath.Glob("../../../shared/extraction-bench/dev/html/*.html.gz")
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
	for i := 0; i < b.N; i++ {
		p := pages[i%len(pages)]
		_, _ = ex.Extract(context.Background(), Input{URL: "https://example.com/news/article-1", Body: p, Header: hdr, Outlet: "bench"})
	}
}
