package bleve

import (
	"strings"
	"unicode"

	"github.com/blevesearch/bleve/v2/analysis"
	bunicode "github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/registry"
	"golang.org/x/text/unicode/norm"

	"github.com/newswatch/newswatch/store/words"
)

// Names of the analysis components this package registers with bleve and
// uses in its index mapping. They are stored in the index metadata, so they
// must not change once indexes exist.
const (
	foldFilterName      = "newswatch_fold"
	variantsFilterName  = "newswatch_variants"
	positionsFilterName = "newswatch_positions_only"
	stemsFilterPrefix   = "newswatch_stems_" // + language
	apostropheCharName  = "newswatch_apostrophe"
	analyzerText        = "newswatch_text"    // words, case folded, with variants without diacritics
	analyzerKeyword     = "newswatch_keyword" // whole value, case folded
	analyzerFacet       = "newswatch_facet"   // whole value as written
	analyzerStemPrefix  = "newswatch_stem_"   // + language: stem candidates

	// Indexes of mapping versions 1 and 2 name these; they stay
	// registered so that such an index still opens (and warns).
	unaccentFilterName = "newswatch_unaccent"
	azLowerFilterName  = "newswatch_az_lower"
)

func init() {
	// bleve resolves analysis components by name from a process-wide
	// registry, also when an existing index is reopened.
	filters := map[string]analysis.TokenFilter{
		foldFilterName:      foldFilter{},
		variantsFilterName:  variantsFilter{},
		positionsFilterName: positionsFilter{},
		unaccentFilterName:  unaccentFilter{},
		azLowerFilterName:   azLowerFilter{},
	}
	for _, lang := range words.Langs {
		filters[stemsFilterPrefix+lang] = stemsFilter{lang: lang}
	}
	for name, f := range filters {
		f := f
		if err := registry.RegisterTokenFilter(name, func(map[string]interface{}, *registry.Cache) (analysis.TokenFilter, error) {
			return f, nil
		}); err != nil {
			panic(err)
		}
	}
	if err := registry.RegisterCharFilter(apostropheCharName, func(map[string]interface{}, *registry.Cache) (analysis.CharFilter, error) {
		return apostropheFilter{}, nil
	}); err != nil {
		panic(err)
	}
}

// foldFilter applies words.Fold to every token; offsets stay those of the
// original text, so highlights mark the right characters.
type foldFilter struct{}

func (foldFilter) Filter(in analysis.TokenStream) analysis.TokenStream {
	for _, t := range in {
		if f := words.Fold(string(t.Term)); f != string(t.Term) {
			t.Term = []byte(f)
		}
	}
	return in
}

// variantsFilter adds, after every token that has diacritics on Latin
// letters, the token without them at the same position and offsets: the
// text fields match "Qarabag" and "Qarabağ" both ways (and phrases too)
// while the exact spelling, matching both terms, still ranks first.
type variantsFilter struct{}

func (variantsFilter) Filter(in analysis.TokenStream) analysis.TokenStream {
	var out analysis.TokenStream
	for i, t := range in {
		u := words.Unaccent(string(t.Term))
		if u == string(t.Term) {
			if out != nil {
				out = append(out, t)
			}
			continue
		}
		if out == nil {
			out = append(make(analysis.TokenStream, 0, len(in)+len(in)/2), in[:i]...)
		}
		v := *t
		v.Term = []byte(u)
		out = append(out, t, &v)
	}
	if out == nil {
		return in
	}
	return out
}

// positionsFilter drops the character offsets of tokens, keeping their
// positions: the index needs positions for phrases, but no offsets, since
// highlights analyse the stored text again (newWordAnalyzer). Zero offsets
// take one byte each in the index instead of two or three.
type positionsFilter struct{}

func (positionsFilter) Filter(in analysis.TokenStream) analysis.TokenStream {
	for _, t := range in {
		t.Start, t.End = 0, 0
	}
	return in
}

// newWordAnalyzer returns the analysis of the text fields with character
// offsets: query words and highlights use it.
func newWordAnalyzer() analysis.Analyzer {
	return &analysis.DefaultAnalyzer{
		CharFilters:  []analysis.CharFilter{apostropheFilter{}},
		Tokenizer:    bunicode.NewUnicodeTokenizer(),
		TokenFilters: []analysis.TokenFilter{foldFilter{}, variantsFilter{}},
	}
}

// stemsFilter replaces every folded token by its stem candidates in one
// language (words.Stems) at the same position, except the token itself: the
// text fields hold it already (queries look their candidates up there
// too, in articles of the language). Stop words are dropped.
type stemsFilter struct{ lang string }

func (f stemsFilter) Filter(in analysis.TokenStream) analysis.TokenStream {
	out := make(analysis.TokenStream, 0, len(in))
	for _, t := range in {
		for _, s := range words.Stems(f.lang, string(t.Term)) {
			if s == string(t.Term) {
				continue
			}
			v := *t
			v.Term = []byte(s)
			out = append(out, &v)
		}
	}
	return out
}

// unaccentFilter applies words.Unaccent to every token (mapping versions 1-2).
type unaccentFilter struct{}

func (unaccentFilter) Filter(in analysis.TokenStream) analysis.TokenStream {
	for _, t := range in {
		if u := words.Unaccent(string(t.Term)); u != string(t.Term) {
			t.Term = []byte(u)
		}
	}
	return in
}

// azLower lower-cases Azerbaijani for the Turkish stemmer of mapping
// versions 1 and 2: I is ı and İ is
// i as in Azerbaijani spelling, and ə becomes e, the Turkish front vowel
// the stemmer's vowel harmony knows.
func azLower(s string) string {
	if !norm.NFC.IsNormalString(s) {
		s = norm.NFC.String(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch r {
		case 'I':
			r = 'ı'
		case 'İ':
			r = 'i'
		case 'ə', 'Ə':
			r = 'e'
		default:
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// azLowerFilter applies azLower to every token (mapping versions 1-2).
type azLowerFilter struct{}

func (azLowerFilter) Filter(in analysis.TokenStream) analysis.TokenStream {
	for _, t := range in {
		t.Term = []byte(azLower(string(t.Term)))
	}
	return in
}

// apostropheFilter splits Azerbaijani suffixes from proper nouns
// (words.BlankSeparators).
type apostropheFilter struct{}

func (apostropheFilter) Filter(in []byte) []byte { return words.BlankSeparators(in) }
