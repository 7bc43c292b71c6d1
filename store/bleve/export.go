package bleve

import (
	bv "github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/mapping"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/store"
)

// For benchmarks that compare the store with bare Bleve doing the same
// work on the same index.

// Mapping returns the index mapping (bleve.New with it creates an index
// that analyses as this one does).
func (x *Index) Mapping() mapping.IndexMapping { return x.idx.Mapping() }

// Document returns the bleve document the index writes for a as a new
// article (its only version).
func (x *Index) Document(a *article.Article) (map[string]interface{}, error) {
	c := &current{}
	c.Add(a)
	return x.document(c)
}

// BleveRequest returns the bleve request of a Search for q: the same query
// (text and filters), sort and page size, loading the stored article of
// each hit, without the store's work around it (cursor, page loading,
// highlights, decoding). Nil query text and filters give match-all.
func (x *Index) BleveRequest(q store.Query) (*bv.SearchRequest, error) {
	cq, _, order, err := x.compileSorted(q)
	if err != nil {
		return nil, err
	}
	req := bv.NewSearchRequestOptions(cq.full, q.Size, 0, false)
	req.SortByCustom(order)
	req.Fields = []string{fSource}
	return req, nil
}
