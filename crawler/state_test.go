package crawler

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/newswatch/newswatch/bus/bustest"
)

// Both StateStores: a missing state is ErrNoState, Put at a stale
// revision is ErrStateConflict, and any URL with the article's identity
// (http or https, "www.") finds the state.
func TestStateStores(t *testing.T) {
	e := bustest.RunBasicJetStreamServer(t)
	conn := bustest.Connect(t, e)
	ctx := context.Background()
	kv, err := conn.URLState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]StateStore{"memory": NewMemoryState(), "kv": NewKVState(kv)} {
		t.Run(name, func(t *testing.T) {
			const u = "https://caliber.az/en/post/x"
			if _, _, err := s.Get(ctx, "caliber", u); !errors.Is(err, ErrNoState) {
				t.Fatalf("Get of nothing: %v", err)
			}
			v1 := URLState{ContentHash: "a", Version: 1, FetchedAt: time.Date(2025, 2, 21, 15, 0, 0, 0, time.UTC)}
			rev, err := s.Put(ctx, "caliber", u, v1, 0)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Put(ctx, "caliber", u, v1, 0); !errors.Is(err, ErrStateConflict) {
				t.Errorf("second create: %v, want ErrStateConflict", err)
			}
			got, rev2, err := s.Get(ctx, "caliber", "http://www.caliber.az/en/post/x?utm_source=rss")
			if err != nil || got != v1 || rev2 != rev {
				t.Fatalf("Get through another URL of the article = %+v, %d, %v; want %+v, %d", got, rev2, err, v1, rev)
			}
			v2 := URLState{ContentHash: "b", Version: 2, FetchedAt: v1.FetchedAt.Add(time.Hour)}
			if _, err := s.Put(ctx, "caliber", u, v2, rev); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Put(ctx, "caliber", u, v1, rev); !errors.Is(err, ErrStateConflict) {
				t.Errorf("put at a stale revision: %v, want ErrStateConflict", err)
			}
			if got, _, _ := s.Get(ctx, "caliber", u); got != v2 {
				t.Errorf("state = %+v, want %+v", got, v2)
			}
			if _, _, err := s.Get(ctx, "report", u); !errors.Is(err, ErrNoState) {
				t.Errorf("another outlet's state: %v", err)
			}
			if _, _, err := s.Get(ctx, "Bad.Outlet", u); err == nil || errors.Is(err, ErrNoState) {
				t.Errorf("bad outlet: %v", err)
			}
		})
	}
}
