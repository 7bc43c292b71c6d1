package api

import (
	"context"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/simsite"
	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/bleve"
)

// TestDaysInTheReadersZone: on the demo corpus (published in Baku time),
// from=D&to=D counts the articles of day D as the zone reads it: the
// deployment's zone (Asia/Baku here) by default, or the request's tz - and
// the days of a week add up to the week.
func TestDaysInTheReadersZone(t *testing.T) {
	site, err := simsite.New(simsite.Config{Seed: 1, Articles: 300, Outlets: simsite.DefaultOutlets})
	if err != nil {
		t.Fatal(err)
	}
	var arts []*article.Article
	for _, o := range site.Outlets() {
		if err := site.SetBaseURL(o.ID, "https://"+o.ID+".demo.example"); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range site.Articles() {
		s, err := a.Stored(a.PublishedAt.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		arts = append(arts, &s)
	}
	idx, err := bleve.Open(t.TempDir(), bleve.Options{}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	if err := idx.Put(context.Background(), arts); err != nil {
		t.Fatal(err)
	}
	baku, err := time.LoadLocation("Asia/Baku")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvStore(t, Config{Location: baku}, idx)
	count := func(loc *time.Location, day string) int64 {
		var n int64
		for _, a := range arts {
			if a.PublishedAt.In(loc).Format(time.DateOnly) == day {
				n++
			}
		}
		return n
	}
	ny, _ := time.LoadLocation("America/New_York")
	days := []string{"2025-02-15", "2025-02-16", "2025-02-17", "2025-02-18", "2025-02-19", "2025-02-20", "2025-02-21"}
	var week int64
	for _, day := range days {
		for _, tc := range []struct {
			tz  string
			loc *time.Location
		}{{"", baku}, {"Asia/Baku", baku}, {"+04:00", baku}, {"UTC", time.UTC}, {"America/New_York", ny}} {
			p := url.Values{"from": {day}, "to": {day}, "size": {"0"}}
			if tc.tz != "" {
				p.Set("tz", tc.tz)
			}
			got := e.search(t, p).Total
			if want := count(tc.loc, day); got != want {
				t.Errorf("from=to=%s tz=%q: %d articles, want %d", day, tc.tz, got, want)
			}
			if tc.tz == "" {
				week += got
			}
		}
	}
	if got := e.search(t, url.Values{"from": {days[0]}, "to": {days[len(days)-1]}, "size": {"0"}}).Total; got != week {
		t.Errorf("the week has %d articles, its days %d", got, week)
	}
	// The demo's last day: Baku and UTC disagree on it.
	if b, u := count(baku, "2025-02-21"), count(time.UTC, "2025-02-21"); b == u {
		t.Fatalf("21 February has %d articles in Baku and in UTC: the corpus does not tell zones apart", b)
	}
	// Bad zones are the caller's mistake.
	for _, tz := range []string{"Mars/Olympus", "Local", "/etc/passwd", "../../etc/localtime", "+99:00", "4"} {
		resp, body := e.do(t, "GET", "/v1/search?from=2025-02-21&tz="+url.QueryEscape(tz))
		if resp.StatusCode != 400 {
			t.Errorf("tz=%q: %d %s, want 400", tz, resp.StatusCode, body)
		}
	}
}

// newEnvStore serves st.
func newEnvStore(t *testing.T, cfg Config, st store.Store) *env {
	t.Helper()
	// Without keys, the server reads as an open one does (the keys have
	// their own tests).
	cfg.Open = cfg.Open || cfg.Keys == nil
	if cfg.Rate == 0 { // the rate limits have their own tests too
		cfg.Rate, cfg.Burst = 1e6, 1e6
	}
	s, err := New(cfg, st, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &env{srv: srv, st: st, storeName: cfg.StoreName}
}
