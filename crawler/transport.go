package crawler

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/transform"
)

// ErrBodyTooLarge is the error of a fetch whose body (after decompression)
// exceeds the outlet's MaxBodySize.
var ErrBodyTooLarge = errors.New("response body too large")

// origContentType carries the server's Content-Type past colly, which
// would otherwise transcode bodies whose charset it recognises: the
// extractor wants the raw bytes and the real header.
const origContentType = "X-Newswatch-Content-Type"

// kindHeader carries the kind of document a request is for (robots,
// feed, sitemap, listing, article) from the pass to the transport, which
// removes it before sending.
const kindHeader = "X-Newswatch-Kind"

// transport wraps the outlet's HTTP transport for one pass: it holds each
// request to its host's politeness (the outlet's hostLimiter, shared by
// every pass), ties requests to the pass, caps and reads the body, gunzips
// bodies that are gzip by content (gzipped sitemaps served as
// application/octet-stream or with a stray Content-Encoding) with the same
// cap, hides the charset of Content-Type from colly, and reports every
// request's outcome (health, metrics).
type transport struct {
	base    http.RoundTripper
	ctx     context.Context
	maxBody int64
	// timeout bounds one request, body included, once it holds its
	// host's slot (waiting for politeness does not count).
	timeout  time.Duration
	requests *atomic.Int64
	limits   *limiters
	// gate, if set, holds a request to a host that asked for a pause
	// (Retry-After): it waits, or fails with errHostPaused.
	gate func(ctx context.Context, host string) error
	// pause, if set, is told of a host's Retry-After (on a 429 or 5xx)
	// while the request still holds the host's slot, so that no other
	// request slips in before the pass honours it.
	pause func(host string, until time.Time)
	// observe, if set, is told the outcome of every request.
	observe func(kind string, r result, latency time.Duration)
}

// errHostPaused is the error of a request to a host that asked to be left
// alone for longer than Retry.MaxWait.
var errHostPaused = errors.New("host asked for a pause")

// errTimeout is the error of a request that did not finish, body
// included, within the outlet's Timeout.
var errTimeout = errors.New("request timed out")

// RoundTrip implements http.RoundTripper.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	kind := req.Header.Get(kindHeader)
	if kind != "" {
		req = req.Clone(req.Context())
		req.Header.Del(kindHeader)
	}
	if t.limits != nil {
		l := t.limits.get(req.URL.Host)
		wctx, cancel := context.WithCancelCause(req.Context())
		stop := context.AfterFunc(t.ctx, func() { cancel(context.Cause(t.ctx)) })
		err := l.acquire(wctx)
		if err == nil && t.gate != nil {
			if err = t.gate(wctx, req.URL.Host); err != nil {
				l.release()
			}
		}
		stop()
		cancel(nil)
		if err != nil {
			return nil, err
		}
		defer l.release()
	}
	start := time.Now()
	resp, err := t.roundTrip(req)
	if t.pause != nil && resp != nil && (resp.StatusCode == http.StatusTooManyRequests || (resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented)) {
		now := time.Now()
		if wait := retryAfter(&resp.Header, now); wait > 0 {
			t.pause(req.URL.Host, now.Add(wait))
		}
	}
	// A request cut short with its pass says nothing about the outlet; one
	// answered in the interrupted pass's grace does.
	if t.observe != nil && (err == nil || (t.ctx.Err() == nil && req.Context().Err() == nil)) {
		t.observe(kind, classify(resp, err), time.Since(start))
	}
	return resp, err
}

// result is the outcome of one request: "ok", "not_modified", "redirect",
// "http_4xx", "http_5xx", "rate_limited", "too_large", "timeout", "reset"
// or "network".
type result string

// classify names the outcome of a request.
func classify(resp *http.Response, err error) result {
	if err != nil {
		var ne net.Error
		switch {
		case errors.Is(err, ErrBodyTooLarge):
			return "too_large"
		case errors.Is(err, errTimeout):
			return "timeout"
		case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
			return "reset"
		case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
			return "timeout"
		}
		return "network"
	}
	switch c := resp.StatusCode; {
	case c == http.StatusNotModified:
		return "not_modified"
	case c >= 300 && c < 400:
		return "redirect"
	case c == http.StatusTooManyRequests:
		return "rate_limited"
	case c >= 500:
		return "http_5xx"
	case c >= 400:
		return "http_4xx"
	}
	return "ok"
}

func (t *transport) roundTrip(req *http.Request) (*http.Response, error) {
	// Tie every request to the pass, with a grace: a request already sent
	// when the pass is interrupted may finish within interruptGrace, so
	// that its page is kept (the server counts it as fetched). The body is
	// read before RoundTrip returns, so cancelling on return is safe.
	ctx, cancel := graceful(req.Context(), t.ctx, interruptGrace)
	defer cancel(nil)
	if t.timeout > 0 {
		timer := time.AfterFunc(t.timeout, func() { cancel(fmt.Errorf("%w after %v", errTimeout, t.timeout)) })
		defer timer.Stop()
	}
	req = req.WithContext(ctx)
	if t.requests != nil {
		t.requests.Add(1)
	}
	timedOut := func(err error) error {
		if c := context.Cause(ctx); errors.Is(c, errTimeout) {
			return fmt.Errorf("%w: %w", c, err)
		}
		return err
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, timedOut(err)
	}
	defer resp.Body.Close()
	if t.maxBody > 0 && resp.ContentLength > t.maxBody {
		// Announced too large (even compressed): not read at all.
		return nil, fmt.Errorf("%w: %d bytes announced, more than %d", ErrBodyTooLarge, resp.ContentLength, t.maxBody)
	}
	var r io.Reader = resp.Body
	if t.maxBody > 0 {
		r = io.LimitReader(resp.Body, t.maxBody+1)
	}
	body, err := io.ReadAll(r)
	if err != nil {
		return nil, timedOut(fmt.Errorf("read body: %w", err))
	}
	if t.maxBody > 0 && int64(len(body)) > t.maxBody {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrBodyTooLarge, t.maxBody)
	}
	if isGzipData(body) {
		if body, err = gunzipLimit(body, t.maxBody); err != nil {
			return nil, err
		}
		resp.Header.Del("Content-Encoding")
	}
	// Decompression is done (by content, above): keep colly from trying
	// again by name (*.xml.gz), which fails on empty bodies such as 304s.
	resp.Uncompressed = true
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		if mt, params, err := mime.ParseMediaType(ct); err == nil && params["charset"] != "" {
			resp.Header.Set(origContentType, ct)
			resp.Header.Set("Content-Type", mt)
		}
	}
	resp.Header.Del("Content-Length")
	resp.ContentLength = int64(len(body))
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// interruptGrace is how long work already under way when a pass is
// interrupted (a request sent, a page fetched and being extracted,
// published and recorded) may still take: an interrupted backfill keeps
// every page the outlet sent it, so that running it again fetches none of
// them twice, while Ctrl-C still ends it within seconds.
const interruptGrace = 5 * time.Second

// graceful returns a context derived from base (its values and deadline)
// that is cancelled grace after stop is: work started before stop was
// cancelled finishes, within bounds. Its cause then wraps stop's. The
// returned function cancels it at once (with its cause; nil means
// context.Canceled) and must be called.
func graceful(base, stop context.Context, grace time.Duration) (context.Context, context.CancelCauseFunc) {
	ctx, cancel := context.WithCancelCause(base)
	var (
		mu    sync.Mutex
		timer *time.Timer
		done  bool
	)
	unhook := context.AfterFunc(stop, func() {
		mu.Lock()
		defer mu.Unlock()
		if !done {
			timer = time.AfterFunc(grace, func() {
				cancel(fmt.Errorf("%w (still unfinished %v after the interruption)", context.Cause(stop), grace))
			})
		}
	})
	return ctx, func(cause error) {
		unhook()
		mu.Lock()
		done = true
		if timer != nil {
			timer.Stop()
		}
		mu.Unlock()
		cancel(cause)
	}
}

// originalHeader returns a copy of h with the server's Content-Type back.
func originalHeader(h *http.Header) http.Header {
	if h == nil {
		return http.Header{}
	}
	out := h.Clone()
	if ct := out.Get(origContentType); ct != "" {
		out.Set("Content-Type", ct)
		out.Del(origContentType)
	}
	return out
}

var xmlDeclEncodingRe = regexp.MustCompile(`(?i)^(\s*<\?xml[^>]*?encoding\s*=\s*)["'][^"']*["']`)

// xmlUTF8 returns an XML body as UTF-8 when the HTTP header declares a
// non-UTF-8 charset (which takes precedence over the XML declaration, RFC
// 7303), rewriting the declaration to match. Otherwise the body is left
// for the XML decoder, which honours the declared encoding.
func xmlUTF8(body []byte, contentType string) []byte {
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return body
	}
	label := strings.ToLower(strings.TrimSpace(params["charset"]))
	if label == "" || label == "utf-8" || label == "utf8" || label == "us-ascii" {
		return body
	}
	enc, name := charset.Lookup(label)
	if enc == nil || name == "utf-8" {
		return body
	}
	out, _, err := transform.Bytes(enc.NewDecoder(), body)
	if err != nil {
		return body
	}
	return xmlDeclEncodingRe.ReplaceAll(out, []byte(`${1}"UTF-8"`))
}

// retryAfter parses a Retry-After header: delay seconds or an HTTP date.
// It returns 0 when absent or unparseable.
func retryAfter(h *http.Header, now time.Time) time.Duration {
	if h == nil {
		return 0
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 {
			return 0
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
