package bus_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/newswatch/newswatch/bus"
	"github.com/newswatch/newswatch/bus/bustest"
)

// By default the embedded server opens no TCP listener at all: only
// in-process connections reach it.
func TestEmbeddedNoTCPListenerByDefault(t *testing.T) {
	e := bustest.RunBasicJetStreamServer(t)
	if e.Port() != 0 || e.ClientURL() != "" {
		t.Errorf("port %d, client url %q: want no TCP listener", e.Port(), e.ClientURL())
	}
	if a := e.Server().Addr(); a != nil {
		t.Errorf("server listens on %v", a)
	}
	if c := bustest.Connect(t, e); !c.NATS().IsConnected() {
		t.Error("in-process connection not connected")
	}
}

// tcpConnect connects a plain client over TCP and checks that it can use
// JetStream.
func tcpConnect(url string, opts ...nats.Option) error {
	opts = append(opts, nats.Timeout(5*time.Second), nats.MaxReconnects(0))
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = js.AccountInfo(ctx)
	return err
}

func wantRefused(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: connected, want refused", what)
	} else if !errors.Is(err, nats.ErrAuthorization) && !strings.Contains(strings.ToLower(err.Error()), "authorization") {
		t.Errorf("%s: %v, want an authorization error", what, err)
	}
}

// With a TCP listener and a token, clients without the token are refused;
// with it they work, and the in-process connection still works.
func TestEmbeddedTCPListenerRequiresToken(t *testing.T) {
	e := bustest.RunServer(t, bustest.TCPConfig(t.TempDir()))
	url := e.ClientURL()
	if url == "" || e.Port() <= 0 {
		t.Fatalf("no TCP listener: %q", url)
	}
	wantRefused(t, "no token", tcpConnect(url))
	wantRefused(t, "wrong token", tcpConnect(url, nats.Token("not-the-token-0123456789")))
	if err := tcpConnect(url, nats.Token(bustest.Token)); err != nil {
		t.Errorf("with the token: %v", err)
	}
	c := bustest.Connect(t, e) // TCP with the token
	if _, err := c.Publish(ctxT(t), bustest.Article(t, "news", 1, 0)); err != nil {
		t.Fatal(err)
	}
	checkInProcess(t, e)
}

// checkInProcess checks that e's own in-process connection gets through
// its authentication and can publish.
func checkInProcess(t *testing.T, e *bus.Embedded) {
	t.Helper()
	ctx := ctxT(t)
	in, err := e.Connect(ctx, bustest.Logger(t))
	if err != nil {
		t.Fatalf("in-process connect: %v", err)
	}
	defer in.Close()
	if err := in.EnsureStreams(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := in.Publish(ctx, bustest.Article(t, "news", 2, 0)); err != nil {
		t.Fatal(err)
	}
}

// With nkeys, only the holders of the listed keys' seeds get in over TCP;
// the in-process connection uses a key of its own.
func TestEmbeddedTCPListenerRequiresNKey(t *testing.T) {
	user, _ := nkeys.CreateUser()
	pub, _ := user.PublicKey()
	other, _ := nkeys.CreateUser()
	otherPub, _ := other.PublicKey()
	e := bustest.RunServer(t, bus.EmbeddedConfig{DataDir: t.TempDir(), Port: -1, NKeys: []string{pub}})
	url := e.ClientURL()
	wantRefused(t, "no credentials", tcpConnect(url))
	wantRefused(t, "a token", tcpConnect(url, nats.Token(bustest.Token)))
	wantRefused(t, "an unknown nkey", tcpConnect(url, nats.Nkey(otherPub, other.Sign)))
	wantRefused(t, "a listed public key signed by another seed", tcpConnect(url, nats.Nkey(pub, other.Sign)))
	if err := tcpConnect(url, nats.Nkey(pub, user.Sign)); err != nil {
		t.Errorf("with the nkey: %v", err)
	}
	checkInProcess(t, e)
}

// A connection error names the URL without the credentials in it, and
// why the server could not be reached.
func TestConnectErrorRedactsCredentials(t *testing.T) {
	_, err := bus.Connect(ctxT(t), "nats://s3cret-token@127.0.0.1:1", bustest.Logger(t), nats.MaxReconnects(0))
	if err == nil {
		t.Fatal("connected to port 1")
	}
	if strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Errorf("error %q: want the address without the token", err)
	}
	if !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("error %q does not say why", err)
	}
}

// At info level the embedded server's start is one line, not the server's
// banner; the banner is there at debug level.
func TestEmbeddedStartLogsOneInfoLine(t *testing.T) {
	core, logs := observer.New(zap.DebugLevel)
	e, err := bus.StartEmbedded(context.Background(), bus.EmbeddedConfig{DataDir: t.TempDir()}, zap.New(core))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Shutdown()
	var info, debug []string
	for _, l := range logs.All() {
		if l.Level >= zap.InfoLevel {
			info = append(info, l.Message)
		} else {
			debug = append(debug, l.Message)
		}
	}
	if len(info) != 1 || info[0] != "embedded nats started" {
		t.Errorf("info lines at start: %q, want only \"embedded nats started\"", info)
	}
	if !slices.ContainsFunc(debug, func(m string) bool { return strings.Contains(m, "Starting nats-server") }) {
		t.Errorf("the server's banner is not at debug level: %q", debug)
	}
}
