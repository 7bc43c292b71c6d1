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
	traf := []para{p(body), p(a), p(b), p(c)}
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

func TestCombineLead(t *testing.T) {
	p := func(block, s string) para { return para{Text: s, Block: block, Chars: letters(s)} }
	body := []para{
		p("p", "Container trains from western China now reach the Caspian coast in under two weeks, the ministry said."),
		p("p", "The discovery was announced in an article published Monday in the journal Nature Astronomy by the team."),
		p("p", "For Baku the numbers matter less than the position they buy, officials said on Friday after the meeting."),
	}
	lead := p("p", "A new rail corridor cuts the trip from China to Europe by a third, and Baku wants to be its hub.")
	for _, c := range []struct {
		name   string
		before []para // trafilatura's paragraphs before the body
		want   []string
	}{
		{"teaser paragraph", []para{p("h1", "Rail corridor"), lead}, []string{lead.Text}},
		{"subtitle heading is not a lead", []para{p("h2", lead.Text)}, nil},
		{"a caption ends the lead", []para{lead, p("p", "Photo: Reuters"), lead}, []string{lead.Text}},
		{"short kicker", []para{p("p", "Economy")}, nil},
	} {
		traf := append(append([]para{}, c.before...), body...)
		got := combine(traf, body)
		var texts []string
		for _, q := range got[:len(got)-len(body)] {
			texts = append(texts, q.Text)
		}
		if strings.Join(texts, "|") != strings.Join(c.want, "|") || len(got) != len(body)+len(c.want) {
			t.Errorf("%s: lead = %q, want %q (%d paragraphs)", c.name, texts, c.want, len(got))
		}
	}
}

func TestCombineDisjoint(t *testing.T) {
	prose := func(s string) para {
		q := para{Text: s, Block: "p", Chars: letters(s)}
		q.checkText()
		return q
	}
	link := func(s string) para {
		q := para{Text: s, Block: "li", Chars: letters(s), LinkChars: letters(s)}
		q.checkText()
		return q
	}
	story := []para{
		prose("Prosecutors say the evidence is overwhelming: she alone had a second key to the flat of the victim."),
		prose("Police found traces of her DNA on the jacket and the phone of the victim, which was later smashed."),
		prose("When the charges will be filed is not yet known; if convicted, she faces a long prison sentence."),
	}
	links := []para{
		link("Fury vs Whyte will be promoted by Frank Warren in April"),
		link("Taylor vs Serrano: four titles at stake in New York"),
		link("Kabayel also pulls out of the eliminator bout"),
	}
	// readability took the related-links list, trafilatura the story
	if got := combine(story, links); len(got) != len(story) || got[0].Text != story[0].Text {
		t.Errorf("links vs story: got %d paragraphs, first %q", len(got), got[0].Text)
	}
	// and the other way round
	if got := combine(links, story); len(got) != len(story) || got[0].Text != story[0].Text {
		t.Errorf("story vs links: got %d paragraphs, first %q", len(got), got[0].Text)
	}
}

func TestCombineInside(t *testing.T) {
	p := func(block, s string) para {
		q := para{Text: s, Block: block, Chars: letters(s)}
		q.checkText()
		return q
	}
	a := p("p", "Police recorded fewer burglaries again last year, the ministry said in its annual report on Friday.")
	b := p("p", "More information on protecting your home is available from the local police station, it added.")
	inside := []para{
		p("p", "How to protect yourself:"),
		p("li", "Lock the door even when you leave for a few minutes."),
		p("li", "Never hide a key outside."),
		p("h3", "Neighbours"),
		p("p", "Caption"), // furniture: a junk line
		p("p", "Close"),
		p("p", "Unsere Empfehlung"), // two words, not a heading
	}
	read := append(append([]para{a}, inside...), b)
	got := combine([]para{a, b}, read)
	var texts []string
	for _, q := range got {
		texts = append(texts, q.Text)
	}
	want := []string{a.Text, inside[0].Text, inside[1].Text, inside[2].Text, inside[3].Text, b.Text}
	if strings.Join(texts, "|") != strings.Join(want, "|") {
		t.Errorf("combine =\n%q\nwant\n%q", texts, want)
	}
	// Outside the agreed span the same short lines are not kept.
	got = combine([]para{a, b}, append([]para{a, b}, inside...))
	if len(got) != 2 {
		t.Errorf("kept %d paragraphs after the story, want 2", len(got))
	}
}

func TestFillHoles(t *testing.T) {
	p := func(block, s string) para { return para{Text: s, Block: block, Chars: letters(s)} }
	a := p("p", "In the end the sazerac is a fine drink, and yes, it needs Peychaud's bitters, more on that later.")
	head := p("h4", "How to make it:")
	recipe := p("p", "1 sugar cube\n2 dashes of Peychaud's bitters\n1 teaspoon of water\n5 cl rye whiskey\nsome lemon zest")
	b := p("p", "If the columnist can manage it, somewhat sloppily admittedly, you will get it right without trouble.")
	// readability kept the subheading but lost the ingredient list that
	// trafilatura has between the same two paragraphs
	out := []para{a, head, b}
	got := fillHoles(out, paraTokens(out), []para{a, recipe, b}, paraTokens([]para{a, recipe, b}))
	var texts []string
	for _, q := range got {
		texts = append(texts, q.Text)
	}
	if want := []string{a.Text, head.Text, recipe.Text, b.Text}; strings.Join(texts, "|") != strings.Join(want, "|") {
		t.Errorf("fillHoles =\n%q\nwant\n%q", texts, want)
	}
	// a trafilatura paragraph that joins two kept ones is not a hole
	joined := p("p", head.Text+" "+recipe.Text)
	out = []para{a, head, recipe, b}
	traf := []para{a, joined, b}
	if got := fillHoles(out, paraTokens(out), traf, paraTokens(traf)); len(got) != len(out) {
		t.Errorf("fillHoles inserted text the kept paragraphs hold: %d paragraphs", len(got))
	}
}
