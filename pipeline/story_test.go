package pipeline_test

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/pipeline"
	"github.com/newswatch/newswatch/simsite"
	"github.com/newswatch/newswatch/simsite/simcrawl"
)

// TestStoriesAcrossOutlets: simsite outlets reprint and lightly rewrite
// each other's articles; crawled by the pipeline, each copy shares the
// story of the article it copies, and GET /v1/stories/{id} names the
// original's outlet first and the copy's outlet with its lag in minutes.
func TestStoriesAcrossOutlets(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	site, err := simsite.New(simsite.Config{Seed: 29, Articles: 36, Outlets: 3, Copies: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	if err := site.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { site.Close() })
	p, err := pipeline.Start(context.Background(), pipeline.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0", Outlets: simcrawl.Outlets(site),
		CrawlerOptions: simcrawl.Options(site), CrawlInterval: time.Hour, Open: true, Rate: 1e6, Burst: 1e6}, zaptest.NewLogger(t).Named("pipeline"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	base := "http://" + p.APIAddr()
	waitTotal(t, p, 36)
	get := func(path string, v any) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || json.Unmarshal(b, v) != nil {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
		}
	}
	storyOf := func(u string) string {
		t.Helper()
		id, err := article.ID(u)
		if err != nil {
			t.Fatal(err)
		}
		var rec struct {
			Article article.Article `json:"article"`
		}
		get("/v1/articles/"+id, &rec)
		if !article.ValidID(rec.Article.StoryID) {
			t.Fatalf("%s: story_id %q", u, rec.Article.StoryID)
		}
		return rec.Article.StoryID
	}
	byURL := map[string]simsite.Article{}
	for _, a := range site.Articles() {
		byURL[a.URL] = a
	}
	copies := 0
	for _, a := range site.Articles() {
		if a.CopyOf == "" || byURL[a.CopyOf].CopyOf != "" {
			continue
		}
		orig := byURL[a.CopyOf]
		copies++
		sid := storyOf(a.URL)
		if o := storyOf(orig.URL); o != sid {
			t.Errorf("%s (%s of %s): story %s, the original's %s", a.URL, a.CopyKind, orig.URL, sid, o)
			continue
		}
		var one struct {
			Story struct {
				First   struct{ Outlet string } `json:"first"`
				Outlets []struct {
					Outlet     string  `json:"outlet"`
					LagMinutes float64 `json:"lag_minutes"`
				} `json:"outlets"`
			} `json:"story"`
		}
		get("/v1/stories/"+sid, &one)
		if one.Story.First.Outlet != orig.Outlet {
			t.Errorf("story of %s: first %s, want %s", orig.URL, one.Story.First.Outlet, orig.Outlet)
		}
		// The outlet's lag is that of its first article in the story.
		first := a.PublishedAt
		for _, b := range byURL {
			if b.Outlet == a.Outlet && b.CopyOf == orig.URL && b.PublishedAt.Before(first) {
				first = b.PublishedAt
			}
		}
		want := first.Sub(orig.PublishedAt).Minutes()
		found := false
		for _, o := range one.Story.Outlets {
			if o.Outlet == a.Outlet {
				found = true
				if math.Abs(o.LagMinutes-want) > 0.01 {
					t.Errorf("story of %s: %s lags %.1f min, want %.1f", orig.URL, a.Outlet, o.LagMinutes, want)
				}
			}
		}
		if !found {
			t.Errorf("story of %s does not list %s: %+v", orig.URL, a.Outlet, one.Story.Outlets)
		}
	}
	if copies < 5 {
		t.Fatalf("only %d copies of originals in the corpus", copies)
	}
	t.Logf("%d copies share their original's story; first outlet and lags as published", copies)
}
