package bleve

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/simsite"
	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/storetest"
)

// demoIndex indexes the demo corpus (`newswatch demo`: seed 1, 300
// articles, 3 outlets), plus articles that use the forms the demo's text
// generator does not (Azərbaycanın, Qarabağın, Qarabağa).
func demoIndex(t *testing.T) *Index {
	t.Helper()
	site, err := simsite.New(simsite.Config{Seed: 1, Articles: 300, Outlets: simsite.DefaultOutlets})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range site.Outlets() { // the addresses the demo would serve them at
		if err := site.SetBaseURL(o.ID, "https://"+o.ID+".demo.example"); err != nil {
			t.Fatal(err)
		}
	}
	var arts []article.Article
	for _, a := range site.Articles() {
		s, err := a.Stored(a.PublishedAt.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		arts = append(arts, s)
	}
	for i, text := range []string{
		"Azərbaycanın xarici siyasəti müzakirə olunub.",
		"Qarabağın bərpası davam edir.",
		"Nümayəndə heyəti Qarabağa səfər edib.",
		"AZƏRBAYCANIN İQTİSADİYYATI BÖYÜYÜR.",
	} {
		arts = append(arts, art(t, fmt.Sprintf("https://extra.az/%d", i), "az", text, text))
	}
	x := open(t, t.TempDir())
	t.Cleanup(func() { x.Close() })
	if err := x.Put(context.Background(), storetest.Ptrs(arts)); err != nil {
		t.Fatal(err)
	}
	return x
}

func ids(t *testing.T, x *Index, q string) []string {
	t.Helper()
	var out []string
	err := x.Scan(context.Background(), store.Query{Text: q}, func(a *article.Article) error {
		out = append(out, a.ID)
		return nil
	})
	if err != nil {
		t.Fatalf("%q: %v", q, err)
	}
	r, err := x.Search(context.Background(), store.Query{Text: q})
	if err != nil {
		t.Fatal(err)
	}
	if r.Total != int64(len(out)) {
		t.Fatalf("%q: total %d, scan %d", q, r.Total, len(out))
	}
	sort.Strings(out)
	return out
}

// TestInflectionsOnDemoCorpus: each form of a word finds the same articles
// as every other form - base forms and case endings, possessives, plurals,
// any case, with or without diacritics - in Azerbaijani, Russian and
// English; and the matched forms are highlighted.
func TestInflectionsOnDemoCorpus(t *testing.T) {
	x := demoIndex(t)
	for _, forms := range [][]string{
		{"Gəncə", "Gəncədə", "GƏNCƏDƏ", "gəncəyə", "Gence", "gencede"},
		{"Bakı", "Bakıda", "BAKIDA", "Bakının", "Baki", "bakida"},
		{"Qarabağ", "Qarabağda", "Qarabağın", "Qarabağa", "Qarabag", "qarabagda", "QARABAĞIN"},
		{"Azərbaycan", "Azərbaycanın", "Azerbaycan", "Azərbaycanda"},
		{"Şəki", "Şəkidə", "Seki"},
		{"enerji", "enerjinin"},
		{"Карабах", "Карабаха", "карабахе", "КАРАБАХОМ"},
		{"Азербайджан", "Азербайджана", "Азербайджане", "азербайджаном"},
		{"Гянджа", "Гяндже", "Гянджи"},
		{"бюджет", "бюджета", "бюджетом"},
		{"project", "projects", "Projects"},
		{"investment", "investments"},
	} {
		want := ids(t, x, forms[0])
		if len(want) == 0 {
			t.Errorf("%q finds nothing", forms[0])
			continue
		}
		for _, f := range forms[1:] {
			if got := ids(t, x, f); strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("%q finds %d articles, %q finds %d", f, len(got), forms[0], len(want))
			}
		}
		t.Logf("%v: %d articles each", forms, len(want))
	}
	// Stems do not reach unrelated words: every article Gəncə (the city)
	// finds names the city; gənc (young) finds others too.
	city, young := ids(t, x, "Gəncə"), ids(t, x, "gənc")
	for _, id := range city {
		rec, err := x.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		a := rec.Article
		if !strings.Contains(strings.ToLower(a.Title+" "+a.Lead+" "+a.Body), "gəncə") {
			t.Errorf("Gəncə finds %q, which does not name the city", a.Title)
		}
	}
	if len(young) == 0 || overlap(city, young) == len(young) {
		t.Errorf("gənc finds %d articles, all of them Gəncə articles", len(young))
	}
}

func overlap(a, b []string) int {
	n := 0
	for _, x := range a {
		for _, y := range b {
			if x == y {
				n++
			}
		}
	}
	return n
}

// TestHighlightsEveryForm: a query word is marked in every form it matched,
// fragments start and end at word boundaries, and a lead the body repeats
// is highlighted once.
func TestHighlightsEveryForm(t *testing.T) {
	x := demoIndex(t)
	for _, tc := range []struct{ q, mark string }{
		{"Gəncə", "<mark>Gəncədə</mark>"},
		{"Qarabag", "<mark>Qarabağda</mark>"},
		{"Qarabağ", "<mark>Qarabağın</mark>"},
		{"Азербайджан", "<mark>Азербайджана</mark>"},
		{"Карабах", "<mark>Карабаха</mark>"},
		{"project", "<mark>projects</mark>"},
		{`"yeni enerji"`, "<mark>yeni</mark> <mark>enerji</mark>"},
		{"enerj*", "<mark>enerji</mark>"},
	} {
		r, err := x.Search(context.Background(), store.Query{Text: tc.q, Size: 20})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Hits) == 0 {
			t.Fatalf("%q: no hits", tc.q)
		}
		found := false
		for _, h := range r.Hits {
			if len(h.Highlights) == 0 {
				t.Errorf("%q: hit %s has no highlights", tc.q, h.Article.Title)
			}
			for f, frags := range h.Highlights {
				for _, fr := range frags {
					if strings.Contains(fr, tc.mark) {
						found = true
					}
					checkFragment(t, tc.q, f, fr, h.Article)
				}
			}
		}
		if !found {
			t.Errorf("%q: no fragment has %s: %v", tc.q, tc.mark, r.Hits[0].Highlights)
		}
	}
}

// checkFragment: a fragment is a piece of the field's text cut at white
// space (or marked as cut with "…" at a word boundary).
func checkFragment(t *testing.T, q, field, fr string, a article.Article) {
	t.Helper()
	plain := strings.NewReplacer("<mark>", "", "</mark>", "").Replace(fr)
	plain = htmlUnescape(plain)
	text := map[string]string{"title": a.Title, "lead": a.Lead, "body": a.Body}[field]
	core := strings.TrimSuffix(strings.TrimPrefix(plain, "…"), "…")
	i := strings.Index(text, core)
	if i < 0 {
		t.Errorf("%q: %s fragment %q is not in the text", q, field, fr)
		return
	}
	end := i + len(core)
	if i > 0 && !strings.ContainsAny(text[i-1:i], " \n") {
		t.Errorf("%q: %s fragment %q starts inside a word", q, field, fr)
	}
	if end < len(text) && !strings.ContainsAny(text[end:end+1], " \n") {
		t.Errorf("%q: %s fragment %q ends inside a word", q, field, fr)
	}
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'").Replace(s)
}

func TestLeadRepeatedInBodyHighlightedOnce(t *testing.T) {
	x := open(t, t.TempDir())
	defer x.Close()
	a := art(t, "https://report.az/lead", "az", "Neft hasilatı", "")
	a.Lead = "Gəncədə yeni zavod açılıb."
	a.Body = "Gəncədə yeni zavod açılıb.\n\nZavod ildə min ton məhsul istehsal edəcək."
	b := art(t, "https://report.az/lead2", "az", "Zavod", "")
	b.Lead = "Gəncədə yeni zavod açılıb."
	b.Body = "Gəncədə yeni zavod açılıb.\n\nGəncə sakinləri sevinir."
	for _, x := range []*article.Article{&a, &b} {
		if err := x.Finalize(); err != nil {
			t.Fatal(err)
		}
	}
	if err := x.Put(context.Background(), []*article.Article{&a, &b}); err != nil {
		t.Fatal(err)
	}
	r, err := x.Search(context.Background(), store.Query{Text: "Gəncə", Size: 10})
	if err != nil || len(r.Hits) != 2 {
		t.Fatalf("%v %+v", err, r)
	}
	for _, h := range r.Hits {
		hl := h.Highlights
		if len(hl["lead"]) != 1 || !strings.Contains(hl["lead"][0], "<mark>Gəncədə</mark>") {
			t.Errorf("%s: lead highlights %q", h.Article.URL, hl["lead"])
		}
		switch h.ID {
		case a.ID:
			if hl["body"] != nil {
				t.Errorf("body that only repeats the lead is highlighted: %q", hl["body"])
			}
		case b.ID:
			if len(hl["body"]) != 1 || hl["body"][0] != "<mark>Gəncə</mark> sakinləri sevinir." {
				t.Errorf("body highlights %q, want the second paragraph only", hl["body"])
			}
		}
	}
}
