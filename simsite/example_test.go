package simsite_test

import (
	"fmt"

	"github.com/newswatch/newswatch/simsite"
)

// Start three outlets with 30 articles in total and list what a crawler
// needs: feeds, sitemaps and listing pages per outlet, and the ground truth.
func Example() {
	s, err := simsite.New(simsite.Config{Seed: 1, Articles: 30})
	if err != nil {
		panic(err)
	}
	if err := s.Start(); err != nil {
		panic(err)
	}
	defer s.Close()
	for _, o := range s.Outlets() {
		fmt.Println(o.ID, o.Language, o.Charset, len(o.FeedURLs), len(o.SitemapURLs), len(o.ListingURLs))
	}
	a := s.Articles()[0]
	fmt.Println(a.Outlet, a.PublishedAt.Format("2006-01-02T15:04:05-07:00"))
	// Output:
	// caliber en utf-8 1 1 7
	// report az utf-8 1 1 5
	// vesti ru windows-1251 1 1 4
	// caliber 2025-02-21T18:17:00+04:00
}
