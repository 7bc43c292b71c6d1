package simsite

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"hash/fnv"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// resetConn answers a request by resetting its TCP connection (SO_LINGER
// 0, then close: the peer reads ECONNRESET), as an overloaded proxy or a
// flaky middlebox does. It reports whether it could.
func resetConn(w http.ResponseWriter) bool {
	h, ok := w.(http.Hijacker)
	if !ok {
		return false
	}
	conn, _, err := h.Hijack()
	if err != nil {
		return false
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
	return true
}

// slowWriter spreads a body over a duration: the first write sends the
// headers, then every chunk waits its share of the time.
type slowWriter struct {
	http.ResponseWriter
	r     *http.Request
	total time.Duration
	start time.Time
	size  int64 // Content-Length, known once ServeContent set it
	sent  int64
}

const slowChunk = 512

func (w *slowWriter) Write(b []byte) (int, error) {
	if w.start.IsZero() {
		w.start = time.Now()
		w.size, _ = strconv.ParseInt(w.Header().Get("Content-Length"), 10, 64)
		if w.size <= 0 {
			w.size = int64(len(b))
		}
	}
	n := 0
	for n < len(b) {
		end := min(len(b), n+slowChunk)
		m, err := w.ResponseWriter.Write(b[n:end])
		n += m
		w.sent += int64(m)
		if err != nil {
			return n, err
		}
		if f, ok := w.ResponseWriter.(http.Flusher); ok {
			f.Flush()
		}
		due := w.start.Add(time.Duration(float64(w.total) * float64(w.sent) / float64(w.size)))
		if d := time.Until(due); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-w.r.Context().Done():
				t.Stop()
				return n, w.r.Context().Err()
			}
		}
	}
	return n, nil
}

// hugePadding is markup that pushes a page past HugePageSize: hidden
// "related stories" blocks, as bloated CMS templates inline.
var hugePadding = sync.OnceValue(func() []byte {
	block := []byte(`<div class="hidden-teaser" style="display:none"><a href="#">Lorem ipsum dolor sit amet, consectetur adipiscing elit</a></div>` + "\n")
	var b bytes.Buffer
	b.Grow(HugePageSize + len(block))
	for b.Len() < HugePageSize {
		b.Write(block)
	}
	return b.Bytes()
})

// gzipBomb is a gzip stream of about 1 MiB that expands to GzipBombSize
// bytes of spaces: one member of 1 MiB repeated (readers go on through
// concatenated members).
var gzipBomb = sync.OnceValue(func() []byte {
	var member bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&member, gzip.BestCompression)
	zw.Write(bytes.Repeat([]byte{' '}, 1<<20))
	zw.Close()
	return bytes.Repeat(member.Bytes(), GzipBombSize>>20)
})

// serveGzipBomb answers with the gzip bomb as an HTML page.
func serveGzipBomb(w http.ResponseWriter) {
	b := gzipBomb()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Encoding", "gzip")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}

// anchorHrefRE finds the href of <a> tags.
var anchorHrefRE = regexp.MustCompile(`(<a\s[^>]*?href=")([^"#]*)(#[^"]*)?"`)

// withSessionIDs gives every link of page to the outlet's own base a
// session ID, fresh for every request (k), as PHP sites with
// session.use_trans_sid do. rel=canonical (a <link>, not an <a>) stays
// clean.
func withSessionIDs(page, base, outletID, path string, k int) string {
	h := fnv.New128a()
	fmt.Fprintf(h, "%s|%s|%d", outletID, path, k)
	sid := fmt.Sprintf("%x", h.Sum(nil))[:26]
	return anchorHrefRE.ReplaceAllStringFunc(page, func(m string) string {
		sub := anchorHrefRE.FindStringSubmatch(m)
		u := sub[2]
		if !strings.HasPrefix(u, base+"/") && u != base {
			return m
		}
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&amp;"
		}
		return sub[1] + u + sep + "PHPSESSID=" + sid + sub[3] + `"`
	})
}

// malformed cuts an XML document off at about 60% and appends junk.
func malformed(body []byte) []byte {
	cut := body[:len(body)*3/5]
	return append(append([]byte(nil), cut...), []byte("<item><title>\x00\x01 Warning: mysql_connect(): Too many connections in /var/www/rss.php on line 12")...)
}

var metaCharsetRE = regexp.MustCompile(`(?i)<meta\s+(?:charset="[^"]*"|http-equiv="Content-Type"[^>]*)\s*/?>\n?`)

// stripMetaCharset removes the charset declarations of an HTML page.
func stripMetaCharset(page []byte) []byte {
	return metaCharsetRE.ReplaceAll(page, nil)
}
