package pipeline_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap/zaptest"

	"github.com/newswatch/newswatch/bus"
	"github.com/newswatch/newswatch/bus/bustest"
	"github.com/newswatch/newswatch/crawler/health"
	"github.com/newswatch/newswatch/internal/promreg/promtest"
	"github.com/newswatch/newswatch/pipeline"
	"github.com/newswatch/newswatch/simsite"
	"github.com/newswatch/newswatch/simsite/simcrawl"
)

// outletEvents reads every status change of one outlet from the
// OUTLET_EVENTS stream, oldest first.
func outletEvents(ctx context.Context, js jetstream.JetStream, outlet string) ([]health.Event, error) {
	subj, err := bus.OutletEventSubject(outlet)
	if err != nil {
		return nil, err
	}
	c, err := js.OrderedConsumer(ctx, bus.StreamOutletEvents, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subj}})
	if err != nil {
		return nil, err
	}
	var out []health.Event
	for {
		b, err := c.FetchNoWait(100)
		if err != nil {
			return nil, err
		}
		n := 0
		for m := range b.Messages() {
			n++
			var ev health.Event
			if err := json.Unmarshal(m.Data(), &ev); err != nil {
				return nil, fmt.Errorf("event %q: %w", m.Data(), err)
			}
			out = append(out, ev)
		}
		if err := b.Error(); err != nil {
			return nil, err
		}
		if n == 0 {
			return out, nil
		}
	}
}

// Acceptance (outlet health): an outlet taken down and brought back shows
// as down, then up in GET /v1/outlets/{id}; each status change is an
// event on outlets.events.<outlet>; the per-outlet Prometheus metrics
// count requests by result, articles new and updated and fetch latency,
// and give the last success time and the current status.
func TestOutletHealthEventsAndMetrics(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	site, err := simsite.New(simsite.Config{Seed: 73, Articles: 12, Unpublished: 3, LiveDates: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := site.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { site.Close() })
	e := bustest.RunServer(t, bustest.TCPConfig(t.TempDir()))
	conn := bustest.Connect(t, e)
	ctx := context.Background()
	oc := simcrawl.Outlets(site)
	for i := range oc.Outlets {
		o := &oc.Outlets[i]
		o.Poll.MinInterval, o.Poll.MaxInterval = 200*time.Millisecond, time.Second
		o.Poll.Recheck = []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}
		o.Fetch.Retry.MaxRetries, o.Fetch.Retry.Backoff = 1, 10*time.Millisecond
	}
	started := time.Now()
	p, err := pipeline.Start(ctx, pipeline.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0", Outlets: oc,
		NATSURL: e.ClientURL(), NATSToken: e.Token(),
		CrawlerOptions: simcrawl.Options(site), Open: true, Rate: 1e6, Burst: 1e6}, zaptest.NewLogger(t).Named("pipeline"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	base, addr := "http://"+p.APIAddr(), p.APIAddr()
	waitTotal(t, p, 9)
	perOutlet := map[string]int{}
	for _, a := range site.Articles() {
		perOutlet[a.Outlet]++
	}
	m := func(name string) float64 {
		v, err := promtest.Value(addr, name)
		if err != nil {
			return -1
		}
		return v
	}
	status := func(id string) (health.Outlet, error) {
		var one struct {
			Outlet health.Outlet `json:"outlet"`
		}
		err := getJSON(base+"/v1/outlets/"+id, &one)
		return one.Outlet, err
	}
	waitStatus := func(id string, want health.Status) health.Outlet {
		t.Helper()
		var o health.Outlet
		bustest.CheckFor(t, 30*time.Second, 50*time.Millisecond, func() error {
			var err error
			if o, err = status(id); err != nil {
				return err
			}
			if o.Status != want || m(fmt.Sprintf(`newswatch_crawler_outlet_status{outlet=%q,status=%q}`, id, want)) != 1 {
				return fmt.Errorf("%s is %s (%s), want %s", id, o.Status, o.Reason, want)
			}
			return nil
		})
		return o
	}

	// All up: every article counted new, requests ok, a last success.
	for id, n := range perOutlet {
		waitStatus(id, health.Up)
		if got := m(fmt.Sprintf(`newswatch_crawler_articles_total{kind="new",outlet=%q}`, id)); got != float64(n) {
			t.Errorf("%s: articles_total{kind=new} %v, want %d", id, got, n)
		}
		ok := m(fmt.Sprintf(`newswatch_crawler_requests_total{outlet=%q,result="ok"}`, id))
		if ok < float64(n) {
			t.Errorf("%s: requests_total{result=ok} %v, want at least %d", id, ok, n)
		}
		if c := m(fmt.Sprintf(`newswatch_crawler_fetch_duration_seconds_count{outlet=%q}`, id)); c < ok {
			t.Errorf("%s: fetch_duration_seconds_count %v, fewer than the %v ok requests", id, c, ok)
		}
		last := m(fmt.Sprintf(`newswatch_crawler_last_success_timestamp_seconds{outlet=%q}`, id))
		if last < float64(started.Unix()) || last > float64(time.Now().Unix()+1) {
			t.Errorf("%s: last_success_timestamp_seconds %v, not since the start (%d)", id, last, started.Unix())
		}
	}

	// caliber goes down: GET /v1/outlets/caliber, the event, the metrics.
	if err := site.SetFaults("caliber", simsite.Faults{Down: true}); err != nil {
		t.Fatal(err)
	}
	outage := time.Now()
	down := waitStatus("caliber", health.Down)
	tookDown := time.Since(outage)
	if fails := m(`newswatch_crawler_requests_total{outlet="caliber",result="http_5xx"}`); fails < 3 {
		t.Errorf("caliber down: requests_total{result=http_5xx} %v, want at least 3", fails)
	}
	if m(`newswatch_crawler_outlet_status{outlet="caliber",status="up"}`) != 0 {
		t.Error("caliber down but outlet_status{status=up} is not 0")
	}
	for id := range perOutlet {
		if o, err := status(id); id != "caliber" && (err != nil || o.Status != health.Up) {
			t.Errorf("%s is %s (%v) while caliber is down", id, o.Status, err)
		}
	}
	// It comes back; an article of report is edited meanwhile.
	if err := site.SetFaults("caliber", simsite.Faults{}); err != nil {
		t.Fatal(err)
	}
	back := time.Now()
	waitStatus("caliber", health.Up)
	tookUp := time.Since(back)
	fresh := site.Publish(3)
	var edited string
	for _, a := range fresh {
		if a.Outlet == "report" {
			edited = a.URL
		}
	}
	if edited == "" {
		t.Fatalf("none of the 3 articles published is report's: %+v", fresh)
	}
	waitTotal(t, p, 12)
	if _, err := site.Edit(edited); err != nil {
		t.Fatal(err)
	}
	bustest.CheckFor(t, 30*time.Second, 50*time.Millisecond, func() error {
		if got := m(`newswatch_crawler_articles_total{kind="updated",outlet="report"}`); got != 1 {
			return fmt.Errorf("report: articles_total{kind=updated} %v, want 1", got)
		}
		return nil
	})

	// The events of caliber: down, then back up, each once, in order.
	var evs []health.Event
	bustest.CheckFor(t, 10*time.Second, 50*time.Millisecond, func() error {
		var err error
		if evs, err = outletEvents(ctx, conn.JetStream(), "caliber"); err != nil {
			return err
		}
		var seq []string
		for _, ev := range evs {
			if ev.Outlet != "caliber" || ev.At.IsZero() {
				return fmt.Errorf("event %+v", ev)
			}
			seq = append(seq, string(ev.From)+">"+string(ev.To))
		}
		if n := len(seq); n < 2 || seq[n-2] != "up>down" || seq[n-1] != "down>up" {
			return fmt.Errorf("caliber events %v: want ... up>down, down>up", seq)
		}
		return nil
	})
	if evs[len(evs)-2].Reason == "" {
		t.Error("the down event gives no reason")
	}
	other, err := outletEvents(ctx, conn.JetStream(), "report")
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range other {
		if ev.To != health.Up {
			t.Errorf("report had event %+v while only caliber went down", ev)
		}
	}
	t.Logf("caliber shown down %v after the outage began (%q), up %v after it ended; %d events; report's edit counted as updated",
		tookDown.Round(10*time.Millisecond), down.Reason, tookUp.Round(10*time.Millisecond), len(evs))
}
