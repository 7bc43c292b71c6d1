package crawler

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/temoto/robotstxt"
	"go.uber.org/zap"

	"github.com/newswatch/newswatch/internal/backoff"
)

// DefaultRobotsTTL is how long a fetched robots.txt is trusted before it
// is fetched again (conditionally).
const DefaultRobotsTTL = time.Hour

// robotsCache holds each host's robots.txt for an outlet across passes:
// it is fetched once per Poll.RobotsTTL (conditionally), not once per pass.
type robotsCache struct {
	mu    sync.Mutex
	hosts map[string]*robotsEntry // scheme://host
}

type robotsEntry struct {
	mu       sync.Mutex // one fetch at a time
	checked  time.Time  // last fetch attempt that settled the rules
	failed   bool       // unavailable (5xx, 429, network): disallow all until retried
	group    *robotstxt.Group
	data     *robotstxt.RobotsData
	etag     string
	lastMod  string
	sitemaps []string
}

func (rc *robotsCache) entry(origin string) *robotsEntry {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.hosts == nil {
		rc.hosts = map[string]*robotsEntry{}
	}
	e := rc.hosts[origin]
	if e == nil {
		e = &robotsEntry{}
		rc.hosts[origin] = e
	}
	return e
}

// robotsRules returns the rules of u's host for the outlet's user agent,
// fetching robots.txt when it is missing or stale. ok is false when the
// host is to be left alone (robots.txt unavailable: RFC 9309 2.3.1.4).
func (p *pass) robotsRules(u *url.URL) (e *robotsEntry, ok bool) {
	origin := u.Scheme + "://" + u.Host
	e = p.o.robots.entry(origin)
	e.mu.Lock()
	defer e.mu.Unlock()
	ttl := p.o.cfg.Poll.RobotsTTL
	if e.failed {
		ttl = p.o.cfg.Poll.MinInterval // try an unavailable robots.txt again soon
	}
	if e.checked.IsZero() || time.Since(e.checked) >= ttl {
		p.fetchRobots(origin, e)
	}
	return e, !e.failed
}

// allowedByRobots reports whether robots.txt lets the crawler fetch u.
func (p *pass) allowedByRobots(u *url.URL) bool {
	e, ok := p.robotsRules(u)
	if !ok {
		return false
	}
	if e.group == nil {
		return true
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	if u.RawQuery != "" {
		path += "?" + u.RawQuery
	}
	return e.group.Test(path)
}

// fetchRobots fetches origin's robots.txt into e (the caller holds e.mu):
// 2xx rules apply, 4xx means everything is allowed, and a 5xx, 429 or
// network error that persists through the retries means nothing is
// (until it is tried again). A 304 keeps the rules. The host's
// Crawl-delay, if any, goes to its limiter.
func (p *pass) fetchRobots(origin string, e *robotsEntry) {
	if p.ctx.Err() != nil {
		return
	}
	retry := p.o.cfg.Retry
	client := &http.Client{Transport: p.tr, // which bounds the request by Timeout
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return fmt.Errorf("%w: robots.txt redirected more than 5 times", errRedirectRefused)
			}
			return nil
		}}
	var (
		resp   *http.Response
		body   []byte
		err    error
		status string
	)
	for attempt := 0; ; attempt++ {
		req, rerr := http.NewRequestWithContext(p.ctx, http.MethodGet, origin+"/robots.txt", nil)
		if rerr != nil {
			err = rerr
			break
		}
		req.Header.Set("User-Agent", p.o.cfg.UserAgent)
		req.Header.Set(kindHeader, kindRobots)
		if e.data != nil && !e.failed {
			if e.etag != "" {
				req.Header.Set("If-None-Match", e.etag)
			}
			if e.lastMod != "" {
				req.Header.Set("If-Modified-Since", e.lastMod)
			}
		}
		resp, err = client.Do(req)
		if err == nil {
			body, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		transient := (err != nil && !errors.Is(err, ErrBodyTooLarge)) ||
			(resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500))
		if !transient || attempt >= retry.MaxRetries || p.ctx.Err() != nil {
			break
		}
		var h http.Header
		if resp != nil {
			h = resp.Header
		}
		wait := retryAfter(&h, time.Now())
		if wait > retry.MaxWait {
			break
		}
		if wait == 0 {
			wait = retry.delay(attempt)
		}
		p.update(func(s *Stats) { s.Retries++ })
		if !backoff.Sleep(p.ctx, wait) {
			return
		}
	}
	if p.ctx.Err() != nil {
		return // not settled: the next pass tries again
	}
	e.checked = time.Now()
	switch {
	case err != nil:
		status = err.Error()
	case resp.StatusCode == http.StatusNotModified && e.data != nil:
		return
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		status = resp.Status
	default:
		data, perr := robotstxt.FromStatusAndBytes(resp.StatusCode, body)
		if perr != nil {
			data, _ = robotstxt.FromStatusAndBytes(http.StatusNotFound, nil) // unparseable: no rules
		}
		e.failed, e.data = false, data
		e.group = data.FindGroup(p.o.cfg.UserAgent)
		e.etag, e.lastMod = resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
		e.sitemaps = nil
		for _, s := range data.Sitemaps {
			if s = strings.TrimSpace(s); s != "" {
				e.sitemaps = append(e.sitemaps, s)
			}
		}
		var delay time.Duration
		if e.group != nil {
			delay = e.group.CrawlDelay
		}
		if u, err := url.Parse(origin); err == nil {
			p.o.limits.get(u.Host).setCrawlDelay(delay)
		}
		return
	}
	e.failed, e.group = true, nil
	p.count("robots_unavailable", 1)
	p.o.problem("robots_unavailable")
	p.log.Warn("robots.txt unavailable, host left alone until it is", zap.String("url", origin+"/robots.txt"), zap.String("status", status))
}

// all returns every host's entry.
func (rc *robotsCache) all() []*robotsEntry {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := make([]*robotsEntry, 0, len(rc.hosts))
	for _, e := range rc.hosts {
		out = append(out, e)
	}
	return out
}

// sitemapList returns the sitemaps the host's robots.txt names.
func (e *robotsEntry) sitemapList() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.sitemaps...)
}
