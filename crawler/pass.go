package crawler

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/gocolly/colly/v2"
	"github.com/mmcdole/gofeed"
	"github.com/temoto/robotstxt"
	"go.uber.org/zap"
	"golang.org/x/net/html/charset"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/crawler/extract"
)

// Kinds of documents a pass fetches, kept in the colly request context.
const (
	kindRobots  = "robots"
	kindFeed    = "feed"
	kindSitemap = "sitemap"
	kindListing = "listing"
	kindArticle = "article"
)

// colly context keys.
const (
	ctxKind    = "kind"
	ctxRoot    = "root"    // listing start URL a listing page belongs to
	ctxAttempt = "attempt" // retries done so far
	ctxURL     = "url"     // URL as queued, before redirects
)

// errRedirectRefused is the error of a redirect the crawler does not follow.
var errRedirectRefused = errors.New("redirect refused")

// pass is one discovery and fetch pass over one outlet.
type pass struct {
	c      *Crawler
	o      *outlet
	ctx    context.Context
	col    *colly.Collector
	log    *zap.Logger
	cutoff time.Time // entries dated before are skipped; zero: none

	maxArticles, maxListing, maxSitemaps int

	requests atomic.Int64

	mu        sync.Mutex
	stats     Stats
	seen      map[string]bool      // canonical article URLs queued
	published map[string]bool      // article IDs published
	hints     map[string]time.Time // canonical URL -> feed/sitemap publication date
	listings  map[string]int       // listing root -> pages queued
	articles  int                  // article URLs accepted
	queue     []*url.URL           // article URLs not yet handed to colly
	inflight  int                  // article requests colly has
	window    int                  // most article requests colly may have

	lastProgress time.Time
	sitemaps     int // sitemaps queued
}

func (c *Crawler) pass(ctx context.Context, o *outlet, opts PassOptions) Stats {
	cfg := o.cfg
	p := &pass{
		c: c, o: o, ctx: ctx, log: o.log,
		maxArticles: cfg.Limits.MaxArticles, maxListing: cfg.Limits.MaxListingPages, maxSitemaps: cfg.Limits.MaxSitemaps,
		stats:     Stats{Outlet: cfg.ID, Started: time.Now(), Errors: map[string]int{}},
		seen:      map[string]bool{},
		published: map[string]bool{},
		hints:     map[string]time.Time{},
		listings:  map[string]int{},
	}
	if opts.MaxArticles > 0 {
		p.maxArticles = opts.MaxArticles
	}
	if opts.MaxListingPages > 0 {
		p.maxListing = opts.MaxListingPages
	}
	if cfg.Limits.MaxAge > 0 {
		p.cutoff = p.stats.Started.Add(-cfg.Limits.MaxAge)
	}
	if opts.Since.After(p.cutoff) {
		p.cutoff = opts.Since
	}
	if err := p.setup(); err != nil {
		p.count("request", 1)
		p.log.Error("collector setup", zap.Error(err))
	} else {
		p.seed()
		p.col.Wait()
	}
	p.progress(true)
	p.mu.Lock()
	st := p.stats
	p.mu.Unlock()
	st.Requests = int(p.requests.Load())
	st.Duration = time.Since(st.Started)
	st = st.clone()
	if ctx.Err() != nil {
		p.log.Info("pass stopped", st.zapFields()...)
	} else {
		p.log.Info("pass done", st.zapFields()...)
	}
	c.mu.Lock()
	c.last[cfg.ID] = st
	c.mu.Unlock()
	if c.onPass != nil {
		c.onPass(st.clone())
	}
	return st
}

// setup builds the pass's collector.
func (p *pass) setup() error {
	cfg := p.o.cfg
	col := colly.NewCollector()
	col.UserAgent = cfg.UserAgent
	col.Async = true
	col.IgnoreRobotsTxt = false
	col.MaxBodySize = 0 // the transport caps bodies, after decompression too
	col.Context = p.ctx
	col.AllowedDomains = p.o.hosts.hostNames()
	col.SetRequestTimeout(cfg.Timeout)
	col.WithTransport(&transport{base: p.c.transport, ctx: p.ctx, maxBody: int64(cfg.MaxBodySize), retry: cfg.Retry, requests: &p.requests,
		robotsFailed: func(u *url.URL, status string) {
			p.count("robots_unavailable", 1)
			p.log.Warn("robots.txt unavailable, host disallowed for this pass", zap.String("url", u.String()), zap.String("status", status))
		}})
	col.SetRedirectHandler(func(req *http.Request, via []*http.Request) error {
		if len(via) >= 10 {
			return fmt.Errorf("%w: stopped after 10 redirects", errRedirectRefused)
		}
		if !p.o.hosts.allows(req.URL) {
			return fmt.Errorf("%w: %s is not one of the outlet's hosts", errRedirectRefused, req.URL.Host)
		}
		return nil
	})
	for h := range p.o.hosts {
		re := "^" + regexp.QuoteMeta(h) + "$"
		if !strings.Contains(h, ":") {
			re = "^" + regexp.QuoteMeta(h) + "(:\\d+)?$"
		}
		if err := col.Limit(&colly.LimitRule{
			DomainRegexp: re,
			Parallelism:  cfg.Rate.Parallelism,
			Delay:        cfg.Rate.Delay,
			RandomDelay:  cfg.Rate.RandomDelay,
		}); err != nil {
			return err
		}
	}
	col.OnRequest(p.onRequest)
	col.OnRequestHeaders(p.onRequestHeaders)
	col.OnResponse(p.onResponse)
	col.OnError(p.onError)
	col.OnScraped(func(r *colly.Response) {
		if r.Ctx.Get(ctxKind) == kindArticle {
			p.articleDone()
		}
	})
	p.window = max(16, 4*cfg.Rate.Parallelism*len(p.o.hosts))
	p.col = col
	return nil
}

// seed queues the configured discovery sources.
func (p *pass) seed() {
	cfg := p.o.cfg
	if cfg.RobotsSitemaps {
		if base, err := url.Parse(cfg.BaseURL); err == nil {
			p.visit(kindRobots, base.ResolveReference(&url.URL{Path: "/robots.txt"}), nil)
		}
	}
	for _, f := range cfg.Feeds {
		if u, err := url.Parse(f); err == nil {
			p.visit(kindFeed, u, nil)
		}
	}
	for _, s := range cfg.Sitemaps {
		if u, err := url.Parse(s); err == nil {
			p.visitSitemap(u)
		}
	}
	for _, l := range cfg.Listings {
		if u, err := url.Parse(l); err == nil {
			p.visitListing(u, u.String())
		}
	}
}

func (p *pass) count(kind string, n int) {
	p.mu.Lock()
	p.stats.Errors[kind] += n
	p.mu.Unlock()
}

func (p *pass) update(f func(s *Stats)) {
	p.mu.Lock()
	f(&p.stats)
	p.mu.Unlock()
}

// visit queues a GET of u as a document of the given kind. It reports
// whether colly took the request (and will call back for it).
func (p *pass) visit(kind string, u *url.URL, extra map[string]string) bool {
	if p.ctx.Err() != nil {
		return false
	}
	if !p.o.hosts.allows(u) || (p.o.excludeRe != nil && p.o.excludeRe.MatchString(u.String())) {
		p.update(func(s *Stats) { s.Skipped++ })
		return false
	}
	cctx := colly.NewContext()
	cctx.Put(ctxKind, kind)
	cctx.Put(ctxURL, u.String())
	cctx.Put(ctxAttempt, 0)
	for k, v := range extra {
		cctx.Put(k, v)
	}
	err := p.col.Request(http.MethodGet, u.String(), nil, cctx, nil)
	var visited *colly.AlreadyVisitedError
	switch {
	case err == nil:
		return true
	case errors.As(err, &visited):
	case errors.Is(err, colly.ErrRobotsTxtBlocked):
		p.update(func(s *Stats) { s.RobotsBlocked++ })
		p.log.Debug("robots.txt disallows", zap.String("url", u.String()))
	case errors.Is(err, colly.ErrForbiddenDomain), errors.Is(err, colly.ErrForbiddenURL):
		p.update(func(s *Stats) { s.Skipped++ })
	case p.ctx.Err() != nil:
	default:
		// robots.txt could not be fetched, or the URL is malformed.
		p.count("request", 1)
		p.log.Warn("request", zap.String("url", u.String()), zap.Error(err))
	}
	return false
}

// pump hands queued article URLs to colly while fewer than p.window are
// in flight. Colly's async mode runs a goroutine per request from the
// moment it is queued; the window keeps a sitemap of 50,000 URLs from
// becoming 50,000 goroutines, while the host limits still decide the pace.
func (p *pass) pump() {
	for {
		p.mu.Lock()
		if p.ctx.Err() != nil {
			p.queue = nil
		}
		if len(p.queue) == 0 || p.inflight >= p.window {
			p.mu.Unlock()
			return
		}
		u := p.queue[0]
		p.queue[0] = nil
		p.queue = p.queue[1:]
		p.inflight++
		p.mu.Unlock()
		if !p.visit(kindArticle, u, nil) {
			p.mu.Lock()
			p.inflight--
			p.stats.ArticlesDone++
			p.mu.Unlock()
			p.progress(false)
		}
	}
}

// articleDone frees the window slot of a finished article request.
func (p *pass) articleDone() {
	p.mu.Lock()
	p.inflight--
	p.stats.ArticlesDone++
	p.mu.Unlock()
	p.progress(false)
	p.pump()
}

// progress reports a snapshot of the pass's Stats to the WithProgress
// function, at most every progressEvery unless final.
func (p *pass) progress(final bool) {
	if p.c.onProgress == nil {
		return
	}
	p.mu.Lock()
	now := time.Now()
	if !final && now.Sub(p.lastProgress) < progressEvery {
		p.mu.Unlock()
		return
	}
	p.lastProgress = now
	st := p.stats.clone()
	p.mu.Unlock()
	st.Requests = int(p.requests.Load())
	st.Duration = now.Sub(st.Started)
	p.c.onProgress(st)
}

const progressEvery = 100 * time.Millisecond

func (p *pass) visitSitemap(u *url.URL) {
	p.mu.Lock()
	if p.maxSitemaps > 0 && p.sitemaps >= p.maxSitemaps {
		p.stats.Skipped++
		p.mu.Unlock()
		return
	}
	p.sitemaps++
	p.mu.Unlock()
	p.visit(kindSitemap, u, nil)
}

func (p *pass) visitListing(u *url.URL, root string) {
	p.mu.Lock()
	if p.maxListing > 0 && p.listings[root] >= p.maxListing {
		p.stats.Skipped++
		p.mu.Unlock()
		return
	}
	p.listings[root]++
	p.mu.Unlock()
	p.visit(kindListing, u, map[string]string{ctxRoot: root})
}

// isArticleURL decides whether a discovered link is an article; trusted
// sources (feeds, sitemaps) skip the heuristic but not ArticlePattern.
func (p *pass) isArticleURL(u *url.URL, trusted bool) bool {
	if p.o.articleRe != nil {
		return p.o.articleRe.MatchString(u.String())
	}
	return trusted || LooksLikeArticle(u)
}

// addArticle queues an article URL once per pass, by canonical URL.
// published is the date a feed or sitemap gave, or zero.
func (p *pass) addArticle(u *url.URL, published time.Time, trusted bool) {
	if !p.o.hosts.allows(u) || !p.isArticleURL(u, trusted) {
		return
	}
	canon, err := article.Canonicalize(u.String())
	if err != nil {
		return
	}
	p.mu.Lock()
	if !published.IsZero() {
		if _, ok := p.hints[canon]; !ok {
			p.hints[canon] = published
		}
	}
	if p.seen[canon] {
		p.mu.Unlock()
		return
	}
	if p.maxArticles > 0 && p.articles >= p.maxArticles {
		p.stats.Skipped++
		p.mu.Unlock()
		return
	}
	p.seen[canon] = true
	p.articles++
	p.stats.Discovered++
	p.mu.Unlock()
	cu, err := url.Parse(canon)
	if err != nil {
		return
	}
	p.mu.Lock()
	p.queue = append(p.queue, cu)
	p.mu.Unlock()
	p.pump()
}

func (p *pass) tooOld(t time.Time) bool {
	return !p.cutoff.IsZero() && !t.IsZero() && t.Before(p.cutoff)
}

func (p *pass) onRequest(r *colly.Request) {
	if p.ctx.Err() != nil {
		r.Abort()
		return
	}
	switch r.Ctx.Get(ctxKind) {
	case kindFeed, kindSitemap, kindListing:
		if d := p.o.docs.get(r.Ctx.Get(ctxURL)); d != nil {
			if d.etag != "" {
				r.Headers.Set("If-None-Match", d.etag)
			}
			if d.lastModified != "" {
				r.Headers.Set("If-Modified-Since", d.lastModified)
			}
		}
	}
}

// onRequestHeaders runs once the request holds its host's parallelism
// slot: a host that asked for a pause (Retry-After) is waited for here, or
// skipped when the pause is longer than Retry.MaxWait.
func (p *pass) onRequestHeaders(r *colly.Request) {
	if p.ctx.Err() != nil {
		r.Abort()
		return
	}
	until := p.o.gates.get(r.URL.Host)
	if wait := time.Until(until); wait > 0 {
		if wait > p.o.cfg.Retry.MaxWait {
			r.Abort()
			p.update(func(s *Stats) { s.Skipped++ })
			return
		}
		if !sleepCtx(p.ctx, wait) {
			r.Abort()
		}
	}
}

func (p *pass) onError(r *colly.Response, err error) {
	if p.ctx.Err() != nil {
		return
	}
	final := true // no retry follows
	if r.Ctx.Get(ctxKind) == kindArticle {
		defer func() {
			if final {
				p.articleDone()
			}
		}()
	}
	req := r.Request
	status := r.StatusCode
	u := req.URL.String()
	attempt, _ := r.Ctx.GetAny(ctxAttempt).(int)
	retry := p.o.cfg.Retry
	var (
		kind      string
		retryable bool
	)
	switch {
	case errors.Is(err, colly.ErrAbortedBeforeRequest):
		return // a paused host; counted as skipped
	case status == http.StatusNotModified:
		if d := p.o.docs.get(r.Ctx.Get(ctxURL)); d != nil {
			p.update(func(s *Stats) { s.NotModified++ })
			p.apply(d.found, r.Ctx.Get(ctxRoot))
			return
		}
		kind = "http_status"
	case errors.Is(err, ErrBodyTooLarge):
		kind = "too_large"
	case status == http.StatusTooManyRequests:
		kind, retryable = "rate_limited", true
	case status >= 500:
		kind, retryable = "http_5xx", status != http.StatusNotImplemented
	case status >= 400:
		kind = "http_4xx"
	case status != 0:
		kind = "http_status"
	default:
		var visited *colly.AlreadyVisitedError
		if errors.As(err, &visited) {
			// A redirect to a page this pass already fetched.
			p.update(func(s *Stats) { s.Duplicates++ })
			return
		}
		kind = "network"
		// Refused redirects (foreign host, loops) will not get better.
		retryable = !errors.Is(err, errRedirectRefused) && !errors.Is(err, colly.ErrForbiddenDomain)
	}
	if r.Ctx.Get(ctxKind) == kindRobots {
		retryable = false // the transport retried it
	}
	if retryable && attempt < retry.MaxRetries {
		wait := retryAfter(r.Headers, time.Now())
		if wait > 0 {
			if wait > retry.MaxWait {
				// The host asks for more patience than a pass has: leave
				// it alone until then.
				p.o.gates.set(req.URL.Host, time.Now().Add(wait))
				p.count(kind, 1)
				p.log.Warn("host asks to wait, skipping it this pass", zap.String("url", u), zap.Duration("retry_after", wait))
				return
			}
			p.o.gates.set(req.URL.Host, time.Now().Add(wait))
		} else {
			wait = backoff(retry.Backoff, attempt)
		}
		r.Ctx.Put(ctxAttempt, attempt+1)
		p.update(func(s *Stats) { s.Retries++ })
		p.log.Debug("retrying", zap.String("url", u), zap.Int("status", status), zap.Duration("wait", wait), zap.Int("attempt", attempt+1), zap.Error(err))
		if !sleepCtx(p.ctx, wait) {
			return
		}
		rerr := req.Retry()
		if rerr == nil {
			final = false
		} else if p.ctx.Err() == nil {
			p.count(kind, 1)
			p.log.Warn("retry", zap.String("url", u), zap.Error(rerr))
		}
		return
	}
	p.count(kind, 1)
	lvl := p.log.Warn
	if status == http.StatusNotFound || status == http.StatusGone {
		lvl = p.log.Info
	}
	lvl("fetch failed", zap.String("url", u), zap.String("kind", r.Ctx.Get(ctxKind)), zap.Int("status", status), zap.Int("attempts", attempt+1), zap.Error(err))
}

func (p *pass) onResponse(r *colly.Response) {
	if p.ctx.Err() != nil {
		return
	}
	// A panic in a parser, the extractor or the sink loses one page, not
	// the process.
	defer func() {
		if v := recover(); v != nil {
			p.count("panic", 1)
			p.log.Error("panic while handling a page", zap.String("url", r.Request.URL.String()),
				zap.String("kind", r.Ctx.Get(ctxKind)), zap.Any("panic", v), zap.Stack("stack"))
		}
	}()
	p.update(func(s *Stats) { s.PagesFetched++ })
	switch r.Ctx.Get(ctxKind) {
	case kindRobots:
		p.handleRobots(r)
	case kindFeed:
		p.update(func(s *Stats) { s.Feeds++ })
		p.handleDiscovery(r, p.parseFeed)
	case kindSitemap:
		p.update(func(s *Stats) { s.Sitemaps++ })
		p.handleDiscovery(r, p.parseSitemap)
	case kindListing:
		p.update(func(s *Stats) { s.Listings++ })
		p.handleDiscovery(r, p.parseListing)
	case kindArticle:
		p.update(func(s *Stats) { s.ArticlesFetched++ })
		p.handleArticle(r)
	}
}

// handleDiscovery parses a feed, sitemap or listing page, queues what it
// yields and remembers it with the response's validators (ETag,
// Last-Modified) for conditional requests in later passes.
func (p *pass) handleDiscovery(r *colly.Response, parse func(*colly.Response) (*found, bool)) {
	f, ok := parse(r)
	if f == nil {
		return
	}
	if ok {
		p.o.docs.store(r.Ctx.Get(ctxURL), r.Headers.Get("ETag"), r.Headers.Get("Last-Modified"), f)
	}
	p.apply(f, r.Ctx.Get(ctxRoot))
}

func (p *pass) handleRobots(r *colly.Response) {
	rd, err := robotstxt.FromStatusAndBytes(r.StatusCode, r.Body)
	if err != nil {
		return
	}
	for _, s := range rd.Sitemaps {
		u, err := r.Request.URL.Parse(strings.TrimSpace(s))
		if err != nil || !p.o.hosts.allows(u) {
			continue
		}
		p.visitSitemap(u)
	}
}

// found is what a discovery document (feed, sitemap, listing page)
// yields. It is kept between passes to answer a 304 Not Modified.
type found struct {
	articles []foundURL
	sitemaps []foundURL
	listings []string // further pages of the listing
}

type foundURL struct {
	url       string    // absolute
	published time.Time // publication date a feed or news sitemap gives
	modified  time.Time // sitemap lastmod
	trusted   bool      // from a feed or sitemap: skip the URL heuristic
}

// apply queues what a document yielded; root is the listing start URL of a
// listing page.
func (p *pass) apply(f *found, root string) {
	for _, s := range f.sitemaps {
		if p.tooOld(s.modified) {
			p.update(func(s *Stats) { s.Skipped++ })
			continue
		}
		if u, err := url.Parse(s.url); err == nil {
			p.visitSitemap(u)
		}
	}
	for _, a := range f.articles {
		if p.tooOld(a.published) || (a.published.IsZero() && p.tooOld(a.modified)) {
			p.update(func(s *Stats) { s.Skipped++ })
			continue
		}
		if u, err := url.Parse(a.url); err == nil {
			p.addArticle(u, a.published, a.trusted)
		}
	}
	for _, l := range f.listings {
		if u, err := url.Parse(l); err == nil {
			p.visitListing(u, root)
		}
	}
}

// resolve returns ref resolved against base, or nil.
func resolve(base *url.URL, ref string) *url.URL {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return nil
	}
	r, err := url.Parse(ref)
	if err != nil {
		return nil
	}
	u := base.ResolveReference(r)
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil
	}
	u.Fragment, u.RawFragment = "", ""
	return u
}

func (p *pass) parseFeed(r *colly.Response) (*found, bool) {
	body := xmlUTF8(r.Body, r.Headers.Get(origContentType))
	feed, err := gofeed.NewParser().Parse(bytes.NewReader(body))
	if err != nil {
		p.count("feed", 1)
		p.log.Warn("feed", zap.String("url", r.Request.URL.String()), zap.Error(err))
		return nil, false
	}
	f := &found{}
	for _, it := range feed.Items {
		link := it.Link
		if link == "" && len(it.Links) > 0 {
			link = it.Links[0]
		}
		if link == "" && (strings.HasPrefix(it.GUID, "http://") || strings.HasPrefix(it.GUID, "https://")) {
			link = it.GUID
		}
		u := resolve(r.Request.URL, link)
		if u == nil {
			continue
		}
		fu := foundURL{url: u.String(), trusted: true}
		if it.PublishedParsed != nil {
			fu.published = *it.PublishedParsed
		} else if it.UpdatedParsed != nil {
			fu.published = *it.UpdatedParsed
		}
		f.articles = append(f.articles, fu)
	}
	return f, true
}

func (p *pass) parseSitemap(r *colly.Response) (*found, bool) {
	body := xmlUTF8(r.Body, r.Headers.Get(origContentType))
	sm, err := ParseSitemap(bytes.NewReader(body), p.o.loc)
	if err != nil {
		p.count("sitemap", 1)
		p.log.Warn("sitemap", zap.String("url", r.Request.URL.String()), zap.Error(err))
		if sm == nil {
			return nil, false
		}
	}
	f := &found{}
	for _, e := range sm.Entries {
		u := resolve(r.Request.URL, e.Loc)
		if u == nil {
			continue
		}
		switch sm.Kind {
		case SitemapIndex:
			f.sitemaps = append(f.sitemaps, foundURL{url: u.String(), modified: e.LastMod})
		case SitemapURLSet:
			f.articles = append(f.articles, foundURL{url: u.String(), published: e.NewsPublished, modified: e.LastMod, trusted: true})
		}
	}
	// A damaged sitemap is used but not remembered.
	return f, err == nil && !sm.Truncated
}

func (p *pass) parseListing(r *colly.Response) (*found, bool) {
	ct := r.Headers.Get(origContentType)
	if ct == "" {
		ct = r.Headers.Get("Content-Type")
	}
	rd, err := charset.NewReader(bytes.NewReader(r.Body), ct)
	if err != nil {
		rd = bytes.NewReader(r.Body)
	}
	doc, err := goquery.NewDocumentFromReader(rd)
	if err != nil {
		p.count("listing", 1)
		return nil, false
	}
	rootURL, err := url.Parse(r.Ctx.Get(ctxRoot))
	if err != nil {
		rootURL = r.Request.URL
	}
	f := &found{}
	links, nexts := pageLinks(doc, r.Request.URL, p.o.next)
	for _, u := range links {
		if !p.o.hosts.allows(u) {
			continue
		}
		if isPaginationOf(u, rootURL) {
			nexts = append(nexts, u)
			continue
		}
		f.articles = append(f.articles, foundURL{url: u.String()})
	}
	for _, u := range nexts {
		if !p.o.hosts.allows(u) || p.isArticleURL(u, false) {
			continue
		}
		f.listings = append(f.listings, u.String())
	}
	return f, true
}

func (p *pass) handleArticle(r *colly.Response) {
	requested := r.Request.URL.String()
	in := extract.Input{
		URL:       requested,
		Body:      r.Body,
		Header:    originalHeader(r.Headers),
		FetchedAt: time.Now().UTC(),
		Outlet:    p.o.cfg.ID,
		Location:  p.o.loc,
		Overrides: p.o.cfg.Extract,
	}
	a, err := p.c.extract(p.ctx, in)
	if errors.Is(err, extract.ErrNotArticle) {
		p.update(func(s *Stats) { s.NotArticles++ })
		p.log.Debug("not an article", zap.String("url", requested))
		return
	}
	if err != nil {
		p.count("extract", 1)
		p.log.Warn("extract", zap.String("url", requested), zap.Error(err))
		return
	}
	if a.Outlet == "" {
		a.Outlet = p.o.cfg.ID
	}
	if err := a.Validate(); err != nil {
		p.count("invalid_article", 1)
		p.log.Warn("extractor returned an invalid article", zap.String("url", requested), zap.Error(err))
		return
	}
	p.mu.Lock()
	if p.published[a.ID] {
		p.stats.Duplicates++
		p.mu.Unlock()
		return
	}
	p.published[a.ID] = true
	if a.PublishedAt == nil {
		// The page gives no date: fall back on the feed's or news
		// sitemap's, found under the URL as queued (canonical form) or the
		// page's declared canonical URL.
		t, ok := p.hints[r.Ctx.Get(ctxURL)]
		if !ok {
			t, ok = p.hints[a.CanonicalURL]
		}
		if ok {
			t = t.In(p.o.loc)
			a.PublishedAt, a.DateSource = &t, article.DateSourceFeed
		}
	}
	p.mu.Unlock()
	if err := p.c.sink.Publish(p.ctx, a); err != nil {
		p.mu.Lock()
		delete(p.published, a.ID)
		p.mu.Unlock()
		if p.ctx.Err() == nil {
			p.count("publish", 1)
			p.log.Warn("publish", zap.String("url", requested), zap.String("id", a.ID), zap.Error(err))
		}
		return
	}
	p.update(func(s *Stats) { s.ArticlesPublished++ })
}
