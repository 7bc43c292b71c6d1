package extract

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden .json files from the extractor's output")

// goldenInput is the sidecar NAME.input.json of a golden page NAME.html.
type goldenInput struct {
	URL         string     `json:"url"`
	Outlet      string     `json:"outlet"`
	Location    string     `json:"location"`
	FetchedAt   time.Time  `json:"fetched_at"`
	ContentType string     `json:"content_type"`
	Overrides   *Overrides `json:"overrides"`
}

// TestGolden extracts every testdata/golden/*.html page and compares the
// Article JSON with NAME.json. Run with -update to rewrite the expected
// files (then review the diff).
func TestGolden(t *testing.T) {
	pages, err := filepath.Glob("testdata/golden/*.html")
	if err != nil || len(pages) == 0 {
		t.Fatalf("no golden pages: %v", err)
	}
	ex := New()
	for _, page := range pages {
		name := strings.TrimSuffix(filepath.Base(page), ".html")
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(page)
			if err != nil {
				t.Fatal(err)
			}
			var gi goldenInput
			b, err := os.ReadFile(strings.TrimSuffix(page, ".html") + ".input.json")
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &gi); err != nil {
				t.Fatal(err)
			}
			in := Input{URL: gi.URL, Body: body, FetchedAt: gi.FetchedAt, Outlet: gi.Outlet, Overrides: gi.Overrides}
			if gi.ContentType != "" {
				in.Header = http.Header{"Content-Type": {gi.ContentType}}
			}
			if gi.Location != "" {
				if in.Location, err = time.LoadLocation(gi.Location); err != nil {
					t.Fatal(err)
				}
			}
			a, err := ex.Extract(context.Background(), in)
			if err != nil {
				t.Fatalf("extract: %v", err)
			}
			if err := a.Validate(); err != nil {
				t.Fatalf("invalid article: %v", err)
			}
			got, err := json.MarshalIndent(a, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			want := strings.TrimSuffix(page, ".html") + ".json"
			if *update {
				if err := os.WriteFile(want, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			exp, err := os.ReadFile(want)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, exp) {
				t.Errorf("article differs from %s\n got: %s\nwant: %s", want, got, exp)
			}
		})
	}
}
