package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/newswatch/newswatch/crawler/health"
)

// outletsFake serves fixed health records.
type outletsFake struct {
	recs []health.Outlet
	err  error
}

func (f outletsFake) Outlets(context.Context) ([]health.Outlet, error) { return f.recs, f.err }

func (f outletsFake) Outlet(_ context.Context, id string) (health.Outlet, error) {
	if f.err != nil {
		return health.Outlet{}, f.err
	}
	for _, o := range f.recs {
		if o.ID == id {
			return o, nil
		}
	}
	return health.Outlet{}, fmt.Errorf("%w: %q", ErrUnknownOutlet, id)
}

func TestOutletHealth(t *testing.T) {
	since := time.Date(2025, 2, 20, 10, 0, 0, 0, time.UTC)
	recs := []health.Outlet{
		{ID: "report", Status: health.Defaced, StatusSince: since, Reason: "the home page was replaced", Requests: 12},
		{ID: "caliber", Status: health.Up, StatusSince: since, Requests: 40, ArticlesNew: 3},
	}
	e := newEnv(t, Config{Outlets: outletsFake{recs: recs}}, nil)
	resp, body := e.do(t, "GET", "/v1/outlets")
	var list struct {
		Outlets []health.Outlet `json:"outlets"`
	}
	if resp.StatusCode != 200 || json.Unmarshal(body, &list) != nil || len(list.Outlets) != 2 ||
		list.Outlets[0].ID != "caliber" || list.Outlets[1].Status != health.Defaced {
		t.Fatalf("GET /v1/outlets: %d %s", resp.StatusCode, body)
	}
	resp, body = e.do(t, "GET", "/v1/outlets/report")
	var one struct {
		Outlet health.Outlet `json:"outlet"`
	}
	if resp.StatusCode != 200 || json.Unmarshal(body, &one) != nil || one.Outlet.Reason == "" || !one.Outlet.StatusSince.Equal(since) {
		t.Fatalf("GET /v1/outlets/report: %d %s", resp.StatusCode, body)
	}
	for _, tc := range []errCase{
		{"GET", "/v1/outlets/nope", http.StatusNotFound, CodeNotFound, "nope"},
		{"GET", "/v1/outlets/Bad.Id", http.StatusBadRequest, CodeBadRequest, "outlet id"},
		{"GET", "/v1/outlets/dead", http.StatusBadRequest, CodeBadRequest, "outlet id"},
		{"GET", "/v1/outlets?x=1", http.StatusBadRequest, CodeBadRequest, "no parameters"},
		{"GET", "/v1/outlets/caliber?verbose=1", http.StatusBadRequest, CodeBadRequest, "no parameters"},
		{"POST", "/v1/outlets", http.StatusMethodNotAllowed, CodeMethodNotAllowed, "GET"},
	} {
		checkError(t, e, tc)
	}
	// Without a source (an API without NATS) and with a failing one: 503.
	for _, cfg := range []Config{{}, {Outlets: outletsFake{err: errors.New("kv: timeout")}}} {
		e := newEnv(t, cfg, nil)
		checkError(t, e, errCase{"GET", "/v1/outlets", http.StatusServiceUnavailable, CodeUnavailable, "outlet health"})
		checkError(t, e, errCase{"GET", "/v1/outlets/caliber", http.StatusServiceUnavailable, CodeUnavailable, "outlet health"})
	}
}
