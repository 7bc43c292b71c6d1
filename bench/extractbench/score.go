package main

import (
	"math"
	"math/rand/v2"
	"unicode"
)

// tokenize returns the runs of Unicode letters, numbers and '_' in s: the
// matches of Python 3's `\w+` as the benchmark's evaluate.py uses it.
func tokenize(s string) []string {
	var toks []string
	start := -1
	for i, r := range s {
		w := r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r)
		switch {
		case w && start < 0:
			start = i
		case !w && start >= 0:
			toks = append(toks, s[start:i])
			start = -1
		}
	}
	if start >= 0 {
		toks = append(toks, s[start:])
	}
	return toks
}

// shingles returns the multiset of n-grams of consecutive tokens. A text of
// 1 to n-1 tokens gives one shingle of all its tokens; no tokens, none.
func shingles(toks []string, n int) map[string]int {
	m := make(map[string]int)
	if len(toks) == 0 {
		return m
	}
	if len(toks) < n {
		m[joinToks(toks)]++
		return m
	}
	for i := 0; i+n <= len(toks); i++ {
		m[joinToks(toks[i:i+n])]++
	}
	return m
}

func joinToks(t []string) string {
	n := 0
	for _, s := range t {
		n += len(s) + 1
	}
	b := make([]byte, 0, n)
	for i, s := range t {
		if i > 0 {
			b = append(b, 0)
		}
		b = append(b, s...)
	}
	return string(b)
}

// docCounts is the normalized (tp, fp, fn) of one document plus whether its
// token list equals the ground truth's.
type docCounts struct {
	tp, fp, fn float64
	exact      bool
}

// compare scores one prediction against its ground truth with n-gram
// shingles, normalizing tp, fp and fn by their sum.
func compare(truth, pred string, n int) docCounts {
	tt, pt := tokenize(truth), tokenize(pred)
	ts, ps := shingles(tt, n), shingles(pt, n)
	var tp, fp, fn float64
	for k, t := range ts {
		p := ps[k]
		tp += float64(min(t, p))
		fn += float64(max(0, t-p))
		fp += float64(max(0, p-t))
	}
	for k, p := range ps {
		if _, ok := ts[k]; !ok {
			fp += float64(p)
		}
	}
	if s := tp + fp + fn; s > 0 {
		tp, fp, fn = tp/s, fp/s, fn/s
	}
	exact := len(tt) == len(pt)
	if exact {
		for i := range tt {
			if tt[i] != pt[i] {
				exact = false
				break
			}
		}
	}
	return docCounts{tp: tp, fp: fp, fn: fn, exact: exact}
}

func docPrecision(c docCounts) float64 {
	switch {
	case c.fp == 0 && c.fn == 0:
		return 1
	case c.tp == 0 && c.fp == 0:
		return 0
	}
	return c.tp / (c.tp + c.fp)
}

func docRecall(c docCounts) float64 {
	switch {
	case c.fp == 0 && c.fn == 0:
		return 1
	case c.tp == 0 && c.fn == 0:
		return 0
	}
	return c.tp / (c.tp + c.fn)
}

// metrics are corpus-level scores.
type metrics struct {
	Precision, Recall, F1, Accuracy float64
}

// corpus macro-averages per-document precision and recall (precision only
// over documents whose prediction has shingles), and takes F1 from the
// averaged P and R.
func corpus(docs []docCounts) metrics {
	var ps, rs, acc float64
	var np, nr int
	for _, c := range docs {
		if c.tp+c.fp > 0 {
			ps += docPrecision(c)
			np++
		}
		if c.tp+c.fn > 0 {
			rs += docRecall(c)
			nr++
		}
		if c.exact {
			acc++
		}
	}
	var m metrics
	if np > 0 {
		m.Precision = ps / float64(np)
	}
	if nr > 0 {
		m.Recall = rs / float64(nr)
	}
	if m.Precision+m.Recall > 0 {
		m.F1 = 2 * m.Precision * m.Recall / (m.Precision + m.Recall)
	}
	if len(docs) > 0 {
		m.Accuracy = acc / float64(len(docs))
	}
	return m
}

// bootstrap returns the sample standard deviations (n-1) of the corpus
// metrics over `rounds` resamples of the documents drawn with replacement.
func bootstrap(docs []docCounts, rounds int, rng *rand.Rand) metrics {
	if len(docs) == 0 || rounds < 2 {
		return metrics{}
	}
	vals := make([]metrics, rounds)
	sample := make([]docCounts, len(docs))
	for r := range vals {
		for i := range sample {
			sample[i] = docs[rng.IntN(len(docs))]
		}
		vals[r] = corpus(sample)
	}
	sd := func(get func(metrics) float64) float64 {
		var mean float64
		for _, v := range vals {
			mean += get(v)
		}
		mean /= float64(len(vals))
		var ss float64
		for _, v := range vals {
			d := get(v) - mean
			ss += d * d
		}
		return math.Sqrt(ss / float64(len(vals)-1))
	}
	return metrics{
		Precision: sd(func(m metrics) float64 { return m.Precision }),
		Recall:    sd(func(m metrics) float64 { return m.Recall }),
		F1:        sd(func(m metrics) float64 { return m.F1 }),
		Accuracy:  sd(func(m metrics) float64 { return m.Accuracy }),
	}
}
