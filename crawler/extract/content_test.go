package extract

import (
	"strings"
	"testing"
)

func TestCombine(t *testing.T) {
	p := func(s string) para { return para{Text: s, Chars: letters(s)} }
	a := "Container trains from western China now reach the Caspian coast in under two weeks."
	b := "The discovery was announced in an article published Monday in the journal Nature Astronomy."
	c := "For Baku the numbers matter less than the position they buy, officials said on Friday."
	teaser := "Storm closes the port for a day"
	longTail := strings.Repeat("A teaser paragraph of another story that runs long enough to count as text. ", 3)
	body := strings.Repeat("Running text that both extractors agree on, sentence after sentence. ", 20)
	traf := []string{body, a, b, c}
	read := []para{p(teaser), p(body), p(a), p(c), p(longTail)}
	got := combine(traf, read)
	var texts []string
	for _, q := range got {
		texts = append(texts, q.Text)
	}
	want := []string{body, a, b, c}
	if strings.Join(texts, "|") != strings.Join(want, "|") {
		t.Errorf("combine =\n%q\nwant\n%q", texts, want)
	}
	// Without trafilatura, readability's paragraphs stand.
	if got := combine(nil, read); len(got) != len(read) {
		t.Errorf("combine(nil, read) dropped paragraphs: %d of %d", len(got), len(read))
	}
}
