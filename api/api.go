// Package api is the HTTP JSON API of newswatch: search over the store,
// single articles with their version history, counts over time and top
// facet values, exports of whole result sets (CSV, NDJSON, Parquet),
// outlet health, API keys with scopes and rate limits, health and
// readiness, Prometheus metrics, and the OpenAPI document of exactly these
// routes; beside them it serves the web page (package web) at / and
// /assets/. Every error is JSON, {"error": {"code": "...", "message":
// "..."}}, with a 4xx status for anything the caller got wrong and a 5xx
// only for real failures.
package api

import (
	"bytes"
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // tz names resolve without a system zone database

	"github.com/klauspost/compress/gzhttp"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/newswatch/newswatch/api/export"
	"github.com/newswatch/newswatch/api/keys"
	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/web"
)

// Error codes of the JSON error body.
const (
	CodeBadRequest       = "bad_request"
	CodeNotFound         = "not_found"
	CodeMethodNotAllowed = "method_not_allowed"
	CodeUnavailable      = "unavailable"
	CodeTimeout          = "timeout"
	CodeBusy             = "busy"
	CodeTooCostly        = "query_too_costly"
	CodeInternal         = "internal"
	CodeUnauthorized     = "unauthorized"
	CodeForbidden        = "forbidden"
	CodeRateLimited      = "rate_limited"
)

// Config configures the API. The zero value is usable.
type Config struct {
	// Ready, when set, is checked by /readyz besides the store's Ping; use it
	// for dependencies such as the NATS connection. A non-nil error makes
	// /readyz answer 503 with the error's message.
	Ready func(ctx context.Context) error
	// RequestTimeout bounds the store work of one request (a search that
	// runs longer is stopped and answered 503 with Retry-After). Default
	// 10s.
	RequestTimeout time.Duration
	// RetryAfter is what a 503 for a busy or slow store tells the client to
	// wait. Default 2s.
	RetryAfter time.Duration
	// Metrics, when set, is served at GET /metrics (Prometheus text).
	Metrics http.Handler
	// Server limits, used by Serve. ReadHeaderTimeout default 10s;
	// ReadTimeout (the whole request) default 15s; WriteTimeout (from the
	// end of the request headers to the end of the answer) default
	// RequestTimeout + 10s; IdleTimeout (keep-alive) default 60s;
	// MaxHeaderBytes default 32 KiB.
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	MaxHeaderBytes    int
	// ReadyTimeout bounds the checks of /readyz. Default 2s.
	ReadyTimeout time.Duration
	// DefaultSize is the page size when size is not given. Default 10;
	// at most store.MaxSize.
	DefaultSize int
	// Location is the deployment's time zone: requests without tz have
	// their date-only from/to (and stats days) cut in it. Default UTC.
	Location *time.Location
	// Outlets, when set, serves outlet health (GET /v1/outlets); without
	// it those routes answer 503.
	Outlets OutletSource
	// Watches, when set, keeps the watches and follows their events
	// (/v1/watches); without it those routes answer 503.
	Watches WatchSource

	// Keys checks the API keys requests carry (Authorization: Bearer
	// KEY). Nil: no key is valid.
	Keys *keys.Set
	// Open lets requests without a key read (search, articles, counts):
	// for a local demo. Exports and key management still need a key.
	Open bool
	// Rate is the default request rate limit of a key (requests per
	// second; a key may set its own) and of each client address reading
	// without a key; Burst is how many requests it may make at once.
	// Defaults 20 and 40.
	Rate  float64
	Burst int
	// MaxExports is how many exports run at once; more get 503 with
	// Retry-After. Default 2.
	MaxExports int
	// MaxEventStreams is how many watch event streams (GET
	// /v1/watches/{id}/events) are open at once; more get 503 with
	// Retry-After. Default 256.
	MaxEventStreams int
	// ExportWriteTimeout is how long an export waits for the client to
	// take more data before giving up on it. Default 60s.
	ExportWriteTimeout time.Duration
	// Registerer, when set, gets the API's metrics (requests by route
	// and status, latency, exports).
	Registerer prometheus.Registerer
	// Version is the newswatch version and StoreName the store's name
	// (bleve, elastic), written into export manifests.
	Version   string
	StoreName string
}

// Validate reports whether the configuration is usable.
func (c Config) Validate() error {
	if c.RequestTimeout < 0 {
		return fmt.Errorf("api: request timeout %s is negative", c.RequestTimeout)
	}
	for _, d := range []struct {
		name string
		d    time.Duration
	}{{"ready timeout", c.ReadyTimeout}, {"retry after", c.RetryAfter}, {"read header timeout", c.ReadHeaderTimeout},
		{"read timeout", c.ReadTimeout}, {"write timeout", c.WriteTimeout}, {"idle timeout", c.IdleTimeout}} {
		if d.d < 0 {
			return fmt.Errorf("api: %s %s is negative", d.name, d.d)
		}
	}
	if c.MaxHeaderBytes < 0 {
		return fmt.Errorf("api: max header bytes %d is negative", c.MaxHeaderBytes)
	}
	if c.DefaultSize < 0 || c.DefaultSize > store.MaxSize {
		return fmt.Errorf("api: default size %d: want 0..%d", c.DefaultSize, store.MaxSize)
	}
	if c.Rate < 0 || c.Burst < 0 || c.MaxExports < 0 || c.MaxEventStreams < 0 || c.ExportWriteTimeout < 0 {
		return fmt.Errorf("api: rate %g, burst %d, max exports %d, max event streams %d and export write timeout %s must not be negative",
			c.Rate, c.Burst, c.MaxExports, c.MaxEventStreams, c.ExportWriteTimeout)
	}
	return nil
}

func (c *Config) setDefaults() {
	if c.RequestTimeout == 0 {
		c.RequestTimeout = 10 * time.Second
	}
	if c.RetryAfter == 0 {
		c.RetryAfter = 2 * time.Second
	}
	if c.ReadHeaderTimeout == 0 {
		c.ReadHeaderTimeout = 10 * time.Second
	}
	if c.ReadTimeout == 0 {
		c.ReadTimeout = 15 * time.Second
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = c.RequestTimeout + 10*time.Second
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = 60 * time.Second
	}
	if c.MaxHeaderBytes == 0 {
		c.MaxHeaderBytes = 32 << 10
	}
	if c.ReadyTimeout == 0 {
		c.ReadyTimeout = 2 * time.Second
	}
	if c.DefaultSize == 0 {
		c.DefaultSize = 10
	}
	if c.Location == nil {
		c.Location = time.UTC
	}
	if c.Rate == 0 {
		c.Rate = 20
	}
	if c.Burst == 0 {
		c.Burst = 40
	}
	if c.MaxExports == 0 {
		c.MaxExports = 2
	}
	if c.MaxEventStreams == 0 {
		c.MaxEventStreams = 256
	}
	if c.ExportWriteTimeout == 0 {
		c.ExportWriteTimeout = 60 * time.Second
	}
}

// Server serves the API.
type Server struct {
	cfg     Config
	st      store.Store
	log     *zap.Logger
	mux     *http.ServeMux
	handler http.Handler
	limits  *limiters
	exports chan struct{} // export slots
	metrics *metrics      // nil without Config.Registerer
	page    *web.Files    // the web page served at /
	srvMu   sync.Mutex
	srv     *http.Server // set by Serve

	streams     chan struct{} // a slot per open event stream (MaxEventStreams)
	streamsDone chan struct{} // closed by Shutdown: event streams end
	streamsOnce sync.Once
}

// route is one route of the API; routes lists them all, and the OpenAPI
// document must describe exactly these, with these query parameters.
type route struct {
	method, path string
	// scope is what a key needs for the route; "" for a public one.
	scope keys.Scope
	// params are the query parameters the route takes (nil: none);
	// others are refused.
	params  paramSet
	handler func(*Server, http.ResponseWriter, *http.Request)
}

var routes = []route{
	{http.MethodGet, "/v1/search", keys.ScopeRead, searchParams, (*Server).search},
	{http.MethodGet, "/v1/articles/{id}", keys.ScopeRead, nil, (*Server).article},
	{http.MethodGet, "/v1/stats/timeline", keys.ScopeRead, timelineParams, (*Server).timeline},
	{http.MethodGet, "/v1/stats/top", keys.ScopeRead, topParams, (*Server).top},
	{http.MethodGet, "/v1/export", keys.ScopeExport, exportParams, (*Server).exportRows},
	{http.MethodGet, "/v1/keys", keys.ScopeAdmin, nil, (*Server).listKeys},
	{http.MethodDelete, "/v1/keys/{id}", keys.ScopeAdmin, nil, (*Server).revokeKey},
	{http.MethodGet, "/v1/outlets", keys.ScopeRead, nil, (*Server).outlets},
	{http.MethodGet, "/v1/outlets/{id}", keys.ScopeRead, nil, (*Server).outlet},
	{http.MethodGet, "/v1/watches", keys.ScopeRead, nil, (*Server).listWatches},
	{http.MethodPost, "/v1/watches", keys.ScopeExport, nil, (*Server).createWatch},
	{http.MethodGet, "/v1/watches/{id}", keys.ScopeRead, nil, (*Server).getWatch},
	{http.MethodDelete, "/v1/watches/{id}", keys.ScopeExport, nil, (*Server).deleteWatch},
	{http.MethodGet, "/v1/watches/{id}/events", keys.ScopeRead, paramSet{"last_event_id": false}, (*Server).watchEvents},
	{http.MethodGet, "/v1/stories", keys.ScopeRead, storiesParams, (*Server).stories},
	{http.MethodGet, "/v1/stories/{id}", keys.ScopeRead, nil, (*Server).story},
	{http.MethodGet, "/v1/coverage/gaps", keys.ScopeRead, gapsParams, (*Server).coverageGaps},
	{http.MethodGet, "/v1/openapi.json", "", nil, (*Server).openapi},
	{http.MethodGet, "/healthz", "", nil, (*Server).healthz},
	{http.MethodGet, "/readyz", "", nil, (*Server).readyz},
}

// New returns the API server over st.
func New(cfg Config, st store.Store, log *zap.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if st == nil {
		return nil, errors.New("api: nil store")
	}
	cfg.setDefaults()
	if log == nil {
		log = zap.NewNop()
	}
	s := &Server{cfg: cfg, st: st, log: log.Named("api"), mux: http.NewServeMux(),
		limits: newLimiters(), exports: make(chan struct{}, cfg.MaxExports),
		streams: make(chan struct{}, cfg.MaxEventStreams), streamsDone: make(chan struct{})}
	if cfg.Registerer != nil {
		m, err := newMetrics(cfg.Registerer)
		if err != nil {
			return nil, err
		}
		s.metrics = m
	}
	for _, rt := range routes {
		rt := rt
		s.mux.HandleFunc(rt.method+" "+rt.path, func(w http.ResponseWriter, r *http.Request) { s.serveRoute(rt, w, r) })
	}
	if cfg.Metrics != nil {
		s.mux.Handle("GET /metrics", cfg.Metrics)
	}
	page, err := web.Open()
	if err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}
	s.page = page
	s.mux.HandleFunc("GET /{$}", s.servePage)
	s.mux.HandleFunc("GET /assets/{file...}", s.asset)
	// gzip outermost, so that the request log and the panic handler see
	// the handler's own writes; exports are not compressed (Parquet is
	// already, and compressing CSV or NDJSON at the rate an export
	// streams would take a core of its own), and neither are event
	// streams (a compressor would hold events back).
	gz, err := gzhttp.NewWrapper(gzhttp.ContentTypeFilter(func(ct string) bool {
		return gzhttp.DefaultContentTypeFilter(ct) && !export.IsContentType(ct) && !strings.HasPrefix(ct, "text/event-stream")
	}))
	if err != nil {
		return nil, fmt.Errorf("api: gzip: %w", err)
	}
	s.handler = gz(s.logRequests(s.recoverPanics(http.HandlerFunc(s.route))))
	return s, nil
}

// serveRoute checks a request's parameters and key against its route,
// then runs the route's handler.
func (s *Server) serveRoute(rt route, w http.ResponseWriter, r *http.Request) {
	// route has refused malformed query strings, so none is dropped here.
	if err := checkParams(r.URL.Query(), rt.params); err != nil {
		writeError(w, http.StatusBadRequest, CodeBadRequest, err.Error())
		return
	}
	if rt.scope != "" && !s.authorize(w, r, rt.scope) {
		return
	}
	rt.handler(s, w, r)
}

// Handler returns the HTTP handler of the API.
func (s *Server) Handler() http.Handler { return s.handler }

// route dispatches to the mux, answering in JSON what the mux would answer
// in plain text: 404 and 405 (keeping the Allow header), and paths that are
// not clean (../, //), which the mux would redirect. A malformed query
// string is a 400 here, before any handler drops its bad pairs.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	if p := r.URL.EscapedPath(); p != cleanPath(p) {
		writeError(w, http.StatusNotFound, CodeNotFound, fmt.Sprintf("no route %s %s: the path is not clean (., .. or //); see /v1/openapi.json", store.Echo(r.Method), store.Echo(p)))
		return
	}
	if _, err := url.ParseQuery(r.URL.RawQuery); err != nil {
		writeError(w, http.StatusBadRequest, CodeBadRequest, "malformed query string: "+clipError(err))
		return
	}
	if _, pattern := s.mux.Handler(r); pattern != "" {
		s.mux.ServeHTTP(w, r)
		return
	}
	cw := &captureWriter{header: http.Header{}}
	s.mux.ServeHTTP(cw, r)
	switch cw.status {
	case http.StatusMethodNotAllowed:
		if allow := cw.header.Get("Allow"); allow != "" {
			w.Header().Set("Allow", allow)
		}
		writeError(w, http.StatusMethodNotAllowed, CodeMethodNotAllowed,
			fmt.Sprintf("method %s is not allowed on %s; allowed: %s", store.Echo(r.Method), store.Echo(r.URL.Path), cw.header.Get("Allow")))
	default:
		writeError(w, http.StatusNotFound, CodeNotFound, fmt.Sprintf("no route %s %s; see /v1/openapi.json", store.Echo(r.Method), store.Echo(r.URL.Path)))
	}
}

// cleanPath is the path the mux would redirect p to: p with ., .. and
// repeated slashes resolved (a trailing slash kept).
func cleanPath(p string) string {
	if p == "" || p == "*" {
		return p
	}
	if p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if p[len(p)-1] == '/' && np != "/" {
		np += "/"
	}
	return np
}

// clipError is the message of a parse error of the caller's input, with
// the input it quotes cut to store.MaxEcho characters.
func clipError(err error) string {
	var ee url.EscapeError
	if errors.As(err, &ee) {
		return "invalid escape " + store.Echo(string(ee))
	}
	msg := err.Error()
	if len(msg) > 2*store.MaxEcho {
		return store.Echo(msg)
	}
	return msg
}

// captureWriter records what the mux's own error handlers write.
type captureWriter struct {
	header http.Header
	status int
}

func (c *captureWriter) Header() http.Header { return c.header }
func (c *captureWriter) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
}
func (c *captureWriter) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	return len(b), nil
}

// errorBody is the JSON of every error.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	encodeJSON(w, v)
}

// encodeJSON writes v as one line of JSON, with <, > and & as they are.
func encodeJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, errorBody{Error: errorDetail{Code: code, Message: msg}})
}

// mustMarshalError is the JSON of an error body, as writeError sends it.
func mustMarshalError(code, msg string) []byte {
	var b bytes.Buffer
	encodeJSON(&b, errorBody{Error: errorDetail{Code: code, Message: msg}})
	return b.Bytes()
}

// storeError answers a store error: the caller's mistakes are 4xx, the
// rest 5xx with the detail logged, not shown. A busy or slow store is a 503
// with Retry-After.
func (s *Server) storeError(w http.ResponseWriter, r *http.Request, err error) {
	retry := func() {
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(s.cfg.RetryAfter.Round(time.Second)/time.Second))))
	}
	switch {
	case errors.Is(err, store.ErrTooCostly):
		writeError(w, http.StatusBadRequest, CodeTooCostly, err.Error())
	case errors.Is(err, store.ErrBadQuery):
		writeError(w, http.StatusBadRequest, CodeBadRequest, err.Error())
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, CodeNotFound, err.Error())
	case errors.Is(err, store.ErrClosed):
		writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "the store is closed")
	case errors.Is(err, store.ErrBusy):
		s.logger(r).Warn("store busy", zap.Error(err))
		retry()
		writeError(w, http.StatusServiceUnavailable, CodeBusy, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		s.logger(r).Warn("store timeout", zap.Error(err))
		retry()
		writeError(w, http.StatusServiceUnavailable, CodeTimeout, fmt.Sprintf("the store did not answer within %s; retry, or narrow the query", s.cfg.RequestTimeout))
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		// The client went away; nobody reads the answer, but the log
		// shows 499 as nginx does.
		writeError(w, 499, "canceled", "request canceled")
	default:
		s.logger(r).Error("store failure", zap.Error(err))
		writeError(w, http.StatusInternalServerError, CodeInternal, "internal error; it has been logged (request "+requestID(r)+")")
	}
}

type ctxKey struct{}

func requestID(r *http.Request) string {
	id, _ := r.Context().Value(ctxKey{}).(string)
	return id
}

func (s *Server) logger(r *http.Request) *zap.Logger {
	return s.log.With(zap.String("request_id", requestID(r)), zap.String("path", r.URL.Path))
}

// statusWriter records the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests gives each request an ID (X-Request-ID, kept when the client
// sends a sane one) and logs it when done.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-ID")
		if id == "" || len(id) > 64 || strings.ContainsFunc(id, func(c rune) bool { return c < 0x21 || c > 0x7e }) {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-ID", id)
		caller := new(string)
		ctx := context.WithValue(context.WithValue(r.Context(), ctxKey{}, id), callerKey{}, caller)
		r = r.WithContext(ctx)
		sw := &statusWriter{ResponseWriter: w}
		s.metrics.begin()
		aborted := true // until next returns: a handler that panics with http.ErrAbortHandler ends the response unfinished
		defer func() {
			// The mux has set the pattern of the route it chose, if any.
			took := time.Since(start)
			status := sw.status
			if aborted {
				status = 499 // as nginx logs an answer cut short
			}
			s.metrics.done(routeLabel(r.Pattern), status, took)
			level := zap.InfoLevel
			if (r.URL.Path == "/healthz" || r.URL.Path == "/readyz") && status < 400 {
				level = zap.DebugLevel // probes every few seconds would drown the log
			}
			if status >= 500 {
				level = zap.ErrorLevel
			}
			s.log.Log(level, "request",
				zap.String("request_id", id),
				zap.String("method", r.Method),
				zap.String("path", r.URL.Path),
				zap.String("query", loggedQuery(r.URL.RawQuery)),
				zap.Int("status", status),
				zap.Int("bytes", sw.bytes),
				zap.Duration("took", took),
				zap.String("remote", r.RemoteAddr),
				zap.String("caller", *caller))
		}()
		next.ServeHTTP(sw, r)
		aborted = false
	})
}

// maxLoggedQuery is how much of a query string the request log keeps: a
// hostile client's query (up to MaxHeaderBytes, 32 KiB by default) would
// otherwise be a line of that size per request.
const maxLoggedQuery = 2 << 10

// loggedQuery is the query string as the request log keeps it: whole up to
// maxLoggedQuery bytes, else cut there and saying how long it was.
func loggedQuery(raw string) string {
	if len(raw) <= maxLoggedQuery {
		return raw
	}
	return raw[:maxLoggedQuery] + "...(" + strconv.Itoa(len(raw)) + " bytes)"
}

// recoverPanics turns a panic in a handler into a logged JSON 500.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw, _ := w.(*statusWriter)
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.logger(r).Error("panic in handler", zap.Any("panic", v), zap.ByteString("stack", debug.Stack()))
			if sw != nil && sw.status != 0 {
				return // the answer has started; nothing more can be said
			}
			writeError(w, http.StatusInternalServerError, CodeInternal, "internal error; it has been logged (request "+requestID(r)+")")
		}()
		next.ServeHTTP(w, r)
	})
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.ReadyTimeout)
	defer cancel()
	if err := s.st.Ping(ctx); err != nil {
		s.logger(r).Warn("not ready: store", zap.Error(err))
		writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "store not ready: "+err.Error())
		return
	}
	if s.cfg.Ready != nil {
		if err := s.cfg.Ready(ctx); err != nil {
			s.logger(r).Warn("not ready", zap.Error(err))
			writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "not ready: "+err.Error())
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

//go:embed openapi.json
var openapiDoc []byte

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(openapiDoc)
}
