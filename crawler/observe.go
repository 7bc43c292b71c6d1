package crawler

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/newswatch/newswatch/crawler/health"
)

// healthMemory is the OutletStore record "memory" of an outlet: what its
// health tracker carries over a restart or a takeover.
type healthMemory struct {
	Health health.Memory `json:"health"`
}

// failKind says whether a request result counts as a failure for health,
// and as which: every error, 429 and 5xx; a 4xx only for discovery
// documents and robots.txt (an article page that is gone is no failure of
// the outlet).
func failKind(kind string, r result) string {
	switch r {
	case "ok", "not_modified", "redirect":
		return ""
	case "http_4xx":
		if kind == kindArticle {
			return ""
		}
	}
	return string(r)
}

// observe records the outcome of one request in the outlet's health and
// metrics.
func (o *outlet) observe(kind string, r result, latency time.Duration) {
	now := time.Now()
	o.health.Request(now, failKind(kind, r), latency)
	if m := o.metrics; m != nil {
		id := o.cfg.ID
		m.requests.WithLabelValues(id, string(r)).Inc()
		m.latency.WithLabelValues(id).Observe(latency.Seconds())
		if r == "ok" || r == "not_modified" {
			m.lastSuccess.WithLabelValues(id).Set(float64(now.UnixNano()) / 1e9)
		}
	}
}

// problem records trouble other than a failed request.
func (o *outlet) problem(kind string) {
	o.health.Problem(time.Now(), kind)
}

// articlePublished records a published article version.
func (o *outlet) articlePublished(at time.Time, isNew bool, published *time.Time) {
	o.health.Article(at, isNew, published)
	if m := o.metrics; m != nil {
		k := "updated"
		if isNew {
			k = "new"
		}
		m.articles.WithLabelValues(o.cfg.ID, k).Inc()
	}
}

// statusChanged returns the tracker callback of o: it logs the change,
// sets the status metric and hands the event on.
func (c *Crawler) statusChanged(o *outlet) func(health.Event) {
	return func(ev health.Event) {
		lvl := o.log.Warn
		if ev.To == health.Up {
			lvl = o.log.Info
		}
		lvl("outlet status changed", zap.String("from", string(ev.From)), zap.String("to", string(ev.To)), zap.String("reason", ev.Reason))
		if m := c.metrics; m != nil {
			for _, s := range health.Statuses {
				v := 0.0
				if s == ev.To {
					v = 1
				}
				m.status.WithLabelValues(o.cfg.ID, string(s)).Set(v)
			}
		}
		if c.onEvent != nil {
			c.onEvent(ev)
		}
		// The record readers see changes with the status, not only when
		// the pass ends.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		c.saveHealth(ctx, o)
		cancel()
	}
}

// saveHealth stores the outlet's health record ("health", read by the API)
// and its tracker's memory ("memory").
func (c *Crawler) saveHealth(ctx context.Context, o *outlet) {
	h := o.health.Snapshot(time.Now())
	h.Crawler = c.name
	if err := c.store.Save(ctx, o.cfg.ID, "health", h); err != nil {
		o.log.Warn("outlet health not saved", zap.Error(err))
		return
	}
	if err := c.store.Save(ctx, o.cfg.ID, "memory", healthMemory{Health: o.health.Memory()}); err != nil {
		o.log.Warn("outlet health memory not saved", zap.Error(err))
	}
}
