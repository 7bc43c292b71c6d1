package web_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/simsite"
	"github.com/newswatch/newswatch/watch"
)

// The watch, story and coverage-gap views, run by TestBrowser against its
// demo (simulated outlets with reprints across outlets and articles kept
// back to publish while the test runs).

// dropProxy forwards TCP connections to the API until dropAll breaks
// every one of them off, as a lost network does.
type dropProxy struct {
	base  string
	mu    sync.Mutex
	conns []net.Conn
}

func startDropProxy(t *testing.T, target string) *dropProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &dropProxy{base: "http://" + ln.Addr().String()}
	t.Cleanup(func() {
		ln.Close()
		p.dropAll()
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(u, c); u.Close() }()
			go func() { _, _ = io.Copy(c, u); c.Close() }()
		}
	}()
	return p
}

func (p *dropProxy) dropAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// setKey puts an API key into the page's storage, as the key dialog does
// (the export subtest drives the dialog itself).
func (b *browser) setKey(t *testing.T, token string) {
	t.Helper()
	b.do(t, "set the key", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`localStorage.setItem("newswatch.apiKey", %q)`, token)))
}

// watchEvents reads the events the API keeps for watch id after event
// after ("0": all of them) from its event stream, until it has n of them
// or wait has passed.
func (d *demo) watchEvents(t *testing.T, id, after string, n int, wait time.Duration) []watch.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", d.base+"/v1/watches/"+id+"/events", nil)
	req.Header.Set("Last-Event-ID", after)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("events of %s: %d %s", id, resp.StatusCode, body)
	}
	var out []watch.Event
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 8<<20)
	for len(out) < n && sc.Scan() {
		if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			var ev watch.Event
			if err := json.Unmarshal([]byte(data), &ev); err != nil {
				t.Fatalf("event %.100s: %v", data, err)
			}
			out = append(out, ev)
		}
	}
	return out
}

// publishOf publishes the site's kept-back articles one at a time until
// one of outlet's appears, and returns it.
func publishOf(t *testing.T, site *simsite.Site, outlet string) simsite.Article {
	t.Helper()
	for site.Unpublished() > 0 {
		for _, a := range site.Publish(1) {
			if a.Outlet == outlet {
				return a
			}
		}
	}
	t.Fatalf("no article of %s left to publish", outlet)
	return simsite.Article{}
}

// shownEvent is an event as the page lists it.
type shownEvent struct {
	ID, Kind, Article, Title, Outlet string
}

const shownEventsJS = `[...document.querySelectorAll("#events > li")].map(li => ({ID: li.dataset.event, Kind: li.dataset.kind,
	Article: (li.querySelector("a.event-title")||{dataset: {}}).dataset.id || "", Title: (li.querySelector("a.event-title")||{}).textContent || "",
	Outlet: (li.querySelector(".event-article .outlet")||{}).textContent || ""}))`

// A watch created in the page shows its events live: a new article of the
// watched outlet published on the simulated site appears in the page's
// event list as the API streams it; paused and resumed, the page asks for
// the events after the last one it showed and gets only the one it
// missed; an edit of a watched article shows both headlines and the API's
// word diff.
func testWatchLive(t *testing.T, b *browser, d *demo) {
	token := d.exportKey(t)
	watched := d.site.Outlets()[0].ID
	b.open(t, d, "view=watches")
	b.setKey(t, token)
	b.waitJS(t, "the form's outlets", fmt.Sprintf(`document.querySelector('#watch-outlets input[value=%q]') !== null`, watched))
	kinds := eval[[]string](t, b, `[...document.querySelectorAll('#watch-kinds input')].map(i => i.value)`)
	if !slices.Equal(kinds, watch.Kinds) {
		t.Errorf("the form offers event kinds %v, the API %v", kinds, watch.Kinds)
	}
	b.do(t, "fill the form",
		chromedp.SendKeys(chromedp.ID("watch-name"), "Yeni xəbərlər"),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#watch-outlets input[value=%q]`, watched))),
		chromedp.Click(chromedp.CSS(`#watch-kinds input[value="article"]`)),
		chromedp.Click(chromedp.CSS(`#watch-kinds input[value="edit"]`)),
		chromedp.Click(chromedp.CSS(`#watch-form button[type="submit"]`)))
	b.waitJS(t, "the watch's live events", `document.querySelector("#stream-status") && document.querySelector("#stream-status").dataset.state === "live"`)
	id := eval[string](t, b, `new URLSearchParams(location.search).get("watch") || ""`)
	var w struct {
		Watch watch.Watch `json:"watch"`
	}
	if err := d.get("/v1/watches/"+id, nil, &w); err != nil {
		t.Fatalf("the page follows watch %q: %v", id, err)
	}
	if w.Watch.Name != "Yeni xəbərlər" || !slices.Equal(w.Watch.Outlets, []string{watched}) || !slices.Equal(w.Watch.Events, []string{watch.KindArticle, watch.KindEdit}) {
		t.Errorf("the page created %+v", w.Watch)
	}
	if n := eval[int](t, b, fmt.Sprintf(`document.querySelectorAll('#watch-list li[data-watch=%q]').length`, id)); n != 1 {
		t.Errorf("the watch list shows the new watch %d times", n)
	}

	// A new article of the watched outlet.
	fresh := publishOf(t, d.site, watched)
	freshID, err := article.ID(fresh.URL)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	b.waitJSFor(t, 120*time.Second, "the new article's event", fmt.Sprintf(`document.querySelector('#events li[data-kind="article"] a.event-title[data-id=%q]') !== null`, freshID))
	t.Logf("publication -> event in the page: %v (the crawler polls every 200 ms)", time.Since(start).Round(time.Millisecond))
	b.screenshot(t, "watch-live")
	got := eval[[]shownEvent](t, b, shownEventsJS)
	want := d.watchEvents(t, id, "0", len(got), 30*time.Second)
	if len(want) != len(got) {
		t.Fatalf("the page shows %d events %+v, the API keeps %d", len(got), got, len(want))
	}
	for i, ev := range want {
		g := got[len(got)-1-i] // the page shows the newest first
		if g.ID != ev.ID || g.Kind != ev.Kind || ev.Article == nil || g.Article != ev.Article.ID || g.Title != ev.Article.Title || g.Outlet != ev.Article.Outlet {
			t.Errorf("event %d: the page shows %+v, the API %s %s %+v", i, g, ev.ID, ev.Kind, ev.Article)
		}
		if ev.Article != nil && ev.Article.Outlet != watched {
			t.Errorf("event %s is of outlet %s, the watch is on %s", ev.ID, ev.Article.Outlet, watched)
		}
	}
	if n := eval[string](t, b, `document.querySelector("#event-count").textContent`); n != strconv.Itoa(len(want)) {
		t.Errorf("the page counts %s events, it shows %d", n, len(want))
	}

	// Paused, the page misses an event; resumed, it asks for the events
	// after the last one it showed, and gets that one alone.
	last := want[len(want)-1].ID
	b.do(t, "pause", chromedp.Click(chromedp.ID("stream-toggle")))
	b.waitJS(t, "paused", `document.querySelector("#stream-status").dataset.state === "paused"`)
	missed := publishOf(t, d.site, watched)
	missedID, _ := article.ID(missed.URL)
	after := d.watchEvents(t, id, last, 1, 120*time.Second)
	if len(after) != 1 || after[0].Article == nil || after[0].Article.ID != missedID {
		t.Fatalf("after event %s the API has %+v, want the article %s", last, after, missedID)
	}
	if n := eval[int](t, b, fmt.Sprintf(`document.querySelectorAll('#events a.event-title[data-id=%q]').length`, missedID)); n != 0 {
		t.Fatal("the paused page shows the new event")
	}
	b.do(t, "resume", chromedp.Click(chromedp.ID("stream-toggle")))
	b.waitJS(t, "the missed event", fmt.Sprintf(`document.querySelector('#events li[data-event=%q] a.event-title[data-id=%q]') !== null`, after[0].ID, missedID))
	type conn struct{ Connects, ResumedFrom, Received string }
	c := eval[conn](t, b, `(() => { const d = document.querySelector("#events").dataset; return {Connects: d.connects, ResumedFrom: d.resumedFrom, Received: d.received}; })()`)
	if c.Connects != "2" || c.ResumedFrom != last || c.Received != "1" {
		t.Errorf("the second connection %+v: want it to resume after event %s and receive 1 event", c, last)
	}
	ids := eval[[]string](t, b, `[...document.querySelectorAll("#events > li")].map(li => li.dataset.event)`)
	if len(ids) != len(want)+1 || ids[0] != after[0].ID {
		t.Errorf("after resuming the page shows events %v, want %s and the %d before", ids, after[0].ID, len(want))
	}

	// The connection lost (the page reaches the API through a proxy that
	// drops every connection): the page says so, reconnects after the
	// stream's retry time and resumes after the last event it showed.
	px := startDropProxy(t, strings.TrimPrefix(d.base, "http://"))
	b.do(t, "open through the proxy", chromedp.Navigate(px.base+"/?view=watches&watch="+id))
	b.waitJS(t, "the events through the proxy", fmt.Sprintf(`document.querySelector("#stream-status") && document.querySelector("#stream-status").dataset.state === "live" && document.querySelectorAll("#events > li").length === %d`, len(want)+1))
	b.allowNetworkErrors(true)
	defer b.allowNetworkErrors(false)
	px.dropAll()
	b.waitJS(t, "the connection lost", `document.querySelector("#stream-status").dataset.state === "retrying"`)
	lost := publishOf(t, d.site, watched)
	lostID, _ := article.ID(lost.URL)
	b.waitJSFor(t, 120*time.Second, "the event published while disconnected", fmt.Sprintf(`document.querySelector('#events a.event-title[data-id=%q]') !== null`, lostID))
	c = eval[conn](t, b, `(() => { const d = document.querySelector("#events").dataset; return {Connects: d.connects, ResumedFrom: d.resumedFrom, Received: d.received}; })()`)
	if c.Connects != "2" || c.ResumedFrom != after[0].ID {
		t.Errorf("the connection after the loss %+v: want the second, resuming after event %s", c, after[0].ID)
	}
	if n := eval[int](t, b, `document.querySelectorAll("#events > li").length`); n != len(want)+2 {
		t.Errorf("after the reconnection the page shows %d events, want %d", n, len(want)+2)
	}
	b.allowNetworkErrors(false)
	after = d.watchEvents(t, id, after[0].ID, 1, 30*time.Second)
	b.open(t, d, "view=watches&watch="+id)
	b.waitJS(t, "the events again", fmt.Sprintf(`document.querySelectorAll("#events > li").length === %d`, len(want)+2))

	// An edit of the watched article: both headlines and the word diff.
	edited, err := d.site.Edit(fresh.URL)
	if err != nil {
		t.Fatal(err)
	}
	b.waitJSFor(t, 120*time.Second, "the edit's event", fmt.Sprintf(`document.querySelector('#events li[data-kind="edit"] a.event-title[data-id=%q]') !== null`, freshID))
	edits := d.watchEvents(t, id, after[0].ID, 1, 30*time.Second)
	if len(edits) != 1 || edits[0].Kind != watch.KindEdit || edits[0].Edit == nil {
		t.Fatalf("the API's event after %s: %+v", after[0].ID, edits)
	}
	ed := edits[0].Edit
	if ed.TitleAfter != edited.Title || ed.TitleBefore != fresh.Title {
		t.Errorf("the API's edit event has headlines %q -> %q, the site %q -> %q", ed.TitleBefore, ed.TitleAfter, fresh.Title, edited.Title)
	}
	type editShown struct{ Before, After, TitleOld, TitleNew string }
	es := eval[editShown](t, b, `(() => { const li = document.querySelector('#events li[data-kind="edit"]');
		const without = (p, tag) => { if (!p) return ""; const c = p.cloneNode(true); c.querySelectorAll(tag + ", button.fold").forEach(e => e.remove()); return c.textContent; };
		const title = li.querySelector('[data-field="title"]');
		return {Before: li.querySelector(".title-before").textContent, After: li.querySelector(".title-after").textContent,
			TitleOld: without(title, "ins"), TitleNew: without(title, "del")}; })()`)
	if es.Before != ed.TitleBefore || es.After != ed.TitleAfter || es.TitleOld != ed.TitleBefore || es.TitleNew != ed.TitleAfter {
		t.Errorf("the page shows the edit as %+v; the API: %q -> %q", es, ed.TitleBefore, ed.TitleAfter)
	}
	b.screenshot(t, "watch-edit")

	// Deleted in the page (two clicks), the watch is gone from the API.
	del := fmt.Sprintf(`#watch-list li[data-watch=%q] button.delete`, id)
	b.do(t, "delete", chromedp.Click(chromedp.CSS(del)), chromedp.Click(chromedp.CSS(del)))
	b.waitJS(t, "the watch gone", fmt.Sprintf(`document.querySelector('#watch-list li[data-watch=%q]') === null && document.querySelector("#events") === null`, id))
	if err := d.get("/v1/watches/"+id, nil, &w); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("after the delete GET /v1/watches/%s: %v", id, err)
	}
}

// A webhook target the API refuses (a loopback address, on a server that
// delivers to public addresses only) is refused in the page with the
// API's own message; without a key the page says a key is needed.
func testWebhookRefused(t *testing.T, b *browser, d *demo) {
	target := "http://127.0.0.1:9/hook"
	var before struct {
		Watches []watch.Watch `json:"watches"`
	}
	if err := d.get("/v1/watches", nil, &before); err != nil {
		t.Fatal(err)
	}
	// From a search, "Watch this search" fills the form with it.
	outlet := d.site.Outlets()[0].ID
	b.open(t, d, url.Values{"q": {"Bakı"}, "outlet": {outlet}}.Encode())
	b.waitJS(t, "results", `document.querySelectorAll("#results li[data-id]").length > 0`)
	b.do(t, "watch this search", chromedp.Click(chromedp.ID("to-watch")))
	b.waitJS(t, "the form", `!document.querySelector("#view-watches").hidden && document.querySelectorAll('#watch-outlets input').length > 0`)
	b.waitJS(t, "the search in the form", fmt.Sprintf(`document.querySelector("#watch-q").value === "Bakı" && document.querySelector('#watch-outlets input[value=%q]').checked && document.querySelectorAll('#watch-outlets input:checked').length === 1`, outlet))
	b.do(t, "forget any key", chromedp.Evaluate[chromedp.Void](`localStorage.clear()`))
	b.do(t, "create without a key", chromedp.SendKeys(chromedp.ID("watch-webhook"), target), chromedp.Click(chromedp.CSS(`#watch-form button[type="submit"]`)))
	b.waitJS(t, "the refusal", `!document.querySelector("#watch-form-msg").hidden`)
	msg := eval[string](t, b, `document.querySelector("#watch-form-msg").textContent`)
	if !strings.Contains(msg, "401") || !strings.Contains(msg, "scope export") || !strings.Contains(msg, "Set an API key") {
		t.Errorf("without a key the page says %q", msg)
	}

	token := d.exportKey(t)
	var apiErr struct {
		Error struct{ Code, Message string }
	}
	if status := d.postWatch(t, token, map[string]any{"webhook": map[string]string{"url": target}}, &apiErr); status != http.StatusBadRequest || !strings.Contains(apiErr.Error.Message, "127.0.0.1") {
		t.Fatalf("the API answers %d %+v for webhook %s; the test expects a refusal", status, apiErr.Error, target)
	}
	b.setKey(t, token)
	b.do(t, "clear the message", chromedp.Evaluate[chromedp.Void](`document.querySelector("#watch-form-msg").hidden = true`))
	b.do(t, "create with a key", chromedp.Click(chromedp.CSS(`#watch-form button[type="submit"]`)))
	b.waitJS(t, "the refusal", `!document.querySelector("#watch-form-msg").hidden`)
	msg = eval[string](t, b, `document.querySelector("#watch-form-msg").textContent`)
	if !strings.Contains(msg, apiErr.Error.Message) || !strings.Contains(msg, "400") {
		t.Errorf("the page says %q; the API said %q", msg, apiErr.Error.Message)
	}
	b.screenshot(t, "webhook-refused")
	var after struct {
		Watches []watch.Watch `json:"watches"`
	}
	if err := d.get("/v1/watches", nil, &after); err != nil {
		t.Fatal(err)
	}
	if len(after.Watches) != len(before.Watches) {
		t.Errorf("%d watches before, %d after a refused one", len(before.Watches), len(after.Watches))
	}
}

// storyOutlet, story and gapsResult are the API's story answers as far as
// the tests read them.
type storyOutlet struct {
	Outlet     string  `json:"outlet"`
	Article    string  `json:"article"`
	LagMinutes float64 `json:"lag_minutes"`
	Articles   int     `json:"articles"`
}

type story struct {
	ID       string        `json:"id"`
	Title    string        `json:"title"`
	Articles int           `json:"articles"`
	First    storyOutlet   `json:"first"`
	Outlets  []storyOutlet `json:"outlets"`
	Members  []struct {
		ID string `json:"id"`
	} `json:"members"`
}

type gapsResult struct {
	Total int `json:"total"`
	Gaps  []struct {
		Story       string        `json:"story"`
		LeadMinutes float64       `json:"lead_minutes"`
		Covered     []storyOutlet `json:"covered"`
	} `json:"gaps"`
}

// shownStory is a story as the page lists it.
type shownStory struct {
	ID, Title string
	Outlets   []shownOutlet
}

type shownOutlet struct{ Outlet, Lag, Articles string }

const shownOutletsJS = `[...%s.querySelectorAll("table.lags tbody tr")].map(tr => ({Outlet: tr.dataset.outlet, Lag: tr.dataset.lag, Articles: tr.dataset.articles}))`

func sameOutlets(t *testing.T, what string, got []shownOutlet, want []storyOutlet) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: the page shows %d outlets %+v, the API %d %+v", what, len(got), got, len(want), want)
		return
	}
	for i, o := range want {
		lag, err := strconv.ParseFloat(got[i].Lag, 64)
		if got[i].Outlet != o.Outlet || err != nil || math.Abs(lag-o.LagMinutes) > 1e-9 || got[i].Articles != strconv.Itoa(o.Articles) {
			t.Errorf("%s: outlet %d = %+v, the API %+v", what, i, got[i], o)
		}
	}
}

// The stories view shows what GET /v1/stories returns, biggest first,
// with each outlet's lag; a story's page lists its articles as GET
// /v1/stories/{id}; the coverage gaps of an outlet chosen in the page are
// those of GET /v1/coverage/gaps.
func testStories(t *testing.T, b *browser, d *demo) {
	var want struct {
		Total   int     `json:"total"`
		Stories []story `json:"stories"`
	}
	if err := d.get("/v1/stories", url.Values{"size": {"20"}}, &want); err != nil {
		t.Fatal(err)
	}
	if len(want.Stories) < 2 || len(want.Stories[0].Outlets) < 2 {
		t.Fatalf("the demo's biggest stories %+v: the test needs stories across outlets", want.Stories)
	}
	b.open(t, d, "view=stories")
	b.waitJS(t, "the stories", fmt.Sprintf(`document.querySelectorAll("#stories-list li[data-story]").length === %d`, len(want.Stories)))
	if got := eval[string](t, b, `document.querySelector("#stories-total").textContent.replace(/,/g, "")`); got != strconv.Itoa(want.Total) {
		t.Errorf("the page says %s articles, the API %d", got, want.Total)
	}
	got := eval[[]shownStory](t, b, `[...document.querySelectorAll("#stories-list li[data-story]")].map(li => ({ID: li.dataset.story,
		Title: li.querySelector("h4").textContent, Outlets: `+fmt.Sprintf(shownOutletsJS, "li")+`}))`)
	for i, st := range want.Stories {
		if got[i].ID != st.ID || got[i].Title != st.Title {
			t.Errorf("story %d: the page shows %s %q, the API %s %q", i, got[i].ID, got[i].Title, st.ID, st.Title)
		}
		sameOutlets(t, "story "+st.ID, got[i].Outlets, st.Outlets)
	}
	b.screenshot(t, "stories")

	// The biggest story's own page.
	top := want.Stories[0]
	var one struct {
		Story story `json:"story"`
	}
	if err := d.get("/v1/stories/"+top.ID, nil, &one); err != nil {
		t.Fatal(err)
	}
	b.do(t, "open the story", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#stories-list li[data-story=%q] h4 a`, top.ID))))
	b.waitJS(t, "the story", `document.querySelector("#story-title") !== null && document.querySelectorAll("#story-detail .members li").length > 0`)
	members := eval[[]string](t, b, `[...document.querySelectorAll("#story-detail .members li")].map(li => li.dataset.id)`)
	var wantMembers []string
	for _, m := range one.Story.Members {
		wantMembers = append(wantMembers, m.ID)
	}
	if !slices.Equal(members, wantMembers) {
		t.Errorf("the story page lists %v, the API %v", members, wantMembers)
	}
	if first := eval[string](t, b, `document.querySelector("#story-detail strong.first").textContent`); first != one.Story.First.Outlet {
		t.Errorf("the story page says %s was first, the API %s", first, one.Story.First.Outlet)
	}
	sameOutlets(t, "the story page", eval[[]shownOutlet](t, b, fmt.Sprintf(shownOutletsJS, `document.querySelector("#story-detail")`)), one.Story.Outlets)
	b.screenshot(t, "story")

	// Coverage gaps over the corpus's period (ended yesterday, so that
	// the lead minutes stand still), for the outlet with the most.
	to := time.Now().AddDate(0, 0, -1).Format(time.DateOnly)
	outlets := d.site.Outlets()
	var pick string
	var gaps gapsResult
	for _, o := range outlets {
		var comp []string
		for _, c := range outlets {
			if c.ID != o.ID {
				comp = append(comp, c.ID)
			}
		}
		var g gapsResult
		if err := d.get("/v1/coverage/gaps", url.Values{"outlet": {o.ID}, "competitors": {strings.Join(comp, ",")}, "from": {"2000-01-01"}, "to": {to}}, &g); err != nil {
			t.Fatal(err)
		}
		if g.Total > gaps.Total {
			pick, gaps = o.ID, g
		}
	}
	if gaps.Total == 0 {
		t.Fatal("no outlet of the demo has a coverage gap; the test needs one")
	}
	b.open(t, d, "view=stories&from=2000-01-01&to="+to)
	b.waitJS(t, "the gap form", fmt.Sprintf(`document.querySelector('#gap-outlet option[value=%q]') !== null`, pick))
	b.do(t, "choose the outlet", chromedp.SetValue(chromedp.ID("gap-outlet"), pick),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelectorAll('#gap-competitors input').forEach(i => i.checked = i.value !== %q)`, pick)),
		chromedp.Click(chromedp.CSS(`#gaps-form button[type="submit"]`)))
	b.waitJS(t, "the gaps", `document.querySelector("#gaps-total") !== null`)
	if got := eval[string](t, b, `document.querySelector("#gaps-total").textContent.replace(/,/g, "")`); got != strconv.Itoa(gaps.Total) {
		t.Errorf("the page says %s gaps of %s, the API %d", got, pick, gaps.Total)
	}
	type shownGap struct {
		Story, Lead string
		Covered     []shownOutlet
	}
	shown := eval[[]shownGap](t, b, `[...document.querySelectorAll("#gaps .gap-list > li")].map(li => ({Story: li.dataset.story, Lead: li.dataset.lead, Covered: `+fmt.Sprintf(shownOutletsJS, "li")+`}))`)
	if len(shown) != len(gaps.Gaps) {
		t.Fatalf("the page lists %d gaps, the API %d", len(shown), len(gaps.Gaps))
	}
	for i, g := range gaps.Gaps {
		lead, err := strconv.ParseFloat(shown[i].Lead, 64)
		if shown[i].Story != g.Story || err != nil || math.Abs(lead-g.LeadMinutes) > 1e-9 {
			t.Errorf("gap %d: the page shows %s lead %s, the API %s %v", i, shown[i].Story, shown[i].Lead, g.Story, g.LeadMinutes)
		}
		sameOutlets(t, "gap "+g.Story, shown[i].Covered, g.Covered)
	}
	if loc := eval[string](t, b, `location.search`); !strings.Contains(loc, "gapof="+pick) {
		t.Errorf("the address %s does not hold the gap outlet", loc)
	}
	b.screenshot(t, "coverage-gaps")

	// From a search, "Stories of this search" shows the stories of its
	// query.
	var ofQuery struct {
		Total   int     `json:"total"`
		Stories []story `json:"stories"`
	}
	if err := d.get("/v1/stories", url.Values{"q": {"Bakı"}, "size": {"20"}}, &ofQuery); err != nil {
		t.Fatal(err)
	}
	b.open(t, d, "q=Bak%C4%B1")
	b.waitJS(t, "results", `document.querySelectorAll("#results li[data-id]").length > 0`)
	b.do(t, "stories of this search", chromedp.Click(chromedp.ID("to-stories")))
	b.waitJS(t, "the stories of Bakı", fmt.Sprintf(`!document.querySelector("#view-stories").hidden && document.querySelector("#stories-q").value === "Bakı" && document.querySelectorAll("#stories-list li[data-story]").length === %d && document.querySelector("#stories-total").textContent.replace(/,/g, "") === "%d"`, len(ofQuery.Stories), ofQuery.Total))
	ids := eval[[]string](t, b, `[...document.querySelectorAll("#stories-list li[data-story]")].map(li => li.dataset.story)`)
	for i, st := range ofQuery.Stories {
		if ids[i] != st.ID {
			t.Errorf("story %d of Bakı: the page shows %s, the API %s", i, ids[i], st.ID)
		}
	}
}

// postWatch sends POST /v1/watches with the key and decodes the answer
// into out; it returns the status.
func (d *demo) postWatch(t *testing.T, token string, in map[string]any, out any) int {
	t.Helper()
	body, _ := json.Marshal(in)
	req, _ := http.NewRequest("POST", d.base+"/v1/watches", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("POST /v1/watches %s: %d, the answer does not decode: %v", body, resp.StatusCode, err)
	}
	return resp.StatusCode
}

// createWatch creates a watch through the API.
func (d *demo) createWatch(t *testing.T, token string, in map[string]any) watch.Watch {
	t.Helper()
	var out struct {
		Watch watch.Watch `json:"watch"`
	}
	if status := d.postWatch(t, token, in, &out); status != http.StatusCreated {
		t.Fatalf("POST /v1/watches %v: %d", in, status)
	}
	return out.Watch
}

// A watch of outlet events shows an outlet going down as the API streams
// it: from which status to which, and why. (After the outlet board: the
// outlet goes down.)
func testWatchOutlet(t *testing.T, b *browser, d *demo) {
	token := d.exportKey(t)
	o := d.site.Outlets()[2].ID
	w := d.createWatch(t, token, map[string]any{"name": "Outlet " + o, "outlet": []string{o}, "events": []string{watch.KindOutlet}})
	b.open(t, d, "view=watches&watch="+w.ID)
	b.waitJS(t, "the events", `document.querySelector("#stream-status") && document.querySelector("#stream-status").dataset.state === "live"`)
	if err := d.site.SetFaults(o, simsite.Faults{Down: true}); err != nil {
		t.Fatal(err)
	}
	b.waitJSFor(t, 120*time.Second, "the outlet event", `document.querySelector('#events li[data-kind="outlet"] .status-to') !== null`)
	want := d.watchEvents(t, w.ID, "0", 1, 30*time.Second)
	if len(want) != 1 || want[0].Outlet == nil {
		t.Fatalf("the API's first event of the outlet watch: %+v", want)
	}
	ev := want[0].Outlet
	type shown struct{ ID, Outlet, From, To, Reason string }
	got := eval[shown](t, b, `(() => { const li = document.querySelector('#events li[data-kind="outlet"]'); return {ID: li.dataset.event,
		Outlet: li.querySelector(".outlet").textContent, From: li.querySelector(".status-from").textContent, To: li.querySelector(".status-to").textContent,
		Reason: (li.querySelector(".reason")||{}).textContent||""}; })()`)
	if got.ID != want[0].ID || got.Outlet != ev.Outlet || got.From != string(ev.From) || got.To != string(ev.To) || got.Reason != ev.Reason || ev.Outlet != o {
		t.Errorf("the page shows %+v, the API %s %+v", got, want[0].ID, ev)
	}
	b.screenshot(t, "watch-outlet")
}

// frontServer serves the paths of handlers itself and everything else
// from the demo: the page loaded from it gets crafted answers on its own
// origin (its Content-Security-Policy allows nothing else).
func (d *demo) frontServer(t *testing.T, handlers map[string]http.HandlerFunc) *httptest.Server {
	t.Helper()
	target, err := url.Parse(d.base)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := handlers[r.URL.Path]; h != nil {
			h(w, r)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		srv.CloseClientConnections() // the page's event stream, still open
		srv.Close()
	})
	return srv
}

// The page reads server-sent events as the EventSource rules say however
// the bytes are cut (a CRLF split between two reads, CR alone, data over
// several lines, comments, an id without data, a last event without its
// blank line), sends Last-Event-ID, and reports a refusal with its status
// and Retry-After. A server in front of the demo serves the crafted
// streams on the page's own origin (its Content-Security-Policy allows
// nothing else) and the rest from the demo.
func testEventParser(t *testing.T, b *browser, d *demo) {
	chunks := []string{": hello\n", "retry: 2500\n\n", "id: 7\nevent: article\ndata: {\"a\":", "1}\r", "\ndata: second line\r\n\r\n",
		"data:no space\n\n", "id: 8\n\n", ": heartbeat\n\n", "event: edit\ndata: x\rdata: y\r\r", "data: never ended"}
	lastID := make(chan string, 1)
	srv := d.frontServer(t, map[string]http.HandlerFunc{
		"/test/events": func(w http.ResponseWriter, r *http.Request) {
			lastID <- r.Header.Get("Last-Event-ID")
			w.Header().Set("Content-Type", "text/event-stream")
			for _, c := range chunks {
				_, _ = io.WriteString(w, c)
				w.(http.Flusher).Flush()
				time.Sleep(20 * time.Millisecond)
			}
		},
		"/test/busy": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, `{"error": {"code": "busy", "message": "256 event streams are open"}}`)
		},
	})
	b.do(t, "open through the test server", chromedp.Navigate(srv.URL+"/?view=watches"))
	b.waitJS(t, "the page's scripts", `document.documentElement.dataset.ready === "true"`)
	type event struct{ ID, Event, Data string }
	type result struct {
		Opened bool
		Events []event
		Retry  []int
	}
	got := eval[result](t, b, `import("/assets/js/api.js").then(async (m) => {
		const out = {Opened: false, Events: [], Retry: []};
		await m.streamEvents("/test/events", "5", undefined, {open: () => { out.Opened = true; },
			event: (e) => out.Events.push({ID: e.id || "", Event: e.event, Data: e.data}), retry: (ms) => out.Retry.push(ms)});
		return out; })`)
	want := result{Opened: true, Retry: []int{2500}, Events: []event{
		{"7", "article", "{\"a\":1}\nsecond line"}, {"7", "message", "no space"}, {"8", "edit", "x\ny"}}}
	if got.Opened != want.Opened || !slices.Equal(got.Retry, want.Retry) || !slices.Equal(got.Events, want.Events) {
		t.Errorf("the page read\n%+v\nwant\n%+v", got, want)
	}
	if id := <-lastID; id != "5" {
		t.Errorf("the page sent Last-Event-ID %q, want 5", id)
	}
	type refusal struct {
		Status         int
		Retry, Message string
	}
	b.allowNetworkErrors(true)
	defer b.allowNetworkErrors(false)
	ref := eval[refusal](t, b, `import("/assets/js/api.js").then((m) => m.streamEvents("/test/busy", null, undefined, {open() {}, event() {}, retry() {}}))
		.then(() => ({Status: -1}), (e) => ({Status: e.status, Retry: e.retryAfter, Message: e.message}))`)
	if ref != (refusal{503, "7", "256 event streams are open"}) {
		t.Errorf("a refused stream reads as %+v", ref)
	}
}

// A coverage-gap event shows the outlet, the minutes, each competitor's
// article and a link to the story. Gap events come a configured number of
// minutes (at least 1) after a competitor's article, too slow for this
// test: the event, made of the watch package's own types, is served by a
// front server for a real watch of gaps.
func testGapEvent(t *testing.T, b *browser, d *demo) {
	token := d.exportKey(t)
	outlets := d.site.Outlets()
	ours, theirs := outlets[0].ID, []string{outlets[1].ID, outlets[2].ID}
	w := d.createWatch(t, token, map[string]any{"name": "Gaps of " + ours, "gap": map[string]any{"outlet": ours, "competitors": theirs, "minutes": 30}})
	if !slices.Equal(w.Events, []string{watch.KindArticle, watch.KindEdit, watch.KindGap}) {
		t.Errorf("a gap watch asks for %v", w.Events)
	}
	arts := d.site.Articles()
	var covered []watch.Coverage
	for _, o := range theirs {
		for _, a := range arts {
			if a.Outlet == o {
				id, err := article.ID(a.URL)
				if err != nil {
					t.Fatal(err)
				}
				covered = append(covered, watch.Coverage{Outlet: o, Article: id, At: a.PublishedAt})
				break
			}
		}
	}
	ev := watch.Event{ID: "41", Watch: w.ID, Kind: watch.KindGap, At: time.Now().UTC(),
		Gap: &watch.GapEvent{Story: covered[0].Article, Outlet: ours, Minutes: 30, Covered: covered}}
	data, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	srv := d.frontServer(t, map[string]http.HandlerFunc{
		"/v1/watches/" + w.ID + "/events": func(rw http.ResponseWriter, r *http.Request) {
			rw.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprintf(rw, "id: %s\nevent: %s\ndata: %s\n\n", ev.ID, ev.Kind, data)
			rw.(http.Flusher).Flush()
			<-r.Context().Done()
		},
	})
	b.do(t, "open the gap watch", chromedp.Navigate(srv.URL+"/?view=watches&watch="+w.ID))
	b.waitJS(t, "the gap event", `document.querySelector('#events li[data-kind="gap"]') !== null`)
	type shown struct {
		Event, Outlet, Text, Story string
		Covered                    []string
	}
	got := eval[shown](t, b, `(() => { const li = document.querySelector('#events li[data-kind="gap"]'); return {Event: li.dataset.event,
		Outlet: li.querySelector(".gap strong.outlet").textContent, Text: li.querySelector(".gap p").textContent,
		Story: new URL(li.querySelector(".gap p a").href).searchParams.get("story"),
		Covered: [...li.querySelectorAll(".gap li")].map(c => c.querySelector(".outlet").textContent + " " + new URL(c.querySelector("a").href).searchParams.get("id"))}; })()`)
	var want []string
	for _, c := range covered {
		want = append(want, c.Outlet+" "+c.Article)
	}
	if got.Event != ev.ID || got.Outlet != ours || !strings.Contains(got.Text, "30 minutes") || got.Story != ev.Gap.Story || !slices.Equal(got.Covered, want) {
		t.Errorf("the gap event shows as %+v; want outlet %s, 30 minutes, story %s, covered %v", got, ours, ev.Gap.Story, want)
	}
	b.screenshot(t, "watch-gap")
	// The page lets the stream go before the front server closes.
	b.do(t, "pause", chromedp.Click(chromedp.ID("stream-toggle")))
	b.waitJS(t, "paused", `document.querySelector("#stream-status").dataset.state === "paused"`)
}
