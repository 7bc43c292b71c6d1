package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"

	"go.uber.org/zap"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/crawler/health"
	"github.com/newswatch/newswatch/store"
)

// ErrUnknownOutlet is wrapped by an OutletSource for an outlet it holds no
// health record of.
var ErrUnknownOutlet = errors.New("unknown outlet")

// OutletSource gives GET /v1/outlets the health of the watched outlets
// (the pipeline reads the records the crawlers keep in the outlet_state
// bucket).
type OutletSource interface {
	// Outlets returns every outlet's health record.
	Outlets(ctx context.Context) ([]health.Outlet, error)
	// Outlet returns one, or an error wrapping ErrUnknownOutlet.
	Outlet(ctx context.Context, id string) (health.Outlet, error)
}

// outletList is the answer of GET /v1/outlets.
type outletList struct {
	Outlets []health.Outlet `json:"outlets"`
}

// outletOne is the answer of GET /v1/outlets/{id}.
type outletOne struct {
	Outlet health.Outlet `json:"outlet"`
}

func (s *Server) outletsUnavailable(w http.ResponseWriter) bool {
	if s.cfg.Outlets != nil {
		return false
	}
	writeError(w, http.StatusServiceUnavailable, CodeUnavailable,
		"outlet health is not available from this process: it reads the crawlers' records from NATS, and this API runs without a NATS connection")
	return true
}

func (s *Server) outletError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, ErrUnknownOutlet):
		writeError(w, http.StatusNotFound, CodeNotFound, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		writeError(w, http.StatusServiceUnavailable, CodeTimeout, "outlet health did not come within "+s.cfg.RequestTimeout.String())
	default:
		s.logger(r).Error("outlet health", zap.Error(err))
		writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "outlet health unavailable; it has been logged (request "+requestID(r)+")")
	}
}

// outlets answers GET /v1/outlets: the health of every outlet, by ID.
func (s *Server) outlets(w http.ResponseWriter, r *http.Request) {
	if s.outletsUnavailable(w) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
	defer cancel()
	list, err := s.cfg.Outlets.Outlets(ctx)
	if err != nil {
		s.outletError(w, r, err)
		return
	}
	sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	if list == nil {
		list = []health.Outlet{}
	}
	writeJSON(w, http.StatusOK, outletList{Outlets: list})
}

// outlet answers GET /v1/outlets/{id}.
func (s *Server) outlet(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := article.ValidateOutlet(id); err != nil {
		writeError(w, http.StatusBadRequest, CodeBadRequest, fmt.Sprintf("outlet id %s: %v", store.Echo(id), err))
		return
	}
	if s.outletsUnavailable(w) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
	defer cancel()
	o, err := s.cfg.Outlets.Outlet(ctx, id)
	if err != nil {
		s.outletError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, outletOne{Outlet: o})
}
