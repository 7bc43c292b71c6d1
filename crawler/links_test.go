package crawler

import (
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

func TestLooksLikeArticle(t *testing.T) {
	for raw, want := range map[string]bool{
		"https://caliber.az/en/post/azerbaijan-and-georgia-sign-new-transit-deal": true,
		"https://report.az/xarici-siyaset/prezident-ilham-eliyev-qebul-edib/":     true,
		"https://vesti.az/news/899997.html":                                       true,
		"https://oxu.az/politics/812345":                                          true,
		"https://apa.az/az/xeber/2025/02/21/some-story":                           true,
		"https://www.trend.az/azerbaijan/politics/3998765.html":                   true,
		"https://news.az/news/?id=123":                                            true,
		"https://caliber.az/":                                                     false,
		"https://caliber.az/en":                                                   false,
		"https://caliber.az/en/politics":                                          false,
		"https://caliber.az/tag/very-long-tag-name-here":                          false,
		"https://caliber.az/author/jane-doe-the-great-writer":                     false,
		"https://caliber.az/en/politics?page=2":                                   false,
		"https://caliber.az/en/politics/page/3":                                   false,
		"https://caliber.az/search?q=news-of-the-long-day":                        false,
		"https://caliber.az/uploads/2025/02/899997.jpg":                           false,
		"https://caliber.az/rss":                                                  false,
		"https://caliber.az/sitemap-2025-02.xml":                                  false,
		"https://caliber.az/archive/2025":                                         false,
	} {
		u, _ := url.Parse(raw)
		if got := LooksLikeArticle(u); got != want {
			t.Errorf("LooksLikeArticle(%s) = %v, want %v", raw, got, want)
		}
	}
}

func TestIsPaginationOf(t *testing.T) {
	root, _ := url.Parse("https://report.az/son-xeberler/")
	for raw, want := range map[string]bool{
		"https://report.az/son-xeberler/?page=2":      true,
		"https://report.az/son-xeberler?p=3":          true,
		"https://report.az/son-xeberler/page/4/":      true,
		"https://report.az/son-xeberler/?page=last":   false,
		"https://report.az/iqtisadiyyat/?page=2":      false,
		"https://other.az/son-xeberler/?page=2":       false,
		"https://report.az/son-xeberler/some-story/":  false,
		"https://report.az/son-xeberler/?sort=recent": false,
	} {
		u, _ := url.Parse(raw)
		if got := isPaginationOf(u, root); got != want {
			t.Errorf("isPaginationOf(%s) = %v, want %v", raw, got, want)
		}
	}
}

func TestPageLinks(t *testing.T) {
	html := `<html><head><base href="https://a.example/news/"><link rel="next" href="?page=2"></head><body>
<a href="story-one-two-three-four">one</a>
<a href="/abs/10001">abs</a>
<a href="#top">top</a><a href="javascript:void(0)">js</a><a href="mailto:x@a.example">mail</a>
<a href="https://a.example/news/?page=9">Növbəti »</a>
<a class="more" href="/older">load</a>
</body></html>`
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(html))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := url.Parse("https://a.example/news")
	links, nexts := pageLinks(doc, page, nil)
	var ls, ns []string
	for _, u := range links {
		ls = append(ls, u.String())
	}
	for _, u := range nexts {
		ns = append(ns, u.String())
	}
	wantLinks := "https://a.example/news/story-one-two-three-four https://a.example/abs/10001 https://a.example/news/?page=9 https://a.example/older"
	if strings.Join(ls, " ") != wantLinks {
		t.Errorf("links %v\nwant %s", ls, wantLinks)
	}
	if strings.Join(ns, " ") != "https://a.example/news/?page=2 https://a.example/news/?page=9" {
		t.Errorf("nexts %v", ns)
	}
}

func TestHostSet(t *testing.T) {
	o := OutletConfig{BaseURL: "https://www.Trend.az/"}
	hs := o.hostSet()
	for raw, want := range map[string]bool{
		"https://www.trend.az/x":     true,
		"https://trend.az/x":         true,
		"http://trend.az:80/x":       true,
		"https://trend.az:8443/x":    false,
		"https://en.trend.az/x":      false,
		"ftp://trend.az/x":           false,
		"https://eviltrend.az/x":     false,
		"https://trend.az.evil.io/x": false,
	} {
		u, _ := url.Parse(raw)
		if got := hs.allows(u); got != want {
			t.Errorf("allows(%s) = %v, want %v", raw, got, want)
		}
	}
	lo := OutletConfig{BaseURL: "http://127.0.0.1:8081"}
	u1, _ := url.Parse("http://127.0.0.1:8081/a")
	u2, _ := url.Parse("http://127.0.0.1:8082/a")
	if hs := lo.hostSet(); !hs.allows(u1) || hs.allows(u2) {
		t.Errorf("loopback outlets must be told apart by port: %v", hs)
	}
}
