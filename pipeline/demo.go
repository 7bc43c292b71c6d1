package pipeline

import (
	"time"

	"github.com/newswatch/newswatch/crawler"
	"github.com/newswatch/newswatch/simsite"
)

// DemoOutlets returns the crawler config for the outlets of a started
// simulated site: its feeds, sitemaps and listings, with politeness tuned
// for loopback (short delays, a few requests in flight per host).
func DemoOutlets(site *simsite.Site) *crawler.Config {
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
