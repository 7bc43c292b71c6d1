package query

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/newswatch/newswatch/store"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"   ", ""},
		{"neft", "neft"},
		{"Neft qaz", "(Neft AND qaz)"},
		{"neft AND qaz", "(neft AND qaz)"},
		{"neft && qaz", "(neft AND qaz)"},
		{"neft OR qaz", "(neft OR qaz)"},
		{"neft || qaz", "(neft OR qaz)"},
		{"a b OR c", "((a AND b) OR c)"},
		{"a OR b c", "(a OR (b AND c))"},
		{"a OR b OR c", "(a OR b OR c)"},
		{"a (b OR c)", "(a AND (b OR c))"},
		{"NOT a", "NOT a"},
		{"-a", "NOT a"},
		{"!a", "NOT a"},
		{"NOT NOT a", "a"},
		{"a -b", "(a AND NOT b)"},
		{"a - b", "(a AND b)"},
		{"a NOT (b OR c)", "(a AND NOT (b OR c))"},
		{`"Ilham Aliyev"`, `"Ilham Aliyev"`},
		{`"  spaced   out "`, `"spaced out"`},
		{`«Газпром» нефть`, `("Газпром" AND нефть)`},
		{`title:neft`, `title:neft`},
		{`TITLE:neft`, `title:neft`},
		{`title:"Qarabağ"`, `title:"Qarabağ"`},
		{`title:(a OR b)`, `(title:a OR title:b)`},
		{`-outlet:apa lang:ru`, `(NOT outlet:apa AND lang:ru)`},
		{`author:Məmmədov section:siyasət tag:iqtisadiyyat body:bank`, `(author:Məmmədov AND section:siyasət AND tag:iqtisadiyyat AND body:bank)`},
		{`10:30`, `10:30`},
		{`neft*`, `neft*`},
		{`*`, `*`},
		{`and or not`, `(and AND or AND not)`},
		{`Москва и Баку`, `(Москва AND и AND Баку)`},
		{`ışıq İlham`, `(ışıq AND İlham)`},
		// Repeated terms are dropped: matching them again changes nothing.
		{`de* OR de* OR de*`, `de*`},
		{`de* OR DE* OR De* OR dE*`, `de*`},
		{`neft neft AND neft`, `neft`},
		{`(a OR b) OR (b OR a) OR a`, `(a OR b)`},
		{`a (a) ((a))`, `a`},
		{`"x y" OR "X  Y"`, `"x y"`},
		{`-a -a b`, `(NOT a AND b)`},
		{`a -a`, `(a AND NOT a)`},
		{`title:a OR a OR title:A`, `(title:a OR a)`},
		{`outlet:apa OR outlet:APA OR outlet:apa`, `(outlet:apa OR outlet:APA)`},
		{`(a b) OR (A B) OR (b a)`, `((a AND b) OR (b AND a))`},
	} {
		n, err := Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if got := n.String(); got != tc.want {
			t.Errorf("Parse(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		in   string
		col  int
		frag string
	}{
		{`"open`, 1, "unbalanced quote"},
		{`a "open`, 3, "unbalanced quote"},
		{`(a`, 1, "unbalanced '('"},
		{`a)`, 2, "unbalanced ')'"},
		{`)`, 1, "unbalanced ')'"},
		{`()`, 1, "empty parentheses"},
		{`a AND`, 3, "AND needs something on both sides"},
		{`AND a`, 1, "AND needs something before it"},
		{`a OR`, 3, "OR needs something on both sides"},
		{`a OR OR b`, 3, "OR needs something"},
		{`NOT`, 1, "must be followed"},
		{`a NOT`, 3, "must be followed"},
		{`a !`, 3, "'!' must be followed"},
		{`foo:bar`, 1, `unknown field "foo"`},
		{`title:`, 1, `needs a value`},
		{`title: a`, 1, `needs a value`},
		{`title:(body:a)`, 8, `inside`},
		{`ы "`, 3, "unbalanced quote"},
		{`""`, 1, "empty phrase"},
		{strings.Repeat("(", MaxDepth+1) + "a" + strings.Repeat(")", MaxDepth+1), MaxDepth + 1, "deeper"},
		{strings.Repeat("a ", MaxTerms+1), 2*MaxTerms + 1, "more than"},
		{strings.Repeat("a", MaxLength+1), MaxLength + 1, "longer"},
		{"a \xff", 3, "UTF-8"},
		{"n*", 1, `prefix "n*" is shorter than 2 letters`},
		{"neft title:x* OR y", 12, `prefix "x*" is shorter`},
		{"ı*", 1, "shorter"},
		{"n*", 1, `prefix "n*" is shorter than 2 letters`},
		{"neft title:x* OR y", 12, `prefix "x*" is shorter`},
		{"ı*", 1, "shorter"},
	} {
		_, err := Parse(tc.in)
		if err == nil {
			t.Errorf("Parse(%.40q): no error", tc.in)
			continue
		}
		if !errors.Is(err, store.ErrBadQuery) {
			t.Errorf("Parse(%.40q): %v does not wrap ErrBadQuery", tc.in, err)
		}
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%.40q): %T is not a *SyntaxError", tc.in, err)
			continue
		}
		if se.Column != tc.col || !strings.Contains(se.Msg, tc.frag) {
			t.Errorf("Parse(%.40q) = column %d %q, want column %d containing %q", tc.in, se.Column, se.Msg, tc.col, tc.frag)
		}
	}
}

// TestRoundTrip: the canonical rendering parses back to the same tree.
func TestRoundTrip(t *testing.T) {
	for _, in := range []string{`a b OR -c`, `title:(x OR "y z") NOT body:wo*`, `(a OR b) (c OR d)`} {
		n, err := Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		n2, err := Parse(n.String())
		if err != nil {
			t.Fatalf("reparse %q: %v", n.String(), err)
		}
		if n.String() != n2.String() {
			t.Errorf("%q: %q then %q", in, n.String(), n2.String())
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{`a b`, `"x y" OR -z`, `title:(a OR b) NOT c`, `((a)`, `"`, `a AND`, `ışıq «Газпром»`, `-!a`, `x:y`, `a* && b || !c`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := Parse(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || !errors.Is(err, store.ErrBadQuery) {
				t.Fatalf("error %v is not a SyntaxError wrapping ErrBadQuery", err)
			}
			if se.Pos < 0 || se.Pos > len(s) {
				t.Fatalf("error position %d outside query of %d bytes", se.Pos, len(s))
			}
			if want := fmt.Sprintf("at column %d:", se.Column); !strings.Contains(err.Error(), want) {
				t.Fatalf("error %q does not say %q", err, want)
			}
			return
		}
		terms, depth := 0, 0
		var walk func(Node, int)
		walk = func(n Node, d int) {
			if d > depth {
				depth = d
			}
			switch n := n.(type) {
			case *Term:
				terms++
				if n.Text == "" {
					t.Fatalf("empty term from %q", s)
				}
			case *Phrase:
				terms++
			case *And:
				for _, c := range n.Children {
					walk(c, d+1)
				}
			case *Or:
				for _, c := range n.Children {
					walk(c, d+1)
				}
			case *Not:
				walk(n.Child, d+1)
			}
		}
		walk(n, 0)
		if terms > MaxTerms {
			t.Fatalf("%d terms from %q", terms, s)
		}
		// canonical form must parse again
		if _, err := Parse(n.String()); err != nil && len(n.String()) <= MaxLength {
			t.Fatalf("canonical %q of %q does not parse: %v", n.String(), s, err)
		}
	})
}

// TestRepeatedPrefix: the query that stalled the API (one prefix 256
// times, about 1 KB) parses to the prefix alone.
func TestRepeatedPrefix(t *testing.T) {
	q := strings.TrimSuffix(strings.Repeat("de* OR ", MaxTerms), " OR ")
	n, err := Parse(q)
	if err != nil {
		t.Fatal(err)
	}
	if term, ok := n.(*Term); !ok || !term.Prefix || term.Text != "de" {
		t.Errorf("Parse(%d bytes of de* OR ...) = %s, want de*", len(q), n)
	}
}
