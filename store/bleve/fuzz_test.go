package bleve

import (
	"context"
	"errors"
	"testing"

	"go.uber.org/zap"

	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/storetest"
)

// FuzzSearch: any query text either runs or is a bad query; never another
// error, never a panic.
func FuzzSearch(f *testing.F) {
	x, err := Open(f.TempDir(), Options{}, zap.NewNop())
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { x.Close() })
	if err := x.Put(context.Background(), storetest.Fixtures(f)); err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{`Baku`, `"в Баку" OR -neft*`, `title:(a OR "b c") NOT tag:x`, `"и в на"`, `lang:""`,
		`ab* OR "*"`, `section:"  "`, `((((a))))`, `-(-a)`, `author:ı*`, `'`, `"'"`, `the`, `"the of"`} {
		f.Add(s, uint8(0))
	}
	f.Fuzz(func(t *testing.T, text string, sortIdx uint8) {
		sorts := []string{store.SortRelevance, store.SortNewest, store.SortOldest}
		q := store.Query{Text: text, Size: 3, Sort: sorts[int(sortIdx)%3]}
		r, err := x.Search(context.Background(), q)
		if err != nil {
			if !errors.Is(err, store.ErrBadQuery) {
				t.Fatalf("Search(%q): %v", text, err)
			}
			return
		}
		if r.NextCursor != "" {
			q.Cursor = r.NextCursor
			if _, err := x.Search(context.Background(), q); err != nil {
				t.Fatalf("Search(%q) page 2: %v", text, err)
			}
		}
	})
}
