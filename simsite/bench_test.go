package simsite

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkNew measures building the metadata of 10,000 articles.
func BenchmarkNew(b *testing.B) {
	for b.Loop() {
		if _, err := New(Config{Seed: 1, Articles: 10000}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkArticlePage measures rendering article pages of every template.
func BenchmarkArticlePage(b *testing.B) {
	s, err := New(Config{Seed: 1, Articles: 300})
	if err != nil {
		b.Fatal(err)
	}
	type page struct {
		h    http.Handler
		path string
	}
	var pages []page
	for _, o := range s.Outlets() {
		if err := s.SetBaseURL(o.ID, "http://"+o.ID+".test"); err != nil {
			b.Fatal(err)
		}
		h, _ := s.Handler(o.ID)
		for _, a := range s.Articles() {
			if a.Outlet == o.ID {
				pages = append(pages, page{h, strings.TrimPrefix(a.URL, "http://"+o.ID+".test")})
			}
		}
	}
	i := 0
	for b.Loop() {
		p := pages[i%len(pages)]
		i++
		rec := httptest.NewRecorder()
		p.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, p.path, nil))
		if rec.Code != http.StatusOK {
			b.Fatalf("%s: %d", p.path, rec.Code)
		}
	}
}
