package crawler

import (
	"net/url"
	"regexp"
	"strings"

	"github.com/PuerkitoBio/goquery"
	"github.com/andybalholm/cascadia"
)

// hostSet is the set of hosts an outlet may be fetched from. Entries with
// a port match host:port exactly; entries without match the host name on
// the scheme's default port.
type hostSet map[string]bool

func (h hostSet) allows(u *url.URL) bool {
	if u == nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	host := strings.ToLower(u.Host)
	if h[host] {
		return true
	}
	port := u.Port()
	if port == "" || (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		return h[strings.ToLower(u.Hostname())]
	}
	return false
}

// hostList returns the outlet's hosts: Hosts, or BaseURL's host and its
// www twin.
func (o *OutletConfig) hostList() []string {
	if len(o.Hosts) > 0 {
		out := make([]string, len(o.Hosts))
		for i, h := range o.Hosts {
			out[i] = strings.ToLower(h)
		}
		return out
	}
	u, err := url.Parse(o.BaseURL)
	if err != nil || u.Host == "" {
		return nil
	}
	if p := u.Port(); p != "" && p != "80" && p != "443" {
		return []string{strings.ToLower(u.Host)}
	}
	host := strings.ToLower(u.Hostname())
	if isIP(host) || !strings.Contains(host, ".") {
		return []string{host}
	}
	if strings.HasPrefix(host, "www.") {
		return []string{host, strings.TrimPrefix(host, "www.")}
	}
	return []string{host, "www." + host}
}

func isIP(h string) bool {
	return strings.Trim(h, "0123456789.") == "" || strings.Contains(h, ":")
}

func (o *OutletConfig) hostSet() hostSet {
	s := hostSet{}
	for _, h := range o.hostList() {
		s[h] = true
	}
	return s
}

// hostNames are the host names (no ports) for colly's AllowedDomains.
func (h hostSet) hostNames() []string {
	seen := map[string]bool{}
	var out []string
	for k := range h {
		u, err := url.Parse("http://" + k)
		if err != nil {
			continue
		}
		if n := u.Hostname(); !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

var (
	staticExtRe = regexp.MustCompile(`\.(?:jpe?g|png|gif|webp|svg|ico|css|js|json|xml|gz|zip|rar|pdf|docx?|xlsx?|mp[34]|avi|mov|webm|woff2?|ttf|rss|atom)$`)
	datePathRe  = regexp.MustCompile(`/(?:19|20)\d{2}/[01]?\d/(?:[0-3]?\d/)?[^/]+`)
	numericIDRe = regexp.MustCompile(`(?:^|[^0-9])\d{4,}(?:[^0-9]|$)`)
	pageParamRe = regexp.MustCompile(`(?i)^(?:page|p|pg|paged|pagen_\d+|start|offset)$`)
	pagePathRe  = regexp.MustCompile(`(?i)/(?:page|p|sehife|səhifə|strana)/\d+/?$`)
)

// nonArticleSegments are path segments that mark listing or utility pages.
var nonArticleSegments = map[string]bool{
	"tag": true, "tags": true, "category": true, "categories": true, "author": true, "authors": true,
	"page": true, "search": true, "login": true, "register": true, "user": true, "users": true,
	"account": true, "rss": true, "feed": true, "feeds": true, "sitemap": true, "archive": true,
	"cdn-cgi": true, "wp-admin": true, "wp-content": true, "wp-json": true, "static": true,
	"assets": true, "uploads": true, "media": true, "images": true, "img": true, "video": true,
	"videos": true, "photo": true, "photos": true, "gallery": true, "contact": true, "about": true,
	"advertising": true, "reklam": true, "privacy": true, "subscribe": true, "print": true,
}

// LooksLikeArticle is the default article-URL heuristic: a path with a
// numeric id (4+ digits), a /YYYY/MM/ date, or a long slug (4+ words),
// and no tag/category/author/search/page segment, static-file extension
// or pagination parameter.
func LooksLikeArticle(u *url.URL) bool {
	p := strings.ToLower(u.EscapedPath())
	if p == "" || p == "/" || staticExtRe.MatchString(p) {
		return false
	}
	var segs []string
	for _, s := range strings.Split(p, "/") {
		if s == "" {
			continue
		}
		if nonArticleSegments[s] {
			return false
		}
		segs = append(segs, s)
	}
	if len(segs) == 0 {
		return false
	}
	for k := range u.Query() {
		if pageParamRe.MatchString(k) {
			return false
		}
	}
	if datePathRe.MatchString(p) {
		return true
	}
	last := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(segs[len(segs)-1], ".html"), ".htm"), ".php")
	if last != segs[len(segs)-1] && len(segs) >= 2 && isDigits(last) {
		return true // /news/123.html
	}
	for _, s := range segs {
		if numericIDRe.MatchString(s) && !isYearOnly(s) {
			return true
		}
	}
	if u.Query().Get("id") != "" || u.Query().Get("news_id") != "" {
		return true
	}
	return strings.Count(last, "-") >= 3
}

func isYearOnly(s string) bool {
	return len(s) == 4 && (strings.HasPrefix(s, "19") || strings.HasPrefix(s, "20"))
}

// isPaginationOf reports whether u is another page of the listing whose
// first page is root: same path with a page parameter, or root's path
// followed by /page/N.
func isPaginationOf(u, root *url.URL) bool {
	if !strings.EqualFold(u.Host, root.Host) {
		return false
	}
	rp := strings.TrimSuffix(root.Path, "/")
	up := strings.TrimSuffix(u.Path, "/")
	if up == rp {
		for k, vs := range u.Query() {
			if pageParamRe.MatchString(k) && len(vs) > 0 && isDigits(vs[0]) {
				return true
			}
		}
		return false
	}
	if loc := pagePathRe.FindStringIndex(up); loc != nil {
		return strings.TrimSuffix(up[:loc[0]], "/") == rp
	}
	return false
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// nextTexts are link texts of "next page" links in the outlets' languages.
var nextTexts = map[string]bool{
	"next": true, "next page": true, "older": true, "older posts": true, "more": true, "load more": true,
	"»": true, "›": true, "→": true, ">": true, ">>": true,
	"следующая": true, "следующая страница": true, "далее": true, "вперед": true, "вперёд": true, "ещё": true, "еще": true,
	"növbəti": true, "sonrakı": true, "irəli": true, "daha çox": true, "daha çox xəbər": true,
}

// pageLinks returns the links of a listing page: candidate article URLs
// and next-page URLs, both absolute.
func pageLinks(doc *goquery.Document, pageURL *url.URL, next cascadia.Selector) (links, nexts []*url.URL) {
	base := pageURL
	if href, ok := doc.Find("base[href]").First().Attr("href"); ok {
		if b, err := pageURL.Parse(strings.TrimSpace(href)); err == nil {
			base = b
		}
	}
	resolve := func(href string) *url.URL {
		href = strings.TrimSpace(href)
		if href == "" || strings.HasPrefix(href, "#") || strings.HasPrefix(strings.ToLower(href), "javascript:") ||
			strings.HasPrefix(strings.ToLower(href), "mailto:") {
			return nil
		}
		u, err := base.Parse(href)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			return nil
		}
		u.Fragment, u.RawFragment = "", ""
		return u
	}
	if next != nil {
		doc.FindMatcher(next).Each(func(_ int, s *goquery.Selection) {
			if u := resolve(s.AttrOr("href", "")); u != nil {
				nexts = append(nexts, u)
			}
		})
	}
	doc.Find(`link[rel~="next"], a[rel~="next"]`).Each(func(_ int, s *goquery.Selection) {
		if u := resolve(s.AttrOr("href", "")); u != nil {
			nexts = append(nexts, u)
		}
	})
	doc.Find("a[href]").Each(func(_ int, s *goquery.Selection) {
		u := resolve(s.AttrOr("href", ""))
		if u == nil {
			return
		}
		links = append(links, u)
		t := strings.ToLower(strings.Join(strings.Fields(s.Text()), " "))
		if nextTexts[t] || nextTexts[strings.TrimSpace(strings.Trim(t, "»›→>"))] {
			nexts = append(nexts, u)
		}
	})
	return links, nexts
}
