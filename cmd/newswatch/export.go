package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/newswatch/newswatch/api/export"
)

const exportAbout = "Exports every article a query matches, newest first, from a running newswatch API\n" +
	"(`run`, `api` or `demo`) into FILE as CSV, NDJSON or Parquet, with a progress bar (rows,\n" +
	"rate, time left), and writes FILE.manifest.json beside it: the query and filters, when it\n" +
	"was made, the row count, the file's SHA-256, the newswatch version and the store.\n" +
	"The file appears only when the export is complete and its row count and SHA-256 match\n" +
	"what the server sent; an interrupted export leaves nothing behind.\n\n" +
	"The API key (scope export) comes from --key-file or $NEWSWATCH_API_KEY."

func cmdExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("export", "--query Q --format csv|ndjson|parquet --out FILE [flags]", exportAbout)
	query := fs.String("query", "", "the query (the q of /v1/search); empty: every article")
	format := fs.String("format", "", "csv, ndjson or parquet (default: from --out's extension)")
	out := fs.String("out", "", "the file to write (required); FILE.manifest.json is written beside it")
	var af apiFlags
	af.register(fs)
	var outlets, langs, sections, authors stringList
	fs.Var(&outlets, "outlet", "only these outlet IDs; repeatable or comma-separated")
	fs.Var(&langs, "lang", "only these languages; repeatable or comma-separated")
	fs.Var(&sections, "section", "only these sections; repeatable or comma-separated")
	fs.Var(&authors, "author", "only these authors; repeatable or comma-separated")
	from := fs.String("from", "", "published at or after: a date (2025-02-21) or an RFC 3339 time")
	to := fs.String("to", "", "published before: an RFC 3339 time, or a date (that whole day included)")
	tz := fs.String("tz", "", "time zone of date-only --from/--to (default: the server's)")
	quiet := fs.Bool("quiet", false, "no progress bar")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *out == "" {
		fmt.Fprintln(stderr, "--out is required")
		fs.Usage()
		return errUsage
	}
	if *format == "" {
		*format = strings.TrimPrefix(filepath.Ext(*out), ".")
	}
	if !contains(export.Formats, *format) {
		return fmt.Errorf("--format %q: want csv, ndjson or parquet (or an --out ending in one)", *format)
	}
	base, key, err := af.resolve()
	if err != nil {
		return err
	}
	params := url.Values{"format": {*format}}
	for name, v := range map[string]string{"q": *query, "from": *from, "to": *to, "tz": *tz} {
		if v != "" {
			params.Set(name, v)
		}
	}
	for name, l := range map[string]stringList{"outlet": outlets, "lang": langs, "section": sections, "author": authors} {
		if len(l) > 0 {
			params[name] = l
		}
	}
	u := base.JoinPath("/v1/export")
	u.RawQuery = params.Encode()
	m, err := download(ctx, u.String(), key, *out, stderr, *quiet)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d rows, %d bytes, sha256 %s\n%s.manifest.json\n", *out, m.Rows, m.Bytes, m.SHA256, *out)
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// download saves an export into path (through a temporary file beside
// it) and its manifest into path.manifest.json, once the trailers confirm
// the row count and SHA-256 of what arrived.
func download(ctx context.Context, u, key, path string, stderr io.Writer, quiet bool) (*export.Manifest, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	// No transparent gzip: the server sends exports uncompressed, and the
	// SHA-256 is of the bytes as sent.
	client := &http.Client{Transport: &http.Transport{Proxy: http.ProxyFromEnvironment, DisableCompression: true}}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, apiError(resp)
	}
	total, _ := strconv.ParseInt(resp.Header.Get(export.HeaderTotal), 10, 64)
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".partial-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name()) // after the rename, nothing is left to remove
	defer tmp.Close()
	sum := sha256.New()
	rows := &rowCounter{format: formatOf(resp.Header.Get("Content-Type"))}
	var bar *progressbar.ProgressBar
	switch {
	case quiet:
	case rows.format == export.FormatParquet:
		// Parquet rows are counted only in its footer: the bar shows
		// bytes.
		bar = progressbar.DefaultBytes(-1, fmt.Sprintf("exporting %d rows as parquet", total))
		progressbar.OptionSetWriter(stderr)(bar)
	default:
		bar = progressbar.NewOptions64(max(total, 1),
			progressbar.OptionSetWriter(stderr),
			progressbar.OptionSetDescription("exporting"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetItsString("rows"),
			progressbar.OptionShowIts(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(stderr) }),
		)
		rows.onRows = func(n int64) { _ = bar.Set64(min(n, max(total, 1))) }
	}
	sinks := []io.Writer{tmp, sum, rows}
	if bar != nil && rows.format == export.FormatParquet {
		sinks = append(sinks, bar)
	}
	n, err := io.Copy(io.MultiWriter(sinks...), resp.Body)
	if err != nil {
		return nil, fmt.Errorf("export incomplete after %d bytes (%d rows): %w; nothing was saved", n, rows.n, err)
	}
	trRows, trSum := resp.Trailer.Get(export.TrailerRows), resp.Trailer.Get(export.TrailerSHA256)
	if trRows == "" || trSum == "" {
		return nil, fmt.Errorf("export incomplete: the server ended the response after %d bytes without its row count and checksum; nothing was saved", n)
	}
	got := hex.EncodeToString(sum.Sum(nil))
	if got != trSum {
		return nil, fmt.Errorf("export damaged: SHA-256 %s, the server sent %s; nothing was saved", got, trSum)
	}
	m, err := export.DecodeTrailer(resp.Trailer.Get(export.TrailerManifest))
	if err != nil {
		return nil, err
	}
	if strconv.FormatInt(m.Rows, 10) != trRows || m.SHA256 != got || m.Bytes != n {
		return nil, fmt.Errorf("export: the manifest (%d rows, %d bytes) does not match the data (%s rows, %d bytes)", m.Rows, m.Bytes, trRows, n)
	}
	if (rows.format == export.FormatCSV || rows.format == export.FormatNDJSON) && rows.counted() != m.Rows {
		return nil, fmt.Errorf("export: %d rows arrived, the server counted %d", rows.counted(), m.Rows)
	}
	if bar != nil {
		_ = bar.Finish()
	}
	if err := tmp.Sync(); err != nil {
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	m.File = filepath.Base(path)
	mb, _ := json.MarshalIndent(m, "", "  ")
	if err := writeFileAtomic(path+".manifest.json", append(mb, '\n')); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return nil, err
	}
	return m, nil
}

// writeFileAtomic writes a file through a temporary one beside it.
func writeFileAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// apiError reads the API's JSON error.
func apiError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var e struct {
		Error struct {
			Code, Message string
		} `json:"error"`
	}
	if json.Unmarshal(b, &e) == nil && e.Error.Message != "" {
		return fmt.Errorf("the API answered %d %s: %s", resp.StatusCode, e.Error.Code, e.Error.Message)
	}
	return fmt.Errorf("the API answered %s: %.200s", resp.Status, b)
}

// formatOf is the export format of a content type, or "".
func formatOf(ct string) string {
	for _, f := range export.Formats {
		if ct == export.ContentType(f) {
			return f
		}
	}
	return ""
}

// rowCounter counts the rows of an export as it arrives, for the progress
// bar: lines of NDJSON; records of CSV (line ends outside quotes, less the
// header). Parquet rows are only known at the end: its bar follows the
// rows the server reports.
type rowCounter struct {
	format  string
	n       int64
	inQuote bool
	onRows  func(int64)
}

func (c *rowCounter) Write(b []byte) (int, error) {
	before := c.n
	switch c.format {
	case export.FormatNDJSON:
		for _, x := range b {
			if x == '\n' {
				c.n++
			}
		}
	case export.FormatCSV:
		for _, x := range b {
			switch {
			case x == '"':
				c.inQuote = !c.inQuote
			case x == '\n' && !c.inQuote:
				c.n++
			}
		}
	}
	if c.n != before && c.onRows != nil {
		c.onRows(c.counted())
	}
	return len(b), nil
}

// counted is the number of article rows seen.
func (c *rowCounter) counted() int64 {
	if c.format == export.FormatCSV && c.n > 0 {
		return c.n - 1 // the header
	}
	return c.n
}
