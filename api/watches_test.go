package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/newswatch/newswatch/api/keys"
	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/bus"
	"github.com/newswatch/newswatch/bus/bustest"
	"github.com/newswatch/newswatch/internal/netguard"
	"github.com/newswatch/newswatch/watch"
)

// watchEnv is an open API whose watches are kept in an embedded NATS,
// and a key with the scope that creates and deletes them (export).
func watchEnv(t *testing.T) (*env, *bus.Conn, string) {
	t.Helper()
	return watchEnvWith(t, Config{})
}

// watchEnvWith is watchEnv with cfg's limits.
func watchEnvWith(t *testing.T, cfg Config) (*env, *bus.Conn, string) {
	t.Helper()
	c := bustest.Connect(t, bustest.RunBasicJetStreamServer(t))
	ws, err := watch.NewStore(context.Background(), c, netguard.Public)
	if err != nil {
		t.Fatal(err)
	}
	set, tokens := newKeys(t)
	cfg.Watches, cfg.Keys, cfg.Open = ws, set, true
	return newEnv(t, cfg, nil), c, tokens[keys.ScopeExport]
}

// post sends body with the content type (none for "") and the key.
func (e *env) post(t *testing.T, path, contentType, key string, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// wantAPIError checks an error answer: status, code and part of the message.
func wantAPIError(t *testing.T, what string, resp *http.Response, body []byte, status int, code, msg string) {
	t.Helper()
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if resp.StatusCode != status || json.Unmarshal(body, &e) != nil || e.Error.Code != code || !strings.Contains(e.Error.Message, msg) {
		t.Errorf("%s: %d %s, want %d %s with %q", what, resp.StatusCode, body, status, code, msg)
	}
}

func TestWatchesAPI(t *testing.T) {
	e, _, key := watchEnv(t)
	resp, body := e.post(t, "/v1/watches", "application/json", key,
		[]byte(`{"name":"Şuşa","q":"Şuşa OR Qarabağ","outlet":["report","oxu"],"lang":["az"],"webhook":{"url":"https://hooks.example.com/nw"}}`))
	var one struct {
		Watch watch.Watch `json:"watch"`
	}
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(body, &one) != nil {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	w := one.Watch
	if !watch.ValidID(w.ID) || resp.Header.Get("Location") != "/v1/watches/"+w.ID || w.Webhook == nil || len(w.Webhook.Secret) < watch.MinSecretLen ||
		strings.Join(w.Events, ",") != "article,edit" || w.CreatedAt.IsZero() {
		t.Fatalf("created %+v (Location %s)", w, resp.Header.Get("Location"))
	}
	// Lists and reads never show the secret again.
	for _, path := range []string{"/v1/watches", "/v1/watches/" + w.ID} {
		resp, body := e.do(t, "GET", path)
		if resp.StatusCode != 200 || strings.Contains(string(body), w.Webhook.Secret) || !strings.Contains(string(body), `"secret_set":true`) ||
			!strings.Contains(string(body), w.ID) {
			t.Errorf("GET %s: %d %s", path, resp.StatusCode, body)
		}
	}
	var list struct {
		Watches []watch.Watch `json:"watches"`
	}
	_, body = e.do(t, "GET", "/v1/watches")
	if err := json.Unmarshal(body, &list); err != nil || len(list.Watches) != 1 || list.Watches[0].Query != "Şuşa OR Qarabağ" ||
		strings.Join(list.Watches[0].Outlets, ",") != "report,oxu" {
		t.Errorf("list %s", body)
	}

	// Bad input: a clear 4xx, nothing kept.
	for _, tc := range []struct {
		what, ct, body string
		status         int
		msg            string
	}{
		{"loopback webhook", "application/json", `{"q":"x","webhook":{"url":"http://127.0.0.1:8080/hook"}}`, 400, "127.0.0.1 is loopback"},
		{"private webhook", "application/json", `{"q":"x","webhook":{"url":"http://10.0.0.1/hook"}}`, 400, "10.0.0.1 is private"},
		{"metadata webhook", "application/json", `{"q":"x","webhook":{"url":"http://169.254.169.254/latest/meta-data/"}}`, 400, "169.254.169.254 is link-local"},
		{"localhost webhook", "application/json", `{"q":"x","webhook":{"url":"http://localhost/"}}`, 400, "--webhook-targets any"},
		{"ftp webhook", "application/json", `{"q":"x","webhook":{"url":"ftp://example.com/x"}}`, 400, "http or https"},
		{"short secret", "application/json", `{"q":"x","webhook":{"url":"https://example.com/","secret":"short"}}`, 400, "secret"},
		{"bad query", "application/json", `{"q":"(Şuşa"}`, 400, "q:"},
		{"unknown field", "application/json", `{"q":"x","query":"y"}`, 400, "unknown field"},
		{"two values", "application/json", `{"q":"x"}{"q":"y"}`, 400, "more than one"},
		{"not json", "application/json", `q=x`, 400, "not a watch"},
		{"null", "application/json", `null`, 400, "JSON object"},
		{"null field", "application/json", `{"q":"x","gap":null}`, 400, `"gap" is null`},
		{"null secret", "application/json", `{"webhook":{"url":"https://example.com/","secret":null}}`, 400, `"webhook.secret" is null`},
		{"null outlet", "application/json", `{"outlet":["report",null]}`, 400, `"outlet[1]" is null`},
		{"array", "application/json", `[{"q":"x"}]`, 400, "JSON object"},
		{"empty", "application/json", ``, 400, "JSON object"},
		{"form", "application/x-www-form-urlencoded", `q=x`, 415, "application/json"},
		{"unknown event", "application/json", `{"q":"x","events":["tweet"]}`, 400, "event kind"},
		{"gap events without gap", "application/json", `{"q":"x","events":["gap"]}`, 400, "gap"},
		{"gap outlet among competitors", "application/json", `{"gap":{"outlet":"report","competitors":["report"]}}`, 400, "competitors"},
		{"gap minutes", "application/json", `{"gap":{"outlet":"report","competitors":["oxu"],"minutes":-5}}`, 400, "minutes"},
		{"too large", "application/json", `{"name":"` + strings.Repeat("x", MaxWatchBody) + `"}`, 413, "larger"},
	} {
		resp, body := e.post(t, "/v1/watches", tc.ct, key, []byte(tc.body))
		wantAPIError(t, tc.what, resp, body, tc.status, CodeBadRequest, tc.msg)
	}
	_, body = e.do(t, "GET", "/v1/watches")
	if json.Unmarshal(body, &list); len(list.Watches) != 1 {
		t.Errorf("bad input kept a watch: %s", body)
	}
	for _, tc := range []errCase{
		{"GET", "/v1/watches/0123456789abcdef", 404, CodeNotFound, "0123456789abcdef"},
		{"GET", "/v1/watches/NOT-AN-ID", 404, CodeNotFound, "16 lower-case hex"},
		{"GET", "/v1/watches/" + w.ID + "/events?last_event_id=abc", 400, CodeBadRequest, "last event id"},
		{"GET", "/v1/watches?q=x", 400, CodeBadRequest, "unknown parameter"},
	} {
		checkError(t, e, tc)
	}
	resp, body = e.get(t, "DELETE", "/v1/watches/0123456789abcdef", key)
	wantAPIError(t, "delete an unknown watch", resp, body, 404, CodeNotFound, "not found")
	resp, body = e.get(t, "DELETE", "/v1/watches/"+w.ID, "")
	wantAPIError(t, "delete without a key", resp, body, 401, CodeUnauthorized, "export")
	if resp, body := e.get(t, "DELETE", "/v1/watches/"+w.ID, key); resp.StatusCode != 200 {
		t.Fatalf("delete: %d %s", resp.StatusCode, body)
	}
	checkError(t, e, errCase{"GET", "/v1/watches/" + w.ID, 404, CodeNotFound, w.ID})
	if _, body := e.do(t, "GET", "/v1/watches"); string(body) != `{"watches":[]}`+"\n" && string(body) != `{"watches":[]}` {
		t.Errorf("after delete: %s", body)
	}

	// An API without NATS says so.
	set, tokens := newKeys(t)
	bare := newEnv(t, Config{Keys: set, Open: true}, nil)
	for _, tc := range []errCase{
		{"GET", "/v1/watches", 503, CodeUnavailable, "NATS"},
		{"GET", "/v1/watches/0123456789abcdef/events", 503, CodeUnavailable, "NATS"},
	} {
		checkError(t, bare, tc)
	}
	resp, body = bare.post(t, "/v1/watches", "application/json", tokens[keys.ScopeExport], []byte(`{"q":"x"}`))
	wantAPIError(t, "create without NATS", resp, body, 503, CodeUnavailable, "NATS")
}

// sseEvent is one server-sent event.
type sseEvent struct{ id, event, data string }

// readSSE reads events from an event stream until n are read.
func readSSE(t *testing.T, r *bufio.Reader, n int) []sseEvent {
	t.Helper()
	var out []sseEvent
	var cur sseEvent
	for len(out) < n {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("event stream after %d events: %v", len(out), err)
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "":
			if cur.data != "" {
				out = append(out, cur)
			}
			cur = sseEvent{}
		case strings.HasPrefix(line, "id: "):
			cur.id = line[4:]
		case strings.HasPrefix(line, "event: "):
			cur.event = line[7:]
		case strings.HasPrefix(line, "data: "):
			cur.data = line[6:]
		}
	}
	return out
}

// openSSE opens the watch's event stream, with Last-Event-ID when last is set.
func openSSE(t *testing.T, ctx context.Context, e *env, id, last string) *bufio.Reader {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/v1/watches/"+id+"/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	if last != "" {
		req.Header.Set("Last-Event-ID", last)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") || resp.Header.Get("Content-Encoding") != "" {
		t.Fatalf("events: %d %v", resp.StatusCode, resp.Header)
	}
	return bufio.NewReader(resp.Body)
}

// TestWatchEventStream: GET /v1/watches/{id}/events streams the watch's
// events as they are published (not other watches'), and a reconnect with
// Last-Event-ID replays exactly those after it.
func TestWatchEventStream(t *testing.T) {
	e, c, key := watchEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	mk := func(q string) string {
		resp, body := e.post(t, "/v1/watches", "application/json", key, []byte(`{"q":"`+q+`"}`))
		var one struct {
			Watch watch.Watch `json:"watch"`
		}
		if resp.StatusCode != 201 || json.Unmarshal(body, &one) != nil {
			t.Fatalf("create: %d %s", resp.StatusCode, body)
		}
		return one.Watch.ID
	}
	id, other := mk("Şuşa"), mk("neft")
	publish := func(watchID, title string) {
		t.Helper()
		a := &article.Article{URL: "https://report.az/" + title, Outlet: "report", Language: "az", Title: title, FetchedAt: time.Now().UTC()}
		if err := a.Finalize(); err != nil {
			t.Fatal(err)
		}
		data, _ := json.Marshal(watch.Event{Watch: watchID, Kind: watch.KindArticle, At: time.Now().UTC(), Article: a})
		m := nats.NewMsg(bus.WatchEventsPrefix + watchID)
		m.Data = data
		if _, err := c.JetStream().PublishMsg(ctx, m, jetstream.WithExpectStream(bus.StreamWatchEvents)); err != nil {
			t.Fatal(err)
		}
	}
	r := openSSE(t, ctx, e, id, "")
	// The stream is followed once it has said hello; publish then.
	if line, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(line, ": newswatch events of watch "+id) {
		t.Fatalf("first line %q %v", line, err)
	}
	for i := 1; i <= 3; i++ {
		publish(other, fmt.Sprintf("other-%d", i))
		publish(id, fmt.Sprintf("mine-%d", i))
	}
	got := readSSE(t, r, 3)
	var ids []string
	for i, ev := range got {
		var w watch.Event
		if err := json.Unmarshal([]byte(ev.data), &w); err != nil || ev.event != watch.KindArticle || w.ID != ev.id ||
			w.Watch != id || w.Article.Title != fmt.Sprintf("mine-%d", i+1) {
			t.Fatalf("event %d: %+v (%v)", i, ev, err)
		}
		ids = append(ids, ev.id)
	}
	// Reconnect after the first: the second and third again, in order.
	again := readSSE(t, openSSE(t, ctx, e, id, ids[0]), 2)
	if again[0].id != ids[1] || again[1].id != ids[2] {
		t.Errorf("replay after %s: %s, %s; want %s, %s", ids[0], again[0].id, again[1].id, ids[1], ids[2])
	}
	// Last-Event-ID 0: every event kept.
	all := readSSE(t, openSSE(t, ctx, e, id, "0"), 3)
	if all[0].id != ids[0] || all[2].id != ids[2] {
		t.Errorf("replay of all: %+v, want %v", all, ids)
	}
}

// storyEnv holds four stories: S1 covered by report (first), oxu (twice)
// and caliber; S2 by report and apa; S3 (Russian) by oxu alone; S4 by
// caliber alone.
func storyEnv(t *testing.T) (*env, map[string]string) {
	t.Helper()
	e := newEnv(t, Config{}, nil)
	ids := map[string]string{"S1": strings.Repeat("1", article.IDLen), "S2": strings.Repeat("2", article.IDLen),
		"S3": strings.Repeat("3", article.IDLen), "S4": strings.Repeat("4", article.IDLen)}
	base := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	var arts []*article.Article
	add := func(story, outlet, lang, title string, minutes int) {
		at := base.Add(time.Duration(minutes) * time.Minute)
		a := &article.Article{URL: fmt.Sprintf("https://%s.az/%s/%d", outlet, story, minutes), Outlet: outlet, Language: lang, Title: title,
			Body: title + ". " + title, PublishedAt: &at, DateSource: article.DateSourceJSONLD, FetchedAt: at.Add(time.Minute), StoryID: ids[story]}
		if err := a.Finalize(); err != nil {
			t.Fatal(err)
		}
		arts = append(arts, a)
	}
	add("S1", "report", "az", "Prezident Şuşada çıxış etdi", 0)
	add("S1", "oxu", "az", "Prezident Şuşada çıxış edib", 7)
	add("S1", "oxu", "az", "Prezidentin Şuşa çıxışı: təfərrüatlar", 20)
	add("S1", "caliber", "az", "Prezident Şuşada", 30)
	add("S2", "report", "az", "Şuşada yeni məktəb açıldı", 60)
	add("S2", "apa", "az", "Şuşada məktəb açılıb", 75)
	add("S3", "oxu", "ru", "Цены на нефть выросли", 120)
	add("S4", "caliber", "az", "Bakıda konfrans", -60)
	if err := e.st.Put(context.Background(), arts); err != nil {
		t.Fatal(err)
	}
	return e, ids
}

func TestStoriesAPI(t *testing.T) {
	e, ids := storyEnv(t)
	resp, body := e.do(t, "GET", "/v1/stories/"+ids["S1"])
	var one struct {
		Story storyInfo `json:"story"`
	}
	if resp.StatusCode != 200 || json.Unmarshal(body, &one) != nil {
		t.Fatalf("story: %d %s", resp.StatusCode, body)
	}
	s := one.Story
	var outlets []string
	for _, o := range s.Outlets {
		outlets = append(outlets, fmt.Sprintf("%s+%g/%d", o.Outlet, o.LagMinutes, o.Articles))
	}
	if s.ID != ids["S1"] || s.Articles != 4 || len(s.Members) != 4 || s.First.Outlet != "report" || s.Title != "Prezident Şuşada çıxış etdi" ||
		strings.Join(outlets, " ") != "report+0/1 oxu+7/2 caliber+30/1" {
		t.Errorf("story S1: %+v (outlets %s)", s, outlets)
	}

	var list struct {
		Total   int64       `json:"total"`
		Stories []storyInfo `json:"stories"`
	}
	for _, tc := range []struct{ query, want string }{
		{"", "S1:4 S2:2 S3:1 S4:1"},
		{"q=Şuşa", "S1:4 S2:2"},
		{"lang=ru", "S3:1"},
		{"outlet=oxu", "S1:2 S3:1"},
		{"from=2025-03-01T10:10:00Z&to=2025-03-01T11:10:00Z", "S1:2 S2:1"},
		{"size=1", "S1:4"},
	} {
		resp, body := e.do(t, "GET", "/v1/stories?"+tc.query)
		if resp.StatusCode != 200 || json.Unmarshal(body, &list) != nil {
			t.Fatalf("stories?%s: %d %s", tc.query, resp.StatusCode, body)
		}
		var got []string
		for _, st := range list.Stories {
			for k, id := range ids {
				if id == st.ID {
					got = append(got, fmt.Sprintf("%s:%d", k, st.Matched))
				}
			}
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("stories?%s: %s, want %s", tc.query, got, tc.want)
		}
	}
	for _, tc := range []errCase{
		{"GET", "/v1/stories/" + strings.Repeat("9", article.IDLen), 404, CodeNotFound, "no story"},
		{"GET", "/v1/stories/xyz", 400, CodeBadRequest, "story id"},
		{"GET", "/v1/stories?size=0", 400, CodeBadRequest, "size"},
		{"GET", "/v1/stories?q=(", 400, CodeBadRequest, ""},
		{"GET", "/v1/stories?cursor=x", 400, CodeBadRequest, "unknown parameter"},
	} {
		checkError(t, e, tc)
	}
}

func TestCoverageGaps(t *testing.T) {
	e, ids := storyEnv(t)
	type gapsResp struct {
		Total int   `json:"total"`
		Gaps  []gap `json:"gaps"`
	}
	period := "&from=2025-03-01T09:00:00Z&to=2025-03-01T14:00:00Z"
	for _, tc := range []struct{ query, want string }{
		// S1 caliber covered; S2 two competitors, 180 minutes before the
		// end of the period; S3 one, 120 minutes.
		{"outlet=caliber&competitors=report,oxu,apa" + period, "S2[report+0 apa+15] lead 180; S3[oxu+0] lead 120"},
		{"outlet=caliber&competitors=report,oxu,apa&min_competitors=2" + period, "S2[report+0 apa+15] lead 180"},
		{"outlet=caliber&competitors=report,oxu,apa&q=Şuşa" + period, "S2[report+0 apa+15] lead 180"},
		{"outlet=caliber&competitors=oxu&lang=ru" + period, "S3[oxu+0] lead 120"},
		// report missed S4 (caliber alone) and S3 (oxu alone).
		{"outlet=report&competitors=caliber,oxu" + period, "S4[caliber+0] lead 300; S3[oxu+0] lead 120"},
		{"outlet=apa&competitors=report,oxu" + period + "&size=1", "S1[report+0 oxu+7] lead 240"},
	} {
		resp, body := e.do(t, "GET", "/v1/coverage/gaps?"+tc.query)
		var r gapsResp
		if resp.StatusCode != 200 || json.Unmarshal(body, &r) != nil {
			t.Fatalf("gaps?%s: %d %s", tc.query, resp.StatusCode, body)
		}
		var got []string
		for _, g := range r.Gaps {
			name := g.Story
			for k, id := range ids {
				if id == g.Story {
					name = k
				}
			}
			var cov []string
			for _, c := range g.Covered {
				cov = append(cov, fmt.Sprintf("%s+%g", c.Outlet, c.LagMinutes))
			}
			got = append(got, fmt.Sprintf("%s[%s] lead %g", name, strings.Join(cov, " "), g.LeadMinutes))
		}
		if strings.Join(got, "; ") != tc.want {
			t.Errorf("gaps?%s:\n got %s\nwant %s", tc.query, strings.Join(got, "; "), tc.want)
		}
	}
	for _, tc := range []errCase{
		{"GET", "/v1/coverage/gaps?competitors=oxu", 400, CodeBadRequest, "outlet is required"},
		{"GET", "/v1/coverage/gaps?outlet=caliber", 400, CodeBadRequest, "competitors is required"},
		{"GET", "/v1/coverage/gaps?outlet=caliber&competitors=oxu,caliber", 400, CodeBadRequest, "among its competitors"},
		{"GET", "/v1/coverage/gaps?outlet=Bad.Outlet&competitors=oxu", 400, CodeBadRequest, "outlet"},
		{"GET", "/v1/coverage/gaps?outlet=caliber&competitors=oxu&from=yesterday", 400, CodeBadRequest, "from"},
		{"GET", "/v1/coverage/gaps?outlet=caliber&competitors=oxu&min_competitors=2", 400, CodeBadRequest, "min_competitors"},
	} {
		checkError(t, e, tc)
	}
}

// TestEventStreamsLimit: event streams beyond MaxEventStreams get 503 with
// Retry-After; a closed stream frees its slot.
func TestEventStreamsLimit(t *testing.T) {
	e, _, key := watchEnvWith(t, Config{MaxEventStreams: 1})
	resp, body := e.post(t, "/v1/watches", "application/json", key, []byte(`{"q":"x"}`))
	var one struct {
		Watch watch.Watch `json:"watch"`
	}
	if resp.StatusCode != 201 || json.Unmarshal(body, &one) != nil {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	ctx, cancel := context.WithCancel(context.Background())
	openSSE(t, ctx, e, one.Watch.ID, "")
	resp = checkError(t, e, errCase{"GET", "/v1/watches/" + one.Watch.ID + "/events", 503, CodeBusy, "event streams are open"})
	if resp.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	cancel()
	bustest.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/v1/watches/"+one.Watch.ID+"/events", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("status %d after the first stream closed", resp.StatusCode)
		}
		return nil
	})
}
