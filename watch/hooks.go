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

// handle delivers the events of one message of WATCH_EVENTS in the
// background; each delivery attempt waits for one of Workers slots.
func (h *hookSender) handle(ctx context.Context, m jetstream.Msg) {
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		h.deliver(ctx, m)
	}()
}

func (h *hookSender) wait() { h.wg.Wait() }

// deliver delivers the events of m to the webhooks of their watches. A
// watch's own event, or a retry, is acked once delivered (or its watch
// has no webhook, or is gone), retried later by a delayed negative ack, or
// dead-lettered after the last attempt. A matches message is delivered to
// every webhook of its watches at once; a delivery that fails continues
// from a retry message of its own, and m is acked once those are
// published (if that fails, m is delivered again later, and so are the
// deliveries that had succeeded: webhooks are at least once, their
// receivers tell repeats by Newswatch-Event-Id).
func (h *hookSender) deliver(ctx context.Context, m jetstream.Msg) {
	md, err := m.Metadata()
	if err != nil {
		_ = m.Ack()
		return
	}
	evs, err := EventsOf(m.Subject(), m.Data(), md.Sequence.Stream)
	if err != nil {
		h.log.Warn("skipping a message that holds no watch event", zap.String("subject", m.Subject()), zap.Error(err))
		_ = m.Ack()
		return
	}
	if strings.HasPrefix(m.Subject(), bus.WatchRetriesPrefix) {
		// Its first delivery waits out the back-off after the attempts
		// made before it was published; each later one is an attempt.
		before, _ := strconv.Atoi(m.Headers().Get(headerAttempts))
		before = max(before, 1)
		if md.NumDelivered <= 1 {
			_ = m.NakWithDelay(h.cfg.Backoff.Delay(before - 1))
			return
		}
		h.deliverOne(ctx, m, evs[0], before+int(md.NumDelivered)-1)
		return
	}
	if m.Subject() != bus.WatchMatchesSubject {
		h.deliverOne(ctx, m, evs[0], int(md.NumDelivered))
		return
	}
	var (
		mu     sync.Mutex
		failed []*nats.Msg
		wg     sync.WaitGroup
	)
	for _, ev := range evs {
		w, ok := h.watch(ev.Watch)
		if !ok || w.Webhook == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := h.send(ctx, m, w, ev)
			if err == nil || ctx.Err() != nil {
				return
			}
			var next *nats.Msg
			if h.cfg.Attempts > 1 {
				h.log.Info("webhook failed; retrying", zap.String("watch", w.ID), zap.String("event", ev.ID), zap.Int("attempt", 1), zap.Error(err))
				next, err = retryMsg(ev, 1)
			} else {
				next, err = h.deadMsg(w, ev, 1, err)
			}
			if err != nil {
				h.log.Error("webhook delivery dropped: its retry cannot be made", zap.String("watch", w.ID), zap.String("event", ev.ID), zap.Error(err))
				return
			}
			mu.Lock()
			failed = append(failed, next)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		_ = m.Nak()
		return
	}
	for _, next := range failed {
		if err := h.publish(ctx, next); err != nil {
			h.log.Warn("webhook retry not published; delivering the events again later", zap.String("subject", next.Subject), zap.Error(err))
			_ = m.NakWithDelay(h.cfg.Backoff.Delay(int(md.NumDelivered) - 1))
			return
		}
	}
	_ = m.Ack()
}

// deliverOne makes attempt number attempt of the one event of m.
func (h *hookSender) deliverOne(ctx context.Context, m jetstream.Msg, ev Event, attempt int) {
	w, ok := h.watch(ev.Watch)
	if !ok || w.Webhook == nil {
		_ = m.Ack()
		return
	}
	err := h.send(ctx, m, w, ev)
	if err == nil {
		_ = m.Ack()
		return
	}
	if ctx.Err() != nil {
		_ = m.Nak()
		return
	}
	if attempt < h.cfg.Attempts {
		delay := h.cfg.Backoff.Delay(attempt - 1)
		h.log.Info("webhook failed; retrying", zap.String("watch", w.ID), zap.String("event", ev.ID), zap.Int("attempt", attempt), zap.Duration("in", delay), zap.Error(err))
		_ = m.NakWithDelay(delay)
		return
	}
	dead, err := h.deadMsg(w, ev, attempt, err)
	if err == nil {
		err = h.publish(ctx, dead)
	}
	if err != nil {
		h.log.Warn("dead letter not published; retrying the delivery", zap.Error(err))
		_ = m.NakWithDelay(h.cfg.Backoff.Delay(attempt))
		return
	}
	_ = m.Ack()
}

// send makes one delivery attempt of ev to w's webhook, in one of the
// Workers slots; m is kept from redelivery meanwhile, also while it waits
// for a slot behind slow webhooks.
func (h *hookSender) send(ctx context.Context, m jetstream.Msg, w Watch, ev Event) error {
	keep := time.NewTicker(h.cfg.Timeout)
	defer keep.Stop()
wait:
	for {
		select {
		case h.slots <- struct{}{}:
			break wait
		case <-keep.C:
			_ = m.InProgress()
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	defer func() { <-h.slots }()
	_ = m.InProgress()
	body, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	return h.post(ctx, w, ev, body)
}

// deadMsg is the WATCH_DEAD message of ev, whose delivery to w failed
// attempts times, the last with cause.
func (h *hookSender) deadMsg(w Watch, ev Event, attempts int, cause error) (*nats.Msg, error) {
	h.log.Warn("webhook failed every attempt; event dead-lettered", zap.String("watch", w.ID), zap.String("event", ev.ID), zap.Int("attempts", attempts), zap.Error(cause))
	body, err := json.Marshal(ev)
	if err != nil {
		return nil, err
	}
	dead := nats.NewMsg(bus.WatchDeadPrefix + w.ID)
	dead.Data = body
	dead.Header.Set(HeaderDeadError, oneLine(cause.Error()))
	dead.Header.Set(HeaderDeadAttempts, strconv.Itoa(attempts))
	dead.Header.Set(HeaderDeadURL, w.Webhook.URL)
	dead.Header.Set(jetstream.MsgIDHeader, "dead:"+w.ID+":"+ev.ID)
	return dead, nil
}

// publish puts a retry or dead letter on its stream.
func (h *hookSender) publish(ctx context.Context, msg *nats.Msg) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err := h.js.PublishMsg(ctx, msg)
	return err
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
