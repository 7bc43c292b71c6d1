package indexer

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	messages     *prometheus.CounterVec
	batches      prometheus.Counter
	putErrors    prometheus.Counter
	batchSeconds prometheus.Histogram
	batchSize    prometheus.Histogram

	storeUp       prometheus.Gauge
	outages       prometheus.Counter
	outageRetries prometheus.Counter
}

// newMetrics creates the indexer's metrics and registers them on reg when
// it is not nil.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "newswatch", Subsystem: "indexer", Name: "messages_total",
			Help: "Messages settled by the indexer, by result: indexed (acked after the store confirmed), superseded (indexed, replaced in its batch by a newer version), retried, dead_lettered.",
		}, []string{"result"}),
		batches: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "newswatch", Subsystem: "indexer", Name: "batches_total",
			Help: "Batches written to the store.",
		}),
		putErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "newswatch", Subsystem: "indexer", Name: "put_errors_total",
			Help: "Store writes that returned an error (whole or partial).",
		}),
		batchSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "newswatch", Subsystem: "indexer", Name: "batch_duration_seconds",
			Help:    "Time to decode, store and settle one fetched batch.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
		}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "newswatch", Subsystem: "indexer", Name: "batch_messages",
			Help:    "Messages per fetched batch.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 14),
		}),
	}
	m.storeUp = prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: "newswatch", Subsystem: "indexer", Name: "store_up",
		Help: "1 while the store takes the indexer's writes, 0 during an outage (indexing paused, batch held).",
	})
	m.outages = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: "newswatch", Subsystem: "indexer", Name: "store_outages_total",
		Help: "Store outages the indexer went through (writes failing while the store was unavailable).",
	})
	m.outageRetries = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: "newswatch", Subsystem: "indexer", Name: "store_outage_retries_total",
		Help: "Writes of a held batch retried during store outages (spaced by back-off).",
	})
	for _, l := range []string{"indexed", "superseded", "retried", "dead_lettered"} {
		m.messages.WithLabelValues(l)
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.messages, m.batches, m.putErrors, m.batchSeconds, m.batchSize} {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) {
				return nil, fmt.Errorf("indexer metrics: already registered (one indexer per registry): %w", err)
			}
			return nil, fmt.Errorf("indexer metrics: %w", err)
		}
	}
	return m, nil
}
