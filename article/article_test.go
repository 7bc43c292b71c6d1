package article

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCanonicalize(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"HTTPS://Caliber.AZ:443/en/post/x#top", "https://caliber.az/en/post/x"},
		{"http://report.az:80", "http://report.az/"},
		{"http://127.0.0.1:8081/a?utm_source=rss&utm_medium=x&id=5", "http://127.0.0.1:8081/a?id=5"},
		{"https://oxu.az/a?fbclid=1&gclid=2&b=2&a=1", "https://oxu.az/a?a=1&b=2"},
		{"https://oxu.az/a?", "https://oxu.az/a"},
		{"https://user:pw@apa.az/x", "https://apa.az/x"},
		{"https://trend.az./x", "https://trend.az/x"},
		{"https://news.az/%D0%B0", "https://news.az/%D0%B0"},
	} {
		got, err := Canonicalize(tc.in)
		if err != nil {
			t.Errorf("Canonicalize(%q): %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("Canonicalize(%q) = %q, want %q", tc.in, got, tc.want)
		}
		again, _ := Canonicalize(got)
		if again != got {
			t.Errorf("not idempotent: %q -> %q", got, again)
		}
	}
	for _, bad := range []string{"", "ftp://x/y", "/relative", "http://", "::"} {
		if _, err := Canonicalize(bad); err == nil {
			t.Errorf("Canonicalize(%q) = nil error", bad)
		}
	}
}

func TestResolveCanonical(t *testing.T) {
	for _, tc := range []struct{ page, rel, want string }{
		{"https://caliber.az/a?utm_source=rss", "", "https://caliber.az/a"},
		{"https://caliber.az/a?utm_source=rss", "/a", "https://caliber.az/a"},
		{"https://m.caliber.az/a", "https://caliber.az/a", "https://caliber.az/a"},
		{"https://www.caliber.az/amp/a", "https://caliber.az/a", "https://caliber.az/a"},
		// another site cannot claim the page
		{"https://caliber.az/a", "https://evil.example/a", "https://caliber.az/a"},
		{"https://caliber.az/a", "javascript:alert(1)", "https://caliber.az/a"},
	} {
		got, err := ResolveCanonical(tc.page, tc.rel)
		if err != nil || got != tc.want {
			t.Errorf("ResolveCanonical(%q, %q) = %q, %v; want %q", tc.page, tc.rel, got, err, tc.want)
		}
	}
}

func TestFinalizeAndJSON(t *testing.T) {
	pub := time.Date(2025, 2, 21, 18, 17, 0, 0, time.FixedZone("", 4*3600))
	views := int64(406)
	a := &Article{URL: "https://caliber.az/en/post/x?utm_source=rss", Outlet: "caliber",
		Title: "T", Body: "one\n\ntwo", PublishedAt: &pub, Views: &views,
		FetchedAt: time.Date(2025, 2, 21, 15, 0, 0, 0, time.UTC)}
	if err := a.Finalize(); err != nil {
		t.Fatal(err)
	}
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	if a.CanonicalURL != "https://caliber.az/en/post/x" || a.ID != ID(a.CanonicalURL) || len(a.ID) != 32 {
		t.Fatalf("bad identity: %+v", a)
	}
	b, _ := json.Marshal(a)
	s := string(b)
	for _, want := range []string{`"schema":"article.v1"`, `"published_at":"2025-02-21T18:17:00+04:00"`, `"views":406`, `"version":1`} {
		if !strings.Contains(s, want) {
			t.Errorf("json %s lacks %s", s, want)
		}
	}
	for _, absent := range []string{"lead", "authors", "tags", "modified_at", "image", "links", "section"} {
		if strings.Contains(s, `"`+absent+`"`) {
			t.Errorf("json %s has empty field %s", s, absent)
		}
	}
	h := a.ContentHash
	a.Body = "one\n\n  two "
	if ComputeContentHash(a) != h {
		t.Error("whitespace changed content hash")
	}
	a.Title = "T2"
	if ComputeContentHash(a) == h {
		t.Error("title edit kept content hash")
	}
	a.Outlet = ""
	if err := a.Validate(); !errors.Is(err, ErrInvalid) {
		t.Errorf("Validate without outlet = %v", err)
	}
}

func FuzzCanonicalize(f *testing.F) {
	for _, s := range []string{"https://caliber.az/a?utm_source=x#f", "http://[::1]:80/", "https://a.b/%zz", "http://x:99999/", "http://.", "http://.."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Canonicalize(s)
		if err != nil {
			return
		}
		c2, err := Canonicalize(c)
		if err != nil {
			t.Fatalf("canonical %q of %q does not re-parse: %v", c, s, err)
		}
		if c2 != c {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, c, c2)
		}
	})
}
