package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/watch"
)

// WatchSource keeps the watches and follows their events (package watch's
// Store over NATS).
type WatchSource interface {
	Create(ctx context.Context, w watch.Watch) (watch.Watch, error)
	Get(ctx context.Context, id string) (watch.Watch, error)
	List(ctx context.Context) ([]watch.Watch, error)
	Delete(ctx context.Context, id string) error
	// Subscribe follows the events of a watch from the event with
	// sequence from on (0: those published from now on).
	Subscribe(ctx context.Context, id string, from uint64) (<-chan watch.Event, <-chan error, error)
}

var _ WatchSource = (*watch.Store)(nil)

// MaxWatchBody is the largest POST /v1/watches body.
const MaxWatchBody = 64 << 10

// MaxWatches is how many watches a deployment keeps; more are refused.
const MaxWatches = 10000

// SSEHeartbeat is how often an idle event stream sends a comment, so that
// proxies and clients see it alive.
const SSEHeartbeat = 15 * time.Second

// WatchInput is the body of POST /v1/watches: a watch.Watch without what
// the server sets (its ID, creation time).
type WatchInput struct {
	Name     string         `json:"name,omitempty"`
	Query    string         `json:"q,omitempty"`
	Outlets  []string       `json:"outlet,omitempty"`
	Langs    []string       `json:"lang,omitempty"`
	Sections []string       `json:"section,omitempty"`
	Authors  []string       `json:"author,omitempty"`
	Events   []string       `json:"events,omitempty"`
	Gap      *watch.Gap     `json:"gap,omitempty"`
	Webhook  *watch.Webhook `json:"webhook,omitempty"`
}

type watchOne struct {
	Watch watch.Watch `json:"watch"`
}

type watchList struct {
	Watches []watch.Watch `json:"watches"`
}

func (s *Server) watchesUnavailable(w http.ResponseWriter) bool {
	if s.cfg.Watches != nil {
		return false
	}
	writeError(w, http.StatusServiceUnavailable, CodeUnavailable,
		"watches are not available from this process: they are kept in NATS, and this API runs without a NATS connection")
	return true
}

// watchError answers an error of the watch source.
func (s *Server) watchError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, watch.ErrNotFound):
		writeError(w, http.StatusNotFound, CodeNotFound, err.Error())
	case errors.Is(err, watch.ErrInvalid), errors.Is(err, watch.ErrRefusedTarget), errors.Is(err, store.ErrBadQuery):
		writeError(w, http.StatusBadRequest, CodeBadRequest, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		writeError(w, http.StatusServiceUnavailable, CodeTimeout, "the watches did not answer within "+s.cfg.RequestTimeout.String())
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		writeError(w, 499, "canceled", "request canceled")
	default:
		s.logger(r).Error("watches", zap.Error(err))
		writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "watches unavailable; it has been logged (request "+requestID(r)+")")
	}
}

// listWatches answers GET /v1/watches: every watch, without webhook
// secrets.
func (s *Server) listWatches(w http.ResponseWriter, r *http.Request) {
	if s.watchesUnavailable(w) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
	defer cancel()
	list, err := s.cfg.Watches.List(ctx)
	if err != nil {
		s.watchError(w, r, err)
		return
	}
	out := watchList{Watches: make([]watch.Watch, 0, len(list))}
	for _, wt := range list {
		out.Watches = append(out.Watches, wt.Public())
	}
	writeJSON(w, http.StatusOK, out)
}

// createWatch answers POST /v1/watches: 201 with the watch, its webhook
// secret shown this once.
func (s *Server) createWatch(w http.ResponseWriter, r *http.Request) {
	if s.watchesUnavailable(w) {
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		writeError(w, http.StatusUnsupportedMediaType, CodeBadRequest, fmt.Sprintf("content type %s: send the watch as application/json", store.Echo(ct)))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxWatchBody+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, CodeBadRequest, "cannot read the body: "+clipError(err))
		return
	}
	if len(body) > MaxWatchBody {
		writeError(w, http.StatusRequestEntityTooLarge, CodeBadRequest, fmt.Sprintf("the body is larger than %d bytes", MaxWatchBody))
		return
	}
	if t := bytes.TrimSpace(body); len(t) == 0 || t[0] != '{' {
		writeError(w, http.StatusBadRequest, CodeBadRequest, "the body is not a watch: want a JSON object such as {\"q\": \"Şuşa\", \"outlet\": [\"report\"]}")
		return
	}
	// JSON null is no value the document allows (leave a field out instead);
	// the decoder below would take it for an absent field.
	var doc any
	if json.Unmarshal(body, &doc) == nil {
		if at := nullAt(doc, ""); at != "" {
			writeError(w, http.StatusBadRequest, CodeBadRequest, fmt.Sprintf("the body is not a watch: %s is null; leave it out instead", store.Echo(at)))
			return
		}
	}
	var in WatchInput
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, CodeBadRequest, "the body is not a watch: "+clipError(err))
		return
	}
	if dec.More() {
		writeError(w, http.StatusBadRequest, CodeBadRequest, "the body holds more than one JSON value")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
	defer cancel()
	list, err := s.cfg.Watches.List(ctx)
	if err != nil {
		s.watchError(w, r, err)
		return
	}
	if len(list) >= MaxWatches {
		writeError(w, http.StatusConflict, CodeBadRequest, fmt.Sprintf("this deployment keeps at most %d watches; delete some first", MaxWatches))
		return
	}
	created, err := s.cfg.Watches.Create(ctx, watch.Watch{Name: in.Name, Query: in.Query, Outlets: in.Outlets, Langs: in.Langs,
		Sections: in.Sections, Authors: in.Authors, Events: in.Events, Gap: in.Gap, Webhook: in.Webhook})
	if err != nil {
		s.watchError(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/watches/"+created.ID)
	writeJSON(w, http.StatusCreated, watchOne{Watch: created})
}

// nullAt returns the path of the first null inside v (a decoded JSON
// value), or "".
func nullAt(v any, path string) string {
	switch v := v.(type) {
	case nil:
		return path
	case map[string]any:
		for k, x := range v {
			if at := nullAt(x, strings.TrimPrefix(path+"."+k, ".")); at != "" {
				return at
			}
		}
	case []any:
		for i, x := range v {
			if at := nullAt(x, fmt.Sprintf("%s[%d]", path, i)); at != "" {
				return at
			}
		}
	}
	return ""
}

// watchID reads and checks the {id} of a watch route.
func watchID(w http.ResponseWriter, r *http.Request) (string, bool) {
	id := r.PathValue("id")
	if !watch.ValidID(id) {
		writeError(w, http.StatusNotFound, CodeNotFound, fmt.Sprintf("no watch %s: watch ids are 16 lower-case hex characters", store.Echo(id)))
		return "", false
	}
	return id, true
}

// getWatch answers GET /v1/watches/{id}.
func (s *Server) getWatch(w http.ResponseWriter, r *http.Request) {
	id, ok := watchID(w, r)
	if !ok || s.watchesUnavailable(w) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
	defer cancel()
	wt, err := s.cfg.Watches.Get(ctx, id)
	if err != nil {
		s.watchError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, watchOne{Watch: wt.Public()})
}

// deleteWatch answers DELETE /v1/watches/{id}: the watch and its events
// are gone.
func (s *Server) deleteWatch(w http.ResponseWriter, r *http.Request) {
	id, ok := watchID(w, r)
	if !ok || s.watchesUnavailable(w) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
	defer cancel()
	if err := s.cfg.Watches.Delete(ctx, id); err != nil {
		s.watchError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"deleted": id})
}

// watchEvents answers GET /v1/watches/{id}/events: the watch's events as
// server-sent events (event: the kind, id: the event's sequence, data: the
// event JSON), from now on or, with Last-Event-ID (or last_event_id), after
// that event, so that a reconnecting client misses nothing the stream
// still holds.
func (s *Server) watchEvents(w http.ResponseWriter, r *http.Request) {
	id, ok := watchID(w, r)
	if !ok || s.watchesUnavailable(w) {
		return
	}
	last := r.Header.Get("Last-Event-ID")
	if q := r.URL.Query().Get("last_event_id"); q != "" {
		last = q
	}
	// Without Last-Event-ID: from now on; with it, every event kept after
	// it (0: every event kept).
	var from uint64
	if last != "" {
		n, err := strconv.ParseUint(last, 10, 64)
		if err != nil || n == math.MaxUint64 {
			writeError(w, http.StatusBadRequest, CodeBadRequest, fmt.Sprintf("last event id %s: want the id of an event of this stream (a whole number)", store.Echo(last)))
			return
		}
		from = n + 1
	}
	select {
	case s.streams <- struct{}{}:
		defer func() { <-s.streams }()
	default:
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(s.cfg.RetryAfter/time.Second))))
		writeError(w, http.StatusServiceUnavailable, CodeBusy, fmt.Sprintf("%d event streams are open, the most this server keeps; retry shortly", cap(s.streams)))
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	evs, errs, err := s.cfg.Watches.Subscribe(ctx, id, from)
	if err != nil {
		s.watchError(w, r, err)
		return
	}
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	// The stream outlives the server's write timeout: each write gets its
	// own deadline.
	write := func(b []byte) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(s.cfg.ExportWriteTimeout))
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !write([]byte(": newswatch events of watch " + id + "\nretry: 3000\n\n")) {
		return
	}
	beat := time.NewTicker(SSEHeartbeat)
	defer beat.Stop()
	var buf bytes.Buffer
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.streamsDone:
			return
		case <-beat.C:
			if !write([]byte(": heartbeat\n\n")) {
				return
			}
		case err := <-errs:
			s.logger(r).Warn("event stream ended", zap.Error(err))
			return
		case ev, ok := <-evs:
			if !ok {
				return
			}
			buf.Reset()
			data, _ := json.Marshal(ev)
			fmt.Fprintf(&buf, "id: %s\nevent: %s\ndata: %s\n\n", ev.ID, ev.Kind, data)
			if !write(buf.Bytes()) {
				return
			}
		}
	}
}
