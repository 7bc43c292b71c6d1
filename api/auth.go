package api

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
	"golang.org/x/time/rate"

	"github.com/newswatch/newswatch/api/keys"
	"github.com/newswatch/newswatch/store"
)

// caller is who made a request: a key's ID, or "anonymous" for a read
// without a key on an open server.
type callerKey struct{}

func callerOf(r *http.Request) string {
	c, _ := r.Context().Value(callerKey{}).(*string)
	if c == nil {
		return ""
	}
	return *c
}

// bearer is the key of an "Authorization: Bearer KEY" header, or "".
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", true
	}
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return "", false
	}
	return strings.TrimSpace(token), true
}

// authorize checks the request's key against the scope the route needs
// and the key's rate limit, answering 401, 403 or 429 when it falls
// short. It reports whether the request may go on.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, need keys.Scope) bool {
	token, ok := bearer(r)
	if !ok {
		s.unauthorized(w, "the Authorization header must be \"Bearer KEY\"")
		return false
	}
	var (
		who          string
		limit, burst = s.cfg.Rate, s.cfg.Burst
	)
	switch {
	case token == "" && s.cfg.Open && need == keys.ScopeRead:
		// Reads without a key are limited per client address.
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		who = "anonymous@" + host
	case token == "":
		msg := "this route needs an API key with scope " + string(need) + " (Authorization: Bearer KEY; `newswatch keys create --scope " + string(need) + "` makes one)"
		if s.cfg.Open {
			msg += "; without a key this server allows only reads"
		}
		s.unauthorized(w, msg)
		return false
	default:
		var k *keys.Key
		err := keys.ErrInvalid
		if s.cfg.Keys != nil {
			k, err = s.cfg.Keys.Check(token)
		}
		if err != nil {
			s.unauthorized(w, "the API key is not valid (unknown, revoked or mistyped)")
			return false
		}
		if !k.Scope.Allows(need) {
			writeError(w, http.StatusForbidden, CodeForbidden,
				fmt.Sprintf("key %s has scope %s; %s %s needs scope %s", k.ID, k.Scope, r.Method, store.Echo(r.URL.Path), need))
			return false
		}
		who = "key:" + k.ID
		if k.Rate > 0 {
			limit = k.Rate
		}
		if k.Burst > 0 {
			burst = k.Burst
		}
	}
	if c, _ := r.Context().Value(callerKey{}).(*string); c != nil {
		*c = who
	}
	if wait := s.limits.wait(who, limit, burst, time.Now()); wait > 0 {
		secs := int(math.Ceil(wait.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		writeError(w, http.StatusTooManyRequests, CodeRateLimited,
			fmt.Sprintf("rate limit of %g requests per second (burst %d) reached; retry in %d s", limit, burst, secs))
		return false
	}
	return true
}

func (s *Server) unauthorized(w http.ResponseWriter, msg string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="newswatch"`)
	writeError(w, http.StatusUnauthorized, CodeUnauthorized, msg)
}

// limiters are the request rate limiters of callers (keys, and client
// addresses reading without a key): token buckets of golang.org/x/time/rate.
type limiters struct {
	mu   sync.Mutex
	m    map[string]*limiterEntry
	max  int           // entries kept; the least recently used go first
	idle time.Duration // an entry unused this long is forgotten
}

type limiterEntry struct {
	lim   *rate.Limiter
	limit float64
	burst int
	seen  time.Time
}

func newLimiters() *limiters {
	return &limiters{m: map[string]*limiterEntry{}, max: 100000, idle: 10 * time.Minute}
}

// wait takes a request from who's bucket (limit per second, burst) and
// returns 0, or how long until a request would be allowed when the bucket
// is empty (the request is then not counted).
func (l *limiters) wait(who string, limit float64, burst int, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.m[who]
	if e == nil || e.limit != limit || e.burst != burst {
		if e == nil && len(l.m) >= l.max {
			l.prune(now)
		}
		e = &limiterEntry{lim: rate.NewLimiter(rate.Limit(limit), burst), limit: limit, burst: burst}
		l.m[who] = e
	}
	e.seen = now
	res := e.lim.ReserveN(now, 1)
	if !res.OK() {
		return time.Hour
	}
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return d
	}
	return 0
}

// prune forgets idle entries, and the oldest half if none is idle.
func (l *limiters) prune(now time.Time) {
	for k, e := range l.m {
		if now.Sub(e.seen) > l.idle {
			delete(l.m, k)
		}
	}
	if len(l.m) < l.max {
		return
	}
	var cut time.Time
	n := 0
	for _, e := range l.m {
		if n == 0 || e.seen.Before(cut) {
			cut = e.seen
		}
		n++
	}
	// Drop everything not used since the median-ish: entries older than
	// halfway between the oldest use and now.
	mid := cut.Add(now.Sub(cut) / 2)
	for k, e := range l.m {
		if e.seen.Before(mid) {
			delete(l.m, k)
		}
	}
}

// keyInfo is a key as GET /v1/keys lists it: never its hash.
type keyInfo struct {
	ID      string     `json:"id"`
	Name    string     `json:"name,omitempty"`
	Scope   keys.Scope `json:"scope"`
	Created time.Time  `json:"created"`
	Rate    float64    `json:"rate,omitempty"`
	Burst   int        `json:"burst,omitempty"`
}

func (s *Server) listKeys(w http.ResponseWriter, r *http.Request) {
	out := struct {
		Keys []keyInfo `json:"keys"`
	}{Keys: []keyInfo{}}
	if s.cfg.Keys != nil {
		for _, k := range s.cfg.Keys.Keys() {
			out.Keys = append(out.Keys, keyInfo{ID: k.ID, Name: k.Name, Scope: k.Scope, Created: k.Created, Rate: k.Rate, Burst: k.Burst})
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if s.cfg.Keys == nil {
		writeError(w, http.StatusNotFound, CodeNotFound, "no key "+store.Echo(id))
		return
	}
	err := keys.Revoke(s.cfg.Keys.Path(), id)
	switch {
	case errors.Is(err, keys.ErrNotFound):
		writeError(w, http.StatusNotFound, CodeNotFound, "no key "+store.Echo(id))
	case err != nil:
		s.logger(r).Error("revoke key", zap.Error(err))
		writeError(w, http.StatusInternalServerError, CodeInternal, "internal error; it has been logged (request "+requestID(r)+")")
	default:
		s.logger(r).Info("key revoked", zap.String("key", id), zap.String("by", callerOf(r)))
		writeJSON(w, http.StatusOK, map[string]string{"revoked": id})
	}
}
