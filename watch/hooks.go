package watch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/newswatch/newswatch/bus"
	"github.com/newswatch/newswatch/internal/netguard"
)

// Headers of a webhook dead letter in WATCH_DEAD (the body is the event).
const (
	HeaderDeadError    = "Newswatch-Dead-Error"
	HeaderDeadAttempts = "Newswatch-Dead-Attempts"
	HeaderDeadURL      = "Newswatch-Dead-Url"
)

// hookSender delivers the events of WATCH_EVENTS to the watches'
// webhooks.
type hookSender struct {
	cfg    HookConfig
	js     jetstream.JetStream
	watch  func(id string) (Watch, bool)
	client *http.Client
	log    *zap.Logger
	slots  chan struct{}
	wg     sync.WaitGroup
}

func newHookSender(cfg HookConfig, js jetstream.JetStream, watch func(string) (Watch, bool), log *zap.Logger) *hookSender {
	dialer := cfg.Targets.PolicyDialer(&net.Dialer{Timeout: cfg.Timeout})
	return &hookSender{cfg: cfg, js: js, watch: watch, log: log.Named("webhooks"), slots: make(chan struct{}, cfg.Workers),
		client: NewHookClient(cfg.Targets, cfg.Timeout, cfg.Redirects, dialer)}
}

// NewHookClient is the HTTP client of webhook deliveries: connections only
// where policy allows (checked after name resolution, for every redirect
// too), no proxy (it would hide the address), at most redirects redirects
// to http or https URLs, each attempt within timeout.
func NewHookClient(policy netguard.Policy, timeout time.Duration, redirects int, dialer *net.Dialer) *http.Client {
	if dialer == nil {
		dialer = policy.PolicyDialer(&net.Dialer{Timeout: timeout})
	}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{Proxy: nil, DialContext: dialer.DialContext, ForceAttemptHTTP2: true,
			TLSHandshakeTimeout: timeout, MaxIdleConnsPerHost: 4, IdleConnTimeout: time.Minute},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > redirects {
				return fmt.Errorf("stopped after %d redirects", redirects)
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return fmt.Errorf("redirect to %s: not http or https", req.URL.Scheme)
			}
			if err := policy.CheckHost(req.URL.Hostname()); err != nil {
				return fmt.Errorf("redirect to %s: %w", req.URL.Host, refusal(err))
			}
			return nil
		},
	}
}

// handle delivers one event in a worker; the message is acked once it is
// delivered (or its watch has no webhook, or is gone), retried later by a
// delayed negative ack, or dead-lettered after the last attempt.
func (h *hookSender) handle(ctx context.Context, m jetstream.Msg) {
	select {
	case h.slots <- struct{}{}:
	case <-ctx.Done():
		return
	}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		defer func() { <-h.slots }()
		h.deliver(ctx, m)
	}()
}

func (h *hookSender) wait() { h.wg.Wait() }

func (h *hookSender) deliver(ctx context.Context, m jetstream.Msg) {
	id := strings.TrimPrefix(m.Subject(), bus.WatchEventsPrefix)
	w, ok := h.watch(id)
	if !ok || w.Webhook == nil {
		_ = m.Ack()
		return
	}
	md, err := m.Metadata()
	if err != nil {
		_ = m.Ack()
		return
	}
	var ev Event
	if err := json.Unmarshal(m.Data(), &ev); err != nil {
		_ = m.Ack()
		return
	}
	ev.ID = strconv.FormatUint(md.Sequence.Stream, 10)
	body, _ := json.Marshal(ev)
	err = h.post(ctx, w, ev, body)
	if err == nil {
		_ = m.Ack()
		return
	}
	if ctx.Err() != nil {
		_ = m.Nak()
		return
	}
	attempt := int(md.NumDelivered)
	if attempt < h.cfg.Attempts {
		delay := h.cfg.Backoff.Delay(attempt - 1)
		h.log.Info("webhook failed; retrying", zap.String("watch", w.ID), zap.String("event", ev.ID), zap.Int("attempt", attempt), zap.Duration("in", delay), zap.Error(err))
		_ = m.NakWithDelay(delay)
		return
	}
	h.log.Warn("webhook failed every attempt; event dead-lettered", zap.String("watch", w.ID), zap.String("event", ev.ID), zap.Int("attempts", attempt), zap.Error(err))
	dead := nats.NewMsg(bus.WatchDeadPrefix + w.ID)
	dead.Data = body
	dead.Header.Set(HeaderDeadError, oneLine(err.Error()))
	dead.Header.Set(HeaderDeadAttempts, strconv.Itoa(attempt))
	dead.Header.Set(HeaderDeadURL, w.Webhook.URL)
	dead.Header.Set(jetstream.MsgIDHeader, "dead:"+ev.ID)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, perr := h.js.PublishMsg(pctx, dead, jetstream.WithExpectStream(bus.StreamWatchDead)); perr != nil {
		h.log.Warn("dead letter not published; retrying the delivery", zap.Error(perr))
		_ = m.NakWithDelay(h.cfg.Backoff.Delay(attempt))
		return
	}
	_ = m.Ack()
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 1024 {
		s = s[:1024]
	}
	return s
}

// ErrHookStatus is wrapped by the error of a delivery answered with a
// status other than 2xx.
var ErrHookStatus = errors.New("webhook answered")

// post sends one signed delivery.
func (h *hookSender) post(ctx context.Context, w Watch, ev Event, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, h.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.Webhook.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "newswatch-webhook/1")
	req.Header.Set(HeaderSignature, Sign(w.Webhook.Secret, time.Now(), body))
	req.Header.Set(HeaderEventID, ev.ID)
	req.Header.Set(HeaderEventKind, ev.Kind)
	req.Header.Set(HeaderWatch, w.ID)
	resp, err := h.client.Do(req)
	if err != nil {
		if errors.Is(err, netguard.ErrPrivateAddress) || errors.Is(err, netguard.ErrPublicAddress) {
			return fmt.Errorf("%w: %w", ErrRefusedTarget, refusal(err))
		}
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%w %s", ErrHookStatus, resp.Status)
	}
	return nil
}
