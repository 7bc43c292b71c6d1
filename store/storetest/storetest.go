// Package storetest is the conformance suite every store.Store backend must
// pass: call Run from the backend's tests with a constructor that returns a
// fresh, empty store.
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { ... })
//	}
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/store"
)

// Run runs every conformance test. newStore must return a new empty store
// for each call; Run closes it (stores are closed once; a backend whose
// Close fails when called twice is fine).
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"PutGet", testPutGet},
		{"GetUnknown", testGetUnknown},
		{"IdempotentPut", testIdempotentPut},
		{"OlderNeverReplacesNewer", testOlderNeverReplacesNewer},
		{"Versions", testVersions},
		{"SearchWord", testSearchWord},
		{"SearchPhrase", testSearchPhrase},
		{"SearchBoolean", testSearchBoolean},
		{"SearchFields", testSearchFields},
		{"Filters", testFilters},
		{"Multilingual", testMultilingual},
		{"Highlights", testHighlights},
		{"HighlightsEveryForm", testHighlightsEveryForm},
		{"BrokenBytes", testBrokenBytes},
		{"SizeZero", testSizeZero},
		{"Pagination", testPagination},
		{"PagingWhileWriting", testPagingWhileWriting},
		{"BadQuery", testBadQuery},
		{"BatchError", testBatchError},
		{"Concurrent", testConcurrent},
		{"MatcherAgrees", testMatcherAgrees},
		{"Stories", testStories},
	}
	for _, tc := range append(append(tests, aggregationTests...), exportTests...) {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			defer s.Close()
			tc.fn(t, s)
		})
	}
	t.Run("Close", func(t *testing.T) {
		s := newStore(t)
		testClose(t, s)
	})
}

var baku = time.FixedZone("Baku", 4*3600)

func at(day, hour, minute int) *time.Time {
	t := time.Date(2025, time.February, day, hour, minute, 0, 0, baku)
	return &t
}

// mk builds a finalized article.
func mk(t testing.TB, url, outlet, lang, section, title, lead, body string, published *time.Time, authors ...string) article.Article {
	t.Helper()
	a := article.Article{
		URL: url, Outlet: outlet, Language: lang, Section: section,
		Title: title, Lead: lead, Body: body, Authors: authors,
		PublishedAt: published, DateSource: article.DateSourceJSONLD,
		FetchedAt: time.Date(2025, time.February, 23, 10, 0, 0, 0, time.UTC),
	}
	if published == nil {
		a.DateSource = ""
	}
	if err := a.Finalize(); err != nil {
		t.Fatalf("finalize %s: %v", url, err)
	}
	return a
}

// Fixture names.
const (
	az1 = "az1"
	az2 = "az2"
	ru1 = "ru1"
	ru2 = "ru2"
	en1 = "en1"
	en2 = "en2"
	en3 = "en3"
)

type fixture struct {
	arts  []article.Article
	byKey map[string]article.Article
	keyOf map[string]string // article ID -> key
}

func fixtures(t testing.TB) *fixture {
	f := &fixture{byKey: map[string]article.Article{}, keyOf: map[string]string{}}
	add := func(key string, a article.Article) {
		f.arts = append(f.arts, a)
		f.byKey[key] = a
		f.keyOf[a.ID] = key
	}
	add(az1, mk(t, "https://report.az/siyaset/prezident-susada/", "report", "az", "Siyasət",
		"Prezident İlham Əliyev Şuşada çıxış etdi",
		"Dövlət başçısı Qarabağ iqtisadi rayonunda səfərdədir.",
		"Azərbaycan Respublikasının Prezidenti İlham Əliyev bu gün Şuşa şəhərində çıxış edib.\n\nQarabağ bölgəsində bərpa işləri davam edir. IŞIQLANDIRMA sistemi tam yenilənib, yollar çəkilir.",
		at(21, 18, 17), "Ramin Məmmədov"))
	add(az2, mk(t, "https://oxu.az/iqtisadiyyat/neft-qiymetleri", "oxu", "az", "İqtisadiyyat",
		"Neft qiymətləri artdı", "",
		"Brent markalı neftin bir barelinin qiyməti 80 dollara çatıb.\n\nAzərbaycan'ın ixrac gəlirlərinin artması gözlənilir. Ölkə büdcəsi üçün yaxşı xəbərdir.",
		at(20, 10, 0)))
	add(ru1, mk(t, "https://report.az/ru/politika/peregovory-v-baku/", "report", "ru", "Политика",
		"Переговоры в Баку завершились", "",
		"Министр иностранных дел заявил, что переговоры в Баку прошли успешно.\n\nСтороны договорились о новой встрече в марте. Ссылка скопирована",
		at(21, 12, 0), "Анна Петрова"))
	add(ru2, mk(t, "https://media.az/economy/ceny-na-neft", "media", "ru", "Экономика",
		"Цены на нефть выросли", "",
		"Стоимость нефти марки Brent превысила 80 долларов за баррель.\n\nАналитики ожидают дальнейшего роста цен.",
		at(19, 9, 30)))
	add(en1, mk(t, "https://caliber.az/post/baku-energy-forum", "caliber", "en", "Politics",
		"Baku hosts regional energy forum", "",
		"The forum in Baku gathered energy ministers from the region.\n\nOil and gas exports were discussed at length.",
		at(22, 8, 0), "John Smith"))
	add(en2, mk(t, "https://caliber.az/post/qarabag-derby", "caliber", "en", "Sport",
		"Qarabag wins the derby", "",
		"Qarabag FK won the derby on Sunday.\n\nFans celebrated in the streets of Baku until late.",
		at(18, 20, 0)))
	add(en3, mk(t, "https://apa.az/en/weather-week", "apa", "en", "Society",
		"Weather forecast for the week", "",
		"Rain is expected in Baku on Monday, with strong wind in Absheron.",
		at(17, 7, 45)))
	return f
}

// Fixtures returns the hand-made articles the suite searches: Azerbaijani,
// Russian and English articles from several outlets, sections and authors,
// published between 17 and 22 February 2025 (Baku time). Other packages'
// tests (the API's) may use them.
func Fixtures(t testing.TB) []*article.Article {
	return Ptrs(fixtures(t).arts)
}

// Ptrs returns pointers to copies of arts, as store.Put takes them.
func Ptrs(arts []article.Article) []*article.Article {
	out := make([]*article.Article, len(arts))
	for i := range arts {
		a := arts[i]
		out[i] = &a
	}
	return out
}

func put(t *testing.T, s store.Store, arts ...article.Article) {
	t.Helper()
	if err := s.Put(context.Background(), Ptrs(arts)); err != nil {
		t.Fatalf("Put: %v", err)
	}
}

func search(t *testing.T, s store.Store, q store.Query) *store.Result {
	t.Helper()
	r, err := s.Search(context.Background(), q)
	if err != nil {
		t.Fatalf("Search(%+v): %v", q, err)
	}
	if r.Hits == nil {
		t.Fatalf("Search(%+v): Hits is nil, want an empty slice", q)
	}
	return r
}

// keys runs q with size MaxSize and returns the sorted fixture keys of the hits.
func (f *fixture) keys(t *testing.T, s store.Store, q store.Query) []string {
	t.Helper()
	q.Size = store.MaxSize
	r := search(t, s, q)
	out := make([]string, 0, len(r.Hits))
	for _, h := range r.Hits {
		k, ok := f.keyOf[h.ID]
		if !ok {
			t.Fatalf("Search(%q): unknown hit %s", q.Text, h.ID)
		}
		if h.Article.ID != h.ID {
			t.Fatalf("hit %s holds article %s", h.ID, h.Article.ID)
		}
		out = append(out, k)
	}
	if int64(len(out)) != r.Total {
		t.Fatalf("Search(%q): total %d, %d hits", q.Text, r.Total, len(out))
	}
	sort.Strings(out)
	return out
}

func wantKeys(t *testing.T, f *fixture, s store.Store, q store.Query, want ...string) {
	t.Helper()
	got := f.keys(t, s, q)
	sort.Strings(want)
	if want == nil {
		want = []string{}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("Search(text %q, outlets %v, langs %v, sections %v, authors %v) = %v, want %v",
			q.Text, q.Outlets, q.Langs, q.Sections, q.Authors, got, want)
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func sameArticle(t *testing.T, got, want article.Article) {
	t.Helper()
	g, w := jsonOf(t, got), jsonOf(t, want)
	if g != w {
		t.Errorf("article differs:\n got %s\nwant %s", g, w)
	}
}

func testPutGet(t *testing.T, s store.Store) {
	f := fixtures(t)
	noDate := mk(t, "https://apa.az/en/no-date", "apa", "en", "", "Undated note", "", "Some text.", nil)
	noDate.Tags = []string{"note", "misc"}
	views := int64(406)
	noDate.Views = &views
	put(t, s, append(f.arts, noDate)...)
	for _, a := range append(f.arts, noDate) {
		rec, err := s.Get(context.Background(), a.ID)
		if err != nil {
			t.Fatalf("Get(%s): %v", a.URL, err)
		}
		sameArticle(t, rec.Article, a)
		if len(rec.Versions) != 1 || rec.Versions[0].ContentHash != a.ContentHash || rec.Versions[0].Version != 1 ||
			!rec.Versions[0].FetchedAt.Equal(a.FetchedAt) || rec.Versions[0].Title != a.Title {
			t.Errorf("Get(%s) versions = %+v, want one version %s", a.URL, rec.Versions, a.ContentHash)
		}
	}
	if r := search(t, s, store.Query{}); r.Total != int64(len(f.arts)+1) {
		t.Errorf("match-all total = %d, want %d", r.Total, len(f.arts)+1)
	}
	// An empty batch is fine.
	if err := s.Put(context.Background(), nil); err != nil {
		t.Errorf("Put(nil) = %v", err)
	}
}

func testGetUnknown(t *testing.T, s store.Store) {
	f := fixtures(t)
	put(t, s, f.arts[0])
	unknown, err := article.ID("https://example.com/none")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{unknown, "", "not-an-id", "../../etc/passwd"} {
		_, err := s.Get(context.Background(), id)
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get(%q) = %v, want ErrNotFound", id, err)
		}
	}
}

func testIdempotentPut(t *testing.T, s store.Store) {
	f := fixtures(t)
	a := f.byKey[ru1]
	put(t, s, a)
	put(t, s, a)
	put(t, s, a, a) // twice in one batch
	again := a
	again.FetchedAt = a.FetchedAt.Add(time.Hour) // re-fetched, same content
	put(t, s, again)
	rec, err := s.Get(context.Background(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Versions) != 1 {
		t.Errorf("versions after idempotent puts = %+v, want 1", rec.Versions)
	}
	sameArticle(t, rec.Article, a)
	wantKeys(t, f, s, store.Query{Text: "переговоры"}, ru1)
	if r := search(t, s, store.Query{}); r.Total != 1 {
		t.Errorf("total = %d, want 1", r.Total)
	}
}

// edit returns the next version of a with a new body.
func edit(t *testing.T, a article.Article, title, body string, later time.Duration) article.Article {
	t.Helper()
	b := a
	b.Title, b.Body = title, body
	b.Version = a.Version + 1
	b.FetchedAt = a.FetchedAt.Add(later)
	if err := b.Finalize(); err != nil {
		t.Fatal(err)
	}
	if b.ContentHash == a.ContentHash {
		t.Fatal("edit kept the content hash")
	}
	return b
}

func testOlderNeverReplacesNewer(t *testing.T, s store.Store) {
	f := fixtures(t)
	for i, order := range []string{"separate", "one batch"} {
		base := f.arts[i]
		v2 := edit(t, base, base.Title+" (updated)", base.Body+"\n\nUpdate: zebrafish"+fmt.Sprint(i), time.Hour)
		if order == "separate" {
			put(t, s, v2)
			put(t, s, base)
		} else {
			put(t, s, v2, base)
		}
		rec, err := s.Get(context.Background(), base.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameArticle(t, rec.Article, v2)
		if len(rec.Versions) != 2 || rec.Versions[0].ContentHash != base.ContentHash || rec.Versions[1].ContentHash != v2.ContentHash {
			t.Errorf("%s: versions = %+v, want v1 then v2", order, rec.Versions)
		}
		wantKeys(t, f, s, store.Query{Text: "zebrafish" + fmt.Sprint(i)}, f.keyOf[base.ID])
	}
	// Same version number: the later fetch wins.
	a := f.arts[2]
	late := a
	late.Body = a.Body + "\n\nLate correction"
	late.FetchedAt = a.FetchedAt.Add(time.Minute)
	if err := late.Finalize(); err != nil {
		t.Fatal(err)
	}
	put(t, s, late)
	put(t, s, a)
	rec, err := s.Get(context.Background(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	sameArticle(t, rec.Article, late)
}

func testVersions(t *testing.T, s store.Store) {
	f := fixtures(t)
	v1 := f.byKey[az2]
	v2 := edit(t, v1, "Neft qiymətləri kəskin artdı", "Brent markalı neftin qiyməti 85 dollara çatıb. Xəbər yenilənir.", time.Hour)
	v3 := edit(t, v2, "Neft qiymətləri rekord vurdu", "Brent markalı neftin qiyməti 90 dollara çatıb. Flamingo.", 2*time.Hour)
	put(t, s, v1)
	put(t, s, v2)
	put(t, s, v3)
	put(t, s, v2) // replay of an old version
	relabeled := v2
	relabeled.Version = 1 // same content as v2 under an older number
	put(t, s, relabeled)
	rec, err := s.Get(context.Background(), v1.ID)
	if err != nil {
		t.Fatal(err)
	}
	sameArticle(t, rec.Article, v3)
	if len(rec.Versions) != 3 {
		t.Fatalf("versions = %+v, want 3", rec.Versions)
	}
	for i, v := range []article.Article{v1, v2, v3} {
		got := rec.Versions[i]
		if got.Version != v.Version || got.ContentHash != v.ContentHash || got.Title != v.Title || !got.FetchedAt.Equal(v.FetchedAt) {
			t.Errorf("versions[%d] = %+v, want version %d %s %q", i, got, v.Version, v.ContentHash, v.Title)
		}
		// Every version carries its text, so versions can be compared.
		if !got.TextKept || got.Lead != v.Lead || got.Body != v.Body {
			t.Errorf("versions[%d] text = kept %v, lead %s, body %s; want lead %s, body %s", i, got.TextKept, store.Echo(got.Lead), store.Echo(got.Body), store.Echo(v.Lead), store.Echo(v.Body))
		}
	}
	// Only the newest text is searchable.
	wantKeys(t, f, s, store.Query{Text: "flamingo"}, az2)
	wantKeys(t, f, s, store.Query{Text: "gözlənilir"})
	wantKeys(t, f, s, store.Query{Text: "kəskin"})
	if r := search(t, s, store.Query{}); r.Total != 1 {
		t.Errorf("total = %d, want 1", r.Total)
	}

	// An edit reverted: v4 has the content of v1 and is a new version.
	v4 := v3
	v4.Title, v4.Body, v4.Version, v4.FetchedAt = v1.Title, v1.Body, 4, v3.FetchedAt.Add(time.Hour)
	if err := v4.Finalize(); err != nil {
		t.Fatal(err)
	}
	if v4.ContentHash != v1.ContentHash {
		t.Fatal("reverted content has another hash")
	}
	put(t, s, v4)
	put(t, s, v3) // v3 replayed after the revert changes nothing
	rec, err = s.Get(context.Background(), v1.ID)
	if err != nil {
		t.Fatal(err)
	}
	sameArticle(t, rec.Article, v4)
	if len(rec.Versions) != 4 || rec.Versions[3].Version != 4 || rec.Versions[3].ContentHash != v1.ContentHash {
		t.Errorf("versions after revert = %+v", rec.Versions)
	}
	for i, v := range []article.Article{v1, v2, v3, v4} {
		if i < len(rec.Versions) && (rec.Versions[i].Body != v.Body || rec.Versions[i].Lead != v.Lead) {
			t.Errorf("after revert, versions[%d] body %s, want %s", i, store.Echo(rec.Versions[i].Body), store.Echo(v.Body))
		}
	}
	wantKeys(t, f, s, store.Query{Text: "gözlənilir"}, az2)
	wantKeys(t, f, s, store.Query{Text: "flamingo"})
}

func testSearchWord(t *testing.T, s store.Store) {
	f := fixtures(t)
	put(t, s, f.arts...)
	wantKeys(t, f, s, store.Query{Text: "Baku"}, en1, en2, en3)
	wantKeys(t, f, s, store.Query{Text: "baku"}, en1, en2, en3)
	wantKeys(t, f, s, store.Query{Text: "forum"}, en1)
	wantKeys(t, f, s, store.Query{Text: "Brent"}, az2, ru2)
	wantKeys(t, f, s, store.Query{Text: "Absheron"}, en3)
	wantKeys(t, f, s, store.Query{Text: "nonexistentword"})
	wantKeys(t, f, s, store.Query{Text: ""}, az1, az2, ru1, ru2, en1, en2, en3)
	wantKeys(t, f, s, store.Query{Text: "   "}, az1, az2, ru1, ru2, en1, en2, en3)
}

func testSearchPhrase(t *testing.T, s store.Store) {
	f := fixtures(t)
	put(t, s, f.arts...)
	wantKeys(t, f, s, store.Query{Text: `"energy forum"`}, en1)
	wantKeys(t, f, s, store.Query{Text: `"forum energy"`})
	wantKeys(t, f, s, store.Query{Text: `"новой встрече"`}, ru1)
	wantKeys(t, f, s, store.Query{Text: `"встрече новой"`})
	wantKeys(t, f, s, store.Query{Text: `"Brent markalı neftin"`}, az2)
	wantKeys(t, f, s, store.Query{Text: `"Şuşa şəhərində"`}, az1)
	wantKeys(t, f, s, store.Query{Text: `"ŞUŞA ŞƏHƏRİNDƏ"`}, az1)
	wantKeys(t, f, s, store.Query{Text: `"in Baku"`}, en1, en3)
}

func testSearchBoolean(t *testing.T, s store.Store) {
	f := fixtures(t)
	put(t, s, f.arts...)
	wantKeys(t, f, s, store.Query{Text: "Baku forum"}, en1)
	wantKeys(t, f, s, store.Query{Text: "Baku AND forum"}, en1)
	wantKeys(t, f, s, store.Query{Text: "forum OR derby"}, en1, en2)
	wantKeys(t, f, s, store.Query{Text: "Baku NOT forum"}, en2, en3)
	wantKeys(t, f, s, store.Query{Text: "Baku -forum"}, en2, en3)
	wantKeys(t, f, s, store.Query{Text: "-Baku"}, az1, az2, ru1, ru2)
	wantKeys(t, f, s, store.Query{Text: "NOT Baku NOT Brent"}, az1, ru1)
	wantKeys(t, f, s, store.Query{Text: "(forum OR derby) AND Sunday"}, en2)
	wantKeys(t, f, s, store.Query{Text: "Brent (dollara OR долларов)"}, az2, ru2)
	wantKeys(t, f, s, store.Query{Text: `Baku -"energy forum" -derby`}, en3)
	wantKeys(t, f, s, store.Query{Text: "Qarabag OR Qarabağ"}, az1, en2)
}

func testSearchFields(t *testing.T, s store.Store) {
	f := fixtures(t)
	put(t, s, f.arts...)
	wantKeys(t, f, s, store.Query{Text: "title:Baku"}, en1)
	wantKeys(t, f, s, store.Query{Text: "body:forum"}, en1)
	wantKeys(t, f, s, store.Query{Text: "title:Qarabağ"}) // fields and phrases are exact (but case-insensitive)
	wantKeys(t, f, s, store.Query{Text: "title:ŞUŞADA"}, az1)
	wantKeys(t, f, s, store.Query{Text: "body:Qarabağ"}, az1) // lead counts as body
	wantKeys(t, f, s, store.Query{Text: "outlet:caliber"}, en1, en2)
	wantKeys(t, f, s, store.Query{Text: "lang:ru"}, ru1, ru2)
	wantKeys(t, f, s, store.Query{Text: "lang:ru Brent"}, ru2)
	wantKeys(t, f, s, store.Query{Text: "section:Politics"}, en1)
	wantKeys(t, f, s, store.Query{Text: `author:Məmmədov`}, az1)
	wantKeys(t, f, s, store.Query{Text: `author:"Анна Петрова"`}, ru1)
	wantKeys(t, f, s, store.Query{Text: "Baku -outlet:caliber"}, en3)
	wantKeys(t, f, s, store.Query{Text: "title:(derby OR forum)"}, en1, en2)
}

func testFilters(t *testing.T, s store.Store) {
	f := fixtures(t)
	put(t, s, f.arts...)
	wantKeys(t, f, s, store.Query{Outlets: []string{"caliber"}}, en1, en2)
	wantKeys(t, f, s, store.Query{Outlets: []string{"report", "media"}}, az1, ru1, ru2)
	wantKeys(t, f, s, store.Query{Outlets: []string{"nosuch"}})
	wantKeys(t, f, s, store.Query{Langs: []string{"ru"}}, ru1, ru2)
	wantKeys(t, f, s, store.Query{Langs: []string{"az", "en"}, Outlets: []string{"report", "apa"}}, az1, en3)
	wantKeys(t, f, s, store.Query{Sections: []string{"Politics"}}, en1)
	wantKeys(t, f, s, store.Query{Sections: []string{"Siyasət", "Политика"}}, az1, ru1)
	wantKeys(t, f, s, store.Query{Authors: []string{"Анна Петрова"}}, ru1)
	wantKeys(t, f, s, store.Query{Authors: []string{"Ramin Məmmədov", "John Smith"}}, az1, en1)
	wantKeys(t, f, s, store.Query{Text: "Brent", Langs: []string{"az"}}, az2)
	wantKeys(t, f, s, store.Query{From: at(21, 0, 0), To: at(22, 0, 0)}, az1, ru1)
	wantKeys(t, f, s, store.Query{From: at(21, 12, 0)}, az1, ru1, en1) // from is inclusive
	wantKeys(t, f, s, store.Query{To: at(19, 9, 30)}, en2, en3)        // to is exclusive
	wantKeys(t, f, s, store.Query{From: at(18, 0, 0), To: at(21, 0, 0), Langs: []string{"ru"}}, ru2)
	// Far bounds are valid: no bound, or nothing.
	year1, year9999 := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	wantKeys(t, f, s, store.Query{From: &year1, To: &year9999}, az1, az2, ru1, ru2, en1, en2, en3)
	wantKeys(t, f, s, store.Query{To: &year9999, Langs: []string{"ru"}}, ru1, ru2)
	wantKeys(t, f, s, store.Query{From: &year1, Langs: []string{"ru"}}, ru1, ru2)
	wantKeys(t, f, s, store.Query{From: &year9999})
	wantKeys(t, f, s, store.Query{To: &year1})
	utc := at(21, 12, 0).UTC() // the same instant written in UTC
	wantKeys(t, f, s, store.Query{From: &utc, Outlets: []string{"report"}}, az1, ru1)
}

func testMultilingual(t *testing.T, s store.Store) {
	f := fixtures(t)
	put(t, s, f.arts...)
	for _, tc := range []struct {
		q    string
		want []string
	}{
		// Azerbaijani letters, any case.
		{"Şuşada", []string{az1}},
		{"şuşada", []string{az1}},
		{"ŞUŞADA", []string{az1}},
		{"Əliyev", []string{az1}},
		{"əliyev", []string{az1}},
		{"İlham", []string{az1}},
		{"ilham", []string{az1}},
		{"ILHAM", []string{az1}},
		{"çıxış", []string{az1}},
		{"ÇIXIŞ", []string{az1}},
		{"işıqlandırma", []string{az1}}, // indexed as "IŞIQLANDIRMA"
		{"bölgəsində", []string{az1}},
		{"gəlirlərinin", []string{az2}},
		{"Azərbaycan", []string{az1, az2}}, // az2 has "Azərbaycan'ın"
		{"ölkə", []string{az2}},
		{"ÖLKƏ", []string{az2}},
		// Russian, any case.
		{"переговоры", []string{ru1}},
		{"Переговоры", []string{ru1}},
		{"ПЕРЕГОВОРЫ", []string{ru1}},
		{"баку", []string{ru1}},
		{"нефть", []string{ru2}},
		{"Стоимость", []string{ru2}},
		{"министр", []string{ru1}},
	} {
		wantKeys(t, f, s, store.Query{Text: tc.q}, tc.want...)
	}
	// The text comes back exactly as stored.
	r := search(t, s, store.Query{Text: "переговоры", Size: 10})
	if len(r.Hits) != 1 {
		t.Fatalf("hits = %d", len(r.Hits))
	}
	sameArticle(t, r.Hits[0].Article, f.byKey[ru1])
	if r.Hits[0].Article.Title != "Переговоры в Баку завершились" {
		t.Errorf("title = %q", r.Hits[0].Article.Title)
	}
	r = search(t, s, store.Query{Text: "Şuşada", Size: 10})
	if len(r.Hits) != 1 || r.Hits[0].Article.Title != "Prezident İlham Əliyev Şuşada çıxış etdi" {
		t.Errorf("hits = %+v", r.Hits)
	}
}

func testHighlights(t *testing.T, s store.Store) {
	f := fixtures(t)
	put(t, s, f.arts...)
	r := search(t, s, store.Query{Text: "Şuşa", Size: 10})
	if len(r.Hits) != 1 {
		t.Fatalf("hits = %d", len(r.Hits))
	}
	found := false
	for _, frags := range r.Hits[0].Highlights {
		for _, fr := range frags {
			if strings.Contains(fr, "Şuşa") {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("no highlight with Şuşa: %v", r.Hits[0].Highlights)
	}
	r = search(t, s, store.Query{Text: "переговоры", Size: 10})
	if len(r.Hits) != 1 || len(r.Hits[0].Highlights) == 0 {
		t.Errorf("no highlights for переговоры: %+v", r.Hits)
	}
}

// testHighlightsEveryForm: a word is marked in every form the query found
// it in - through a stem candidate, without diacritics, by a prefix, in a
// phrase - and a lead that the body repeats is marked once, in the lead.
func testHighlightsEveryForm(t *testing.T, s store.Store) {
	day := time.Date(2025, time.February, 21, 9, 0, 0, 0, time.UTC)
	arts := []article.Article{
		mk(t, "https://report.az/hl/1", "report", "az", "", "Gəncədə yeni zavod", "",
			"Qarabağda bərpa işləri davam edir.\n\nYeni enerji layihəsi Azərbaycanın şimalında.", &day),
		mk(t, "https://media.az/hl/2", "media", "ru", "", "Новости Карабаха", "",
			"В Азербайджане открылся завод.", &day),
		mk(t, "https://caliber.az/hl/3", "caliber", "en", "", "Energy projects", "",
			"Several projects were announced.", &day),
		mk(t, "https://apa.az/hl/4", "apa", "az", "", "Zavod", "Gəncədə yeni zavod açılıb.",
			"Gəncədə yeni zavod açılıb.\n\nGəncə sakinləri sevinir.", &day),
	}
	put(t, s, arts...)
	for _, tc := range []struct {
		q     string
		marks []string // each in some hit's fragments
	}{
		{"Gəncə", []string{"<mark>Gəncədə</mark>", "<mark>Gəncə</mark> sakinləri"}},
		{"Qarabag", []string{"<mark>Qarabağda</mark>"}},
		{"Карабах", []string{"<mark>Карабаха</mark>"}},
		{"Азербайджан", []string{"<mark>Азербайджане</mark>"}},
		{"project", []string{"<mark>projects</mark>"}},
		{`"yeni enerji"`, []string{"<mark>Yeni</mark> <mark>enerji</mark>"}},
		{"enerj*", []string{"<mark>enerji</mark>"}},
		{"Azərbaycan", []string{"<mark>Azərbaycanın</mark>"}},
	} {
		r := search(t, s, store.Query{Text: tc.q, Size: 10})
		if len(r.Hits) == 0 {
			t.Errorf("%q: no hits", tc.q)
			continue
		}
		var all []string
		for _, h := range r.Hits {
			if len(h.Highlights) == 0 {
				t.Errorf("%q: hit %s has no highlights", tc.q, h.Article.URL)
			}
			for _, frags := range h.Highlights {
				all = append(all, frags...)
			}
		}
		for _, m := range tc.marks {
			if !slices.ContainsFunc(all, func(fr string) bool { return strings.Contains(fr, m) }) {
				t.Errorf("%q: no fragment has %s: %q", tc.q, m, all)
			}
		}
	}
	r := search(t, s, store.Query{Text: "Gəncə", Outlets: []string{"apa"}, Size: 10})
	if len(r.Hits) != 1 {
		t.Fatalf("Gəncə at apa: %d hits", len(r.Hits))
	}
	hl := r.Hits[0].Highlights
	if len(hl["lead"]) != 1 || !strings.Contains(hl["lead"][0], "<mark>Gəncədə</mark>") {
		t.Errorf("lead highlights %q", hl["lead"])
	}
	if len(hl["body"]) != 1 || hl["body"][0] != "<mark>Gəncə</mark> sakinləri sevinir." {
		t.Errorf("body highlights %q, want the paragraph after the repeated lead only", hl["body"])
	}
}

// testBrokenBytes: text with bytes that are not UTF-8 (a publisher's
// broken encoding, a hostile client) is stored, and the words after a
// broken byte are found like any other.
func testBrokenBytes(t *testing.T, s store.Store) {
	day := time.Date(2025, time.February, 21, 9, 0, 0, 0, time.UTC)
	a := mk(t, "https://media.az/broken", "media", "ru", "", "Сводка\xd0 дня", "",
		"\xd0\xbf\xd1 Начало текста. \xff Переговоры в Баку продолжились.\xfe\n\nЗавод открылся.", &day)
	put(t, s, a)
	for _, q := range []string{"дня", "Переговоры", "Баку", "завод"} {
		r := search(t, s, store.Query{Text: q, Size: 5})
		if r.Total != 1 {
			t.Errorf("%q: %d hits, want the article", q, r.Total)
		}
	}
}

func testSizeZero(t *testing.T, s store.Store) {
	f := fixtures(t)
	put(t, s, f.arts...)
	for _, q := range []store.Query{{}, {Text: "Baku"}, {Langs: []string{"ru"}}, {Sort: store.SortNewest}} {
		r := search(t, s, q)
		if len(r.Hits) != 0 || r.NextCursor != "" {
			t.Errorf("size 0 %+v: %d hits, cursor %q", q, len(r.Hits), r.NextCursor)
		}
		q.Size = store.MaxSize
		if all := search(t, s, q); all.Total != r.Total || r.Total == 0 {
			t.Errorf("size 0 %+v: total %d, full search total %d", q, r.Total, all.Total)
		}
	}
}

// pageArticles makes n articles with many equal publication times, so that
// paging must break ties consistently.
func pageArticles(t *testing.T, n int) []article.Article {
	words := []string{"alpha", "beta", "gamma"}
	var out []article.Article
	for i := 0; i < n; i++ {
		body := strings.Repeat("neft ", 1+i%4) + words[i%3] + fmt.Sprintf(" item%d", i)
		out = append(out, mk(t, fmt.Sprintf("https://page.example/a/%03d", i), []string{"p1", "p2"}[i%2], "az", "",
			fmt.Sprintf("Paging %d", i), "", body, at(10+i%3, 12, 0)))
	}
	return out
}

func testPagination(t *testing.T, s store.Store) {
	arts := pageArticles(t, 23)
	put(t, s, arts...)
	for _, text := range []string{"", "neft", "neft OR alpha", "beta OR gamma"} {
		for _, sortBy := range []string{"", store.SortRelevance, store.SortNewest, store.SortOldest} {
			full := search(t, s, store.Query{Text: text, Sort: sortBy, Size: store.MaxSize})
			if full.NextCursor != "" {
				t.Errorf("%q/%q: single page has a next cursor", text, sortBy)
			}
			var want []string
			for i, h := range full.Hits {
				want = append(want, h.ID)
				if i > 0 && sortBy == store.SortNewest && h.Article.PublishedAt.After(*full.Hits[i-1].Article.PublishedAt) {
					t.Errorf("%q newest: hit %d is newer than hit %d", text, i, i-1)
				}
				if i > 0 && sortBy == store.SortOldest && h.Article.PublishedAt.Before(*full.Hits[i-1].Article.PublishedAt) {
					t.Errorf("%q oldest: hit %d is older than hit %d", text, i, i-1)
				}
				if i > 0 && (sortBy == "" || sortBy == store.SortRelevance) && h.Score > full.Hits[i-1].Score {
					t.Errorf("%q relevance: hit %d scores higher than hit %d", text, i, i-1)
				}
			}
			for _, size := range []int{1, 2, 5, 7} {
				var got []string
				seen := map[string]bool{}
				cursor := ""
				for page := 0; ; page++ {
					if page > len(arts)+2 {
						t.Fatalf("%q/%q/size %d: paging does not end", text, sortBy, size)
					}
					r := search(t, s, store.Query{Text: text, Sort: sortBy, Size: size, Cursor: cursor})
					if r.Total != full.Total {
						t.Errorf("%q/%q/size %d page %d: total %d, want %d", text, sortBy, size, page, r.Total, full.Total)
					}
					if len(r.Hits) > size {
						t.Fatalf("page of %d hits, size %d", len(r.Hits), size)
					}
					for _, h := range r.Hits {
						if seen[h.ID] {
							t.Errorf("%q/%q/size %d: %s seen twice", text, sortBy, size, h.ID)
						}
						seen[h.ID] = true
						got = append(got, h.ID)
					}
					if r.NextCursor == "" {
						break
					}
					if len(r.Hits) == 0 {
						t.Fatalf("%q/%q/size %d: empty page with a next cursor", text, sortBy, size)
					}
					cursor = r.NextCursor
				}
				if strings.Join(got, ",") != strings.Join(want, ",") {
					t.Errorf("%q/%q/size %d: pages give\n%v\nwant\n%v", text, sortBy, size, got, want)
				}
			}
		}
	}
}

// testPagingWhileWriting: articles stored between pages of a date-sorted
// search neither repeat nor hide the articles already there.
func testPagingWhileWriting(t *testing.T, s store.Store) {
	arts := pageArticles(t, 12)
	put(t, s, arts...)
	for i, sortBy := range []string{store.SortNewest, store.SortOldest} {
		newer := mk(t, fmt.Sprintf("https://page.example/newer%d", i), "p1", "az", "", "Newer", "", "neft newer", at(28, i, 0))
		older := mk(t, fmt.Sprintf("https://page.example/older%d", i), "p1", "az", "", "Older", "", "neft older", at(1, i, 0))
		seen := map[string]int{}
		cursor := ""
		for page := 0; page < 20; page++ {
			r := search(t, s, store.Query{Text: "neft", Sort: sortBy, Size: 5, Cursor: cursor})
			for _, h := range r.Hits {
				seen[h.ID]++
			}
			if page == 0 {
				put(t, s, newer, older)
			}
			if r.NextCursor == "" {
				break
			}
			cursor = r.NextCursor
		}
		for _, a := range arts {
			if seen[a.ID] != 1 {
				t.Errorf("%s: %s seen %d times", sortBy, a.URL, seen[a.ID])
			}
		}
		// The one stored behind the cursor's position shows up; the one
		// stored ahead of it does not.
		ahead, behind := newer, older
		if sortBy == store.SortOldest {
			ahead, behind = older, newer
		}
		if seen[behind.ID] != 1 || seen[ahead.ID] != 0 {
			t.Errorf("%s: article stored behind the cursor seen %d times, ahead %d times", sortBy, seen[behind.ID], seen[ahead.ID])
		}
	}
}

func testBadQuery(t *testing.T, s store.Store) {
	f := fixtures(t)
	put(t, s, f.arts...)
	good := search(t, s, store.Query{Text: "Baku", Size: 1, Sort: store.SortNewest})
	if good.NextCursor == "" {
		t.Fatal("no next cursor")
	}
	for _, q := range []store.Query{
		{Text: `"unclosed`},
		{Text: `(Baku`},
		{Text: `Baku)`},
		{Text: `Baku AND`},
		{Text: `OR Baku`},
		{Text: `nosuchfield:Baku`},
		{Size: -1},
		{Size: store.MaxSize + 1},
		{Sort: "sideways"},
		{Cursor: "garbage!"},
		{Cursor: "eyJ2IjoxfQ"},
		{Text: "Baku", Size: 1, Sort: store.SortOldest, Cursor: good.NextCursor}, // cursor of another sort
		{From: at(22, 0, 0), To: at(21, 0, 0)},
	} {
		_, err := s.Search(context.Background(), q)
		if !errors.Is(err, store.ErrBadQuery) {
			t.Errorf("Search(%+v) = %v, want ErrBadQuery", q, err)
		}
	}
}

func testBatchError(t *testing.T, s store.Store) {
	f := fixtures(t)
	// Callers pass validated articles (article.Validate runs where they
	// enter newswatch); the store refuses only what it cannot key.
	bad := f.byKey[en1]
	bad.ID = ""
	bad2 := f.byKey[en2]
	bad2.ID = "0123"
	batch := Ptrs([]article.Article{f.byKey[az1], bad, f.byKey[ru1], bad2})
	err := s.Put(context.Background(), batch)
	var be *store.BatchError
	if !errors.As(err, &be) {
		t.Fatalf("Put = %v, want *BatchError", err)
	}
	if len(be.Failed) != 2 || be.Failed[1] == nil || be.Failed[3] == nil {
		t.Errorf("failed = %v, want items 1 and 3", be.Failed)
	}
	for _, k := range []string{az1, ru1} {
		if _, err := s.Get(context.Background(), f.byKey[k].ID); err != nil {
			t.Errorf("Get(%s) after partial batch: %v", k, err)
		}
	}
	if _, err := s.Get(context.Background(), f.byKey[en1].ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get(invalid en1) = %v, want ErrNotFound", err)
	}
}

func testConcurrent(t *testing.T, s store.Store) {
	arts := pageArticles(t, 40)
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(arts); i += 4 {
				if err := s.Put(context.Background(), Ptrs([]article.Article{arts[i], arts[(i+1)%len(arts)]})); err != nil {
					errs <- err
					return
				}
			}
		}(w)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				if _, err := s.Search(context.Background(), store.Query{Text: "neft", Size: 5}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if r := search(t, s, store.Query{}); r.Total != int64(len(arts)) {
		t.Errorf("total = %d, want %d", r.Total, len(arts))
	}
	for _, a := range arts {
		rec, err := s.Get(context.Background(), a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(rec.Versions) != 1 {
			t.Errorf("%s: %d versions", a.URL, len(rec.Versions))
		}
	}
}

func testClose(t *testing.T, s store.Store) {
	f := fixtures(t)
	put(t, s, f.arts[0])
	if err := s.Ping(context.Background()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	ctx := context.Background()
	if err := s.Put(ctx, Ptrs(f.arts[1:2])); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Put after Close = %v", err)
	}
	if _, err := s.Get(ctx, f.arts[0].ID); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Get after Close = %v", err)
	}
	if _, err := s.Search(ctx, store.Query{}); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Search after Close = %v", err)
	}
	if err := s.Ping(ctx); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Ping after Close = %v", err)
	}
}
