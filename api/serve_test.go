package api

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/bleve"
	"github.com/newswatch/newswatch/store/storetest"
)

// serve runs s.Serve on a loopback port until the test ends.
func serve(t *testing.T, s *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Error(err)
		}
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// rawRequest sends bytes as they are and reads the answer.
func rawRequest(t *testing.T, addr, raw string) (*http.Response, []byte) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("%.60q: %v", raw, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%.60q: body: %v", raw, err)
	}
	return resp, body
}

func newServer(t *testing.T, cfg Config, st store.Store) *Server {
	t.Helper()
	// Without keys, the server reads as an open one does (the keys have
	// their own tests).
	cfg.Open = cfg.Open || cfg.Keys == nil
	if cfg.Rate == 0 { // the rate limits have their own tests too
		cfg.Rate, cfg.Burst = 1e6, 1e6
	}
	if st == nil {
		idx, err := bleve.Open(t.TempDir(), bleve.Options{}, zaptest.NewLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { idx.Close() })
		if err := idx.Put(context.Background(), storetest.Fixtures(t)); err != nil {
			t.Fatal(err)
		}
		st = idx
	}
	s, err := New(cfg, st, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestServeAnswersJSON: what net/http answers itself before a handler runs
// (control characters in the request line, oversized headers, a bad Host,
// the * target) and what the mux would redirect are JSON errors too.
func TestServeAnswersJSON(t *testing.T) {
	addr := serve(t, newServer(t, Config{MaxHeaderBytes: 4096}, nil))
	req := func(line string, headers ...string) string {
		return line + "\r\nHost: api.test\r\n" + strings.Join(headers, "") + "Connection: close\r\n\r\n"
	}
	for _, tc := range []struct {
		name, raw string
		status    int
	}{
		{"NUL in path", req("GET /v1/articles/\x00 HTTP/1.1"), 400},
		{"control character in path", req("GET /v1/search?q=a\x01b HTTP/1.1"), 400},
		{"space in target", req("GET /v1/search?q=a b HTTP/1.1"), 400},
		{"headers too large", req("GET /healthz HTTP/1.1", "X-Big: "+strings.Repeat("b", 10000)+"\r\n"), 431},
		{"bad host", "GET /healthz HTTP/1.1\r\nHost: a b\r\n\r\n", 400},
		{"two hosts", "GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
		{"asterisk GET", req("GET * HTTP/1.1"), 404},
		{"asterisk OPTIONS", req("OPTIONS * HTTP/1.1"), 404},
		{"dot-dot path", req("GET /v1/articles/../healthz HTTP/1.1"), 404},
		{"double slash", req("GET //v1//search HTTP/1.1"), 404},
		{"malformed query string", req("GET /v1/search?q=%zz HTTP/1.1"), 400},
		{"HTTP/0.9 style", "GET /healthz\r\n\r\n", 400},
		{"unknown version", req("GET /healthz HTTP/9.9"), 505},
		{"healthy", req("GET /healthz HTTP/1.1"), 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := rawRequest(t, addr, tc.raw)
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d (%s)", resp.StatusCode, tc.status, body)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("content type %q, body %q", ct, body)
			}
			var v map[string]any
			if err := json.Unmarshal(body, &v); err != nil {
				t.Errorf("body %q is not JSON: %v", body, err)
			}
			if tc.status >= 400 && v["error"] == nil {
				t.Errorf("body %s has no error", body)
			}
		})
	}
	// A keep-alive connection serves request after request through the
	// rewriting connection untouched.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	for i := 0; i < 3; i++ {
		io.WriteString(c, "GET /v1/search?q=Baku&size=1 HTTP/1.1\r\nHost: api.test\r\n\r\n")
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !json.Valid(b) {
			t.Fatalf("request %d on one connection: %d %s", i, resp.StatusCode, b)
		}
	}
}

// TestServeTimeouts: a client that stalls while sending headers, or keeps
// an idle connection, is disconnected.
func TestServeTimeouts(t *testing.T) {
	addr := serve(t, newServer(t, Config{ReadHeaderTimeout: 300 * time.Millisecond, IdleTimeout: 300 * time.Millisecond}, nil))
	for _, tc := range []struct{ name, send string }{
		{"stalled headers", "GET /healthz HTTP/1.1\r\nHost: a\r\n"},
		{"idle keep-alive", "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			io.WriteString(c, tc.send)
			c.SetReadDeadline(time.Now().Add(20 * time.Second))
			start := time.Now()
			_, err = io.ReadAll(c) // returns when the server closes the connection
			if err != nil {
				t.Fatalf("connection not closed by the server: %v", err)
			}
			if d := time.Since(start); d > 15*time.Second {
				t.Errorf("closed after %s", d)
			}
		})
	}
	s := newServer(t, Config{}, nil)
	if s.cfg.WriteTimeout != s.cfg.RequestTimeout+10*time.Second || s.cfg.IdleTimeout == 0 || s.cfg.ReadTimeout == 0 || s.cfg.MaxHeaderBytes != 32<<10 {
		t.Errorf("defaults: %+v", s.cfg)
	}
}

// slowStore blocks every search until its context ends, or fails it as
// busy.
type slowStore struct {
	store.Store
	busy bool
}

func (s slowStore) Search(ctx context.Context, q store.Query) (*store.Result, error) {
	if s.busy {
		return nil, store.ErrBusy
	}
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestCostlyAndBusy: a query over the store's budget is a 400 in well under
// a second; a busy store and a search past the deadline are 503 with
// Retry-After.
func TestCostlyAndBusy(t *testing.T) {
	idx, err := bleve.Open(t.TempDir(), bleve.Options{Limits: bleve.Limits{MaxPostings: 3}}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	if err := idx.Put(context.Background(), storetest.Fixtures(t)); err != nil {
		t.Fatal(err)
	}
	addr := serve(t, newServer(t, Config{}, idx))
	start := time.Now()
	resp, body := rawRequest(t, addr, "GET /v1/search?q=Baku+OR+Bak%C4%B1+OR+%D0%91%D0%B0%D0%BA%D1%83 HTTP/1.1\r\nHost: a\r\n\r\n")
	if d := time.Since(start); d > time.Second {
		t.Errorf("over-budget query answered in %s", d)
	}
	if resp.StatusCode != 400 || !strings.Contains(string(body), `"code":"`+CodeTooCostly+`"`) || !strings.Contains(string(body), "postings") {
		t.Errorf("over budget: %d %s", resp.StatusCode, body)
	}

	busy := serve(t, newServer(t, Config{RetryAfter: 3 * time.Second}, slowStore{Store: idx, busy: true}))
	resp, body = rawRequest(t, busy, "GET /v1/search?q=x HTTP/1.1\r\nHost: a\r\n\r\n")
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "3" || !strings.Contains(string(body), CodeBusy) {
		t.Errorf("busy: %d Retry-After %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}

	slow := serve(t, newServer(t, Config{RequestTimeout: 200 * time.Millisecond}, slowStore{Store: idx}))
	start = time.Now()
	resp, body = rawRequest(t, slow, "GET /v1/search?q=x HTTP/1.1\r\nHost: a\r\n\r\n")
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(body), CodeTimeout) {
		t.Errorf("slow: %d Retry-After %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("deadline of 200ms answered after %s", d)
	}
}

// TestMetricsRoute: Config.Metrics is served at GET /metrics.
func TestMetricsRoute(t *testing.T) {
	m := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "up 1\n") })
	addr := serve(t, newServer(t, Config{Metrics: m}, nil))
	resp, body := rawRequest(t, addr, "GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n")
	if resp.StatusCode != 200 || string(body) != "up 1\n" {
		t.Errorf("metrics: %d %q", resp.StatusCode, body)
	}
	if resp, _ := rawRequest(t, addr, "POST /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"); resp.StatusCode != 405 {
		t.Errorf("POST /metrics: %d", resp.StatusCode)
	}
}
