package api

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"

	"go.uber.org/zap/zaptest"

	"github.com/newswatch/newswatch/api/keys"
	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/bleve"
	"github.com/newswatch/newswatch/store/storetest"
)

type env struct {
	srv  *httptest.Server
	st   store.Store
	arts []*article.Article
	// storeName is the store's name exports name in their manifest
	// ("bleve" when the config gives none).
	storeName string
}

func newEnv(t *testing.T, cfg Config, wrap func(store.Store) store.Store) *env {
	t.Helper()
	// Without keys, the server reads as an open one does (the keys have
	// their own tests).
	cfg.Open = cfg.Open || cfg.Keys == nil
	if cfg.Rate == 0 { // the rate limits have their own tests too
		cfg.Rate, cfg.Burst = 1e6, 1e6
	}
	idx, err := bleve.Open(t.TempDir(), bleve.Options{}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	arts := storetest.Fixtures(t)
	if err := idx.Put(context.Background(), arts); err != nil {
		t.Fatal(err)
	}
	var st store.Store = idx
	if wrap != nil {
		st = wrap(idx)
	}
	s, err := New(cfg, st, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		srv.Close()
		idx.Close()
	})
	return &env{srv: srv, st: st, arts: arts}
}

func (e *env) do(t *testing.T, method, path string) (*http.Response, []byte) {
	t.Helper()
	return e.get(t, method, path, "")
}

type searchResp struct {
	Total      int64       `json:"total"`
	Hits       []store.Hit `json:"hits"`
	NextCursor string      `json:"next_cursor"`
}

func (e *env) search(t *testing.T, params url.Values) searchResp {
	t.Helper()
	resp, body := e.do(t, http.MethodGet, "/v1/search?"+params.Encode())
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("search %s: %d %s", params.Encode(), resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("content type %q", ct)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatalf("search %s: %v: %s", params.Encode(), err, body)
	}
	if h := string(raw["hits"]); h == "" || h == "null" {
		t.Errorf("search %s: hits = %q, want an array", params.Encode(), h)
	}
	var r searchResp
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func titles(r searchResp) []string {
	var out []string
	for _, h := range r.Hits {
		out = append(out, h.Article.Title)
	}
	sort.Strings(out)
	return out
}

func TestSearch(t *testing.T) {
	e := newEnv(t, Config{}, nil)
	for _, tc := range []struct {
		params url.Values
		want   []string
	}{
		{url.Values{"q": {"Şuşa OR Şuşada"}}, []string{"Prezident İlham Əliyev Şuşada çıxış etdi"}},
		{url.Values{"q": {"ПЕРЕГОВОРЫ"}}, []string{"Переговоры в Баку завершились"}},
		{url.Values{"q": {`"energy forum"`}}, []string{"Baku hosts regional energy forum"}},
		{url.Values{"q": {"Baku -forum"}, "outlet": {"caliber"}}, []string{"Qarabag wins the derby"}},
		{url.Values{"outlet": {"report,media"}, "lang": {"ru"}}, []string{"Переговоры в Баку завершились", "Цены на нефть выросли"}},
		{url.Values{"outlet": {"report", "media"}, "lang": {"ru"}}, []string{"Переговоры в Баку завершились", "Цены на нефть выросли"}},
		{url.Values{"section": {"Politics"}}, []string{"Baku hosts regional energy forum"}},
		{url.Values{"author": {"Анна Петрова"}}, []string{"Переговоры в Баку завершились"}},
		// Dates are UTC days: 21 Feb UTC holds az1 (14:17Z) and ru1 (08:00Z).
		{url.Values{"from": {"2025-02-21"}, "to": {"2025-02-21"}}, []string{"Prezident İlham Əliyev Şuşada çıxış etdi", "Переговоры в Баку завершились"}},
		{url.Values{"from": {"2025-02-21T12:00:00+04:00"}, "to": {"2025-02-22T00:00:00+04:00"}}, []string{"Prezident İlham Əliyev Şuşada çıxış etdi", "Переговоры в Баку завершились"}},
		{url.Values{"q": {"nonexistentword"}}, nil},
	} {
		r := e.search(t, tc.params)
		got := titles(r)
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%s: %q, want %q", tc.params.Encode(), got, tc.want)
		}
		if r.Total != int64(len(tc.want)) {
			t.Errorf("%s: total %d", tc.params.Encode(), r.Total)
		}
	}
}

func TestSearchCyrillicRoundTrip(t *testing.T) {
	e := newEnv(t, Config{}, nil)
	resp, body := e.do(t, http.MethodGet, "/v1/search?q="+url.QueryEscape("переговоры"))
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	// Raw UTF-8 in the JSON, not escapes, and exactly the stored text.
	if !strings.Contains(string(body), `"title":"Переговоры в Баку завершились"`) {
		t.Errorf("body lacks the Cyrillic title: %s", body)
	}
	var r searchResp
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatal(err)
	}
	var want article.Article
	for _, a := range e.arts {
		if a.Language == "ru" && strings.HasPrefix(a.Title, "Переговоры") {
			want = *a
		}
	}
	if len(r.Hits) != 1 || r.Hits[0].Article.Body != want.Body || r.Hits[0].ID != want.ID {
		t.Fatalf("hits = %+v", r.Hits)
	}
	if len(r.Hits[0].Highlights) == 0 || !strings.Contains(strings.Join(r.Hits[0].Highlights["title"], ""), "<mark>Переговоры</mark>") {
		t.Errorf("highlights = %v", r.Hits[0].Highlights)
	}
	// and the article route gives the same text
	resp, body = e.do(t, http.MethodGet, "/v1/articles/"+want.ID)
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	var rec store.Record
	if err := json.Unmarshal(body, &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Article.Title != want.Title || rec.Article.Body != want.Body || len(rec.Versions) != 1 || rec.Versions[0].ContentHash != want.ContentHash {
		t.Errorf("record = %+v", rec)
	}
}

func TestSearchSizeAndPaging(t *testing.T) {
	e := newEnv(t, Config{}, nil)
	r := e.search(t, url.Values{"size": {"0"}})
	if r.Total != int64(len(e.arts)) || len(r.Hits) != 0 || r.NextCursor != "" {
		t.Errorf("size=0: %+v", r)
	}
	r = e.search(t, url.Values{})
	if len(r.Hits) != len(e.arts) || r.NextCursor != "" { // default size 10 > 7 fixtures
		t.Errorf("default size: %d hits, cursor %q", len(r.Hits), r.NextCursor)
	}
	for _, sortBy := range []string{"newest", "oldest", "relevance"} {
		seen := map[string]int{}
		var order []string
		cursor := ""
		for page := 0; page < 10; page++ {
			p := url.Values{"size": {"2"}, "sort": {sortBy}, "q": {"-nonexistentword"}}
			if cursor != "" {
				p.Set("cursor", cursor)
			}
			r := e.search(t, p)
			if r.Total != int64(len(e.arts)) {
				t.Errorf("total %d", r.Total)
			}
			for _, h := range r.Hits {
				seen[h.ID]++
				order = append(order, h.ID)
			}
			if r.NextCursor == "" {
				break
			}
			cursor = r.NextCursor
		}
		if len(seen) != len(e.arts) || len(order) != len(e.arts) {
			t.Errorf("%s: paging saw %d distinct of %d in %d hits", sortBy, len(seen), len(e.arts), len(order))
		}
		if sortBy == "newest" {
			first := e.search(t, url.Values{"size": {"1"}, "sort": {"newest"}})
			if first.Hits[0].Article.Title != "Baku hosts regional energy forum" {
				t.Errorf("newest first = %q", first.Hits[0].Article.Title)
			}
		}
	}
}

type errCase struct {
	method, path string
	status       int
	code         string
	msg          string // part of the message
}

func checkError(t *testing.T, e *env, tc errCase) *http.Response {
	t.Helper()
	resp, body := e.do(t, tc.method, tc.path)
	if resp.StatusCode != tc.status {
		t.Errorf("%s %s: status %d, want %d (%s)", tc.method, tc.path, resp.StatusCode, tc.status, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s %s: content type %q", tc.method, tc.path, ct)
	}
	if tc.method == http.MethodHead {
		return resp
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil || len(top) != 1 || top["error"] == nil {
		t.Errorf("%s %s: body %s is not {\"error\": ...}", tc.method, tc.path, body)
		return resp
	}
	var detail map[string]string
	if err := json.Unmarshal(top["error"], &detail); err != nil || len(detail) != 2 {
		t.Errorf("%s %s: error %s is not {code, message}", tc.method, tc.path, top["error"])
		return resp
	}
	if detail["code"] != tc.code {
		t.Errorf("%s %s: code %q, want %q", tc.method, tc.path, detail["code"], tc.code)
	}
	if detail["message"] == "" || !strings.Contains(detail["message"], tc.msg) {
		t.Errorf("%s %s: message %q, want it to contain %q", tc.method, tc.path, detail["message"], tc.msg)
	}
	return resp
}

func TestErrors(t *testing.T) {
	e := newEnv(t, Config{}, nil)
	okCursor := e.search(t, url.Values{"size": {"1"}, "sort": {"newest"}}).NextCursor
	unknownID, _ := article.ID("https://example.com/nothing")
	for _, tc := range []errCase{
		{"GET", "/index.html", 404, CodeNotFound, "no route"}, // GET / is the web page (page_test.go)
		{"GET", "/nope", 404, CodeNotFound, "no route"},
		{"GET", "/v1/", 404, CodeNotFound, "no route"},
		{"GET", "/v1/articles/", 404, CodeNotFound, "no route"},
		{"GET", "/v1/search/extra", 404, CodeNotFound, "no route"},
		{"GET", "/v1/articles/" + unknownID, 404, CodeNotFound, "not found"},
		{"GET", "/v1/articles/xyz", 400, CodeBadRequest, "article id"},
		{"GET", "/v1/articles/" + strings.ToUpper(unknownID), 400, CodeBadRequest, "article id"},
		{"GET", "/v1/search?size=abc", 400, CodeBadRequest, "size"},
		{"GET", "/v1/search?size=-1", 400, CodeBadRequest, "size"},
		{"GET", "/v1/search?size=101", 400, CodeBadRequest, "size"},
		{"GET", "/v1/search?size=1.5", 400, CodeBadRequest, "size"},
		{"GET", "/v1/search?sort=sideways", 400, CodeBadRequest, "sort"},
		{"GET", "/v1/search?from=yesterday", 400, CodeBadRequest, "from"},
		{"GET", "/v1/search?to=2025-13-01", 400, CodeBadRequest, "to"},
		{"GET", "/v1/search?from=2025-02-22&to=2025-02-21", 400, CodeBadRequest, "not before"},
		{"GET", "/v1/search?cursor=garbage", 400, CodeBadRequest, "cursor"},
		{"GET", "/v1/search?sort=oldest&size=1&cursor=" + okCursor, 400, CodeBadRequest, "cursor"},
		{"GET", "/v1/search?q=" + url.QueryEscape(`"unclosed`), 400, CodeBadRequest, "column 1"},
		{"GET", "/v1/search?q=" + url.QueryEscape(`(Baku`), 400, CodeBadRequest, "unbalanced"},
		{"GET", "/v1/search?q=" + url.QueryEscape(`Baku AND`), 400, CodeBadRequest, "AND"},
		{"GET", "/v1/search?q=" + url.QueryEscape(`foo:bar`), 400, CodeBadRequest, "unknown field"},
		{"GET", "/v1/search?q=" + url.QueryEscape(strings.Repeat("x ", 3000)), 400, CodeBadRequest, "longer"},
		{"GET", "/v1/search?q=a&q=b", 400, CodeBadRequest, "once"},
		{"GET", "/v1/search?outlets=caliber", 400, CodeBadRequest, `unknown parameter "outlets"`},
		{"GET", "/v1/search?q=%ff", 400, CodeBadRequest, "UTF-8"},
		{"GET", "/v1/search?q=%zz", 400, CodeBadRequest, `malformed query string: invalid escape "%zz"`},
		{"GET", "/v1/search?q=Baku&size=%", 400, CodeBadRequest, "malformed query string"},
		{"GET", "/v1/articles/../healthz", 404, CodeNotFound, "not clean"},
		{"GET", "/v1/articles/./x", 404, CodeNotFound, "not clean"},
		{"GET", "//v1//search", 404, CodeNotFound, "not clean"},
		{"GET", "/v1/search/..", 404, CodeNotFound, "not clean"},
		{"GET", "/v1/articles/%00", 400, CodeBadRequest, `article id "\x00"`},
		{"GET", "/v1/articles/a%2F..%2Fb", 400, CodeBadRequest, "article id"},
		{"GET", "/v1/articles/" + strings.Repeat("a", 100000), 400, CodeBadRequest, `... (100000 bytes): want 32`},
		{"GET", "/v1/search?sort=" + strings.Repeat("s", 5000), 400, CodeBadRequest, `... (5000 bytes): want`},
		{"GET", "/v1/search?" + strings.Repeat("x", 5000) + "=1", 400, CodeBadRequest, `... (5000 bytes); known`},
		{"POST", "/v1/search", 405, CodeMethodNotAllowed, "POST"},
		{"DELETE", "/v1/articles/" + unknownID, 405, CodeMethodNotAllowed, "DELETE"},
		{"PUT", "/healthz", 405, CodeMethodNotAllowed, "PUT"},
	} {
		resp := checkError(t, e, tc)
		if resp.ContentLength > 600 {
			t.Errorf("%s %.80s: error of %d bytes; echoed input is not cut", tc.method, tc.path, resp.ContentLength)
		}
		if tc.status == 405 && !strings.Contains(resp.Header.Get("Allow"), "GET") {
			t.Errorf("%s %s: Allow = %q", tc.method, tc.path, resp.Header.Get("Allow"))
		}
	}
}

// brokenStore fails or panics on Search and Get.
type brokenStore struct {
	store.Store
	panic bool
}

func (b brokenStore) Search(ctx context.Context, q store.Query) (*store.Result, error) {
	if b.panic {
		panic("boom")
	}
	return nil, errors.New("disk on fire at /secret/path")
}

func (b brokenStore) Get(ctx context.Context, id string) (*store.Record, error) {
	return nil, context.DeadlineExceeded
}

func TestInternalErrors(t *testing.T) {
	e := newEnv(t, Config{}, func(s store.Store) store.Store { return brokenStore{Store: s} })
	checkError(t, e, errCase{"GET", "/v1/search?q=x", 500, CodeInternal, "internal error"})
	_, body := e.do(t, "GET", "/v1/search?q=x")
	if strings.Contains(string(body), "secret") {
		t.Errorf("internal detail leaked: %s", body)
	}
	someID, _ := article.ID("https://x.az/")
	resp := checkError(t, e, errCase{"GET", "/v1/articles/" + someID, 503, CodeTimeout, "did not answer within"})
	if resp.Header.Get("Retry-After") != "2" {
		t.Errorf("timeout: Retry-After = %q, want 2", resp.Header.Get("Retry-After"))
	}

	p := newEnv(t, Config{}, func(s store.Store) store.Store { return brokenStore{Store: s, panic: true} })
	checkError(t, p, errCase{"GET", "/v1/search?q=x", 500, CodeInternal, "internal error"})
	// The server survives the panic.
	if resp, _ := p.do(t, "GET", "/healthz"); resp.StatusCode != 200 {
		t.Errorf("healthz after panic: %d", resp.StatusCode)
	}
}

func TestHealthAndReady(t *testing.T) {
	var notReady error
	e := newEnv(t, Config{Ready: func(context.Context) error { return notReady }}, nil)
	for _, p := range []string{"/healthz", "/readyz"} {
		resp, body := e.do(t, "GET", p)
		if resp.StatusCode != 200 || !strings.Contains(string(body), `"status"`) {
			t.Errorf("%s: %d %s", p, resp.StatusCode, body)
		}
		if resp.Header.Get("X-Request-ID") == "" {
			t.Errorf("%s: no X-Request-ID", p)
		}
	}
	if resp, _ := e.do(t, "HEAD", "/healthz"); resp.StatusCode != 200 {
		t.Errorf("HEAD /healthz: %d", resp.StatusCode)
	}
	notReady = errors.New("nats: no connection")
	checkError(t, e, errCase{"GET", "/readyz", 503, CodeUnavailable, "nats: no connection"})
	notReady = nil
	if err := e.st.Close(); err != nil {
		t.Fatal(err)
	}
	checkError(t, e, errCase{"GET", "/readyz", 503, CodeUnavailable, "store"})
	checkError(t, e, errCase{"GET", "/v1/search", 503, CodeUnavailable, "closed"})
	if resp, _ := e.do(t, "GET", "/healthz"); resp.StatusCode != 200 {
		t.Errorf("healthz with the store closed: %d", resp.StatusCode)
	}
}

func TestOpenAPIMatchesRoutes(t *testing.T) {
	e := newEnv(t, Config{}, nil)
	resp, body := e.do(t, "GET", "/v1/openapi.json")
	if resp.StatusCode != 200 {
		t.Fatalf("%d", resp.StatusCode)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, rt := range routes {
		want[strings.ToLower(rt.method)+" "+rt.path] = true
	}
	got := map[string]bool{}
	for p, ops := range doc.Paths {
		for m := range ops {
			got[m+" "+p] = true
		}
	}
	for k := range want {
		if !got[k] {
			t.Errorf("route %s is not in openapi.json", k)
		}
	}
	for k := range got {
		if !want[k] {
			t.Errorf("openapi.json describes %s, which is not a route", k)
		}
	}
	// Every route takes exactly the query parameters documented for it,
	// and says what key it needs: none (public), optionally one (reads,
	// which --open allows without), or one (export, admin).
	for _, rt := range routes {
		var op struct {
			Parameters []struct {
				Name string `json:"name"`
				In   string `json:"in"`
			} `json:"parameters"`
			Security  []map[string][]string      `json:"security"`
			Responses map[string]json.RawMessage `json:"responses"`
		}
		if err := json.Unmarshal(doc.Paths[rt.path][strings.ToLower(rt.method)], &op); err != nil {
			t.Fatalf("%s %s: %v", rt.method, rt.path, err)
		}
		var sec []string
		for _, req := range op.Security {
			if len(req) == 0 {
				sec = append(sec, "none")
			}
			for name := range req {
				sec = append(sec, name)
			}
		}
		wantSec := map[keys.Scope]string{"": "", keys.ScopeRead: "none,bearer", keys.ScopeExport: "bearer", keys.ScopeAdmin: "bearer"}[rt.scope]
		if strings.Join(sec, ",") != wantSec {
			t.Errorf("%s %s: security %v, want %q for scope %q", rt.method, rt.path, op.Security, wantSec, rt.scope)
		}
		if rt.scope != "" {
			for _, code := range []string{"401", "403", "429"} {
				if op.Responses[code] == nil {
					t.Errorf("%s %s: response %s is not documented", rt.method, rt.path, code)
				}
			}
		}
		documented := map[string]bool{}
		for _, p := range op.Parameters {
			if p.In == "query" {
				documented[p.Name] = true
			}
		}
		for name := range rt.params {
			if !documented[name] {
				t.Errorf("%s %s: parameter %s is not documented", rt.method, rt.path, name)
			}
		}
		for name := range documented {
			if _, ok := rt.params[name]; !ok {
				t.Errorf("%s %s: documented parameter %s is not taken", rt.method, rt.path, name)
			}
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []Config{{DefaultSize: -1}, {DefaultSize: store.MaxSize + 1}, {RequestTimeout: -1}, {ReadyTimeout: -1}} {
		if err := c.Validate(); err == nil {
			t.Errorf("%+v accepted", c)
		}
		if _, err := New(c, brokenStore{}, nil); err == nil {
			t.Errorf("New(%+v) accepted", c)
		}
	}
	if _, err := New(Config{}, nil, nil); err == nil {
		t.Error("nil store accepted")
	}
}

func TestFarDatesAndOddQueries(t *testing.T) {
	e := newEnv(t, Config{}, nil)
	for p, total := range map[string]int64{
		"from=0001-01-01&to=9999-12-31": 7,
		"from=1500-01-01T00:00:00Z":     7,
		"from=9999-01-01":               0,
		"to=0001-01-02":                 0,
		"q=%E2%80%94":                   7, // a dash only: no words, matches all
		"q=*":                           7,
		"q=a%00b":                       0,
		"outlet=,,,":                    7,
	} {
		resp, body := e.do(t, http.MethodGet, "/v1/search?size=0&"+p)
		var r searchResp
		if resp.StatusCode != 200 || json.Unmarshal(body, &r) != nil || r.Total != total {
			t.Errorf("%s: %d %s, want total %d", p, resp.StatusCode, body, total)
		}
	}
}

func TestGzip(t *testing.T) {
	e := newEnv(t, Config{}, nil)
	req, _ := http.NewRequest("GET", e.srv.URL+"/v1/search?size=100", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultClient.Do(req) // set by hand: the client does not decompress
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding = %q", resp.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var r searchResp
	if err := json.NewDecoder(zr).Decode(&r); err != nil || r.Total != 7 {
		t.Errorf("decoded %v %+v", err, r.Total)
	}
}
