package bleve_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/bleve"
)

func Example() {
	dir, err := os.MkdirTemp("", "newswatch-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	idx, err := bleve.Open(dir, bleve.Options{}, nil)
	if err != nil {
		panic(err)
	}
	defer idx.Close()

	pub := time.Date(2025, 2, 21, 18, 17, 0, 0, time.FixedZone("", 4*3600))
	a := article.Article{
		URL: "https://report.az/ru/politika/peregovory/", Outlet: "report", Language: "ru",
		Title: "Переговоры в Баку завершились", Body: "Стороны договорились о новой встрече.",
		PublishedAt: &pub, FetchedAt: pub.Add(time.Minute),
	}
	if err := a.Finalize(); err != nil {
		panic(err)
	}
	if err := idx.Put(context.Background(), []*article.Article{&a}); err != nil {
		panic(err)
	}

	res, err := idx.Search(context.Background(), store.Query{Text: `переговорах OR "новой встрече"`, Langs: []string{"ru"}, Size: 10})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Total, res.Hits[0].Article.Title)
	fmt.Println(res.Hits[0].Highlights["body"][0])
	// Output:
	// 1 Переговоры в Баку завершились
	// Стороны договорились о <mark>новой</mark> <mark>встрече</mark>.
}
