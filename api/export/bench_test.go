package export_test

import (
	"encoding/json"
	"io"
	"testing"

	"github.com/newswatch/newswatch/api/export"
	"github.com/newswatch/newswatch/bench/suite"
)

// BenchmarkWriters: each export format writing realistic articles (the
// benchmark corpus), given as their JSON as a store scan delivers them.
func BenchmarkWriters(b *testing.B) {
	arts, err := suite.CorpusArticles(9, 2000, suite.Short)
	if err != nil {
		b.Fatal(err)
	}
	docs := make([][]byte, len(arts))
	var size int64
	for i := range arts {
		if docs[i], err = json.Marshal(&arts[i]); err != nil {
			b.Fatal(err)
		}
		size += int64(len(docs[i]))
	}
	for _, format := range export.Formats {
		b.Run(format, func(b *testing.B) {
			b.SetBytes(size / int64(len(docs)))
			b.ReportAllocs()
			w, err := export.New(format, io.Discard)
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; b.Loop(); i++ {
				if err := w.Write(docs[i%len(docs)]); err != nil {
					b.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
