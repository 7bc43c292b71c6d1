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
	"github.com/newswatch/newswatch/store"
)

func search(base string, params url.Values) (*store.Result, error) {
	resp, err := http.Get(base + "/v1/search?" + params.Encode())
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("search %v: status %d", params, resp.StatusCode)
	}
	var res store.Result
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		return nil, err
	}
	return &res, nil
}

func startPipeline(t *testing.T, site *simsite.Site, dataDir string) *pipeline.Pipeline {
	t.Helper()
	p, err := pipeline.Start(context.Background(), pipeline.Config{
		DataDir:       dataDir,
		Listen:        "127.0.0.1:0",
		Outlets:       pipeline.DemoOutlets(site),
		CrawlInterval: time.Hour, // one pass per start
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
