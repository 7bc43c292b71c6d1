// Package api is the HTTP JSON API of newswatch: search over the store,
// single articles with their version history, health and readiness, and the
// OpenAPI document of exactly these routes. Every error is JSON,
// {"error": {"code": "...", "message": "..."}}, with a 4xx status for
// anything the caller got wrong and a 5xx only for real failures.
package api

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/klauspost/compress/gzhttp"
	"go.uber.org/zap"

	"github.com/newswatch/newswatch/store"
)

// Error codes of the JSON error body.
const (
	CodeBadRequest       = "bad_request"
	CodeNotFound         = "not_found"
	CodeMethodNotAllowed = "method_not_allowed"
	CodeUnavailable      = "unavailable"
	CodeTimeout          = "timeout"
	CodeInternal         = "internal"
)

// Config configures the API. The zero value is usable.
type Config struct {
	// Ready, when set, is checked by /readyz besides the store's Ping; use it
	// for dependencies such as the NATS connection. A non-nil error makes
	// /readyz answer 503 with the error's message.
	Ready func(ctx context.Context) error
	// RequestTimeout bounds the store work of one request. Default 30s.
	RequestTimeout time.Duration
	// ReadyTimeout bounds the checks of /readyz. Default 2s.
	ReadyTimeout time.Duration
	// DefaultSize is the page size when size is not given. Default 10;
	// at most store.MaxSize.
	DefaultSize int
	// Location interprets from/to given as plain dates (YYYY-MM-DD).
	// Default UTC.
	Location *time.Location
}

// Validate reports whether the configuration is usable.
func (c Config) Validate() error {
	if c.RequestTimeout < 0 {
		return fmt.Errorf("api: request timeout %s is negative", c.RequestTimeout)
	}
	if c.ReadyTimeout < 0 {
		return fmt.Errorf("api: ready timeout %s is negative", c.ReadyTimeout)
	}
	if c.DefaultSize < 0 || c.DefaultSize > store.MaxSize {
		return fmt.Errorf("api: default size %d: want 0..%d", c.DefaultSize, store.MaxSize)
	}
	return nil
}

func (c *Config) setDefaults() {
	if c.RequestTimeout == 0 {
		c.RequestTimeout = 30 * time.Second
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
}

// Server serves the API.
type Server struct {
	cfg     Config
	st      store.Store
	log     *zap.Logger
	mux     *http.ServeMux
	handler http.Handler
}

// route is one route of the API; routes lists them all, and the OpenAPI
// document must describe exactly these.
type route struct {
	method, path string
	handler      func(*Server, http.ResponseWriter, *http.Request)
}

var routes = []route{
	{http.MethodGet, "/v1/search", (*Server).search},
	{http.MethodGet, "/v1/articles/{id}", (*Server).article},
	{http.MethodGet, "/v1/openapi.json", (*Server).openapi},
	{http.MethodGet, "/healthz", (*Server).healthz},
	{http.MethodGet, "/readyz", (*Server).readyz},
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
	s := &Server{cfg: cfg, st: st, log: log.Named("api"), mux: http.NewServeMux()}
	for _, rt := range routes {
		h := rt.handler
		s.mux.HandleFunc(rt.method+" "+rt.path, func(w http.ResponseWriter, r *http.Request) { h(s, w, r) })
	}
	// gzip outermost, so that the request log and the panic handler see
	// the handler's own writes.
	s.handler = gzhttp.GzipHandler(s.logRequests(s.recoverPanics(http.HandlerFunc(s.route))))
	return s, nil
}

// Handler returns the HTTP handler of the API.
func (s *Server) Handler() http.Handler { return s.handler }

// route dispatches to the mux, turning its plain-text 404 and 405 answers
// into JSON errors (keeping the Allow header).
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
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
			fmt.Sprintf("method %s is not allowed on %s; allowed: %s", r.Method, r.URL.Path, cw.header.Get("Allow")))
	default:
		writeError(w, http.StatusNotFound, CodeNotFound, fmt.Sprintf("no route %s %s; see /v1/openapi.json", r.Method, r.URL.Path))
	}
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
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, errorBody{Error: errorDetail{Code: code, Message: msg}})
}

// storeError answers a store error: the caller's mistakes are 4xx, the
// rest 5xx with the detail logged, not shown.
func (s *Server) storeError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, store.ErrBadQuery):
		writeError(w, http.StatusBadRequest, CodeBadRequest, err.Error())
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, CodeNotFound, err.Error())
	case errors.Is(err, store.ErrClosed):
		writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "the store is closed")
	case errors.Is(err, context.DeadlineExceeded):
		s.logger(r).Warn("store timeout", zap.Error(err))
		writeError(w, http.StatusServiceUnavailable, CodeTimeout, "the store did not answer in time")
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
		r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, id))
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		level := zap.InfoLevel
		if (r.URL.Path == "/healthz" || r.URL.Path == "/readyz") && sw.status < 400 {
			level = zap.DebugLevel // probes every few seconds would drown the log
		}
		if sw.status >= 500 {
			level = zap.ErrorLevel
		}
		s.log.Log(level, "request",
			zap.String("request_id", id),
			zap.String("method", r.Method),
			zap.String("path", r.URL.Path),
			zap.String("query", r.URL.RawQuery),
			zap.Int("status", sw.status),
			zap.Int("bytes", sw.bytes),
			zap.Duration("took", time.Since(start)),
			zap.String("remote", r.RemoteAddr))
	})
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
