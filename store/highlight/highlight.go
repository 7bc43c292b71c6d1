// Package highlight marks what a search query matched in an article, for
// every store alike. The article's title, lead and body are analysed again
// with the stores' own rules (store/words) and every word that matches the
// query - in its exact form, without diacritics, through a stem candidate,
// a prefix or as part of a phrase - is marked; words under NOT are not.
// Fragments of the lead and body begin and end at word boundaries, stay
// within a paragraph and show as many different matched forms as they can;
// a body that repeats the lead is not marked twice.
//
// store/bleve and store/elastic both use it, so a stem-only match ("Gəncə"
// finding "Gəncədə") is marked on either store: an engine's own highlighter
// cannot see stem candidates kept in separate fields.
package highlight

import (
	"html"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/store/query"
	"github.com/newswatch/newswatch/store/words"
)

// Style is how marks are written.
type Style string

// Styles.
const (
	HTML Style = "html" // matches wrapped in <mark>...</mark>, text HTML-escaped
	ANSI Style = "ansi" // matches in ANSI colour (yellow background), for terminals
	None Style = "none" // no highlights
)

// ANSI escapes around a match (as bleve's ansi highlighter writes them).
const (
	ansiMark  = "\x1b[43m"
	ansiReset = "\x1b[0m"
)

// Fragment sizes, in characters.
const (
	fragmentSize    = 200 // a fragment is about this long
	fragmentContext = 60  // characters kept before the first mark
	maxFragments    = 3   // per field
)

// The article fields highlights are given for, by their names in
// store.Hit.Highlights.
const (
	hlTitle = "title"
	hlLead  = "lead"
	hlBody  = "body"
)

var highlightFields = []string{hlTitle, hlLead, hlBody}

// Highlighter knows what the positive words of a query match. It is not
// safe for concurrent use (it remembers the stem candidates of the words it
// has seen); compile one per search.
type Highlighter struct {
	langs []string // languages whose stem candidates are looked up
	// exact holds terms of words without a field, by the article field
	// they may match in ("" for any); fielded words use the field name.
	exact map[string]map[string]bool
	stems map[string]map[string]bool // language -> stem candidates
	// stemHeads holds the first one to three letters of the candidates:
	// a word whose beginning is not among them shares no candidate (stems
	// keep the beginning of the word), so most words skip words.Stems.
	stemHeads map[string]map[string]bool
	cands     map[string][]string // language + word -> its candidates, for the whole page
	pre       []prefixMatch
	phr       []phraseMatch
}

type prefixMatch struct {
	fields  []string // nil: any
	pfx     []string // folded, and without diacritics
	keyword bool
}

type phraseMatch struct {
	fields []string   // nil: any
	terms  [][]string // per position: its terms
}

// Compile collects the positive words of a parsed query. langs are the
// languages whose stem candidates words are looked up under: those of the
// query's language filter (words.QueryLangs), all of them when it has none.
func Compile(n query.Node, langs []string) *Highlighter {
	m := &Highlighter{langs: langs, exact: map[string]map[string]bool{}, stems: map[string]map[string]bool{},
		stemHeads: map[string]map[string]bool{}, cands: map[string][]string{}}
	if n != nil {
		m.collect(n)
	}
	for lang, cs := range m.stems {
		heads := map[string]bool{}
		for c := range cs {
			heads[head(c, 3)] = true
		}
		m.stemHeads[lang] = heads
	}
	return m
}

// articleFields are the highlighted fields a query field restricts to
// (nil: all of them).
func articleFields(field string) ([]string, bool) {
	switch field {
	case "":
		return nil, true
	case query.FieldTitle:
		return []string{hlTitle}, true
	case query.FieldBody:
		return []string{hlLead, hlBody}, true
	}
	return nil, false // author, section, ...: nothing highlighted in the text
}

func (m *Highlighter) collect(n query.Node) {
	switch n := n.(type) {
	case *query.And:
		for _, c := range n.Children {
			m.collect(c)
		}
	case *query.Or:
		for _, c := range n.Children {
			m.collect(c)
		}
	case *query.Not:
		// Excluded words are not in the matching articles.
	case *query.Term:
		fields, ok := articleFields(n.Field)
		if !ok {
			return
		}
		if n.Prefix {
			p := words.Fold(n.Text)
			m.pre = append(m.pre, prefixMatch{fields: fields, pfx: distinct(p, words.Unaccent(p))})
			return
		}
		terms := textTerms(n.Text)
		if len(terms) > 1 {
			m.phr = append(m.phr, phraseMatch{fields: fields, terms: terms})
		} else if len(terms) == 1 {
			m.addExact(fields, terms[0])
		}
		if n.Field == "" {
			for _, lang := range m.langs {
				for _, pos := range terms {
					if !slices.Contains(words.ScriptLangs(pos[0]), lang) {
						continue
					}
					for _, c := range words.Stems(lang, pos[0]) {
						if m.stems[lang] == nil {
							m.stems[lang] = map[string]bool{}
						}
						m.stems[lang][c] = true
					}
				}
			}
		}
	case *query.Phrase:
		fields, ok := articleFields(n.Field)
		if !ok {
			return
		}
		terms := textTerms(n.Text)
		if len(terms) == 1 {
			m.addExact(fields, terms[0])
		} else if len(terms) > 1 {
			m.phr = append(m.phr, phraseMatch{fields: fields, terms: terms})
		}
	}
}

func (m *Highlighter) addExact(fields []string, terms []string) {
	if fields == nil {
		fields = []string{""}
	}
	for _, f := range fields {
		if m.exact[f] == nil {
			m.exact[f] = map[string]bool{}
		}
		for _, t := range terms {
			m.exact[f][t] = true
		}
	}
}

// Empty reports whether the query has no word to mark (only excluded
// words, or none).
func (m *Highlighter) Empty() bool {
	return len(m.exact) == 0 && len(m.stems) == 0 && len(m.pre) == 0 && len(m.phr) == 0
}

// span is a marked stretch of text, in bytes.
type span struct{ start, end int }

// word is one analysed position of a text.
type word struct {
	start, end int
	terms      []string // exact form, then the form without diacritics
}

// words analyses text as the stores' text fields do (words.Split, each
// word in its folded form and, when it differs, without diacritics).
func (m *Highlighter) words(text string) []word {
	ws := words.Split(text)
	out := make([]word, 0, len(ws))
	for _, w := range ws {
		if w.Term == "" {
			continue
		}
		out = append(out, word{start: w.Start, end: w.End, terms: variants(w.Term)})
	}
	return out
}

// textTerms analyses query text the same way: per word, its forms.
func textTerms(text string) [][]string {
	var out [][]string
	for _, w := range words.Split(text) {
		if w.Term != "" {
			out = append(out, variants(w.Term))
		}
	}
	return out
}

// variants is a folded word and, when it differs, the word without
// diacritics.
func variants(term string) []string {
	return distinct(term, words.Unaccent(term))
}

func inFields(fields []string, f string) bool {
	return fields == nil || slices.Contains(fields, f)
}

// marks returns the spans of text (the article field f, in language lang)
// that the query matches, in order, not overlapping.
func (m *Highlighter) marks(f, text, lang string) []span {
	ws := m.words(text)
	hit := make([]bool, len(ws))
	lang = words.LangOf(lang)
	stems, heads := m.stems[lang], m.stemHeads[lang]
	for i, w := range ws {
		for _, t := range w.terms {
			if m.exact[""][t] || m.exact[f][t] {
				hit[i] = true
			}
		}
		if !hit[i] && stems != nil && m.mayShareStem(heads, w.terms[len(w.terms)-1]) {
			key := lang + "\x00" + w.terms[0]
			c, ok := m.cands[key]
			if !ok {
				c = words.Stems(lang, w.terms[0])
				m.cands[key] = c
			}
			for _, s := range c {
				if stems[s] {
					hit[i] = true
					break
				}
			}
		}
		if !hit[i] {
			for _, p := range m.pre {
				if !inFields(p.fields, f) {
					continue
				}
				for _, t := range w.terms {
					for _, pf := range p.pfx {
						if strings.HasPrefix(t, pf) {
							hit[i] = true
						}
					}
				}
			}
		}
	}
	for _, p := range m.phr {
		if !inFields(p.fields, f) {
			continue
		}
		for i := 0; i+len(p.terms) <= len(ws); i++ {
			ok := true
			for j, want := range p.terms {
				if !meets(ws[i+j].terms, want) {
					ok = false
					break
				}
			}
			if ok {
				for j := range p.terms {
					hit[i+j] = true
				}
			}
		}
	}
	var out []span
	for i, w := range ws {
		if hit[i] {
			out = append(out, span{w.start, w.end})
		}
	}
	return out
}

// mayShareStem tells whether a word (without diacritics) begins as one of
// the candidates does.
func (m *Highlighter) mayShareStem(heads map[string]bool, plain string) bool {
	for n := 1; n <= 3; n++ {
		if heads[head(plain, n)] {
			return true
		}
	}
	return false
}

// head returns the first n letters of s (all of s when shorter).
func head(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

func meets(a, b []string) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}

// Article returns the fragments of the article's fields that mark what
// the query matched, by field (title, lead, body); nil when nothing is
// marked.
func (m *Highlighter) Article(a *article.Article, style Style) map[string][]string {
	if m.Empty() || style == None {
		return nil
	}
	texts := map[string]string{hlTitle: a.Title, hlLead: a.Lead, hlBody: a.Body}
	out := map[string][]string{}
	for _, f := range highlightFields {
		text := texts[f]
		if text == "" {
			continue
		}
		spans := m.marks(f, text, a.Language)
		if f == hlBody {
			if start, end, ok := a.LeadInBody(); ok {
				spans = outside(spans, span{start, end})
			}
		}
		if len(spans) == 0 {
			continue
		}
		var frags []string
		if f == hlTitle {
			frags = []string{render(text, span{0, len(text)}, span{0, len(text)}, spans, style)}
		} else {
			frags = fragments(text, spans, style)
		}
		out[f] = frags
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// outside drops the spans inside skip.
func outside(spans []span, skip span) []span {
	out := spans[:0]
	for _, s := range spans {
		if s.start >= skip.start && s.end <= skip.end {
			continue
		}
		out = append(out, s)
	}
	return out
}

// fragments cuts text into at most maxFragments fragments of about
// fragmentSize characters around the marked spans. Fragments begin and
// end at white space (whole words, with their punctuation), stay within a
// paragraph and are chosen to show as many different marked words as
// possible, in text order; a cut is shown as "…".
func fragments(text string, spans []span, style Style) []string {
	type frag struct {
		start, end int
		para       span
		spans      []span
		forms      map[string]bool
	}
	var cands []frag
	for i := 0; i < len(spans); {
		s := spans[i]
		para := paragraphOf(text, s.start)
		var fr *frag
		switch last := len(cands) - 1; {
		case last >= 0 && cands[last].para == para && s.start-cands[last].end <= fragmentContext &&
			utf8.RuneCountInString(text[cands[last].start:s.end]) <= 2*fragmentSize:
			// Close to the previous fragment: it grows to hold this mark.
			fr = &cands[last]
			fr.end = wordEndAfter(text, s.end, fragmentContext, para.end, s.end)
		default:
			start, end := para.start, para.end // a short paragraph is shown whole
			if utf8.RuneCountInString(text[para.start:para.end]) > fragmentSize*3/2 {
				floor := para.start
				if last >= 0 && cands[last].para == para {
					floor = cands[last].end
				}
				start = wordStartBefore(text, s.start, fragmentContext, floor)
				end = wordEndAfter(text, start, fragmentSize, para.end, s.end)
			}
			cands = append(cands, frag{start: start, end: end, para: para, forms: map[string]bool{}})
			fr = &cands[len(cands)-1]
		}
		j := i
		for ; j < len(spans) && spans[j].end <= fr.end; j++ {
			if spans[j].start >= fr.start {
				fr.spans = append(fr.spans, spans[j])
				fr.forms[strings.ToLower(text[spans[j].start:spans[j].end])] = true
			}
		}
		i = max(j, i+1)
	}
	// Greedy: the fragment showing the most forms not shown yet.
	shown := map[string]bool{}
	var chosen []frag
	used := make([]bool, len(cands))
	for len(chosen) < maxFragments {
		best, bestNew := -1, 0
		for k, c := range cands {
			if used[k] {
				continue
			}
			n := 0
			for f := range c.forms {
				if !shown[f] {
					n++
				}
			}
			if n > bestNew {
				best, bestNew = k, n
			}
		}
		if best < 0 {
			break
		}
		used[best] = true
		chosen = append(chosen, cands[best])
		for f := range cands[best].forms {
			shown[f] = true
		}
	}
	sort.Slice(chosen, func(i, j int) bool { return chosen[i].start < chosen[j].start })
	out := make([]string, len(chosen))
	for i, c := range chosen {
		out[i] = render(text, span{c.start, c.end}, c.para, c.spans, style)
	}
	return out
}

// paragraphOf returns the paragraph (text between blank lines) holding
// byte i.
func paragraphOf(text string, i int) span {
	start := strings.LastIndex(text[:i], "\n\n")
	if start < 0 {
		start = 0
	} else {
		start += 2
	}
	end := strings.Index(text[i:], "\n\n")
	if end < 0 {
		end = len(text)
	} else {
		end += i
	}
	return span{start, end}
}

// wordStartBefore returns where to start a fragment so that about context
// characters come before byte i: the start of a word (after white space),
// not before floor.
func wordStartBefore(text string, i, context, floor int) int {
	j := i
	for n := 0; j > floor && n < context; n++ {
		_, size := utf8.DecodeLastRuneInString(text[floor:j])
		j -= size
	}
	if j <= floor {
		// At the floor (a paragraph start or the end of the fragment
		// before): skip the white space there.
		for j < i {
			r, size := utf8.DecodeRuneInString(text[j:])
			if !unicode.IsSpace(r) {
				break
			}
			j += size
		}
		return j
	}
	// Move forward to the next word start, so no word is cut.
	for j < i {
		r, size := utf8.DecodeRuneInString(text[j:])
		prev, _ := utf8.DecodeLastRuneInString(text[:j])
		if !unicode.IsSpace(r) && unicode.IsSpace(prev) {
			return j
		}
		j += size
	}
	return i
}

// wordEndAfter returns where to end a fragment that starts at start: after
// about size characters, at the end of a word (before white space), not
// after ceil, and not before must.
func wordEndAfter(text string, start, size, ceil, must int) int {
	j := start
	for n := 0; j < ceil && n < size; n++ {
		_, s := utf8.DecodeRuneInString(text[j:ceil])
		j += s
	}
	if j < must {
		j = must
	}
	if j >= ceil {
		return ceil
	}
	// Move back to the end of a word, but not before must.
	k := j
	for k > must {
		r, _ := utf8.DecodeRuneInString(text[k:])
		prev, s := utf8.DecodeLastRuneInString(text[:k])
		if unicode.IsSpace(r) && !unicode.IsSpace(prev) {
			return k
		}
		k -= s
	}
	// No white space between must and j: go forward to the word's end.
	for j < ceil {
		r, s := utf8.DecodeRuneInString(text[j:])
		if unicode.IsSpace(r) {
			break
		}
		j += s
	}
	return j
}

// render writes the fragment fr of text with the spans marked in the
// style, and "…" where it cuts its paragraph para.
func render(text string, fr, para span, spans []span, style Style) string {
	start, end := fr.start, fr.end
	open, close := "<mark>", "</mark>"
	esc := html.EscapeString
	if style == ANSI {
		open, close = ansiMark, ansiReset
		esc = func(s string) string { return s }
	}
	var b strings.Builder
	if start > para.start {
		b.WriteString("…")
	}
	cur := start
	for _, s := range spans {
		if s.start < cur || s.end > end {
			continue
		}
		b.WriteString(esc(text[cur:s.start]))
		b.WriteString(open)
		b.WriteString(esc(text[s.start:s.end]))
		b.WriteString(close)
		cur = s.end
	}
	b.WriteString(esc(text[cur:end]))
	if end < para.end {
		b.WriteString("…")
	}
	return b.String()
}

// distinct returns a and b, or a alone when they are equal.
func distinct(a, b string) []string {
	if a == b {
		return []string{a}
	}
	return []string{a, b}
}
