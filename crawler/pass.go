package crawler

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/gocolly/colly/v2"
	"github.com/mmcdole/gofeed"
	"go.uber.org/zap"
	"golang.org/x/net/html/charset"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/bus"
	"github.com/newswatch/newswatch/crawler/extract"
	"github.com/newswatch/newswatch/internal/backoff"
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
	ctxCanon   = "canon"   // canonical URL of an article as queued
	ctxSource  = "source"  // the source polled on its own a document descends from
)

// errRedirectRefused is the error of a redirect the crawler does not follow.
var errRedirectRefused = errors.New("redirect refused")

// plan is what one pass does.
type plan struct {
	sources                              []source  // documents polled on their own
	rechecks                             []recheck // articles fetched again for edits
	archive                              []string  // archive day pages (backfill)
	cutoff                               time.Time // entries dated before are skipped; zero: none
	backfill                             bool      // follow pagination through known articles
	monitor                              bool      // a poll of due sources (Run): reschedule them
	maxArticles, maxListing, maxSitemaps int
	maxInterval                          time.Duration // for the adaptive schedule
}

// pass is one discovery and fetch pass over one outlet.
type pass struct {
	c    *Crawler
	o    *outlet
	ctx  context.Context
	col  *colly.Collector
	tr   *transport
	log  *zap.Logger
	plan plan

	requests atomic.Int64

	mu         sync.Mutex
	stats      Stats
	seen       map[string]bool      // canonical article URLs considered
	known      map[string]bool      // of those, the ones not fetched because known
	knownState map[string]URLState  // and their state
	lateListed map[string]time.Time // lastmods learnt after the page was fetched
	published  map[string]bool      // article IDs published
	hints      map[string]hint      // canonical URL -> dates the sources gave
	listings   map[string]int       // listing root -> pages queued
	articles   int                  // article URLs queued for fetching
	queue      []*url.URL           // article URLs not yet handed to colly
	inflight   int                  // article requests colly has
	window     int                  // most article requests colly may have
	docs       map[string]*docRun   // discovery documents, by URL as queued
	done       map[string]bool      // canonical URLs finished with
	tries      map[string]int       // canonical URL -> failed tries before this pass
	failed     map[string]bool      // canonical URLs that failed this pass
	rechecks   map[string]bool      // canonical URLs fetched as rechecks
	checked    map[string]bool      // rechecks completed (200 or 304)
	firstSeen  map[string]time.Time // new articles published: join the recheck schedule
	newBySrc   map[string]int       // source URL -> new articles its documents showed

	lastProgress time.Time
	sitemaps     int // sitemaps queued
}

// hint are the dates feeds and sitemaps give for an article.
type hint struct {
	published, modified time.Time
	trusted             bool // named by a feed or sitemap
}

// docRun is a discovery document of a pass.
type docRun struct {
	url, kind, source, root string
	state                   SourceState // as loaded (zero when none)
	hasState                bool
	listed                  time.Time // child sitemap: the lastmod its index gave
	answered                bool      // 200 or 304
	notModified             bool
	items                   []foundURL // entries this pass took from it
	next                    []string   // further pages found (listing)
	newItems                int
	ok                      bool // the 200 parsed
	etag, lastModified      string
	count                   int // entries the 200 held
}

func (c *Crawler) pass(ctx context.Context, o *outlet, pl plan) Stats {
	cfg := o.cfg
	c.loadSchedule(ctx, o)
	p := &pass{
		c: c, o: o, ctx: ctx, log: o.log, plan: pl,
		stats:      Stats{Outlet: cfg.ID, Started: time.Now(), Errors: map[string]int{}},
		seen:       map[string]bool{},
		known:      map[string]bool{},
		knownState: map[string]URLState{},
		lateListed: map[string]time.Time{},
		published:  map[string]bool{},
		hints:      map[string]hint{},
		listings:   map[string]int{},
		docs:       map[string]*docRun{},
		done:       map[string]bool{},
		tries:      map[string]int{},
		failed:     map[string]bool{},
		rechecks:   map[string]bool{},
		checked:    map[string]bool{},
		firstSeen:  map[string]time.Time{},
		newBySrc:   map[string]int{},
	}
	if err := p.setup(); err != nil {
		p.count("request", 1)
		p.log.Error("collector setup", zap.Error(err))
	} else {
		p.seed()
		p.col.Wait()
	}
	p.finish()
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
		p.log.Debug("pass done", st.zapFields()...)
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
	col.IgnoreRobotsTxt = true // the pass checks robots.txt itself, cached across passes
	col.MaxBodySize = 0        // the transport caps bodies, after decompression too
	// Requests are not cancelled with the pass by colly: the transport
	// stops those waiting for their host's slot at once and gives those
	// already sent interruptGrace to finish (see graceful).
	col.Context = context.WithoutCancel(p.ctx)
	col.AllowedDomains = p.o.hosts.hostNames()
	// The transport bounds each request once it holds its host's slot:
	// waiting for politeness must not time a request out.
	col.SetRequestTimeout(0)
	p.tr = &transport{base: p.c.transport, ctx: p.ctx, maxBody: int64(cfg.MaxBodySize), timeout: cfg.Timeout, requests: &p.requests,
		limits: p.o.limits, gate: p.gate, pause: p.o.gates.set, observe: p.o.observe}
	col.WithTransport(p.tr)
	col.SetRedirectHandler(func(req *http.Request, via []*http.Request) error {
		if len(via) >= 10 {
			return fmt.Errorf("%w: stopped after 10 redirects", errRedirectRefused)
		}
		if !p.o.hosts.allows(req.URL) {
			return fmt.Errorf("%w: %s is not one of the outlet's hosts", errRedirectRefused, req.URL.Host)
		}
		if !p.allowedByRobots(req.URL) {
			return fmt.Errorf("%w: robots.txt disallows %s", errRedirectRefused, req.URL)
		}
		return nil
	})
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

// seed queues the plan's sources, archive pages and rechecks.
func (p *pass) seed() {
	if base, err := url.Parse(p.o.cfg.BaseURL); err == nil {
		p.robotsRules(base) // fetch robots.txt first: its sitemaps and Crawl-delay
	}
	srcs := p.plan.sources
	if p.o.cfg.RobotsSitemaps {
		// Sitemaps robots.txt names are sources too: a pass includes
		// those just learnt (and, over every source, all of them).
		have := map[string]bool{}
		for _, s := range srcs {
			have[s.url] = true
		}
		for _, s := range p.o.sources() {
			if !have[s.url] && (!p.plan.monitor || p.o.unscheduled(s.url)) {
				srcs = append(srcs, s)
				if p.plan.monitor {
					p.plan.sources = append(p.plan.sources, s)
				}
			}
		}
	}
	for _, s := range srcs {
		u, err := url.Parse(s.url)
		if err != nil {
			continue
		}
		switch s.kind {
		case kindSitemap:
			p.visitSitemap(u, s.url, time.Time{})
		case kindListing:
			p.visitListing(u, u.String(), s.url)
		default:
			p.visitDoc(s.kind, u, s.url, "", time.Time{})
		}
	}
	for _, a := range p.plan.archive {
		if u, err := url.Parse(a); err == nil {
			p.visitListing(u, u.String(), "")
		}
	}
	for _, r := range p.plan.rechecks {
		u, err := url.Parse(r.URL)
		if err != nil {
			continue
		}
		p.mu.Lock()
		if p.seen[r.URL] {
			p.mu.Unlock()
			continue
		}
		p.seen[r.URL] = true
		p.rechecks[r.URL] = true
		p.articles++
		p.stats.Rechecks++
		p.queue = append(p.queue, u)
		p.mu.Unlock()
	}
	p.pump()
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
func (p *pass) visit(kind string, u *url.URL, extra map[string]string, header http.Header) bool {
	if p.ctx.Err() != nil {
		return false
	}
	if !p.o.hosts.allows(u) || (p.o.excludeRe != nil && p.o.excludeRe.MatchString(u.String())) {
		p.update(func(s *Stats) { s.Skipped++ })
		return false
	}
	if !p.allowedByRobots(u) {
		p.update(func(s *Stats) { s.RobotsBlocked++ })
		p.log.Debug("robots.txt disallows", zap.String("url", u.String()))
		return false
	}
	cctx := colly.NewContext()
	cctx.Put(ctxKind, kind)
	cctx.Put(ctxURL, u.String())
	cctx.Put(ctxAttempt, 0)
	for k, v := range extra {
		cctx.Put(k, v)
	}
	if header == nil {
		header = http.Header{}
	}
	header.Set(kindHeader, kind)
	err := p.col.Request(http.MethodGet, u.String(), nil, cctx, header)
	var visited *colly.AlreadyVisitedError
	switch {
	case err == nil:
		return true
	case errors.As(err, &visited):
	case errors.Is(err, colly.ErrForbiddenDomain), errors.Is(err, colly.ErrForbiddenURL):
		p.update(func(s *Stats) { s.Skipped++ })
	case p.ctx.Err() != nil:
	default:
		p.count("request", 1)
		p.log.Warn("request", zap.String("url", u.String()), zap.Error(err))
	}
	return false
}

// visitDoc queues a discovery document, conditionally when its state
// allows.
func (p *pass) visitDoc(kind string, u *url.URL, source, root string, listed time.Time) bool {
	key := u.String()
	p.mu.Lock()
	if p.docs[key] != nil {
		p.mu.Unlock()
		return false
	}
	d := &docRun{url: key, kind: kind, source: source, root: root, listed: listed}
	p.docs[key] = d
	p.mu.Unlock()
	var st SourceState
	if err := p.c.store.Load(p.ctx, p.o.cfg.ID, sourceName(key), &st); err == nil {
		d.state, d.hasState = st, true
	} else if !errors.Is(err, ErrNoRecord) && p.ctx.Err() == nil {
		p.count("state", 1)
		p.log.Warn("source state unavailable; fetching in full", zap.String("url", key), zap.Error(err))
	}
	header := http.Header{}
	if d.hasState && !d.state.Incomplete && usable(d.state.Cutoff, p.plan.cutoff) {
		if d.state.ETag != "" {
			header.Set("If-None-Match", d.state.ETag)
		}
		if d.state.LastModified != "" {
			header.Set("If-Modified-Since", d.state.LastModified)
		}
	}
	extra := map[string]string{ctxSource: source}
	if root != "" {
		extra[ctxRoot] = root
	}
	if !p.visit(kind, u, extra, header) {
		p.mu.Lock()
		delete(p.docs, key)
		p.mu.Unlock()
		return false
	}
	return true
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
		if !p.visitArticle(u) {
			p.mu.Lock()
			p.inflight--
			p.stats.ArticlesDone++
			p.mu.Unlock()
			p.progress(false)
		}
	}
}

// visitArticle queues an article fetch, conditional when the page is
// known (a recheck, or a refetch a sitemap asked for).
func (p *pass) visitArticle(u *url.URL) bool {
	canon := u.String()
	header := http.Header{}
	if st, _, err := p.c.state.Get(p.ctx, p.o.cfg.ID, canon); err == nil && st.Status == "" && st.Published() && !st.Refetch {
		if st.ETag != "" {
			header.Set("If-None-Match", st.ETag)
		}
		if st.LastModified != "" {
			header.Set("If-Modified-Since", st.LastModified)
		}
	}
	ok := p.visit(kindArticle, u, map[string]string{ctxCanon: canon}, header)
	if !ok {
		p.mu.Lock()
		if !p.o.hosts.allows(u) || !p.allowedByRobotsCached(u) {
			p.done[canon] = true // never fetchable
		}
		p.mu.Unlock()
	}
	return ok
}

// allowedByRobotsCached is allowedByRobots for a host whose rules are
// already known (no fetch).
func (p *pass) allowedByRobotsCached(u *url.URL) bool {
	e := p.o.robots.entry(u.Scheme + "://" + u.Host)
	if !e.mu.TryLock() {
		return true
	}
	defer e.mu.Unlock()
	if e.failed {
		return true // unavailable: may be allowed later
	}
	if e.group == nil {
		return true
	}
	return e.group.Test(u.EscapedPath())
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

// visitSitemap queues a sitemap unless the limit is reached, or unless it
// is a child whose index shows the same lastmod as when it was fetched
// and nothing of it is pending (then nothing in it changed).
func (p *pass) visitSitemap(u *url.URL, source string, listed time.Time) {
	if !listed.IsZero() {
		var st SourceState
		if err := p.c.store.Load(p.ctx, p.o.cfg.ID, sourceName(u.String()), &st); err == nil &&
			st.Listed == listed.UTC().Format(time.RFC3339) && len(st.Pending) == 0 && !st.Incomplete &&
			usable(st.Cutoff, p.plan.cutoff) {
			p.update(func(s *Stats) { s.SitemapsUnchanged++ })
			return
		}
	}
	p.mu.Lock()
	if p.plan.maxSitemaps > 0 && p.sitemaps >= p.plan.maxSitemaps {
		p.stats.Skipped++
		p.mu.Unlock()
		p.o.problem("sitemap_limit")
		return
	}
	p.sitemaps++
	p.mu.Unlock()
	p.visitDoc(kindSitemap, u, source, "", listed)
}

func (p *pass) visitListing(u *url.URL, root, source string) {
	p.mu.Lock()
	if p.plan.maxListing > 0 && p.listings[root] >= p.plan.maxListing {
		p.stats.Skipped++
		p.mu.Unlock()
		p.o.problem("listing_limit")
		return
	}
	p.listings[root]++
	p.mu.Unlock()
	p.visitDoc(kindListing, u, source, root, time.Time{})
}

// isArticleURL decides whether a discovered link is an article; trusted
// sources (feeds, sitemaps) skip the heuristic but not ArticlePattern.
func (p *pass) isArticleURL(u *url.URL, trusted bool) bool {
	if p.o.articleRe != nil {
		return p.o.articleRe.MatchString(u.String())
	}
	return trusted || LooksLikeArticle(u)
}

// candidate is what addArticle made of a link.
type candidate int

const (
	notCandidate candidate = iota // not an article link of the outlet
	isNew                         // unknown: queued (or over the limit)
	isKnown                       // fetched before: not fetched again
	isUnsure                      // its state could not be read
)

// addArticle queues an article URL once per pass, by canonical URL, unless
// the crawler knows it already (URLState): a known page is fetched again
// only when a sitemap's lastmod says it changed, or when asked to
// (URLState.Refetch).
func (p *pass) addArticle(f foundURL, tries int) candidate {
	u, err := url.Parse(f.url)
	if err != nil || !p.o.hosts.allows(u) || !p.isArticleURL(u, f.trusted) {
		return notCandidate
	}
	canon, err := article.Canonicalize(u.String())
	if err != nil {
		return notCandidate
	}
	p.mu.Lock()
	h := p.hints[canon]
	if h.published.IsZero() {
		h.published = f.published
	}
	if f.modified.After(h.modified) {
		h.modified = f.modified
	}
	h.trusted = h.trusted || f.trusted
	p.hints[canon] = h
	if tries > p.tries[canon] {
		p.tries[canon] = tries
	}
	if p.seen[canon] {
		k := p.known[canon]
		if k && changedSince(p.knownState[canon], f.modified) {
			// Another source says the known page changed: fetch it.
			delete(p.known, canon)
			delete(p.done, canon)
			p.stats.Known--
			p.mu.Unlock()
			return p.queueArticle(canon)
		}
		if !k && !f.modified.IsZero() && p.done[canon] {
			// Fetched before this source told its lastmod: note it at the
			// end, so that the next change is seen.
			if f.modified.After(p.lateListed[canon]) {
				p.lateListed[canon] = f.modified
			}
		}
		p.mu.Unlock()
		if k {
			return isKnown
		}
		return isNew
	}
	p.seen[canon] = true
	p.mu.Unlock()
	st, _, err := p.c.state.Get(p.ctx, p.o.cfg.ID, canon)
	switch {
	case errors.Is(err, ErrNoState):
	case err != nil:
		if p.ctx.Err() == nil {
			p.count("state", 1)
			p.log.Warn("url state unavailable; the article waits for the next pass", zap.String("url", canon), zap.Error(err))
		}
		return isUnsure
	case st.Refetch, changedSince(st, f.modified):
	case st.Status == StatusFailed:
		// It failed before: try again once its back-off has passed, and
		// keep it unfinished meanwhile.
		if time.Since(st.CheckedAt) < p.retryWait(canon) {
			p.update(func(s *Stats) { s.Deferred++ })
			return isUnsure
		}
	default:
		p.mu.Lock()
		if st.Listed == "" && !f.modified.IsZero() && st.Status == "" {
			p.lateListed[canon] = f.modified
		}
		p.known[canon] = true
		p.knownState[canon] = st
		p.done[canon] = true
		p.stats.Known++
		p.mu.Unlock()
		return isKnown
	}
	return p.queueArticle(canon)
}

// queueArticle queues the fetch of an article page (within the pass's
// article limit).
func (p *pass) queueArticle(canon string) candidate {
	p.mu.Lock()
	if p.plan.maxArticles > 0 && p.articles >= p.plan.maxArticles {
		p.stats.Skipped++
		p.mu.Unlock()
		p.o.problem("article_limit")
		return isNew
	}
	p.articles++
	p.stats.Discovered++
	cu, err := url.Parse(canon)
	if err != nil {
		p.mu.Unlock()
		return notCandidate
	}
	p.queue = append(p.queue, cu)
	p.mu.Unlock()
	p.pump()
	return isNew
}

// retryWait is how long a page that failed tries times waits before the
// next try: the outlet's longest poll interval, doubled per failure (at
// most 64 times).
func (p *pass) retryWait(canon string) time.Duration {
	p.mu.Lock()
	tries := p.tries[canon]
	p.mu.Unlock()
	return p.o.maxInterval(p.plan.maxInterval) << min(max(tries-1, 0), 6)
}

// changedSince reports whether a source's modification date says the page
// changed since the crawler last fetched it: the date differs from the one
// noted then, or (none noted) is later than that fetch.
func changedSince(st URLState, modified time.Time) bool {
	if modified.IsZero() || st.Status == StatusGone {
		return false
	}
	if st.Listed != "" {
		// Any other date means a change: an edit reverted puts an earlier
		// one back.
		prev, err := time.Parse(time.RFC3339, st.Listed)
		return err == nil && !modified.Truncate(time.Second).Equal(prev)
	}
	return !st.CheckedAt.IsZero() && modified.After(st.CheckedAt)
}

func (p *pass) tooOld(t time.Time) bool {
	return !p.plan.cutoff.IsZero() && !t.IsZero() && t.Before(p.plan.cutoff)
}

func (p *pass) onRequest(r *colly.Request) {
	if p.ctx.Err() != nil {
		r.Abort()
	}
}

func (p *pass) onRequestHeaders(r *colly.Request) {
	if p.ctx.Err() != nil {
		r.Abort()
	}
}

// gate holds a request (in its host's slot) to a host that asked for a
// pause (Retry-After): it waits for the pause, or fails with errHostPaused
// when the pause is longer than Retry.MaxWait.
func (p *pass) gate(ctx context.Context, host string) error {
	wait := time.Until(p.o.gates.get(host))
	if wait <= 0 {
		return nil
	}
	if wait > p.o.cfg.Retry.MaxWait {
		return errHostPaused
	}
	if !backoff.Sleep(ctx, wait) {
		return context.Cause(ctx)
	}
	return nil
}

func (p *pass) onError(r *colly.Response, err error) {
	kindOf := r.Ctx.Get(ctxKind)
	if p.ctx.Err() != nil && (kindOf != kindArticle || r.StatusCode != http.StatusNotModified) {
		// Interrupted: failures say nothing; an article answered 304 in
		// the interruption's grace is settled below.
		return
	}
	final := true // no retry follows
	if kindOf == kindArticle {
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
		return
	case errors.Is(err, errHostPaused):
		p.update(func(s *Stats) { s.Skipped++ }) // stays pending
		return
	case status == http.StatusNotModified:
		p.update(func(s *Stats) { s.NotModified++ })
		if kindOf == kindArticle {
			p.articleNotModified(r)
			return
		}
		p.docNotModified(r)
		return
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
		loop := false
		if errors.As(err, &visited) {
			if q, err := url.Parse(r.Ctx.Get(ctxURL)); err != nil || visited.Destination == nil || visited.Destination.Path != q.Path {
				// A redirect to a page this pass already fetched.
				p.update(func(s *Stats) { s.Duplicates++ })
				p.finishArticle(r, true)
				return
			}
			loop = true // redirected back round to the page's own path: a loop
		}
		kind = "network"
		if loop || errors.Is(err, errRedirectRefused) || errors.Is(err, colly.ErrForbiddenDomain) {
			// Refused redirects (foreign host, loops) will not get better.
			kind = "redirect"
			p.o.problem("redirect")
		} else {
			retryable = true
		}
	}
	if retryable && attempt < retry.MaxRetries {
		wait := retryAfter(r.Headers, time.Now())
		if wait > 0 {
			if wait > retry.MaxWait {
				// The host asks for more patience than a pass has: leave
				// it alone until then.
				p.o.gates.set(req.URL.Host, time.Now().Add(wait))
				p.count(kind, 1)
				p.failDoc(r, kind)
				p.log.Warn("host asks to wait, skipping it this pass", zap.String("url", u), zap.Duration("retry_after", wait))
				return
			}
			p.o.gates.set(req.URL.Host, time.Now().Add(wait))
		} else {
			wait = retry.delay(attempt)
		}
		r.Ctx.Put(ctxAttempt, attempt+1)
		p.update(func(s *Stats) { s.Retries++ })
		p.log.Debug("retrying", zap.String("url", u), zap.Int("status", status), zap.Duration("wait", wait), zap.Int("attempt", attempt+1), zap.Error(err))
		if !backoff.Sleep(p.ctx, wait) {
			return
		}
		if rerr := req.Retry(); rerr == nil {
			final = false
		} else if p.ctx.Err() == nil {
			p.count(kind, 1)
			p.failDoc(r, kind)
			p.log.Warn("retry", zap.String("url", u), zap.Error(rerr))
		}
		return
	}
	p.count(kind, 1)
	p.failDoc(r, kind)
	lvl := p.log.Warn
	if status == http.StatusNotFound || status == http.StatusGone {
		lvl = p.log.Info
	}
	lvl("fetch failed", zap.String("url", u), zap.String("kind", kindOf), zap.Int("status", status), zap.Int("attempts", attempt+1), zap.Error(err))
}

// failDoc settles a request that failed for good in this pass: an
// article page that is gone (404, 410) is finished; any other failure
// (5xx, 429, network, timeout, too large, a redirect loop) leaves it
// unfinished, tried again on a back-off (StatusFailed, retryWait); a
// discovery document counts as a failed poll.
func (p *pass) failDoc(r *colly.Response, kind string) {
	switch r.Ctx.Get(ctxKind) {
	case kindArticle:
		canon := r.Ctx.Get(ctxCanon)
		if kind == "http_4xx" {
			p.settleArticle(p.ctx, canon, StatusGone)
			return
		}
		p.mu.Lock()
		p.failed[canon] = true
		recheck := p.rechecks[canon]
		p.mu.Unlock()
		if !recheck { // a failed recheck is simply due again
			p.markFailed(canon)
		}
	case kindFeed, kindSitemap, kindListing:
		if kind == "http_4xx" {
			p.o.problem(r.Ctx.Get(ctxKind) + "_missing")
		}
	}
}

// markFailed notes in a page's state that it could not be fetched (and
// when), so that it is tried again after retryWait, not on every poll.
func (p *pass) markFailed(canon string) {
	ctx := context.WithoutCancel(p.ctx)
	prev, rev, err := p.c.state.Get(ctx, p.o.cfg.ID, canon)
	if err != nil && !errors.Is(err, ErrNoState) {
		return
	}
	now := time.Now().UTC()
	prev.Status, prev.CheckedAt = StatusFailed, now
	if prev.FirstSeen.IsZero() {
		prev.FirstSeen = now
	}
	if _, err := p.c.state.Put(ctx, p.o.cfg.ID, canon, prev, rev); err != nil && !errors.Is(err, ErrStateConflict) {
		p.count("state", 1)
	}
}

// settleArticle records that a page is finished without an article
// (status gone, failed or not_article), keeping what was published of it.
func (p *pass) settleArticle(ctx context.Context, canon, status string) {
	p.mu.Lock()
	p.done[canon] = true
	recheck := p.rechecks[canon]
	if recheck {
		p.checked[canon] = true
	}
	p.mu.Unlock()
	if canon == "" {
		return
	}
	prev, rev, err := p.c.state.Get(ctx, p.o.cfg.ID, canon)
	if err != nil && !errors.Is(err, ErrNoState) {
		return
	}
	now := time.Now().UTC()
	st := prev
	st.Status, st.CheckedAt, st.Refetch = status, now, false
	if st.FirstSeen.IsZero() {
		st.FirstSeen = now
	}
	if recheck {
		st.Checks++
	}
	if _, err := p.c.state.Put(context.WithoutCancel(ctx), p.o.cfg.ID, canon, st, rev); err != nil && !errors.Is(err, ErrStateConflict) {
		p.count("state", 1)
		p.log.Warn("url state not saved", zap.String("url", canon), zap.Error(err))
	}
}

// finishArticle marks an article URL done (or not) without a state change.
func (p *pass) finishArticle(r *colly.Response, done bool) {
	if r.Ctx.Get(ctxKind) != kindArticle {
		return
	}
	canon := r.Ctx.Get(ctxCanon)
	p.mu.Lock()
	if done {
		p.done[canon] = true
	}
	p.mu.Unlock()
}

// articleNotModified settles a conditional article fetch answered 304:
// the page is unchanged.
func (p *pass) articleNotModified(r *colly.Response) {
	canon := r.Ctx.Get(ctxCanon)
	p.update(func(s *Stats) { s.Unchanged++ })
	p.mu.Lock()
	p.done[canon] = true
	recheck := p.rechecks[canon]
	if recheck {
		p.checked[canon] = true
	}
	listed := p.hints[canon].modified
	p.mu.Unlock()
	ctx, cancel := p.settleCtx()
	defer cancel()
	prev, rev, err := p.c.state.Get(ctx, p.o.cfg.ID, canon)
	if err != nil {
		return
	}
	prev.CheckedAt, prev.Refetch = time.Now().UTC(), false
	if !listed.IsZero() {
		prev.Listed = listed.UTC().Format(time.RFC3339)
	}
	if recheck {
		prev.Checks++
	}
	if _, err := p.c.state.Put(ctx, p.o.cfg.ID, canon, prev, rev); err != nil && !errors.Is(err, ErrStateConflict) {
		p.count("state", 1)
	}
}

// docNotModified handles a discovery document answering 304: nothing in
// it changed; what was pending of it is tried again (and a backfill
// follows its further pages).
func (p *pass) docNotModified(r *colly.Response) {
	p.mu.Lock()
	d := p.docs[r.Ctx.Get(ctxURL)]
	p.mu.Unlock()
	if d == nil {
		return
	}
	d.answered, d.notModified = true, true
	f := &found{}
	for _, it := range d.state.Pending {
		f.articles = append(f.articles, foundURL{url: it.URL, published: it.Published, modified: it.Modified, trusted: it.Trusted, tries: it.Tries})
	}
	if p.plan.backfill {
		f.listings = append(f.listings, d.state.Next...)
	}
	p.apply(d, f)
}

func (p *pass) onResponse(r *colly.Response) {
	kind := r.Ctx.Get(ctxKind)
	if p.ctx.Err() != nil && kind != kindArticle {
		// Interrupted: discovery stops (the document is fetched again
		// next time), but an article page the outlet sent is kept.
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
	switch kind {
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
		ctx, cancel := p.settleCtx()
		defer cancel()
		p.handleArticle(ctx, r)
	}
}

// handleDiscovery parses a feed, sitemap or listing page and queues what
// it yields; the document's validators and what is left pending of it are
// saved when the pass ends.
func (p *pass) handleDiscovery(r *colly.Response, parse func(*colly.Response) (*found, bool)) {
	p.mu.Lock()
	d := p.docs[r.Ctx.Get(ctxURL)]
	p.mu.Unlock()
	if d == nil {
		return
	}
	d.answered = true
	f, ok := parse(r)
	if f == nil {
		return
	}
	if ok {
		d.ok = true
		d.etag, d.lastModified = r.Headers.Get("ETag"), r.Headers.Get("Last-Modified")
		d.count = len(f.articles) + len(f.sitemaps)
		d.next = f.listings
	}
	p.apply(d, f)
}

// found is what a discovery document (feed, sitemap, listing page)
// yields.
type found struct {
	articles []foundURL
	sitemaps []foundURL
	listings []string // further pages of the listing
}

type foundURL struct {
	url       string    // absolute
	published time.Time // publication date a feed or news sitemap gives
	modified  time.Time // sitemap lastmod (or a feed's updated date)
	trusted   bool      // from a feed or sitemap: skip the URL heuristic
	tries     int       // failed fetches in earlier passes
}

// apply queues what a document yielded and notes, for the document, the
// entries it took (to find what is left pending at the end) and how many
// were new. A listing's further pages are followed when the page showed
// only new articles (there may be more beyond it), or, in a backfill,
// when it showed any article at all.
func (p *pass) apply(d *docRun, f *found) {
	for _, s := range f.sitemaps {
		if p.tooOld(s.modified) {
			p.update(func(s *Stats) { s.Skipped++ })
			continue
		}
		if u, err := url.Parse(s.url); err == nil {
			p.visitSitemap(u, d.source, s.modified)
		}
	}
	newN, knownN, any := 0, 0, 0
	for _, a := range f.articles {
		if p.tooOld(a.published) || (a.published.IsZero() && p.tooOld(a.modified)) {
			p.update(func(s *Stats) { s.Skipped++ })
			continue
		}
		switch p.addArticle(a, a.tries) {
		case notCandidate:
			continue
		case isNew:
			newN++
		case isKnown:
			knownN++
		}
		any++
		d.items = append(d.items, a)
	}
	d.newItems += newN
	if newN > 0 && d.source != "" {
		p.mu.Lock()
		p.newBySrc[d.source] += newN
		p.mu.Unlock()
	}
	follow := (newN > 0 && knownN == 0) || (p.plan.backfill && any > 0)
	if d.notModified {
		follow = p.plan.backfill
	}
	for _, l := range f.listings {
		u, err := url.Parse(l)
		if err != nil {
			continue
		}
		if !follow {
			// A further page is fetched anyway while entries of it are
			// unfinished from an earlier pass.
			var st SourceState
			if err := p.c.store.Load(p.ctx, p.o.cfg.ID, sourceName(l), &st); err != nil || (len(st.Pending) == 0 && !st.Incomplete) {
				continue
			}
		}
		p.visitListing(u, d.root, d.source)
	}
}

// finish saves what the pass learnt: the state of every document it
// fetched (validators, what is left pending), the poll schedule of the
// sources polled, the recheck schedule and the outlet's health.
func (p *pass) finish() {
	ctx := context.WithoutCancel(p.ctx)
	now := time.Now()
	p.mu.Lock()
	docs := make([]*docRun, 0, len(p.docs))
	for _, d := range p.docs {
		docs = append(docs, d)
	}
	p.mu.Unlock()
	polled := map[string]bool{}
	for _, s := range p.plan.sources {
		polled[s.url] = true
	}
	cancelled := p.ctx.Err() != nil
	for _, d := range docs {
		st := d.state
		st.URL = d.url
		if d.answered {
			st.Fetched = now
			if d.ok {
				st.ETag, st.LastModified, st.Items, st.Next = d.etag, d.lastModified, d.count, d.next
				st.Cutoff = p.plan.cutoff
				if !d.listed.IsZero() {
					st.Listed = d.listed.UTC().Format(time.RFC3339)
				}
			}
			if d.newItems > 0 {
				st.Changed = now
			}
			if d.ok || d.notModified {
				st.Pending, st.Incomplete = p.pendingOf(d)
			}
		}
		if d.source == d.url && polled[d.url] && !cancelled && p.plan.monitor {
			failed := !d.answered || (!d.ok && !d.notModified)
			p.mu.Lock()
			changed := p.newBySrc[d.url] > 0
			p.mu.Unlock()
			p.o.reschedule(&st, now, changed, failed, p.plan.maxInterval)
		}
		if !d.answered && !(d.source == d.url && polled[d.url]) {
			continue // nothing learnt
		}
		if err := p.c.store.Save(ctx, p.o.cfg.ID, sourceName(d.url), st); err != nil {
			p.count("state", 1)
			p.log.Warn("source state not saved", zap.String("url", d.url), zap.Error(err))
		}
	}
	// Sources due that could not even be requested (robots.txt
	// unavailable, host paused) wait for their next poll too.
	for _, s := range p.plan.sources {
		p.mu.Lock()
		d := p.docs[s.url]
		p.mu.Unlock()
		if d != nil || cancelled || !p.plan.monitor {
			continue
		}
		var st SourceState
		_ = p.c.store.Load(ctx, p.o.cfg.ID, sourceName(s.url), &st)
		st.URL = s.url
		p.o.reschedule(&st, now, false, true, p.plan.maxInterval)
		if err := p.c.store.Save(ctx, p.o.cfg.ID, sourceName(s.url), st); err != nil {
			p.count("state", 1)
		}
	}
	p.mu.Lock()
	checked := make(map[string]bool, len(p.checked))
	for k := range p.checked {
		checked[k] = true
	}
	var added []recheck
	for u, t := range p.firstSeen {
		added = append(added, recheck{URL: u, FirstSeen: t})
	}
	p.mu.Unlock()
	p.saveLateListed(ctx)
	p.o.updateRechecks(checked, added)
	p.c.saveRechecks(ctx, p.o)
	p.c.saveHealth(ctx, p.o)
}

// saveLateListed records the lastmods sources gave for pages after they
// were fetched (or that were known without one).
func (p *pass) saveLateListed(ctx context.Context) {
	p.mu.Lock()
	late := p.lateListed
	p.lateListed = map[string]time.Time{}
	p.mu.Unlock()
	for canon, m := range late {
		st, rev, err := p.c.state.Get(ctx, p.o.cfg.ID, canon)
		if err != nil || st.Listed != "" {
			continue
		}
		st.Listed = m.UTC().Format(time.RFC3339)
		if _, err := p.c.state.Put(ctx, p.o.cfg.ID, canon, st, rev); err != nil && !errors.Is(err, ErrStateConflict) {
			p.count("state", 1)
		}
	}
}

// pendingOf lists the entries of a document that are not finished: not
// fetched (limits, an interrupted pass) or failed.
func (p *pass) pendingOf(d *docRun) ([]PendingItem, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []PendingItem
	seen := map[string]bool{}
	incomplete := false
	for _, it := range d.items {
		canon, err := article.Canonicalize(it.url)
		if err != nil || p.done[canon] || seen[canon] {
			continue
		}
		seen[canon] = true
		if len(out) >= maxPending {
			incomplete = true
			break
		}
		tries := p.tries[canon]
		if p.failed[canon] {
			tries++
		}
		out = append(out, PendingItem{URL: it.url, Published: it.published, Modified: it.modified, Trusted: it.trusted, Tries: tries})
	}
	return out, incomplete
}

// resolve returns ref resolved against base, or nil when that is no
// http(s) URL with a host.
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
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil // "http:", "https:///x": nothing to fetch
	}
	u.Fragment, u.RawFragment = "", ""
	return u
}

func (p *pass) parseFeed(r *colly.Response) (*found, bool) {
	urls, err := feedURLs(r.Request.URL, r.Body, r.Headers.Get(origContentType))
	if err != nil {
		p.count("feed", 1)
		p.o.problem("feed")
		p.log.Warn("feed", zap.String("url", r.Request.URL.String()), zap.Error(err))
		return nil, false
	}
	return &found{articles: urls}, true
}

// feedURLs returns the article links of an RSS, Atom or JSON feed (body,
// sent with contentType) at base: absolute http(s) URLs without
// fragment, each with the publication date the feed gives and, when
// later, its update date.
func feedURLs(base *url.URL, body []byte, contentType string) ([]foundURL, error) {
	feed, err := gofeed.NewParser().Parse(bytes.NewReader(xmlUTF8(body, contentType)))
	if err != nil {
		return nil, err
	}
	var out []foundURL
	for _, it := range feed.Items {
		if it == nil {
			continue
		}
		link := it.Link
		if link == "" && len(it.Links) > 0 {
			link = it.Links[0]
		}
		if link == "" && (strings.HasPrefix(it.GUID, "http://") || strings.HasPrefix(it.GUID, "https://")) {
			link = it.GUID
		}
		u := resolve(base, link)
		if u == nil {
			continue
		}
		fu := foundURL{url: u.String(), trusted: true}
		if it.PublishedParsed != nil {
			fu.published = *it.PublishedParsed
			if it.UpdatedParsed != nil && it.UpdatedParsed.After(fu.published) {
				fu.modified = *it.UpdatedParsed
			}
		} else if it.UpdatedParsed != nil {
			fu.published = *it.UpdatedParsed
		}
		out = append(out, fu)
	}
	return out, nil
}

func (p *pass) parseSitemap(r *colly.Response) (*found, bool) {
	body := xmlUTF8(r.Body, r.Headers.Get(origContentType))
	sm, err := ParseSitemap(bytes.NewReader(body), p.o.loc)
	if err != nil {
		p.count("sitemap", 1)
		p.o.problem("sitemap")
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
	var all []string
	articles, sessions := 0, 0
	for _, u := range links {
		all = append(all, u.String())
		if !p.o.hosts.allows(u) {
			continue
		}
		if hasSessionID(u) {
			sessions++
		}
		if isPaginationOf(u, rootURL) {
			nexts = append(nexts, u)
			continue
		}
		if p.isArticleURL(u, false) {
			articles++
		}
		f.articles = append(f.articles, foundURL{url: u.String()})
	}
	seen := map[string]bool{}
	for _, u := range nexts {
		if !p.o.hosts.allows(u) || p.isArticleURL(u, false) || seen[u.String()] {
			continue
		}
		seen[u.String()] = true
		f.listings = append(f.listings, u.String())
	}
	if p.o.isHome(r.Ctx.Get(ctxURL)) {
		p.o.health.Home(time.Now(), all, articles)
	}
	if sessions > 0 {
		// Handled (canonical URLs drop them), but worth knowing: such
		// links differ on every visit.
		p.o.problem("session_ids")
	}
	return f, true
}

// hasSessionID reports whether a link carries a session ID in its query
// (article.IsSessionParam) or path (";jsessionid=").
func hasSessionID(u *url.URL) bool {
	if strings.Contains(strings.ToLower(u.Path), ";jsessionid=") {
		return true
	}
	for k, vs := range u.Query() {
		if len(vs) > 0 && article.IsSessionParam(k, vs[0]) {
			return true
		}
	}
	return false
}

// settleCtx is the context a fetched article page is handled in
// (extracted, published, its state saved): not cancelled with the pass at
// once but interruptGrace later, so that a page fetched is not lost to an
// interruption and fetched again by the next pass.
func (p *pass) settleCtx() (context.Context, context.CancelFunc) {
	ctx, cancel := graceful(context.WithoutCancel(p.ctx), p.ctx, interruptGrace)
	return ctx, func() { cancel(nil) }
}

// handleArticle extracts, publishes and records an article page; ctx is
// the page's settleCtx.
func (p *pass) handleArticle(ctx context.Context, r *colly.Response) {
	requested := r.Request.URL.String()
	canon := r.Ctx.Get(ctxCanon)
	in := extract.Input{
		URL:       requested,
		Body:      r.Body,
		Header:    originalHeader(r.Headers),
		FetchedAt: time.Now().UTC(),
		Outlet:    p.o.cfg.ID,
		Location:  p.o.loc,
		Overrides: p.o.cfg.Extract,
	}
	p.mu.Lock()
	h := p.hints[canon]
	p.mu.Unlock()
	// Extraction quality (layout-changed) is judged on pages known to be
	// articles: named by a feed or sitemap, or matching the outlet's
	// article_pattern (so an outlet found through its listings alone is
	// watched too), not on links the URL heuristic guessed; those count
	// only when extraction found everything (an article with a structured
	// date), so that a recovery shows even when the listings, polled
	// before the feed, find the new articles first.
	sure := h.trusted || (p.o.articleRe != nil && p.o.articleRe.MatchString(canon))
	a, err := p.c.extract(ctx, in)
	if errors.Is(err, extract.ErrNotArticle) {
		p.update(func(s *Stats) { s.NotArticles++ })
		p.log.Debug("not an article", zap.String("url", requested))
		if sure {
			p.o.health.Extraction(time.Now(), false, false)
		}
		p.settleArticle(ctx, canon, StatusNotArticle)
		return
	}
	if err != nil {
		p.count("extract", 1)
		p.o.problem("extract")
		p.log.Warn("extract", zap.String("url", requested), zap.Error(err))
		p.settleArticle(ctx, canon, StatusFailed)
		return
	}
	if a.Outlet == "" {
		a.Outlet = p.o.cfg.ID
	}
	if err := a.Validate(); err != nil {
		p.count("invalid_article", 1)
		p.log.Warn("extractor returned an invalid article", zap.String("url", requested), zap.Error(err))
		p.settleArticle(ctx, canon, StatusFailed)
		return
	}
	if dated := structuredDate(a.DateSource); sure || dated {
		p.o.health.Extraction(time.Now(), true, dated)
	}
	p.recordAlias(canon, a.CanonicalURL)
	p.mu.Lock()
	if p.published[a.ID] {
		p.stats.Duplicates++
		p.done[canon] = true
		p.mu.Unlock()
		return
	}
	p.published[a.ID] = true
	if a.PublishedAt == nil {
		// The page gives no date: fall back on the feed's or news
		// sitemap's, found under the URL as queued (canonical form) or the
		// page's declared canonical URL.
		t := h.published
		if t.IsZero() {
			t = p.hints[a.CanonicalURL].published
		}
		if !t.IsZero() {
			t = t.In(p.o.loc)
			a.PublishedAt, a.DateSource = &t, article.DateSourceFeed
		}
	}
	recheck := p.rechecks[canon]
	p.mu.Unlock()
	forget := func() {
		p.mu.Lock()
		delete(p.published, a.ID)
		p.mu.Unlock()
	}
	outlet := p.o.cfg.ID
	prev, rev, err := p.c.state.Get(ctx, outlet, a.CanonicalURL)
	known := err == nil && prev.Published()
	if err != nil && !errors.Is(err, ErrNoState) {
		forget()
		if ctx.Err() == nil {
			p.count("state", 1)
			p.log.Warn("url state unavailable; the article waits for the next pass", zap.String("url", requested), zap.String("id", a.ID), zap.Error(err))
		}
		return
	}
	now := time.Now().UTC()
	st := prev
	st.CheckedAt, st.Refetch, st.Status = now, false, ""
	st.ETag, st.LastModified = r.Headers.Get("ETag"), r.Headers.Get("Last-Modified")
	if !h.modified.IsZero() {
		st.Listed = h.modified.UTC().Format(time.RFC3339)
	}
	if st.FirstSeen.IsZero() {
		st.FirstSeen = now
	}
	if recheck {
		st.Checks++
	}
	markDone := func() {
		p.mu.Lock()
		p.done[canon] = true
		p.done[a.CanonicalURL] = true
		if recheck {
			p.checked[canon] = true
		}
		p.mu.Unlock()
	}
	if !nextVersion(a, prev, known) {
		p.update(func(s *Stats) { s.Unchanged++ })
		if _, err := p.c.state.Put(context.WithoutCancel(ctx), outlet, a.CanonicalURL, st, rev); err != nil && !errors.Is(err, ErrStateConflict) {
			p.count("state", 1)
		}
		markDone()
		return
	}
	if err := p.c.sink.Publish(ctx, a); err != nil {
		forget()
		if ctx.Err() == nil {
			p.count("publish", 1)
			if errors.Is(err, bus.ErrStreamFull) {
				// Kept for a later pass; the outlet's health says why.
				p.o.problem("stream_full")
			}
			p.log.Warn("publish", zap.String("url", requested), zap.String("id", a.ID), zap.Error(err))
		}
		return
	}
	if th, ok := p.c.sink.(Throttled); ok && th.Throttled() {
		p.o.problem("publish_slowed")
	}
	isNewArticle := a.Version == 1
	p.update(func(s *Stats) {
		s.ArticlesPublished++
		if isNewArticle {
			s.ArticlesNew++
		} else {
			s.ArticlesUpdated++
		}
	})
	p.o.articlePublished(now, isNewArticle, a.PublishedAt)
	markDone()
	if isNewArticle && p.recent(a.PublishedAt, st.FirstSeen) {
		p.mu.Lock()
		p.firstSeen[a.CanonicalURL] = st.FirstSeen
		p.mu.Unlock()
	}
	// Remembered only once published: after a crash in between the page
	// gets the same version number again, and its Nats-Msg-Id makes the
	// republish a no-op.
	st.ContentHash, st.Version, st.FetchedAt = a.ContentHash, a.Version, a.FetchedAt
	if _, err := p.c.state.Put(context.WithoutCancel(ctx), outlet, a.CanonicalURL, st, rev); err != nil {
		p.count("state", 1)
		p.log.Warn("url state not saved; the version may be published again", zap.String("url", requested),
			zap.String("id", a.ID), zap.Int("version", a.Version), zap.Error(err))
	}
}

// recordAlias remembers a URL whose page turned out to be the article of
// another URL (an AMP twin, rel=canonical elsewhere), so that it is known
// and not fetched again.
func (p *pass) recordAlias(queued, canonical string) {
	if queued == "" || queued == canonical {
		return
	}
	qid, err1 := article.ID(queued)
	cid, err2 := article.ID(canonical)
	if err1 != nil || err2 != nil || qid == cid {
		return
	}
	ctx := context.WithoutCancel(p.ctx)
	prev, rev, err := p.c.state.Get(ctx, p.o.cfg.ID, queued)
	if err != nil && !errors.Is(err, ErrNoState) {
		return
	}
	if prev.Published() {
		return // it was an article of its own once: keep its history
	}
	now := time.Now().UTC()
	st := URLState{Status: StatusAlias, FirstSeen: prev.FirstSeen, CheckedAt: now, Listed: canonical}
	if st.FirstSeen.IsZero() {
		st.FirstSeen = now
	}
	if _, err := p.c.state.Put(ctx, p.o.cfg.ID, queued, st, rev); err != nil && !errors.Is(err, ErrStateConflict) {
		p.count("state", 1)
	}
}

// recent reports whether an article first seen at firstSeen is young
// enough for the recheck schedule: published (undated: first seen) no more
// than the last recheck age before it was first seen, plus an hour for
// dates given to the minute or in a slightly wrong zone. Articles a
// backfill finds are older and are not rechecked.
func (p *pass) recent(published *time.Time, firstSeen time.Time) bool {
	ages := p.o.cfg.Poll.Recheck
	if len(ages) == 0 || published == nil {
		return len(ages) > 0
	}
	return firstSeen.Sub(*published) < ages[len(ages)-1]+time.Hour
}

// structuredDate reports whether a date source is structured data.
func structuredDate(src string) bool {
	return src == article.DateSourceJSONLD || src == article.DateSourceMeta || src == article.DateSourceTime
}
