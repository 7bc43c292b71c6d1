package indexer_test

import (
	"context"
	"testing"
	"time"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/bus/bustest"
	"github.com/newswatch/newswatch/indexer"
	"github.com/newswatch/newswatch/store/bleve"
)

// A, B and A again (an edit reverted) of one article arrive in one batch:
// every version joins the history, the store shows version 3 = A, and a
// redelivery of the same messages changes nothing.
func TestBatchKeepsEveryVersion(t *testing.T) {
	e := bustest.RunBasicJetStreamServer(t)
	c := bustest.Connect(t, e)
	ctx := context.Background()
	a := bustest.Article(t, "caliber", 1, 0)
	b := *a
	b.Body, b.Version, b.FetchedAt = "Edited body.", 2, a.FetchedAt.Add(time.Hour)
	if err := b.Finalize(); err != nil {
		t.Fatal(err)
	}
	a3 := *a
	a3.Version, a3.FetchedAt = 3, a.FetchedAt.Add(2*time.Hour)
	for _, x := range []*article.Article{a, &b, &a3, &b} { // b twice: a republish
		if _, err := c.Publish(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	st, err := bleve.Open(t.TempDir(), bleve.Options{}, bustest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ix, err := indexer.New(fastConfig(), c, st, bustest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- ix.Run(rctx) }()
	defer func() { cancel(); <-done }()
	waitIdle(t, ix)
	rec, err := st.Get(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Article.Version != 3 || rec.Article.ContentHash != a.ContentHash {
		t.Errorf("stored version %d %s, want 3 with A's content %s", rec.Article.Version, rec.Article.ContentHash, a.ContentHash)
	}
	want := []string{a.ContentHash, b.ContentHash, a.ContentHash}
	if len(rec.Versions) != 3 {
		t.Fatalf("history %+v, want 3 versions", rec.Versions)
	}
	for i, v := range rec.Versions {
		if v.Version != i+1 || v.ContentHash != want[i] {
			t.Errorf("history[%d] = %d %s, want %d %s", i, v.Version, v.ContentHash, i+1, want[i])
		}
	}
	if s := ix.Stats(); s.Indexed != 3 || s.DeadLettered != 0 {
		t.Errorf("stats %+v, want 3 messages indexed (the republish deduplicated by the server)", s)
	}
}
