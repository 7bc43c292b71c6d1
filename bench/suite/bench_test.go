package suite

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bv "github.com/blevesearch/bleve/v2"
	"go.uber.org/zap"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/bus"
	"github.com/newswatch/newswatch/indexer"
	sbleve "github.com/newswatch/newswatch/store/bleve"
)

// The Benchmark* functions below measure the same things as nwbench, per
// operation, for `go test -bench . ./bench/suite` and benchstat. Each pair
// (ours, peer) runs on the same data.

func corpusN(b *testing.B, seed int64, n int, long bool) []article.Article {
	b.Helper()
	arts, err := CorpusArticles(seed, n, long)
	if err != nil {
		b.Fatal(err)
	}
	return arts
}

// BenchmarkCrawlPipeline measures one crawl+extract+publish pass over a
// 300-article simulated site per iteration and reports pages/s; the bare
// colly peer is BenchmarkCrawlBareColly.
func BenchmarkCrawlPipeline(b *testing.B) {
	var pages, secs float64
	for b.Loop() {
		r, err := Crawl(context.Background(), CrawlConfig{Articles: 300})
		if err != nil {
			b.Fatal(err)
		}
		pages += float64(r.PipelinePages)
		secs += r.PipelineSeconds
	}
	b.ReportMetric(pages/secs, "pages/s")
}

// BenchmarkCrawlBareColly is the peer of BenchmarkCrawlPipeline: bare colly
// over the pages a pass fetched.
func BenchmarkCrawlBareColly(b *testing.B) {
	var pages, secs float64
	for b.Loop() {
		r, err := Crawl(context.Background(), CrawlConfig{Articles: 300})
		if err != nil {
			b.Fatal(err)
		}
		pages += float64(r.BarePages)
		secs += r.BareSeconds
	}
	b.ReportMetric(pages/secs, "pages/s")
}

// natsBench starts an embedded server with the streams for one benchmark.
func natsBench(b *testing.B) *bus.Conn {
	b.Helper()
	ctx := context.Background()
	emb, err := bus.StartEmbedded(ctx, bus.EmbeddedConfig{DataDir: b.TempDir()}, zap.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(emb.Shutdown)
	conn, err := emb.Connect(ctx, zap.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(conn.Close)
	if err := conn.EnsureStreams(ctx); err != nil {
		b.Fatal(err)
	}
	return conn
}

// BenchmarkPublishSync is one JetStream publish -> ack of an article (op =
// message).
func BenchmarkPublishSync(b *testing.B) {
	conn := natsBench(b)
	arts := corpusN(b, 3, b.N, Long)
	b.ResetTimer()
	if _, err := PublishSync(context.Background(), conn, arts); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkPublishAsync is JetStream PublishBatch of 1000 (op = message).
func BenchmarkPublishAsync(b *testing.B) {
	conn := natsBench(b)
	arts := corpusN(b, 3, b.N, Long)
	b.ResetTimer()
	if _, err := PublishAsync(context.Background(), conn, arts, 1000); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkCoreRequest is the peer of BenchmarkPublishSync (op = message).
func BenchmarkCoreRequest(b *testing.B) {
	conn := natsBench(b)
	arts := corpusN(b, 3, b.N, Long)
	b.ResetTimer()
	if _, err := CoreRequest(context.Background(), conn.NATS(), arts); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkCorePublish is the peer of BenchmarkPublishAsync (op = message).
func BenchmarkCorePublish(b *testing.B) {
	conn := natsBench(b)
	arts := corpusN(b, 3, b.N, Long)
	b.ResetTimer()
	if _, err := CorePublish(context.Background(), conn.NATS(), arts); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkIndexEndToEnd is NATS -> indexer -> store/bleve (op = article).
// Use -benchtime of a few thousand x: below the indexer's batch size the
// flush interval (1s) dominates.
func BenchmarkIndexEndToEnd(b *testing.B) {
	arts := corpusN(b, 4, b.N, Short)
	b.ResetTimer()
	if _, _, err := IndexEndToEnd(context.Background(), b.TempDir(), arts, zap.NewNop()); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkStorePut is store/bleve Put in batches of 500 (op = article).
func BenchmarkStorePut(b *testing.B) {
	arts := corpusN(b, 4, b.N, Short)
	st, err := sbleve.Open(b.TempDir(), sbleve.Options{}, zap.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	b.ResetTimer()
	if _, err := StorePut(context.Background(), st, arts, indexer.DefaultBatchSize); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkBareBleve is the peer of the two above: bare Bleve batches of
// 500 of the same documents with the store's mapping (op = article).
func BenchmarkBareBleve(b *testing.B) {
	arts := corpusN(b, 4, b.N, Short)
	twin, err := NewTwin()
	if err != nil {
		b.Fatal(err)
	}
	defer twin.Close()
	b.ResetTimer()
	if _, err := BareIndex(filepath.Join(b.TempDir(), "bare.bleve"), twin, arts, indexer.DefaultBatchSize); err != nil {
		b.Fatal(err)
	}
}

// searchIndex is a 20k-article store/bleve index shared by the search
// benchmarks of one `go test` run.
var searchIndex struct {
	once sync.Once
	dir  string
	mix  []SearchQuery
	err  error
}

const benchSearchArticles = 20000

func searchFixture(b *testing.B) (string, []SearchQuery) {
	b.Helper()
	searchIndex.once.Do(func() {
		dir, err := os.MkdirTemp("", "nwbench-gotest-search-")
		if err != nil {
			searchIndex.err = err
			return
		}
		searchIndex.dir = dir
		st, err := sbleve.Open(dir, sbleve.Options{}, zap.NewNop())
		if err != nil {
			searchIndex.err = err
			return
		}
		var sample []article.Article
		err = Corpus(5, benchSearchArticles, 1000, Short, func(batch []article.Article) error {
			if sample == nil {
				sample = batch[:50]
			}
			return st.Put(context.Background(), pointers(batch))
		})
		if cerr := st.Close(); err == nil {
			err = cerr
		}
		searchIndex.mix, searchIndex.err = QueryMix(sample), err
	})
	if searchIndex.err != nil {
		b.Fatal(searchIndex.err)
	}
	return searchIndex.dir, searchIndex.mix
}

// BenchmarkSearch runs each query of the mix through store/bleve Search
// (highlights on) over 20k articles; sub-benchmarks are named by query.
func BenchmarkSearch(b *testing.B) {
	dir, mix := searchFixture(b)
	st, err := sbleve.Open(dir, sbleve.Options{}, zap.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	for _, q := range mix {
		b.Run(benchName(q), func(b *testing.B) {
			for b.Loop() {
				if _, err := st.Search(context.Background(), q.Query); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSearchBare is the peer of BenchmarkSearch: bare Bleve running
// the request the store builds, on the same index.
func BenchmarkSearchBare(b *testing.B) {
	dir, mix := searchFixture(b)
	twin, err := NewTwin()
	if err != nil {
		b.Fatal(err)
	}
	defer twin.Close()
	idx, err := bv.Open(filepath.Join(dir, sbleve.IndexDirName))
	if err != nil {
		b.Fatal(err)
	}
	defer idx.Close()
	for _, q := range mix {
		req, err := twin.Request(q.Query)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(benchName(q), func(b *testing.B) {
			for b.Loop() {
				if _, err := idx.Search(req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func benchName(q SearchQuery) string {
	return q.Kind + "/" + q.Name
}

// BenchmarkDemo1000 builds the newswatch binary once and times `newswatch
// demo --articles 1000` from start until all 1000 are searchable.
func BenchmarkDemo1000(b *testing.B) {
	root, err := ModuleRoot()
	if err != nil {
		b.Fatal(err)
	}
	bin, err := BuildBinary(context.Background(), root, "./cmd/newswatch", b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	var secs float64
	for b.Loop() {
		r, err := Demo(context.Background(), DemoConfig{Binary: bin, Articles: 1000, Timeout: 5 * time.Minute})
		if err != nil {
			b.Fatal(err)
		}
		secs += r.AllSeconds
	}
	b.ReportMetric(secs/float64(b.N), "s-to-searchable")
}

// TestMain removes the shared search index of the benchmarks.
func TestMain(m *testing.M) {
	code := m.Run()
	if searchIndex.dir != "" {
		os.RemoveAll(searchIndex.dir)
	}
	os.Exit(code)
}
