package pipeline_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/newswatch/newswatch/api/keys"
	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/bus/bustest"
	"github.com/newswatch/newswatch/crawler/health"
	"github.com/newswatch/newswatch/internal/netguard"
	"github.com/newswatch/newswatch/pipeline"
	"github.com/newswatch/newswatch/simsite"
	"github.com/newswatch/newswatch/simsite/simcrawl"
	"github.com/newswatch/newswatch/watch"
)

// received is an event as a client got it, and when.
type received struct {
	ev  watch.Event
	at  time.Time
	sig string // the webhook's signature header
	raw []byte
}

// eventLog collects received events.
type eventLog struct {
	mu   sync.Mutex
	list []received
}

func (l *eventLog) add(r received) {
	l.mu.Lock()
	l.list = append(l.list, r)
	l.mu.Unlock()
}

// find returns the first event fn accepts.
func (l *eventLog) find(fn func(watch.Event) bool) (received, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range l.list {
		if fn(r.ev) {
			return r, true
		}
	}
	return received{}, false
}

func (l *eventLog) wait(t *testing.T, what string, fn func(watch.Event) bool) received {
	t.Helper()
	var r received
	bustest.CheckFor(t, 90*time.Second, 20*time.Millisecond, func() error {
		var ok bool
		if r, ok = l.find(fn); !ok {
			return fmt.Errorf("no %s yet", what)
		}
		return nil
	})
	return r
}

// followSSE reads the watch's server-sent events into l until ctx is done.
func followSSE(t *testing.T, ctx context.Context, base, id string, l *eventLog) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/v1/watches/"+id+"/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("events: %d %s", resp.StatusCode, b)
	}
	r := bufio.NewReader(resp.Body)
	if _, err := r.ReadString('\n'); err != nil { // the hello comment: followed from now on
		t.Fatal(err)
	}
	go func() {
		defer resp.Body.Close()
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			if data, ok := strings.CutPrefix(strings.TrimRight(line, "\n"), "data: "); ok {
				var ev watch.Event
				if json.Unmarshal([]byte(data), &ev) == nil {
					l.add(received{ev: ev, at: time.Now(), raw: []byte(data)})
				}
			}
		}
	}()
}

func percentile(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, int(float64(len(s))*p+0.5)-1)]
}

// TestWatchLive: the whole pipeline against simulated outlets publishing
// live. A watch on one outlet gets each new article of that outlet on its
// server-sent event stream and its webhook (signed; the signature
// verifies), and none of the other outlet's; latency from publication is
// measured over 20 articles. An edited headline is an edit event with both
// headlines and a word diff; a defaced home page an outlet event. A watch
// whose query matches nothing gets nothing.
func TestWatchLive(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	const runs = 20
	const maxPoll = time.Second
	site, err := simsite.New(simsite.Config{Seed: 77, Articles: 6 + 2*runs + 2, Unpublished: 2*runs + 2, Outlets: 2, LiveDates: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := site.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { site.Close() })
	oc := simcrawl.Outlets(site)
	for i := range oc.Outlets {
		o := &oc.Outlets[i]
		o.Sitemaps, o.RobotsSitemaps = nil, false
		o.Poll.MinInterval, o.Poll.MaxInterval = 200*time.Millisecond, maxPoll
		o.Poll.Recheck = []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second}
	}
	watched := oc.Outlets[0].ID
	data := t.TempDir()
	key, _, err := keys.Create(filepath.Join(data, keys.FileName), keys.NewOptions{Scope: keys.ScopeExport, Name: "editor"})
	if err != nil {
		t.Fatal(err)
	}
	// The receiver is on loopback: this deployment allows such targets.
	hooks := &eventLog{}
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var ev watch.Event
		if json.Unmarshal(b, &ev) == nil {
			hooks.add(received{ev: ev, at: time.Now(), sig: r.Header.Get(watch.HeaderSignature), raw: b})
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rcv.Close)
	p, err := pipeline.Start(context.Background(), pipeline.Config{DataDir: data, Listen: "127.0.0.1:0", Outlets: oc,
		CrawlerOptions: simcrawl.Options(site), Open: true, Rate: 1e6, Burst: 1e6,
		Watch: watch.Config{Webhook: watch.HookConfig{Targets: netguard.Any}}}, zaptest.NewLogger(t).Named("pipeline"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	base := "http://" + p.APIAddr()
	waitTotal(t, p, 6)

	create := func(body string) watch.Watch {
		t.Helper()
		req, _ := http.NewRequest("POST", base+"/v1/watches", bytes.NewReader([]byte(body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var one struct {
			Watch watch.Watch `json:"watch"`
		}
		if resp.StatusCode != 201 || json.Unmarshal(b, &one) != nil {
			t.Fatalf("create watch: %d %s", resp.StatusCode, b)
		}
		return one.Watch
	}
	w := create(fmt.Sprintf(`{"name":"competitor","outlet":[%q],"events":["article","edit","outlet"],"webhook":{"url":%q}}`, watched, rcv.URL+"/hook"))
	none := create(`{"q":"qwertyuiopzxcv","events":["article","edit"]}`)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	sse := &eventLog{}
	followSSE(t, ctx, base, w.ID, sse)
	// The watcher follows the watches bucket: wait until it has both.
	bustest.CheckFor(t, 30*time.Second, 20*time.Millisecond, func() error {
		if n := p.Watcher().Stats().Watches; n != 2 {
			return fmt.Errorf("the watcher follows %d watches", n)
		}
		return nil
	})

	var toSSE, toHook []time.Duration
	var last simsite.Article
	others := map[string]bool{}
	for len(toSSE) < runs {
		start := time.Now()
		a := site.Publish(1)[0]
		id, err := article.ID(a.URL)
		if err != nil {
			t.Fatal(err)
		}
		if a.Outlet != watched {
			others[id] = true
			continue
		}
		last = a
		is := func(ev watch.Event) bool {
			return ev.Kind == watch.KindArticle && ev.Article != nil && ev.Article.ID == id
		}
		s := sse.wait(t, "event for "+a.URL, is)
		h := hooks.wait(t, "webhook for "+a.URL, is)
		toSSE, toHook = append(toSSE, s.at.Sub(start)), append(toHook, h.at.Sub(start))
		if s.ev.ID == "" || h.ev.ID != s.ev.ID || s.ev.Watch != w.ID {
			t.Errorf("event %q on the stream, %q at the webhook (watch %s)", s.ev.ID, h.ev.ID, s.ev.Watch)
		}
		if err := watch.Verify(w.Webhook.Secret, h.sig, h.raw, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("webhook signature of event %s: %v", h.ev.ID, err)
		}
	}
	t.Logf("publication -> SSE over %d articles: p50 %v p95 %v max %v; -> webhook: p50 %v p95 %v max %v (polls at most every %v)",
		runs, percentile(toSSE, .5).Round(time.Millisecond), percentile(toSSE, .95).Round(time.Millisecond), percentile(toSSE, 1).Round(time.Millisecond),
		percentile(toHook, .5).Round(time.Millisecond), percentile(toHook, .95).Round(time.Millisecond), percentile(toHook, 1).Round(time.Millisecond), maxPoll)
	if p95 := percentile(toSSE, .95); p95 > maxPoll+30*time.Second {
		t.Errorf("p95 latency %v: far beyond the poll interval", p95)
	}

	// An edited headline: an edit event with both headlines and a word diff.
	edited, err := site.Edit(last.URL)
	if err != nil {
		t.Fatal(err)
	}
	lastID, _ := article.ID(last.URL)
	e := sse.wait(t, "edit event", func(ev watch.Event) bool { return ev.Kind == watch.KindEdit && ev.Article.ID == lastID })
	if ed := e.ev.Edit; ed == nil || ed.TitleBefore != last.Title || ed.TitleAfter != edited.Title || ed.FromVersion != 1 || ed.ToVersion != 2 ||
		!slices.ContainsFunc(ed.TitleDiff, func(op watch.DiffOp) bool { return op.Op == watch.DiffInsert }) {
		t.Errorf("edit event %+v; want %q -> %q with a diff", e.ev.Edit, last.Title, edited.Title)
	}
	hooks.wait(t, "edit webhook", func(ev watch.Event) bool { return ev.ID == e.ev.ID })

	// A defaced home page: an outlet event.
	if err := site.SetFaults(watched, simsite.Faults{Defaced: true}); err != nil {
		t.Fatal(err)
	}
	o := sse.wait(t, "outlet event", func(ev watch.Event) bool {
		return ev.Kind == watch.KindOutlet && ev.Outlet != nil && ev.Outlet.To == health.Defaced
	})
	if o.ev.Outlet.Outlet != watched || o.ev.Outlet.Reason == "" {
		t.Errorf("outlet event %+v", o.ev.Outlet)
	}

	// Nothing of the other outlet, nothing for the watch that matches nothing.
	if r, ok := sse.find(func(ev watch.Event) bool { return ev.Article != nil && others[ev.Article.ID] }); ok {
		t.Errorf("an article of another outlet reached the watch: %+v", r.ev.Article.URL)
	}
	if r, ok := hooks.find(func(ev watch.Event) bool { return ev.Watch != w.ID }); ok {
		t.Errorf("event of watch %s at the webhook of %s", r.ev.Watch, w.ID)
	}
	if n := countEvents(t, ctx, base, none.ID); n != 0 {
		t.Errorf("the watch that matches nothing has %d events", n)
	}
}

// countEvents counts the events the stream keeps for a watch: those after
// event 0, read until the stream is quiet for a second.
func countEvents(t *testing.T, ctx context.Context, base, id string) int {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/v1/watches/"+id+"/events", nil)
	req.Header.Set("Last-Event-ID", "0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := make(chan string)
	go func() {
		r := bufio.NewReader(resp.Body)
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				close(lines)
				return
			}
			lines <- l
		}
	}()
	n := 0
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				return n
			}
			if strings.HasPrefix(l, "data: ") {
				n++
			}
		case <-time.After(time.Second):
			return n
		}
	}
}
