// Package simcrawl turns a started simulated site (package simsite) into a
// crawler config, for `newswatch demo`, the end-to-end tests and the
// benchmarks. It lives beside the simulator, not in the production
// packages, which never import simsite.
package simcrawl

import (
	"time"

	"github.com/newswatch/newswatch/crawler"
	"github.com/newswatch/newswatch/simsite"
)

// Options returns the crawler options that reach the site: its transport,
// which resolves the outlets' Config.Domain host names to their loopback
// listeners and dials nothing else.
func Options(site *simsite.Site) []crawler.Option {
	return []crawler.Option{crawler.WithTransport(site.Transport())}
}

// Outlets returns the crawler config for the outlets of a started
// simulated site: its feeds, sitemaps and listings, with politeness tuned
// for loopback (short delays, a few requests in flight per host).
func Outlets(site *simsite.Site) *crawler.Config {
	fetch := crawler.DefaultFetch()
	fetch.Rate = crawler.Rate{Delay: 5 * time.Millisecond, Parallelism: 4}
	fetch.Limits.MaxListingPages = 1000
	cfg := &crawler.Config{Defaults: fetch}
	for _, o := range site.Outlets() {
		cfg.Outlets = append(cfg.Outlets, crawler.OutletConfig{
			ID:             o.ID,
			Name:           o.Name,
			BaseURL:        o.BaseURL,
			Languages:      o.Languages,
			Timezone:       o.TimeZone,
			Feeds:          o.FeedURLs,
			Sitemaps:       o.SitemapURLs,
			RobotsSitemaps: true,
			Listings:       o.ListingURLs,
			Fetch:          fetch,
		})
	}
	return cfg
}
