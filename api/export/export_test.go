package export

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/newswatch/newswatch/article"
)

// TestColumnsAreTheParquetSchema: one list of columns, in the CSV header
// and in the Parquet schema alike.
func TestColumnsAreTheParquetSchema(t *testing.T) {
	schema := parquet.SchemaOf(ParquetRow{})
	var names []string
	for _, f := range schema.Fields() {
		names = append(names, f.Name())
	}
	if strings.Join(names, ",") != strings.Join(Columns, ",") {
		t.Errorf("parquet columns %v\nwant %v", names, Columns)
	}
}

func TestCSVField(t *testing.T) {
	for in, want := range map[string]string{
		"plain":        "plain",
		"":             "",
		"a,b":          `"a,b"`,
		`say "hi"`:     `"say ""hi"""`,
		"two\nlines":   "\"two\nlines\"",
		"cr\r\nlf":     "\"cr\r\nlf\"",
		" leading":     `" leading"`,
		"trailing ":    "trailing ",
		"Bakı, Азер":   `"Bakı, Азер"`,
		"=SUM(A1)":     "=SUM(A1)",
		`"`:            `""""`,
		"tab\tinside":  "tab\tinside",
		"ünïcödé ✓ 日本": "ünïcödé ✓ 日本",
	} {
		if got := string(appendCSVField(nil, in)); got != want {
			t.Errorf("field %q: %q, want %q", in, got, want)
		}
	}
}

func TestIsContentType(t *testing.T) {
	for _, f := range Formats {
		if !IsContentType(ContentType(f)) {
			t.Errorf("%s: %s not recognised", f, ContentType(f))
		}
	}
	for _, ct := range []string{"application/json", "text/plain; charset=utf-8", "", "text/csvx"} {
		if IsContentType(ct) {
			t.Errorf("%q taken for an export type", ct)
		}
	}
}

func TestManifestTrailer(t *testing.T) {
	from := time.Date(2025, 2, 21, 0, 0, 0, 0, time.FixedZone("", 4*3600))
	m := &Manifest{Schema: ManifestSchema, Query: `"Qarabağ" OR Карабах, "quoted"` + "\n", Format: FormatCSV, Rows: 3, SHA256: "ab",
		Filters: Filters{Outlets: []string{"report"}, From: &from, TimeZone: "Asia/Baku"}, GeneratedAt: from}
	v := EncodeTrailer(m)
	if strings.ContainsFunc(v, func(r rune) bool { return r > 0x7e || r < 0x21 }) {
		t.Fatalf("trailer value %q is not header-safe ASCII", v)
	}
	got, err := DecodeTrailer(v)
	if err != nil || got.Query != m.Query || !got.Filters.From.Equal(from) || got.Rows != 3 {
		t.Errorf("round trip: %+v, %v", got, err)
	}
	for _, bad := range []string{"", "!!!", EncodeTrailer(&Manifest{Schema: "other"})} {
		if _, err := DecodeTrailer(bad); err == nil {
			t.Errorf("DecodeTrailer(%q) accepted", bad)
		}
	}
}

// FuzzCSVRecord: any fields make one record that a CSV reader splits back
// into the same fields (encoding/csv drops a CR before LF, even quoted).
func FuzzCSVRecord(f *testing.F) {
	f.Add("a", "b,c", "say \"hi\"")
	f.Add(" x", "line\nbreak", "cr\r\nlf")
	f.Add("", "\"", "\r")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		var buf bytes.Buffer
		w := &csvWriter{w: &buf}
		in := []string{a, b, c}
		if err := w.record(in); err != nil {
			t.Fatal(err)
		}
		r := csv.NewReader(&buf)
		r.FieldsPerRecord = 3
		got, err := r.Read()
		if err != nil {
			if strings.ContainsAny(a+b+c, "\x00") || !validUTF8(a+b+c) {
				return
			}
			t.Fatalf("%q: %v (%q)", in, err, buf.String())
		}
		for i := range in {
			want := strings.ReplaceAll(in[i], "\r\n", "\n")
			// A lone CR outside quotes is a line end to encoding/csv; the
			// writer quotes every field with a CR, so inside quotes it
			// reads back as written (as \n when before \n).
			if got[i] != want {
				t.Fatalf("field %d: %q read back as %q (%q)", i, in[i], got[i], buf.String())
			}
		}
	})
}

func validUTF8(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

// FuzzDecodeAgrees: the writers' decoder (goccy/go-json) reads any
// article's JSON as stored (json.Marshal of it) exactly as encoding/json
// does.
func FuzzDecodeAgrees(f *testing.F) {
	f.Add("Qarabağ, \"Bakı\"\n\tКарабах", "<script>alert(1)</script>\u2028\x00\xff", "Ann;Bob", int64(1740000000123456789), int32(4*3600), int64(-1), 2)
	f.Add("", "", "", int64(0), int32(0), int64(0), 0)
	f.Add(strings.Repeat("neft ", 500), "\\u00e9 \\\" \\\\", "\"", int64(-62135596800000000), int32(-12*3600), int64(1<<62), 1)
	f.Fuzz(func(t *testing.T, title, body, authors string, unixNano int64, offset int32, views int64, version int) {
		when := time.Unix(0, unixNano).In(time.FixedZone("", int(offset%(18*3600))))
		a := article.Article{Schema: article.Schema, ID: "0123456789abcdef0123456789abcdef", URL: "https://report.az/" + title,
			Outlet: "report", Title: title, Lead: title + body, Body: body, Authors: strings.Split(authors, ";"),
			Tags: []string{body}, PublishedAt: &when, ModifiedAt: nil, Views: &views, Links: []string{title, body},
			FetchedAt: when.UTC(), ContentHash: "ab", Version: version}
		if authors == "" {
			a.Authors, a.Views = nil, nil
		}
		doc, err := json.Marshal(&a)
		if err != nil {
			return // a year json.Marshal does not write
		}
		var std article.Article
		if err := json.Unmarshal(doc, &std); err != nil {
			t.Fatalf("encoding/json: %v (%s)", err, doc)
		}
		got, err := decode(doc)
		if err != nil {
			t.Fatalf("decode: %v (%s)", err, doc)
		}
		want, _ := json.Marshal(&std)
		have, _ := json.Marshal(got)
		if !bytes.Equal(want, have) || !got.PublishedAt.Equal(*std.PublishedAt) {
			t.Fatalf("decode disagrees with encoding/json:\n got %s\nwant %s", have, want)
		}
	})
}
