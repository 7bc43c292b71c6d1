package main

import "strings"

// doc is one evaluation document: text that must be in the extraction
// (With) and text that must not (Without).
type doc struct {
	Key     string
	File    string
	URL     string
	With    []string
	Without []string
	Raw     []byte
}

// counts are the chunk verdicts of trafilatura's tests/eval_common.py.
type counts struct {
	TP, FP, FN, TN int
}

func (c *counts) add(o counts) {
	c.TP += o.TP
	c.FP += o.FP
	c.FN += o.FN
	c.TN += o.TN
}

// normSpace folds every run of whitespace to one space and trims.
func normSpace(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// score judges one extraction. failed means the extractor returned no
// text (an error): every With chunk is then a false negative and every
// Without chunk a true negative. Missed and found list the With chunks not
// found and the Without chunks found.
func score(d doc, text string, failed bool) (c counts, missed, found []string) {
	if failed {
		return counts{FN: len(d.With), TN: len(d.Without)}, d.With, nil
	}
	text = normSpace(text)
	for _, w := range d.With {
		if strings.Contains(text, normSpace(w)) {
			c.TP++
		} else {
			c.FN++
			missed = append(missed, w)
		}
	}
	for _, w := range d.Without {
		if strings.Contains(text, normSpace(w)) {
			c.FP++
			found = append(found, w)
		} else {
			c.TN++
		}
	}
	return c, missed, found
}

// metrics are corpus-level scores from summed counts.
type metrics struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Accuracy  float64 `json:"accuracy"`
}

func (c counts) metrics() metrics {
	var m metrics
	if c.TP+c.FP > 0 {
		m.Precision = float64(c.TP) / float64(c.TP+c.FP)
	}
	if c.TP+c.FN > 0 {
		m.Recall = float64(c.TP) / float64(c.TP+c.FN)
	}
	if d := 2*c.TP + c.FP + c.FN; d > 0 {
		m.F1 = float64(2*c.TP) / float64(d)
	}
	if n := c.TP + c.FP + c.FN + c.TN; n > 0 {
		m.Accuracy = float64(c.TP+c.TN) / float64(n)
	}
	return m
}
