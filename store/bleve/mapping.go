package bleve

import (
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	_ "github.com/blevesearch/bleve/v2/analysis/lang/tr" // the Turkish stemmer that indexes of mapping versions 1-2 name
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/single"
	bunicode "github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/mapping"

	"github.com/newswatch/newswatch/store/words"
)

// mappingVersion names the index mapping and analysis of this code; bump it
// when they change, so that older indexes are reported on Open.
//
// Version 4: the story ID (facet_story).
// Version 3: one analysed copy of the text (title, lead, body: exact words
// with variants without diacritics at the same positions) plus the stem
// candidates of the article's language in a field without positions or
// frequencies; a sortable date key instead of a second date field; facet
// fields; no stored text besides the article JSON.
const (
	mappingVersion    = "4"
	mappingVersionKey = "newswatch_mapping_version"
)

// Index field names.
const (
	fTitle     = "title"       // exact words (analyzerText), with positions
	fBody      = "body"        // the lead and the body (Article.LeadAndBody), likewise
	fAuthorTxt = "author_text" // authors as words, for author:
	fAuthors   = "authors"     // authors as whole names, for filters
	fSection   = "section"
	fOutlet    = "outlet"
	fLang      = "lang"
	fTags      = "tags"
	fPubCal    = "published_cal" // published_at as calendar terms, for from/to (datefilter.go)
	fStemLang  = "stem_lang"     // the article's stem language (stemLang), if any
	fDateKey   = "date_key"      // the article date as a sortable key (dateKey), for sorts and histograms
	fSource    = "_source"       // stored Article JSON
	fVersions  = "_versions"     // stored []store.Version JSON

	// Facet values as the articles spell them, with doc values, for
	// Aggregate (the filter fields above are case folded).
	fFacetOutlet  = "facet_outlet"
	fFacetLang    = "facet_lang"
	fFacetSection = "facet_section"
	fFacetAuthor  = "facet_author"
	fFacetStory   = "facet_story" // the story ID, for the story filter too
)

// stemField is the field holding the stem candidates of the title, lead
// and body of the articles in lang.
func stemField(lang string) string { return "stem_" + lang }

func newMapping() (mapping.IndexMapping, error) {
	im := mapping.NewIndexMapping()
	analyzers := map[string]map[string]interface{}{
		analyzerText: {
			"type":          custom.Name,
			"char_filters":  []string{apostropheCharName},
			"tokenizer":     bunicode.Name,
			"token_filters": []string{foldFilterName, positionsFilterName},
		},
		analyzerKeyword: {
			"type":          custom.Name,
			"tokenizer":     single.Name,
			"token_filters": []string{foldFilterName},
		},
		analyzerFacet: {
			"type":      custom.Name,
			"tokenizer": single.Name,
		},
	}
	for _, lang := range words.Langs {
		analyzers[analyzerStemPrefix+lang] = map[string]interface{}{
			"type":          custom.Name,
			"char_filters":  []string{apostropheCharName},
			"tokenizer":     bunicode.Name,
			"token_filters": []string{foldFilterName, stemsFilterPrefix + lang},
		}
	}
	for name, cfg := range analyzers {
		if err := im.AddCustomAnalyzer(name, cfg); err != nil {
			return nil, err
		}
	}

	field := func(analyzer string) *mapping.FieldMapping {
		f := mapping.NewTextFieldMapping()
		f.Analyzer = analyzer
		f.Store = false
		f.IncludeInAll = false
		f.IncludeTermVectors = false
		f.DocValues = false
		return f
	}
	// text: ranked, phrase-searchable words.
	text := func() *mapping.FieldMapping {
		f := field(analyzerText)
		f.IncludeTermVectors = true
		return f
	}
	// stems: no positions (no phrases on stems; highlights re-analyse the
	// text). Fields that queries score keep frequencies and norms: bleve
	// scores NaN without them.
	stems := func(lang string) *mapping.FieldMapping {
		return field(analyzerStemPrefix + lang)
	}
	keyword := func() *mapping.FieldMapping {
		return field(analyzerKeyword)
	}
	// docValues: never queried, only sorted and counted by.
	docValues := func() *mapping.FieldMapping {
		f := field(analyzerFacet)
		f.SkipFreqNorm = true
		f.DocValues = true
		return f
	}
	// calendar: only in filters, which bleve does not score.
	calendar := func() *mapping.FieldMapping {
		f := field(analyzerFacet)
		f.SkipFreqNorm = true
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
	for name, fm := range map[string]*mapping.FieldMapping{
		fTitle: text(), fBody: text(), fAuthorTxt: text(),
		fAuthors: keyword(), fSection: keyword(), fStemLang: keyword(), fOutlet: keyword(), fLang: keyword(), fTags: keyword(),
		fPubCal: calendar(), fDateKey: docValues(),
		fFacetOutlet: docValues(), fFacetLang: docValues(), fFacetSection: docValues(), fFacetAuthor: docValues(), fFacetStory: docValues(),
		fSource: stored(), fVersions: stored(),
	} {
		dm.AddFieldMappingsAt(name, fm)
	}
	for _, lang := range words.Langs {
		dm.AddFieldMappingsAt(stemField(lang), stems(lang))
	}

	im.DefaultMapping = dm
	im.DefaultAnalyzer = analyzerText
	im.StoreDynamic = false
	im.IndexDynamic = false
	im.DocValuesDynamic = false
	return im, nil
}
