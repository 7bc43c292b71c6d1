// Package words holds the language rules of newswatch's search - how
// text is cut into words, case folded, stripped of diacritics, and which
// stem candidates a word has in Azerbaijani, Russian and English - so that
// every store backend (store/bleve, store/elastic) finds the same articles
// for the same words. One owner per rule: backends call these functions
// (at index time and at query time) instead of restating them.
//
// Matching rule: a query word matches a text word when their exact folded
// forms are equal, when one is the other without diacritics (Qarabag,
// Qarabağ), or - in an article of language L - when their stem candidates
// in L (Stems) share an element.
package words

import (
	"strings"
	"unicode"
	"unicode/utf8"

	bunicode "github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"golang.org/x/text/unicode/norm"
)

// Fold maps a word to its index form: Unicode NFC, lower case, with the
// Azerbaijani/Turkish i's (I, İ, ı, i) folded into one letter so that
// upper-case text ("İLHAM", "IŞIQ") matches lower-case queries and the
// other way round, and Russian ё folded into е as Russian text mixes them.
func Fold(s string) string {
	if mayNeedNFC(s) && !norm.NFC.IsNormalString(s) {
		s = norm.NFC.String(s)
	}
	// Fast path: most words are already in index form.
	i := 0
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				break
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if foldRune(r) != r || r == '\u0307' {
			break
		}
		i += n
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	prevI := i > 0 && s[i-1] == 'i'
	for _, r := range s[i:] {
		if r == '\u0307' && prevI { // combining dot above left from a decomposed İ
			continue
		}
		r = foldRune(r)
		b.WriteRune(r)
		prevI = r == 'i'
	}
	return b.String()
}

func foldRune(r rune) rune {
	switch r {
	case 'I', 'İ', 'ı':
		return 'i'
	case 'ё', 'Ё':
		return 'е'
	}
	return unicode.ToLower(r)
}

// Unaccent strips diacritics from Latin letters and maps ə to e, so that
// Azerbaijani typed without its letters ("Qarabag", "Susa", "secki")
// matches "Qarabağ", "Şuşa", "seçki". Other scripts are left alone: in
// Cyrillic й is not и.
func Unaccent(s string) string {
	// Fast path: ASCII, Cyrillic and the precomposed letters of
	// Azerbaijani and Turkish map letter by letter.
	simple := true
	changed := false
	for _, r := range s {
		if r < utf8.RuneSelf || r >= 0x400 && r <= 0x4ff {
			continue
		}
		if _, ok := latinPlain[r]; !ok {
			simple = false
			break
		}
		changed = true
	}
	if simple {
		if !changed {
			return s
		}
		var b strings.Builder
		b.Grow(len(s))
		for _, r := range s {
			if p, ok := latinPlain[r]; ok {
				r = p
			}
			b.WriteRune(r)
		}
		return b.String()
	}
	return unaccentNFD(s)
}

// unaccentNFD is Unaccent's general path: decompose, drop the marks on
// Latin letters, compose.
func unaccentNFD(s string) string {
	d := norm.NFD.String(s)
	var b strings.Builder
	b.Grow(len(d))
	latinBase := false
	for _, r := range d {
		switch {
		case unicode.Is(unicode.Mn, r):
			if latinBase {
				continue
			}
		case r == 'ə' || r == 'Ə':
			r = 'e'
			latinBase = true
		case r == 'ı':
			r = 'i'
			latinBase = true
		default:
			latinBase = unicode.Is(unicode.Latin, r)
		}
		b.WriteRune(r)
	}
	return norm.NFC.String(b.String())
}

// BlankSeparators turns apostrophes into spaces of the same byte length,
// so that Azerbaijani suffixes split from proper nouns ("Azərbaycan'ın"
// gives the words "azərbaycan" and "ın") while byte offsets do not move;
// and bytes that are not UTF-8 too, since word segmentation stops at the
// first of them (every word after it would be lost to search). It returns
// in itself when in has neither.
func BlankSeparators(in []byte) []byte {
	out := in
	copied := false
	for i := 0; i < len(in); {
		r, n := utf8.DecodeRune(in[i:])
		switch {
		case r == '\'' || r == '’' || r == 'ʼ' || r == '`' || r == '‘' || r == utf8.RuneError && n == 1:
			if !copied {
				out = append([]byte(nil), in...)
				copied = true
			}
			for j := i; j < i+n; j++ {
				out[j] = ' '
			}
		}
		i += n
	}
	return out
}

// Word is a word of a text: its folded form (Fold) and where it is, in
// bytes.
type Word struct {
	Term       string
	Start, End int
}

// Split cuts text into words: Unicode word segmentation (UAX #29) after
// BlankSeparators, each word folded. Punctuation makes no words.
func Split(text string) []Word {
	toks := bunicode.NewUnicodeTokenizer().Tokenize(BlankSeparators([]byte(text)))
	out := make([]Word, 0, len(toks))
	for _, t := range toks {
		out = append(out, Word{Term: Fold(string(t.Term)), Start: t.Start, End: t.End})
	}
	return out
}

// latinPlain maps the precomposed Latin letters of Azerbaijani and Turkish
// to their letters without diacritics, as Unaccent's general path does.
var latinPlain = map[rune]rune{
	'ə': 'e', 'Ə': 'e', 'ı': 'i', 'ğ': 'g', 'Ğ': 'G', 'ş': 's', 'Ş': 'S', 'ç': 'c', 'Ç': 'C',
	'ö': 'o', 'Ö': 'O', 'ü': 'u', 'Ü': 'U', 'İ': 'I', 'â': 'a', 'î': 'i', 'û': 'u', 'é': 'e', 'è': 'e', 'á': 'a', 'à': 'a',
}

// mayNeedNFC reports whether s has a character that Unicode NFC could
// change: a combining mark or anything outside Latin-1, Latin Extended and
// Cyrillic letters. Most words have none, and skip the NFC check.
func mayNeedNFC(s string) bool {
	for _, r := range s {
		if r < 0x300 || r >= 0x400 && r <= 0x482 || r >= 0x48a && r <= 0x52f {
			continue
		}
		return true
	}
	return false
}
