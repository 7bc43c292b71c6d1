// Package match decides in memory whether one article matches a
// store.Query: its text (the language of package store/query) and its
// filters. It analyses text with the store's own rules (store/words: word
// splitting, case folding, diacritics, stem candidates for az/ru/en), so
// that a watch can be matched against every new article and version
// without a search-store round trip, and finds what a search of the store
// finds: the conformance suite (store/storetest, MatcherAgrees) checks that
// it accepts exactly the articles store/bleve and store/elastic return.
//
// A query is compiled once (Compile) and an article analysed once (NewDoc)
// for any number of matchers; Doc computes the stem candidates of the
// article's words the first time a matcher needs them.
package match

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/query"
	"github.com/newswatch/newswatch/store/words"
)

// Matcher is a compiled store.Query. It is safe for concurrent use.
type Matcher struct {
	text     node // nil: every article (no text, or text of neutral words)
	outlets  []string
	langs    []string
	sections []string
	authors  []string
	stories  []string
	from, to *time.Time
}

// Compile compiles the text and filters of q (Sort, Size, Cursor and
// NoHighlights do not choose articles and are ignored). A malformed query
// gives the parser's error, which wraps store.ErrBadQuery.
func Compile(q store.Query) (*Matcher, error) {
	ast, err := query.Parse(q.Text)
	if err != nil {
		return nil, err
	}
	if q.From != nil && q.To != nil && !q.From.Before(*q.To) {
		return nil, fmt.Errorf("%w: from %s is not before to %s", store.ErrBadQuery, q.From.Format(time.RFC3339), q.To.Format(time.RFC3339))
	}
	c := compiler{langs: words.QueryLangs(q.Langs)}
	m := &Matcher{text: c.node(ast), from: q.From, to: q.To,
		outlets: foldAll(q.Outlets), langs: foldAll(q.Langs), sections: foldAll(q.Sections), authors: foldAll(q.Authors)}
	for _, id := range q.Stories {
		if id = strings.TrimSpace(id); id != "" {
			m.stories = append(m.stories, id)
		}
	}
	return m, nil
}

// foldAll is the folded form of each non-blank filter value: a filter
// value matches an article's value when both fold alike.
func foldAll(vs []string) []string {
	var out []string
	for _, v := range vs {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, words.Fold(v))
		}
	}
	return out
}

// Match reports whether the article d matches.
func (m *Matcher) Match(d *Doc) bool {
	if !anyEqual(m.outlets, d.outlet) || !anyEqual(m.langs, d.lang) || !anyEqual(m.sections, d.section) {
		return false
	}
	if len(m.authors) > 0 && !slices.ContainsFunc(d.authorNames, func(a string) bool { return slices.Contains(m.authors, a) }) {
		return false
	}
	if !anyEqual(m.stories, d.A.StoryID) {
		return false
	}
	if m.from != nil || m.to != nil {
		p := d.A.PublishedAt
		if p == nil || (m.from != nil && p.Before(*m.from)) || (m.to != nil && !p.Before(*m.to)) {
			return false
		}
	}
	return m.text == nil || m.text.match(d)
}

// anyEqual reports whether v is in filter, or filter is empty.
func anyEqual(filter []string, v string) bool {
	return len(filter) == 0 || slices.Contains(filter, v)
}

// Fields of a document, as the query language names them.
type field int

const (
	fTitle field = iota
	fBody
	fAuthor
	fOutlet
	fLang
	fSection
	fTag
)

// fieldsFor are the fields a word searches: the title and the body (lead
// and body) without a field prefix, else the named one.
func fieldsFor(name string) []field {
	switch name {
	case "":
		return []field{fTitle, fBody}
	case query.FieldTitle:
		return []field{fTitle}
	case query.FieldBody:
		return []field{fBody}
	case query.FieldAuthor:
		return []field{fAuthor}
	case query.FieldOutlet:
		return []field{fOutlet}
	case query.FieldLang:
		return []field{fLang}
	case query.FieldSection:
		return []field{fSection}
	}
	return []field{fTag}
}

func isKeyword(name string) bool {
	switch name {
	case query.FieldOutlet, query.FieldLang, query.FieldSection, query.FieldTag:
		return true
	}
	return false
}

// node is a compiled part of the query.
type node interface{ match(d *Doc) bool }

type compiler struct {
	langs []string // the languages stem candidates are looked up in
}

// node compiles n; nil means neutral: n analyses to no word (punctuation
// only) and is dropped from its parent, as the store backends drop it.
func (c compiler) node(n query.Node) node {
	switch n := n.(type) {
	case *query.Term:
		return c.word(n.Field, n.Text, n.Prefix, false)
	case *query.Phrase:
		return c.word(n.Field, n.Text, false, true)
	case *query.Not:
		if ch := c.node(n.Child); ch != nil {
			return &allOf{mustNot: []node{ch}}
		}
		return nil
	case *query.And:
		a := &allOf{}
		for _, ch := range n.Children {
			if not, ok := ch.(*query.Not); ok {
				if x := c.node(not.Child); x != nil {
					a.mustNot = append(a.mustNot, x)
				}
				continue
			}
			if x := c.node(ch); x != nil {
				a.must = append(a.must, x)
			}
		}
		switch {
		case len(a.must) == 0 && len(a.mustNot) == 0:
			return nil
		case len(a.mustNot) == 0 && len(a.must) == 1:
			return a.must[0]
		}
		return a
	case *query.Or:
		var o anyOf
		for _, ch := range n.Children {
			if x := c.node(ch); x != nil {
				o = append(o, x)
			}
		}
		switch len(o) {
		case 0:
			return nil
		case 1:
			return o[0]
		}
		return o
	}
	return nil // *query.MatchAll
}

// word compiles a term or a phrase, on the default fields or on one.
func (c compiler) word(fieldName, text string, prefix, phrase bool) node {
	fields := fieldsFor(fieldName)
	if prefix {
		p := words.Fold(text)
		ps := []string{p}
		if u := words.Unaccent(p); u != p && !isKeyword(fieldName) {
			ps = append(ps, u)
		}
		return &prefixOf{fields: fields, prefixes: ps}
	}
	if isKeyword(fieldName) {
		if strings.TrimSpace(text) == "" {
			return nil
		}
		return &keywordIs{field: fields[0], value: words.Fold(text)}
	}
	terms := queryTerms(text)
	if len(terms) == 0 {
		return nil
	}
	loose := fieldName == "" && !phrase
	var alts anyOf
	if len(terms) == 1 {
		forms := terms[0]
		if !loose {
			forms = forms[:1]
		}
		alts = append(alts, &termIn{fields: fields, forms: forms})
	} else {
		exact := make([]string, len(terms))
		for i, pos := range terms {
			exact[i] = pos[0]
		}
		alts = append(alts, &phraseIn{fields: fields, terms: exact})
	}
	if loose {
		if s := c.stems(terms); s != nil {
			alts = append(alts, s)
		}
	}
	if len(alts) == 1 {
		return alts[0]
	}
	return alts
}

// queryTerms analyses query text as the store analyses query words: the
// words in order, each its folded form first and its form without
// diacritics second when that differs.
func queryTerms(text string) [][]string {
	ws := words.Split(text)
	out := make([][]string, 0, len(ws))
	for _, w := range ws {
		if w.Term == "" {
			continue
		}
		pos := []string{w.Term}
		if u := words.Unaccent(w.Term); u != w.Term {
			pos = append(pos, u)
		}
		out = append(out, pos)
	}
	return out
}

// stems matches a word by its stem candidates in each query language whose
// script it is written in: every part of the word ("COVID-19" has two)
// has a candidate among the stem candidates of the article's words (in an
// article of that language), or, for a candidate other than the word
// itself, among the article's words.
func (c compiler) stems(terms [][]string) node {
	var perLang anyOf
	for _, lang := range c.langs {
		var parts []stemPart
		for _, pos := range terms {
			w := pos[0]
			if !slices.Contains(words.ScriptLangs(w), lang) {
				continue
			}
			var p stemPart
			for _, cand := range words.Stems(lang, w) {
				p.cands = append(p.cands, cand)
				p.inText = append(p.inText, cand != w && cand != words.Unaccent(w))
			}
			if len(p.cands) > 0 {
				parts = append(parts, p)
			}
		}
		if len(parts) > 0 {
			perLang = append(perLang, &stemsIn{lang: lang, parts: parts})
		}
	}
	switch len(perLang) {
	case 0:
		return nil
	case 1:
		return perLang[0]
	}
	return perLang
}

// allOf matches when every must matches and no mustNot does (no must:
// every article but the mustNot ones).
type allOf struct{ must, mustNot []node }

func (a *allOf) match(d *Doc) bool {
	for _, n := range a.must {
		if !n.match(d) {
			return false
		}
	}
	for _, n := range a.mustNot {
		if n.match(d) {
			return false
		}
	}
	return true
}

// anyOf matches when one of its nodes does.
type anyOf []node

func (o anyOf) match(d *Doc) bool {
	for _, n := range o {
		if n.match(d) {
			return true
		}
	}
	return false
}

// termIn: one of forms is a word of one of fields.
type termIn struct {
	fields []field
	forms  []string
}

func (t *termIn) match(d *Doc) bool {
	for _, f := range t.fields {
		for _, form := range t.forms {
			if d.has(f, form) {
				return true
			}
		}
	}
	return false
}

// phraseIn: terms are consecutive words of one of fields (of one author
// for the author field).
type phraseIn struct {
	fields []field
	terms  []string
}

func (p *phraseIn) match(d *Doc) bool {
	for _, f := range p.fields {
		for _, seq := range d.sequences(f) {
			if containsRun(seq, p.terms) {
				return true
			}
		}
	}
	return false
}

func containsRun(seq, run []string) bool {
	for i := 0; i+len(run) <= len(seq); i++ {
		if seq[i] != run[0] {
			continue
		}
		ok := true
		for j := 1; j < len(run); j++ {
			if seq[i+j] != run[j] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// prefixOf: a word of one of fields (a whole folded value for the keyword
// fields) starts with one of prefixes.
type prefixOf struct {
	fields   []field
	prefixes []string
}

func (p *prefixOf) match(d *Doc) bool {
	for _, f := range p.fields {
		terms := d.sortedTerms(f)
		for _, pre := range p.prefixes {
			if i, _ := slices.BinarySearch(terms, pre); i < len(terms) && strings.HasPrefix(terms[i], pre) {
				return true
			}
		}
	}
	return false
}

// keywordIs: the keyword field has the folded value.
type keywordIs struct {
	field field
	value string
}

func (k *keywordIs) match(d *Doc) bool { return d.has(k.field, k.value) }

// stemPart is one word of a query word for stems: its candidates, and for
// each whether it is also looked up among the article's words.
type stemPart struct {
	cands  []string
	inText []bool
}

// stemsIn matches articles of stem language lang in which every part has
// a candidate.
type stemsIn struct {
	lang  string
	parts []stemPart
}

func (s *stemsIn) match(d *Doc) bool {
	if d.stemLang != s.lang {
		return false
	}
	stems := d.stemSet()
	for _, p := range s.parts {
		found := false
		for i, c := range p.cands {
			if _, ok := stems[c]; ok || (p.inText[i] && (d.has(fTitle, c) || d.has(fBody, c))) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// Doc is an article analysed for matching: its words per field, folded as
// the store indexes them. It is safe for concurrent use by many matchers.
type Doc struct {
	A *article.Article

	title, body []string   // words in order
	authors     [][]string // the words of each author
	titleSet    map[string]struct{}
	bodySet     map[string]struct{}
	authorSet   map[string]struct{}
	authorNames []string // folded whole names (the author filter)
	outlet      string
	lang        string
	section     string
	tags        []string
	stemLang    string

	stemsOnce sync.Once
	stems     map[string]struct{}
	sortOnce  sync.Once
	sorted    [fTag + 1][]string // per field, for prefixes
}

// NewDoc analyses a. a must not change while the Doc is in use.
func NewDoc(a *article.Article) *Doc {
	d := &Doc{A: a, outlet: words.Fold(a.Outlet), lang: words.Fold(a.Language), section: words.Fold(a.Section),
		stemLang: words.LangOf(a.Language)}
	d.title, d.titleSet = split(a.Title)
	d.body, d.bodySet = split(a.LeadAndBody())
	d.authorSet = map[string]struct{}{}
	for _, au := range a.Authors {
		ws, _ := split(au)
		d.authors = append(d.authors, ws)
		for _, w := range ws {
			d.authorSet[w] = struct{}{}
		}
		d.authorNames = append(d.authorNames, words.Fold(au))
	}
	for _, t := range a.Tags {
		d.tags = append(d.tags, words.Fold(t))
	}
	return d
}

func split(text string) ([]string, map[string]struct{}) {
	ws := words.Split(text)
	seq := make([]string, 0, len(ws))
	set := make(map[string]struct{}, len(ws))
	for _, w := range ws {
		if w.Term == "" {
			continue
		}
		seq = append(seq, w.Term)
		set[w.Term] = struct{}{}
	}
	return seq, set
}

// has reports whether field f holds the folded word (a text field) or
// value (a keyword field) w.
func (d *Doc) has(f field, w string) bool {
	var ok bool
	switch f {
	case fTitle:
		_, ok = d.titleSet[w]
	case fBody:
		_, ok = d.bodySet[w]
	case fAuthor:
		_, ok = d.authorSet[w]
	case fOutlet:
		ok = d.outlet == w
	case fLang:
		ok = d.lang == w
	case fSection:
		ok = d.section == w
	case fTag:
		ok = slices.Contains(d.tags, w)
	}
	return ok
}

// sortedTerms are the distinct words (values) of field f, sorted.
func (d *Doc) sortedTerms(f field) []string {
	d.sortOnce.Do(func() {
		for i, set := range []map[string]struct{}{d.titleSet, d.bodySet, d.authorSet} {
			d.sorted[i] = slices.Sorted(maps.Keys(set))
		}
		for i, v := range []string{d.outlet, d.lang, d.section} {
			if v != "" {
				d.sorted[3+i] = []string{v}
			}
		}
		d.sorted[fTag] = slices.Sorted(slices.Values(d.tags))
	})
	return d.sorted[f]
}

// sequences are the word sequences of a text field a phrase must lie in.
func (d *Doc) sequences(f field) [][]string {
	switch f {
	case fTitle:
		return [][]string{d.title}
	case fBody:
		return [][]string{d.body}
	case fAuthor:
		return d.authors
	}
	return nil
}

// stemSet is the article's stem field: the stem candidates in its stem
// language of the words of its title, lead and body, each word's own form
// left out (the text fields hold it).
func (d *Doc) stemSet() map[string]struct{} {
	d.stemsOnce.Do(func() {
		d.stems = map[string]struct{}{}
		if d.stemLang == "" {
			return
		}
		seen := make(map[string]struct{}, len(d.titleSet)+len(d.bodySet))
		for _, set := range []map[string]struct{}{d.titleSet, d.bodySet} {
			for w := range set {
				if _, ok := seen[w]; ok {
					continue
				}
				seen[w] = struct{}{}
				for _, s := range words.Stems(d.stemLang, w) {
					if s != w {
						d.stems[s] = struct{}{}
					}
				}
			}
		}
	})
	return d.stems
}
