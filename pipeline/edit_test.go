package pipeline_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/pipeline"
	"github.com/newswatch/newswatch/simsite"
	"github.com/newswatch/newswatch/simsite/simcrawl"
)

// Acceptance: a headline edited after publication shows as version 2 in
// the API, and version 1 (its headline, lead, body and content hash) stays
// retrievable in the article's versions. The outlets here have no
// sitemap, so nothing but the crawler's edit rechecks (10 min, 1 h, 6 h,
// 24 h after first seen in production; 2, 4, 8 and 16 s here) can see it.
func TestEditedHeadlineIsVersion2(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	site, err := simsite.New(simsite.Config{Seed: 61, Articles: 9, Unpublished: 3, LiveDates: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := site.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { site.Close() })
	oc := simcrawl.Outlets(site)
	for i := range oc.Outlets {
		o := &oc.Outlets[i]
		o.Sitemaps, o.RobotsSitemaps = nil, false
		o.Poll.MinInterval, o.Poll.MaxInterval = 200*time.Millisecond, time.Second
		o.Poll.Recheck = []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second}
	}
	p, err := pipeline.Start(context.Background(), pipeline.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0", Outlets: oc,
		CrawlerOptions: simcrawl.Options(site), Open: true, Rate: 1e6, Burst: 1e6}, zaptest.NewLogger(t).Named("pipeline"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	base := "http://" + p.APIAddr()
	waitTotal(t, p, 6)
	fresh := site.Publish(1)[0]
	id, err := article.ID(fresh.URL)
	if err != nil {
		t.Fatal(err)
	}
	v1 := waitRecord(t, base, id, 1, fresh.Title)
	edited, err := site.Edit(fresh.URL)
	if err != nil {
		t.Fatal(err)
	}
	if edited.Title == fresh.Title {
		t.Fatal("the edit kept the headline")
	}
	start := time.Now()
	rec := waitRecord(t, base, id, 2, edited.Title)
	took := time.Since(start)
	if len(rec.Versions) != 2 || rec.Versions[0].Version != 1 || rec.Versions[0].Title != fresh.Title ||
		rec.Versions[0].ContentHash != v1.Article.ContentHash || rec.Versions[1].Version != 2 || rec.Versions[1].Title != edited.Title {
		t.Fatalf("versions %+v: want 1 (%q) and 2 (%q)", rec.Versions, fresh.Title, edited.Title)
	}
	if v := rec.Versions[0]; !v.TextKept || v.Body != v1.Article.Body || v.Lead != v1.Article.Lead {
		t.Errorf("version 1's text not retrievable: kept %v, body %d bytes (want %d)", v.TextKept, len(v.Body), len(v1.Article.Body))
	}
	t.Logf("edited headline is version 2 in the API %v after the edit; version 1 %q kept in the history", took.Round(10*time.Millisecond), rec.Versions[0].Title)
}
