package bus

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"go.uber.org/zap"
)

// EmbeddedConfig configures the in-process NATS server.
type EmbeddedConfig struct {
	// DataDir is newswatch's data directory; JetStream files go under
	// DataDir/nats. Required. Restarting on the same DataDir keeps streams,
	// messages and consumer positions.
	DataDir string
	// Host to listen on. Default "127.0.0.1".
	Host string
	// Port to listen on. 0 or -1 picks a free port (see ClientURL).
	Port int
	// ServerName names the server in logs and monitoring. Default "newswatch".
	ServerName string
	// MaxStore caps JetStream file storage in bytes. 0: the server default
	// (a share of the free disk).
	MaxStore int64
	// MaxMemory caps JetStream memory storage in bytes. 0: the server default.
	MaxMemory int64
	// MaxPayload is the largest message in bytes. Default 8 MiB.
	MaxPayload int32
	// StartTimeout bounds the wait for the server to accept connections.
	// Default 10s.
	StartTimeout time.Duration
	// Debug turns on the server's debug logging.
	Debug bool

	// ClusterName, ClusterPort and Routes join the server to a NATS
	// cluster (JetStream clustered, for replicated streams): all members
	// share ClusterName, each listens for routes on ClusterPort (-1: a free
	// port) and Routes lists the members' route URLs
	// ("nats://host:port"). ServerName must then be unique per member.
	// Empty ClusterName: a standalone server.
	ClusterName string
	ClusterHost string // default: Host
	ClusterPort int
	Routes      []string
}

func (c *EmbeddedConfig) setDefaults() {
	if c.Host == "" {
		c.Host = "127.0.0.1"
	}
	if c.Port == 0 {
		c.Port = server.RANDOM_PORT
	}
	if c.ServerName == "" {
		c.ServerName = "newswatch"
	}
	if c.MaxPayload == 0 {
		c.MaxPayload = 8 << 20
	}
	if c.StartTimeout == 0 {
		c.StartTimeout = 10 * time.Second
	}
}

// Validate reports a configuration error, after defaults are applied.
func (c EmbeddedConfig) Validate() error {
	c.setDefaults()
	switch {
	case c.DataDir == "":
		return errors.New("embedded nats: data dir is required")
	case c.Port < -1 || c.Port > 65535:
		return fmt.Errorf("embedded nats: port %d out of range", c.Port)
	case c.MaxStore < 0 || c.MaxMemory < 0:
		return errors.New("embedded nats: negative storage limit")
	case c.MaxPayload < 0:
		return errors.New("embedded nats: negative max payload")
	case c.StartTimeout < 0:
		return errors.New("embedded nats: negative start timeout")
	case c.ClusterName == "" && (len(c.Routes) > 0 || c.ClusterPort != 0):
		return errors.New("embedded nats: routes or cluster port without a cluster name")
	case c.ClusterName != "" && (c.ClusterPort < -1 || c.ClusterPort > 65535):
		return fmt.Errorf("embedded nats: cluster port %d out of range", c.ClusterPort)
	}
	for _, r := range c.Routes {
		if u, err := url.Parse(r); err != nil || u.Host == "" {
			return fmt.Errorf("embedded nats: bad route %q", r)
		}
	}
	return nil
}

// Embedded is a running in-process NATS server with JetStream.
type Embedded struct {
	srv    *server.Server
	cfg    EmbeddedConfig
	log    *zap.Logger
	once   sync.Once
	unlock func()
}

// ErrDataDirInUse is returned by StartEmbedded when another process (or
// another Embedded in this one) uses the same data directory.
var ErrDataDirInUse = errors.New("data dir in use by another newswatch process")

// StartEmbedded starts a NATS server with JetStream and a file store under
// cfg.DataDir/nats, and waits until it accepts connections and JetStream is
// ready. Stop it with Shutdown.
func StartEmbedded(ctx context.Context, cfg EmbeddedConfig, log *zap.Logger) (*Embedded, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	if log == nil {
		log = zap.NewNop()
	}
	log = log.Named("nats")
	storeDir := filepath.Join(cfg.DataDir, "nats")
	if err := os.MkdirAll(storeDir, 0o755); err != nil {
		return nil, fmt.Errorf("embedded nats: create store dir: %w", err)
	}
	unlock, err := lockDir(storeDir)
	if err != nil {
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			unlock()
		}
	}()
	opts := &server.Options{
		ServerName:         cfg.ServerName,
		Host:               cfg.Host,
		Port:               cfg.Port,
		JetStream:          true,
		StoreDir:           storeDir,
		JetStreamMaxStore:  cfg.MaxStore,
		JetStreamMaxMemory: cfg.MaxMemory,
		MaxPayload:         cfg.MaxPayload,
		// Keep a client's big article batches from being cut off as a
		// slow consumer on a busy 2-core machine.
		MaxPending: 64 << 20,
		NoSigs:     true,
		Debug:      cfg.Debug,
	}
	if cfg.ClusterName != "" {
		host := cfg.ClusterHost
		if host == "" {
			host = cfg.Host
		}
		opts.Cluster = server.ClusterOpts{Name: cfg.ClusterName, Host: host, Port: cfg.ClusterPort}
		if cfg.ClusterPort == 0 {
			opts.Cluster.Port = server.RANDOM_PORT
		}
		for _, r := range cfg.Routes {
			u, _ := url.Parse(r)
			opts.Routes = append(opts.Routes, u)
		}
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	srv.SetLoggerV2(&serverLogger{s: log.Sugar()}, cfg.Debug, false, false)
	srv.Start()

	deadline := time.Now().Add(cfg.StartTimeout)
	if !srv.ReadyForConnections(cfg.StartTimeout) {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, fmt.Errorf("embedded nats: not ready for connections within %v", cfg.StartTimeout)
	}
	for cfg.ClusterName == "" && !srv.JetStreamEnabled() {
		if time.Now().After(deadline) {
			srv.Shutdown()
			srv.WaitForShutdown()
			return nil, fmt.Errorf("embedded nats: jetstream not enabled within %v", cfg.StartTimeout)
		}
		select {
		case <-ctx.Done():
			srv.Shutdown()
			srv.WaitForShutdown()
			return nil, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	ok = true
	e := &Embedded{srv: srv, cfg: cfg, log: log, unlock: unlock}
	log.Info("embedded nats started", zap.String("url", e.ClientURL()), zap.String("store_dir", storeDir))
	return e, nil
}

// ClientURL is the nats:// URL clients connect to.
func (e *Embedded) ClientURL() string { return e.srv.ClientURL() }

// Port is the TCP port clients connect to.
func (e *Embedded) Port() int {
	if a, ok := e.srv.Addr().(*net.TCPAddr); ok {
		return a.Port
	}
	return 0
}

// Server returns the underlying nats-server, for monitoring.
func (e *Embedded) Server() *server.Server { return e.srv }

// Connect connects to the embedded server in-process (no TCP), with the same
// options and handlers as Connect.
func (e *Embedded) Connect(ctx context.Context, log *zap.Logger, opts ...nats.Option) (*Conn, error) {
	opts = append([]nats.Option{nats.InProcessServer(e.srv)}, opts...)
	return Connect(ctx, e.ClientURL(), log, opts...)
}

// Shutdown stops the server and waits until it has stopped and flushed its
// store. It is safe to call more than once.
func (e *Embedded) Shutdown() {
	if e == nil || e.srv == nil {
		return
	}
	e.once.Do(func() {
		e.srv.Shutdown()
		e.srv.WaitForShutdown()
		e.unlock()
		e.log.Info("embedded nats stopped")
	})
}

// serverLogger adapts zap to nats-server's Logger.
type serverLogger struct{ s *zap.SugaredLogger }

func (l *serverLogger) Noticef(format string, v ...any) { l.s.Infof(format, v...) }
func (l *serverLogger) Warnf(format string, v ...any)   { l.s.Warnf(format, v...) }
func (l *serverLogger) Fatalf(format string, v ...any)  { l.s.Errorf("fatal: "+format, v...) }
func (l *serverLogger) Errorf(format string, v ...any)  { l.s.Errorf(format, v...) }
func (l *serverLogger) Debugf(format string, v ...any)  { l.s.Debugf(format, v...) }
func (l *serverLogger) Tracef(format string, v ...any)  { l.s.Debugf(format, v...) }
