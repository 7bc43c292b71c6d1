package extract

import (
	"bytes"
	"fmt"
	"io"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// maxParseDepth bounds element nesting before parsing: x/net/html refuses
// documents nested deeper than 512 open elements, so deeper markup is
// flattened (its excess start and end tags dropped, text kept).
const maxParseDepth = 256

// parseHTML parses a UTF-8 page. A page nested too deeply for the parser
// is flattened and parsed again, so broken markup still yields its text.
func parseHTML(b []byte) (*html.Node, error) {
	doc, err := html.Parse(bytes.NewReader(b))
	if err == nil {
		return doc, nil
	}
	flat := flatten(b, maxParseDepth)
	doc, err2 := html.Parse(bytes.NewReader(flat))
	if err2 != nil {
		return nil, fmt.Errorf("parse html: %w (after flattening: %v)", err, err2)
	}
	return doc, nil
}

var voidElements = map[atom.Atom]bool{
	atom.Area: true, atom.Base: true, atom.Br: true, atom.Col: true, atom.Embed: true,
	atom.Hr: true, atom.Img: true, atom.Input: true, atom.Link: true, atom.Meta: true,
	atom.Source: true, atom.Track: true, atom.Wbr: true, atom.Param: true, atom.Keygen: true,
}

// flatten re-serializes the token stream of b, dropping start and end tags
// of non-void elements once more than limit of them are open.
func flatten(b []byte, limit int) []byte {
	z := html.NewTokenizer(bytes.NewReader(b))
	var out bytes.Buffer
	out.Grow(len(b))
	depth := 0
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if z.Err() == io.EOF {
				return out.Bytes()
			}
			return out.Bytes()
		case html.StartTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if voidElements[a] {
				out.Write(z.Raw())
				continue
			}
			depth++
			if depth > limit {
				continue
			}
			out.Write(z.Raw())
		case html.EndTagToken:
			name, _ := z.TagName()
			if voidElements[atom.Lookup(name)] {
				continue
			}
			if depth > limit {
				depth--
				continue
			}
			if depth > 0 {
				depth--
			}
			out.Write(z.Raw())
		default:
			out.Write(z.Raw())
		}
	}
}

// cloneNode deep-copies n (depth is bounded by the parser).
func cloneNode(n *html.Node) *html.Node {
	c := &html.Node{Type: n.Type, DataAtom: n.DataAtom, Data: n.Data, Namespace: n.Namespace}
	if len(n.Attr) > 0 {
		c.Attr = append([]html.Attribute(nil), n.Attr...)
	}
	for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
		c.AppendChild(cloneNode(ch))
	}
	return c
}
