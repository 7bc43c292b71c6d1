package words

import (
	"strings"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/lang/ru"
	"github.com/blevesearch/snowballstem"
	"github.com/blevesearch/snowballstem/english"
	"github.com/blevesearch/snowballstem/russian"
)

// Stem candidates. A word is indexed, besides its exact form, under every
// form it may be an inflection of - its stem candidates, without
// diacritics - in the stem field of its article's language; a query word
// is looked up under each of its own candidates. Two forms match when
// their candidate sets meet. One stemmer alone is not enough: the Snowball
// stemmers treat the end of a proper noun as an ending (Snowball's Russian
// stems "Карабах" to "караб" but "Карабаха" to "карабах", and its Turkish
// one, used for Azerbaijani before, "Gəncə" to "ge" but "Gəncədə" to
// "gence"); a set of candidates keeps the word's own form among them, so a
// base form meets its inflections whichever the stemmer cuts.

// Languages with stem candidates: the languages the outlets publish in.
const (
	AZ = "az"
	RU = "ru"
	EN = "en"
)

// Langs lists the languages with stem candidates.
var Langs = []string{AZ, RU, EN}

// Stems returns the stem candidates of a folded word (see Fold) in lang,
// without diacritics, the word itself first. Stop words give none, and so
// does a language without stems.
func Stems(lang, w string) []string {
	switch lang {
	case RU:
		if ruStop(w) {
			return nil
		}
		return dedupe(w, snowball(russian.Stem, w), ruLight(w))
	case EN:
		if enStop(w) {
			return nil
		}
		u := Unaccent(w)
		return dedupe(u, Unaccent(snowball(english.Stem, w)))
	case AZ:
		return azStems(Unaccent(w))
	}
	return nil
}

func dedupe(ws ...string) []string {
	out := ws[:0]
	for _, w := range ws {
		if w == "" {
			continue
		}
		dup := false
		for _, o := range out {
			if o == w {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, w)
		}
	}
	return out
}

func snowball(stem func(*snowballstem.Env) bool, w string) string {
	env := snowballstem.NewEnv(w)
	stem(env)
	return env.Current()
}

// ruLight is the light Russian stemmer of J. Savoy ("Light stemming
// approaches for the French, Portuguese, German and Hungarian languages",
// 2006; the Russian variant as in Lucene's RussianLightStemmer): it
// removes one case ending and a final soft sign or и, and keeps words of
// up to four letters.
func ruLight(w string) string {
	r := []rune(w)
	r = ruRemoveCase(r)
	return string(ruNormalize(r))
}

func hasSuffix(r []rune, s string) bool {
	n := utf8.RuneCountInString(s)
	if len(r) < n {
		return false
	}
	i := len(r) - n
	for _, c := range s {
		if r[i] != c {
			return false
		}
		i++
	}
	return true
}

var (
	ruEndings4 = []string{"иями", "оями"}
	ruEndings3 = []string{"иям", "иях", "оях", "ями", "оям", "оьв", "ами", "его", "ему", "ери", "ими", "ого", "ому", "ыми", "оев"}
	ruEndings2 = []string{"ая", "яя", "ях", "юю", "ах", "ею", "их", "ия", "ию", "ьв", "ою", "ую", "ям", "ых", "ея", "ам", "ем", "ей", "ём", "ев", "ий", "им", "ое", "ой", "ом", "ов", "ые", "ый", "ым", "ми"}
)

func ruRemoveCase(r []rune) []rune {
	n := len(r)
	if n > 6 {
		for _, e := range ruEndings4 {
			if hasSuffix(r, e) {
				return r[:n-4]
			}
		}
	}
	if n > 5 {
		for _, e := range ruEndings3 {
			if hasSuffix(r, e) {
				return r[:n-3]
			}
		}
	}
	if n > 4 {
		for _, e := range ruEndings2 {
			if hasSuffix(r, e) {
				return r[:n-2]
			}
		}
	}
	if n > 3 {
		switch r[n-1] {
		case 'а', 'е', 'и', 'о', 'у', 'й', 'ы', 'ь', 'я':
			return r[:n-1]
		}
	}
	return r
}

func ruNormalize(r []rune) []rune {
	n := len(r)
	if n > 3 {
		switch r[n-1] {
		case 'ь', 'и':
			return r[:n-1]
		case 'н':
			if r[n-2] == 'н' {
				return r[:n-1]
			}
		}
	}
	return r
}

// Azerbaijani suffixes, without diacritics (ı and i, u and ü, a and ə
// written alike), by the layer they attach in: a noun takes a plural, then
// a possessive, then a case ending (or a relative -dakı / predicative
// -dır after it); each layer is optional. after says what the stem must
// end in: a vowel for the forms with a buffer consonant (Bakı-nın,
// Gəncə-yə, ev-i-ndə), a consonant for the forms that start with a vowel
// (Qarabağ-ın, Azərbaycan-a).
type azSuffix struct {
	s     string
	after byte // 'v' vowel, 'c' consonant, 0 either
}

var azLayers = [][]azSuffix{
	{ // case endings, relatives, predicatives
		{"ndaki", 'v'}, {"ndeki", 'v'}, {"daki", 0}, {"deki", 0}, {"taki", 0}, {"teki", 0},
		{"ndan", 'v'}, {"nden", 'v'}, {"dan", 0}, {"den", 0}, {"tan", 0}, {"ten", 0},
		{"nda", 'v'}, {"nde", 'v'}, {"da", 0}, {"de", 0}, {"ta", 0}, {"te", 0},
		{"nin", 'v'}, {"nun", 'v'}, {"in", 'c'}, {"un", 'c'},
		{"ya", 'v'}, {"ye", 'v'}, {"na", 'v'}, {"ne", 'v'}, {"a", 'c'}, {"e", 'c'},
		{"ni", 'v'}, {"nu", 'v'}, {"i", 'c'}, {"u", 'c'},
		{"yla", 'v'}, {"yle", 'v'}, {"la", 0}, {"le", 0},
		{"dir", 0}, {"dur", 0}, {"tir", 0}, {"tur", 0},
	},
	{ // possessives
		{"imiz", 'c'}, {"umuz", 'c'}, {"miz", 'v'}, {"muz", 'v'},
		{"iniz", 'c'}, {"unuz", 'c'}, {"niz", 'v'}, {"nuz", 'v'},
		{"lari", 0}, {"leri", 0},
		{"si", 'v'}, {"su", 'v'}, {"i", 'c'}, {"u", 'c'},
		{"im", 'c'}, {"um", 'c'}, {"m", 'v'},
		{"in", 'c'}, {"un", 'c'}, {"n", 'v'},
	},
	{ // plural
		{"lar", 0}, {"ler", 0},
	},
}

// Shortest stems left by a suffix, in letters: suffixes of one letter
// (Qarabağ-a, Azərbaycan-ı) need a long stem, since short words often end
// in a letter that only looks like one (Gəncə is not the dative of gənc).
const (
	azMinStem       = 3
	azMinStemLetter = 5
)

func azVowel(c rune) bool {
	switch c {
	case 'a', 'e', 'i', 'o', 'u':
		return true
	}
	return false
}

// azStems returns a word and every stem it may have under the suffix
// layers, for a folded word without diacritics.
func azStems(w string) []string {
	out := []string{w}
	if !isLatinWord(w) {
		return out
	}
	// strips lists the stems left by the suffixes of layers from layer on
	// that r may end in, with the layer after each suffix's.
	type strip struct {
		stem  string
		next  int
		short bool // a one-letter suffix
	}
	strips := func(r string, layer int) []strip {
		var out []strip
		for l := layer; l < len(azLayers); l++ {
			for _, suf := range azLayers[l] {
				if !strings.HasSuffix(r, suf.s) {
					continue
				}
				n := len(suf.s) // ASCII
				stem := r[:len(r)-n]
				minLen := azMinStem
				if n == 1 {
					minLen = azMinStemLetter
				}
				if len(stem) < minLen {
					continue
				}
				last := rune(stem[len(stem)-1])
				if suf.after == 'v' && !azVowel(last) || suf.after == 'c' && azVowel(last) {
					continue
				}
				out = append(out, strip{stem: stem, next: l + 1, short: n == 1})
			}
		}
		return out
	}
	var walk func(r string, layer int)
	walk = func(r string, layer int) {
		ss := strips(r, layer)
		// A word that ends in a suffix of two letters or more is not also
		// read as ending in one of a single letter (Gəncə-də, not
		// Gəncəd-ə; Bakı-nın, not Bakını-n).
		long := false
		for _, st := range ss {
			long = long || !st.short
		}
		for _, st := range ss {
			if long && st.short {
				continue
			}
			if !contains(out, st.stem) {
				out = append(out, st.stem)
			}
			walk(st.stem, st.next)
		}
	}
	walk(w, 0)
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// isLatinWord reports whether w is made of lower-case ASCII letters only
// (after unaccent, an Azerbaijani word is).
func isLatinWord(w string) bool {
	if w == "" {
		return false
	}
	for i := 0; i < len(w); i++ {
		if c := w[i]; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// ScriptLangs tells which stem languages can give a folded word other
// candidates than itself: Cyrillic words Russian, Latin ones English and
// Azerbaijani, others (digits, other scripts) none. A query word is looked
// up under the candidates of these languages only (for the others its
// candidates are the word itself, which the exact text already matches).
func ScriptLangs(w string) []string {
	for _, r := range w {
		switch {
		case r >= 'а' && r <= 'я' || r == 'ё':
			return []string{RU}
		case r >= 'a' && r <= 'z' || r >= 0xC0 && r < 0x250:
			return []string{AZ, EN}
		}
	}
	return nil
}

func ruStop(w string) bool { return ruStopWords[w] }
func enStop(w string) bool { return enStopWords[w] }

// stopWords reads a bleve stop word list (one word per line, "|" starts a
// comment).
func stopWords(list []byte) map[string]bool {
	out := map[string]bool{}
	for _, line := range strings.Split(string(list), "\n") {
		if i := strings.IndexByte(line, '|'); i >= 0 {
			line = line[:i]
		}
		for _, w := range strings.Fields(line) {
			out[Fold(w)] = true
		}
	}
	return out
}

// Stop words of the stem candidates.
var (
	ruStopWords = stopWords(ru.RussianStopWords)
	enStopWords = stopWords(en.EnglishStopWords)
)

// LangOf is the stem language of an article language tag ("ru", "ru-RU",
// "AZ"), or "" when it has none.
func LangOf(tag string) string {
	base, _, _ := strings.Cut(strings.ToLower(tag), "-")
	for _, l := range Langs {
		if base == l {
			return l
		}
	}
	return ""
}

// TextStems returns every distinct stem candidate in lang of the words of
// text, for backends that store them as plain terms of the article.
func TextStems(lang, text string) []string {
	seen := map[string]bool{}
	var out []string
	for _, w := range Split(text) {
		if seen[w.Term] {
			continue
		}
		seen[w.Term] = true
		for _, c := range Stems(lang, w.Term) {
			if !seen["\x00"+c] {
				seen["\x00"+c] = true
				out = append(out, c)
			}
		}
	}
	return out
}

// QueryLangs are the languages whose stem candidates a query's words are
// looked up under: those of its language filter, or all (Langs) when the
// query does not say. A query of unknown language is analysed for every
// language the outlets use.
func QueryLangs(filter []string) []string {
	if len(filter) == 0 {
		return Langs
	}
	var out []string
	for _, l := range filter {
		if s := LangOf(l); s != "" && !contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
