package words

import (
	"fmt"
	"strings"
	"testing"
)

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"İLHAM": "ilham", "IŞIQ": "işiq", "ışıq": "işiq", "Ёлка": "елка", "ƏLİYEV": "əliyev",
		"i\u0307stanbul": "istanbul", "s\u0327": "ş", "Москва": "москва", "plain": "plain",
	} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestUnaccent(t *testing.T) {
	for in, want := range map[string]string{
		"şuşa": "susa", "qarabağ": "qarabag", "seçkilər": "seckiler", "ölkə": "olke", "üçün": "ucun",
		"işiq": "isiq", "йод": "йод", "ёлка": "ёлка", "café": "cafe", "plain": "plain",
	} {
		if got := Unaccent(in); got != want {
			t.Errorf("Unaccent(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSplit(t *testing.T) {
	text := "Azərbaycan'ın İLHAM «Газпром» COVID-19, 2025."
	var got []string
	for _, w := range Split(text) {
		got = append(got, fmt.Sprintf("%s@%s", w.Term, text[w.Start:w.End]))
	}
	want := "azərbaycan@Azərbaycan in@ın ilham@İLHAM газпром@Газпром covid@COVID 19@19 2025@2025"
	if strings.Join(got, " ") != want {
		t.Errorf("Split = %v, want %s", got, want)
	}
}

// TestStems: the candidates of words, and that the forms of a word share
// one with its base form (both ways), while unrelated short words do not.
func TestStems(t *testing.T) {
	for _, tc := range []struct{ lang, word, want string }{
		{AZ, "gəncədə", "gencede gence"},
		{AZ, "gəncə", "gence"}, // not gənc: one-letter suffixes need a stem of 5 letters
		{AZ, "bakının", "bakinin baki bakin bak"},
		{AZ, "azərbaycanın", "azerbaycanin azerbayca azerbaycan"},
		{AZ, "qarabağa", "qarabaga qarabag"},
		{AZ, "seçkilərin", "seckilerin seckiler secki"},
		{AZ, "covid", "covid"},
		{RU, "карабаха", "карабаха карабах"},
		{RU, "карабах", "карабах караб"},
		{RU, "и", ""}, // a stop word
		{EN, "elections", "elections elect"},
		{EN, "the", ""},
		{"de", "häuser", ""},
	} {
		if got := strings.Join(Stems(tc.lang, Fold(tc.word)), " "); got != tc.want {
			t.Errorf("Stems(%s, %q) = %q, want %q", tc.lang, tc.word, got, tc.want)
		}
	}
	meet := func(lang, a, b string) bool {
		for _, x := range Stems(lang, Fold(a)) {
			for _, y := range Stems(lang, Fold(b)) {
				if x == y {
					return true
				}
			}
		}
		return false
	}
	for _, tc := range []struct {
		lang  string
		base  string
		forms []string
	}{
		{AZ, "Gəncə", []string{"Gəncədə", "Gəncəyə", "Gəncəni", "Gəncədən", "Gəncənin"}},
		{AZ, "Bakı", []string{"Bakıda", "Bakının", "Bakıya", "Bakını", "Bakıdan", "BAKIDAKI"}},
		{AZ, "Azərbaycan", []string{"Azərbaycanın", "Azərbaycana", "Azərbaycanda", "Azərbaycanı", "Azərbaycandan", "Azerbaycanin"}},
		{AZ, "Qarabağ", []string{"Qarabağın", "Qarabağda", "Qarabağa", "Qarabağı", "Qarabağdan", "Qarabag", "qarabagin"}},
		{AZ, "seçki", []string{"seçkilər", "seçkilərin", "seçkidə", "seçkiləri"}},
		{AZ, "ölkə", []string{"ölkənin", "ölkədə", "ölkələr"}},
		{RU, "Карабах", []string{"Карабаха", "Карабаху", "Карабахом", "Карабахе"}},
		{RU, "Азербайджан", []string{"Азербайджана", "Азербайджане", "Азербайджаном", "Азербайджану"}},
		{RU, "нефть", []string{"нефти", "нефтью"}},
		{EN, "election", []string{"elections", "elected"}},
	} {
		for _, f := range tc.forms {
			if !meet(tc.lang, tc.base, f) {
				t.Errorf("%s: %q and %q share no stem candidate: %v, %v", tc.lang, tc.base, f, Stems(tc.lang, Fold(tc.base)), Stems(tc.lang, Fold(f)))
			}
		}
	}
	for _, pair := range [][3]string{{AZ, "Gəncə", "gənc"}, {AZ, "Gəncədə", "gənc"}, {AZ, "Bakı", "bal"}, {AZ, "Şuşa", "şux"}} {
		if meet(pair[0], pair[1], pair[2]) {
			t.Errorf("%s: %q and %q share a stem candidate", pair[0], pair[1], pair[2])
		}
	}
}

func TestTextStems(t *testing.T) {
	got := strings.Join(TextStems(AZ, "Gəncədə, Gəncədə və Bakıda"), " ")
	if want := "gencede gence ve bakida baki"; got != want {
		t.Errorf("TextStems = %q, want %q", got, want)
	}
}

func TestLangOf(t *testing.T) {
	for in, want := range map[string]string{"ru": RU, "ru-RU": RU, "AZ": AZ, "en-GB": EN, "de": "", "": ""} {
		if got := LangOf(in); got != want {
			t.Errorf("LangOf(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestUnaccentFastPath: the letter table gives what the general path does.
func TestUnaccentFastPath(t *testing.T) {
	for r := range latinPlain {
		if got, want := Unaccent(string(r)+"a"), unaccentNFD(string(r)+"a"); got != want {
			t.Errorf("Unaccent(%q) = %q, general path %q", string(r)+"a", got, want)
		}
	}
	for _, w := range []string{"Şuşa", "ƏLİYEV", "Qarabağ", "Мамедов", "café", "naïve", "ǅemal"} {
		if got, want := Unaccent(w), unaccentNFD(w); got != want {
			t.Errorf("Unaccent(%q) = %q, general path %q", w, got, want)
		}
	}
}

// TestSplitPastBrokenBytes: a byte that is not UTF-8 separates words like
// a space; the words after it are still found, at their own offsets.
func TestSplitPastBrokenBytes(t *testing.T) {
	text := "Bakı\xd0 Карабах \xff\xfeqar\xbf yağır"
	var got []string
	for _, w := range Split(text) {
		got = append(got, fmt.Sprintf("%s@%s", w.Term, text[w.Start:w.End]))
	}
	want := "baki@Bakı карабах@Карабах qar@qar yağir@yağır"
	if strings.Join(got, " ") != want {
		t.Errorf("Split = %q, want %s", got, want)
	}
}
