// Package charset converts fetched HTML bodies to UTF-8.
//
// The encoding is chosen in this order: a byte order mark, the charset
// parameter of the HTTP Content-Type header, a <meta charset> or
// <meta http-equiv="Content-Type"> declaration in the first bytes of the
// page, and finally statistical detection (github.com/saintfish/chardet),
// which tells windows-1251 from koi8-r and iso-8859-9 from windows-1252 by
// character n-gram statistics.
//
// One pragmatic deviation from the WHATWG algorithm: a body that is valid
// UTF-8 and contains multi-byte sequences is taken as UTF-8 even when the
// header or meta names a single-byte legacy charset. Legacy-encoded text in
// Cyrillic, Turkish or Western scripts is practically never valid UTF-8, while
// servers and templates that declare a stale "iso-8859-1" for UTF-8 pages are
// common.
package charset

import (
	"bytes"
	"errors"
	"mime"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/saintfish/chardet"
	"golang.org/x/net/html"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/unicode"
)

// ErrDecode is returned (wrapped) when the body cannot be converted.
var ErrDecode = errors.New("charset decode failed")

// prescanLimit is how many bytes are searched for a <meta> declaration.
// WHATWG says 1024; real pages put long <script>/<link> blocks first, so we
// look further.
const prescanLimit = 8192

// Source tells where an encoding decision came from.
type Source string

// Sources of an encoding decision.
const (
	SourceBOM       Source = "bom"
	SourceHeader    Source = "header"
	SourceMeta      Source = "meta"
	SourceDetected  Source = "detected"
	SourceUTF8Valid Source = "utf8" // body is valid UTF-8 despite a legacy declaration
)

// Decode returns body converted to UTF-8 and the canonical (WHATWG) name of
// the charset it was decoded from, such as "utf-8", "windows-1251",
// "koi8-r" or "windows-1254" (the WHATWG name for iso-8859-9).
// contentType is the HTTP Content-Type header value; it may be empty.
// A UTF-8 byte order mark is removed. Invalid UTF-8 in a UTF-8 body is
// replaced with U+FFFD.
func Decode(body []byte, contentType string) (out []byte, charsetName string, err error) {
	out, name, _, err := DecodeSource(body, contentType)
	return out, name, err
}

// DecodeSource is Decode that also reports where the decision came from.
func DecodeSource(body []byte, contentType string) ([]byte, string, Source, error) {
	enc, name, src := Determine(body, contentType)
	if src == SourceBOM {
		body = stripBOM(body)
	}
	if name == "utf-8" {
		if utf8.Valid(body) {
			return body, name, src, nil
		}
		return bytes.ToValidUTF8(body, []byte("\uFFFD")), name, src, nil
	}
	out, err := enc.NewDecoder().Bytes(body)
	if err != nil {
		return nil, name, src, errors.Join(ErrDecode, err)
	}
	return out, name, src, nil
}

// Determine chooses the encoding of body without converting it.
func Determine(body []byte, contentType string) (encoding.Encoding, string, Source) {
	if e, name := bomEncoding(body); e != nil {
		return e, name, SourceBOM
	}
	if contentType != "" {
		if _, params, err := mime.ParseMediaType(contentType); err == nil {
			if e, name := lookup(params["charset"]); e != nil {
				if name != "utf-8" && looksUTF8(body) {
					return unicode.UTF8, "utf-8", SourceUTF8Valid
				}
				return e, name, SourceHeader
			}
		}
	}
	if e, name := Prescan(body); e != nil {
		if name != "utf-8" && looksUTF8(body) {
			return unicode.UTF8, "utf-8", SourceUTF8Valid
		}
		return e, name, SourceMeta
	}
	e, name := Detect(body)
	return e, name, SourceDetected
}

// lookup maps a charset label to its encoding and canonical name. UTF-16
// labels found in <meta> are meaningless for byte-oriented prescan and are
// treated as UTF-8 by callers that need it; here they resolve normally.
func lookup(label string) (encoding.Encoding, string) {
	label = strings.TrimSpace(strings.Trim(label, `"'`))
	if label == "" {
		return nil, ""
	}
	e, err := htmlindex.Get(label)
	if err != nil {
		return nil, ""
	}
	name, err := htmlindex.Name(e)
	if err != nil {
		return nil, ""
	}
	return e, name
}

func bomEncoding(b []byte) (encoding.Encoding, string) {
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		return unicode.UTF8, "utf-8"
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), "utf-16be"
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), "utf-16le"
	}
	return nil, ""
}

func stripBOM(b []byte) []byte {
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		return b[3:]
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}), bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		return b[2:]
	}
	return b
}

// looksUTF8 reports whether b is valid UTF-8 and has at least one multi-byte
// sequence (pure ASCII says nothing about the charset).
func looksUTF8(b []byte) bool {
	ascii := true
	for _, c := range b {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	return !ascii && utf8.Valid(b)
}

// Prescan looks for an <?xml encoding="..."?> declaration, a <meta charset>
// or a <meta http-equiv="Content-Type" content="...; charset=...">
// declaration in the first bytes of body and returns its encoding, or nil. A declared UTF-16 means UTF-8, as in the
// WHATWG prescan.
func Prescan(body []byte) (encoding.Encoding, string) {
	if len(body) > prescanLimit {
		body = body[:prescanLimit]
	}
	// An XML declaration (XHTML pages, feeds) names the encoding first.
	if m := reXMLDecl.FindSubmatch(body); m != nil {
		if e, name := lookup(string(m[1])); e != nil && !strings.HasPrefix(name, "utf-16") {
			return e, name
		}
	}
	z := html.NewTokenizer(bytes.NewReader(body))
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return nil, ""
		case html.StartTagToken, html.SelfClosingTagToken:
			tn, hasAttr := z.TagName()
			if string(tn) != "meta" || !hasAttr {
				continue
			}
			var cs, content string
			var httpEquiv bool
			for {
				k, v, more := z.TagAttr()
				switch string(k) {
				case "charset":
					cs = string(v)
				case "content":
					content = string(v)
				case "http-equiv":
					httpEquiv = strings.EqualFold(strings.TrimSpace(string(v)), "content-type")
				}
				if !more {
					break
				}
			}
			if cs == "" && content != "" && (httpEquiv || strings.Contains(strings.ToLower(content), "charset")) {
				cs = charsetFromContent(content)
			}
			if e, name := lookup(cs); e != nil {
				if strings.HasPrefix(name, "utf-16") {
					return unicode.UTF8, "utf-8"
				}
				return e, name
			}
		}
	}
}

var reXMLDecl = regexp.MustCompile(`^\s*<\?xml[^>]*\sencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']`)

// charsetFromContent extracts the charset from a meta content attribute such
// as "text/html; charset=windows-1251".
func charsetFromContent(s string) string {
	i := strings.Index(strings.ToLower(s), "charset")
	if i < 0 {
		return ""
	}
	s = strings.TrimLeft(s[i+len("charset"):], " \t")
	if !strings.HasPrefix(s, "=") {
		return ""
	}
	s = strings.TrimLeft(s[1:], " \t\"'")
	if j := strings.IndexAny(s, "\"'; \t"); j >= 0 {
		s = s[:j]
	}
	return s
}

// detectable maps chardet's charset names to WHATWG labels. ISO-8859-1 and
// ISO-8859-9 are read as their windows-125x supersets, as browsers do.
var detectable = map[string]string{
	"UTF-8":        "utf-8",
	"ISO-8859-1":   "windows-1252",
	"windows-1252": "windows-1252",
	"ISO-8859-2":   "iso-8859-2",
	"windows-1250": "windows-1250",
	"ISO-8859-5":   "iso-8859-5",
	"windows-1251": "windows-1251",
	"KOI8-R":       "koi8-r",
	"ISO-8859-6":   "iso-8859-6",
	"windows-1256": "windows-1256",
	"ISO-8859-7":   "iso-8859-7",
	"windows-1253": "windows-1253",
	"ISO-8859-8":   "iso-8859-8",
	"ISO-8859-8-I": "iso-8859-8-i",
	"windows-1255": "windows-1255",
	"ISO-8859-9":   "windows-1254",
	"windows-1254": "windows-1254",
	"Shift_JIS":    "shift_jis",
	"EUC-JP":       "euc-jp",
	"EUC-KR":       "euc-kr",
	"GB-18030":     "gb18030",
	"Big5":         "big5",
}

// Detect guesses the encoding of body statistically. Valid UTF-8 (including
// pure ASCII) is UTF-8. Otherwise chardet ranks candidates; multi-byte CJK
// candidates need a high confidence (chardet over-reports them on short
// single-byte text). Within the Cyrillic family (windows-1251, koi8-r,
// iso-8859-5) the winner is the decoding that yields the most lowercase
// Russian letters, which separates the three reliably even on a headline;
// within the Western family, the Turkish letters ğ ı ş İ Ş Ğ between letters
// select windows-1254. Falls back to windows-1252.
func Detect(body []byte) (encoding.Encoding, string) {
	if utf8.Valid(body) {
		return unicode.UTF8, "utf-8"
	}
	sample := body
	if len(sample) > 64<<10 {
		sample = sample[:64<<10]
	}
	label := "windows-1252"
	results, err := chardet.NewHtmlDetector().DetectAll(sample)
	if err == nil {
		for _, r := range results {
			l, ok := detectable[r.Charset]
			if !ok || l == "utf-8" {
				continue
			}
			if multiByte[l] && r.Confidence < 70 {
				continue
			}
			label = l
			break
		}
	}
	switch {
	case cyrillic[label]:
		label = bestCyrillic(sample)
	case label == "windows-1252" && turkishBytes(sample):
		label = "windows-1254"
	}
	e, name := lookup(label)
	return e, name
}

var multiByte = map[string]bool{"shift_jis": true, "euc-jp": true, "euc-kr": true, "gb18030": true, "big5": true}

var cyrillic = map[string]bool{"windows-1251": true, "koi8-r": true, "iso-8859-5": true}

// bestCyrillic returns the Cyrillic charset under which b decodes to the most
// lowercase Russian letters (Russian running text is mostly lowercase; each
// wrong decoding turns it into capitals or non-Russian letters).
func bestCyrillic(b []byte) string {
	best, bestN := "windows-1251", -1
	for _, l := range []string{"windows-1251", "koi8-r", "iso-8859-5"} {
		e, _ := lookup(l)
		d, err := e.NewDecoder().Bytes(b)
		if err != nil {
			continue
		}
		n := 0
		for _, r := range string(d) {
			if (r >= 'а' && r <= 'я') || r == 'ё' {
				n++
			}
		}
		if n > bestN {
			best, bestN = l, n
		}
	}
	return best
}

// turkishBytes reports whether b has the iso-8859-9/windows-1254 codes of
// ğ ı ş Ğ İ Ş (Icelandic ð ý þ Ð Ý Þ in windows-1252) next to ASCII letters
// often enough to be Turkish text.
func turkishBytes(b []byte) bool {
	isLetter := func(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
	n := 0
	for i := 1; i+1 < len(b); i++ {
		switch b[i] {
		case 0xD0, 0xDD, 0xDE, 0xF0, 0xFD, 0xFE:
			if isLetter(b[i-1]) || isLetter(b[i+1]) {
				n++
			}
		}
	}
	return n >= 2
}
