package crawler

import (
	"net/url"
	"testing"
	"time"
)

const rssFeed = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Report</title>
<item><title>Bir</title><link>/az/news/1?utm_source=rss#top</link><pubDate>Fri, 21 Feb 2025 18:17:00 +0400</pubDate></item>
<item><title>GUID only</title><guid>https://report.az/az/news/2</guid></item>
<item><title>No link</title><guid isPermaLink="false">abc-3</guid></item>
<item><title>mailto</title><link>mailto:x@report.az</link></item>
</channel></rss>`

const atomFeed = `<feed xmlns="http://www.w3.org/2005/Atom"><title>Caliber</title>
<entry><title>Edited</title><link href="https://caliber.az/en/post/5"/><published>2025-02-21T10:00:00Z</published><updated>2025-02-21T12:00:00Z</updated></entry>
<entry><title>Updated only</title><link href="https://caliber.az/en/post/6"/><updated>2025-02-22T09:00:00Z</updated></entry>
</feed>`

// windows-1251 bytes for "Новости" in an RSS title and a Cyrillic path.
var cp1251Feed = []byte("<?xml version=\"1.0\" encoding=\"windows-1251\"?><rss><channel><title>\xcd\xee\xe2\xee\xf1\xf2\xe8</title>" +
	"<item><link>https://vesti.az/\xed\xee\xe2\xee\xf1\xf2\xe8/1</link></item></channel></rss>")

func TestFeedURLs(t *testing.T) {
	base, _ := url.Parse("https://report.az/rss/")
	for _, c := range []struct {
		name  string
		body  []byte
		ct    string
		want  []string
		dates []string // published/modified of each, RFC 3339 or ""
	}{
		{"rss: relative links resolved, fragments dropped, GUID permalinks, non-http skipped", []byte(rssFeed), "application/rss+xml",
			[]string{"https://report.az/az/news/1?utm_source=rss", "https://report.az/az/news/2"},
			[]string{"2025-02-21T14:17:00Z/", "/"}},
		{"atom: updated after published is a modification; updated alone the publication", []byte(atomFeed), "application/atom+xml",
			[]string{"https://caliber.az/en/post/5", "https://caliber.az/en/post/6"},
			[]string{"2025-02-21T10:00:00Z/2025-02-21T12:00:00Z", "2025-02-22T09:00:00Z/"}},
		{"windows-1251 from the header", cp1251Feed, "text/xml; charset=windows-1251",
			[]string{"https://vesti.az/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8/1"}, []string{"/"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := feedURLs(base, c.body, c.ct)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(c.want) {
				t.Fatalf("got %d URLs %+v, want %v", len(got), got, c.want)
			}
			for i, fu := range got {
				d := func(tm time.Time) string {
					if tm.IsZero() {
						return ""
					}
					return tm.UTC().Format(time.RFC3339)
				}
				if fu.url != c.want[i] || d(fu.published)+"/"+d(fu.modified) != c.dates[i] || !fu.trusted {
					t.Errorf("%d: %s %s/%s, want %s %s", i, fu.url, d(fu.published), d(fu.modified), c.want[i], c.dates[i])
				}
			}
		})
	}
	for _, bad := range []string{"", "not a feed", "<html><body>moved</body></html>", "{\"items\": 3}"} {
		if urls, err := feedURLs(base, []byte(bad), "text/xml"); err == nil {
			t.Errorf("%q: %v and no error", bad, urls)
		}
	}
}

func FuzzFeedURLs(f *testing.F) {
	f.Add([]byte(rssFeed), "application/rss+xml")
	f.Add([]byte(atomFeed), "application/atom+xml")
	f.Add(cp1251Feed, "text/xml; charset=windows-1251")
	f.Add([]byte(`{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"1","url":"/a#b","date_published":"2025-02-21T10:00:00Z"}]}`), "application/feed+json")
	f.Add([]byte(`<rss><channel><item><link>javascript:alert(1)</link><link>//evil.example/x</link></item></channel></rss>`), "")
	base, _ := url.Parse("https://report.az/rss/")
	f.Fuzz(func(t *testing.T, body []byte, ct string) {
		urls, err := feedURLs(base, body, ct)
		if err != nil && urls != nil {
			t.Fatal("URLs with an error")
		}
		for _, fu := range urls {
			u, err := url.Parse(fu.url)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" {
				t.Fatalf("feed URL %q is not an absolute http(s) URL without fragment", fu.url)
			}
			if !fu.modified.IsZero() && !fu.modified.After(fu.published) {
				t.Fatalf("modified %v not after published %v", fu.modified, fu.published)
			}
		}
	})
}
