package watch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/bus"
	"github.com/newswatch/newswatch/bus/bustest"
	"github.com/newswatch/newswatch/crawler/health"
	"github.com/newswatch/newswatch/internal/backoff"
	"github.com/newswatch/newswatch/internal/netguard"
	"github.com/newswatch/newswatch/store/bleve"
	"github.com/newswatch/newswatch/story"
)

// receiver is a webhook endpoint on loopback that records what it gets.
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	bodies [][]byte
	sigs   []string
	ids    []string // Newswatch-Event-Id
	at     []time.Time
	status int // answer; 0: 204
	fail   int // the first fail deliveries are answered 503
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.bodies = append(r.bodies, b)
		r.sigs = append(r.sigs, req.Header.Get(HeaderSignature))
		r.ids = append(r.ids, req.Header.Get(HeaderEventID))
		r.at = append(r.at, time.Now())
		st := r.status
		if r.fail > 0 {
			r.fail--
			st = http.StatusServiceUnavailable
		}
		r.mu.Unlock()
		if st == 0 {
			st = http.StatusNoContent
		}
		w.WriteHeader(st)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) eventIDs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.ids...)
}

func (r *receiver) got() ([][]byte, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.bodies...), append([]string(nil), r.sigs...)
}

type env struct {
	conn    *bus.Conn
	store   *Store
	watcher *Watcher
	index   *bleve.Index
	stories *story.Assigner
	cfg     Config
	stop    func() // stops the watcher and waits for it
}

func newEnv(t *testing.T, cfg Config) *env {
	t.Helper()
	e := bustest.RunBasicJetStreamServer(t)
	c := bustest.Connect(t, e)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	kv, err := c.Stories(ctx)
	if err != nil {
		t.Fatal(err)
	}
	log := bustest.Logger(t)
	as, err := story.NewAssigner(ctx, story.Config{}, kv, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(as.Close)
	idx, err := bleve.Open(t.TempDir(), bleve.Options{}, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	st, err := NewStore(ctx, c, cfg.Webhook.Targets)
	if err != nil {
		t.Fatal(err)
	}
	w, err := New(cfg, c, as, idx, log)
	if err != nil {
		t.Fatal(err)
	}
	en := &env{conn: c, store: st, index: idx, stories: as, cfg: cfg}
	en.start(t, w)
	return en
}

// start runs w as the env's watcher until the test ends or stop.
func (e *env) start(t *testing.T, w *Watcher) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	var once sync.Once
	e.watcher = w
	e.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("watcher: %v", err)
			}
		})
	}
	t.Cleanup(e.stop)
	// The consumers exist once Run has set them up.
	bustest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		_, err := e.conn.JetStream().Consumer(ctx, bus.StreamWatchEvents, bus.WebhooksDurable)
		return err
	})
}

func mkArticle(t *testing.T, outlet, url, lang, title, body string, published time.Time) *article.Article {
	t.Helper()
	a := &article.Article{URL: url, Outlet: outlet, Language: lang, Title: title, Body: body, PublishedAt: &published,
		DateSource: article.DateSourceJSONLD, FetchedAt: time.Now().UTC()}
	if err := a.Finalize(); err != nil {
		t.Fatal(err)
	}
	return a
}

// publish assigns a its story and publishes it, as the crawlers' sink does.
func (e *env) publish(t *testing.T, a *article.Article) {
	t.Helper()
	if err := e.stories.Assign(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	if _, err := e.conn.Publish(context.Background(), a); err != nil {
		t.Fatal(err)
	}
}

func next(t *testing.T, evs <-chan Event, errs <-chan error) Event {
	t.Helper()
	select {
	case ev, ok := <-evs:
		if !ok {
			t.Fatalf("event stream closed: %v", <-errs)
		}
		return ev
	case <-time.After(20 * time.Second):
		t.Fatal("no event within 20 s")
	}
	return Event{}
}

const body1 = "Prezident İlham Əliyev bu gün Şuşa şəhərində çıxış edib. Qarabağ bölgəsində bərpa işləri davam edir, yollar çəkilir və yeni məktəblər tikilir."

// TestWatcherEvents: a matching new article reaches the watch's event
// stream and its webhook with a signature that verifies; an article that
// does not match does not; an edited headline is an edit event with both
// headlines and a word diff; a defaced home page (an outlet health event)
// is an outlet event; a reconnect from Last-Event-ID replays what came
// after it.
func TestWatcherEvents(t *testing.T) {
	e := newEnv(t, Config{Webhook: HookConfig{Targets: netguard.Any}})
	ctx := context.Background()
	rcv := newReceiver(t)
	w, err := e.store.Create(ctx, Watch{Name: "Qarabağ", Query: "Qarabağda OR Şuşa", Outlets: []string{"report", "oxu"},
		Events: []string{KindArticle, KindEdit, KindOutlet}, Webhook: &Webhook{URL: rcv.srv.URL + "/hook"}})
	if err != nil {
		t.Fatal(err)
	}
	if w.Webhook.Secret == "" || !ValidID(w.ID) {
		t.Fatalf("created watch %+v", w)
	}
	bustest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if e.watcher.Stats().Watches != 1 {
			return errors.New("the watcher does not follow the watch yet")
		}
		return nil
	})
	evs, errs, err := e.store.Subscribe(ctx, w.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	other := mkArticle(t, "report", "https://report.az/a/other", "az", "Neft qiymətləri artdı", "Brent markalı neftin qiyməti 80 dollara çatıb.", now)
	e.publish(t, other)
	a := mkArticle(t, "report", "https://report.az/a/susa", "az", "Prezident Şuşada çıxış etdi", body1, now)
	e.publish(t, a)
	ev := next(t, evs, errs)
	if ev.Kind != KindArticle || ev.Article == nil || ev.Article.ID != a.ID || ev.Watch != w.ID || ev.ID == "" {
		t.Fatalf("first event %+v, want the article %s", ev, a.ID)
	}
	// The webhook got the same event, signed.
	bustest.CheckFor(t, 20*time.Second, 20*time.Millisecond, func() error {
		if b, _ := rcv.got(); len(b) == 0 {
			return errors.New("no webhook delivery")
		}
		return nil
	})
	bodies, sigs := rcv.got()
	if err := Verify(w.Webhook.Secret, sigs[0], bodies[0], time.Now(), 5*time.Minute); err != nil {
		t.Errorf("signature: %v", err)
	}
	if err := Verify("another secret of some length", sigs[0], bodies[0], time.Now(), 5*time.Minute); err == nil {
		t.Error("signature verifies with the wrong secret")
	}
	if err := Verify(w.Webhook.Secret, sigs[0], append(bodies[0], ' '), time.Now(), 5*time.Minute); err == nil {
		t.Error("signature verifies a changed body")
	}
	var hooked Event
	if err := json.Unmarshal(bodies[0], &hooked); err != nil || hooked.ID != ev.ID || hooked.Article.ID != a.ID {
		t.Errorf("webhook body %s (%v), want event %s", bodies[0], err, ev.ID)
	}

	// Edit: the store holds version 1 (the indexer stored it).
	if err := e.index.Put(ctx, []*article.Article{a}); err != nil {
		t.Fatal(err)
	}
	v2 := *a
	v2.Title, v2.Version, v2.FetchedAt = "Prezident Şuşada mühüm çıxış etdi", 2, a.FetchedAt.Add(time.Minute)
	if err := v2.Finalize(); err != nil {
		t.Fatal(err)
	}
	e.publish(t, &v2)
	ev = next(t, evs, errs)
	if ev.Kind != KindEdit || ev.Edit == nil || ev.Edit.TitleBefore != a.Title || ev.Edit.TitleAfter != v2.Title ||
		ev.Edit.FromVersion != 1 || ev.Edit.ToVersion != 2 || ev.Article.StoryID != a.StoryID {
		t.Fatalf("edit event %+v", ev)
	}
	diff := fmt.Sprint(ev.Edit.TitleDiff)
	if want := "[{= Prezident Şuşada } {+ mühüm } {= çıxış etdi}]"; diff != want {
		t.Errorf("title diff %s, want %s", diff, want)
	}
	if ev.Edit.BodyDiff != nil {
		t.Errorf("body diff %v for an unchanged body", ev.Edit.BodyDiff)
	}

	// A defaced home page: the crawler publishes the outlet's new status.
	he := health.Event{Outlet: "report", From: health.Up, To: health.Defaced, Reason: "the home page was replaced", At: time.Now().UTC()}
	data, _ := json.Marshal(he)
	if err := e.conn.PublishOutletEvent(ctx, "report", data, ""); err != nil {
		t.Fatal(err)
	}
	// Another outlet's event is not for this watch.
	data2, _ := json.Marshal(health.Event{Outlet: "vesti", From: health.Up, To: health.Down, At: time.Now().UTC()})
	if err := e.conn.PublishOutletEvent(ctx, "vesti", data2, ""); err != nil {
		t.Fatal(err)
	}
	ev = next(t, evs, errs)
	if ev.Kind != KindOutlet || ev.Outlet == nil || ev.Outlet.To != health.Defaced || ev.Outlet.Outlet != "report" {
		t.Fatalf("outlet event %+v", ev)
	}
	// Reconnecting after the first event replays the edit and the outlet
	// event, in order.
	first := mustSeq(t, hooked.ID)
	again, errs2, err := e.store.Subscribe(ctx, w.ID, first+1)
	if err != nil {
		t.Fatal(err)
	}
	if k1, k2 := next(t, again, errs2).Kind, next(t, again, errs2).Kind; k1 != KindEdit || k2 != KindOutlet {
		t.Errorf("replay after %d: %s, %s; want edit, outlet", first, k1, k2)
	}
	if st := e.watcher.Stats(); st.Events != 3 {
		t.Errorf("watcher made %d events, want 3", st.Events)
	}
}

// TestOneMessagePerArticle: an article matching several watches is one
// message of WATCH_EVENTS whatever their number; each watch's stream and
// webhook get its event under the same ID, a failed delivery is retried
// for its watch alone under that ID, and a watch the article does not
// match sees nothing.
func TestOneMessagePerArticle(t *testing.T) {
	e := newEnv(t, Config{Webhook: HookConfig{Targets: netguard.Any, Backoff: backoff.Policy{Initial: 50 * time.Millisecond, Max: 200 * time.Millisecond}}})
	ctx := context.Background()
	flaky, good := newReceiver(t), newReceiver(t)
	flaky.fail = 2
	var ids []string
	for _, wt := range []Watch{
		{Query: "Şuşa", Webhook: &Webhook{URL: flaky.srv.URL}},
		{Query: "Şuşada", Webhook: &Webhook{URL: good.srv.URL}},
		{Query: "Qarabağ OR Şuşa"},
		{Query: "neft"},
	} {
		w, err := e.store.Create(ctx, wt)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, w.ID)
	}
	bustest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if n := e.watcher.Stats().Watches; n != len(ids) {
			return fmt.Errorf("the watcher follows %d watches", n)
		}
		return nil
	})
	a := mkArticle(t, "report", "https://report.az/a/susa-many", "az", "Prezident Şuşada çıxış etdi", body1, time.Now())
	e.publish(t, a)
	bustest.CheckFor(t, 20*time.Second, 20*time.Millisecond, func() error {
		if f, g := len(flaky.eventIDs()), len(good.eventIDs()); f != 3 || g != 1 {
			return fmt.Errorf("deliveries: %d to the flaky webhook (want 3), %d to the good one (want 1)", f, g)
		}
		return nil
	})
	st, err := e.conn.JetStream().Stream(ctx, bus.StreamWatchEvents)
	if err != nil {
		t.Fatal(err)
	}
	for subject, want := range map[string]uint64{bus.WatchMatchesSubject: 1, bus.WatchEventsSubjects: 0, bus.WatchRetriesPrefix + ids[0]: 1, bus.WatchRetriesPrefix + ids[1]: 0} {
		info, err := st.Info(ctx, jetstream.WithSubjectFilter(subject))
		if err != nil {
			t.Fatal(err)
		}
		var n uint64
		for _, c := range info.State.Subjects {
			n += c
		}
		if n != want {
			t.Errorf("%d messages on %s, want %d", n, subject, want)
		}
	}
	if e.watcher.Stats().Events != 3 {
		t.Errorf("watcher made %d events, want 3", e.watcher.Stats().Events)
	}
	for i, want := range []int{1, 1, 1, 0} {
		if n := countEvents(t, e.conn, ids[i]); n != want {
			t.Errorf("watch %d has %d events, want %d", i, n, want)
		}
	}
	evs, errs, err := e.store.Subscribe(ctx, ids[2], 1)
	if err != nil {
		t.Fatal(err)
	}
	ev := next(t, evs, errs)
	if ev.Watch != ids[2] || ev.Kind != KindArticle || ev.Article.ID != a.ID {
		t.Errorf("event of the third watch %+v", ev)
	}
	all := append(flaky.eventIDs(), good.eventIDs()...)
	for _, id := range all {
		if id != ev.ID {
			t.Errorf("webhook event IDs %v, want all %s (the stream's)", all, ev.ID)
			break
		}
	}
	// The retries kept the back-off: 50 ms, then 100 ms.
	flaky.mu.Lock()
	at := append([]time.Time(nil), flaky.at...)
	flaky.mu.Unlock()
	if d1, d2 := at[1].Sub(at[0]), at[2].Sub(at[1]); d1 < 45*time.Millisecond || d2 < 90*time.Millisecond {
		t.Errorf("retries after %v and %v, want at least 50 ms and 100 ms", d1, d2)
	}
	bodies, _ := good.got()
	var hooked Event
	if err := json.Unmarshal(bodies[0], &hooked); err != nil || hooked.Watch != ids[1] || hooked.ID != ev.ID {
		t.Errorf("webhook body %s (%v)", bodies[0], err)
	}
}

func mustSeq(t *testing.T, id string) uint64 {
	t.Helper()
	var n uint64
	if _, err := fmt.Sscan(id, &n); err != nil || n == 0 {
		t.Fatalf("event id %q is not a sequence", id)
	}
	return n
}

// TestGapWatch: a competitor's story the watch's outlet did not cover
// within the minutes is a gap event naming the competitors' articles; a
// story it covered is not.
func TestGapWatch(t *testing.T) {
	e := newEnv(t, Config{GapTick: 50 * time.Millisecond})
	ctx := context.Background()
	w, err := e.store.Create(ctx, Watch{Query: "Şuşa OR Qarabağ", Gap: &Gap{Outlet: "caliber", Competitors: []string{"report", "oxu"}, Minutes: 30}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(w.Events, ",") != "article,edit,gap" {
		t.Errorf("default events of a gap watch: %v", w.Events)
	}
	bustest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if e.watcher.Stats().Watches != 1 {
			return errors.New("not followed yet")
		}
		return nil
	})
	evs, errs, err := e.store.Subscribe(ctx, w.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Published 40 minutes ago by two competitors: due at once. Nobody at
	// caliber covered it.
	old := time.Now().UTC().Add(-40 * time.Minute).Truncate(time.Second)
	a := mkArticle(t, "report", "https://report.az/a/susa-gap", "az", "Prezident Şuşada çıxış etdi", body1, old)
	e.publish(t, a)
	b := mkArticle(t, "oxu", "https://oxu.az/a/susa-gap", "az", "Prezident Şuşada çıxış etdi", body1+" Oxu.az", old.Add(5*time.Minute))
	e.publish(t, b)
	// A story caliber covered too: no gap.
	body2 := "Bakıda keçirilən görüşdə Qarabağda su idarəçiliyini müzakirə ediblər, tərəflər dialoqu davam etdirmək barədə razılığa gəliblər və yeni layihələr açıqlanıb."
	c1 := mkArticle(t, "report", "https://report.az/a/su", "az", "Qarabağda su", body2, old)
	c2 := mkArticle(t, "caliber", "https://caliber.az/az/post/su", "az", "Qarabağda su idarəçiliyi", body2, old.Add(10*time.Minute))
	e.publish(t, c2) // caliber was there first
	e.publish(t, c1)
	if c1.StoryID != c2.StoryID || a.StoryID != b.StoryID || a.StoryID == c1.StoryID {
		t.Fatalf("stories: %s %s / %s %s", a.StoryID, b.StoryID, c1.StoryID, c2.StoryID)
	}
	var gaps []Event
	ev := next(t, evs, errs)
	for ev.Kind != KindGap {
		ev = next(t, evs, errs)
	}
	gaps = append(gaps, ev)
	// Both checks have run once the pending checks are gone.
	bustest.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		e.watcher.mu.RLock()
		defer e.watcher.mu.RUnlock()
		if n := len(e.watcher.gaps); n > 0 {
			return fmt.Errorf("%d gap checks pending", n)
		}
		return nil
	})
	for more := true; more; {
		select {
		case ev := <-evs:
			if ev.Kind == KindGap {
				gaps = append(gaps, ev)
			}
		case <-time.After(300 * time.Millisecond):
			more = false
		}
	}
	if len(gaps) != 1 {
		t.Fatalf("%d gap events, want 1 (the covered story is no gap): %+v", len(gaps), gaps)
	}
	g := gaps[0].Gap
	if g.Story != a.StoryID || g.Outlet != "caliber" || len(g.Covered) != 2 || g.Covered[0].Outlet != "report" || g.Covered[1].Outlet != "oxu" {
		t.Errorf("gap %+v", g)
	}
}

// TestWebhookRetriesThenDeadLetter: a webhook answering 500 is retried
// with back-off and dead-lettered after the last attempt, with the error.
func TestWebhookRetriesThenDeadLetter(t *testing.T) {
	e := newEnv(t, Config{Webhook: HookConfig{Targets: netguard.Any, Attempts: 3, Backoff: backoff.Policy{Initial: 50 * time.Millisecond, Max: 200 * time.Millisecond}}})
	ctx := context.Background()
	rcv := newReceiver(t)
	rcv.status = http.StatusInternalServerError
	w, err := e.store.Create(ctx, Watch{Query: "Şuşa", Webhook: &Webhook{URL: rcv.srv.URL, Secret: "0123456789abcdef-secret"}})
	if err != nil {
		t.Fatal(err)
	}
	bustest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if e.watcher.Stats().Watches != 1 {
			return errors.New("not followed yet")
		}
		return nil
	})
	e.publish(t, mkArticle(t, "report", "https://report.az/a/susa-dead", "az", "Şuşa", body1, time.Now()))
	js := e.conn.JetStream()
	bustest.CheckFor(t, 20*time.Second, 50*time.Millisecond, func() error {
		st, err := js.Stream(ctx, bus.StreamWatchDead)
		if err != nil {
			return err
		}
		info, err := st.Info(ctx)
		if err != nil {
			return err
		}
		if info.State.Msgs != 1 {
			return fmt.Errorf("%d dead letters", info.State.Msgs)
		}
		return nil
	})
	if b, _ := rcv.got(); len(b) != 3 {
		t.Errorf("%d deliveries, want 3", len(b))
	}
	st, _ := js.Stream(ctx, bus.StreamWatchDead)
	m, err := st.GetLastMsgForSubject(ctx, bus.WatchDeadPrefix+w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if h := m.Header.Get(HeaderDeadError); !strings.Contains(h, "500") || m.Header.Get(HeaderDeadAttempts) != "3" {
		t.Errorf("dead letter headers %v", m.Header)
	}
}

// TestWebhookTargetsRefused: by default a webhook to a loopback, private
// or link-local address is refused when the watch is created, with a
// clear error; a name that resolves to loopback is refused when it is
// dialled, and a redirect to such an address too; nothing reaches them.
func TestWebhookTargetsRefused(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1/hook", "http://10.0.0.1/hook", "http://169.254.169.254/latest/meta-data/",
		"https://[::1]:8443/x", "http://localhost:9000/", "http://192.168.1.5/", "http://[fe80::1]/"} {
		w := Watch{Query: "x", Webhook: &Webhook{URL: u}}
		err := w.Normalize(netguard.Public)
		if !errors.Is(err, ErrRefusedTarget) || !strings.Contains(err.Error(), "--webhook-targets any") {
			t.Errorf("%s: %v, want a refusal saying how to allow it", u, err)
		}
		if err := w.Normalize(netguard.Any); err != nil {
			t.Errorf("%s with targets any: %v", u, err)
		}
	}
	for _, u := range []string{"http://93.184.215.14/hook", "https://hooks.example.com/x"} {
		w := Watch{Query: "x", Webhook: &Webhook{URL: u}}
		if err := w.Normalize(netguard.Public); err != nil {
			t.Errorf("%s: %v", u, err)
		}
		if err := w.Normalize(netguard.Local); u == "http://93.184.215.14/hook" && !errors.Is(err, ErrRefusedTarget) {
			t.Errorf("%s under the local policy: %v", u, err)
		}
	}
	for _, u := range []string{"ftp://example.com/x", "/relative", "http://user:pw@example.com/"} {
		w := Watch{Query: "x", Webhook: &Webhook{URL: u}}
		if err := w.Normalize(netguard.Public); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", u, err)
		}
	}

	// At delivery: a host name resolving to loopback is refused at dial.
	hit := make(chan string, 10)
	victim := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit <- r.URL.String() }))
	defer victim.Close()
	_, port, _ := net.SplitHostPort(victim.Listener.Addr().String())
	client := NewHookClient(netguard.Public, 5*time.Second, 3, nil)
	_, err := client.Post("http://localhost:"+port+"/hook", "application/json", strings.NewReader("{}"))
	if !errors.Is(err, netguard.ErrPrivateAddress) || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("delivery to localhost: %v, want a refused loopback address", err)
	}
	// Redirects to refused addresses: the first hop is a server this test
	// reaches with a dialer of its own; the redirect is refused before any
	// connection.
	for _, target := range []string{"http://127.0.0.1:" + port + "/stolen", "http://10.0.0.1/", "http://169.254.169.254/latest/meta-data/", "http://localhost:" + port + "/"} {
		redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target, http.StatusFound)
		}))
		c := NewHookClient(netguard.Public, 5*time.Second, 3, &net.Dialer{Timeout: time.Second})
		_, err := c.Post(redirector.URL, "application/json", strings.NewReader("{}"))
		redirector.Close()
		if !errors.Is(err, netguard.ErrPrivateAddress) {
			t.Errorf("redirect to %s: %v, want it refused", target, err)
		}
	}
	select {
	case u := <-hit:
		t.Errorf("the loopback server was reached: %s", u)
	default:
	}
}

func TestWordDiff(t *testing.T) {
	for _, tc := range []struct{ a, b, want string }{
		{"a b c", "a b c", "[]"},
		{"Prezident çıxış etdi", "Prezident mühüm çıxış etdi", "[{= Prezident } {+ mühüm } {= çıxış etdi}]"},
		{"Переговоры в Баку завершились", "Переговоры в Гяндже завершились", "[{= Переговоры в } {- Баку} {+ Гяндже} {=  завершились}]"},
		{"", "new", "[{+ new}]"},
	} {
		if got := fmt.Sprint(WordDiff(tc.a, tc.b)); got != tc.want {
			t.Errorf("WordDiff(%q, %q) = %s, want %s", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestWatcherRestartAndRepeats: an article handled again (republished, as
// redrive and audit do) makes no second event; articles published while
// no watcher runs are matched by the next one (the consumer is durable),
// and nothing is sent twice.
func TestWatcherRestartAndRepeats(t *testing.T) {
	e := newEnv(t, Config{})
	ctx := context.Background()
	w, err := e.store.Create(ctx, Watch{Query: "Şuşa"})
	if err != nil {
		t.Fatal(err)
	}
	bustest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if e.watcher.Stats().Watches != 1 {
			return errors.New("not followed yet")
		}
		return nil
	})
	now := time.Now().UTC().Truncate(time.Second)
	a1 := mkArticle(t, "report", "https://report.az/a/susa-1", "az", "Şuşa 1", body1, now)
	e.publish(t, a1)
	events := func() int { return countEvents(t, e.conn, w.ID) }
	waitEvents := func(n int) {
		t.Helper()
		bustest.CheckFor(t, 20*time.Second, 20*time.Millisecond, func() error {
			if got := events(); got != n {
				return fmt.Errorf("%d events, want %d", got, n)
			}
			return nil
		})
	}
	waitEvents(1)
	// The same version again, under another message ID.
	data, err := json.Marshal(a1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.conn.Republish(ctx, "articles.report", data, "redrive-1"); err != nil {
		t.Fatal(err)
	}
	bustest.CheckFor(t, 20*time.Second, 20*time.Millisecond, func() error {
		if n, err := pending(ctx, e.conn); err != nil || n > 0 {
			return fmt.Errorf("%d messages not handled yet (%v)", n, err)
		}
		return nil
	})
	if n := events(); n != 1 {
		t.Errorf("%d events after the repeat, want 1", n)
	}
	// Stopped: articles keep coming; the next watcher matches them.
	e.stop()
	a2 := mkArticle(t, "oxu", "https://oxu.az/a/susa-2", "az", "Şuşa 2", body1+" Oxu.", now)
	e.publish(t, a2)
	w2, err := New(e.cfg, e.conn, e.stories, e.index, bustest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	e.start(t, w2)
	waitEvents(2)
	time.Sleep(200 * time.Millisecond)
	if n := events(); n != 2 {
		t.Errorf("%d events after the restart, want 2", n)
	}
}

// pending is how many ARTICLES messages the watcher has not acknowledged.
func pending(ctx context.Context, c *bus.Conn) (uint64, error) {
	cons, err := c.JetStream().Consumer(ctx, bus.StreamArticles, bus.WatcherDurable)
	if err != nil {
		return 0, err
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return 0, err
	}
	return info.NumPending + uint64(info.NumAckPending), nil
}

// countEvents is how many events of the watch with the ID WATCH_EVENTS
// holds.
func countEvents(t *testing.T, c *bus.Conn, id string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cons, err := c.JetStream().OrderedConsumer(ctx, bus.StreamWatchEvents, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{bus.WatchEventsPrefix + id, bus.WatchMatchesSubject}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		batch, err := cons.FetchNoWait(100)
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for m := range batch.Messages() {
			got++
			md, err := m.Metadata()
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := eventOf(m.Subject(), m.Data(), md.Sequence.Stream, id); ok {
				n++
			}
		}
		if batch.Error() != nil {
			t.Fatal(batch.Error())
		}
		if got == 0 {
			return n
		}
	}
}

// TestEventsOfRefusesMalformed: what is not a watch event message is an
// error, never a panic or an event of the wrong watch.
func TestEventsOfRefusesMalformed(t *testing.T) {
	a := mkArticle(t, "report", "https://report.az/a/x", "az", "Şuşa", body1, time.Now())
	good, err := matchesMsg(KindArticle, time.Now(), []string{"0123456789abcdef", "fedcba9876543210"}, a, nil)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := EventsOf(good.Subject, good.Data, 7)
	if err != nil || len(evs) != 2 || evs[1].Watch != "fedcba9876543210" || evs[0].ID != "7" || evs[0].Article.ID != a.ID {
		t.Fatalf("matches message: %+v %v", evs, err)
	}
	own, _ := json.Marshal(Event{Watch: "0123456789abcdef", Kind: KindOutlet})
	for name, c := range map[string]struct {
		subject string
		data    string
	}{
		"not json":               {bus.WatchMatchesSubject, "{"},
		"no watches":             {bus.WatchMatchesSubject, `{"kind":"article","article":{"id":"x"}}`},
		"no article":             {bus.WatchMatchesSubject, `{"kind":"article","watches":["0123456789abcdef"]}`},
		"another watch's event":  {bus.WatchEventsPrefix + "fedcba9876543210", string(own)},
		"another watch's retry":  {bus.WatchRetriesPrefix + "fedcba9876543210", string(own)},
		"a subject of no events": {"watches.other", string(own)},
	} {
		if evs, err := EventsOf(c.subject, []byte(c.data), 1); !errors.Is(err, errNotEvents) || evs != nil {
			t.Errorf("%s: %v %v, want errNotEvents", name, evs, err)
		}
	}
}

// TestSlowWebhooksNoRedelivery: events queued behind slow webhooks for
// longer than the consumer's ack wait are not delivered twice (the
// deliverer keeps them in progress while they wait for a slot).
func TestSlowWebhooksNoRedelivery(t *testing.T) {
	if testing.Short() {
		t.Skip("takes about 15 s")
	}
	t.Parallel()
	// Ack wait: 1 s x (3 redirects + 1) + 5 s = 9 s. One worker, 16 events
	// in flight (16 per worker), 800 ms each: the last waits 12 s.
	e := newEnv(t, Config{Webhook: HookConfig{Targets: netguard.Any, Timeout: time.Second, Workers: 1}})
	ctx := context.Background()
	var mu sync.Mutex
	got := map[string]int{}
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(800 * time.Millisecond)
		mu.Lock()
		got[r.Header.Get(HeaderEventID)]++
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer slow.Close()
	if _, err := e.store.Create(ctx, Watch{Query: "Şuşa", Webhook: &Webhook{URL: slow.URL}}); err != nil {
		t.Fatal(err)
	}
	bustest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if e.watcher.Stats().Watches != 1 {
			return errors.New("not followed yet")
		}
		return nil
	})
	const n = 16
	for i := range n {
		e.publish(t, mkArticle(t, "report", fmt.Sprintf("https://report.az/a/slow-%d", i), "az", "Şuşa", body1, time.Now()))
	}
	bustest.CheckFor(t, 40*time.Second, 100*time.Millisecond, func() error {
		mu.Lock()
		defer mu.Unlock()
		if len(got) != n {
			return fmt.Errorf("%d of %d events delivered", len(got), n)
		}
		return nil
	})
	time.Sleep(2 * time.Second) // a redelivery would arrive now
	mu.Lock()
	defer mu.Unlock()
	for id, c := range got {
		if c != 1 {
			t.Errorf("event %s delivered %d times", id, c)
		}
	}
}
