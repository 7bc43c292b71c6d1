// Package extract turns a fetched HTML page into an Article: charset
// decoding, JSON-LD / OpenGraph / meta metadata, main-content extraction,
// multilingual dates in the outlet's time zone, language detection and
// per-outlet selector overrides.
package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/newswatch/newswatch/article"
)

// ErrNotArticle is returned when a page has no article content to extract.
var ErrNotArticle = errors.New("page is not an article")

// Overrides are per-outlet CSS selectors for pages where the generic path
// fails. Empty fields leave the generic path in charge.
type Overrides struct {
	Title  string   `yaml:"title,omitempty" json:"title,omitempty"`
	Body   string   `yaml:"body,omitempty" json:"body,omitempty"`
	Date   string   `yaml:"date,omitempty" json:"date,omitempty"`
	Author string   `yaml:"author,omitempty" json:"author,omitempty"`
	Remove []string `yaml:"remove,omitempty" json:"remove,omitempty"`
}

// Input is one fetched page.
type Input struct {
	URL       string         // page URL as fetched (after redirects); required
	Body      []byte         // raw response body, not yet charset-decoded
	Header    http.Header    // response headers (Content-Type gives the charset); may be nil
	FetchedAt time.Time      // when it was fetched; zero means now
	Outlet    string         // outlet ID
	Location  *time.Location // outlet time zone for dates given without offset; nil means UTC
	Overrides *Overrides     // may be nil
}

// Extractor extracts articles. It is safe for concurrent use.
type Extractor struct{}

// New returns an Extractor.
func New() *Extractor { return &Extractor{} }

// Extract returns the Article of a page, finalized (ID, canonical URL,
// content hash set), or an error wrapping ErrNotArticle.
//
// PROVISIONAL: a minimal implementation so the pipeline builds; the
// [extract] issue replaces it.
func (e *Extractor) Extract(ctx context.Context, in Input) (*article.Article, error) {
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(in.Body))
	if err != nil {
		return nil, fmt.Errorf("parse html: %w", err)
	}
	a := &article.Article{URL: in.URL, Outlet: in.Outlet, FetchedAt: in.FetchedAt}
	if a.FetchedAt.IsZero() {
		a.FetchedAt = time.Now()
	}
	a.Title = strings.TrimSpace(doc.Find("h1").First().Text())
	var paras []string
	doc.Find("article p").Each(func(_ int, s *goquery.Selection) {
		if t := strings.Join(strings.Fields(s.Text()), " "); t != "" {
			paras = append(paras, t)
		}
	})
	a.Body = strings.Join(paras, "\n\n")
	if a.Body == "" {
		return nil, ErrNotArticle
	}
	canon, _ := doc.Find(`link[rel="canonical"]`).Attr("href")
	if a.CanonicalURL, err = article.ResolveCanonical(in.URL, canon); err != nil {
		return nil, err
	}
	if err := a.Finalize(); err != nil {
		return nil, err
	}
	return a, nil
}
