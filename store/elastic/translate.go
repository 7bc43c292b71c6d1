package elastic

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/query"
	"github.com/newswatch/newswatch/store/words"
)

// textFields are searched by words without a field prefix, with boosts. A
// word without a field also matches, with lower boosts, its spelling
// without diacritics and its stem candidates (store/words) in the stem
// fields of the query's languages - store/bleve's rule.
var textFields = []boosted{{fTitle, 3}, {fLead, 1.5}, {fBody, 1}}

const (
	variantBoost = 0.05
	stemBoost    = 0.1
)

type boosted struct {
	name  string
	boost float64
}

// dsl is a query DSL object.
type dsl = map[string]any

var matchAll = dsl{"match_all": dsl{}}

// translate turns a store/query tree into the query DSL. A node without
// words (punctuation only) is neutral: dropped from its parent; a query of
// neutral nodes only matches everything (ok false).
func translate(n query.Node, langs []string) (q dsl, ok bool, err error) {
	switch n := n.(type) {
	case *query.MatchAll:
		return nil, false, nil
	case *query.Term:
		return word(n.Field, n.Text, n.Prefix, false, n.Pos, langs)
	case *query.Phrase:
		return word(n.Field, n.Text, false, true, n.Pos, langs)
	case *query.Not:
		c, ok, err := translate(n.Child, langs)
		if err != nil || !ok {
			return nil, false, err
		}
		return dsl{"bool": dsl{"must": []dsl{matchAll}, "must_not": []dsl{c}}}, true, nil
	case *query.And:
		var must, mustNot []dsl
		for _, c := range n.Children {
			if not, isNot := c.(*query.Not); isNot {
				q, ok, err := translate(not.Child, langs)
				if err != nil {
					return nil, false, err
				}
				if ok {
					mustNot = append(mustNot, q)
				}
				continue
			}
			q, ok, err := translate(c, langs)
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
		if len(must) == 0 {
			must = []dsl{matchAll}
		}
		b := dsl{"must": must}
		if len(mustNot) > 0 {
			b["must_not"] = mustNot
		}
		return dsl{"bool": b}, true, nil
	case *query.Or:
		var should []dsl
		for _, c := range n.Children {
			q, ok, err := translate(c, langs)
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
		return disjunction(should), true, nil
	}
	return nil, false, fmt.Errorf("%w: unsupported query node %T", store.ErrBadQuery, n)
}

// hasWords reports whether text has something the standard tokenizer makes
// a token of (a letter, digit or mark); punctuation alone makes none.
func hasWords(text string) bool {
	for _, r := range text {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) {
			return true
		}
	}
	return false
}

// word translates a term or phrase, on the default fields or on one field.
func word(field, text string, prefix, phrase bool, pos int, langs []string) (dsl, bool, error) {
	if prefix {
		// match_bool_prefix analyses the text with the field's analyzer
		// (the same case folding as the index) and makes the last token a
		// prefix.
		var qs []dsl
		for _, f := range fieldsFor(field) {
			qs = append(qs, dsl{"match_bool_prefix": dsl{f.name: dsl{"query": text, "boost": f.boost, "operator": "and"}}})
		}
		return disjunction(qs), true, nil
	}
	switch field {
	case query.FieldOutlet, query.FieldLang, query.FieldSection, query.FieldTag:
		if strings.TrimSpace(text) == "" {
			return nil, false, nil
		}
		return dsl{"term": dsl{keywordField(field) + subFolded: dsl{"value": text}}}, true, nil
	}
	if !hasWords(text) {
		return nil, false, nil
	}
	var qs []dsl
	for _, f := range fieldsFor(field) {
		qs = append(qs, dsl{"match_phrase": dsl{f.name: dsl{"query": text, "boost": f.boost}}})
	}
	if field == "" && !phrase {
		ws := words.Split(text)
		if len(ws) == 1 {
			if u := words.Unaccent(ws[0].Term); u != ws[0].Term {
				for _, f := range textFields {
					qs = append(qs, dsl{"term": dsl{f.name: dsl{"value": u, "boost": f.boost * variantBoost}}})
				}
			}
		}
		if sq := stems(ws, langs); sq != nil {
			qs = append(qs, sq)
		}
	}
	return disjunction(qs), true, nil
}

// stems matches words by their stem candidates in each query language
// whose script they are written in: any candidate of every one of them.
func stems(ws []words.Word, langs []string) dsl {
	var perLang []dsl
	for _, lang := range langs {
		var parts []dsl
		for _, w := range ws {
			if !slices.Contains(words.ScriptLangs(w.Term), lang) {
				continue
			}
			if cs := words.Stems(lang, w.Term); len(cs) > 0 {
				parts = append(parts, dsl{"terms": dsl{fStemPfx + lang: cs, "boost": stemBoost}})
			}
		}
		switch len(parts) {
		case 0:
		case 1:
			perLang = append(perLang, parts[0])
		default:
			perLang = append(perLang, dsl{"bool": dsl{"must": parts}})
		}
	}
	if len(perLang) == 0 {
		return nil
	}
	return disjunction(perLang)
}

func fieldsFor(field string) []boosted {
	switch field {
	case "":
		return textFields
	case query.FieldTitle:
		return []boosted{{fTitle, 1}}
	case query.FieldBody:
		return []boosted{{fLead, 1}, {fBody, 1}}
	case query.FieldAuthor:
		return []boosted{{fAuthors + subText, 1}}
	default:
		return []boosted{{keywordField(field) + subFolded, 1}}
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

func disjunction(qs []dsl) dsl {
	if len(qs) == 1 {
		return qs[0]
	}
	return dsl{"bool": dsl{"should": qs, "minimum_should_match": 1}}
}

// filters are the query's outlet, language, section, author and date
// filters (nil when none).
func filters(q store.Query) ([]dsl, error) {
	var out []dsl
	anyOf := func(field string, values []string) {
		var vs []string
		for _, v := range values {
			if v = strings.TrimSpace(v); v != "" {
				vs = append(vs, v)
			}
		}
		if len(vs) > 0 {
			out = append(out, dsl{"terms": dsl{field + subFolded: vs}})
		}
	}
	anyOf(fOutlet, q.Outlets)
	anyOf(fLang, q.Langs)
	anyOf(fSection, q.Sections)
	anyOf(fAuthors, q.Authors)
	var stories []string
	for _, id := range q.Stories {
		if id = strings.TrimSpace(id); id != "" {
			stories = append(stories, id)
		}
	}
	if len(stories) > 0 {
		out = append(out, dsl{"terms": dsl{fStory: stories}})
	}
	if q.From != nil || q.To != nil {
		if q.From != nil && q.To != nil && !q.From.Before(*q.To) {
			return nil, fmt.Errorf("%w: from %s is not before to %s", store.ErrBadQuery, q.From.Format(time.RFC3339), q.To.Format(time.RFC3339))
		}
		r := dsl{}
		if q.From != nil {
			r["gte"] = q.From.UTC().Format(time.RFC3339Nano)
		}
		if q.To != nil {
			r["lt"] = q.To.UTC().Format(time.RFC3339Nano)
		}
		out = append(out, dsl{"range": dsl{fPublished: r}})
	}
	return out, nil
}

// searchQuery is the whole query of q: the text query (match_all without
// text) filtered by the filters. It also returns the parsed text (nil when
// it has no words that choose articles), which highlights are made from.
func searchQuery(q store.Query) (full dsl, text query.Node, err error) {
	ast, err := query.Parse(q.Text)
	if err != nil {
		return nil, nil, err
	}
	full, hasText, err := translate(ast, words.QueryLangs(q.Langs))
	if err != nil {
		return nil, nil, err
	}
	fs, err := filters(q)
	if err != nil {
		return nil, nil, err
	}
	if hasText {
		text = ast
	} else {
		full = matchAll
	}
	if len(fs) > 0 {
		full = dsl{"bool": dsl{"must": []dsl{full}, "filter": fs}}
	}
	return full, text, nil
}
