package bus

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/newswatch/newswatch/internal/backoff"
)

// ErrStreamFull is wrapped by Publish errors when the server refused an
// article because ARTICLES reached one of its limits (StreamConfig
// MaxBytes or MaxMsgs) or JetStream ran out of storage. Nothing was
// stored and nothing older was dropped to make room; the publisher should
// keep the article and try again later (the crawler fetches the page again
// on a later pass). Pressure warns before it happens.
var ErrStreamFull = errors.New("stream full")

// streamFull reports whether err is the server refusing a message for a
// stream or storage limit.
func streamFull(err error) bool {
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	switch apiErr.ErrorCode {
	case 10002, // resource limits exceeded for account
		10047: // insufficient storage resources available
		return true
	case 10077: // stream store failed: {err}
		d := strings.ToLower(apiErr.Description)
		return strings.Contains(d, "maximum bytes exceeded") || strings.Contains(d, "maximum messages exceeded") ||
			strings.Contains(d, "resource") || strings.Contains(d, "no space")
	}
	return false
}

// Pressure says how close a stream is to refusing messages.
type Pressure struct {
	Stream   string `json:"stream"`
	Bytes    uint64 `json:"bytes"`
	Msgs     uint64 `json:"msgs"`
	MaxBytes int64  `json:"max_bytes"` // the stream's own cap, -1 for none
	MaxMsgs  int64  `json:"max_msgs"`  // -1 for none
	// StoreUsed is the JetStream file storage the account uses, StoreMax
	// its limit (the account's, or the embedded server's), -1 when none is
	// known.
	StoreUsed uint64 `json:"store_used"`
	StoreMax  int64  `json:"store_max"`
	// Fill is the highest of Bytes/MaxBytes, Msgs/MaxMsgs and
	// StoreUsed/StoreMax: 0 with no limits, 1 or more when full.
	Fill float64 `json:"fill"`
}

func ratio(used uint64, limit int64) float64 {
	if limit <= 0 {
		return 0
	}
	return float64(used) / float64(limit)
}

// Pressure reports how full ARTICLES is: its size against its own limits
// and the account's JetStream storage against the storage limit.
func (c *Conn) Pressure(ctx context.Context) (Pressure, error) {
	return c.StreamPressure(ctx, StreamArticles)
}

// StreamPressure is Pressure for any stream.
func (c *Conn) StreamPressure(ctx context.Context, stream string) (Pressure, error) {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	s, err := c.js.Stream(ctx, stream)
	if err != nil {
		return Pressure{}, fmt.Errorf("stream pressure %s: %w", stream, err)
	}
	info := s.CachedInfo()
	p := Pressure{Stream: stream, Bytes: info.State.Bytes, Msgs: info.State.Msgs,
		MaxBytes: info.Config.MaxBytes, MaxMsgs: info.Config.MaxMsgs, StoreMax: -1}
	acc, err := c.js.AccountInfo(ctx)
	if err != nil {
		return Pressure{}, fmt.Errorf("stream pressure %s: account info: %w", stream, err)
	}
	p.StoreUsed = acc.Store
	if acc.Limits.MaxStore > 0 {
		p.StoreMax = acc.Limits.MaxStore
	}
	if c.serverMaxStore > 0 && (p.StoreMax < 0 || c.serverMaxStore < p.StoreMax) {
		p.StoreMax = c.serverMaxStore
	}
	p.Fill = max(ratio(p.Bytes, p.MaxBytes), ratio(p.Msgs, p.MaxMsgs), ratio(p.StoreUsed, p.StoreMax))
	return p, nil
}

// ThrottleConfig configures a Throttle. The zero value gives the defaults.
type ThrottleConfig struct {
	// SlowAt is the Pressure.Fill from which publishers slow down.
	// Default 0.8.
	SlowAt float64
	// MaxDelay is the pause before each publish when the stream is full;
	// between SlowAt and full the pause grows linearly from 0 to it.
	// Default 5s.
	MaxDelay time.Duration
	// Refresh is how often the pressure is asked from the server.
	// Default 5s.
	Refresh time.Duration
	// OnChange, if set, is called when publishing starts or stops being
	// slowed down (slow is true from SlowAt on), with the pressure that
	// made the difference: for logs, metrics and outlet health.
	OnChange func(p Pressure, slow bool)
}

func (c *ThrottleConfig) setDefaults() {
	if c.SlowAt == 0 {
		c.SlowAt = 0.8
	}
	if c.MaxDelay == 0 {
		c.MaxDelay = 5 * time.Second
	}
	if c.Refresh == 0 {
		c.Refresh = 5 * time.Second
	}
}

// Validate reports a configuration error, after defaults are applied.
func (c ThrottleConfig) Validate() error {
	c.setDefaults()
	if c.SlowAt <= 0 || c.SlowAt >= 1 {
		return fmt.Errorf("throttle: slow-at %v not in (0, 1)", c.SlowAt)
	}
	if c.MaxDelay < 0 || c.Refresh < 0 {
		return errors.New("throttle: negative delay or refresh")
	}
	return nil
}

// Throttle slows publishers down as ARTICLES nears its limits, so that
// they keep their articles (and fetch more slowly) instead of having them
// refused. It is safe for concurrent use.
type Throttle struct {
	cfg  ThrottleConfig
	conn *Conn

	mu      sync.Mutex
	last    Pressure
	checked time.Time
	slow    bool
}

// NewThrottle returns a Throttle for publishing on conn.
func NewThrottle(conn *Conn, cfg ThrottleConfig) (*Throttle, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	return &Throttle{cfg: cfg, conn: conn}, nil
}

// Pressure returns the last pressure read, asking the server when it is
// older than ThrottleConfig.Refresh. When the server cannot be asked the
// last known pressure stays in force.
func (t *Throttle) Pressure(ctx context.Context) Pressure {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.checked.IsZero() && time.Since(t.checked) < t.cfg.Refresh {
		return t.last
	}
	t.checked = time.Now()
	p, err := t.conn.Pressure(ctx)
	if err != nil {
		return t.last
	}
	t.last = p
	if slow := p.Fill >= t.cfg.SlowAt; slow != t.slow {
		t.slow = slow
		if t.cfg.OnChange != nil {
			t.cfg.OnChange(p, slow)
		}
	}
	return p
}

// Slow reports whether publishing is being slowed down now.
func (t *Throttle) Slow() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.slow
}

// Delay is the pause before a publish at pressure p.
func (t *Throttle) Delay(p Pressure) time.Duration {
	if p.Fill < t.cfg.SlowAt {
		return 0
	}
	f := min((p.Fill-t.cfg.SlowAt)/(1-t.cfg.SlowAt), 1)
	return time.Duration(f * float64(t.cfg.MaxDelay))
}

// Wait pauses before a publish for as long as the pressure asks (nothing
// below SlowAt). It returns ctx's error if ctx ends first.
func (t *Throttle) Wait(ctx context.Context) error {
	d := t.Delay(t.Pressure(ctx))
	if d == 0 {
		return ctx.Err()
	}
	if !backoff.Sleep(ctx, d) {
		return ctx.Err()
	}
	return nil
}
