// Package bustest has test helpers for code that uses package bus: an
// embedded JetStream server with t.TempDir() storage (in-process only, or on
// a random loopback port with a token), a connection with the streams set
// up, a poller, and article fixtures.
package bustest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/bus"
)

// Token is the token of the servers that TCPConfig configures.
const Token = "bustest-token-0123456789"

// TCPConfig configures an embedded server storing under dir that also
// listens on a random loopback port, with Token as its token: for tests
// whose clients must reconnect across a server restart.
func TCPConfig(dir string) bus.EmbeddedConfig {
	return bus.EmbeddedConfig{DataDir: dir, Port: -1, Token: Token}
}

// RunBasicJetStreamServer starts an in-process embedded server (no TCP
// listener) storing under a new t.TempDir(), and shuts it down when the
// test ends.
func RunBasicJetStreamServer(t testing.TB) *bus.Embedded {
	t.Helper()
	return RunServerOnDir(t, t.TempDir())
}

// RunServerOnDir starts an embedded server storing under dir, and shuts it
// down when the test ends (Shutdown is safe to call earlier, to test a
// restart on the same dir).
func RunServerOnDir(t testing.TB, dir string) *bus.Embedded {
	t.Helper()
	return RunServer(t, bus.EmbeddedConfig{DataDir: dir})
}

// RunServer starts an embedded server with cfg and shuts it down when the
// test ends.
func RunServer(t testing.TB, cfg bus.EmbeddedConfig) *bus.Embedded {
	t.Helper()
	e, err := bus.StartEmbedded(context.Background(), cfg, Logger(t))
	if err != nil {
		t.Fatalf("start embedded nats: %v", err)
	}
	t.Cleanup(e.Shutdown)
	return e
}

// Connect connects to e, runs EnsureStreams, and closes the connection
// when the test ends. It connects over TCP (with e's token) when e listens
// on TCP, so that the connection survives a restart of the server on the
// same port, and in-process otherwise.
func Connect(t testing.TB, e *bus.Embedded) *bus.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var c *bus.Conn
	var err error
	if url := e.ClientURL(); url != "" {
		c, err = bus.Connect(ctx, url, Logger(t), nats.Token(e.Token()))
	} else {
		c, err = e.Connect(ctx, Logger(t))
	}
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(c.Close)
	if err := c.EnsureStreams(ctx); err != nil {
		t.Fatalf("ensure streams: %v", err)
	}
	return c
}

// Logger returns a logger that writes warnings and errors to the test log.
func Logger(t testing.TB) *zap.Logger {
	return zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
}

// CheckFor calls fn every sleep until it returns nil, and fails the test
// with fn's last error if that has not happened within total.
func CheckFor(t testing.TB, total, sleep time.Duration, fn func() error) {
	t.Helper()
	deadline := time.Now().Add(total)
	var err error
	for time.Now().Before(deadline) {
		if err = fn(); err == nil {
			return
		}
		time.Sleep(sleep)
	}
	t.Fatalf("condition not met within %v: %v", total, err)
}

// Article returns a valid, finalized article number i of outlet, with a
// body of about bodyBytes bytes (0: a short body).
func Article(t testing.TB, outlet string, i, bodyBytes int) *article.Article {
	t.Helper()
	a, err := NewArticle(outlet, i, bodyBytes)
	if err != nil {
		t.Fatalf("fixture article: %v", err)
	}
	return a
}

// NewArticle is Article without a testing.TB, for benchmarks and programs.
func NewArticle(outlet string, i, bodyBytes int) (*article.Article, error) {
	pub := time.Date(2025, 2, 21, 18, 17, 0, 0, time.FixedZone("+04", 4*3600)).Add(time.Duration(i) * time.Minute)
	body := fmt.Sprintf("Paragraph one of article %d from %s.\n\nParagraph two.", i, outlet)
	if bodyBytes > len(body) {
		var b strings.Builder
		b.WriteString(body)
		for n := 0; b.Len() < bodyBytes; n++ {
			fmt.Fprintf(&b, "\n\nSentence %d of article %d: the quick brown fox jumps over the lazy dog near Baku.", n, i)
		}
		body = b.String()
	}
	a := &article.Article{
		URL:         fmt.Sprintf("https://%s.example/news/%d?utm_source=feed", outlet, i),
		Outlet:      outlet,
		Title:       fmt.Sprintf("Headline %d", i),
		Body:        body,
		Language:    "en",
		PublishedAt: &pub,
		DateSource:  article.DateSourceJSONLD,
		FetchedAt:   pub.Add(time.Minute).UTC(),
	}
	if err := a.Finalize(); err != nil {
		return nil, err
	}
	return a, nil
}
