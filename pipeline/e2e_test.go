package pipeline_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/bus/bustest"
	"github.com/newswatch/newswatch/pipeline"
	"github.com/newswatch/newswatch/simsite"
	"github.com/newswatch/newswatch/simsite/simcrawl"
	"github.com/newswatch/newswatch/store"
)

// getJSON GETs u and decodes its 200 answer into v.
func getJSON(u string, v any) error {
	resp, err := http.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", u, resp.StatusCode)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

func search(base string, params url.Values) (*store.Result, error) {
	var res store.Result
	if err := getJSON(base+"/v1/search?"+params.Encode(), &res); err != nil {
		return nil, err
	}
	return &res, nil
}

func startPipeline(t *testing.T, site *simsite.Site, dataDir string) *pipeline.Pipeline {
	t.Helper()
	return startPipelineEvery(t, site, dataDir, time.Hour) // one pass per start
}

func startPipelineEvery(t *testing.T, site *simsite.Site, dataDir string, interval time.Duration) *pipeline.Pipeline {
	t.Helper()
	p, err := pipeline.Start(context.Background(), pipeline.Config{
		DataDir:       dataDir,
		Listen:        "127.0.0.1:0",
		Outlets:       simcrawl.Outlets(site),
		CrawlInterval: interval,
		Open:          true,            // reads without a key, as the demo
		Rate:          1e6, Burst: 1e6, // the tests search back to back
	}, zaptest.NewLogger(t).Named("pipeline"))
	if err != nil {
		t.Fatalf("start pipeline: %v", err)
	}
	return p
}

// waitTotal polls the API until it reports exactly want articles and the
// indexer has nothing pending.
func waitTotal(t *testing.T, p *pipeline.Pipeline, want int64) {
	t.Helper()
	base := "http://" + p.APIAddr()
	bustest.CheckFor(t, 90*time.Second, 100*time.Millisecond, func() error {
		res, err := search(base, url.Values{"size": {"0"}})
		if err != nil {
			return err
		}
		if res.Total != want {
			return fmt.Errorf("total %d, want %d", res.Total, want)
		}
		n, err := p.Indexer().Pending(context.Background())
		if err != nil {
			return err
		}
		if n != 0 {
			return fmt.Errorf("%d messages pending", n)
		}
		return nil
	})
}

func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	const n = 300
	site, err := simsite.New(simsite.Config{Seed: 7, Articles: n, Outlets: 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := site.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { site.Close() })
	truth := site.Articles()
	if len(truth) != n {
		t.Fatalf("simsite has %d articles, want %d", len(truth), n)
	}
	dataDir := t.TempDir()

	p := startPipeline(t, site, dataDir)
	waitTotal(t, p, n)
	base := "http://" + p.APIAddr()

	// Every article is found by a phrase from its body, exactly once, with
	// its text intact (Cyrillic from the windows-1251 outlet included).
	seen := map[string]bool{}
	langs := map[string]int{}
	for _, a := range truth {
		phrase := strings.NewReplacer(`"`, " ", `\`, " ").Replace(a.Lead)
		res, err := search(base, url.Values{"q": {`"` + phrase + `"`}, "size": {"5"}})
		if err != nil {
			t.Fatal(err)
		}
		canon, _ := article.Canonicalize(a.URL)
		var found *article.Article
		for i := range res.Hits {
			if res.Hits[i].Article.CanonicalURL == canon {
				found = &res.Hits[i].Article
			}
		}
		if found == nil {
			t.Errorf("%s (%s): phrase %q did not find it (%d hits)", a.URL, a.Language, phrase, res.Total)
			continue
		}
		if seen[found.ID] {
			t.Errorf("%s found twice", a.URL)
		}
		seen[found.ID] = true
		langs[a.Language]++
		if found.Title != a.Title {
			t.Errorf("%s: title %q, want %q", a.URL, found.Title, a.Title)
		}
		if !strings.Contains(found.Body, a.Lead) {
			t.Errorf("%s: body lacks its lead %q", a.URL, a.Lead)
		}
	}
	if len(seen) != n {
		t.Errorf("found %d distinct articles, want %d", len(seen), n)
	}
	if langs["ru"] == 0 || langs["az"] == 0 || langs["en"] == 0 {
		t.Errorf("languages covered: %v", langs)
	}
	passes := p.Passes()
	if err := p.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}

	// Restart on the same data directory and crawl again: still exactly n.
	p = startPipeline(t, site, dataDir)
	defer p.Close()
	bustest.CheckFor(t, 60*time.Second, 100*time.Millisecond, func() error {
		got := p.Passes()
		for outlet := range passes {
			if got[outlet] < 1 {
				return fmt.Errorf("outlet %s: no pass finished since restart", outlet)
			}
		}
		return nil
	})
	waitTotal(t, p, n)
}

// getRecord fetches GET /v1/articles/{id}.
func getRecord(base, id string) (*store.Record, error) {
	var rec store.Record
	if err := getJSON(base+"/v1/articles/"+id, &rec); err != nil {
		return nil, err
	}
	return &rec, nil
}

// An outlet edits an article and then reverts the edit (A, B, A): through
// the real crawler, url_state bucket, JetStream, indexer, Bleve and API the
// article ends at version 3 with content A, its history holds versions 1..3
// (A, B, A), and a restart on the same data directory adds no version.
// waitRecord polls the API until article id is at version v with the
// given title, and returns its record.
func waitRecord(t *testing.T, base, id string, v int, title string) *store.Record {
	t.Helper()
	var rec *store.Record
	bustest.CheckFor(t, 60*time.Second, 50*time.Millisecond, func() error {
		var err error
		if rec, err = getRecord(base, id); err != nil {
			return err
		}
		if rec.Article.Version != v || rec.Article.Title != title {
			return fmt.Errorf("article at version %d %q, want %d %q", rec.Article.Version, rec.Article.Title, v, title)
		}
		return nil
	})
	return rec
}

func TestRevertIsNewVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	site, err := simsite.New(simsite.Config{Seed: 11, Articles: 3, Outlets: 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := site.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { site.Close() })
	dataDir := t.TempDir()
	p := startPipelineEvery(t, site, dataDir, 100*time.Millisecond)
	waitTotal(t, p, 3)
	base := "http://" + p.APIAddr()
	a := site.Articles()[0]
	id, err := article.ID(a.URL)
	if err != nil {
		t.Fatal(err)
	}
	waitVersion := func(v int, title string) *store.Record {
		t.Helper()
		return waitRecord(t, base, id, v, title)
	}
	v1 := waitVersion(1, a.Title)
	b, err := site.Edit(a.URL)
	if err != nil {
		t.Fatal(err)
	}
	v2 := waitVersion(2, b.Title)
	if _, err := site.Revert(a.URL); err != nil {
		t.Fatal(err)
	}
	rec := waitVersion(3, a.Title)
	hashA, hashB := v1.Article.ContentHash, v2.Article.ContentHash
	if hashA == hashB || rec.Article.ContentHash != hashA || rec.Article.Body != v1.Article.Body {
		t.Errorf("content hashes %s, %s, %s: want A, B, A", hashA, hashB, rec.Article.ContentHash)
	}
	checkHistory := func(rec *store.Record) {
		t.Helper()
		want := []string{hashA, hashB, hashA}
		if len(rec.Versions) != len(want) {
			t.Fatalf("history %+v, want versions 1..3", rec.Versions)
		}
		for i, v := range rec.Versions {
			if v.Version != i+1 || v.ContentHash != want[i] {
				t.Errorf("history[%d] = version %d %s, want %d %s", i, v.Version, v.ContentHash, i+1, want[i])
			}
		}
	}
	checkHistory(rec)
	if res, err := search(base, url.Values{"size": {"0"}}); err != nil || res.Total != 3 {
		t.Errorf("search total %v, %v; want 3 articles", res, err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}

	// A restart crawls the same content again: the crawler's numbering is
	// in the url_state bucket, so nothing new is published.
	p = startPipelineEvery(t, site, dataDir, time.Hour)
	defer p.Close()
	bustest.CheckFor(t, 60*time.Second, 50*time.Millisecond, func() error {
		for _, o := range site.Outlets() {
			if p.Passes()[o.ID] < 1 {
				return fmt.Errorf("outlet %s: no pass since restart", o.ID)
			}
		}
		return nil
	})
	waitTotal(t, p, 3)
	rec, err = getRecord("http://"+p.APIAddr(), id)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Article.Version != 3 {
		t.Errorf("after restart the article is at version %d, want 3", rec.Article.Version)
	}
	checkHistory(rec)
}
