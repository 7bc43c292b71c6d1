package elastic

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/storetest"
)

// engineURL is the cluster the tests run against: NEWSWATCH_ES_URL, set by
// .ci/run after it starts the test engine (make es-up starts it locally).
func engineURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("NEWSWATCH_ES_URL")
	if u == "" {
		t.Skip("NEWSWATCH_ES_URL is not set: no search engine to test against (make test-elastic starts one; .ci/run always does)")
	}
	return u
}

// testConfig is a config for a store of its own (a random prefix) on the
// test engine, whose indices and template are deleted when the test ends.
func testConfig(t testing.TB) Config {
	t.Helper()
	var b [4]byte
	_, _ = rand.Read(b[:])
	prefix := "nwtest-" + hex.EncodeToString(b[:])
	cfg := Config{
		Addresses: ParseAddresses(engineURL(t)),
		Prefix:    prefix,
		Replicas:  -1, // single node
		Refresh:   RefreshNow,
	}
	t.Cleanup(func() { dropPrefix(t, cfg) })
	return cfg
}

func dropPrefix(t testing.TB, cfg Config) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := Drop(ctx, cfg); err != nil {
		t.Logf("cleanup: %v", err)
	}
}

func openTest(t testing.TB, cfg Config) *Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := Open(ctx, cfg, zaptest.NewLogger(t))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	engineURL(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		return openTest(t, testConfig(t))
	})
}

func TestEngineReported(t *testing.T) {
	s := openTest(t, testConfig(t))
	defer s.Close()
	name, version := s.Engine()
	if name != EngineElasticsearch && name != EngineOpenSearch || version == "" {
		t.Fatalf("engine %q %q", name, version)
	}
	t.Logf("engine: %s %s", name, version)
	if !strings.HasPrefix(version, "8.") && !strings.HasPrefix(version, "2.") && !strings.HasPrefix(version, "9.") && !strings.HasPrefix(version, "3.") {
		t.Errorf("unexpected version %s", version)
	}
}
