package charset

import (
	"strings"
	"testing"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
)

const (
	ruText = "Президент России провёл совещание с членами правительства. Обсуждались вопросы экономики, " +
		"бюджета на следующий год и развития регионов. Министр финансов доложил о исполнении бюджета, " +
		"а также о мерах поддержки малого и среднего бизнеса в текущих условиях."
	trText = "Türkiye'nin başkenti Ankara'da düzenlenen toplantıda ekonomi, dış politika ve güvenlik " +
		"konuları görüşüldü. Bakanlar, yılın ilk çeyreğinde büyümenin beklentilerin üzerinde " +
		"gerçekleştiğini açıkladı. Şirketlerin ihracatı geçen yıla göre arttı."
)

func enc(t *testing.T, e encoding.Encoding, s string) []byte {
	t.Helper()
	b, err := e.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	return b
}

func page(head, body string) string {
	return "<!DOCTYPE html><html><head>" + head + "<title>" + strings.Fields(body)[0] + "</title></head><body><article><p>" +
		body + "</p><p>" + body + "</p></article></body></html>"
}

func TestDecode(t *testing.T) {
	ruPage := page("", ruText)
	cases := []struct {
		name, contentType string
		body              []byte
		wantName          string
		wantText          string
		wantSrc           Source
	}{
		{"utf8 bom", "", append([]byte{0xEF, 0xBB, 0xBF}, page("", ruText)...), "utf-8", ruText, SourceBOM},
		{"header windows-1251", "text/html; charset=windows-1251", enc(t, charmap.Windows1251, ruPage), "windows-1251", ruText, SourceHeader},
		{"header cp1251 alias", "text/html; charset=\"cp1251\"", enc(t, charmap.Windows1251, ruPage), "windows-1251", ruText, SourceHeader},
		{"header koi8-r", "text/html;charset=KOI8-R", enc(t, charmap.KOI8R, ruPage), "koi8-r", ruText, SourceHeader},
		{"header iso-8859-9", "text/html; charset=iso-8859-9", enc(t, charmap.ISO8859_9, page("", trText)), "windows-1254", trText, SourceHeader},
		{"meta charset windows-1251", "text/html", enc(t, charmap.Windows1251, page(`<meta charset="windows-1251">`, ruText)), "windows-1251", ruText, SourceMeta},
		{"meta http-equiv koi8-r", "", enc(t, charmap.KOI8R, page(`<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">`, ruText)), "koi8-r", ruText, SourceMeta},
		{"meta iso-8859-9", "", enc(t, charmap.ISO8859_9, page(`<META HTTP-EQUIV="content-type" CONTENT="text/html;charset=ISO-8859-9">`, trText)), "windows-1254", trText, SourceMeta},
		{"xml declaration", "", enc(t, charmap.Windows1251, `<?xml version="1.0" encoding="windows-1251"?><html><body><p>`+ruText+`</p></body></html>`), "windows-1251", ruText, SourceMeta},
		{"detect windows-1251", "", enc(t, charmap.Windows1251, ruPage), "windows-1251", ruText, SourceDetected},
		{"detect koi8-r", "", enc(t, charmap.KOI8R, ruPage), "koi8-r", ruText, SourceDetected},
		{"detect iso-8859-9", "", enc(t, charmap.ISO8859_9, page("", trText)), "windows-1254", trText, SourceDetected},
		{"detect utf-8", "", []byte(ruPage), "utf-8", ruText, SourceDetected},
		{"stale latin1 header on utf-8 body", "text/html; charset=iso-8859-1", []byte(ruPage), "utf-8", ruText, SourceUTF8Valid},
		{"stale meta on utf-8 body", "", []byte(page(`<meta charset="windows-1251">`, ruText)), "utf-8", ruText, SourceUTF8Valid},
		{"header beats meta", "text/html; charset=koi8-r", enc(t, charmap.KOI8R, page(`<meta charset="windows-1251">`, ruText)), "koi8-r", ruText, SourceHeader},
		{"unknown header label falls to meta", "text/html; charset=x-bogus", enc(t, charmap.Windows1251, page(`<meta charset="windows-1251">`, ruText)), "windows-1251", ruText, SourceMeta},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, name, src, err := DecodeSource(c.body, c.contentType)
			if err != nil {
				t.Fatal(err)
			}
			if name != c.wantName {
				t.Errorf("name = %q, want %q", name, c.wantName)
			}
			if src != c.wantSrc {
				t.Errorf("source = %q, want %q", src, c.wantSrc)
			}
			if !strings.Contains(string(out), c.wantText) {
				t.Errorf("decoded text not found; got %.200q", out)
			}
			if strings.HasPrefix(string(out), "\uFEFF") {
				t.Errorf("BOM not stripped")
			}
			o2, n2, err := Decode(c.body, c.contentType)
			if err != nil || n2 != name || string(o2) != string(out) {
				t.Errorf("Decode differs from DecodeSource")
			}
		})
	}
}

func TestDecodeShortRussianNoDeclaration(t *testing.T) {
	// A short headline-sized snippet, no header, no meta.
	s := "<html><body><h1>Курс рубля упал после заявления министра финансов</h1></body></html>"
	for _, e := range []struct {
		enc  encoding.Encoding
		name string
	}{{charmap.Windows1251, "windows-1251"}, {charmap.KOI8R, "koi8-r"}} {
		out, name, err := Decode(enc(t, e.enc, s), "")
		if err != nil {
			t.Fatal(err)
		}
		if name != e.name || string(out) != s {
			t.Errorf("%s: got %q %q", e.name, name, out)
		}
	}
}

func TestDecodeInvalidUTF8Declared(t *testing.T) {
	out, name, err := Decode([]byte("<p>ok \xff\xfe bad</p>"), "text/html; charset=utf-8")
	if err != nil || name != "utf-8" {
		t.Fatal(name, err)
	}
	if !strings.Contains(string(out), "\uFFFD") {
		t.Errorf("invalid bytes not replaced: %q", out)
	}
}

func TestCharsetFromContent(t *testing.T) {
	for in, want := range map[string]string{
		"text/html; charset=windows-1251": "windows-1251",
		"text/html;charset='koi8-r'":      "koi8-r",
		"text/html; CHARSET = utf-8; x=1": "utf-8",
		"text/html":                       "",
		"text/html; charset":              "",
	} {
		if got := charsetFromContent(in); got != want {
			t.Errorf("%q: got %q want %q", in, got, want)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte("<meta charset=koi8-r><p>\xf0\xd2\xc9\xd7\xc5\xd4"), "")
	f.Add([]byte("\xef\xbb\xbfhello"), "text/html; charset=windows-1251")
	f.Fuzz(func(t *testing.T, b []byte, ct string) {
		out, _, err := Decode(b, ct)
		if err == nil && !utf8Valid(out) {
			t.Fatalf("output not valid UTF-8")
		}
	})
}

func utf8Valid(b []byte) bool { return strings.ToValidUTF8(string(b), "") == string(b) }
