// Package query parses the search language of the q parameter into a
// store-agnostic syntax tree that each store backend translates into its
// own query (store/bleve, store/elastic).
//
// The language, for news analysts:
//
//	word                     a term; matched case-insensitively after analysis
//	"exact phrase"           the words in that order
//	a b                      both (implicit AND)
//	a AND b, a && b          both
//	a OR b, a || b           either
//	NOT a, -a, !a            exclude
//	( ... )                  grouping
//	field:word, field:"p"    restrict to a field: title, body, author, section,
//	field:( ... )            outlet, lang, tag
//	word*                    prefix
//
// Operators are upper case; lower-case "and", "or", "not" are ordinary
// words. AND binds tighter than OR. A query made only of exclusions
// ("-sport") matches every article except those.
package query

import (
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/newswatch/newswatch/store"
)

// Limits that keep parsing (and the backend query built from it) bounded.
const (
	MaxLength = 4096 // bytes of query text
	MaxDepth  = 32   // nesting of parentheses and NOT
	MaxTerms  = 256  // terms and phrases in one query
)

// MinPrefix is the fewest letters a word* may have: shorter prefixes match
// too many words to be useful.
const MinPrefix = 2

// Fields a term may be restricted to.
const (
	FieldTitle   = "title"
	FieldBody    = "body" // lead and body
	FieldAuthor  = "author"
	FieldSection = "section"
	FieldOutlet  = "outlet"
	FieldLang    = "lang"
	FieldTag     = "tag"
)

// Fields lists every field name the language accepts.
var Fields = []string{FieldTitle, FieldBody, FieldAuthor, FieldSection, FieldOutlet, FieldLang, FieldTag}

func knownField(f string) bool {
	for _, k := range Fields {
		if k == f {
			return true
		}
	}
	return false
}

// Node is a node of the syntax tree: *Term, *Phrase, *And, *Or, *Not or
// *MatchAll.
type Node interface {
	// String renders the node in canonical query syntax.
	String() string
	node()
}

// Term is one word. Field is empty for the default fields (title, lead,
// body). Prefix is set for word*.
type Term struct {
	Field  string
	Text   string
	Prefix bool
	Pos    int // byte offset in the query text
}

// Phrase is a quoted phrase.
type Phrase struct {
	Field string
	Text  string
	Pos   int
}

// And matches when every child matches.
type And struct{ Children []Node }

// Or matches when any child matches.
type Or struct{ Children []Node }

// Not matches when Child does not.
type Not struct{ Child Node }

// MatchAll matches every article (the empty query).
type MatchAll struct{}

func (*Term) node()     {}
func (*Phrase) node()   {}
func (*And) node()      {}
func (*Or) node()       {}
func (*Not) node()      {}
func (*MatchAll) node() {}

func fieldPrefix(f string) string {
	if f == "" {
		return ""
	}
	return f + ":"
}

func (t *Term) String() string {
	s := fieldPrefix(t.Field) + quoteWord(t.Text)
	if t.Prefix {
		s += "*"
	}
	return s
}

func (p *Phrase) String() string {
	return fieldPrefix(p.Field) + `"` + p.Text + `"`
}

func (a *And) String() string { return join(a.Children, " AND ") }
func (o *Or) String() string  { return join(o.Children, " OR ") }
func (n *Not) String() string { return "NOT " + n.Child.String() }

// String of MatchAll is the empty query.
func (*MatchAll) String() string { return "" }

func join(ns []Node, sep string) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = n.String()
	}
	return "(" + strings.Join(parts, sep) + ")"
}

// quoteWord quotes a word that would not read back as one word.
func quoteWord(w string) string {
	if w == "" || strings.ContainsAny(w, "()\"") || w == "AND" || w == "OR" || w == "NOT" {
		return `"` + w + `"`
	}
	return w
}

// SyntaxError is a malformed query. It wraps store.ErrBadQuery.
type SyntaxError struct {
	Pos    int // byte offset of the problem in the query text
	Column int // 1-based column in characters, for people
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("query syntax error at column %d: %s", e.Column, e.Msg)
}

// Unwrap makes errors.Is(err, store.ErrBadQuery) true.
func (e *SyntaxError) Unwrap() error { return store.ErrBadQuery }

// Parse parses query text. Blank text gives *MatchAll. Errors are
// *SyntaxError and wrap store.ErrBadQuery.
func Parse(text string) (Node, error) {
	if len(text) > MaxLength {
		return nil, &SyntaxError{Pos: MaxLength, Column: utf8.RuneCountInString(text[:MaxLength]) + 1,
			Msg: fmt.Sprintf("query is longer than %d bytes", MaxLength)}
	}
	if !utf8.ValidString(text) {
		i := 0
		for i < len(text) {
			r, n := utf8.DecodeRuneInString(text[i:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			i += n
		}
		return nil, &SyntaxError{Pos: i, Column: utf8.RuneCountInString(text[:i]) + 1, Msg: "query is not valid UTF-8"}
	}
	toks, err := lex(text)
	if err != nil {
		return nil, err
	}
	p := &parser{text: text, toks: toks}
	if len(toks) == 1 { // only EOF
		return &MatchAll{}, nil
	}
	n, err := p.parseOr("", 0)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		if t.kind == tRParen {
			return nil, p.errAt(t.pos, "unbalanced ')': no '(' to close")
		}
		return nil, p.errAt(t.pos, fmt.Sprintf("unexpected %s", t.describe()))
	}
	return n, nil
}

type tokKind int

const (
	tEOF tokKind = iota
	tWord
	tPhrase
	tField // "title:" — text holds the field name
	tAnd
	tOr
	tNot   // NOT, !
	tMinus // -word
	tLParen
	tRParen
)

type token struct {
	kind   tokKind
	text   string
	pos    int
	prefix bool // word*
}

func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of query"
	case tWord:
		return "word " + store.Echo(t.text)
	case tPhrase:
		return "phrase"
	case tField:
		return fmt.Sprintf("field %q", t.text+":")
	case tAnd:
		return "AND"
	case tOr:
		return "OR"
	case tNot:
		return "NOT"
	case tMinus:
		return "'-'"
	case tLParen:
		return "'('"
	case tRParen:
		return "')'"
	}
	return "token"
}

func isSpace(r rune) bool { return unicode.IsSpace(r) }

func errAtText(text string, pos int, msg string) *SyntaxError {
	if pos > len(text) {
		pos = len(text)
	}
	return &SyntaxError{Pos: pos, Column: utf8.RuneCountInString(text[:pos]) + 1, Msg: msg}
}

// lex splits text into tokens. Words end at space, parentheses and quotes.
func lex(text string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(text) {
		r, n := utf8.DecodeRuneInString(text[i:])
		switch {
		case isSpace(r):
			i += n
		case r == '(':
			toks = append(toks, token{kind: tLParen, pos: i})
			i += n
		case r == ')':
			toks = append(toks, token{kind: tRParen, pos: i})
			i += n
		case r == '"' || r == '“' || r == '”' || r == '«' || r == '»' || r == '„':
			start := i
			i += n
			end := strings.IndexFunc(text[i:], func(r rune) bool {
				return r == '"' || r == '“' || r == '”' || r == '«' || r == '»' || r == '„'
			})
			if end < 0 {
				return nil, errAtText(text, start, "unbalanced quote: phrase is not closed")
			}
			ph := text[i : i+end]
			_, cn := utf8.DecodeRuneInString(text[i+end:])
			i += end + cn
			toks = append(toks, token{kind: tPhrase, text: strings.Join(strings.Fields(ph), " "), pos: start})
		case r == '-' || r == '!':
			// An exclusion only when it starts a word: "-sport", "!sport".
			next, _ := utf8.DecodeRuneInString(text[i+n:])
			if i+n < len(text) && !isSpace(next) && next != ')' {
				toks = append(toks, token{kind: tMinus, pos: i})
				if r == '!' {
					toks[len(toks)-1].kind = tNot
				}
				i += n
				continue
			}
			if r == '-' { // a lone dash is punctuation, not a term
				i += n
				continue
			}
			return nil, errAtText(text, i, "'!' must be followed by what to exclude")
		case r == '&' && strings.HasPrefix(text[i:], "&&"):
			toks = append(toks, token{kind: tAnd, pos: i})
			i += 2
		case r == '|' && strings.HasPrefix(text[i:], "||"):
			toks = append(toks, token{kind: tOr, pos: i})
			i += 2
		default:
			start := i
			for i < len(text) {
				r, n := utf8.DecodeRuneInString(text[i:])
				if isSpace(r) || r == '(' || r == ')' || r == '"' || r == '“' || r == '”' || r == '«' || r == '»' || r == '„' {
					break
				}
				i += n
			}
			w := text[start:i]
			// field prefix: letters followed by ':' and something right after.
			if c := strings.IndexByte(w, ':'); c > 0 && isFieldName(w[:c]) {
				name := strings.ToLower(w[:c])
				if !knownField(name) {
					return nil, errAtText(text, start, fmt.Sprintf("unknown field %q (fields: %s)", w[:c], strings.Join(sortedFields(), ", ")))
				}
				rest := w[c+1:]
				toks = append(toks, token{kind: tField, text: name, pos: start})
				if rest == "" {
					if i >= len(text) {
						return nil, errAtText(text, start, fmt.Sprintf("field %q needs a value", name+":"))
					}
					nr, _ := utf8.DecodeRuneInString(text[i:])
					if isSpace(nr) || nr == ')' {
						return nil, errAtText(text, start, fmt.Sprintf("field %q needs a value", name+":"))
					}
					continue
				}
				toks = append(toks, wordToken(rest, start+c+1))
				continue
			}
			switch w {
			case "AND":
				toks = append(toks, token{kind: tAnd, pos: start})
			case "OR":
				toks = append(toks, token{kind: tOr, pos: start})
			case "NOT":
				toks = append(toks, token{kind: tNot, pos: start})
			default:
				toks = append(toks, wordToken(w, start))
			}
		}
	}
	toks = append(toks, token{kind: tEOF, pos: len(text)})
	return toks, nil
}

func wordToken(w string, pos int) token {
	t := token{kind: tWord, text: w, pos: pos}
	if len(w) > 1 && strings.HasSuffix(w, "*") {
		t.text = strings.TrimRight(w, "*")
		t.prefix = t.text != ""
		if !t.prefix {
			t.text = w
		}
	}
	return t
}

func isFieldName(s string) bool {
	if len(s) > 16 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_') {
			return false
		}
	}
	return true
}

func sortedFields() []string {
	f := append([]string(nil), Fields...)
	sort.Strings(f)
	return f
}

type parser struct {
	text  string
	toks  []token
	i     int
	terms int
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) errAt(pos int, msg string) error { return errAtText(p.text, pos, msg) }

func (p *parser) depthErr(pos, depth int) error {
	if depth > MaxDepth {
		return p.errAt(pos, fmt.Sprintf("query nests deeper than %d levels", MaxDepth))
	}
	return nil
}

// parseOr: and ( OR and )*
func (p *parser) parseOr(field string, depth int) (Node, error) {
	first, err := p.parseAnd(field, depth)
	if err != nil {
		return nil, err
	}
	children := []Node{first}
	for p.peek().kind == tOr {
		op := p.next()
		if k := p.peek().kind; k == tEOF || k == tRParen || k == tOr || k == tAnd {
			return nil, p.errAt(op.pos, "OR needs something on both sides")
		}
		n, err := p.parseAnd(field, depth)
		if err != nil {
			return nil, err
		}
		children = append(children, n)
	}
	return group(flatten(children, true), true), nil
}

// parseAnd: unary ( [AND] unary )*
func (p *parser) parseAnd(field string, depth int) (Node, error) {
	first, err := p.parseUnary(field, depth)
	if err != nil {
		return nil, err
	}
	children := []Node{first}
	for {
		t := p.peek()
		if t.kind == tAnd {
			p.next()
			if k := p.peek().kind; k == tEOF || k == tRParen || k == tOr || k == tAnd {
				return nil, p.errAt(t.pos, "AND needs something on both sides")
			}
		} else if t.kind == tEOF || t.kind == tRParen || t.kind == tOr {
			break
		}
		n, err := p.parseUnary(field, depth)
		if err != nil {
			return nil, err
		}
		children = append(children, n)
	}
	return group(flatten(children, false), false), nil
}

// flatten merges nested groups of the same operator into one and drops
// repeated children (a OR a is a; see sameKey), so that repeating a term
// costs nothing.
func flatten(ns []Node, or bool) []Node {
	out := make([]Node, 0, len(ns))
	seen := make(map[string]bool, len(ns))
	add := func(n Node) {
		if k := sameKey(n); !seen[k] {
			seen[k] = true
			out = append(out, n)
		}
	}
	for _, n := range ns {
		if or {
			if o, ok := n.(*Or); ok {
				for _, c := range o.Children {
					add(c)
				}
				continue
			}
		} else if a, ok := n.(*And); ok {
			for _, c := range a.Children {
				add(c)
			}
			continue
		}
		add(n)
	}
	return out
}

// group is the node of children joined by AND or OR: the child itself when
// only one is left after flatten.
func group(children []Node, or bool) Node {
	switch {
	case len(children) == 1:
		return children[0]
	case or:
		return &Or{Children: children}
	}
	return &And{Children: children}
}

// sameKey is equal for nodes that match the same articles by the rules of
// the language: words and phrases match case-insensitively, except values
// of the keyword fields (outlet, lang, section, tag), which match exactly.
func sameKey(n Node) string {
	switch n := n.(type) {
	case *Term:
		if keywordField(n.Field) {
			return n.String()
		}
		return strings.ToLower(n.String())
	case *Phrase:
		if keywordField(n.Field) {
			return n.String()
		}
		return strings.ToLower(n.String())
	case *Not:
		return "NOT " + sameKey(n.Child)
	case *And:
		return joinKeys(n.Children, " AND ")
	case *Or:
		return joinKeys(n.Children, " OR ")
	}
	return n.String()
}

func joinKeys(ns []Node, sep string) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = sameKey(n)
	}
	return "(" + strings.Join(parts, sep) + ")"
}

func keywordField(f string) bool {
	return f == FieldOutlet || f == FieldLang || f == FieldSection || f == FieldTag
}

// parseUnary: (NOT | '-') unary | primary
func (p *parser) parseUnary(field string, depth int) (Node, error) {
	t := p.peek()
	switch t.kind {
	case tNot, tMinus:
		p.next()
		if err := p.depthErr(t.pos, depth+1); err != nil {
			return nil, err
		}
		if k := p.peek().kind; k == tEOF || k == tRParen || k == tOr || k == tAnd {
			return nil, p.errAt(t.pos, fmt.Sprintf("%s must be followed by what to exclude", t.describe()))
		}
		c, err := p.parseUnary(field, depth+1)
		if err != nil {
			return nil, err
		}
		if n, ok := c.(*Not); ok { // NOT NOT a == a
			return n.Child, nil
		}
		return &Not{Child: c}, nil
	}
	return p.parsePrimary(field, depth)
}

// parsePrimary: '(' or ')' | field ':' primary | word | phrase
func (p *parser) parsePrimary(field string, depth int) (Node, error) {
	t := p.next()
	switch t.kind {
	case tLParen:
		if err := p.depthErr(t.pos, depth+1); err != nil {
			return nil, err
		}
		if p.peek().kind == tRParen {
			return nil, p.errAt(t.pos, "empty parentheses")
		}
		n, err := p.parseOr(field, depth+1)
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tRParen {
			if c.kind == tEOF {
				return nil, p.errAt(t.pos, "unbalanced '(': no ')' to close it")
			}
			return nil, p.errAt(c.pos, fmt.Sprintf("unexpected %s", c.describe()))
		}
		return n, nil
	case tField:
		if field != "" && field != t.text {
			return nil, p.errAt(t.pos, fmt.Sprintf("field %q inside %q", t.text+":", field+":"))
		}
		switch k := p.peek().kind; k {
		case tWord, tPhrase, tLParen:
		default:
			return nil, p.errAt(t.pos, fmt.Sprintf("field %q needs a word, a phrase or a group, not %s", t.text+":", p.peek().describe()))
		}
		return p.parsePrimary(t.text, depth)
	case tWord:
		if t.prefix && utf8.RuneCountInString(t.text) < MinPrefix {
			return nil, p.errAt(t.pos, fmt.Sprintf("prefix %s is shorter than %d letters", store.Echo(t.text+"*"), MinPrefix))
		}
		if err := p.countTerm(t.pos); err != nil {
			return nil, err
		}
		return &Term{Field: field, Text: t.text, Prefix: t.prefix, Pos: t.pos}, nil
	case tPhrase:
		if t.text == "" {
			return nil, p.errAt(t.pos, "empty phrase")
		}
		if err := p.countTerm(t.pos); err != nil {
			return nil, err
		}
		return &Phrase{Field: field, Text: t.text, Pos: t.pos}, nil
	case tRParen:
		return nil, p.errAt(t.pos, "unbalanced ')': no '(' to close")
	case tEOF:
		return nil, p.errAt(t.pos, "query ends where a word was expected")
	default:
		return nil, p.errAt(t.pos, fmt.Sprintf("%s needs something before it", t.describe()))
	}
}

func (p *parser) countTerm(pos int) error {
	p.terms++
	if p.terms > MaxTerms {
		return p.errAt(pos, fmt.Sprintf("query has more than %d terms", MaxTerms))
	}
	return nil
}
