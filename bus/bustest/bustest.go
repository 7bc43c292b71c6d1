// Package bustest has test helpers for code that uses package bus: an
// embedded JetStream server on a random port with t.TempDir() storage, a
// connection with the streams set up, a poller, and article fixtures.
package bustest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/bus"
)

// RunBasicJetStreamServer starts an embedded server on a random loopback
// port storing under a new t.TempDir(), and shuts it down when the test
// ends.
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

// Connect connects to e over TCP, runs EnsureStreams, and closes the
// connection when the test ends.
func Connect(t testing.TB, e *bus.Embedded) *bus.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := bus.Connect(ctx, e.ClientURL(), Logger(t))
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
