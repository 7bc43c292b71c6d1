package main

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestTokenize(t *testing.T) {
	got := tokenize("a b,cd:e(foo,bar) ")
	if want := []string{"a", "b", "cd", "e", "foo", "bar"}; !slices.Equal(got, want) {
		t.Fatalf("tokenize = %q, want %q", got, want)
	}
	// Unicode letters and digits join, soft hyphen and combining marks split.
	got = tokenize("Ссылка скопирована 2025 co\u00adop e\u0301x")
	if want := []string{"Ссылка", "скопирована", "2025", "co", "op", "e", "x"}; !slices.Equal(got, want) {
		t.Fatalf("tokenize = %q, want %q", got, want)
	}
}

// The check values of the original evaluate.py unit tests (3-gram shingles).
func TestCompareCheckValues(t *testing.T) {
	for _, c := range []struct {
		truth, pred string
		tp, fp, fn  float64
	}{
		{"a b c", "a b c", 1, 0, 0},
		{"a b c d", "a b c", 0.5, 0, 0.5},
		{"a b c", "a b c d", 0.5, 0.5, 0},
		{"", "", 0, 0, 0},
		{"a", "", 0, 0, 1},
		{"", "a", 0, 1, 0},
		{"a b c a b c", "a b c", 0.25, 0, 0.75},
		{"a b c", "a b c a b c", 0.25, 0.75, 0},
	} {
		got := compare(c.truth, c.pred, 3)
		if !near(got.tp, c.tp) || !near(got.fp, c.fp) || !near(got.fn, c.fn) {
			t.Errorf("compare(%q, %q) = (%v, %v, %v), want (%v, %v, %v)",
				c.truth, c.pred, got.tp, got.fp, got.fn, c.tp, c.fp, c.fn)
		}
	}
}

func TestCorpus(t *testing.T) {
	docs := []docCounts{
		compare("a b c d e f", "a b c d e f", 4), // P 1, R 1, exact
		compare("a b c d e f", "a b c d", 4),     // P 1, R 1/3
		compare("a b c d e f", "", 4),            // no prediction: out of P, R 0
		compare("a b c d e f", "x y z w a b", 4), // P 0, R 0
	}
	m := corpus(docs)
	wantP := (1 + 1 + 0) / 3.0
	wantR := (1 + 1.0/3 + 0 + 0) / 4
	if !near(m.Precision, wantP) || !near(m.Recall, wantR) {
		t.Fatalf("P, R = %v, %v, want %v, %v", m.Precision, m.Recall, wantP, wantR)
	}
	if wantF := 2 * wantP * wantR / (wantP + wantR); !near(m.F1, wantF) {
		t.Fatalf("F1 = %v, want %v", m.F1, wantF)
	}
	if !near(m.Accuracy, 0.25) {
		t.Fatalf("accuracy = %v, want 0.25", m.Accuracy)
	}
	sd := bootstrap(docs, 1000, rand.New(rand.NewPCG(1, 2)))
	if sd.F1 <= 0 || sd.F1 > 0.5 || sd.Accuracy <= 0 {
		t.Fatalf("bootstrap sd = %+v, want positive and bounded", sd)
	}
	same := []docCounts{docs[0], docs[0], docs[0]}
	if sd := bootstrap(same, 100, rand.New(rand.NewPCG(1, 2))); sd.F1 != 0 {
		t.Fatalf("bootstrap of identical docs sd = %v, want 0", sd.F1)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
