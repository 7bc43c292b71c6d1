package article

import (
	"encoding/json"
	"errors"
	"net/url"
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
		// Session IDs are no part of a page's identity; a short sid may be.
		{"https://bakuws.az/news/1?PHPSESSID=0f3b8c1d2e4a5b6c7d8e9f0a1b&page=2", "https://bakuws.az/news/1?page=2"},
		{"https://x.az/a;jsessionid=ABCDEF0123456789?id=7", "https://x.az/a?id=7"},
		{"https://x.az/a?sid=9c4f0e8a7b6d5c4e3f2a&ASPSESSIONIDQQGGQ=ZXCV", "https://x.az/a"},
		{"https://x.az/a?sid=12", "https://x.az/a?sid=12"},
		{"https://x.az/a?sid=20250221181700123", "https://x.az/a?sid=20250221181700123"},
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
	if id, _ := ID(a.CanonicalURL); a.CanonicalURL != "https://caliber.az/en/post/x" || a.ID != id || !ValidID(a.ID) {
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
	for name, mut := range map[string]func(*Article){
		"no outlet":          func(a *Article) { a.Outlet = "" },
		"reserved outlet":    func(a *Article) { a.Outlet = "dead" },
		"dotted outlet":      func(a *Article) { a.Outlet = "caliber.az" },
		"unknown dsource":    func(a *Article) { a.DateSource = "guess" },
		"id of another url":  func(a *Article) { a.ID, _ = ID("https://caliber.az/en/post/y") },
		"short id":           func(a *Article) { a.ID = "0123" },
		"bad canonical":      func(a *Article) { a.CanonicalURL = "ftp://caliber.az/x" },
		"no content hash":    func(a *Article) { a.ContentHash = "" },
		"version 0":          func(a *Article) { a.Version = 0 },
		"zero fetched_at":    func(a *Article) { a.FetchedAt = time.Time{} },
		"schema of the past": func(a *Article) { a.Schema = "article.v0" },
	} {
		b := *a
		mut(&b)
		if err := b.Validate(); !errors.Is(err, ErrInvalid) {
			t.Errorf("Validate with %s = %v, want ErrInvalid", name, err)
		}
	}
	if err := a.Validate(); err != nil {
		t.Errorf("the unchanged article became invalid: %v", err)
	}
}

// TestIdentity: the article ID does not change when an outlet moves between
// http and https, adds or drops "www." (or serves a mobile/AMP host), or
// adds tracking parameters; it does change with a non-default port, another
// site, path or query.
func TestIdentity(t *testing.T) {
	const want = "caliber.az/en/post/x"
	for _, u := range []string{
		"https://caliber.az/en/post/x",
		"http://caliber.az/en/post/x",
		"https://www.caliber.az/en/post/x",
		"http://WWW.Caliber.AZ:80/en/post/x#comments",
		"https://m.caliber.az:443/en/post/x?utm_source=rss&fbclid=1",
		"https://amp.caliber.az/en/post/x",
		"https://caliber.az./en/post/x",
	} {
		key, err := IdentityKey(u)
		if err != nil || key != want {
			t.Errorf("IdentityKey(%q) = %q, %v; want %q", u, key, err, want)
		}
		id, err := ID(u)
		if err != nil || !ValidID(id) {
			t.Errorf("ID(%q) = %q, %v", u, id, err)
		}
	}
	base, _ := ID("https://caliber.az/en/post/x")
	for u, wantKey := range map[string]string{
		"http://caliber.az:8080/en/post/x":  "caliber.az:8080/en/post/x",
		"https://caliber.az:80/en/post/x":   "caliber.az:80/en/post/x", // 80 is not https's default
		"https://caliber.az/en/post/x/":     "caliber.az/en/post/x/",
		"https://caliber.az/en/post/x?id=5": "caliber.az/en/post/x?id=5",
		"https://report.az/en/post/x":       "report.az/en/post/x",
		"https://news.caliber.az/en/post/x": "news.caliber.az/en/post/x",
		"http://[::1]:8081/a?b=2&a=1":       "[::1]:8081/a?a=1&b=2",
		"http://127.0.0.1/a":                "127.0.0.1/a",
		"https://www.az/x":                  "www.az/x", // "www." of a two-label host is the site itself
		"https://news.az/%D0%B0":            "news.az/%D0%B0",
	} {
		key, err := IdentityKey(u)
		if err != nil || key != wantKey {
			t.Errorf("IdentityKey(%q) = %q, %v; want %q", u, key, err, wantKey)
		}
		if id, _ := ID(u); id == base {
			t.Errorf("ID(%q) equals the ID of caliber.az/en/post/x", u)
		}
	}
	for _, bad := range []string{"", "ftp://caliber.az/x", "/relative", "http://"} {
		if _, err := ID(bad); err == nil {
			t.Errorf("ID(%q) = nil error", bad)
		}
	}
}

func TestValidID(t *testing.T) {
	id, _ := ID("https://caliber.az/x")
	for s, want := range map[string]bool{
		id: true, strings.Repeat("0", IDLen): true,
		"": false, id[:31]: false, id + "0": false, strings.ToUpper(id): false,
		strings.Repeat("g", IDLen): false, "../../etc/passwd": false,
	} {
		if ValidID(s) != want {
			t.Errorf("ValidID(%q) = %v, want %v", s, !want, want)
		}
	}
}

func TestValidateOutlet(t *testing.T) {
	for _, tc := range []struct {
		id string
		ok bool
	}{
		{"caliber", true}, {"report_az", true}, {"oxu-az", true}, {"a1", true}, {"deadline", true},
		{"", false}, {"Caliber", false}, {"report.az", false}, {"a b", false},
		{"a*", false}, {"a>", false}, {"dead", false}, {strings.Repeat("a", 65), false},
		{"медиа", false},
	} {
		err := ValidateOutlet(tc.id)
		if (err == nil) != tc.ok {
			t.Errorf("ValidateOutlet(%q) = %v, want ok=%v", tc.id, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrBadOutlet) {
			t.Errorf("ValidateOutlet(%q) = %v, does not wrap ErrBadOutlet", tc.id, err)
		}
	}
}

func TestMsgID(t *testing.T) {
	a := &Article{URL: "https://caliber.az/x", Outlet: "caliber", Title: "A", Body: "a", FetchedAt: time.Now()}
	if err := a.Finalize(); err != nil {
		t.Fatal(err)
	}
	v1 := a.MsgID()
	b := *a
	b.Body, b.Version = "b", 2
	if err := b.Finalize(); err != nil {
		t.Fatal(err)
	}
	reverted := *a
	reverted.Version = 3
	if v1 == b.MsgID() || v1 == reverted.MsgID() || b.MsgID() == reverted.MsgID() {
		t.Errorf("msg ids of A v1, B v2, A v3 are not distinct: %q %q %q", v1, b.MsgID(), reverted.MsgID())
	}
	if again := *a; again.MsgID() != v1 {
		t.Error("the same version has another msg id")
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
		// The identity survives the moves an outlet makes: scheme and
		// "www.".
		id, err := ID(c)
		if err != nil {
			t.Fatalf("ID of canonical %q: %v", c, err)
		}
		if other, err := ID(s); err != nil || other != id {
			t.Fatalf("ID(%q) = %q, %v; ID of its canonical %q = %q", s, other, err, c, id)
		}
		u, _ := url.Parse(c)
		if u.Port() != "" || strings.HasPrefix(u.Hostname(), "www.") || strings.Contains(u.Hostname(), ":") {
			return // a port is kept per scheme; "www." is folded already
		}
		moved := *u
		moved.Scheme = map[string]string{"http": "https", "https": "http"}[u.Scheme]
		moved.Host = "www." + u.Host
		if got, err := ID(moved.String()); err != nil || (got != id && strings.Count(u.Host, ".") > 0) {
			t.Fatalf("ID(%q) = %q, %v; want %q as for %q", moved.String(), got, err, id, c)
		}
	})
}
