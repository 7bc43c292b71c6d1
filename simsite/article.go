package simsite

import (
	"fmt"
	"time"

	"github.com/newswatch/newswatch/article"
)

// Stored returns the Article v1 a perfect crawl of a would store: the
// truth's fields, fetched at fetchedAt (the store needs a fetch time),
// finalized (canonical URL, ID, content hash). Tests and benchmarks that
// want the demo corpus in a store without crawling it use it.
func (a Article) Stored(fetchedAt time.Time) (article.Article, error) {
	pub, mod, views := a.PublishedAt, a.ModifiedAt, a.Views
	out := article.Article{
		URL: a.URL, Outlet: a.Outlet, Title: a.Title, Lead: a.Lead, Body: a.Body,
		Authors: a.Authors, Section: a.Section, Tags: a.Tags, Language: a.Language,
		PublishedAt: &pub, DateSource: a.DateSource, ModifiedAt: &mod, Image: a.Image,
		Views: &views, FetchedAt: fetchedAt.UTC(), Version: a.Version,
	}
	if err := out.Finalize(); err != nil {
		return article.Article{}, fmt.Errorf("simsite: article %s: %w", a.URL, err)
	}
	return out, nil
}

// Corpus builds the site of cfg without serving it and returns every
// published article as a perfect crawl would store it (Stored), its
// outlets' URLs on https://<outlet ID>.<domain>, each fetched fetchDelay
// after its publication: the simulated corpus tests and benchmarks load
// into a store or match without crawling.
func Corpus(cfg Config, domain string, fetchDelay time.Duration) ([]article.Article, error) {
	site, err := New(cfg)
	if err != nil {
		return nil, err
	}
	for _, o := range site.Outlets() {
		if err := site.SetBaseURL(o.ID, "https://"+o.ID+"."+domain); err != nil {
			return nil, err
		}
	}
	truth := site.Articles()
	out := make([]article.Article, 0, len(truth))
	for _, t := range truth {
		a, err := t.Stored(t.PublishedAt.Add(fetchDelay))
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}
