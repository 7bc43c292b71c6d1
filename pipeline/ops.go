package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"

	"github.com/newswatch/newswatch/api"
)

// listenOps takes the MetricsListen address first, so that a busy port
// fails the start at once.
func (p *Pipeline) listenOps() error {
	if p.cfg.MetricsListen == "" {
		return nil
	}
	if p.cfg.Parts.Serve {
		return errors.New("metrics listen address: the API serves /metrics, /healthz and /readyz already")
	}
	ln, err := net.Listen("tcp", p.cfg.MetricsListen)
	if err != nil {
		return fmt.Errorf("metrics: cannot listen on %s: %w", p.cfg.MetricsListen, listenCause(err))
	}
	p.opsLn = ln
	return nil
}

// startOps serves /healthz, /readyz and /metrics on the MetricsListen
// address, with the same answers as the API's: /readyz is 503 with a JSON
// error while the store or NATS is unavailable or the indexer is paused.
func (p *Pipeline) startOps() {
	if p.opsLn == nil {
		return
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(p.registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		opsJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		err := p.ready(ctx)
		if err == nil && p.store != nil {
			if perr := p.store.Ping(ctx); perr != nil {
				err = fmt.Errorf("store not ready: %w", perr)
			}
		}
		if err != nil {
			opsJSON(w, http.StatusServiceUnavailable, map[string]any{"error": map[string]string{"code": api.CodeUnavailable, "message": "not ready: " + err.Error()}})
			return
		}
		opsJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		opsJSON(w, http.StatusNotFound, map[string]any{"error": map[string]string{"code": api.CodeNotFound, "message": "this process serves /healthz, /readyz and /metrics only"}})
	})
	p.ops = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
	go func() {
		if err := p.ops.Serve(p.opsLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			p.log.Error("metrics server stopped", zap.Error(err))
		}
	}()
	p.log.Info("metrics listening", zap.String("addr", "http://"+p.opsLn.Addr().String()))
}

// MetricsAddr is the address /metrics is served on by a process without
// the API, or "".
func (p *Pipeline) MetricsAddr() string {
	if p.opsLn == nil {
		return ""
	}
	return p.opsLn.Addr().String()
}

func opsJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
