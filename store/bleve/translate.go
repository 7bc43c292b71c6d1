package bleve

import (
	"fmt"
	"slices"
	"strings"

	bv "github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/mapping"
	bq "github.com/blevesearch/bleve/v2/search/query"

	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/query"
	"github.com/newswatch/newswatch/store/words"
)

// translator turns a store/query tree into a bleve query. A node that
// analyses to nothing (a word of punctuation only) is neutral: it is dropped
// from its parent, and a query of neutral nodes only matches everything.
type translator struct {
	m     mapping.IndexMapping
	words analysis.Analyzer // the text fields' analysis, with offsets (newWordAnalyzer)
	// langs are the languages whose stem candidates words are looked up
	// under: those of the query's language filter, or all (words.Langs)
	// when the query does not say.
	langs []string
}

// forLangs returns the translator for a query filtered to the languages
// filter (none: every language).
func (t translator) forLangs(filter []string) translator {
	t.langs = words.QueryLangs(filter)
	return t
}

// textFields are searched by words without a field prefix, with boosts.
var textFields = []struct {
	name  string
	boost float64
}{{fTitle, 3}, {fBody, 1}}

// Boosts of the looser matches of a word, relative to its exact form in
// the same field: its form without diacritics, and (over the whole text)
// its stem candidates.
const (
	variantBoost = 0.05
	stemBoost    = 0.1
)

func (t *translator) translate(n query.Node) (bq.Query, bool, error) {
	switch n := n.(type) {
	case *query.MatchAll:
		return nil, false, nil
	case *query.Term:
		return t.word(n.Field, n.Text, n.Prefix, false, n.Pos)
	case *query.Phrase:
		return t.word(n.Field, n.Text, false, true, n.Pos)
	case *query.Not:
		c, ok, err := t.translate(n.Child)
		if err != nil || !ok {
			return nil, false, err
		}
		b := bv.NewBooleanQuery()
		b.AddMust(bv.NewMatchAllQuery())
		b.AddMustNot(c)
		return b, true, nil
	case *query.And:
		var must, mustNot []bq.Query
		for _, c := range n.Children {
			if not, isNot := c.(*query.Not); isNot {
				q, ok, err := t.translate(not.Child)
				if err != nil {
					return nil, false, err
				}
				if ok {
					mustNot = append(mustNot, q)
				}
				continue
			}
			q, ok, err := t.translate(c)
			if err != nil {
				return nil, false, err
			}
			if ok {
				must = append(must, q)
			}
		}
		if len(must) == 0 && len(mustNot) == 0 {
			return nil, false, nil
		}
		if len(mustNot) == 0 && len(must) == 1 {
			return must[0], true, nil
		}
		b := bv.NewBooleanQuery()
		if len(must) == 0 {
			b.AddMust(bv.NewMatchAllQuery())
		} else {
			b.AddMust(must...)
		}
		if len(mustNot) > 0 {
			b.AddMustNot(mustNot...)
		}
		return b, true, nil
	case *query.Or:
		var should []bq.Query
		for _, c := range n.Children {
			q, ok, err := t.translate(c)
			if err != nil {
				return nil, false, err
			}
			if ok {
				should = append(should, q)
			}
		}
		switch len(should) {
		case 0:
			return nil, false, nil
		case 1:
			return should[0], true, nil
		}
		return bv.NewDisjunctionQuery(should...), true, nil
	}
	return nil, false, fmt.Errorf("%w: unsupported query node %T", store.ErrBadQuery, n)
}

// textTerms analyses text as the text fields do: the terms at each
// position, the exact form first and its form without diacritics second
// when that differs.
func (t *translator) textTerms(text string) [][]string {
	var out [][]string
	last := -1
	for _, tok := range t.words.Analyze([]byte(text)) {
		if len(tok.Term) == 0 {
			continue
		}
		if tok.Position != last || len(out) == 0 {
			out = append(out, nil)
			last = tok.Position
		}
		out[len(out)-1] = append(out[len(out)-1], string(tok.Term))
	}
	return out
}

// word translates a term or phrase, on the default fields or on one field.
func (t *translator) word(field, text string, prefix, phrase bool, pos int) (bq.Query, bool, error) {
	if prefix {
		p := words.Fold(text)
		var qs []bq.Query
		for _, f := range fieldsFor(field) {
			pq := bv.NewPrefixQuery(p)
			pq.SetField(f.name)
			pq.SetBoost(f.boost)
			qs = append(qs, pq)
			if u := words.Unaccent(p); u != p && !isKeyword(field) {
				pq := bv.NewPrefixQuery(u)
				pq.SetField(f.name)
				pq.SetBoost(f.boost * variantBoost)
				qs = append(qs, pq)
			}
		}
		return disjunction(qs), true, nil
	}
	if isKeyword(field) {
		if strings.TrimSpace(text) == "" {
			return nil, false, nil
		}
		mq := bv.NewMatchQuery(text)
		mq.SetField(keywordField(field))
		return mq, true, nil
	}
	terms := t.textTerms(text)
	if len(terms) == 0 {
		return nil, false, nil
	}
	var qs []bq.Query
	loose := field == "" && !phrase
	for _, f := range fieldsFor(field) {
		if len(terms) == 1 {
			// One word: its exact form, and for a word without a field
			// its form without diacritics too (Qarabağ finds Qarabag;
			// the other way round goes through the stem fields).
			for i, term := range terms[0] {
				if i > 0 && !loose {
					break
				}
				tq := bv.NewTermQuery(term)
				tq.SetField(f.name)
				tq.SetBoost(f.boost)
				if i > 0 {
					tq.SetBoost(f.boost * variantBoost)
				}
				qs = append(qs, tq)
			}
			continue
		}
		// Several words: in that order (each in either spelling).
		mq := bv.NewMatchPhraseQuery(text)
		mq.SetField(f.name)
		mq.SetBoost(f.boost)
		qs = append(qs, mq)
	}
	if loose {
		if sq := t.stems(terms); sq != nil {
			qs = append(qs, sq)
		}
	}
	return disjunction(qs), true, nil
}

// stems matches a word by its stem candidates in each query language
// whose script it is written in: any candidate of every one of its parts
// ("COVID-19", "Azərbaycan'ın" have two), in the stem field of the
// language, or as a word of the text of an article in that language (the
// stem field leaves out the words themselves).
func (t *translator) stems(terms [][]string) bq.Query {
	var perLang []bq.Query
	for _, lang := range t.langs {
		var parts []bq.Query
		for _, pos := range terms {
			w := pos[0]
			if !slices.Contains(words.ScriptLangs(w), lang) {
				continue
			}
			var alts, inText []bq.Query
			for _, c := range words.Stems(lang, w) {
				tq := bv.NewTermQuery(c)
				tq.SetField(stemField(lang))
				tq.SetBoost(stemBoost)
				alts = append(alts, tq)
				if c == w || c == words.Unaccent(w) {
					continue // the word itself: searched in the text already
				}
				for _, f := range textFields {
					tq := bv.NewTermQuery(c)
					tq.SetField(f.name)
					tq.SetBoost(stemBoost)
					inText = append(inText, tq)
				}
			}
			if len(inText) > 0 {
				inLang := bv.NewTermQuery(lang)
				inLang.SetField(fStemLang)
				inLang.SetBoost(0)
				alts = append(alts, bv.NewConjunctionQuery(disjunction(inText), inLang))
			}
			if len(alts) > 0 {
				parts = append(parts, disjunction(alts))
			}
		}
		switch len(parts) {
		case 0:
		case 1:
			perLang = append(perLang, parts[0])
		default:
			perLang = append(perLang, bv.NewConjunctionQuery(parts...))
		}
	}
	if len(perLang) == 0 {
		return nil
	}
	return disjunction(perLang)
}

func isKeyword(field string) bool {
	switch field {
	case query.FieldOutlet, query.FieldLang, query.FieldSection, query.FieldTag:
		return true
	}
	return false
}

type boosted struct {
	name  string
	boost float64
}

func fieldsFor(field string) []boosted {
	switch field {
	case "":
		out := make([]boosted, len(textFields))
		for i, f := range textFields {
			out[i] = boosted{f.name, f.boost}
		}
		return out
	case query.FieldTitle:
		return []boosted{{fTitle, 1}}
	case query.FieldBody:
		return []boosted{{fBody, 1}}
	case query.FieldAuthor:
		return []boosted{{fAuthorTxt, 1}}
	default:
		return []boosted{{keywordField(field), 1}}
	}
}

func keywordField(field string) string {
	switch field {
	case query.FieldOutlet:
		return fOutlet
	case query.FieldLang:
		return fLang
	case query.FieldSection:
		return fSection
	case query.FieldTag:
		return fTags
	}
	return field
}

func disjunction(qs []bq.Query) bq.Query {
	if len(qs) == 1 {
		return qs[0]
	}
	return bv.NewDisjunctionQuery(qs...)
}
