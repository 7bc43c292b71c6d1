package simsite

import (
	"errors"
	"fmt"
	"strings"
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
	// Domain, when set, gives every outlet a stable host name,
	// "<outlet ID>.<Domain>", on the default HTTP port: base, feed and
	// article URLs (and so the article IDs a crawler derives from them) are
	// the same on every Start, while the listeners stay on random loopback
	// ports. The names resolve only through Site.DialContext and
	// Site.Transport. Use a name under the reserved top-level domain
	// ".test" (RFC 6761), e.g. SeedDomain(seed), so that no simulated
	// outlet can collide with a real one. Default "": base URLs are the
	// listeners' addresses ("http://127.0.0.1:PORT").
	Domain string
	// Faults injects failures per outlet ID; outlets not listed behave.
	// Faults can also be changed at run time with Site.SetFaults.
	Faults map[string]Faults
	// LiveDates gives the articles published while the site runs (Publish,
	// PublishEvery) the wall-clock time of their publication as their
	// date, as on a real outlet. Default false: every publication date is
	// seeded, spread back from BaseTime. (Edits are always stamped with the
	// wall-clock time they are made.)
	LiveDates bool
	// Copies, in [0,1], is the share of articles that carry an earlier
	// article of another outlet in the same language, published up to
	// CopyWindow articles before (a few hours): half of them reprinted
	// as they were (agency text, with a line naming the source), half
	// lightly rewritten (a new headline and lead, a quarter of the
	// sentences replaced, paragraphs reordered). Article.CopyOf and
	// CopyKind are the ground truth of which articles tell one story;
	// the other articles are unrelated stories on the same topics, in
	// the same vocabulary. Default 0: every article is its own story.
	Copies float64
	// CrawlDelay, per outlet ID, adds "Crawl-delay: <seconds>" to the
	// outlet's robots.txt for every user agent.
	CrawlDelay map[string]time.Duration
	// OutageEvery, when > 0, takes the outlets down one after another
	// while the site is started: every OutageEvery the next outlet answers
	// every request with 503 (as Faults.Down) for OutageFor (default half
	// of OutageEvery), then comes back. Site.Outage reports the current one.
	OutageEvery time.Duration
	OutageFor   time.Duration
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
	// ErrorStatus is 429, 500, 502, 503 or 504 (default 503); every one
	// carries Retry-After. A 5xx storm is ErrorRate 1 with a 5xx status.
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
	// ResetRate in [0,1] is the share of requests whose TCP connection is
	// reset (RST) before any answer, decided like ErrorRate.
	ResetRate float64
	// SlowBody makes article pages trickle in: the headers come at once,
	// the body spread evenly over this long.
	SlowBody time.Duration
	// HugePages pads article pages past HugePageSize (10 MiB) with markup.
	HugePages bool
	// GzipBomb serves article pages gzip-encoded (Content-Encoding: gzip)
	// as about 1 MiB of data that expands to GzipBombSize (1 GiB).
	GzipBomb bool
	// RedirectLoop makes article pages redirect back and forth between two
	// URLs (the page and the page with "?loop=1") for ever.
	RedirectLoop bool
	// EndlessPagination makes every listing link to a next page for ever:
	// past the last real page, pages repeat its articles and still link
	// onwards (as CMSes that clamp the page number do).
	// (The daily archive, /archive/YYYY/MM/DD, is an endless calendar
	// always: every day links to the next one, into the future.)
	EndlessPagination bool
	// SessionIDs puts a fresh session ID in every link of every HTML page
	// ("?PHPSESSID=<26 hex>"), as sites that track visitors in URLs do;
	// rel=canonical stays clean.
	SessionIDs bool
	// MalformedFeeds cuts the feed and every sitemap off mid-document and
	// appends junk, as a crashed CMS or a full disk does.
	MalformedFeeds bool
	// Charset mislabels the HTML pages: "missing" drops the charset from
	// Content-Type and the page's <meta charset>; "wrong" names a charset
	// in Content-Type that the bytes are not in (windows-1251 for UTF-8
	// outlets, utf-8 for the windows-1251 one). Default "": correct labels.
	Charset string
	// NoFeeds removes the feed and the sitemaps (both 404, robots.txt and
	// the pages name none): an outlet found through its listings alone.
	NoFeeds bool
}

// Sizes of the huge-page and gzip-bomb faults.
const (
	HugePageSize = 10<<20 + 4096 // a little over 10 MiB
	GzipBombSize = 1 << 30       // 1 GiB once decompressed
)

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
	case c.PublishEvery < 0 || c.EditEvery < 0 || c.OutageEvery < 0 || c.OutageFor < 0:
		return fmt.Errorf("%w: publish, edit and outage intervals must be >= 0", ErrConfig)
	case c.OutageEvery > 0 && c.OutageFor >= c.OutageEvery:
		return fmt.Errorf("%w: outage length %v is not shorter than the outage period %v", ErrConfig, c.OutageFor, c.OutageEvery)
	case c.PageSize < 0, c.FeedSize < 0, c.SitemapChunk < 0:
		return fmt.Errorf("%w: page, feed and sitemap sizes must be >= 0", ErrConfig)
	case c.Copies < 0 || c.Copies > 1:
		return fmt.Errorf("%w: copies %v outside [0,1]", ErrConfig, c.Copies)
	case c.Domain != "" && !validDomain(c.Domain):
		return fmt.Errorf("%w: domain %q: want a lower-case DNS name such as %q", ErrConfig, c.Domain, SeedDomain(1))
	}
	for id, f := range c.Faults {
		if err := f.validate(); err != nil {
			return fmt.Errorf("%w: faults for %q: %w", ErrConfig, id, err)
		}
	}
	for id, d := range c.CrawlDelay {
		if d < 0 {
			return fmt.Errorf("%w: crawl delay of %q < 0", ErrConfig, id)
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
	case f.ErrorStatus != 0 && f.ErrorStatus != 429 && f.ErrorStatus != 500 && f.ErrorStatus != 502 &&
		f.ErrorStatus != 503 && f.ErrorStatus != 504:
		return fmt.Errorf("error status %d is not 429, 500, 502, 503 or 504", f.ErrorStatus)
	case f.RetryAfter < 0:
		return errors.New("retry-after < 0")
	case f.ResetRate < 0 || f.ResetRate > 1:
		return fmt.Errorf("reset rate %v outside [0,1]", f.ResetRate)
	case f.SlowBody < 0:
		return errors.New("slow body < 0")
	case f.Charset != "" && f.Charset != "missing" && f.Charset != "wrong":
		return fmt.Errorf("charset fault %q: want missing or wrong", f.Charset)
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
	if c.OutageEvery > 0 && c.OutageFor == 0 {
		c.OutageFor = c.OutageEvery / 2
	}
	return c
}

// SeedDomain is the Domain of the simulated site of a seed:
// "seed<N>.simsite.test". The ".test" top-level domain is reserved for
// testing (RFC 6761): no real outlet has such a name.
func SeedDomain(seed int64) string { return fmt.Sprintf("seed%d.simsite.test", seed) }

// validDomain reports whether d is a lower-case DNS name: dot-separated
// labels of a-z, 0-9 and inner hyphens.
func validDomain(d string) bool {
	if len(d) > 200 {
		return false
	}
	for _, l := range strings.Split(d, ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			if c := l[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}
