package bus

import (
	"context"
	"errors"
	"fmt"
	"net"
	neturl "net/url"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// Connection defaults. Reconnects never stop, and while disconnected up to
// ReconnectBufSize bytes of publishes are buffered and sent on reconnect.
const (
	ReconnectWait    = time.Second
	ReconnectBufSize = 64 << 20
	// MaxAsyncPending bounds unacknowledged async publishes (PublishBatch).
	MaxAsyncPending = 1024
	// DefaultTimeout bounds JetStream API calls whose context has no deadline.
	DefaultTimeout = 10 * time.Second
	// AsyncPublishTimeout bounds the wait for the ack of one async publish
	// (PublishBatch): an ack lost with a node that died is retried, not
	// awaited until the batch's deadline.
	AsyncPublishTimeout = 10 * time.Second
)

// Conn is a connection to NATS with its JetStream context.
type Conn struct {
	nc  *nats.Conn
	js  jetstream.JetStream
	log *zap.Logger
	// serverMaxStore is the embedded server's JetStream storage limit
	// (0: unknown), for Pressure.
	serverMaxStore int64
}

// Connect connects to the NATS server(s) at url (comma-separated for a
// cluster) with infinite reconnects and reconnect buffering, and logs
// connection events. Extra options (credentials, TLS, name) are applied
// after the defaults. A server that cannot be reached now is an error.
func Connect(ctx context.Context, url string, log *zap.Logger, opts ...nats.Option) (*Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if log == nil {
		log = zap.NewNop()
	}
	log = log.Named("bus")
	base := []nats.Option{
		nats.Name("newswatch"),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(ReconnectWait),
		nats.ReconnectJitter(100*time.Millisecond, time.Second),
		nats.ReconnectBufSize(ReconnectBufSize),
		nats.Timeout(5 * time.Second),
		nats.PingInterval(20 * time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("nats disconnected", zap.Error(err))
			} else {
				log.Info("nats disconnected")
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			log.Info("nats reconnected", zap.String("url", nc.ConnectedUrlRedacted()))
		}),
		nats.ClosedHandler(func(*nats.Conn) { log.Debug("nats connection closed") }),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subj := ""
			if sub != nil {
				subj = sub.Subject
			}
			log.Error("nats async error", zap.String("subject", subj), zap.Error(err))
		}),
	}
	dialer := &recordingDialer{d: net.Dialer{Timeout: 5 * time.Second}}
	base = append(base, nats.SetCustomDialer(dialer))
	nc, err := nats.Connect(url, append(base, opts...)...)
	if err != nil {
		if last := dialer.lastError(); last != nil && errors.Is(err, nats.ErrNoServers) {
			// nats.go reports only "no servers available"; say why.
			return nil, fmt.Errorf("connect nats %s: %w (%w)", redactURLs(url), err, last)
		}
		return nil, fmt.Errorf("connect nats %s: %w", redactURLs(url), err)
	}
	js, err := jetstream.New(nc,
		jetstream.WithPublishAsyncMaxPending(MaxAsyncPending),
		jetstream.WithPublishAsyncTimeout(AsyncPublishTimeout),
		jetstream.WithDefaultTimeout(DefaultTimeout),
	)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	log.Info("nats connected", zap.String("url", nc.ConnectedUrlRedacted()))
	return &Conn{nc: nc, js: js, log: log}, nil
}

// recordingDialer dials TCP and remembers the last failure, which nats.go
// replaces with ErrNoServers.
type recordingDialer struct {
	d    net.Dialer
	mu   sync.Mutex
	last error
}

func (r *recordingDialer) Dial(network, address string) (net.Conn, error) {
	c, err := r.d.Dial(network, address)
	if err != nil {
		r.mu.Lock()
		r.last = err
		r.mu.Unlock()
	}
	return c, err
}

func (r *recordingDialer) lastError() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last
}

// redactURLs hides the credentials (token, user and password) in a
// comma-separated list of NATS URLs, for messages and logs.
func redactURLs(urls string) string {
	parts := strings.Split(urls, ",")
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if !strings.Contains(p, "://") {
			p = "nats://" + p
		}
		u, err := neturl.Parse(p)
		if err != nil {
			parts[i] = "(unparsable url)"
			continue
		}
		if u.User != nil {
			u.User = neturl.User("redacted")
		}
		parts[i] = u.String()
	}
	return strings.Join(parts, ",")
}

// NATS returns the core NATS connection.
func (c *Conn) NATS() *nats.Conn { return c.nc }

// JetStream returns the JetStream context.
func (c *Conn) JetStream() jetstream.JetStream { return c.js }

// Close closes the connection at once; buffered publishes are flushed on a
// best-effort basis. Prefer Drain on a clean shutdown.
func (c *Conn) Close() {
	if c == nil || c.nc == nil {
		return
	}
	c.nc.Close()
}

// Drain lets subscriptions finish their pending messages, flushes
// publishes and acks, then closes the connection. It waits until the
// connection is closed or ctx is done (then it closes at once).
func (c *Conn) Drain(ctx context.Context) error {
	if c == nil || c.nc == nil || c.nc.IsClosed() {
		return nil
	}
	closed := make(chan struct{})
	c.nc.SetClosedHandler(func(*nats.Conn) { close(closed) })
	if err := c.nc.Drain(); err != nil {
		c.nc.Close()
		if errors.Is(err, nats.ErrConnectionClosed) {
			return nil
		}
		return fmt.Errorf("drain nats: %w", err)
	}
	select {
	case <-closed:
		return nil
	case <-ctx.Done():
		c.nc.Close()
		return fmt.Errorf("drain nats: %w", ctx.Err())
	}
}
