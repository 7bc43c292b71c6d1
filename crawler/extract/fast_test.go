package extract

import (
	"strings"
	"testing"
)

// The allocation-free helpers must agree with the plain versions.
func TestMatchNameAgrees(t *testing.T) {
	names := []string{"", " ", "share-bar", "Share_Bar x", "read-more", "READ MORE", "entry-content read-more",
		"post__share\ttools", "a-b-c-d", "социальные share", "Most-Popular", "news feed", "news-feed",
		"tweet embed", "instagram-media", "x " + strings.Repeat("y", 200) + " share", "--", "view-count", "viewCount"}
	sets := []struct{ single, pairs map[string]bool }{
		{boilerWords, boilerPairs}, {embedWords, embedPairs}, {contentWords, nil}, {viewsWords, viewsPairs},
	}
	for _, n := range names {
		for i, s := range sets {
			if got, want := matchName(n, s.single, s.pairs), matchWords(nameWords(n), s.single, s.pairs); got != want {
				t.Errorf("set %d, %q: matchName %v, matchWords %v", i, n, got, want)
			}
		}
	}
}

func TestIsTagHrefAgrees(t *testing.T) {
	for _, h := range []string{"", "/tag/x", "/TAGS/x", "?tag=a", "&tags=b", "/etiketler/x", "/Etiket/x", "/teg/a",
		"/tegi/b", "/метки/x", "/Теги/y", "/news/1", "https://a.com/stag/x", "/vintage/", "/te/g/", "/etiKet/"} {
		if got, want := isTagHref(h), tagHref.MatchString(h); got != want {
			t.Errorf("%q: isTagHref %v, regexp %v", h, got, want)
		}
	}
}

func TestCountFieldsAgrees(t *testing.T) {
	for _, s := range []string{"", " ", "a", " a b  c ", "Привет,\u00a0мир\u2003x", "\t\n", "a\u0085b", "__", "--"} {
		if got, want := countFields(s), len(strings.Fields(s)); got != want {
			t.Errorf("%q: countFields %d, want %d", s, got, want)
		}
		if got, want := hasToken(s), len(tokens(s)) > 0; got != want {
			t.Errorf("%q: hasToken %v, want %v", s, got, want)
		}
	}
}
