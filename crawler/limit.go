package crawler

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// hostLimiter is the politeness of one host, shared by every pass over
// the outlet (and so by discovery, article fetches, rechecks and
// robots.txt): at most par requests in flight, and each of the par slots
// rests delay (plus up to jitter) after its request ends before it takes
// the next one. So at most par requests start in any span of delay. A
// robots.txt Crawl-delay d makes it one slot resting max(delay, d).
type hostLimiter struct {
	mu       sync.Mutex
	par      int
	delay    time.Duration
	jitter   time.Duration
	cfgPar   int
	cfgDelay time.Duration
	ready    []time.Time // free slots, each usable from its time on
	busy     int
	changed  chan struct{} // closed when a slot frees or the settings change
}

func newHostLimiter(r Rate) *hostLimiter {
	par := max(1, r.Parallelism)
	return &hostLimiter{par: par, delay: r.Delay, jitter: r.RandomDelay, cfgPar: par, cfgDelay: r.Delay,
		ready: make([]time.Time, par), changed: make(chan struct{})}
}

// setCrawlDelay applies a robots.txt Crawl-delay (0: none).
func (l *hostLimiter) setCrawlDelay(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	par, delay := l.cfgPar, l.cfgDelay
	if d > 0 {
		par, delay = 1, max(l.cfgDelay, d)
	}
	if par == l.par && delay == l.delay {
		return
	}
	l.par, l.delay = par, delay
	// The request that brought the news (robots.txt) just ended: every
	// slot rests the new delay from now.
	rested := time.Now().Add(delay)
	for i, t := range l.ready {
		if t.Before(rested) {
			l.ready[i] = rested
		}
	}
	for l.busy+len(l.ready) < par {
		l.ready = append(l.ready, rested)
	}
	for l.busy+len(l.ready) > par && len(l.ready) > 0 {
		l.ready = l.ready[:len(l.ready)-1]
	}
	l.wake()
}

func (l *hostLimiter) wake() {
	close(l.changed)
	l.changed = make(chan struct{})
}

// acquire waits for a rested slot; release must follow a nil return.
func (l *hostLimiter) acquire(ctx context.Context) error {
	for {
		l.mu.Lock()
		now := time.Now()
		var wait time.Duration
		if len(l.ready) > 0 {
			best := 0
			for i, t := range l.ready {
				if t.Before(l.ready[best]) {
					best = i
				}
			}
			if t := l.ready[best]; now.Before(t) {
				wait = t.Sub(now)
			} else {
				l.ready = append(l.ready[:best], l.ready[best+1:]...)
				l.busy++
				l.mu.Unlock()
				return nil
			}
		}
		ch := l.changed
		l.mu.Unlock()
		var t *time.Timer
		var timer <-chan time.Time
		if wait > 0 {
			t = time.NewTimer(wait)
			timer = t.C
		}
		select {
		case <-ctx.Done():
		case <-ch:
		case <-timer:
		}
		if t != nil {
			t.Stop()
		}
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
	}
}

// release returns the slot, to rest delay (plus jitter) first.
func (l *hostLimiter) release() {
	l.mu.Lock()
	l.busy--
	if l.busy+len(l.ready) < l.par {
		rest := l.delay
		if l.jitter > 0 {
			rest += rand.N(l.jitter)
		}
		l.ready = append(l.ready, time.Now().Add(rest))
	}
	l.wake()
	l.mu.Unlock()
}

// limiters are the host limiters of one outlet.
type limiters struct {
	rate Rate
	mu   sync.Mutex
	m    map[string]*hostLimiter
}

func (ls *limiters) get(host string) *hostLimiter {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.m == nil {
		ls.m = map[string]*hostLimiter{}
	}
	l := ls.m[host]
	if l == nil {
		l = newHostLimiter(ls.rate)
		ls.m[host] = l
	}
	return l
}
