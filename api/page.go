package api

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/web"
)

// The web page (package web) is served beside the API: GET / is the page,
// GET /assets/... its scripts, styles and vendored libraries. These are
// not API routes (not in routes nor in the OpenAPI document); an unknown
// asset is the API's JSON 404.
func (s *Server) servePage(w http.ResponseWriter, r *http.Request) {
	s.serveAsset(w, r, web.Index)
}

func (s *Server) asset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	if name == web.Index || strings.HasPrefix(name, "/") {
		writeError(w, http.StatusNotFound, CodeNotFound, fmt.Sprintf("no asset %s; the page is at /", store.Echo(name)))
		return
	}
	s.serveAsset(w, r, name)
}

func (s *Server) serveAsset(w http.ResponseWriter, r *http.Request, name string) {
	a, err := s.page.Get(name)
	if errors.Is(err, web.ErrNotFound) {
		writeError(w, http.StatusNotFound, CodeNotFound, fmt.Sprintf("no asset %s", store.Echo(name)))
		return
	}
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.ContentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", web.ContentSecurityPolicy)
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-cache") // revalidated by ETag: a new binary's page is seen at once
	h.Set("ETag", a.ETag)
	// ServeContent answers conditional requests (If-None-Match: 304) and
	// ranges; the embedded files have no modification time.
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.Body))
}
