package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/newswatch/newswatch/web"
)

// The web page is served at / and its files under /assets/, with the
// page's content security policy, revalidated by ETag; an unknown file is
// the API's JSON 404, and the API's own routes are untouched.
func TestServesThePage(t *testing.T) {
	e := newEnv(t, Config{}, nil)
	resp, body := e.do(t, "GET", "/")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET / = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if !strings.Contains(string(body), `<script type="module" src="/assets/js/app.js">`) {
		t.Errorf("GET / is not the page:\n%.300s", body)
	}
	if got := resp.Header.Get("Content-Security-Policy"); got != web.ContentSecurityPolicy {
		t.Errorf("CSP = %q", got)
	}
	etag := resp.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	req, _ := http.NewRequest("GET", e.srv.URL+"/", nil)
	req.Header.Set("If-None-Match", etag)
	r2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != http.StatusNotModified {
		t.Errorf("GET / with If-None-Match = %d, want 304", r2.StatusCode)
	}

	for path, ct := range map[string]string{
		"/assets/js/app.js":               "text/javascript",
		"/assets/app.css":                 "text/css",
		"/assets/vendor/chart.umd.min.js": "text/javascript",
		"/assets/vendor/diff.LICENSE.txt": "text/plain",
		"/assets/vendor/luxon.LICENSE.md": "text/plain",
	} {
		resp, body := e.do(t, "GET", path)
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), ct) || len(body) == 0 {
			t.Errorf("GET %s = %d %q, %d bytes; want 200 %s", path, resp.StatusCode, resp.Header.Get("Content-Type"), len(body), ct)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: no nosniff", path)
		}
	}
	for _, path := range []string{"/assets/nope.js", "/assets/index.html", "/assets/", "/index.html", "/assets/js/../web.go"} {
		resp, body := e.do(t, "GET", path)
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), `"code":"not_found"`) {
			t.Errorf("GET %s = %d %s, want the JSON 404", path, resp.StatusCode, body)
		}
	}
	if resp, _ := e.do(t, "POST", "/"); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST / = %d, want 405", resp.StatusCode)
	}
	if resp, body := e.do(t, "GET", "/v1/search?q=Baku"); resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"total"`) {
		t.Errorf("the API beside the page: %d %s", resp.StatusCode, body)
	}
}
