package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/bus"
	"github.com/newswatch/newswatch/bus/bustest"
	"github.com/newswatch/newswatch/indexer"
	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/bleve"
)

// poisonStore is a real Bleve index that rejects one article while broken
// is set, the way a backend rejects a document it cannot map (the others
// of the batch are stored).
type poisonStore struct {
	store.Store
	poison string
	broken atomic.Bool
}

func (s *poisonStore) Put(ctx context.Context, arts []*article.Article) error {
	if !s.broken.Load() {
		return s.Store.Put(ctx, arts)
	}
	var ok []*article.Article
	failed := map[int]error{}
	for i, a := range arts {
		if a.ID == s.poison {
			failed[i] = errors.New("mapper_parsing_exception: failed to parse field [body] of type [text]: immense term")
			continue
		}
		ok = append(ok, a)
	}
	if err := s.Store.Put(ctx, ok); err != nil {
		return err
	}
	if len(failed) > 0 {
		return &store.BatchError{Failed: failed}
	}
	return nil
}

// runCLI runs a newswatch command in this process and returns its exit
// code and output.
func runCLI(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := realMain(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// A poison article goes to the dead letters after MaxDeliver deliveries
// with the store's error while the other articles are indexed;
// `newswatch dead list` shows it and `dead replay` brings it back into the
// index once the store takes it.
func TestPoisonDeadLetterAndReplay(t *testing.T) {
	e := bustest.RunServer(t, bustest.TCPConfig(t.TempDir()))
	c := bustest.Connect(t, e)
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(bustest.Token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	natsArgs := []string{"--nats", e.ClientURL(), "--nats-token-file", tokenFile}

	bl, err := bleve.Open(t.TempDir(), bleve.Options{}, bustest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bl.Close() })
	var arts []*article.Article
	for i := 0; i < 300; i++ {
		arts = append(arts, bustest.Article(t, []string{"caliber", "oxu", "apa"}[i%3], i, 600))
	}
	poison := arts[150]
	st := &poisonStore{Store: bl, poison: poison.ID}
	st.broken.Store(true)
	cfg := indexer.Config{BatchSize: 50, FlushInterval: 50 * time.Millisecond, MaxDeliver: 3,
		RetryBackOff: []time.Duration{200 * time.Millisecond, 400 * time.Millisecond}}
	ix, err := indexer.New(cfg, c, st, bustest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ix.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	pctx, pcancel := context.WithTimeout(ctx, 30*time.Second)
	defer pcancel()
	if _, err := c.PublishBatch(pctx, arts); err != nil {
		t.Fatal(err)
	}
	// The others flow while the poison article is retried.
	bustest.CheckFor(t, 30*time.Second, 20*time.Millisecond, func() error {
		r, err := bl.Search(ctx, store.Query{})
		if err != nil {
			return err
		}
		if r.Total != 299 {
			return fmt.Errorf("%d of 299 stored", r.Total)
		}
		return nil
	})
	bustest.CheckFor(t, 30*time.Second, 20*time.Millisecond, func() error {
		if n := ix.Stats().DeadLettered; n != 1 {
			return fmt.Errorf("%d dead-lettered", n)
		}
		return nil
	})
	if _, err := bl.Get(ctx, poison.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("poison article stored: %v", err)
	}

	// dead list: the table and JSON lines name it, its reason, deliveries
	// and the store's error.
	code, out, errOut := runCLI(append([]string{"dead", "list"}, natsArgs...)...)
	if code != 0 {
		t.Fatalf("dead list: exit %d\n%s", code, errOut)
	}
	t.Logf("dead list:\n%s", out)
	for _, want := range []string{poison.ID, "store_failed", "immense term", "1 dead letter(s)", " 3 "} {
		if !strings.Contains(out, want) {
			t.Errorf("dead list does not show %q", want)
		}
	}
	code, out, errOut = runCLI(append([]string{"dead", "list", "--json", "--outlet", poison.Outlet, "--since", "1h"}, natsArgs...)...)
	if code != 0 {
		t.Fatalf("dead list --json: exit %d\n%s", code, errOut)
	}
	var d bus.DeadMessage
	sc := bufio.NewScanner(strings.NewReader(out))
	n := 0
	for sc.Scan() {
		n++
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			t.Fatal(err)
		}
	}
	if n != 1 || d.ArticleID != poison.ID || d.Deliveries != 3 || d.Reason != bus.ReasonStoreFailed ||
		!strings.Contains(d.Error, "immense term") || d.Subject != "articles."+poison.Outlet || d.Title != poison.Title {
		t.Errorf("dead list --json: %d lines, %+v", n, d)
	}
	for _, f := range [][]string{{"--outlet", "other"}, {"--reason", bus.ReasonUndecodable}, {"--since", time.Now().Add(time.Hour).Format(time.RFC3339)}} {
		if _, out, _ := runCLI(append(append([]string{"dead", "list"}, f...), natsArgs...)...); !strings.Contains(out, "0 dead letter(s)") {
			t.Errorf("dead list %v selects it:\n%s", f, out)
		}
	}

	// Fixed: replay brings it into the index and out of the dead letters.
	st.broken.Store(false)
	code, out, errOut = runCLI(append([]string{"dead", "replay", "--outlet", poison.Outlet}, natsArgs...)...)
	if code != 0 || !strings.Contains(out, "replayed 1 dead letter(s)") {
		t.Fatalf("dead replay: exit %d\n%s%s", code, out, errOut)
	}
	bustest.CheckFor(t, 30*time.Second, 20*time.Millisecond, func() error {
		r, err := bl.Get(ctx, poison.ID)
		if err != nil {
			return err
		}
		if r.Article.Title != poison.Title || len(r.Versions) != 1 {
			return fmt.Errorf("replayed article: %+v", r)
		}
		return nil
	})
	if _, out, _ := runCLI(append([]string{"dead", "list"}, natsArgs...)...); !strings.Contains(out, "0 dead letter(s)") {
		t.Errorf("dead letters after the replay:\n%s", out)
	}
	r, err := bl.Search(ctx, store.Query{})
	if err != nil || r.Total != 300 {
		t.Errorf("store holds %v articles after the replay (%v), want 300", r.Total, err)
	}

	// Bad input is a clear error.
	for _, args := range [][]string{{"dead"}, {"dead", "purge"}, {"dead", "list", "--since", "yesterday"}, {"dead", "list", "--outlet", "Bad Outlet", "--nats", e.ClientURL(), "--nats-token-file", tokenFile},
		{"dead", "list", "--data", t.TempDir()}} {
		if code, _, errOut := runCLI(args...); code == 0 {
			t.Errorf("%v: exit 0", args)
		} else {
			t.Logf("%v: exit %d: %s", args, code, strings.TrimSpace(errOut))
		}
	}
}
