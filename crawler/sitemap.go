package crawler

import (
	"bytes"
	"compress/gzip"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"golang.org/x/net/html/charset"
)

// ErrNotSitemap is returned by ParseSitemap for XML that is neither a
// <urlset> nor a <sitemapindex>.
var ErrNotSitemap = errors.New("not a sitemap")

// MaxSitemapEntries caps the entries read from one sitemap document (the
// protocol allows 50,000).
const MaxSitemapEntries = 50000

// SitemapKind tells a sitemap index from a URL set.
type SitemapKind int

// Sitemap kinds.
const (
	SitemapURLSet SitemapKind = iota + 1
	SitemapIndex
)

// Sitemap is a parsed sitemap document.
type Sitemap struct {
	Kind SitemapKind
	// Entries are the <url> (URL set) or <sitemap> (index) entries, in
	// document order.
	Entries []SitemapEntry
	// Truncated is set when the document held more than MaxSitemapEntries.
	Truncated bool
}

// SitemapEntry is one <url> or <sitemap> entry.
type SitemapEntry struct {
	Loc     string
	LastMod time.Time // zero when absent or unparseable
	// News holds the Google News extension (<news:news>) of a <url>.
	NewsPublished time.Time // <news:publication_date>
	NewsTitle     string    // <news:title>
	NewsLanguage  string    // <news:language>
}

// ParseSitemap parses a sitemap or sitemap index, gzipped or not. The XML
// may declare any encoding x/net/html/charset knows; dates without a zone
// are read in loc (nil means UTC).
func ParseSitemap(r io.Reader, loc *time.Location) (*Sitemap, error) {
	br := &peekReader{r: r}
	if br.isGzip() {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("sitemap gzip: %w", err)
		}
		defer zr.Close()
		return parseSitemapXML(zr, loc)
	}
	return parseSitemapXML(br, loc)
}

// peekReader lets ParseSitemap look at the first bytes without losing them.
type peekReader struct {
	r    io.Reader
	head []byte
}

func (p *peekReader) isGzip() bool {
	buf := make([]byte, 2)
	n, _ := io.ReadFull(p.r, buf)
	p.head = buf[:n]
	return n == 2 && buf[0] == 0x1f && buf[1] == 0x8b
}

func (p *peekReader) Read(b []byte) (int, error) {
	if len(p.head) > 0 {
		n := copy(b, p.head)
		p.head = p.head[n:]
		return n, nil
	}
	return p.r.Read(b)
}

func parseSitemapXML(r io.Reader, loc *time.Location) (*Sitemap, error) {
	if loc == nil {
		loc = time.UTC
	}
	dec := xml.NewDecoder(r)
	dec.CharsetReader = charset.NewReaderLabel
	dec.Strict = false
	dec.Entity = xml.HTMLEntity
	sm := &Sitemap{}
	var (
		entry  *SitemapEntry
		depth  int    // element depth: root 1, entries 2, their fields 3
		inNews bool   // inside the entry's <news:news>
		field  string // local name of the element whose text we collect
		text   strings.Builder
	)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			if sm.Kind == 0 {
				return nil, fmt.Errorf("sitemap xml: %w", err)
			}
			// Keep what was read before the damage.
			return sm, fmt.Errorf("sitemap xml after %d entries: %w", len(sm.Entries), err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			name := strings.ToLower(t.Name.Local)
			switch {
			case depth == 1:
				switch name {
				case "urlset":
					sm.Kind = SitemapURLSet
				case "sitemapindex":
					sm.Kind = SitemapIndex
				default:
					return nil, fmt.Errorf("%w: root element <%s>", ErrNotSitemap, t.Name.Local)
				}
			case depth == 2 && (name == "url" || name == "sitemap"):
				entry = &SitemapEntry{}
			case entry == nil:
			case depth == 3 && name == "news":
				inNews = true
			case depth == 3 || (inNews && depth >= 4):
				field = name
				text.Reset()
			}
		case xml.CharData:
			if field != "" && text.Len() < 8192 {
				text.Write(t)
			}
		case xml.EndElement:
			name := strings.ToLower(t.Name.Local)
			switch {
			case depth == 2 && entry != nil:
				if entry.Loc != "" {
					if len(sm.Entries) >= MaxSitemapEntries {
						sm.Truncated = true
						return sm, nil
					}
					sm.Entries = append(sm.Entries, *entry)
				}
				entry, inNews = nil, false
			case depth == 3 && inNews && name == "news":
				inNews = false
			case entry != nil && field != "" && name == field:
				v := strings.TrimSpace(text.String())
				switch {
				case depth == 3 && name == "loc":
					entry.Loc = v
				case depth == 3 && name == "lastmod":
					entry.LastMod = parseW3CDate(v, loc)
				case inNews && name == "publication_date":
					entry.NewsPublished = parseW3CDate(v, loc)
				case inNews && name == "title":
					entry.NewsTitle = v
				case inNews && name == "language":
					entry.NewsLanguage = v
				}
				field = ""
			}
			depth--
		}
	}
	if sm.Kind == 0 {
		return nil, fmt.Errorf("%w: empty document", ErrNotSitemap)
	}
	return sm, nil
}

// w3cLayouts are the W3C datetime profiles sitemaps use, plus common
// deviations.
var w3cLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05.999999999Z0700",
	time.RFC1123Z,
	time.RFC1123,
}

var localLayouts = []string{
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04",
	"2006-01-02",
	"2006-01",
	"2006",
}

// parseW3CDate parses a sitemap date; dates without a zone are in loc.
// It returns the zero time when s is not a date.
func parseW3CDate(s string, loc *time.Location) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}
	}
	for _, l := range w3cLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t
		}
	}
	for _, l := range localLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t
		}
	}
	return time.Time{}
}

// isGzipData reports whether b starts with the gzip magic number.
func isGzipData(b []byte) bool {
	return len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b
}

// gunzipLimit decompresses b, failing when the result exceeds limit bytes
// (limit <= 0: no limit).
func gunzipLimit(b []byte, limit int64) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("gunzip: %w", err)
	}
	defer zr.Close()
	var r io.Reader = zr
	if limit > 0 {
		r = io.LimitReader(zr, limit+1)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("gunzip: %w", err)
	}
	if limit > 0 && int64(len(out)) > limit {
		return nil, fmt.Errorf("%w: more than %d bytes decompressed", ErrBodyTooLarge, limit)
	}
	return out, nil
}
