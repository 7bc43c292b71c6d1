package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/newswatch/newswatch/bus/bustest"
	"github.com/newswatch/newswatch/internal/promreg/promtest"
	"github.com/newswatch/newswatch/store/elastic"
)

// readyz reports whether addr's /readyz answers 200.
func readyz(addr string) error {
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("readyz: %s", resp.Status)
	}
	return nil
}

// `newswatch crawler`, `newswatch indexer` and `newswatch api` as separate
// processes against a real nats-server process in operator (JWT) mode that
// requires mutual TLS: each part presents its own user credentials file
// and a client certificate signed by a test CA made in Go. With Bleve the
// API serves the index once the indexer has stopped (one process per data
// directory); with a search engine (NEWSWATCH_ES_URL, set by .ci/run) all
// three run at once.
func TestMultiProcessCredsAndTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("runs nats-server and newswatch processes")
	}
	t.Parallel()
	const n = 90
	tlsFiles := bustest.NewTLS(t)
	op := bustest.NewOperator(t)
	srv := bustest.StartProcess(t, bustest.ProcessConfig{Auth: op.ServerConfig, TLS: tlsFiles})
	tlsArgs := []string{"--nats", srv.URL(), "--nats-ca", tlsFiles.CA, "--nats-cert", tlsFiles.ClientCert, "--nats-key", tlsFiles.ClientKey}
	natsArgs := func(user string) []string {
		return append([]string{"--nats-creds", op.UserCreds(t, user)}, tlsArgs...)
	}

	// Wrong or missing credentials and certificates are clean start-up
	// failures that say why.
	cfgFile := testConfig(t)
	for _, tc := range []struct {
		args  []string
		names []string
	}{
		{append([]string{"crawler", "--config", cfgFile, "--nats", srv.URL(), "--nats-ca", tlsFiles.CA}, "--nats-creds", op.UserCreds(t, "x")), []string{"tls"}},
		{append([]string{"crawler", "--config", cfgFile}, tlsArgs...), []string{"Authorization Violation"}},
		{append(append([]string{"crawler", "--config", cfgFile}, tlsArgs...), "--nats-ca", tlsFiles.OtherCA, "--nats-creds", op.UserCreds(t, "y")), []string{"certificate signed by unknown authority"}},
		{append([]string{"indexer", "--data", t.TempDir(), "--nats-creds", tlsFiles.CA}, tlsArgs...), []string{"nats creds", tlsFiles.CA}},
	} {
		wantStartupFailure(t, tc.args, tc.names...)
	}

	site := startSite(t, n)
	data := t.TempDir()
	esURL := os.Getenv("NEWSWATCH_ES_URL")
	var storeArgs []string
	if esURL != "" {
		var b [4]byte
		_, _ = rand.Read(b[:])
		prefix := "nwmulti-" + hex.EncodeToString(b[:])
		storeArgs = []string{"--store", "elastic", "--es", esURL, "--es-prefix", prefix, "--es-replicas", "0"}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_ = elastic.Drop(ctx, elastic.Config{Addresses: elastic.ParseAddresses(esURL), Prefix: prefix})
		})
		t.Logf("store: the search engine at %s", esURL)
	} else {
		t.Log("store: Bleve (NEWSWATCH_ES_URL not set), so the API starts after the indexer stops")
	}
	crawlMetrics, indexMetrics := freePort(t), freePort(t)
	crawler := startProc(t, append([]string{"crawler", "--config", siteConfig(t, site, 5*time.Millisecond),
		"--crawl-interval", "1h", "--metrics-listen", crawlMetrics}, natsArgs("crawler")...)...)
	indexer := startProc(t, append(append([]string{"indexer", "--data", data, "--metrics-listen", indexMetrics}, storeArgs...),
		natsArgs("indexer")...)...)
	bustest.CheckFor(t, 3*time.Minute, 100*time.Millisecond, func() error {
		for _, p := range []*proc{crawler, indexer} {
			if err := p.exited(t); err != nil {
				t.Fatal(err)
			}
		}
		indexed, err := promtest.Value(indexMetrics, `newswatch_indexer_messages_total{result="indexed"}`)
		if err != nil {
			return err
		}
		pending, err := promtest.Value(indexMetrics, "newswatch_indexer_pending_messages")
		if err != nil {
			return err
		}
		if indexed < n || pending != 0 {
			return fmt.Errorf("%v indexed, %v pending", indexed, pending)
		}
		return nil
	})
	for _, addr := range []string{crawlMetrics, indexMetrics} {
		if err := readyz(addr); err != nil {
			t.Errorf("%s: %v", addr, err)
		}
	}
	if esURL == "" {
		indexer.stop(t)
	}
	apiAddr := freePort(t)
	api := startProc(t, append([]string{"api", "--data", data, "--listen", apiAddr, "--open", "--rate-limit", "100000"}, storeArgs...)...)
	bustest.CheckFor(t, time.Minute, 100*time.Millisecond, func() error {
		if err := api.exited(t); err != nil {
			t.Fatal(err)
		}
		total, err := apiTotal(apiAddr)
		if err != nil {
			return err
		}
		if total != n {
			return fmt.Errorf("api: %d articles, want %d", total, n)
		}
		return nil
	})
	arts := apiArticles(t, apiAddr)
	if len(arts) != n {
		t.Errorf("api lists %d articles", len(arts))
	}
	api.stop(t)
	crawler.stop(t)
	if esURL != "" {
		indexer.stop(t)
	}
}
