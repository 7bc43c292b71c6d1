package crawler

import (
	"bytes"
	"compress/gzip"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"
)

const newsSitemap = `<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"
        xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
  <url>
    <loc>https://report.az/siyasi/xeber-1/</loc>
    <lastmod>2025-02-21T18:20:00+04:00</lastmod>
    <image:image><image:loc>https://report.az/uploads/1.jpg</image:loc></image:image>
    <news:news>
      <news:publication><news:name>Report</news:name><news:language>az</news:language></news:publication>
      <news:publication_date>2025-02-21T18:17:00+04:00</news:publication_date>
      <news:title>Xəbər &amp; başlıq</news:title>
    </news:news>
  </url>
  <url><loc> https://report.az/iqtisadiyyat/xeber-2/ </loc><lastmod>2025-02-20</lastmod></url>
  <url><lastmod>2025-02-20</lastmod></url>
</urlset>`

func TestParseSitemap(t *testing.T) {
	baku := time.FixedZone("+04", 4*3600)
	gz := func(s string) []byte {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write([]byte(s))
		w.Close()
		return b.Bytes()
	}
	cp1251, _ := charmap.Windows1251.NewEncoder().String(`<?xml version="1.0" encoding="windows-1251"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://vesti.az/новости/1.html</loc><lastmod>2025-02-21 18:17</lastmod></url></urlset>`)
	tests := []struct {
		name  string
		in    []byte
		kind  SitemapKind
		locs  []string
		check func(t *testing.T, sm *Sitemap)
		err   error
	}{
		{name: "news", in: []byte(newsSitemap), kind: SitemapURLSet,
			locs: []string{"https://report.az/siyasi/xeber-1/", "https://report.az/iqtisadiyyat/xeber-2/"},
			check: func(t *testing.T, sm *Sitemap) {
				e := sm.Entries[0]
				if !e.NewsPublished.Equal(time.Date(2025, 2, 21, 14, 17, 0, 0, time.UTC)) || e.NewsTitle != "Xəbər & başlıq" || e.NewsLanguage != "az" {
					t.Errorf("news fields %+v", e)
				}
				if got := sm.Entries[1].LastMod; !got.Equal(time.Date(2025, 2, 20, 0, 0, 0, 0, baku)) {
					t.Errorf("date-only lastmod in outlet zone: %v", got)
				}
			}},
		{name: "gzip", in: gz(newsSitemap), kind: SitemapURLSet,
			locs: []string{"https://report.az/siyasi/xeber-1/", "https://report.az/iqtisadiyyat/xeber-2/"}},
		{name: "index", kind: SitemapIndex, in: []byte(`<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://a.example/s1.xml.gz</loc><lastmod>2025-02-21T18:17:00Z</lastmod></sitemap>
<sitemap><loc>https://a.example/s2.xml</loc></sitemap></sitemapindex>`),
			locs: []string{"https://a.example/s1.xml.gz", "https://a.example/s2.xml"},
			check: func(t *testing.T, sm *Sitemap) {
				if sm.Entries[0].LastMod.IsZero() || !sm.Entries[1].LastMod.IsZero() {
					t.Errorf("lastmod %+v", sm.Entries)
				}
			}},
		{name: "windows-1251", in: []byte(cp1251), kind: SitemapURLSet, locs: []string{"https://vesti.az/новости/1.html"},
			check: func(t *testing.T, sm *Sitemap) {
				if !sm.Entries[0].LastMod.Equal(time.Date(2025, 2, 21, 18, 17, 0, 0, baku)) {
					t.Errorf("lastmod %v", sm.Entries[0].LastMod)
				}
			}},
		{name: "no namespace, uppercase", in: []byte(`<URLSET><URL><LOC>https://a.example/1</LOC></URL></URLSET>`), kind: SitemapURLSet,
			locs: []string{"https://a.example/1"}},
		{name: "html", in: []byte(`<!DOCTYPE html><html><body>404</body></html>`), err: ErrNotSitemap},
		{name: "rss", in: []byte(`<rss version="2.0"><channel></channel></rss>`), err: ErrNotSitemap},
		{name: "empty", in: nil, err: ErrNotSitemap},
		{name: "truncated", in: []byte(newsSitemap[:strings.Index(newsSitemap, "</url>")+20]), kind: SitemapURLSet,
			locs: []string{"https://report.az/siyasi/xeber-1/"}, err: errAny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sm, err := ParseSitemap(bytes.NewReader(tt.in), baku)
			switch {
			case tt.err == errAny && err == nil:
				t.Fatal("no error")
			case tt.err != nil && tt.err != errAny && !errors.Is(err, tt.err):
				t.Fatalf("err = %v, want %v", err, tt.err)
			case tt.err == nil && err != nil:
				t.Fatal(err)
			}
			if tt.kind == 0 {
				return
			}
			if sm == nil || sm.Kind != tt.kind {
				t.Fatalf("sitemap %+v, want kind %d", sm, tt.kind)
			}
			var locs []string
			for _, e := range sm.Entries {
				locs = append(locs, e.Loc)
			}
			if strings.Join(locs, " ") != strings.Join(tt.locs, " ") {
				t.Errorf("locs %q, want %q", locs, tt.locs)
			}
			if tt.check != nil {
				tt.check(t, sm)
			}
		})
	}
}

var errAny = errors.New("any error")

func FuzzParseSitemap(f *testing.F) {
	f.Add([]byte(newsSitemap))
	f.Add([]byte(`<sitemapindex><sitemap><loc>x</loc></sitemap></sitemapindex>`))
	f.Add([]byte{0x1f, 0x8b, 0x08, 0x00})
	f.Add([]byte(`<?xml version="1.0" encoding="koi8-r"?><urlset><url><loc>а</loc></url></urlset>`))
	f.Add([]byte(`<urlset><url><loc><news:news><loc>y</loc></news:news></loc></url>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		sm, err := ParseSitemap(bytes.NewReader(data), nil)
		if err == nil && sm == nil {
			t.Fatal("nil sitemap without error")
		}
		if sm != nil {
			if sm.Kind != SitemapURLSet && sm.Kind != SitemapIndex {
				t.Fatalf("kind %d", sm.Kind)
			}
			for _, e := range sm.Entries {
				if e.Loc == "" {
					t.Fatal("entry without loc")
				}
			}
		}
	})
}

func TestParseW3CDate(t *testing.T) {
	baku := time.FixedZone("+04", 4*3600)
	for in, want := range map[string]time.Time{
		"2025-02-21T18:17:00+04:00":     time.Date(2025, 2, 21, 14, 17, 0, 0, time.UTC),
		"2025-02-21T14:17:00.123Z":      time.Date(2025, 2, 21, 14, 17, 0, 123e6, time.UTC),
		"2025-02-21T18:17+04:00":        time.Date(2025, 2, 21, 14, 17, 0, 0, time.UTC),
		"2025-02-21":                    time.Date(2025, 2, 21, 0, 0, 0, 0, baku),
		"2025-02-21T18:17:00":           time.Date(2025, 2, 21, 18, 17, 0, 0, baku),
		"Fri, 21 Feb 2025 14:17:00 GMT": time.Date(2025, 2, 21, 14, 17, 0, 0, time.UTC),
	} {
		if got := parseW3CDate(in, baku); !got.Equal(want) {
			t.Errorf("parseW3CDate(%q) = %v, want %v", in, got, want)
		}
	}
	if got := parseW3CDate("yesterday", baku); !got.IsZero() {
		t.Errorf("garbage parsed as %v", got)
	}
}
