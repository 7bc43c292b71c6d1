package crawler

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the crawler's per-outlet Prometheus metrics.
type metrics struct {
	requests    *prometheus.CounterVec
	articles    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	lastSuccess *prometheus.GaugeVec
	status      *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "newswatch", Subsystem: "crawler", Name: "requests_total",
			Help: "HTTP requests to outlets by result: ok, not_modified, redirect, http_4xx, http_5xx, rate_limited, too_large, timeout, reset, network."},
			[]string{"outlet", "result"}),
		articles: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "newswatch", Subsystem: "crawler", Name: "articles_total",
			Help: "Article versions published: kind new (first versions) or updated (edits)."}, []string{"outlet", "kind"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "newswatch", Subsystem: "crawler", Name: "fetch_duration_seconds",
			Help:    "Time of one HTTP request to an outlet, body included.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}, []string{"outlet"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "newswatch", Subsystem: "crawler", Name: "last_success_timestamp_seconds",
			Help: "Unix time of the last successful fetch (2xx or 304) from the outlet."}, []string{"outlet"}),
		status: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "newswatch", Subsystem: "crawler", Name: "outlet_status",
			Help: "1 for the outlet's current health status (up, degraded, layout-changed, defaced, down), 0 for the others."},
			[]string{"outlet", "status"}),
	}
	var errs []error
	for _, c := range []prometheus.Collector{m.requests, m.articles, m.latency, m.lastSuccess, m.status} {
		if err := reg.Register(c); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("crawler metrics: %w", err)
	}
	return m, nil
}
