package crawler

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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

// transport wraps the outlet's HTTP transport: it gives requests without a
// context (colly's robots.txt fetches) the pass context, caps and reads the
// body, gunzips bodies that are gzip by content (gzipped sitemaps served
// as application/octet-stream or with a stray Content-Encoding) with the
// same cap, and hides the charset of Content-Type from colly.
type transport struct {
	base     http.RoundTripper
	ctx      context.Context
	maxBody  int64
	retry    Retry
	requests *atomic.Int64
	// robotsFailed is called when robots.txt stays unavailable (may be nil).
	robotsFailed func(u *url.URL, status string)

	mu        sync.Mutex
	robotsErr map[string]error // host -> why its robots.txt could not be fetched
}

// RoundTrip implements http.RoundTripper. robots.txt is retried here on
// network errors, 429 and 5xx, since colly fetches it outside its
// callbacks and caches the outcome for the pass. A 429 or 5xx that
// persists means "disallow all" (RFC 9309 section 2.3.1.4); colly v2.3.0
// would read it as "allow all" (it ignores robotstxt's disallowAll), so
// the transport answers with an explicit "Disallow: /" instead.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Path != "/robots.txt" || req.Method != http.MethodGet {
		return t.roundTrip(req)
	}
	// colly does not remember a failed robots.txt fetch and would try
	// again, retries and all, for every URL of an unreachable host.
	t.mu.Lock()
	if err := t.robotsErr[req.URL.Host]; err != nil {
		t.mu.Unlock()
		return nil, err
	}
	t.mu.Unlock()
	for attempt := 0; ; attempt++ {
		resp, err := t.roundTrip(req)
		if err != nil && (attempt >= t.retry.MaxRetries || errors.Is(err, ErrBodyTooLarge)) && t.ctx.Err() == nil {
			t.mu.Lock()
			if t.robotsErr == nil {
				t.robotsErr = map[string]error{}
			}
			t.robotsErr[req.URL.Host] = fmt.Errorf("robots.txt unreachable: %w", err)
			t.mu.Unlock()
			if t.robotsFailed != nil {
				t.robotsFailed(req.URL, err.Error())
			}
		}
		transient := (err != nil && !errors.Is(err, ErrBodyTooLarge)) ||
			(resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500))
		if !transient || attempt >= t.retry.MaxRetries || t.ctx.Err() != nil || req.Context().Err() != nil {
			if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500) {
				t.disallowAll(req, resp)
			}
			return resp, err
		}
		var h http.Header
		if resp != nil {
			h = resp.Header
		}
		wait := retryAfter(&h, time.Now())
		if wait > t.retry.MaxWait {
			if resp != nil {
				t.disallowAll(req, resp)
			}
			return resp, err
		}
		if wait == 0 {
			wait = backoff(t.retry.Backoff, attempt)
		}
		select {
		case <-time.After(wait):
		case <-t.ctx.Done():
			return nil, context.Cause(t.ctx)
		case <-req.Context().Done():
			return nil, req.Context().Err()
		}
	}
}

// robotsUnavailable marks a robots.txt response the transport replaced.
const robotsUnavailable = "X-Newswatch-Robots-Unavailable"

// disallowAll turns a failed robots.txt response into one that disallows
// everything, keeping the real status in a header.
func (t *transport) disallowAll(req *http.Request, resp *http.Response) {
	if t.robotsFailed != nil {
		t.robotsFailed(req.URL, resp.Status)
	}
	resp.Header.Set(robotsUnavailable, resp.Status)
	resp.StatusCode, resp.Status = http.StatusOK, "200 OK"
	body := "User-agent: *\nDisallow: /\n"
	resp.Body = io.NopCloser(strings.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Type", "text/plain")
}

func (t *transport) roundTrip(req *http.Request) (*http.Response, error) {
	// colly's robots.txt requests carry no context (the client's Timeout
	// gives them a deadline only): tie every request to the pass. The body
	// is read before RoundTrip returns, so cancelling on return is safe.
	ctx, cancel := context.WithCancelCause(req.Context())
	defer cancel(nil)
	stop := context.AfterFunc(t.ctx, func() { cancel(context.Cause(t.ctx)) })
	defer stop()
	req = req.WithContext(ctx)
	if t.requests != nil {
		t.requests.Add(1)
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var r io.Reader = resp.Body
	if t.maxBody > 0 {
		r = io.LimitReader(resp.Body, t.maxBody+1)
	}
	body, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
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
