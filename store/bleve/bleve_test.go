package bleve

import (
	"context"
	"errors"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/storetest"
)

func open(t *testing.T, dir string) *Index {
	t.Helper()
	x, err := Open(dir, Options{}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, t.TempDir()) })
}

func art(t *testing.T, url, lang, title, body string) article.Article {
	t.Helper()
	pub := time.Date(2025, 2, 21, 18, 17, 0, 0, time.FixedZone("", 4*3600))
	a := article.Article{URL: url, Outlet: "report", Language: lang, Title: title, Body: body,
		PublishedAt: &pub, FetchedAt: time.Date(2025, 2, 21, 15, 0, 0, 0, time.UTC)}
	if err := a.Finalize(); err != nil {
		t.Fatal(err)
	}
	return a
}

func count(t *testing.T, x *Index, q string) int64 {
	t.Helper()
	r, err := x.Search(context.Background(), store.Query{Text: q})
	if err != nil {
		t.Fatalf("Search(%q): %v", q, err)
	}
	return r.Total
}

func TestReopenKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	x := open(t, dir)
	a := art(t, "https://report.az/ru/a", "ru", "Переговоры в Баку", "Стороны договорились.")
	b := a
	b.Body = "Стороны договорились о встрече."
	b.Version = 2
	b.FetchedAt = a.FetchedAt.Add(time.Hour)
	if err := b.Finalize(); err != nil {
		t.Fatal(err)
	}
	if err := x.Put(context.Background(), storetest.Ptrs([]article.Article{a, b})); err != nil {
		t.Fatal(err)
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	x = open(t, dir)
	defer x.Close()
	rec, err := x.Get(context.Background(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Article.Body != b.Body || len(rec.Versions) != 2 {
		t.Errorf("after reopen: %+v", rec)
	}
	if n := count(t, x, "встрече"); n != 1 {
		t.Errorf("search after reopen: %d", n)
	}
	// Still idempotent after reopen.
	if err := x.Put(context.Background(), storetest.Ptrs([]article.Article{a, b})); err != nil {
		t.Fatal(err)
	}
	if rec, _ := x.Get(context.Background(), a.ID); len(rec.Versions) != 2 {
		t.Errorf("versions after replay: %d", len(rec.Versions))
	}
}

func TestStemming(t *testing.T) {
	x := open(t, t.TempDir())
	defer x.Close()
	arts := []article.Article{
		art(t, "https://x.az/ru", "ru", "Переговоры о поставках нефти", "Министры обсудили цены на нефть и газ."),
		art(t, "https://x.az/en", "en", "Elections were held", "Voters elected a new parliament."),
		art(t, "https://x.az/az", "az", "Seçkilər keçirildi", "Ölkədə seçki keçirildi."),
	}
	if err := x.Put(context.Background(), storetest.Ptrs(arts)); err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string]int64{
		"переговорах": 1, "нефтью": 1, "министра": 1, "поставка": 1,
		"election": 1, "elect": 1, "voter": 1,
		`"переговорах о поставках"`: 0, // phrases are exact
		`"переговоры о поставках"`:  1,
		"Seçkilər": 1, "seçki": 1, "seçkidə": 1, "SEÇKİLƏRİN": 1, "ölkənin": 1, "keçirildi": 1, "Seçkilərdə": 1,
	} {
		if n := count(t, x, q); n != want {
			t.Errorf("%q: %d hits, want %d", q, n, want)
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	if err := (Options{HighlightStyle: "neon"}).Validate(); err == nil {
		t.Error("bad highlight style accepted")
	}
	if _, err := Open(t.TempDir(), Options{HighlightStyle: "neon"}, nil); err == nil {
		t.Error("Open accepted a bad style")
	}
}

func TestQueryFeatures(t *testing.T) {
	x := open(t, t.TempDir())
	defer x.Close()
	arts := storetest.Fixtures(t)
	arts[0].Tags = []string{"Şuşa", "Qarabağ dirçəlişi"}
	if err := arts[0].Finalize(); err != nil {
		t.Fatal(err)
	}
	if err := x.Put(context.Background(), arts); err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string]int64{
		"tag:şuşa":                  1,
		`tag:"QARABAĞ DİRÇƏLİŞİ"`:   1,
		"tag:Qarabağ":               0, // tags match whole
		"neft*":                     1, // az2: Neft, neftin (ru2 has Cyrillic нефть)
		"нефт*":                     1,
		"title:Bak*":                1,
		"*":                         int64(len(arts)),
		"— …":                       int64(len(arts)),
		"Baku —":                    3,
		"outlet:CALIBER":            2,
		"section:politics":          1,
		"lang:RU OR lang:az":        4,
		"author:smith":              1,
		"-lang:en -lang:ru":         2,
		`"Baku" OR ("нефть" Brent)`: 4,
	} {
		if n := count(t, x, q); n != want {
			t.Errorf("%q: %d hits, want %d", q, n, want)
		}
	}
	for _, q := range []string{"n*", "title:x*"} {
		if _, err := x.Search(context.Background(), store.Query{Text: q}); !errors.Is(err, store.ErrBadQuery) {
			t.Errorf("%q: %v, want ErrBadQuery", q, err)
		}
	}
}

func TestHighlightsOnlyMarkedFragments(t *testing.T) {
	for _, style := range []string{HighlightHTML, HighlightANSI, HighlightNone} {
		x, err := Open(t.TempDir(), Options{HighlightStyle: style}, zaptest.NewLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		if err := x.Put(context.Background(), storetest.Fixtures(t)); err != nil {
			t.Fatal(err)
		}
		r, err := x.Search(context.Background(), store.Query{Text: "Absheron", Size: 5})
		if err != nil || len(r.Hits) != 1 {
			t.Fatalf("%s: %v %+v", style, err, r)
		}
		hl := r.Hits[0].Highlights
		switch style {
		case HighlightNone:
			if hl != nil {
				t.Errorf("none: highlights %v", hl)
			}
		default:
			if len(hl) != 1 || len(hl["body"]) != 1 || !strings.Contains(hl["body"][0], "Absheron") {
				t.Errorf("%s: highlights %q, want one body fragment", style, hl)
			}
		}
		x.Close()
	}
}

func TestOutOfRangeDates(t *testing.T) {
	x := open(t, t.TempDir())
	defer x.Close()
	a := art(t, "https://x.az/old", "en", "Ancient news", "Found in the archive.")
	old := time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC)
	a.PublishedAt = &old
	b := art(t, "https://x.az/future", "en", "Future news", "From the archive of tomorrow.")
	future := time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)
	b.PublishedAt = &future
	if err := x.Put(context.Background(), storetest.Ptrs([]article.Article{a, b})); err != nil {
		t.Fatal(err)
	}
	rec, err := x.Get(context.Background(), a.ID)
	if err != nil || !rec.Article.PublishedAt.Equal(old) {
		t.Fatalf("%v %+v", err, rec)
	}
	if n := count(t, x, "archive"); n != 2 {
		t.Errorf("archive: %d", n)
	}
	for _, s := range []string{store.SortNewest, store.SortOldest} {
		r, err := x.Search(context.Background(), store.Query{Sort: s, Size: 10})
		if err != nil || len(r.Hits) != 2 {
			t.Errorf("sort %s: %v %+v", s, err, r)
		}
	}
}

func TestWithoutDiacritics(t *testing.T) {
	x := open(t, t.TempDir())
	defer x.Close()
	if err := x.Put(context.Background(), storetest.Fixtures(t)); err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string]int64{
		"Susada": 1, "Qarabag": 2, "olke": 1, "cixis": 1, "Eliyev": 1, "ILHAM Eliyev": 1,
		`"Susa seherinde"`: 0, // phrases stay exact
		"title:Susada":     0, // so do fields
	} {
		if n := count(t, x, q); n != want {
			t.Errorf("%q: %d hits, want %d", q, n, want)
		}
	}
	// The exact spelling ranks first, both ways.
	for q, first := range map[string]string{"Qarabag": "Qarabag wins the derby", "Qarabağ": "Prezident İlham Əliyev Şuşada çıxış etdi"} {
		r, err := x.Search(context.Background(), store.Query{Text: q, Size: 2})
		if err != nil || len(r.Hits) == 0 || r.Hits[0].Article.Title != first {
			t.Errorf("%q: %v %+v, want %q first", q, err, r, first)
		}
	}
}

func TestOpenTwiceFails(t *testing.T) {
	dir := t.TempDir()
	x := open(t, dir)
	defer x.Close()
	start := time.Now()
	if y, err := Open(dir, Options{}, nil); err == nil {
		y.Close()
		t.Fatal("second Open of a locked index succeeded")
	} else {
		if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "this process") {
			t.Errorf("second Open: %v, want ErrLocked naming this process", err)
		}
		t.Log(err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("second Open took %s", d)
	}
}

func TestOldMappingIsReported(t *testing.T) {
	dir := t.TempDir()
	x := open(t, dir)
	if err := x.idx.SetInternal([]byte(mappingVersionKey), []byte("0")); err != nil {
		t.Fatal(err)
	}
	x.Close()
	core, logs := observer.New(zap.WarnLevel)
	y, err := Open(dir, Options{}, zap.New(core))
	if err != nil {
		t.Fatal(err)
	}
	defer y.Close()
	if logs.FilterMessageSnippet("rebuild it").Len() != 1 {
		t.Errorf("no warning about the old mapping: %v", logs.All())
	}
	// A current index reopens without a warning.
	core, logs = observer.New(zap.WarnLevel)
	fresh := t.TempDir()
	for i := 0; i < 2; i++ {
		z, err := Open(fresh, Options{}, zap.New(core))
		if err != nil {
			t.Fatal(err)
		}
		z.Close()
	}
	if logs.Len() != 0 {
		t.Errorf("warnings on a current index: %v", logs.All())
	}
}
