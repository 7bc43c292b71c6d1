package highlight

import (
	"strings"
	"testing"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/store/query"
	"github.com/newswatch/newswatch/store/words"
)

func compile(t *testing.T, q string) *Highlighter {
	t.Helper()
	ast, err := query.Parse(q)
	if err != nil {
		t.Fatal(err)
	}
	return Compile(ast, words.QueryLangs(nil))
}

func TestStyles(t *testing.T) {
	a := &article.Article{Language: "az", Title: "Bakıda <b>qar</b>", Body: "Bakıda qar yağır & küləkli."}
	for _, tc := range []struct {
		style Style
		title string
	}{
		{HTML, "<mark>Bakıda</mark> &lt;b&gt;qar&lt;/b&gt;"},
		{ANSI, "\x1b[43mBakıda\x1b[0m <b>qar</b>"},
	} {
		hl := compile(t, "Bakı").Article(a, tc.style)
		if got := hl["title"]; len(got) != 1 || got[0] != tc.title {
			t.Errorf("%s: title %q, want %q", tc.style, got, tc.title)
		}
	}
	if hl := compile(t, "Bakı").Article(a, None); hl != nil {
		t.Errorf("none: %q", hl)
	}
}

// Excluded words and fielded words of other fields are not marked; a query
// without positive words marks nothing.
func TestOnlyWhatMatched(t *testing.T) {
	a := &article.Article{Language: "en", Title: "Oil and gas", Body: "Oil prices rose. Gas prices fell."}
	hl := compile(t, "oil -gas").Article(a, HTML)
	if strings.Contains(strings.Join(hl["body"], " "), "<mark>Gas</mark>") || hl["title"][0] != "<mark>Oil</mark> and gas" {
		t.Errorf("oil -gas: %q", hl)
	}
	hl = compile(t, "title:gas").Article(a, HTML)
	if hl["body"] != nil || hl["title"][0] != "Oil and <mark>gas</mark>" {
		t.Errorf("title:gas: %q", hl)
	}
	if h := compile(t, "-oil"); !h.Empty() || h.Article(a, HTML) != nil {
		t.Errorf("-oil marks something")
	}
}

// Fragments of a long body begin and end at word boundaries, say where
// they cut with "…", and prefer showing different forms.
func TestFragmentsCutAtWords(t *testing.T) {
	filler := strings.Repeat("lorem ipsum dolor sit amet ", 30)
	body := filler + "Qarabağda bərpa. " + filler + "Qarabağın şəhərləri. " + filler
	a := &article.Article{Language: "az", Body: body}
	frags := compile(t, "Qarabağ").Article(a, HTML)["body"]
	if len(frags) != 2 {
		t.Fatalf("fragments %q", frags)
	}
	for i, want := range []string{"<mark>Qarabağda</mark>", "<mark>Qarabağın</mark>"} {
		fr := frags[i]
		if !strings.Contains(fr, want) || !strings.HasPrefix(fr, "…") || !strings.HasSuffix(fr, "…") {
			t.Errorf("fragment %d %q: want %s, cut with …", i, fr, want)
		}
		core := strings.NewReplacer("<mark>", "", "</mark>", "").Replace(strings.Trim(fr, "…"))
		i := strings.Index(body, core)
		if i <= 0 || body[i-1] != ' ' || body[i+len(core)] != ' ' {
			t.Errorf("fragment %q not cut at word boundaries", fr)
		}
	}
}
