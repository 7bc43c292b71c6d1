package api

import (
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/newswatch/newswatch/internal/promreg"
)

// metrics are the API's Prometheus metrics. A nil *metrics records
// nothing (no Config.Registerer).
type metrics struct {
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	inFlight    prometheus.Gauge
	exportRows  *prometheus.CounterVec
	exportBytes *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	var err error
	m := &metrics{}
	if m.requests, err = promreg.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "newswatch_http_requests_total",
		Help: "HTTP requests answered by the API, by route (the path pattern; \"unmatched\" for no route) and status code.",
	}, []string{"route", "code"})); err != nil {
		return nil, err
	}
	if m.duration, err = promreg.Register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "newswatch_http_request_duration_seconds",
		Help:    "Time from a request's arrival to the end of its answer, by route.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300},
	}, []string{"route"})); err != nil {
		return nil, err
	}
	if m.inFlight, err = promreg.Register(reg, prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "newswatch_http_requests_in_flight",
		Help: "Requests the API is answering now.",
	})); err != nil {
		return nil, err
	}
	if m.exportRows, err = promreg.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "newswatch_export_rows_total",
		Help: "Articles written by exports, by format.",
	}, []string{"format"})); err != nil {
		return nil, err
	}
	if m.exportBytes, err = promreg.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "newswatch_export_bytes_total",
		Help: "Bytes written by exports, by format.",
	}, []string{"format"})); err != nil {
		return nil, err
	}
	return m, nil
}

// routeLabel is the route label of a request: the path of the pattern
// the mux chose ("GET /v1/articles/{id}" gives "/v1/articles/{id}"), so
// that article IDs and other input never become label values.
func routeLabel(pattern string) string {
	if pattern == "" {
		return "unmatched"
	}
	if _, path, ok := strings.Cut(pattern, " "); ok {
		return path
	}
	return pattern
}

func (m *metrics) begin() {
	if m != nil {
		m.inFlight.Inc()
	}
}

func (m *metrics) done(route string, status int, took time.Duration) {
	if m == nil {
		return
	}
	m.inFlight.Dec()
	if status == 0 {
		status = 200
	}
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route).Observe(took.Seconds())
}

func (m *metrics) exported(format string, rows, bytes int64) {
	if m == nil {
		return
	}
	m.exportRows.WithLabelValues(format).Add(float64(rows))
	m.exportBytes.WithLabelValues(format).Add(float64(bytes))
}
