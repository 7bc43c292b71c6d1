package extract

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/newswatch/newswatch/simsite"
)

// TestSimsiteTemplates fetches every article of every simsite template
// ("caliber" JSON-LD en/az, "report" OpenGraph-only az, "vesti" ru
// windows-1251) over real HTTP on loopback, in the normal layout and after
// a redesign, and compares the extracted Article with simsite's ground
// truth.
func TestSimsiteTemplates(t *testing.T) {
	for _, redesign := range []bool{false, true} {
		site, err := simsite.New(simsite.Config{Seed: 7, Articles: 36, Outlets: 3})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range site.Outlets() {
			h, err := site.Handler(o.ID)
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(h)
			defer srv.Close()
			if err := site.SetBaseURL(o.ID, srv.URL); err != nil {
				t.Fatal(err)
			}
			if redesign {
				if err := site.SetFaults(o.ID, simsite.Faults{Redesign: true}); err != nil {
					t.Fatal(err)
				}
			}
		}
		zones := map[string]*time.Location{}
		for _, o := range site.Outlets() {
			loc, err := time.LoadLocation(o.TimeZone)
			if err != nil {
				t.Fatal(err)
			}
			zones[o.ID] = loc
		}
		ex := New()
		for _, want := range site.Articles() {
			name := want.Outlet + "/" + want.Language
			if redesign {
				name += "/redesign"
			}
			t.Run(name, func(t *testing.T) {
				resp, err := http.Get(want.URL)
				if err != nil {
					t.Fatal(err)
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 {
					t.Fatalf("get %s: %d %v", want.URL, resp.StatusCode, err)
				}
				got, err := ex.Extract(context.Background(), Input{
					URL: want.URL, Body: body, Header: resp.Header, Outlet: want.Outlet,
					Location: zones[want.Outlet], FetchedAt: want.PublishedAt.Add(time.Hour),
				})
				if err != nil {
					t.Fatalf("extract %s: %v", want.URL, err)
				}
				check := func(field string, g, w any) {
					t.Helper()
					if !equalish(g, w) {
						t.Errorf("%s %s:\n got %q\nwant %q", want.URL, field, g, w)
					}
				}
				check("title", got.Title, want.Title)
				check("body", got.Body, want.Body)
				check("lead", got.Lead, want.Lead)
				if !redesign { // without class names nothing marks the byline
					check("authors", got.Authors, want.Authors)
				}
				check("section", foldCase(got.Section), foldCase(want.Section))
				check("language", got.Language, want.Language)
				check("canonical", got.CanonicalURL, want.URL)
				check("tags", got.Tags, want.Tags)
				if !redesign {
					check("image", got.Image, want.Image)
				}
				if got.PublishedAt == nil || !got.PublishedAt.Equal(want.PublishedAt) {
					t.Errorf("%s published_at = %v, want %v", want.URL, got.PublishedAt, want.PublishedAt)
				} else if _, off := got.PublishedAt.Zone(); off != 4*3600 {
					t.Errorf("%s published_at %v not in +04:00", want.URL, got.PublishedAt)
				}
				if want.Views > 0 && (got.Views == nil || *got.Views != want.Views) {
					t.Errorf("%s views = %v, want %d", want.URL, got.Views, want.Views)
				}
			})
		}
	}
}

func equalish(g, w any) bool {
	switch gv := g.(type) {
	case string:
		return gv == w.(string)
	case []string:
		wv := w.([]string)
		if len(gv) == 0 && len(wv) == 0 {
			return true
		}
		return slices.Equal(gv, wv)
	}
	return false
}

// foldCase lowercases s for comparing a section label shown in capitals
// ("İQTİSADİYYAT") with its display name ("İqtisadiyyat").
func foldCase(s string) string {
	return strings.ReplaceAll(strings.ToLower(s), "\u0307", "")
}
