package pipeline_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/pipeline"
	"github.com/newswatch/newswatch/simsite"
	"github.com/newswatch/newswatch/simsite/simcrawl"
	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/elastic"
)

// demoQueries are searches over the simulated outlets' text: inflected,
// upper-case and diacritic-free forms of Azerbaijani, Russian and English
// words, phrases, prefixes, fields and operators.
var demoQueries = []string{
	"", "Baku", "Bakı", "BAKI", "baki", `"bakı şəhər"`, "Azərbaycan", "azerbaycan", "Azərbaycanın",
	"ölkə", "ÖLKƏNİN", "olkenin", "büdcə", "budce", "layihəsini", "BƏYANATDA", "bəyanat", "ixracı", "Şəki", "seki", "QASIMOV", "qasımov", "sahibkar*",
	"Баку", "переговоры", "переговорах", "бюджет", "бюджета", "туризма", "карабаха", "Гянджа", "критика",
	"business", "businesses", "plans", "approved", "approve", "tourism", "economy",
	"outlet:caliber", "lang:ru", "title:Baku", "-Baku", "Baku OR Bakı", `enerji -"yaşıl enerji"`,
}

// TestDemoSameOnElastic: the demo's pipeline on the search engine gives the
// same totals, the same rows in the same order for every demo query, the
// same aggregations and the same scan (what exports stream) as on Bleve.
func TestDemoSameOnElastic(t *testing.T) {
	esURL := os.Getenv("NEWSWATCH_ES_URL")
	if esURL == "" {
		t.Skip("NEWSWATCH_ES_URL is not set: no search engine to test against (make test-elastic starts one; .ci/run always does)")
	}
	const n = 150
	site, err := simsite.New(simsite.Config{Seed: 3, Articles: n, Outlets: 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := site.Start(); err != nil {
		t.Fatal(err)
	}
	defer site.Close()

	var b [4]byte
	_, _ = rand.Read(b[:])
	ecfg := elastic.Config{Addresses: elastic.ParseAddresses(esURL), Prefix: "nwdemo-" + hex.EncodeToString(b[:]), Replicas: -1}
	start := func(storeName string) *pipeline.Pipeline {
		p, err := pipeline.Start(context.Background(), pipeline.Config{
			DataDir: t.TempDir(), Listen: "127.0.0.1:0", Outlets: simcrawl.Outlets(site), CrawlInterval: time.Hour,
			Store: storeName, Elastic: ecfg, Open: true, Rate: 1e6, Burst: 1e6,
		}, zaptest.NewLogger(t).Named(storeName))
		if err != nil {
			t.Fatalf("start pipeline on %s: %v", storeName, err)
		}
		return p
	}
	bl, es := start(pipeline.StoreBleve), start(pipeline.StoreElastic)
	defer bl.Close()
	defer es.Close()
	t.Cleanup(func() { dropElastic(t, ecfg) })
	waitTotal(t, bl, n)
	waitTotal(t, es, n) // searchable after the engine's 1 s refresh

	nonEmpty := 0
	for _, q := range demoQueries {
		wantTotal, wantRows := allRows(t, bl, q)
		gotTotal, gotRows := allRows(t, es, q)
		if gotTotal != wantTotal || strings.Join(gotRows, ",") != strings.Join(wantRows, ",") {
			t.Errorf("%q: engine total %d rows %d, Bleve total %d rows %d (or another order)", q, gotTotal, len(gotRows), wantTotal, len(wantRows))
		}
		if wantTotal > 0 {
			nonEmpty++
		}
	}
	if nonEmpty < len(demoQueries)-2 {
		t.Errorf("only %d of %d demo queries find anything", nonEmpty, len(demoQueries))
	}

	ctx := context.Background()
	baku, err := time.LoadLocation("Asia/Baku")
	if err != nil {
		t.Fatal(err)
	}
	aggs := store.Aggregations{
		Histogram: &store.Histogram{Interval: store.IntervalDay, Location: baku, Split: store.FacetOutlet},
		Top:       []string{store.FacetOutlet, store.FacetLang, store.FacetSection, store.FacetAuthor},
	}
	for _, q := range []string{"", "Bakı", "переговоры", "plans"} {
		want, err := bl.Store().Aggregate(ctx, store.Query{Text: q}, aggs)
		if err != nil {
			t.Fatal(err)
		}
		got, err := es.Store().Aggregate(ctx, store.Query{Text: q}, aggs)
		if err != nil {
			t.Fatal(err)
		}
		if g, w := jsonString(t, got), jsonString(t, want); g != w {
			t.Errorf("aggregations of %q differ:\nengine %s\nBleve  %s", q, g, w)
		}
		gotScan, wantScan := scanRows(t, es.Store(), q), scanRows(t, bl.Store(), q)
		if strings.Join(gotScan, "\n") != strings.Join(wantScan, "\n") || int64(len(wantScan)) != want.Total {
			t.Errorf("scan of %q: engine %d rows, Bleve %d rows (or other rows)%s", q, len(gotScan), len(wantScan), firstDiff(gotScan, wantScan))
		}
	}
}

// allRows pages through every hit of q, newest first, through the API.
func allRows(t *testing.T, p *pipeline.Pipeline, q string) (int64, []string) {
	t.Helper()
	base := "http://" + p.APIAddr()
	var rows []string
	cursor := ""
	for {
		res, err := search(base, url.Values{"q": {q}, "size": {"100"}, "sort": {"newest"}, "cursor": {cursor}})
		if err != nil {
			t.Fatalf("search %q: %v", q, err)
		}
		for _, h := range res.Hits {
			rows = append(rows, h.ID+" "+h.Article.ContentHash)
		}
		if res.NextCursor == "" {
			return res.Total, rows
		}
		cursor = res.NextCursor
	}
}

// scanRows are the articles a Scan streams, as full JSON but for the fetch
// time (the two pipelines crawled at different moments) and the story ID
// (each pipeline groups stories on its own bus, in the order it crawled:
// the first article of a story names it).
func scanRows(t *testing.T, s store.Store, q string) []string {
	t.Helper()
	var rows []string
	err := s.Scan(context.Background(), store.Query{Text: q}, func(a *article.Article) error {
		cp := *a
		cp.FetchedAt, cp.StoryID = time.Time{}, ""
		rows = append(rows, jsonString(t, cp))
		return nil
	})
	if err != nil {
		t.Fatalf("scan %q: %v", q, err)
	}
	return rows
}

func jsonString(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// dropElastic deletes the indices and template of the test's prefix.
func dropElastic(t *testing.T, cfg elastic.Config) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := elastic.Drop(ctx, cfg); err != nil {
		t.Logf("cleanup: %v", err)
	}
}

func firstDiff(got, want []string) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return fmt.Sprintf("; row %d:\nengine %s\nBleve  %s", i, got[i], want[i])
		}
	}
	return ""
}
