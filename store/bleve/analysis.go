package bleve

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/lang/ru"
	"github.com/blevesearch/bleve/v2/analysis/lang/tr"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/single"
	bunicode "github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/registry"
	"golang.org/x/text/unicode/norm"
)

// Names of the analysis components this package registers with bleve and
// uses in its index mapping. They are stored in the index metadata, so they
// must not change once indexes exist.
const (
	foldFilterName      = "newswatch_fold"
	unaccentFilterName  = "newswatch_unaccent"
	azLowerFilterName   = "newswatch_az_lower"
	apostropheCharName  = "newswatch_apostrophe"
	analyzerText        = "newswatch_text"    // all languages: words, case folded
	analyzerKeyword     = "newswatch_keyword" // whole value, case folded
	analyzerRussianStem = "newswatch_ru"      // Russian, stemmed
	analyzerEnglishStem = "newswatch_en"      // English, stemmed
	analyzerUnaccent    = "newswatch_plain"   // Latin letters without diacritics
	analyzerAzerbaijani = "newswatch_az"      // Azerbaijani, stemmed
)

func init() {
	// bleve resolves analysis components by name from a process-wide
	// registry, also when an existing index is reopened.
	if err := registry.RegisterTokenFilter(foldFilterName, func(map[string]interface{}, *registry.Cache) (analysis.TokenFilter, error) {
		return foldFilter{}, nil
	}); err != nil {
		panic(err)
	}
	if err := registry.RegisterTokenFilter(unaccentFilterName, func(map[string]interface{}, *registry.Cache) (analysis.TokenFilter, error) {
		return unaccentFilter{}, nil
	}); err != nil {
		panic(err)
	}
	if err := registry.RegisterTokenFilter(azLowerFilterName, func(map[string]interface{}, *registry.Cache) (analysis.TokenFilter, error) {
		return azLowerFilter{}, nil
	}); err != nil {
		panic(err)
	}
	if err := registry.RegisterCharFilter(apostropheCharName, func(map[string]interface{}, *registry.Cache) (analysis.CharFilter, error) {
		return apostropheFilter{}, nil
	}); err != nil {
		panic(err)
	}
}

// fold maps a word to its index form: Unicode NFC, lower case, with the
// Azerbaijani/Turkish i's (I, İ, ı, i) folded into one letter so that
// upper-case text ("İLHAM", "IŞIQ") matches lower-case queries and the
// other way round, and Russian ё folded into е as Russian text mixes them.
func fold(s string) string {
	if !norm.NFC.IsNormalString(s) {
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

// foldFilter applies fold to every token; offsets stay those of the
// original text, so highlights mark the right characters.
type foldFilter struct{}

func (foldFilter) Filter(in analysis.TokenStream) analysis.TokenStream {
	for _, t := range in {
		if f := fold(string(t.Term)); f != string(t.Term) {
			t.Term = []byte(f)
		}
	}
	return in
}

// unaccent strips diacritics from Latin letters and maps ə to e, so that
// Azerbaijani typed without its letters ("Qarabag", "Susa", "secki")
// matches "Qarabağ", "Şuşa", "seçki". Other scripts are left alone: in
// Cyrillic й is not и.
func unaccent(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
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

// unaccentFilter applies unaccent to every token.
type unaccentFilter struct{}

func (unaccentFilter) Filter(in analysis.TokenStream) analysis.TokenStream {
	for _, t := range in {
		if u := unaccent(string(t.Term)); u != string(t.Term) {
			t.Term = []byte(u)
		}
	}
	return in
}

// azLower lower-cases Azerbaijani for the Turkish stemmer: I is ı and İ is
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

// azLowerFilter applies azLower to every token.
type azLowerFilter struct{}

func (azLowerFilter) Filter(in analysis.TokenStream) analysis.TokenStream {
	for _, t := range in {
		t.Term = []byte(azLower(string(t.Term)))
	}
	return in
}

// apostropheFilter turns apostrophes into spaces of the same byte length,
// so that Azerbaijani suffixes split from proper nouns ("Azərbaycan'ın"
// indexes "azərbaycan" and "ın") while byte offsets do not move.
type apostropheFilter struct{}

func (apostropheFilter) Filter(in []byte) []byte {
	out := in
	copied := false
	for i := 0; i < len(in); {
		r, n := utf8.DecodeRune(in[i:])
		switch r {
		case '\'', '’', 'ʼ', '`', '‘':
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

// Index field names.
const (
	fTitle     = "title"
	fLead      = "lead"
	fBody      = "body"
	fAuthorTxt = "author_text" // authors as words, for author:
	fAuthors   = "authors"     // authors as whole names, for filters
	fSection   = "section"
	fOutlet    = "outlet"
	fLang      = "lang"
	fTags      = "tags"
	fPublished = "published"
	fSortDate  = "sort_date"  // published_at, else fetched_at
	fRuText    = "text_ru"    // title+lead+body of Russian articles, stemmed
	fEnText    = "text_en"    // title+lead+body of English articles, stemmed
	fPlainText = "text_plain" // title+lead+body without Latin diacritics
	fAzText    = "text_az"    // title+lead+body of Azerbaijani articles, stemmed
	fSource    = "_source"    // stored Article JSON
	fVersions  = "_versions"  // stored []store.Version JSON
)

func newMapping() (mapping.IndexMapping, error) {
	im := mapping.NewIndexMapping()
	if err := im.AddCustomAnalyzer(analyzerText, map[string]interface{}{
		"type":          custom.Name,
		"char_filters":  []string{apostropheCharName},
		"tokenizer":     bunicode.Name,
		"token_filters": []string{foldFilterName},
	}); err != nil {
		return nil, err
	}
	if err := im.AddCustomAnalyzer(analyzerKeyword, map[string]interface{}{
		"type":          custom.Name,
		"tokenizer":     single.Name,
		"token_filters": []string{foldFilterName},
	}); err != nil {
		return nil, err
	}
	if err := im.AddCustomAnalyzer(analyzerRussianStem, map[string]interface{}{
		"type":          custom.Name,
		"char_filters":  []string{apostropheCharName},
		"tokenizer":     bunicode.Name,
		"token_filters": []string{foldFilterName, ru.StopName, ru.SnowballStemmerName},
	}); err != nil {
		return nil, err
	}
	if err := im.AddCustomAnalyzer(analyzerEnglishStem, map[string]interface{}{
		"type":          custom.Name,
		"char_filters":  []string{apostropheCharName},
		"tokenizer":     bunicode.Name,
		"token_filters": []string{foldFilterName, en.StopName, en.SnowballStemmerName},
	}); err != nil {
		return nil, err
	}

	if err := im.AddCustomAnalyzer(analyzerUnaccent, map[string]interface{}{
		"type":          custom.Name,
		"char_filters":  []string{apostropheCharName},
		"tokenizer":     bunicode.Name,
		"token_filters": []string{foldFilterName, unaccentFilterName},
	}); err != nil {
		return nil, err
	}

	if err := im.AddCustomAnalyzer(analyzerAzerbaijani, map[string]interface{}{
		"type":          custom.Name,
		"char_filters":  []string{apostropheCharName},
		"tokenizer":     bunicode.Name,
		"token_filters": []string{azLowerFilterName, tr.SnowballStemmerName},
	}); err != nil {
		return nil, err
	}

	text := func(store bool) *mapping.FieldMapping {
		f := mapping.NewTextFieldMapping()
		f.Analyzer = analyzerText
		f.Store = store
		f.IncludeTermVectors = true
		f.IncludeInAll = false
		f.DocValues = false
		return f
	}
	stem := func(analyzer string) *mapping.FieldMapping {
		f := mapping.NewTextFieldMapping()
		f.Analyzer = analyzer
		f.Store = false
		f.IncludeTermVectors = true
		f.IncludeInAll = false
		f.DocValues = false
		return f
	}
	keyword := func() *mapping.FieldMapping {
		f := mapping.NewTextFieldMapping()
		f.Analyzer = analyzerKeyword
		f.Store = false
		f.IncludeTermVectors = false
		f.IncludeInAll = false
		f.DocValues = true
		return f
	}
	date := func() *mapping.FieldMapping {
		f := mapping.NewDateTimeFieldMapping()
		f.Store = false
		f.IncludeInAll = false
		f.DocValues = true
		return f
	}
	stored := func() *mapping.FieldMapping {
		f := mapping.NewTextFieldMapping()
		f.Index = false
		f.Store = true
		f.IncludeInAll = false
		f.IncludeTermVectors = false
		f.DocValues = false
		return f
	}

	dm := mapping.NewDocumentStaticMapping()
	dm.AddFieldMappingsAt(fTitle, text(true))
	dm.AddFieldMappingsAt(fLead, text(true))
	dm.AddFieldMappingsAt(fBody, text(true))
	dm.AddFieldMappingsAt(fAuthorTxt, text(false))
	dm.AddFieldMappingsAt(fAuthors, keyword())
	dm.AddFieldMappingsAt(fSection, keyword())
	dm.AddFieldMappingsAt(fOutlet, keyword())
	dm.AddFieldMappingsAt(fLang, keyword())
	dm.AddFieldMappingsAt(fTags, keyword())
	dm.AddFieldMappingsAt(fPublished, date())
	dm.AddFieldMappingsAt(fSortDate, date())
	dm.AddFieldMappingsAt(fRuText, stem(analyzerRussianStem))
	dm.AddFieldMappingsAt(fEnText, stem(analyzerEnglishStem))
	dm.AddFieldMappingsAt(fPlainText, stem(analyzerUnaccent))
	dm.AddFieldMappingsAt(fAzText, stem(analyzerAzerbaijani))
	dm.AddFieldMappingsAt(fSource, stored())
	dm.AddFieldMappingsAt(fVersions, stored())

	im.DefaultMapping = dm
	im.DefaultAnalyzer = analyzerText
	im.StoreDynamic = false
	im.IndexDynamic = false
	im.DocValuesDynamic = false
	return im, nil
}
