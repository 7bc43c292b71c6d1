package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/newswatch/newswatch/bus/bustest"
	"github.com/newswatch/newswatch/crawler/health"
)

// The demo is alive: while it runs, the simulated outlets publish and
// edit articles and take turns being down, so new articles and new
// versions arrive in the API, and /v1/outlets shows an outlet going down
// and coming back.
func TestDemoIsAlive(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the demo binary")
	}
	t.Parallel()
	addr := freePort(t)
	d := startProc(t, "demo", "--articles", "30", "--listen", addr, "--data", t.TempDir(), "--min-poll", "300ms",
		"--crawl-interval", "1s", "--publish-every", "400ms", "--edit-every", "700ms", "--outage-every", "12s", "--outage-for", "8s")
	base := "http://" + addr
	outlets := func() ([]health.Outlet, error) {
		resp, err := http.Get(base + "/v1/outlets")
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		var body struct{ Outlets []health.Outlet }
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			return nil, err
		}
		return body.Outlets, nil
	}
	var sawDown string
	var total int64
	edited := 0
	bustest.CheckFor(t, 2*time.Minute, 200*time.Millisecond, func() error {
		if err := d.exited(t); err != nil {
			t.Fatal(err)
		}
		os, err := outlets()
		if err != nil {
			return err
		}
		for _, o := range os {
			if o.Status == health.Down && sawDown == "" {
				sawDown = o.ID
			}
		}
		res, err := apiSearch(addr, url.Values{"size": {"100"}, "sort": {"newest"}})
		if err != nil {
			return err
		}
		total, edited = res.Total, 0
		for _, h := range res.Hits {
			if h.Article.Version > 1 {
				edited++
			}
		}
		switch {
		case total <= 30:
			return fmt.Errorf("%d articles: none published since the start", total)
		case edited == 0:
			return fmt.Errorf("%d articles, no second version yet", total)
		case sawDown == "":
			return fmt.Errorf("no outlet shown down yet (%d outlets)", len(os))
		}
		return nil
	})
	// The outlet that was down comes back.
	bustest.CheckFor(t, time.Minute, 200*time.Millisecond, func() error {
		os, err := outlets()
		if err != nil {
			return err
		}
		for _, o := range os {
			if o.ID == sawDown && o.Status == health.Down {
				return fmt.Errorf("%s still down", o.ID)
			}
		}
		return nil
	})
	d.stop(t)
	t.Logf("live demo: %d articles (30 at the start), %d of the newest 100 at version 2 or later, %s went down and came back", total, edited, sawDown)
}
