// Package peers holds what the extraction benchmark programs
// (bench/extractbench, bench/trafevalbench, bench/datebench) share: the
// peer extractors run the way each benchmark's original comparison ran
// them, reading gzip-compressed pages, and the timing helpers.
package peers

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"

	readability "codeberg.org/readeck/go-readability/v2"
	trafilatura "github.com/markusmobius/go-trafilatura"
	"golang.org/x/net/html"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/crawler/extract"
)

// ErrNotArticle marks a page newswatch's extractor found no article text
// in and said so with what it found (extract.NotArticleError): not a
// failed extraction (newswatch extract prints it with a warning), but no
// text to score.
var ErrNotArticle = errors.New("not an article (no text; printed with a warning)")

// Body returns the body of the Article extract.Extract returned, or ""
// and ErrNotArticle for a page without article text, or the error.
func Body(a *article.Article, err error) (string, error) {
	var na *extract.NotArticleError
	if errors.As(err, &na) {
		return na.Partial.Body, fmt.Errorf("%w: %s", ErrNotArticle, na.Reason)
	}
	if err != nil {
		return "", err
	}
	return a.Body, nil
}

// Trafilatura runs go-trafilatura with fallback on a parsed page and
// returns its ContentText. pageURL may be empty or invalid (no original
// URL then); excludeComments sets Options.ExcludeComments.
func Trafilatura(doc *html.Node, pageURL string, excludeComments bool) (string, error) {
	opts := trafilatura.Options{EnableFallback: true, ExcludeComments: excludeComments}
	if u, err := url.Parse(pageURL); err == nil && pageURL != "" {
		opts.OriginalURL = u
	}
	res, err := trafilatura.ExtractDocument(doc, opts)
	if err != nil {
		return "", err
	}
	return res.ContentText, nil
}

// Readability runs readeck go-readability on a parsed page and renders its
// text content.
func Readability(doc *html.Node, pageURL string) (string, error) {
	u, _ := url.Parse(pageURL)
	art, err := readability.FromDocument(doc, u)
	if err != nil {
		return "", err
	}
	var sb strings.Builder
	if err := art.RenderText(&sb); err != nil {
		return "", err
	}
	return sb.String(), nil
}

// ReadGz returns the decompressed content of a gzip file.
func ReadGz(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}

// Median returns the median of sorted values (0 for none).
func Median(sorted []float64) float64 {
	n := len(sorted)
	switch {
	case n == 0:
		return 0
	case n%2 == 1:
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// CPUTime is the CPU time (user + system) the process has used.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
