package elastic

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/store"
)

var update = flag.Bool("update", false, "rewrite the golden files of the query DSL")

// TestTranslateGolden: the query DSL each query of the language becomes,
// one golden file per case (testdata/dsl/<name>.json; -update rewrites
// them). The engine runs these in TestConformance; this pins their form.
func TestTranslateGolden(t *testing.T) {
	from := time.Date(2025, 2, 21, 0, 0, 0, 0, time.FixedZone("Baku", 4*3600))
	to := from.Add(24 * time.Hour)
	for _, tc := range []struct {
		name string
		q    store.Query
	}{
		{"empty", store.Query{}},
		{"word", store.Query{Text: "Baku"}},
		{"word_az", store.Query{Text: "Şuşada"}},
		{"two_words", store.Query{Text: "Baku forum"}},
		{"phrase", store.Query{Text: `"energy forum"`}},
		{"or", store.Query{Text: "forum OR derby"}},
		{"not", store.Query{Text: "Baku -forum"}},
		{"only_not", store.Query{Text: "-Baku"}},
		{"nested", store.Query{Text: `(forum OR derby) AND Sunday -"energy forum"`}},
		{"prefix", store.Query{Text: "neft*"}},
		{"fields", store.Query{Text: `title:Baku body:forum author:"Анна Петрова"`}},
		{"keyword_fields", store.Query{Text: "outlet:caliber lang:ru section:Politics tag:energy"}},
		{"apostrophe", store.Query{Text: "Azərbaycan'ın"}},
		{"punctuation_only", store.Query{Text: "Baku --- ..."}},
		{"filters", store.Query{Text: "neft", Outlets: []string{"report", "oxu"}, Langs: []string{"az"}, Sections: []string{"İqtisadiyyat"}, Authors: []string{"Ramin Məmmədov"}, From: &from, To: &to}},
		{"from_only", store.Query{From: &from}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			full, _, err := searchQuery(tc.q)
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.MarshalIndent(full, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", "dsl", tc.name+".json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			if string(got) != string(want) {
				t.Errorf("DSL of %+v differs from %s:\n%s", tc.q, path, got)
			}
		})
	}
}

func TestTranslateBadQuery(t *testing.T) {
	from := time.Date(2025, 2, 21, 0, 0, 0, 0, time.UTC)
	for _, q := range []store.Query{
		{Text: `"unclosed`},
		{Text: "a*"},
		{Text: "nosuchfield:x"},
		{From: &from, To: &from},
	} {
		if _, _, err := searchQuery(q); !errors.Is(err, store.ErrBadQuery) {
			t.Errorf("searchQuery(%+v) = %v, want ErrBadQuery", q, err)
		}
	}
}

func TestExternalVersionOrder(t *testing.T) {
	base := time.Date(2025, 2, 21, 10, 0, 0, 0, time.UTC)
	h := func(version int, fetched time.Time, n int) int64 {
		a := storeArticle(version, fetched)
		hist := &store.History{Article: a, Versions: make([]store.Version, n)}
		return externalVersion(hist)
	}
	// Each later state has a higher external version.
	seq := []int64{
		h(1, base, 1),
		h(1, base, 2),                  // an older version joined the history
		h(1, base.Add(time.Second), 3), // same number, fetched later
		h(2, base, 4),                  // the next version, even if fetched "earlier"
		h(3, base.Add(-time.Hour), 5),
		h(1<<verBits+5, base, 6), // clamped number still above
	}
	for i := 1; i < len(seq); i++ {
		if seq[i] <= seq[i-1] {
			t.Errorf("state %d: external version %d is not above %d", i, seq[i], seq[i-1])
		}
	}
	if v := h(1<<verBits-1, time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC), 1<<histBits+10); v <= 0 {
		t.Errorf("largest external version %d overflows", v)
	}
	if v := h(1, time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC), 0); v <= 0 {
		t.Errorf("external version of a fetch before 2000 = %d", v)
	}
}

func TestConfigValidate(t *testing.T) {
	good := Config{Addresses: []string{"http://127.0.0.1:9200"}}
	if err := good.Validate(); err != nil {
		t.Fatalf("good config: %v", err)
	}
	for _, c := range []Config{
		{},
		{Addresses: []string{"127.0.0.1:9200"}},
		{Addresses: []string{"ftp://x"}},
		{Addresses: good.Addresses, Prefix: "Has Upper"},
		{Addresses: good.Addresses, Password: "p"},
		{Addresses: good.Addresses, CACertFile: "/nonexistent/ca.pem"},
		{Addresses: good.Addresses, Refresh: "sometimes"},
		{Addresses: good.Addresses, Shards: -1},
		{Addresses: good.Addresses, MaxRetries: -1},
	} {
		if err := c.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("Validate(%+v) = %v, want ErrConfig", c, err)
		}
	}
	if got := ParseAddresses(" http://a:9200/, ,https://b:9200"); len(got) != 2 || got[0] != "http://a:9200" || got[1] != "https://b:9200" {
		t.Errorf("ParseAddresses = %q", got)
	}
}

func storeArticle(version int, fetched time.Time) *article.Article {
	return &article.Article{Version: version, FetchedAt: fetched}
}
