package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/newswatch/newswatch/store/bleve"
	"github.com/newswatch/newswatch/store/storetest"
)

// FuzzRequest: whatever the method, path and query string, the API answers
// JSON (content type and body, errors included; no redirects) and never a
// 5xx (the store is healthy, so every failure is the caller's), and an
// error message never repeats much of the request.
func FuzzRequest(f *testing.F) {
	idx, err := bleve.Open(f.TempDir(), bleve.Options{}, zap.NewNop())
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { idx.Close() })
	if err := idx.Put(context.Background(), storetest.Fixtures(f)); err != nil {
		f.Fatal(err)
	}
	s, err := New(Config{}, idx, zap.NewNop())
	if err != nil {
		f.Fatal(err)
	}
	h := s.Handler()
	for _, seed := range [][2]string{
		{"GET", "/v1/search?q=Baku&size=2"},
		{"GET", "/v1/search?q=%22a&from=2025-02-21&to=x"},
		{"GET", "/v1/search?outlet=a,b&outlet=c&lang=ru&sort=newest&cursor=abc"},
		{"GET", "/v1/search?from=0001-01-01T00:00:00Z&to=9999-12-31T23:59:59+14:00"},
		{"GET", "/v1/articles/0123456789abcdef0123456789abcdef"},
		{"POST", "/v1/articles/x"},
		{"GET", "/v1/search?q=title:(a%20OR%20b*)&size=100"},
		{"OPTIONS", "/readyz"},
		{"GET", "//v1//search"},
		{"GET", "/v1/articles/../x"},
		{"GET", "/v1/articles/%00"},
		{"GET", "/v1/search?q=%zz"},
		{"GET", "/v1/search/./"},
		{"TRACE", "/v1/search?q=a;b"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, method, target string) {
		req, err := http.NewRequest(method, "http://api.test"+target, nil)
		if err != nil || !strings.HasPrefix(target, "/") {
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s: %d %s", method, target, rec.Code, rec.Body)
		}
		if rec.Code >= 300 && rec.Code < 400 {
			t.Fatalf("%s %s: redirect %d to %q", method, target, rec.Code, rec.Header().Get("Location"))
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Fatalf("%s %s: %d, content type %q", method, target, rec.Code, ct)
		}
		if method == http.MethodHead {
			return
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s %s: %d, body is not JSON: %q", method, target, rec.Code, rec.Body)
		}
		// An error repeats at most a few excerpts of the request.
		if rec.Code >= 400 && rec.Body.Len() > 1000 {
			t.Fatalf("%s %.100s: %d, error of %d bytes", method, target, rec.Code, rec.Body.Len())
		}
	})
}
