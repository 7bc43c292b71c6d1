package bus

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
	"go.uber.org/zap"

	"github.com/newswatch/newswatch/internal/lockfile"
)

// EmbeddedConfig configures the in-process NATS server.
type EmbeddedConfig struct {
	// DataDir is newswatch's data directory; JetStream files go under
	// DataDir/nats. Required. Restarting on the same DataDir keeps streams,
	// messages and consumer positions.
	DataDir string
	// Host to listen on when Port is set. Default "127.0.0.1".
	Host string
	// Port is the TCP port for clients. 0 (the default): no TCP listener at
	// all; clients in this process connect in-process with Connect. -1: a
	// free port (see ClientURL). A TCP listener requires Token or NKeys.
	Port int
	// Token, when set, is the secret every client must present (at least
	// MinTokenLength characters). Connect presents it itself.
	Token string
	// NKeys, when set, are the public user nkeys ("U...") whose holders may
	// connect (they sign the server's nonce with their seed). Connect then
	// uses a key pair of its own, valid for in-process connections only.
	// Set Token or NKeys, not both.
	NKeys []string
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
	// SyncInterval says when JetStream flushes its files to disk. 0 (the
	// default, SyncAlways): every write is synced before the publish is
	// acknowledged, so an acknowledged article survives a power loss or an
	// OS crash, not only a crash of newswatch. A positive interval (the
	// operator's opt-out, `--nats-sync=interval`: DefaultSyncInterval)
	// syncs in the background that often: faster, but an OS crash can lose
	// what was acknowledged within the last interval.
	SyncInterval time.Duration

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
	case c.Token != "" && len(c.NKeys) > 0:
		return errors.New("embedded nats: set a token or nkeys, not both")
	case c.Token != "" && len(c.Token) < MinTokenLength:
		return fmt.Errorf("embedded nats: token of %d characters is too short, want at least %d", len(c.Token), MinTokenLength)
	case c.Port != 0 && c.Token == "" && len(c.NKeys) == 0:
		return ErrListenWithoutAuth
	case c.MaxStore < 0 || c.MaxMemory < 0:
		return errors.New("embedded nats: negative storage limit")
	case c.MaxPayload < 0:
		return errors.New("embedded nats: negative max payload")
	case c.StartTimeout < 0:
		return errors.New("embedded nats: negative start timeout")
	case c.SyncInterval < 0:
		return errors.New("embedded nats: negative sync interval")
	case c.ClusterName == "" && (len(c.Routes) > 0 || c.ClusterPort != 0):
		return errors.New("embedded nats: routes or cluster port without a cluster name")
	case c.ClusterName != "" && (c.ClusterPort < -1 || c.ClusterPort > 65535):
		return fmt.Errorf("embedded nats: cluster port %d out of range", c.ClusterPort)
	}
	for _, k := range c.NKeys {
		if !nkeys.IsValidPublicUserKey(k) {
			return fmt.Errorf("embedded nats: %q is not a public user nkey (U...)", k)
		}
	}
	for _, r := range c.Routes {
		if u, err := url.Parse(r); err != nil || u.Host == "" {
			return fmt.Errorf("embedded nats: bad route %q", r)
		}
	}
	return nil
}

// SyncAlways is the EmbeddedConfig.SyncInterval that syncs every write
// before acknowledging it (the default).
const SyncAlways time.Duration = 0

// DefaultSyncInterval is nats-server's own background sync interval, the
// one `--nats-sync=interval` selects.
const DefaultSyncInterval = 2 * time.Minute

// ParseSync parses a --nats-sync value: "always" (SyncAlways), "interval"
// (DefaultSyncInterval) or a positive duration such as "10s".
func ParseSync(s string) (time.Duration, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "always", "":
		return SyncAlways, nil
	case "interval":
		return DefaultSyncInterval, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("nats sync %q: want always, interval or a positive duration", s)
	}
	return d, nil
}

// lockFileName, in DataDir/nats, is locked by the process running the
// server there and names it.
const lockFileName = "LOCK"

// MinTokenLength is the shortest token EmbeddedConfig accepts.
const MinTokenLength = 16

// Embedded is a running in-process NATS server with JetStream.
type Embedded struct {
	srv    *server.Server
	cfg    EmbeddedConfig
	log    *zap.Logger
	once   sync.Once
	lock   *lockfile.Lock
	inproc nkeys.KeyPair // Connect's key when cfg.NKeys is set
}

// ErrDataDirInUse is returned (wrapped, naming the holder's PID) by
// StartEmbedded when another process, or another Embedded in this one, uses
// the same data directory.
var ErrDataDirInUse = lockfile.ErrLocked

// ErrListenWithoutAuth is returned by EmbeddedConfig.Validate for a TCP
// listener without a token or nkeys: anyone on the host could then publish
// into the streams or delete them.
var ErrListenWithoutAuth = errors.New("embedded nats: a TCP listener needs a token or nkeys")

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
	lock, err := lockfile.Acquire(filepath.Join(storeDir, lockFileName), 0)
	if err != nil {
		return nil, fmt.Errorf("embedded nats: data dir %s: %w", storeDir, err)
	}
	ok := false
	defer func() {
		if !ok {
			lock.Release()
		}
	}()
	opts := &server.Options{
		ServerName:         cfg.ServerName,
		Host:               cfg.Host,
		Port:               cfg.Port,
		DontListen:         cfg.Port == 0,
		Authorization:      cfg.Token,
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
	if cfg.SyncInterval == SyncAlways {
		opts.SyncAlways = true
	} else {
		opts.SyncInterval = cfg.SyncInterval
	}
	var inproc nkeys.KeyPair
	if len(cfg.NKeys) > 0 {
		if inproc, err = nkeys.CreateUser(); err != nil {
			return nil, fmt.Errorf("embedded nats: in-process key: %w", err)
		}
		pub, err := inproc.PublicKey()
		if err != nil {
			return nil, fmt.Errorf("embedded nats: in-process key: %w", err)
		}
		opts.Nkeys = append(opts.Nkeys, &server.NkeyUser{Nkey: pub,
			AllowedConnectionTypes: map[string]struct{}{jwt.ConnectionTypeInProcess: {}}})
		for _, k := range cfg.NKeys {
			opts.Nkeys = append(opts.Nkeys, &server.NkeyUser{Nkey: k})
		}
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
	slog := &serverLogger{s: log.Sugar()}
	srv.SetLoggerV2(slog, cfg.Debug, false, false)
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
	slog.started.Store(true)
	e := &Embedded{srv: srv, cfg: cfg, log: log, lock: lock, inproc: inproc}
	listen := "none (in-process only)"
	if u := e.ClientURL(); u != "" {
		listen = u
	}
	syncMode := "always (fsync before ack)"
	if cfg.SyncInterval != SyncAlways {
		syncMode = "every " + cfg.SyncInterval.String()
	}
	log.Info("embedded nats started", zap.String("listen", listen), zap.String("store_dir", storeDir), zap.String("sync", syncMode))
	return e, nil
}

// ClientURL is the nats:// URL TCP clients connect to, or "" when the
// server has no TCP listener.
func (e *Embedded) ClientURL() string {
	if e.Port() == 0 {
		return ""
	}
	return e.srv.ClientURL()
}

// Token is the token TCP clients must present, or "".
func (e *Embedded) Token() string { return e.cfg.Token }

// Port is the TCP port clients connect to, or 0 without a TCP listener.
func (e *Embedded) Port() int {
	if e.cfg.Port == 0 {
		return 0
	}
	if a, ok := e.srv.Addr().(*net.TCPAddr); ok {
		return a.Port
	}
	return 0
}

// Server returns the underlying nats-server, for monitoring.
func (e *Embedded) Server() *server.Server { return e.srv }

// Connect connects to the embedded server in-process (no TCP), with the same
// options and handlers as Connect and the server's own credentials.
func (e *Embedded) Connect(ctx context.Context, log *zap.Logger, opts ...nats.Option) (*Conn, error) {
	base := []nats.Option{nats.InProcessServer(e.srv)}
	switch {
	case e.cfg.Token != "":
		base = append(base, nats.Token(e.cfg.Token))
	case e.inproc != nil:
		pub, err := e.inproc.PublicKey()
		if err != nil {
			return nil, fmt.Errorf("embedded nats: in-process key: %w", err)
		}
		base = append(base, nats.Nkey(pub, e.inproc.Sign))
	}
	c, err := Connect(ctx, "nats://in-process", log, append(base, opts...)...)
	if err != nil {
		return nil, err
	}
	if jc := e.srv.JetStreamConfig(); jc != nil {
		c.serverMaxStore = jc.MaxStore
	}
	return c, nil
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
		if err := e.lock.Release(); err != nil {
			e.log.Warn("release data dir lock", zap.Error(err))
		}
		e.log.Info("embedded nats stopped")
	})
}

// serverLogger adapts zap to nats-server's Logger. The server's notices
// while it starts (a banner of some 30 lines: version, limits, store
// directory) are logged at debug level - one info line says it started -
// and at info level after that (leader changes, routes, clients).
type serverLogger struct {
	s       *zap.SugaredLogger
	started atomic.Bool
}

func (l *serverLogger) Noticef(format string, v ...any) {
	if !l.started.Load() {
		l.s.Debugf(format, v...)
		return
	}
	l.s.Infof(format, v...)
}
func (l *serverLogger) Warnf(format string, v ...any)  { l.s.Warnf(format, v...) }
func (l *serverLogger) Fatalf(format string, v ...any) { l.s.Errorf("fatal: "+format, v...) }
func (l *serverLogger) Errorf(format string, v ...any) { l.s.Errorf(format, v...) }
func (l *serverLogger) Debugf(format string, v ...any) { l.s.Debugf(format, v...) }
func (l *serverLogger) Tracef(format string, v ...any) { l.s.Debugf(format, v...) }
