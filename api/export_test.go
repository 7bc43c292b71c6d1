package api

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/newswatch/newswatch/api/export"
	"github.com/newswatch/newswatch/api/keys"
	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/store"
)

// exported is one export as a client received it.
type exported struct {
	body     []byte
	total    int64
	rows     int64
	sha      string
	manifest *export.Manifest
}

// fetchExport runs GET /v1/export?params and checks what every complete
// export must hold: 200, the content type, the total before the rows, and
// trailers whose row count and SHA-256 match the body.
func (e *env) fetchExport(t *testing.T, key string, params url.Values) exported {
	t.Helper()
	resp, body := e.get(t, "GET", "/v1/export?"+params.Encode(), key)
	if resp.StatusCode != 200 {
		t.Fatalf("export %s: %d %s", params.Encode(), resp.StatusCode, body)
	}
	format := params.Get("format")
	if format == "" {
		format = export.FormatNDJSON
	}
	if ct := resp.Header.Get("Content-Type"); ct != export.ContentType(format) {
		t.Errorf("export %s: content type %q", params.Encode(), ct)
	}
	if ce := resp.Header.Get("Content-Encoding"); ce != "" {
		t.Errorf("export %s: content encoding %q: exports are not compressed", params.Encode(), ce)
	}
	x := exported{body: body}
	var err error
	if x.total, err = strconv.ParseInt(resp.Header.Get(export.HeaderTotal), 10, 64); err != nil {
		t.Errorf("export %s: %s = %q", params.Encode(), export.HeaderTotal, resp.Header.Get(export.HeaderTotal))
	}
	if x.rows, err = strconv.ParseInt(resp.Trailer.Get(export.TrailerRows), 10, 64); err != nil {
		t.Fatalf("export %s: trailer %s = %q (trailers %v)", params.Encode(), export.TrailerRows, resp.Trailer.Get(export.TrailerRows), resp.Trailer)
	}
	x.sha = resp.Trailer.Get(export.TrailerSHA256)
	sum := sha256.Sum256(body)
	if x.sha != hex.EncodeToString(sum[:]) {
		t.Errorf("export %s: trailer sha256 %s, body's %x", params.Encode(), x.sha, sum)
	}
	if x.manifest, err = export.DecodeTrailer(resp.Trailer.Get(export.TrailerManifest)); err != nil {
		t.Fatal(err)
	}
	m := x.manifest
	if m.Rows != x.rows || m.SHA256 != x.sha || m.Bytes != int64(len(body)) || m.Format != format || m.Query != params.Get("q") ||
		m.ArticleSchema != article.Schema || m.Store != cmp.Or(e.storeName, "bleve") || m.NewswatchVersion != "v-test" || m.GeneratedAt.IsZero() || m.CompletedAt.Before(m.GeneratedAt) {
		t.Errorf("export %s: manifest %+v", params.Encode(), m)
	}
	return x
}

// checkSameArticle compares an article read back from an export with the
// stored one: the same JSON, times compared as instants when instants is
// set (Parquet keeps the instant to the microsecond, not the offset).
func checkSameArticle(t *testing.T, where string, got, want *article.Article, instants bool) {
	t.Helper()
	if instants {
		same := func(g, w time.Time) bool { return g.Equal(w.Truncate(time.Microsecond)) }
		for _, p := range []struct{ g, w **time.Time }{{&got.PublishedAt, &want.PublishedAt}, {&got.ModifiedAt, &want.ModifiedAt}} {
			if *p.g != nil && *p.w != nil && same(**p.g, **p.w) {
				*p.g = *p.w
			}
		}
		if same(got.FetchedAt, want.FetchedAt) {
			got.FetchedAt = want.FetchedAt
		}
	}
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if !bytes.Equal(g, w) {
		t.Errorf("%s:\n got %s\nwant %s", where, g, w)
	}
}

// fromCSV reads a CSV record back into an article.
func fromCSV(t *testing.T, rec []string) *article.Article {
	t.Helper()
	if len(rec) != len(export.Columns) {
		t.Fatalf("CSV record of %d fields, want %d", len(rec), len(export.Columns))
	}
	f := map[string]string{}
	for i, c := range export.Columns {
		f[c] = rec[i]
	}
	a := &article.Article{Schema: article.Schema, ID: f["id"], URL: f["url"], CanonicalURL: f["canonical_url"], Outlet: f["outlet"],
		Title: f["title"], Lead: f["lead"], Body: f["body"], Section: f["section"], Language: f["language"], DateSource: f["date_source"],
		Image: f["image"], ContentHash: f["content_hash"]}
	for _, l := range []struct {
		name string
		dst  *[]string
	}{{"authors", &a.Authors}, {"tags", &a.Tags}, {"links", &a.Links}} {
		if f[l.name] != "" {
			if err := json.Unmarshal([]byte(f[l.name]), l.dst); err != nil {
				t.Fatalf("CSV %s %q: %v", l.name, f[l.name], err)
			}
		}
	}
	for _, tm := range []struct {
		name string
		dst  **time.Time
	}{{"published_at", &a.PublishedAt}, {"modified_at", &a.ModifiedAt}} {
		if f[tm.name] != "" {
			v, err := time.Parse(time.RFC3339Nano, f[tm.name])
			if err != nil {
				t.Fatal(err)
			}
			*tm.dst = &v
		}
	}
	var err error
	if a.FetchedAt, err = time.Parse(time.RFC3339Nano, f["fetched_at"]); err != nil {
		t.Fatal(err)
	}
	if f["views"] != "" {
		v, err := strconv.ParseInt(f["views"], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		a.Views = &v
	}
	if a.Version, err = strconv.Atoi(f["version"]); err != nil {
		t.Fatal(err)
	}
	return a
}

// parquetTimes reads a Parquet export's rows with the timestamps as
// integers: parquet-go reads them into time.Time through nanoseconds,
// which do not reach past 2262 (pyarrow reads the dates themselves in
// TestExportReadsBackInPython).
type parquetTimes struct {
	ID           string   `parquet:"id"`
	URL          string   `parquet:"url"`
	CanonicalURL string   `parquet:"canonical_url"`
	Outlet       string   `parquet:"outlet"`
	Title        *string  `parquet:"title,optional"`
	Lead         *string  `parquet:"lead,optional"`
	Body         *string  `parquet:"body,optional"`
	Authors      []string `parquet:"authors,list"`
	Section      *string  `parquet:"section,optional"`
	Tags         []string `parquet:"tags,list"`
	Language     *string  `parquet:"language,optional"`
	PublishedAt  *int64   `parquet:"published_at,optional"`
	DateSource   *string  `parquet:"date_source,optional"`
	ModifiedAt   *int64   `parquet:"modified_at,optional"`
	Image        *string  `parquet:"image,optional"`
	Views        *int64   `parquet:"views,optional"`
	Links        []string `parquet:"links,list"`
	FetchedAt    int64    `parquet:"fetched_at"`
	ContentHash  string   `parquet:"content_hash"`
	Version      int32    `parquet:"version"`
}

func (r parquetTimes) article() *article.Article {
	s := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	tm := func(us *int64) *time.Time {
		if us == nil {
			return nil
		}
		v := time.UnixMicro(*us).UTC()
		return &v
	}
	return &article.Article{Schema: article.Schema, ID: r.ID, URL: r.URL, CanonicalURL: r.CanonicalURL, Outlet: r.Outlet,
		Title: s(r.Title), Lead: s(r.Lead), Body: s(r.Body), Authors: r.Authors, Section: s(r.Section), Tags: r.Tags,
		Language: s(r.Language), PublishedAt: tm(r.PublishedAt), DateSource: s(r.DateSource), ModifiedAt: tm(r.ModifiedAt),
		Image: s(r.Image), Views: r.Views, Links: r.Links, FetchedAt: *tm(&r.FetchedAt), ContentHash: r.ContentHash, Version: int(r.Version)}
}

// TestExportFormats: every format holds every article the query matches,
// newest first, with the values stored: NDJSON is the articles' JSON,
// CSV reads back with encoding/csv and Parquet with parquet-go (and with
// Python's csv module and pyarrow in TestExportReadsBackInPython).
func TestExportFormats(t *testing.T) {
	set, tok := newKeys(t)
	e := newCorpusEnv(t, Config{Keys: set, Version: "v-test", StoreName: "bleve"}, corpus(t, 600, 5*time.Hour))
	byID := map[string]*article.Article{}
	for _, a := range e.arts {
		byID[a.ID] = a
	}
	for _, params := range []url.Values{
		{},
		{"q": {"Bakı OR Баку OR Baku"}},
		{"q": {"neft"}, "lang": {"az,ru"}, "from": {"2024-06-01"}, "tz": {"Asia/Baku"}},
		{"q": {"nonexistentword"}},
	} {
		q, _, err := newServerFor(t).parseFilters(params)
		if err != nil {
			t.Fatal(err)
		}
		want := searchAll(t, e.st, q)
		for _, format := range export.Formats {
			p := url.Values{"format": {format}}
			for k, v := range params {
				p[k] = v
			}
			x := e.fetchExport(t, tok[keys.ScopeExport], p)
			if x.total != int64(len(want)) || x.rows != int64(len(want)) {
				t.Fatalf("%s: total %d, rows %d; search finds %d", p.Encode(), x.total, x.rows, len(want))
			}
			got, instants := readExport(t, p.Encode(), format, x.body, byID)
			if len(got) != len(want) {
				t.Fatalf("%s: %d articles in the file, want %d", p.Encode(), len(got), len(want))
			}
			for i, a := range got {
				if a.ID != want[i] {
					t.Fatalf("%s: row %d is %s, newest-first search has %s", p.Encode(), i, a.ID, want[i])
				}
				checkSameArticle(t, p.Encode()+" row "+strconv.Itoa(i), a, byID[a.ID], instants)
			}
		}
	}
}

// readExport reads the articles of an export back: NDJSON lines, CSV
// records (encoding/csv) or Parquet rows (parquet-go). instants says the
// times are instants to the microsecond (Parquet). byID (the articles
// stored) restores what encoding/csv changes: CR LF in a field.
func readExport(t *testing.T, where, format string, body []byte, byID map[string]*article.Article) (got []*article.Article, instants bool) {
	t.Helper()
	switch format {
	case export.FormatNDJSON:
		for _, line := range bytes.Split(bytes.TrimSuffix(body, []byte("\n")), []byte("\n")) {
			if len(line) == 0 {
				continue
			}
			a := new(article.Article)
			if err := json.Unmarshal(line, a); err != nil {
				t.Fatalf("%s: line %q: %v", where, line, err)
			}
			got = append(got, a)
		}
	case export.FormatCSV:
		if !bytes.HasPrefix(body, []byte(strings.Join(export.Columns, ",")+"\r\n")) {
			t.Fatalf("%s: header %.200q", where, body)
		}
		r := csv.NewReader(bytes.NewReader(body))
		r.FieldsPerRecord = len(export.Columns)
		recs, err := r.ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		for _, rec := range recs[1:] {
			a := fromCSV(t, rec)
			// encoding/csv drops a CR before LF inside quoted
			// fields too (Python's csv module keeps it: see
			// TestExportReadsBackInPython).
			if w := byID[a.ID]; w != nil && strings.Contains(w.Body, "\r\n") && a.Body == strings.ReplaceAll(w.Body, "\r\n", "\n") {
				a.Body = w.Body
			}
			got = append(got, a)
		}
	case export.FormatParquet:
		instants = true
		// One fresh row at a time: parquet-go's reader leaves a
		// pointer field of a reused row as it was when the
		// column is null.
		pr := parquet.NewGenericReader[parquetTimes](bytes.NewReader(body))
		for {
			row := make([]parquetTimes, 1)
			n, err := pr.Read(row)
			if n == 1 {
				got = append(got, row[0].article())
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", where, err)
			}
		}
		pr.Close()
	}
	return got, instants
}

// newServerFor is a server for calling its parsers directly.
func newServerFor(t *testing.T) *Server {
	s, err := New(Config{}, brokenStore{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// python is an interpreter with pyarrow: $NEWSWATCH_PYTHON, else python3
// on PATH. Without one the test is skipped, saying so - unless
// NEWSWATCH_REQUIRE_PYTHON is set (CI sets it, with a venv made by
// .ci/run), when that is a failure.
func python(t *testing.T) string {
	t.Helper()
	py := os.Getenv("NEWSWATCH_PYTHON")
	if py == "" {
		py = "python3"
	}
	out, err := exec.Command(py, "-c", "import pyarrow; print(pyarrow.__version__)").CombinedOutput()
	if err != nil {
		msg := "no Python with pyarrow (" + py + ": " + strings.TrimSpace(string(out)) + "); set NEWSWATCH_PYTHON to a venv's python with pyarrow (.ci/run makes one)"
		if os.Getenv("NEWSWATCH_REQUIRE_PYTHON") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	t.Logf("reading back with %s, pyarrow %s", py, strings.TrimSpace(string(out)))
	return py
}

// TestExportReadsBackInPython: independent readers - Python's csv module
// and pyarrow - read the same rows and values the store holds.
func TestExportReadsBackInPython(t *testing.T) {
	py := python(t)
	set, tok := newKeys(t)
	e := newCorpusEnv(t, Config{Keys: set, Version: "v-test", StoreName: "bleve"}, corpus(t, 400, 7*time.Hour))
	want := searchAll(t, e.st, store.Query{})
	byID := map[string]*article.Article{}
	for _, a := range e.arts {
		byID[a.ID] = a
	}
	dir := t.TempDir()
	read := func(kind string, body []byte) []byte {
		path := filepath.Join(dir, "export."+kind)
		if err := os.WriteFile(path, body, 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(py, "testdata/readback.py", kind, path)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("readback.py %s: %v\n%s", kind, err, stderr.String())
		}
		return out
	}

	x := e.fetchExport(t, tok[keys.ScopeExport], url.Values{"format": {"csv"}})
	var c struct {
		Rows [][]string `json:"rows"`
	}
	if err := json.Unmarshal(read("csv", x.body), &c); err != nil {
		t.Fatal(err)
	}
	if len(c.Rows) != len(want)+1 || strings.Join(c.Rows[0], ",") != strings.Join(export.Columns, ",") {
		t.Fatalf("Python's csv module read %d rows (header %v), want %d + header", len(c.Rows), c.Rows[0], len(want))
	}
	for i, rec := range c.Rows[1:] {
		a := fromCSV(t, rec)
		if a.ID != want[i] {
			t.Fatalf("csv row %d is %s, want %s", i, a.ID, want[i])
		}
		checkSameArticle(t, "csv (Python) row "+strconv.Itoa(i), a, byID[a.ID], false)
	}

	x = e.fetchExport(t, tok[keys.ScopeExport], url.Values{"format": {"parquet"}})
	var pq struct {
		Schema  map[string]string `json:"schema"`
		NumRows int               `json:"num_rows"`
		Rows    []map[string]any  `json:"rows"`
	}
	dec := json.NewDecoder(bytes.NewReader(read("parquet", x.body)))
	dec.UseNumber()
	if err := dec.Decode(&pq); err != nil {
		t.Fatal(err)
	}
	if pq.NumRows != len(want) || len(pq.Rows) != len(want) {
		t.Fatalf("pyarrow read %d rows, want %d", pq.NumRows, len(want))
	}
	// Typed columns.
	for col, typ := range map[string]string{"id": "string", "views": "int64", "version": "int32", "authors": "list<element: string not null>",
		"published_at": "timestamp[us, tz=UTC]", "fetched_at": "timestamp[us, tz=UTC]", "outlet": "string", "body": "string"} {
		if got := strings.TrimPrefix(pq.Schema[col], "large_"); got != typ && !(typ == "string" && strings.HasPrefix(got, "dictionary<values=string")) {
			t.Errorf("pyarrow: column %s is %s, want %s", col, pq.Schema[col], typ)
		}
	}
	if len(pq.Schema) != len(export.Columns) {
		t.Errorf("pyarrow: %d columns, want %d: %v", len(pq.Schema), len(export.Columns), pq.Schema)
	}
	for i, r := range pq.Rows {
		a, err := articleFromPy(r)
		if err != nil {
			t.Fatalf("pyarrow row %d: %v", i, err)
		}
		if a.ID != want[i] {
			t.Fatalf("parquet row %d is %s, want %s", i, a.ID, want[i])
		}
		checkSameArticle(t, "parquet (pyarrow) row "+strconv.Itoa(i), a, byID[a.ID], true)
	}
}

// articleFromPy turns a pyarrow row (timestamps as microseconds) into an
// article.
func articleFromPy(r map[string]any) (*article.Article, error) {
	str := func(k string) string { s, _ := r[k].(string); return s }
	strs := func(k string) []string {
		l, _ := r[k].([]any)
		var out []string
		for _, v := range l {
			s, _ := v.(string)
			out = append(out, s)
		}
		return out
	}
	ts := func(k string) (*time.Time, error) {
		n, ok := r[k].(json.Number)
		if !ok {
			return nil, nil
		}
		us, err := n.Int64()
		if err != nil {
			return nil, err
		}
		v := time.UnixMicro(us).UTC()
		return &v, nil
	}
	a := &article.Article{Schema: article.Schema, ID: str("id"), URL: str("url"), CanonicalURL: str("canonical_url"), Outlet: str("outlet"),
		Title: str("title"), Lead: str("lead"), Body: str("body"), Authors: strs("authors"), Section: str("section"), Tags: strs("tags"),
		Language: str("language"), DateSource: str("date_source"), Image: str("image"), Links: strs("links"), ContentHash: str("content_hash")}
	var err error
	if a.PublishedAt, err = ts("published_at"); err != nil {
		return nil, err
	}
	if a.ModifiedAt, err = ts("modified_at"); err != nil {
		return nil, err
	}
	f, err := ts("fetched_at")
	if err != nil || f == nil {
		return nil, errors.New("no fetched_at")
	}
	a.FetchedAt = *f
	if n, ok := r["views"].(json.Number); ok {
		v, err := n.Int64()
		if err != nil {
			return nil, err
		}
		a.Views = &v
	}
	n, _ := r["version"].(json.Number)
	v, err := n.Int64()
	a.Version = int(v)
	return a, err
}

// failingScan fails a scan after some articles.
type failingScan struct {
	store.Store
	after int
}

func (f failingScan) ScanJSON(ctx context.Context, q store.Query, fn func([]byte) error) error {
	n := 0
	err := f.Store.ScanJSON(ctx, q, func(doc []byte) error {
		if n++; n > f.after {
			return errors.New("disk on fire")
		}
		return fn(doc)
	})
	return err
}

// TestExportIncomplete: a store failure in the middle of an export ends
// the response without trailers and without its final chunk, so no client
// takes it for a complete file; bad requests are refused before the
// stream starts, with JSON errors.
func TestExportIncomplete(t *testing.T) {
	set, tok := newKeys(t)
	arts := corpus(t, 300, 2*time.Hour)
	idxEnv := newCorpusEnv(t, Config{Keys: set}, arts)
	e := newEnvStore(t, Config{Keys: set}, failingScan{Store: idxEnv.st, after: 150})
	req, _ := http.NewRequest("GET", e.srv.URL+"/v1/export?format=ndjson", nil)
	req.Header.Set("Authorization", "Bearer "+tok[keys.ScopeExport])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err == nil {
		t.Fatalf("a failed export read to its end without error (%d bytes)", len(body))
	}
	if resp.Trailer.Get(export.TrailerRows) != "" || resp.Trailer.Get(export.TrailerManifest) != "" {
		t.Errorf("a failed export has trailers %v", resp.Trailer)
	}
	if n := bytes.Count(body, []byte("\n")); n > 150 {
		t.Errorf("%d rows arrived, the store gave 150", n)
	}
}

// TestExportBusy: exports beyond MaxExports get 503 with Retry-After.
func TestExportBusy(t *testing.T) {
	set, tok := newKeys(t)
	blocked := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	base := newCorpusEnv(t, Config{Keys: set}, corpus(t, 50, time.Hour)).st
	e := newEnvStore(t, Config{Keys: set, MaxExports: 1}, slowScan{Store: base, hold: func() {
		once.Do(func() { close(blocked) })
		<-release
	}})
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.get(t, "GET", "/v1/export", tok[keys.ScopeExport])
	}()
	<-blocked
	resp, body := e.get(t, "GET", "/v1/export", tok[keys.ScopeExport])
	close(release)
	<-done
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(body), CodeBusy) {
		t.Errorf("second export: %d Retry-After %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
}

type slowScan struct {
	store.Store
	hold func()
}

func (s slowScan) ScanJSON(ctx context.Context, q store.Query, fn func([]byte) error) error {
	s.hold()
	return s.Store.ScanJSON(ctx, q, fn)
}
