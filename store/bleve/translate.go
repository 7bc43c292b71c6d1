package bleve

import (
	"fmt"
	"strings"
	"unicode/utf8"

	bv "github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/mapping"
	bq "github.com/blevesearch/bleve/v2/search/query"

	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/query"
)

// minPrefix is the shortest prefix (in characters) a word* may have; shorter
// ones expand to too many terms to be useful.
const minPrefix = 2

// translator turns a store/query tree into a bleve query. A node that
// analyses to nothing (a word of punctuation only) is neutral: it is dropped
// from its parent, and a query of neutral nodes only matches everything.
type translator struct {
	m mapping.IndexMapping
}

// textFields are searched by words without a field prefix, with boosts.
var textFields = []struct {
	name  string
	boost float64
}{{fTitle, 3}, {fLead, 1.5}, {fBody, 1}}

// looseFields are searched too by words without a field prefix (not by
// phrases, which are exact), with lower boosts: stemmed Russian, English
// and Azerbaijani so that inflections match, and Latin text without
// diacritics so that Azerbaijani typed on a plain keyboard matches.
var looseFields = []struct {
	name  string
	boost float64
}{{fRuText, 0.8}, {fEnText, 0.8}, {fAzText, 0.8}, {fPlainText, 0.5}}

func (t *translator) tokens(analyzer, text string) int {
	a := t.m.AnalyzerNamed(analyzer)
	if a == nil {
		return 0
	}
	return len(a.Analyze([]byte(text)))
}

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

// phraseAsTerm lets a phrase of one token be searched as a term query;
// tests turn it off to compare.
var phraseAsTerm = true

// singleTerm reports the only token of text as the field's analyzer makes
// it, when it makes exactly one (non-empty) token.
func (t *translator) singleTerm(field, text string) (string, bool) {
	if !phraseAsTerm {
		return "", false
	}
	a := t.m.AnalyzerNamed(t.m.AnalyzerNameForPath(field))
	if a == nil {
		return "", false
	}
	toks := a.Analyze([]byte(text))
	if len(toks) != 1 || len(toks[0].Term) == 0 {
		return "", false
	}
	return string(toks[0].Term), true
}

// word translates a term or phrase, on the default fields or on one field.
func (t *translator) word(field, text string, prefix, phrase bool, pos int) (bq.Query, bool, error) {
	if prefix {
		p := fold(text)
		if utf8.RuneCountInString(p) < minPrefix {
			return nil, false, fmt.Errorf("%w: prefix %q at offset %d is shorter than %d letters", store.ErrBadQuery, text+"*", pos, minPrefix)
		}
		var qs []bq.Query
		for _, f := range fieldsFor(field) {
			pq := bv.NewPrefixQuery(p)
			pq.SetField(f.name)
			pq.SetBoost(f.boost)
			qs = append(qs, pq)
		}
		return disjunction(qs), true, nil
	}
	switch field {
	case query.FieldOutlet, query.FieldLang, query.FieldSection, query.FieldTag:
		if strings.TrimSpace(text) == "" {
			return nil, false, nil
		}
		mq := bv.NewMatchQuery(text)
		mq.SetField(keywordField(field))
		return mq, true, nil
	}
	if t.tokens(analyzerText, text) == 0 {
		return nil, false, nil
	}
	var qs []bq.Query
	for _, f := range fieldsFor(field) {
		if term, ok := t.singleTerm(f.name, text); ok {
			// A one-word phrase matches and scores as its term does, but
			// the phrase searcher reads the positions of every match.
			tq := bv.NewTermQuery(term)
			tq.SetField(f.name)
			tq.SetBoost(f.boost)
			qs = append(qs, tq)
			continue
		}
		mq := bv.NewMatchPhraseQuery(text)
		mq.SetField(f.name)
		mq.SetBoost(f.boost)
		qs = append(qs, mq)
	}
	if field == "" && !phrase {
		for _, f := range looseFields {
			mq := bv.NewMatchQuery(text)
			mq.SetField(f.name)
			mq.SetBoost(f.boost)
			mq.SetOperator(bq.MatchQueryOperatorAnd)
			qs = append(qs, mq)
		}
	}
	return disjunction(qs), true, nil
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
		return []boosted{{fLead, 1}, {fBody, 1}}
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
