package api

import (
	"encoding/json"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/newswatch/newswatch/api/keys"
)

// TestScopes: each scope reaches its routes and no others; requests
// without a key or with a bad one are 401 with WWW-Authenticate.
func TestScopes(t *testing.T) {
	set, tok := newKeys(t)
	e := newCorpusEnv(t, Config{Keys: set, Open: false}, corpus(t, 30, time.Hour))
	read := []string{"/v1/search?q=Bak%C4%B1", "/v1/stats/timeline", "/v1/stats/top", "/v1/articles/" + e.arts[0].ID}
	for _, tc := range []struct {
		key        string
		read, exp  int
		listKeys   int
		wantCode   string
		authHeader bool
	}{
		{"", 401, 401, 401, CodeUnauthorized, true},
		{"nwk_0123456789abcdef_" + strings.Repeat("A", 43), 401, 401, 401, CodeUnauthorized, true},
		{"not-a-key", 401, 401, 401, CodeUnauthorized, true},
		{tok[keys.ScopeRead], 200, 403, 403, CodeForbidden, false},
		{tok[keys.ScopeExport], 200, 200, 403, CodeForbidden, false},
		{tok[keys.ScopeAdmin], 200, 200, 200, "", false},
	} {
		for _, p := range read {
			if resp, body := e.get(t, "GET", p, tc.key); resp.StatusCode != tc.read {
				t.Errorf("key %.12q GET %s: %d %s, want %d", tc.key, p, resp.StatusCode, body, tc.read)
			}
		}
		resp, body := e.get(t, "GET", "/v1/export?format=csv", tc.key)
		if resp.StatusCode != tc.exp {
			t.Errorf("key %.12q export: %d, want %d", tc.key, resp.StatusCode, tc.exp)
		}
		if tc.exp != 200 {
			checkJSONError(t, "export", resp.StatusCode, body, tc.wantCode)
		}
		if got := resp.Header.Get("WWW-Authenticate") != ""; got != tc.authHeader {
			t.Errorf("key %.12q: WWW-Authenticate %q", tc.key, resp.Header.Get("WWW-Authenticate"))
		}
		resp, body = e.get(t, "GET", "/v1/keys", tc.key)
		if resp.StatusCode != tc.listKeys {
			t.Errorf("key %.12q GET /v1/keys: %d %s, want %d", tc.key, resp.StatusCode, body, tc.listKeys)
		}
		if resp.StatusCode == 200 {
			if strings.Contains(string(body), "sha256") || strings.Contains(string(body), tok[keys.ScopeRead][21:]) {
				t.Errorf("the key list shows secrets: %s", body)
			}
			var l struct {
				Keys []keyInfo `json:"keys"`
			}
			if err := json.Unmarshal(body, &l); err != nil || len(l.Keys) != 3 {
				t.Errorf("key list: %v %s", err, body)
			}
		}
	}
	// Public routes need no key.
	for _, p := range []string{"/healthz", "/readyz", "/v1/openapi.json"} {
		if resp, _ := e.get(t, "GET", p, ""); resp.StatusCode != 200 {
			t.Errorf("GET %s without a key: %d", p, resp.StatusCode)
		}
	}
	// A malformed Authorization header is refused, not ignored.
	for _, h := range []string{"Basic dXNlcjpwYXNz", "Bearer", "Bearer   "} {
		r, _ := send(t, "GET", e.srv.URL+"/v1/search", h)
		if r.StatusCode != 401 {
			t.Errorf("Authorization %q: %d", h, r.StatusCode)
		}
	}
}

// TestOpenServer: --open lets requests without a key read, and only read.
func TestOpenServer(t *testing.T) {
	set, tok := newKeys(t)
	e := newCorpusEnv(t, Config{Keys: set, Open: true}, corpus(t, 20, time.Hour))
	if resp, body := e.get(t, "GET", "/v1/search?q=Bak%C4%B1", ""); resp.StatusCode != 200 {
		t.Errorf("open search without a key: %d %s", resp.StatusCode, body)
	}
	resp, body := e.get(t, "GET", "/v1/export", "")
	checkJSONError(t, "open export without a key", resp.StatusCode, body, CodeUnauthorized)
	if !strings.Contains(string(body), "only reads") {
		t.Errorf("open export without a key: %s", body)
	}
	// A bad key is not taken for no key.
	resp, _ = e.get(t, "GET", "/v1/search", "nwk_bad")
	if resp.StatusCode != 401 {
		t.Errorf("open server, bad key: %d", resp.StatusCode)
	}
	if resp, _ := e.get(t, "GET", "/v1/export", tok[keys.ScopeExport]); resp.StatusCode != 200 {
		t.Errorf("open server, export key: %d", resp.StatusCode)
	}
}

// TestRateLimit: past its burst a key gets 429 with Retry-After, other
// keys are not affected, and the key gets in again once its bucket has
// refilled; a key's own rate overrides the server's.
func TestRateLimit(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/" + keys.FileName
	slow, _, err := keys.Create(path, keys.NewOptions{Scope: keys.ScopeRead, Rate: 0.5, Burst: 3})
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := keys.Create(path, keys.NewOptions{Scope: keys.ScopeRead})
	if err != nil {
		t.Fatal(err)
	}
	set, err := keys.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	e := newCorpusEnv(t, Config{Keys: set, Rate: 100, Burst: 100}, corpus(t, 10, time.Hour))
	for i := range 3 {
		if resp, body := e.get(t, "GET", "/v1/search", slow); resp.StatusCode != 200 {
			t.Fatalf("request %d within the burst: %d %s", i, resp.StatusCode, body)
		}
	}
	resp, body := e.get(t, "GET", "/v1/search", slow)
	checkJSONError(t, "past the burst", resp.StatusCode, body, CodeRateLimited)
	if resp.StatusCode != 429 {
		t.Fatalf("past the burst: %d", resp.StatusCode)
	}
	ra, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if err != nil || ra < 1 || ra > 2 {
		t.Errorf("Retry-After %q, want 1 or 2 (a request every 2 s)", resp.Header.Get("Retry-After"))
	}
	if resp, _ := e.get(t, "GET", "/v1/search", other); resp.StatusCode != 200 {
		t.Errorf("another key while the first is limited: %d", resp.StatusCode)
	}
	time.Sleep(time.Duration(ra) * time.Second)
	if resp, body := e.get(t, "GET", "/v1/search", slow); resp.StatusCode != 200 {
		t.Errorf("after Retry-After: %d %s", resp.StatusCode, body)
	}
	// Reads without a key on an open server are limited per address.
	o := newCorpusEnv(t, Config{Open: true, Rate: 1, Burst: 2}, corpus(t, 5, time.Hour))
	codes := []int{}
	for range 4 {
		resp, _ := o.get(t, "GET", "/v1/search", "")
		codes = append(codes, resp.StatusCode)
	}
	if codes[0] != 200 || codes[1] != 200 || codes[3] != 429 {
		t.Errorf("open reads, burst 2: %v", codes)
	}
}

// TestKeysFileChanges: keys created or revoked while the server runs take
// effect within about a second; revocation works over the API too; the
// file holds no key, only hashes, and only its owner reads it.
func TestKeysFileChanges(t *testing.T) {
	set, tok := newKeys(t)
	e := newCorpusEnv(t, Config{Keys: set}, corpus(t, 10, time.Hour))
	fresh, k, err := keys.Create(set.Path(), keys.NewOptions{Scope: keys.ScopeRead, Name: "late"})
	if err != nil {
		t.Fatal(err)
	}
	waitStatus := func(key string, want int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			resp, body := e.get(t, "GET", "/v1/search", key)
			if resp.StatusCode == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("key %s: %d %s, want %d", key[:20], resp.StatusCode, body, want)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitStatus(fresh, 200)
	if err := keys.Revoke(set.Path(), k.ID); err != nil {
		t.Fatal(err)
	}
	waitStatus(fresh, 401)
	// Over the API, by an admin key.
	_, rk, err := keys.Create(set.Path(), keys.NewOptions{Scope: keys.ScopeRead})
	if err != nil {
		t.Fatal(err)
	}
	if resp, body := e.get(t, "DELETE", "/v1/keys/"+rk.ID, tok[keys.ScopeExport]); resp.StatusCode != 403 {
		t.Errorf("revoke with an export key: %d %s", resp.StatusCode, body)
	}
	if resp, body := e.get(t, "DELETE", "/v1/keys/"+rk.ID, tok[keys.ScopeAdmin]); resp.StatusCode != 200 {
		t.Errorf("revoke with an admin key: %d %s", resp.StatusCode, body)
	}
	resp, body := e.get(t, "DELETE", "/v1/keys/"+rk.ID, tok[keys.ScopeAdmin])
	checkJSONError(t, "revoke twice", resp.StatusCode, body, CodeNotFound)
	b, err := os.ReadFile(set.Path())
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range tok {
		if strings.Contains(string(b), secret) || strings.Contains(string(b), secret[21:]) {
			t.Fatal("the keys file holds a key")
		}
	}
	if fi, err := os.Stat(set.Path()); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("keys file mode %v (%v), want 0600", fi.Mode(), err)
	}
}

// TestBadInput: each kind of mistake gets its 4xx and a JSON error, on
// every route that reads a result set.
func TestBadInput(t *testing.T) {
	set, tok := newKeys(t)
	e := newCorpusEnv(t, Config{Keys: set}, corpus(t, 30, time.Hour))
	routes := []string{"/v1/search", "/v1/stats/timeline", "/v1/stats/top", "/v1/export"}
	for _, tc := range []struct {
		name, query string
		status      int
		code        string
		only        string // one route only
	}{
		{"bad query syntax", "q=" + url.QueryEscape(`"unclosed`), 400, CodeBadRequest, ""},
		{"bad query syntax", "q=" + url.QueryEscape(`Bakı AND`), 400, CodeBadRequest, ""},
		{"unknown field", "q=" + url.QueryEscape(`foo:bar`), 400, CodeBadRequest, ""},
		{"bad date", "from=yesterday", 400, CodeBadRequest, ""},
		{"bad date", "to=2025-02-30", 400, CodeBadRequest, ""},
		{"bad date", "from=2025-13-01T00:00:00Z", 400, CodeBadRequest, ""},
		{"dates backwards", "from=2025-02-22&to=2025-02-21", 400, CodeBadRequest, ""},
		{"bad zone", "tz=Mars%2FOlympus", 400, CodeBadRequest, ""},
		{"unknown parameter", "outlets=caliber", 400, CodeBadRequest, ""},
		{"unknown parameter", "pretty=1", 400, CodeBadRequest, ""},
		{"parameter twice", "q=a&q=b", 400, CodeBadRequest, ""},
		{"malformed query string", "q=%zz", 400, CodeBadRequest, ""},
		{"absurd size", "size=1000000", 400, CodeBadRequest, "/v1/search"},
		{"absurd size", "size=-1", 400, CodeBadRequest, "/v1/search"},
		{"absurd size", "size=99999999999999999999", 400, CodeBadRequest, "/v1/stats/top"},
		{"absurd size", "size=0", 400, CodeBadRequest, "/v1/stats/top"},
		{"absurd size", "split=outlet&split_size=101", 400, CodeBadRequest, "/v1/stats/timeline"},
		{"size without split", "split_size=5", 400, CodeBadRequest, "/v1/stats/timeline"},
		{"bad interval", "interval=fortnight", 400, CodeBadRequest, "/v1/stats/timeline"},
		{"bad split", "split=section", 400, CodeBadRequest, "/v1/stats/timeline"},
		{"bad facet", "facet=colour", 400, CodeBadRequest, "/v1/stats/top"},
		{"facet twice", "facet=lang,lang", 400, CodeBadRequest, "/v1/stats/top"},
		{"bad format", "format=xlsx", 400, CodeBadRequest, "/v1/export"},
		{"bad field", "fields=title,password", 400, CodeBadRequest, "/v1/search"},
		{"empty fields", "fields=", 400, CodeBadRequest, "/v1/search"},
		{"bad highlight", "highlight=maybe", 400, CodeBadRequest, "/v1/search"},
		{"too costly", "q=" + url.QueryEscape(strings.Repeat("x ", 3000)), 400, CodeBadRequest, ""},
	} {
		for _, r := range routes {
			if tc.only != "" && tc.only != r {
				continue
			}
			resp, body := e.get(t, "GET", r+"?"+tc.query, tok[keys.ScopeExport])
			if resp.StatusCode != tc.status {
				t.Errorf("%s: GET %s?%.60s: %d %s, want %d", tc.name, r, tc.query, resp.StatusCode, body, tc.status)
				continue
			}
			checkJSONError(t, tc.name+" "+r, resp.StatusCode, body, tc.code)
		}
	}
	// A missing key and a key of the wrong scope.
	for _, r := range routes {
		resp, body := e.get(t, "GET", r, "")
		checkJSONError(t, "no key "+r, resp.StatusCode, body, CodeUnauthorized)
	}
	resp, body := e.get(t, "GET", "/v1/export", tok[keys.ScopeRead])
	checkJSONError(t, "read key on export", resp.StatusCode, body, CodeForbidden)
	resp, body = e.get(t, "DELETE", "/v1/keys/0123456789abcdef", tok[keys.ScopeExport])
	checkJSONError(t, "export key on key management", resp.StatusCode, body, CodeForbidden)
	resp, body = e.get(t, "GET", "/v1/keys?verbose=1", tok[keys.ScopeAdmin])
	checkJSONError(t, "parameter on a route that takes none", resp.StatusCode, body, CodeBadRequest)
}

// checkJSONError checks an error answer: a 4xx (or the status) with the
// JSON error body of the code.
func checkJSONError(t *testing.T, what string, status int, body []byte, code string) {
	t.Helper()
	var eb errorBody
	if err := json.Unmarshal(body, &eb); err != nil || eb.Error.Code == "" || eb.Error.Message == "" {
		t.Errorf("%s: %d, not a JSON error: %s", what, status, body)
		return
	}
	if code != "" && eb.Error.Code != code {
		t.Errorf("%s: code %q (%s), want %q", what, eb.Error.Code, eb.Error.Message, code)
	}
	if status < 400 || status >= 500 {
		t.Errorf("%s: status %d, want a 4xx", what, status)
	}
}

// TestFieldsAndHighlight: fields= returns only those fields of each
// article, highlight=false no highlights; the hits are the same.
func TestFieldsAndHighlight(t *testing.T) {
	e := newCorpusEnv(t, Config{}, corpus(t, 200, time.Hour))
	full := e.search(t, url.Values{"q": {"Bakı"}, "size": {"20"}})
	resp, body := e.get(t, "GET", "/v1/search?q=Bak%C4%B1&size=20&fields=title,published_at,outlet&highlight=false", "")
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	var lean struct {
		Total int64 `json:"total"`
		Hits  []struct {
			ID         string                     `json:"id"`
			Article    map[string]json.RawMessage `json:"article"`
			Highlights map[string][]string        `json:"highlights"`
		} `json:"hits"`
		NextCursor string `json:"next_cursor"`
	}
	if err := json.Unmarshal(body, &lean); err != nil {
		t.Fatal(err)
	}
	if lean.Total != full.Total || len(lean.Hits) != len(full.Hits) || lean.NextCursor != full.NextCursor {
		t.Fatalf("lean page differs: total %d/%d hits %d/%d", lean.Total, full.Total, len(lean.Hits), len(full.Hits))
	}
	highlighted := 0
	for i, h := range lean.Hits {
		if h.ID != full.Hits[i].ID {
			t.Errorf("hit %d: %s, full page has %s", i, h.ID, full.Hits[i].ID)
		}
		if len(h.Highlights) > 0 {
			t.Errorf("hit %d has highlights with highlight=false", i)
		}
		highlighted += len(full.Hits[i].Highlights)
		for k := range h.Article {
			if k != "title" && k != "published_at" && k != "outlet" {
				t.Errorf("hit %d carries %s", i, k)
			}
		}
		var title string
		if err := json.Unmarshal(h.Article["title"], &title); err != nil || title != full.Hits[i].Article.Title {
			t.Errorf("hit %d title %q, want %q", i, title, full.Hits[i].Article.Title)
		}
	}
	if highlighted == 0 {
		t.Error("the full page has no highlights: the test shows nothing")
	}
	if len(body)*5 > len(mustJSON(t, full)) {
		t.Errorf("lean page %d bytes, full %d: want it much smaller", len(body), len(mustJSON(t, full)))
	}
	// A field the article lacks stays absent.
	resp, body = e.get(t, "GET", "/v1/search?q=Undated&fields=published_at,title", "")
	if resp.StatusCode != 200 || strings.Contains(string(body), "published_at") {
		t.Errorf("undated article with fields=published_at: %d %s", resp.StatusCode, body)
	}
}

// TestAPIMetrics: requests are counted by route pattern and status, timed,
// and exports counted by rows.
func TestAPIMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	set, tok := newKeys(t)
	e := newCorpusEnv(t, Config{Keys: set, Registerer: reg}, corpus(t, 40, time.Hour))
	e.get(t, "GET", "/v1/search?q=Bak%C4%B1", tok[keys.ScopeRead])
	e.get(t, "GET", "/v1/search?size=oops", tok[keys.ScopeRead])
	e.get(t, "GET", "/v1/articles/"+e.arts[0].ID, tok[keys.ScopeRead])
	e.get(t, "GET", "/v1/export?format=csv", tok[keys.ScopeExport])
	e.get(t, "GET", "/nowhere", "")
	for _, tc := range []struct {
		route, code string
		want        float64
	}{{"/v1/search", "200", 1}, {"/v1/search", "400", 1}, {"/v1/articles/{id}", "200", 1}, {"/v1/export", "200", 1}, {"unmatched", "404", 1}} {
		got := testutil.ToFloat64(mustMetrics(t, reg).requests.WithLabelValues(tc.route, tc.code))
		if got != tc.want {
			t.Errorf("newswatch_http_requests_total{route=%q,code=%q} = %g, want %g", tc.route, tc.code, got, tc.want)
		}
	}
	if got := testutil.ToFloat64(mustMetrics(t, reg).exportRows.WithLabelValues("csv")); got != float64(len(e.arts)) {
		t.Errorf("newswatch_export_rows_total{format=csv} = %g, want %d", got, len(e.arts))
	}
	if n := testutil.CollectAndCount(mustMetrics(t, reg).duration); n < 4 {
		t.Errorf("%d latency series, want one per route used", n)
	}
}

// mustMetrics returns the metrics registered on reg (newMetrics gives back
// the ones registered first).
func mustMetrics(t *testing.T, reg prometheus.Registerer) *metrics {
	t.Helper()
	m, err := newMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
