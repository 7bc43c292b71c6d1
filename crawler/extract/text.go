package extract

import (
	"strings"
	"unicode"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// blockTags start a new paragraph. The non-HTML names are the tags
// go-trafilatura's content tree may still use.
var blockTags = map[string]bool{
	"address": true, "article": true, "aside": true, "blockquote": true, "center": true,
	"dd": true, "details": true, "dialog": true, "div": true, "dl": true, "dt": true,
	"fieldset": true, "figcaption": true, "figure": true, "footer": true, "form": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
	"header": true, "hgroup": true, "hr": true, "li": true, "main": true, "nav": true,
	"ol": true, "p": true, "pre": true, "section": true, "summary": true, "table": true,
	"tbody": true, "thead": true, "tfoot": true, "tr": true, "ul": true, "caption": true,
	"head": true, "list": true, "item": true, "quote": true, "row": true, "body": true,
	"html": true, "title": true, "option": true,
}

// skipTags never contribute text.
var skipTags = map[string]bool{
	"script": true, "style": true, "noscript": true, "template": true, "svg": true,
	"iframe": true, "select": true, "textarea": true, "button": true, "object": true,
	"embed": true, "canvas": true, "video": true, "audio": true, "map": true, "math": true,
	"input": true, "link": true, "meta": true, "head-meta": true,
}

// cellTags are separated from their neighbours by a space.
var cellTags = map[string]bool{"td": true, "th": true, "cell": true}

// blockText renders the text of n as paragraphs: block elements start new
// paragraphs, <br> starts a new line, whitespace runs fold to one space and
// soft hyphens and zero-width characters are dropped.
func blockText(n *html.Node) []string {
	ps := blocks(n)
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Text
	}
	return out
}

// para is one rendered paragraph with the facts the boilerplate filters use.
type para struct {
	Text      string
	Block     string // innermost block tag it came from
	LinkChars int    // letters inside <a>
	Chars     int    // letters
	Links     []string

	// checked is set once words and junk hold the page-independent
	// verdicts of filterParas (see checkText), computed ahead of it.
	checked bool
	words   int  // whitespace-separated words
	junk    bool // text that filterParas drops wherever it is
}

// linkDensity is the share of the paragraph's letters inside links.
func (p para) linkDensity() float64 {
	if p.Chars == 0 {
		return 0
	}
	return float64(p.LinkChars) / float64(p.Chars)
}

// blocks renders n like blockText, keeping per-paragraph facts.
func blocks(n *html.Node) []para {
	var r textRenderer
	r.walk(n, 0)
	r.flush()
	return r.paras
}

type textRenderer struct {
	paras  []para
	cur    strings.Builder
	block  []string
	inLink int
	links  int
	chars  int
	hrefs  []string
}

const maxWalkDepth = 1024

func (r *textRenderer) walk(n *html.Node, depth int) {
	if depth > maxWalkDepth {
		return
	}
	switch n.Type {
	case html.TextNode:
		r.cur.WriteString(n.Data)
		c := letters(n.Data)
		r.chars += c
		if r.inLink > 0 {
			r.links += c
		}
		return
	case html.ElementNode:
		name := n.Data
		if n.DataAtom != 0 {
			name = n.DataAtom.String()
		}
		if skipTags[name] || hidden(n) {
			return
		}
		if n.DataAtom == atom.Br || name == "lb" {
			r.cur.WriteByte('\n')
			return
		}
		if n.DataAtom == atom.Img {
			return
		}
		block := blockTags[name]
		if block {
			r.flush()
			r.block = append(r.block, name)
		} else if cellTags[name] {
			r.cur.WriteByte(' ')
		}
		link := n.DataAtom == atom.A || name == "ref"
		if link {
			r.cur.WriteRune(inlineEdge)
			r.inLink++
			if h := attr(n, "href"); h != "" {
				r.hrefs = append(r.hrefs, h)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			r.walk(c, depth+1)
		}
		if link {
			r.inLink--
			r.cur.WriteRune(inlineEdge)
		}
		if block {
			r.flush()
			r.block = r.block[:len(r.block)-1]
		} else if cellTags[name] {
			r.cur.WriteByte(' ')
		}
		return
	case html.DocumentNode:
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			r.walk(c, depth+1)
		}
	}
}

func (r *textRenderer) flush() {
	if r.cur.Len() == 0 {
		return
	}
	if t := cleanText(r.cur.String()); t != "" {
		p := para{Text: t, LinkChars: r.links, Chars: r.chars, Links: r.hrefs}
		if len(r.block) > 0 {
			p.Block = r.block[len(r.block)-1]
		}
		r.paras = append(r.paras, p)
	}
	r.cur.Reset()
	r.links, r.chars, r.hrefs = 0, 0, nil
}

// hidden reports elements the page hides from readers.
func hidden(n *html.Node) bool {
	for _, a := range n.Attr {
		switch a.Key {
		case "hidden":
			return true
		case "aria-hidden":
			if a.Val == "true" {
				return true
			}
		case "style":
			s := strings.ReplaceAll(strings.ToLower(a.Val), " ", "")
			if strings.Contains(s, "display:none") || strings.Contains(s, "visibility:hidden") {
				return true
			}
		}
	}
	return false
}

// inlineEdge marks the start and end of a link in rendered text. It becomes
// a space where a link joins CJK text to Latin letters or digits without
// one ("ソフト<a>KeePass</a>の" reads "ソフト KeePass の"), and nothing
// elsewhere.
const inlineEdge = '\uE000'

func isCJK(c rune) bool {
	if c < 0x1100 { // below Hangul Jamo: Latin, Cyrillic, Arabic, ...
		return false
	}
	return unicode.In(c, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
}

// cleanText folds whitespace runs to one space (keeping single line breaks
// from <br>), drops soft hyphens and zero-width characters, and trims.
func cleanText(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space, nl := false, false
	var prev rune
	edge := false
	for _, c := range s {
		if c == inlineEdge {
			edge = true
			continue
		}
		if edge {
			edge = false
			if !space && prev != 0 && !unicode.IsSpace(c) && isCJK(prev) != isCJK(c) &&
				(unicode.IsLetter(prev) || unicode.IsNumber(prev)) && (unicode.IsLetter(c) || unicode.IsNumber(c)) {
				space = true
			}
		}
		switch {
		case c == '\u00ad' || c == '\u200b' || c == '\u200c' || c == '\u200d' || c == '\ufeff' || c == '\u2060':
			continue
		case c == '\n':
			nl = true
			space = true
		case unicode.IsSpace(c):
			space = true
		default:
			if space && b.Len() > 0 {
				if nl {
					b.WriteByte('\n')
				} else {
					b.WriteByte(' ')
				}
			}
			space, nl = false, false
			b.WriteRune(c)
			prev = c
		}
	}
	return b.String()
}

// nodeText is the whitespace-folded text of n on one line.
func nodeText(n *html.Node) string {
	return strings.Join(strings.Fields(strings.Join(blockText(n), " ")), " ")
}

// letters counts the letters and digits of s.
func letters(s string) int {
	n := 0
	for _, c := range s {
		if unicode.IsLetter(c) || unicode.IsNumber(c) {
			n++
		}
	}
	return n
}
