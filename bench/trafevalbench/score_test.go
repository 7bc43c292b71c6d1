package main

import (
	"slices"
	"testing"
)

func TestScore(t *testing.T) {
	d := doc{
		With:    []string{"first  chunk\nof text", "second chunk", "absent chunk"},
		Without: []string{"Share this", "Cookie notice"},
	}
	text := "Title\n\nfirst chunk of\ttext and the second chunk.\n\nShare   this"
	c, missed, leaked := score(d, text, false)
	if want := (counts{TP: 2, FN: 1, FP: 1, TN: 1}); c != want {
		t.Fatalf("counts = %+v, want %+v", c, want)
	}
	if !slices.Equal(missed, []string{"absent chunk"}) || !slices.Equal(leaked, []string{"Share this"}) {
		t.Fatalf("missed %q leaked %q", missed, leaked)
	}
	// A failed extraction: every with chunk missed, every without chunk a
	// true negative, even if some text came back.
	c, missed, _ = score(d, text, true)
	if want := (counts{FN: 3, TN: 2}); c != want || len(missed) != 3 {
		t.Fatalf("failed: counts = %+v, missed %q", c, missed)
	}
	// Case matters and chunks are not word-aligned: trafilatura's test is
	// a plain substring test.
	c, _, _ = score(doc{With: []string{"Econd chu", "econd chu"}}, text, false)
	if c.TP != 1 || c.FN != 1 {
		t.Fatalf("substring test: %+v", c)
	}
}

func TestMetrics(t *testing.T) {
	m := counts{TP: 8, FP: 2, FN: 4, TN: 6}.metrics()
	near := func(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }
	if !near(m.Precision, 0.8) || !near(m.Recall, 8.0/12) || !near(m.F1, 16.0/22) || !near(m.Accuracy, 14.0/20) {
		t.Fatalf("metrics %+v", m)
	}
	if z := (counts{}).metrics(); z != (metrics{}) {
		t.Fatalf("empty counts: %+v", z)
	}
}
