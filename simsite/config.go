package simsite

import (
	"errors"
	"fmt"
	"time"
)

// Defaults used by Config.withDefaults when a field is zero.
const (
	DefaultOutlets      = 3
	DefaultInterval     = 29 * time.Minute
	DefaultPageSize     = 20
	DefaultFeedSize     = 50
	DefaultSitemapChunk = 50
)

// DefaultBaseTime is the publication time of the newest article when
// Config.BaseTime is zero: 21 February 2025 18:17 Baku time.
var DefaultBaseTime = time.Date(2025, 2, 21, 18, 17, 0, 0, Baku)

// Baku is the outlets' time zone: Asia/Baku, UTC+4 without daylight saving
// since 2016. A fixed zone keeps simsite independent of the tz database.
var Baku = time.FixedZone("+04", 4*60*60)

// ErrConfig is wrapped by every error Config.Validate returns.
var ErrConfig = errors.New("invalid simsite config")

// Config describes the simulated site. The zero value of every field but
// Articles means its documented default.
type Config struct {
	// Seed makes everything deterministic: the same Seed and Config give the
	// same URLs, texts and bytes.
	Seed int64
	// Articles is the total number of distinct articles across all outlets
	// (required, >= 0). Article i (0 = newest) belongs to outlet i mod Outlets.
	Articles int
	// Outlets is the number of outlets (default 3). Outlets cycle through the
	// three templates: "caliber" (JSON-LD, English and Azerbaijani), "report"
	// (OpenGraph/meta only, Azerbaijani), "vesti" (Russian, windows-1251).
	// Outlets beyond the third get a numeric suffix: "caliber2", ...
	Outlets int
	// BaseTime is the publication time of the newest article (default
	// DefaultBaseTime). Older articles are spread back from it.
	BaseTime time.Time
	// Interval is the average gap between consecutive articles across all
	// outlets (default 29m).
	Interval time.Duration
	// PageSize is the number of articles per listing page (default 20).
	PageSize int
	// FeedSize is the number of items in each RSS feed (default 50).
	FeedSize int
	// SitemapChunk is the number of URLs per child sitemap (default 50).
	// Odd-numbered chunks are served gzipped (.xml.gz).
	SitemapChunk int
	// Unpublished is how many of the newest articles start unpublished:
	// their URLs answer 404 and no feed, sitemap or listing shows them until
	// Site.Publish (or PublishEvery) publishes them, oldest first. Articles
	// still counts them: after all are published the site has exactly
	// Articles distinct article URLs. Default 0, at most Articles.
	Unpublished int
	// PublishEvery, when > 0, publishes one unpublished article at this
	// interval while the site is started (a live news flow).
	PublishEvery time.Duration
	// EditEvery, when > 0, edits one published article (as Site.Edit does)
	// at this interval while the site is started, walking the articles in
	// a seeded order.
	EditEvery time.Duration
	// Faults injects failures per outlet ID; outlets not listed behave.
	// Faults can also be changed at run time with Site.SetFaults.
	Faults map[string]Faults
}

// Faults describes the misbehaviour of one outlet. Decisions are
// deterministic: the k-th request for a given path fails or not depending
// only on Seed, outlet, path and k, never on timing.
type Faults struct {
	// PathPrefix, when set, limits every fault below to request paths with
	// this prefix (for example "/news/" for article pages only).
	PathPrefix string
	// Latency is added to every response.
	Latency time.Duration
	// ErrorRate in [0,1] is the share of requests answered with ErrorStatus.
	ErrorRate float64
	// ErrorStatus is 429 or 503 (default 503). Both carry Retry-After.
	ErrorStatus int
	// RetryAfter is sent in the Retry-After header, in whole seconds
	// (default 1s).
	RetryAfter time.Duration
	// Down answers every request with 503 (an outage).
	Down bool
	// Defaced replaces the home page with a defacement notice (status 200,
	// no article links), as after a break-in.
	Defaced bool
	// Redesign switches the outlet to a "new layout": every CSS class is
	// renamed and structured dates (JSON-LD, article:published_time) are
	// dropped, leaving only the visible date; Articles reports DateSource
	// "text" for its articles meanwhile.
	Redesign bool
}

// Validate reports whether the config can be used.
func (c Config) Validate() error {
	switch {
	case c.Articles < 0:
		return fmt.Errorf("%w: articles %d < 0", ErrConfig, c.Articles)
	case c.Outlets < 0:
		return fmt.Errorf("%w: outlets %d < 0", ErrConfig, c.Outlets)
	case c.Interval < 0:
		return fmt.Errorf("%w: interval %s < 0", ErrConfig, c.Interval)
	case c.Unpublished < 0 || c.Unpublished > c.Articles:
		return fmt.Errorf("%w: unpublished %d outside [0, articles %d]", ErrConfig, c.Unpublished, c.Articles)
	case c.PublishEvery < 0 || c.EditEvery < 0:
		return fmt.Errorf("%w: publish and edit intervals must be >= 0", ErrConfig)
	case c.PageSize < 0, c.FeedSize < 0, c.SitemapChunk < 0:
		return fmt.Errorf("%w: page, feed and sitemap sizes must be >= 0", ErrConfig)
	}
	for id, f := range c.Faults {
		if err := f.validate(); err != nil {
			return fmt.Errorf("%w: faults for %q: %w", ErrConfig, id, err)
		}
	}
	return nil
}

func (f Faults) validate() error {
	switch {
	case f.Latency < 0:
		return errors.New("latency < 0")
	case f.ErrorRate < 0 || f.ErrorRate > 1:
		return fmt.Errorf("error rate %v outside [0,1]", f.ErrorRate)
	case f.ErrorStatus != 0 && f.ErrorStatus != 429 && f.ErrorStatus != 503:
		return fmt.Errorf("error status %d is not 429 or 503", f.ErrorStatus)
	case f.RetryAfter < 0:
		return errors.New("retry-after < 0")
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Outlets == 0 {
		c.Outlets = DefaultOutlets
	}
	if c.BaseTime.IsZero() {
		c.BaseTime = DefaultBaseTime
	}
	c.BaseTime = c.BaseTime.In(Baku).Truncate(time.Minute)
	if c.Interval == 0 {
		c.Interval = DefaultInterval
	}
	if c.PageSize == 0 {
		c.PageSize = DefaultPageSize
	}
	if c.FeedSize == 0 {
		c.FeedSize = DefaultFeedSize
	}
	if c.SitemapChunk == 0 {
		c.SitemapChunk = DefaultSitemapChunk
	}
	return c
}
