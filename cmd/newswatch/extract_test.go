package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/newswatch/newswatch/article"
)

// extractJSON runs `newswatch extract args...` in-process.
func extractJSON(t *testing.T, args ...string) (code int, a *article.Article, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = realMain(append([]string{"extract"}, args...), &out, &errb)
	if code == 0 {
		a = new(article.Article)
		if err := json.Unmarshal(out.Bytes(), a); err != nil {
			t.Fatalf("stdout is not an Article: %v\n%s", err, out.String())
		}
	} else if out.Len() != 0 {
		t.Errorf("failed extract wrote to stdout: %q", out.String())
	}
	return code, a, errb.String()
}

// Without --config, the built-in catalog gives a caliber.az page the
// outlet's zone (Asia/Baku, +04:00) for a date printed without offset; an
// unknown host gets UTC and a note on stderr.
func TestExtractUsesCatalog(t *testing.T) {
	const page = "testdata/caliber-no-offset.html"
	for _, u := range []string{"https://caliber.az/en/post/transit-agreement", "http://www.caliber.az/en/post/transit-agreement"} {
		code, a, stderr := extractJSON(t, "--url", u, "--html", page)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", u, code, stderr)
		}
		if a.PublishedAt == nil || a.PublishedAt.Format(time.RFC3339) != "2025-02-21T18:17:00+04:00" {
			t.Errorf("%s: published_at %v, want 2025-02-21T18:17:00+04:00", u, a.PublishedAt)
		}
		if a.Outlet != "caliber" {
			t.Errorf("%s: outlet %q, want the catalog's caliber", u, a.Outlet)
		}
		if stderr != "" {
			t.Errorf("%s: stderr %q", u, stderr)
		}
	}
	code, a, stderr := extractJSON(t, "--url", "https://unknown-outlet.example/news/1", "--html", page)
	if code != 0 {
		t.Fatalf("unknown host: exit %d: %s", code, stderr)
	}
	if a.PublishedAt == nil || a.PublishedAt.Format(time.RFC3339) != "2025-02-21T18:17:00Z" {
		t.Errorf("unknown host: published_at %v, want UTC", a.PublishedAt)
	}
	if !strings.Contains(stderr, "no time zone known for unknown-outlet.example") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("unknown host: stderr %q, want one line saying no zone is known", stderr)
	}
	// --tz wins, and then nothing is missing.
	code, a, stderr = extractJSON(t, "--url", "https://unknown-outlet.example/news/1", "--html", page, "--tz", "Europe/Moscow")
	if code != 0 || a.PublishedAt.Format(time.RFC3339) != "2025-02-21T18:17:00+03:00" || stderr != "" {
		t.Errorf("--tz: exit %d, published_at %v, stderr %q", code, a.PublishedAt, stderr)
	}
}

// A page without article text is printed with what was found on it and a
// warning on stderr; --strict refuses it (exit 1, nothing on stdout).
func TestExtractNotArticle(t *testing.T) {
	const page = "testdata/not-article.html"
	u := "https://caliber.az/az/post/metro-stansiyasi"
	code, a, stderr := extractJSON(t, "--url", u, "--html", page)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if a.Title != "Bakıda yeni metro stansiyası açılır" || a.Body != "" || a.PublishedAt == nil || a.ID == "" || a.Outlet != "caliber" {
		t.Errorf("printed %+v, want the page's title, date and identity with no body", a)
	}
	if !strings.Contains(stderr, "warning") || !strings.Contains(stderr, "does not look like an article") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("stderr %q, want one warning line", stderr)
	}
	code, a, stderr = extractJSON(t, "--url", u, "--html", page, "--strict")
	if code != 1 || a != nil || !strings.Contains(stderr, "page is not an article") {
		t.Errorf("--strict: exit %d, article %v, stderr %q; want exit 1, nothing printed, the refusal", code, a, stderr)
	}
	// A page with article text prints no warning, strict or not.
	code, _, stderr = extractJSON(t, "--url", "https://caliber.az/en/post/transit-agreement", "--html", "testdata/caliber-no-offset.html", "--strict")
	if code != 0 || stderr != "" {
		t.Errorf("article page with --strict: exit %d, stderr %q", code, stderr)
	}
}

// countingServer serves a small article page and counts requests.
func countingServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if r.URL.Path == "/go-to-metadata" {
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
			return
		}
		http.ServeFile(w, r, "testdata/caliber-no-offset.html")
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// `extract --url` refuses loopback, private and link-local addresses,
// checked on the resolved address (so "localhost" is refused too), before
// connecting; --allow-private lets it through.
func TestExtractRefusesPrivateAddresses(t *testing.T) {
	srv, requests := countingServer(t)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	for _, tc := range []struct{ url, kind string }{
		{srv.URL + "/page", "loopback"},
		{"http://localhost:" + port + "/page", "loopback"},
		{"http://169.254.169.254/latest/meta-data/", "link-local"},
		{"http://10.11.12.13/page", "private"},
		{"http://[fe80::1]/page", "link-local"},
		{"http://0.0.0.0:" + port + "/page", "unspecified"},
	} {
		began := time.Now()
		code, _, stderr := extractJSON(t, "--url", tc.url, "--timeout", "20s")
		if code != 1 {
			t.Errorf("%s: exit %d, want 1: %s", tc.url, code, stderr)
		}
		line := strings.TrimSpace(stderr)
		if !strings.Contains(line, tc.kind) || !strings.Contains(line, "--allow-private") || strings.Contains(line, "\n") {
			t.Errorf("%s: stderr %q, want one line naming %s and --allow-private", tc.url, stderr, tc.kind)
		}
		if d := time.Since(began); d > 5*time.Second {
			t.Errorf("%s: refusing took %v (did it try to connect?)", tc.url, d)
		}
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("the loopback server got %d requests", n)
	}
	code, a, stderr := extractJSON(t, "--url", srv.URL+"/page", "--allow-private")
	if code != 0 || a.Title == "" {
		t.Fatalf("--allow-private: exit %d: %s", code, stderr)
	}
}

// A redirect is vetted like the first hop: a public page redirecting to
// the cloud metadata address or a private one is refused.
func TestFetchRefusesRedirectToPrivate(t *testing.T) {
	srv, _ := countingServer(t)
	mux := http.NewServeMux()
	mux.HandleFunc("/to-private", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://10.0.0.1/admin", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/to-page", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, srv.URL+"/page", http.StatusFound)
	})
	hop := httptest.NewServer(mux)
	defer hop.Close()
	// The test servers stand in for public ones: loopback passes, every
	// other address gets the real check.
	guard := func(ip netip.Addr) error {
		if ip.IsLoopback() {
			return nil
		}
		return publicOnly(ip)
	}
	ctx := context.Background()
	for _, u := range []string{srv.URL + "/go-to-metadata", hop.URL + "/to-private"} {
		_, _, _, err := fetch(ctx, u, "test", 20*time.Second, guard)
		if !errors.Is(err, ErrPrivateAddress) {
			t.Errorf("%s: %v, want ErrPrivateAddress", u, err)
		}
	}
	body, _, final, err := fetch(ctx, hop.URL+"/to-page", "test", 20*time.Second, guard)
	if err != nil || len(body) == 0 || final != srv.URL+"/page" {
		t.Errorf("allowed redirect: %d bytes, final %q, %v", len(body), final, err)
	}
}

func TestPublicOnly(t *testing.T) {
	for _, tc := range []struct {
		ip     string
		public bool
	}{
		{"93.184.216.34", true}, {"2a00:1450:4001:82b::200e", true}, {"100.128.0.1", true},
		{"127.0.0.1", false}, {"127.8.9.10", false}, {"::1", false}, {"::ffff:127.0.0.1", false},
		{"10.0.0.1", false}, {"172.16.5.4", false}, {"192.168.1.1", false}, {"fd12:3456::1", false},
		{"100.64.0.1", false}, {"169.254.169.254", false}, {"fe80::1", false},
		{"0.0.0.0", false}, {"::", false}, {"224.0.0.251", false}, {"::ffff:10.1.1.1", false},
	} {
		err := publicOnly(netip.MustParseAddr(tc.ip))
		if (err == nil) != tc.public {
			t.Errorf("%s: %v, want public=%v", tc.ip, err, tc.public)
		}
	}
}
