package indexer

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// ErrStoreUnavailable is wrapped by Indexer.Ready while the store is down:
// the indexer holds its batch and retries with back-off.
var ErrStoreUnavailable = errors.New("store unavailable")

// StoreState is the indexer's view of the store, from its writes.
type StoreState struct {
	// Up is false from the first write that found the store unavailable
	// (Ping failed, or the store said its error was temporary) until a
	// write works again.
	Up bool `json:"up"`
	// Since is when the current outage began (zero while up).
	Since time.Time `json:"since,omitzero"`
	// Err is the store's last error during the current outage.
	Err string `json:"error,omitempty"`
	// Held is how many messages wait in the held batch.
	Held int `json:"held"`
	// Outages counts the outages since the indexer was made.
	Outages uint64 `json:"outages"`
	// Downtime is the time the store was down since then, the current
	// outage included.
	Downtime time.Duration `json:"downtime"`
}

// storeHealth tracks outages of the store as the indexer's writes see
// them.
type storeHealth struct {
	metrics *metrics

	mu       sync.Mutex
	since    time.Time // zero while up
	err      string
	held     int
	outages  uint64
	downtime time.Duration // of finished outages
}

func (h *storeHealth) down(log *zap.Logger, err error, held int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.err, h.held = err.Error(), held
	if !h.since.IsZero() {
		return
	}
	h.since = time.Now()
	h.outages++
	h.metrics.storeUp.Set(0)
	h.metrics.outages.Inc()
	log.Error("store unavailable: indexing paused, batch held", zap.Error(err), zap.Int("held", held))
}

func (h *storeHealth) up(log *zap.Logger) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.since.IsZero() {
		return
	}
	d := time.Since(h.since)
	h.downtime += d
	h.since, h.err, h.held = time.Time{}, "", 0
	h.metrics.storeUp.Set(1)
	log.Info("store available again: indexing resumed", zap.Duration("outage", d))
}

// release forgets the held batch (handed back at shutdown); the outage
// goes on until a write works.
func (h *storeHealth) release() {
	h.mu.Lock()
	h.held = 0
	h.mu.Unlock()
}

func (h *storeHealth) state() StoreState {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := StoreState{Up: h.since.IsZero(), Since: h.since, Err: h.err, Held: h.held, Outages: h.outages, Downtime: h.downtime}
	if !s.Up {
		s.Downtime += time.Since(h.since)
	}
	return s
}

// StoreState returns the indexer's view of the store.
func (ix *Indexer) StoreState() StoreState { return ix.health.state() }

// Ready reports whether the indexer can index: an error wrapping
// ErrStoreUnavailable while the store is down.
func (ix *Indexer) Ready(context.Context) error {
	s := ix.health.state()
	if s.Up {
		return nil
	}
	return fmt.Errorf("%w for %v (since %s): %s; %d messages held, retrying with back-off",
		ErrStoreUnavailable, time.Since(s.Since).Round(time.Second), s.Since.UTC().Format(time.RFC3339), s.Err, s.Held)
}

// registerHealth registers the outage metrics that read h.
func (m *metrics) registerHealth(reg prometheus.Registerer, h *storeHealth) error {
	m.storeUp.Set(1)
	if reg == nil {
		return nil
	}
	for _, c := range []prometheus.Collector{
		m.storeUp, m.outages, m.outageRetries,
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: "newswatch", Subsystem: "indexer", Name: "store_down_seconds_total",
			Help: "Seconds the store was unavailable to the indexer, the current outage included.",
		}, func() float64 { return h.state().Downtime.Seconds() }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: "newswatch", Subsystem: "indexer", Name: "held_messages",
			Help: "Messages held in the indexer's batch while the store is unavailable.",
		}, func() float64 { return float64(h.state().Held) }),
	} {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("indexer metrics: %w", err)
		}
	}
	return nil
}
