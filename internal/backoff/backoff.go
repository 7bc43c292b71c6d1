// Package backoff is the one retry back-off of newswatch: exponential
// delays, capped and optionally jittered, and a sleep that ends early when
// the context is done. The crawler (fetch retries, robots.txt), the bus
// (publish retries) and the indexer (fetch errors, consumer creation, store
// outages) all wait with it.
//
//	b := backoff.Policy{Initial: 100 * time.Millisecond, Max: 5 * time.Second}.Start()
//	for {
//		if err := try(); err == nil {
//			break
//		}
//		if !b.Wait(ctx) {
//			return ctx.Err()
//		}
//	}
package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// maxShift bounds the doubling, so that Initial<<attempt cannot overflow.
const maxShift = 20

// Policy describes a back-off: retry number n (0-based) waits Initial
// doubled n times, at most Max (0: no cap), plus a random extra of up to
// Jitter times that delay (0: none; 0.5: up to half again).
type Policy struct {
	Initial time.Duration
	Max     time.Duration
	Jitter  float64
}

// Delay is the wait before retry number attempt (0-based).
func (p Policy) Delay(attempt int) time.Duration {
	if p.Initial <= 0 {
		return 0
	}
	d := p.Initial << min(max(attempt, 0), maxShift)
	if d < p.Initial { // overflow
		d = p.Max
	}
	if p.Max > 0 && d > p.Max {
		d = p.Max
	}
	if p.Jitter > 0 {
		d += rand.N(time.Duration(float64(d)*p.Jitter) + 1)
	}
	return d
}

// Start returns a back-off that counts its own attempts.
func (p Policy) Start() *Backoff { return &Backoff{p: p} }

// Backoff is a running sequence of retries of one Policy. It is not safe
// for concurrent use.
type Backoff struct {
	p       Policy
	attempt int
}

// Next returns the next delay and counts the attempt.
func (b *Backoff) Next() time.Duration {
	d := b.p.Delay(b.attempt)
	b.attempt++
	return d
}

// Wait sleeps for the next delay; it reports false, early, when ctx is done.
func (b *Backoff) Wait(ctx context.Context) bool { return Sleep(ctx, b.Next()) }

// Reset starts the sequence again from Initial (after a success).
func (b *Backoff) Reset() { b.attempt = 0 }

// Sleep sleeps for d or until ctx is done; it reports whether the full
// sleep happened (false at once when ctx is already done).
func Sleep(ctx context.Context, d time.Duration) bool {
	if ctx.Err() != nil {
		return false
	}
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
