package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/newswatch/newswatch/api/export"
	"github.com/newswatch/newswatch/api/keys"
	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/bleve"
	"github.com/newswatch/newswatch/store/elastic"
)

// TestExportSameFromBleveAndOpenSearch: the same articles in a Bleve index
// and in Elasticsearch/OpenSearch (NEWSWATCH_ES_URL, as the store's own
// engine tests) export the same rows in every format: the same IDs in the
// same order (newest first, ties by ID: the order exports define) with
// the same values, and CSV and Parquet files identical to the byte. The
// corpus has what orders and values trip on: articles sharing an instant,
// articles within one second at other milliseconds, an undated one (its
// fetch time counts), dates in 1900 and 2300, and CR, LF, quotes and
// commas in the text.
func TestExportSameFromBleveAndOpenSearch(t *testing.T) {
	esURL := os.Getenv("NEWSWATCH_ES_URL")
	if esURL == "" {
		t.Skip("NEWSWATCH_ES_URL is not set: no search engine to compare with (make test-elastic starts one; .ci/run always does)")
	}
	arts := corpus(t, 300, 5*time.Hour)
	same := time.Date(2025, 1, 15, 10, 30, 0, 0, time.UTC)
	for i := range 24 {
		d := same
		if i%2 == 1 { // the same second, other milliseconds
			d = same.Add(time.Duration(i*37) * time.Millisecond)
		}
		a := article.Article{URL: fmt.Sprintf("https://ties.example/%d", i), Outlet: "ties", Language: "en",
			Title: fmt.Sprintf("Baku tie %d", i), Body: "Neft and Baku at the same time.", PublishedAt: &d,
			DateSource: article.DateSourceJSONLD, FetchedAt: d.Add(time.Minute)}
		if err := a.Finalize(); err != nil {
			t.Fatal(err)
		}
		arts = append(arts, &a)
	}
	byID := map[string]*article.Article{}
	for _, a := range arts {
		byID[a.ID] = a
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var b [4]byte
	_, _ = rand.Read(b[:])
	cfg := elastic.Config{Addresses: elastic.ParseAddresses(esURL), Prefix: "nwtest-api-" + hex.EncodeToString(b[:]),
		Replicas: -1, Refresh: elastic.RefreshNow}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := elastic.Drop(ctx, cfg); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})
	es, err := elastic.Open(ctx, cfg, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { es.Close() })
	idx, err := bleve.Open(t.TempDir(), bleve.Options{}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	for _, st := range []store.Store{idx, es} {
		for i := 0; i < len(arts); i += 200 {
			if err := st.Put(ctx, arts[i:min(i+200, len(arts))]); err != nil {
				t.Fatal(err)
			}
		}
	}
	engine, version := es.Engine()
	t.Logf("comparing with %s %s", engine, version)
	set, tok := newKeys(t)
	envs := []*env{
		newEnvStore(t, Config{Keys: set, Version: "v-test", StoreName: "bleve"}, idx),
		newEnvStore(t, Config{Keys: set, Version: "v-test", StoreName: engine}, es),
	}
	for _, params := range []url.Values{
		{},
		{"q": {"Bakı OR Баку OR Baku"}},
		{"q": {"neft"}, "lang": {"az,ru"}, "from": {"2024-06-01"}, "tz": {"Asia/Baku"}},
		{"q": {"\"Baku tie\""}},
		{"outlet": {"odd,ties"}, "to": {"2025-06-30"}},
		{"q": {"nonexistentword"}},
	} {
		for _, format := range export.Formats {
			p := url.Values{"format": {format}}
			for k, v := range params {
				p[k] = v
			}
			where := p.Encode()
			bx := envs[0].fetchExport(t, tok[keys.ScopeExport], p)
			ex := envs[1].fetchExport(t, tok[keys.ScopeExport], p)
			if bx.rows != ex.rows || bx.total != ex.total {
				t.Errorf("%s: Bleve exports %d rows (total %d), %s %d (total %d)", where, bx.rows, bx.total, engine, ex.rows, ex.total)
			}
			fromBleve, instants := readExport(t, where, format, bx.body, byID)
			fromES, _ := readExport(t, where, format, ex.body, byID)
			if len(fromBleve) != int(bx.rows) || len(fromES) != int(ex.rows) {
				t.Fatalf("%s: %d and %d articles in the files, trailers say %d and %d", where, len(fromBleve), len(fromES), bx.rows, ex.rows)
			}
			for i := range min(len(fromBleve), len(fromES)) {
				if fromBleve[i].ID != fromES[i].ID {
					t.Fatalf("%s: row %d is %s (%s) from Bleve, %s (%s) from %s", where, i,
						fromBleve[i].ID, fromBleve[i].PublishedAt, fromES[i].ID, fromES[i].PublishedAt, engine)
				}
				checkSameArticle(t, fmt.Sprintf("%s row %d, %s against Bleve", where, i, engine), fromES[i], fromBleve[i], instants)
			}
			if format != export.FormatNDJSON && bx.sha != ex.sha {
				t.Errorf("%s: the files differ (SHA-256 %s from Bleve, %s from %s)", where, bx.sha, ex.sha, engine)
			}
			if params.Get("q") == "" && params.Get("outlet") == "" && bx.rows != int64(len(arts)) {
				t.Errorf("%s: %d rows of %d articles", where, bx.rows, len(arts))
			}
		}
	}
}
