package simsite

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"
)

// Request is one entry of the request log: what a crawler asked an outlet
// for and what it got. Tests and benchmarks read politeness (rates,
// robots.txt), conditional GETs and refetches from it.
type Request struct {
	Outlet string
	Method string
	Path   string
	Query  string // raw query, without "?"
	// Kind is what the path is on the outlet: "robots", "feed",
	// "sitemap", "listing" (home, sections, languages, their pages),
	// "archive" (/archive/YYYY/MM/DD), "article" (a published article or
	// its AMP variant), "image", "search", or "other" (unknown paths,
	// redirects to a slash variant, /admin/).
	Kind string
	// Conditional is set when the request carried If-None-Match or
	// If-Modified-Since.
	Conditional bool
	UserAgent   string
	Start       time.Time
	Duration    time.Duration // until the handler returned
	// Status is the status sent; 0 when the connection was reset before
	// any answer.
	Status int
	// Bytes are the body bytes written (compressed size for the gzip bomb).
	Bytes int64
}

// Requests returns the request log: every request any outlet received
// since Start (or ClearRequests), in arrival order.
func (s *Site) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
}

// ClearRequests empties the request log.
func (s *Site) ClearRequests() {
	s.mu.Lock()
	s.log = nil
	s.mu.Unlock()
}

// kindOf classifies a path of outlet o for the request log.
func (s *Site) kindOf(o *outlet, p string) string {
	switch {
	case p == "/robots.txt":
		return "robots"
	case p == o.feedPath:
		return "feed"
	case p == "/sitemap.xml", strings.HasPrefix(p, "/sitemaps/"):
		return "sitemap"
	case strings.HasPrefix(p, "/uploads/"):
		return "image"
	case strings.HasPrefix(p, "/search"):
		return "search"
	case strings.HasPrefix(p, "/archive/"):
		return "archive"
	case o.byListing[p] != nil:
		return "listing"
	case s.lookup(o, p) != nil, o.tmpl == "caliber" && s.lookup(o, strings.TrimSuffix(p, "/amp")) != nil:
		return "article"
	}
	return "other"
}

// recorder captures the status and size of an answer for the log. It lets
// the reset fault hijack the connection.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (r *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := r.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("simsite: connection cannot be hijacked")
	}
	return h.Hijack()
}

func (s *Site) logRequest(o *outlet, r *http.Request, kind string, start time.Time, rec *recorder) {
	e := Request{
		Outlet: o.id, Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Kind: kind,
		Conditional: r.Header.Get("If-None-Match") != "" || r.Header.Get("If-Modified-Since") != "",
		UserAgent:   r.UserAgent(), Start: start, Duration: time.Since(start), Status: rec.status, Bytes: rec.bytes,
	}
	s.mu.Lock()
	s.log = append(s.log, e)
	s.mu.Unlock()
}
