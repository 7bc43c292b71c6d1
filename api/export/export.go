// Package export writes articles as a file people take away: CSV (RFC
// 4180, a header row), NDJSON (one Article v1 JSON object per line) or
// Parquet (typed columns, written by parquet-go), each streamed at
// constant memory; and the manifest that says what an export holds.
//
// Writers take each article as its Article v1 JSON, as store.ScanJSON
// delivers it: NDJSON writes it as it is, CSV and Parquet decode it.
//
// Columns (CSV header and Parquet schema) are the Article v1 fields in
// their order, without "schema" (the manifest names it). In CSV a value an
// article does not have is an empty cell, lists (authors, tags, links) are
// JSON arrays (unambiguous whatever the names hold), and times are RFC
// 3339 with the article's own offset, as in its JSON. In Parquet a missing
// value is null, lists are lists of strings and times are timestamps in
// microseconds, UTC (the instant, not the offset; nanosecond timestamps
// would not reach past 2262, and articles do carry such dates).
package export

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"runtime"
	"strconv"
	"time"

	gojson "github.com/goccy/go-json"
	"github.com/parquet-go/parquet-go"

	"github.com/newswatch/newswatch/article"
)

// Formats.
const (
	FormatCSV     = "csv"
	FormatNDJSON  = "ndjson"
	FormatParquet = "parquet"
)

// Formats lists the export formats.
var Formats = []string{FormatCSV, FormatNDJSON, FormatParquet}

// ErrFormat: the format is not one of Formats.
var ErrFormat = errors.New("unknown export format")

// ContentType is the media type of a format.
func ContentType(format string) string {
	switch format {
	case FormatCSV:
		return "text/csv; charset=utf-8; header=present"
	case FormatNDJSON:
		return "application/x-ndjson"
	case FormatParquet:
		return "application/vnd.apache.parquet"
	}
	return "application/octet-stream"
}

// IsContentType reports whether ct (a Content-Type header) is the media
// type of an export format.
func IsContentType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	for _, f := range Formats {
		if m, _, _ := mime.ParseMediaType(ContentType(f)); m == mt {
			return true
		}
	}
	return false
}

// Columns are the CSV header and the Parquet columns, in order.
var Columns = []string{"id", "url", "canonical_url", "outlet", "title", "lead", "body", "authors", "section", "tags",
	"language", "published_at", "date_source", "modified_at", "image", "views", "links", "fetched_at", "content_hash", "version", "story_id"}

// Writer writes an export.
type Writer interface {
	// Write writes one article, given as its Article v1 JSON.
	Write(doc []byte) error
	// Close writes what the format keeps to the end (a Parquet footer)
	// and flushes; it does not close the underlying writer.
	Close() error
}

// New returns a writer of format to w.
func New(format string, w io.Writer) (Writer, error) {
	switch format {
	case FormatNDJSON:
		return &ndjsonWriter{w: w}, nil
	case FormatCSV:
		return newCSVWriter(w)
	case FormatParquet:
		return newParquetWriter(w), nil
	}
	return nil, fmt.Errorf("%w %q: want csv, ndjson or parquet", ErrFormat, format)
}

// ndjsonWriter writes each article's JSON and a newline: the JSON of an
// article is one line (json.Marshal escapes newlines inside strings).
type ndjsonWriter struct {
	w io.Writer
}

var newline = []byte{'\n'}

func (n *ndjsonWriter) Write(doc []byte) error {
	if _, err := n.w.Write(doc); err != nil {
		return err
	}
	_, err := n.w.Write(newline)
	return err
}

func (n *ndjsonWriter) Close() error { return nil }

// decode decodes an article's JSON for the CSV and Parquet writers with
// goccy/go-json, a drop-in for encoding/json that decodes the articles
// about 4 times as fast (decoding was most of a CSV export's CPU time);
// FuzzDecodeAgrees checks it reads every article as encoding/json does.
func decode(doc []byte) (*article.Article, error) {
	a := new(article.Article)
	if err := gojson.Unmarshal(doc, a); err != nil {
		return nil, fmt.Errorf("export: article JSON: %w", err)
	}
	return a, nil
}

// csvWriter writes RFC 4180 records: fields separated by commas, records
// ended by CRLF, a field quoted when it holds a comma, quote, CR or LF
// (or starts with a space), quotes doubled. Unlike encoding/csv with
// UseCRLF, line breaks inside a field are written as they are, so a body's
// "\n\n" reads back as "\n\n", not "\r\n\r\n".
type csvWriter struct {
	w      io.Writer
	buf    []byte
	fields []string
	gc     collector
}

func newCSVWriter(w io.Writer) (*csvWriter, error) {
	c := &csvWriter{w: w}
	return c, c.record(Columns)
}

func (c *csvWriter) record(fields []string) error {
	c.buf = c.buf[:0]
	for i, f := range fields {
		if i > 0 {
			c.buf = append(c.buf, ',')
		}
		c.buf = appendCSVField(c.buf, f)
	}
	c.buf = append(c.buf, '\r', '\n')
	_, err := c.w.Write(c.buf)
	return err
}

func appendCSVField(b []byte, f string) []byte {
	quote := f != "" && f[0] == ' '
	for i := 0; i < len(f) && !quote; i++ {
		switch f[i] {
		case ',', '"', '\r', '\n':
			quote = true
		}
	}
	if !quote {
		return append(b, f...)
	}
	b = append(b, '"')
	for i := 0; i < len(f); i++ {
		if f[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, f[i])
	}
	return append(b, '"')
}

func (c *csvWriter) Write(doc []byte) error {
	a, err := decode(doc)
	if err != nil {
		return err
	}
	c.fields = append(c.fields[:0], a.ID, a.URL, a.CanonicalURL, a.Outlet, a.Title, a.Lead, a.Body, list(a.Authors), a.Section,
		list(a.Tags), a.Language, timeText(a.PublishedAt), a.DateSource, timeText(a.ModifiedAt), a.Image, intText(a.Views),
		list(a.Links), a.FetchedAt.Format(time.RFC3339Nano), a.ContentHash, strconv.Itoa(a.Version), a.StoryID)
	c.gc.rows(1)
	return c.record(c.fields)
}

func (c *csvWriter) Close() error { return nil }

// list is a list cell: a JSON array, or empty for none.
func list(v []string) string {
	if len(v) == 0 {
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// timeText formats a time as the article JSON does.
func timeText(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}

func intText(n *int64) string {
	if n == nil {
		return ""
	}
	return strconv.FormatInt(*n, 10)
}

// ParquetRow is a row of a Parquet export: the columns, typed. Missing
// values are nulls (nil); lists are never null (a missing list is empty).
type ParquetRow struct {
	ID           string     `parquet:"id"`
	URL          string     `parquet:"url"`
	CanonicalURL string     `parquet:"canonical_url"`
	Outlet       string     `parquet:"outlet,dict"`
	Title        *string    `parquet:"title,optional"`
	Lead         *string    `parquet:"lead,optional"`
	Body         *string    `parquet:"body,optional"`
	Authors      []string   `parquet:"authors,list"`
	Section      *string    `parquet:"section,optional,dict"`
	Tags         []string   `parquet:"tags,list"`
	Language     *string    `parquet:"language,optional,dict"`
	PublishedAt  *time.Time `parquet:"published_at,optional,timestamp(microsecond)"`
	DateSource   *string    `parquet:"date_source,optional,dict"`
	ModifiedAt   *time.Time `parquet:"modified_at,optional,timestamp(microsecond)"`
	Image        *string    `parquet:"image,optional"`
	Views        *int64     `parquet:"views,optional"`
	Links        []string   `parquet:"links,list"`
	FetchedAt    time.Time  `parquet:"fetched_at,timestamp(microsecond)"`
	ContentHash  string     `parquet:"content_hash"`
	Version      int32      `parquet:"version"`
	StoryID      *string    `parquet:"story_id,optional"`
}

// parquetRowOf is the row of an article.
func parquetRowOf(a *article.Article) ParquetRow {
	opt := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	utc := func(t *time.Time) *time.Time {
		if t == nil {
			return nil
		}
		u := t.UTC().Truncate(time.Microsecond)
		return &u
	}
	return ParquetRow{
		ID: a.ID, URL: a.URL, CanonicalURL: a.CanonicalURL, Outlet: a.Outlet,
		Title: opt(a.Title), Lead: opt(a.Lead), Body: opt(a.Body), Authors: a.Authors, Section: opt(a.Section),
		Tags: a.Tags, Language: opt(a.Language), PublishedAt: utc(a.PublishedAt), DateSource: opt(a.DateSource),
		ModifiedAt: utc(a.ModifiedAt), Image: opt(a.Image), Views: a.Views, Links: a.Links,
		FetchedAt: a.FetchedAt.UTC().Truncate(time.Microsecond), ContentHash: a.ContentHash, Version: int32(a.Version),
		StoryID: opt(a.StoryID),
	}
}

// Parquet layout: rows are buffered and written parquetBatch at a time,
// and a row group is closed every ParquetRowGroup rows, which bounds the
// memory a Parquet export holds (a row group's columns until written).
const (
	parquetBatch    = 128
	ParquetRowGroup = 4096
)

type parquetWriter struct {
	pw   *parquet.GenericWriter[ParquetRow]
	rows []ParquetRow
	gc   collector
}

func newParquetWriter(w io.Writer) *parquetWriter {
	opts := []parquet.WriterOption{
		parquet.Compression(&parquet.Snappy),
		parquet.MaxRowsPerRowGroup(ParquetRowGroup),
		parquet.CreatedBy("newswatch", "", ""),
	}
	// Page bounds (the column index's min and max of each page) of free
	// text select nothing, and parquet-go keeps each page's whole min and
	// max values until the footer: a body column's would grow with every
	// row (about 25 bytes a row, 25 MB in a million-row export).
	for _, col := range parquetNoBounds {
		opts = append(opts, parquet.SkipPageBounds(col...))
	}
	return &parquetWriter{pw: parquet.NewGenericWriter[ParquetRow](w, opts...)}
}

// parquetNoBounds are the columns (paths) whose pages have no bounds in
// the column index: the free text ones.
var parquetNoBounds = [][]string{{"title"}, {"lead"}, {"body"}, {"image"}, {"links", "list", "element"}}

func (p *parquetWriter) Write(doc []byte) error {
	a, err := decode(doc)
	if err != nil {
		return err
	}
	p.rows = append(p.rows, parquetRowOf(a))
	if len(p.rows) == parquetBatch {
		return p.flushRows()
	}
	return nil
}

func (p *parquetWriter) flushRows() error {
	if len(p.rows) == 0 {
		return nil
	}
	_, err := p.pw.Write(p.rows)
	p.gc.rows(len(p.rows))
	clear(p.rows)
	p.rows = p.rows[:0]
	if err != nil {
		return fmt.Errorf("export: parquet: %w", err)
	}
	return nil
}

// collectEvery is how many rows a CSV or Parquet export writes between two
// garbage collections: a Parquet row group (megabytes of column buffers)
// and the articles decoded for it are garbage once written. Collected
// then, the next row group reuses their memory instead of the heap first
// growing to twice its live size (the collector's default pacing), which
// took a 1M-row Parquet export to 232-242 MiB of RSS (174 MiB now) and a
// CSV one to 196-200 MiB (155 MiB now), for the same CPU time within the
// machine's noise (make bench-export). NDJSON decodes nothing and needs no
// such help.
const collectEvery = ParquetRowGroup

// collector runs a garbage collection every collectEvery rows.
type collector struct{ since int }

func (c *collector) rows(n int) {
	c.since += n
	if c.since >= collectEvery {
		c.since = 0
		runtime.GC()
	}
}

func (p *parquetWriter) Close() error {
	if err := p.flushRows(); err != nil {
		return err
	}
	if err := p.pw.Close(); err != nil {
		return fmt.Errorf("export: parquet: %w", err)
	}
	return nil
}
