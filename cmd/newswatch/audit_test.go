package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bv "github.com/blevesearch/bleve/v2"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/bus"
	"github.com/newswatch/newswatch/bus/bustest"
	"github.com/newswatch/newswatch/indexer"
	"github.com/newswatch/newswatch/pipeline"
	"github.com/newswatch/newswatch/simsite"
	"github.com/newswatch/newswatch/simsite/simcrawl"
	"github.com/newswatch/newswatch/store"
	sbleve "github.com/newswatch/newswatch/store/bleve"
)

// runPipeline starts the parts of a pipeline on data, crawling site once
// per start, and waits until the store holds want articles and the
// indexer has nothing pending.
func runPipeline(t *testing.T, site *simsite.Site, data string, parts pipeline.Parts, want int64) *pipeline.Pipeline {
	t.Helper()
	cfg := pipeline.Config{Parts: parts, DataDir: data, Listen: "127.0.0.1:0", CrawlInterval: time.Hour}
	if parts.Crawl {
		cfg.Outlets = simcrawl.Outlets(site)
	}
	p, err := pipeline.Start(context.Background(), cfg, bustest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	ctx := context.Background()
	bustest.CheckFor(t, 120*time.Second, 100*time.Millisecond, func() error {
		r, err := p.Store().Search(ctx, store.Query{})
		if err != nil {
			return err
		}
		if r.Total != want {
			return fmt.Errorf("store holds %d, want %d", r.Total, want)
		}
		if n, err := p.Indexer().Pending(ctx); err != nil || n > 0 {
			return fmt.Errorf("%d pending (%v)", n, err)
		}
		return nil
	})
	return p
}

// An article deleted from the store behind newswatch's back comes back
// after `newswatch audit`: republished from its copy in the stream. One
// whose copy is gone from the stream as well (a loss below newswatch) has
// its crawl state reset and comes back when the crawler next sees it.
func TestAuditHealsStoreLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("crawls a simulated site")
	}
	const n = 60
	site := startSite(t, n)
	data := t.TempDir()
	p := runPipeline(t, site, data, pipeline.All, n)
	ctx := context.Background()
	r, err := p.Store().Search(ctx, store.Query{Size: 4, Sort: store.SortNewest})
	if err != nil || len(r.Hits) != 4 {
		t.Fatalf("search: %v", err)
	}
	var deleted []article.Article
	for _, h := range r.Hits {
		deleted = append(deleted, h.Article)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}

	// Behind newswatch's back: four documents deleted from the Bleve
	// index, and the stream copy of the last one deleted too.
	idx, err := bv.Open(filepath.Join(data, "index", sbleve.IndexDirName))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range deleted {
		if err := idx.Delete(a.ID); err != nil {
			t.Fatal(err)
		}
	}
	if err := idx.Close(); err != nil {
		t.Fatal(err)
	}
	lost := deleted[3]
	conn, closeBus, err := pipeline.OpenBus(ctx, pipeline.Config{DataDir: data}, bustest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	deleteStreamCopies(t, conn, lost.ID)
	closeBus()

	// A dry run reports the gap and changes nothing (exit 1).
	code, out, errOut := runCLI("audit", "--data", data, "--dry-run")
	t.Logf("audit --dry-run:\n%s", out)
	if code != 1 || !strings.Contains(out, "missing from the store:        4") {
		t.Fatalf("audit --dry-run: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runCLI("audit", "--data", data, "--json")
	if code != 0 {
		t.Fatalf("audit: exit %d\n%s", code, errOut)
	}
	var rep indexer.AuditReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("audit --json: %v\n%s", err, out)
	}
	t.Logf("audit: %+v", rep)
	if rep.Checked != n || rep.Indexed != n-4 || rep.Missing != 4 || rep.Republished != 3 || rep.Requeued != 1 || rep.InFlight != 0 {
		t.Errorf("audit report %+v: want %d checked, 4 missing, 3 republished, 1 requeued", rep, n)
	}

	// The indexer alone (no crawling) brings back the three from the stream.
	p = runPipeline(t, site, data, pipeline.Parts{Index: true, Serve: true}, n-1)
	for _, a := range deleted[:3] {
		rec, err := p.Store().Get(ctx, a.ID)
		if err != nil || rec.Article.ContentHash != a.ContentHash || len(rec.Versions) != 1 {
			t.Errorf("article %s after the audit: %+v, %v", a.ID, rec, err)
		}
	}
	if _, err := p.Store().Get(ctx, lost.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("article lost from the stream is back without a crawl: %v", err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	// A second audit finds nothing left to republish: the lost one waits
	// for the crawler.
	code, out, _ = runCLI("audit", "--data", data)
	if code != 0 || !strings.Contains(out, "republished from the stream:   0") {
		t.Errorf("second audit: exit %d\n%s", code, out)
	}
	// The crawler publishes the lost one again, as version 1 once more.
	p = runPipeline(t, site, data, pipeline.All, n)
	rec, err := p.Store().Get(ctx, lost.ID)
	if err != nil || rec.Article.ContentHash != lost.ContentHash || len(rec.Versions) != 1 || rec.Article.Version != 1 {
		t.Errorf("lost article after the crawl: %+v, %v", rec, err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCLI("audit", "--data", data, "--dry-run")
	if code != 0 || !strings.Contains(out, fmt.Sprintf("audit: %d articles in the crawl state, %d in the store", n, n)) {
		t.Errorf("final audit: exit %d\n%s", code, out)
	}
}

// deleteStreamCopies removes every message of an article from ARTICLES.
func deleteStreamCopies(t *testing.T, conn *bus.Conn, id string) {
	t.Helper()
	ctx := context.Background()
	s, err := conn.JetStream().Stream(ctx, bus.StreamArticles)
	if err != nil {
		t.Fatal(err)
	}
	info := s.CachedInfo()
	found := 0
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(m.Header.Get(jetstream.MsgIDHeader), id+":") {
			if err := s.DeleteMsg(ctx, seq); err != nil {
				t.Fatal(err)
			}
			found++
		}
	}
	if found == 0 {
		t.Fatalf("no stream copy of %s", id)
	}
}
