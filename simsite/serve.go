package simsite

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"hash/fnv"
	"html/template"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/encoding/charmap"

	"github.com/newswatch/newswatch/article"
)

// disallowed are the robots.txt Disallow prefixes of every outlet. Pages
// link to both, so a crawler that ignores robots.txt gets caught by Hits.
var disallowed = []string{"/search", "/admin/"}

func (s *Site) handler(o *outlet) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		start := time.Now()
		w := &recorder{ResponseWriter: rw}
		defer s.logRequest(o, r, s.kindOf(o, r.URL.Path), start, w)
		f, fail := s.fault(o, r)
		if s.decide("reset", o.id+" "+r.URL.Path, r.URL.RawQuery, s.attempt(o, r), f.ResetRate) && resetConn(w) {
			return
		}
		if f.Latency > 0 {
			t := time.NewTimer(f.Latency)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		if fail {
			status := f.ErrorStatus
			if status == 0 || f.Down {
				status = http.StatusServiceUnavailable
			}
			ra := f.RetryAfter
			if ra <= 0 {
				ra = time.Second
			}
			w.Header().Set("Retry-After", strconv.Itoa(int((ra+time.Second-1)/time.Second)))
			http.Error(w, http.StatusText(status), status)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		s.route(o, f, w, r)
	})
}

func (s *Site) route(o *outlet, f Faults, w http.ResponseWriter, r *http.Request) {
	base := s.baseOf(o, r)
	p := r.URL.Path
	switch {
	case p == "/robots.txt":
		s.robots(o, base, w, r)
	case f.NoFeeds && (p == o.feedPath || p == "/sitemap.xml" || strings.HasPrefix(p, "/sitemaps/")):
		s.notFound(o, base, w, r)
	case p == o.feedPath:
		s.feed(o, base, w, r)
	case p == "/sitemap.xml":
		s.sitemapIndex(o, base, w, r)
	case strings.HasPrefix(p, "/sitemaps/"):
		s.sitemap(o, base, w, r)
	case strings.HasPrefix(p, "/archive/"):
		s.archive(o, base, w, r)
	case strings.HasPrefix(p, "/uploads/") && strings.HasSuffix(p, ".jpg"):
		serve(w, r, "image/jpeg", placeholderJPEG, time.Time{})
	case strings.HasPrefix(p, "/search"):
		s.search(o, base, w, r)
	case strings.HasPrefix(p, "/admin/"):
		s.page(o, base, w, r, http.StatusOK, "simple", simplePage{Heading: "Admin", Text: "Login required."})
	case p == "/" && f.Defaced:
		s.page(o, base, w, r, http.StatusOK, "defaced", nil)
	default:
		if a := s.lookup(o, p); a != nil {
			s.articleWithFaults(o, f, a, base, w, r, false)
			return
		}
		if l := o.byListing[p]; l != nil {
			s.listing(o, l, base, w, r)
			return
		}
		if a := s.lookup(o, strings.TrimSuffix(p, "/amp")); a != nil && o.tmpl == "caliber" {
			s.articleWithFaults(o, f, a, base, w, r, true)
			return
		}
		// Like real CMSes, redirect a path that only lacks (or has an
		// extra) trailing slash.
		alt := p + "/"
		if strings.HasSuffix(p, "/") {
			alt = strings.TrimSuffix(p, "/")
		}
		if s.lookup(o, alt) != nil || o.byListing[alt] != nil {
			if r.URL.RawQuery != "" {
				alt += "?" + r.URL.RawQuery
			}
			http.Redirect(w, r, base+alt, http.StatusMovedPermanently)
			return
		}
		s.notFound(o, base, w, r)
	}
}

// articleWithFaults serves an article page through the article-page
// faults: redirect loops, gzip bombs, slow bodies (huge pages are padded
// in page).
func (s *Site) articleWithFaults(o *outlet, f Faults, a *art, base string, w http.ResponseWriter, r *http.Request, amp bool) {
	switch {
	case f.RedirectLoop:
		to := base + r.URL.Path + "?loop=1"
		if r.URL.Query().Get("loop") != "" {
			to = base + r.URL.Path
		}
		http.Redirect(w, r, to, http.StatusFound)
		return
	case f.GzipBomb:
		serveGzipBomb(w)
		return
	case f.SlowBody > 0:
		w = &slowWriter{ResponseWriter: w, r: r, total: f.SlowBody}
	}
	s.article(o, a, base, w, r, amp)
}

func (s *Site) notFound(o *outlet, base string, w http.ResponseWriter, r *http.Request) {
	s.page(o, base, w, r, http.StatusNotFound, "simple", simplePage{Heading: "404", Text: labelsFor(o.lang).notFound})
}

// serve writes a 200 body with ETag and Last-Modified, honouring
// conditional requests.
func serve(w http.ResponseWriter, r *http.Request, ctype string, body []byte, mod time.Time) {
	h := fnv.New64a()
	h.Write(body)
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("ETag", fmt.Sprintf(`"%x"`, h.Sum64()))
	http.ServeContent(w, r, "", mod, bytes.NewReader(body))
}

func (s *Site) robots(o *outlet, base string, w http.ResponseWriter, r *http.Request) {
	var b strings.Builder
	b.WriteString("# robots.txt for " + o.name + "\n")
	b.WriteString("User-agent: *\n")
	for _, d := range disallowed {
		b.WriteString("Disallow: " + d + "\n")
	}
	if d := s.cfg.CrawlDelay[o.id]; d > 0 {
		b.WriteString("Crawl-delay: " + strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "\n")
	}
	b.WriteString("Allow: /\n\nUser-agent: BadBot\nDisallow: /\n\n")
	if !s.faultsOf(o).NoFeeds {
		b.WriteString("Sitemap: " + base + "/sitemap.xml\n")
	}
	serve(w, r, "text/plain; charset=utf-8", []byte(b.String()), time.Time{})
}

// newest returns the most recent modification among as.
func (s *Site) newest(as []*art) time.Time {
	var t time.Time
	for _, a := range as {
		if m := s.modifiedAt(a, s.versionOf(a)); m.After(t) {
			t = m
		}
	}
	return t
}

// ---- RSS ----

type rss struct {
	XMLName xml.Name   `xml:"rss"`
	Version string     `xml:"version,attr"`
	Atom    string     `xml:"xmlns:atom,attr"`
	Channel rssChannel `xml:"channel"`
}

type rssChannel struct {
	Title       string    `xml:"title"`
	Link        string    `xml:"link"`
	Description string    `xml:"description"`
	Language    string    `xml:"language"`
	LastBuild   string    `xml:"lastBuildDate,omitempty"`
	AtomLink    atomLink  `xml:"atom:link"`
	Items       []rssItem `xml:"item"`
}

type atomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr"`
}

type rssItem struct {
	Title       string   `xml:"title"`
	Link        string   `xml:"link"`
	GUID        rssGUID  `xml:"guid"`
	Description string   `xml:"description"`
	Category    string   `xml:"category"`
	Author      string   `xml:"author,omitempty"`
	PubDate     string   `xml:"pubDate"`
	Enclosure   *rssEncl `xml:"enclosure,omitempty"`
}

type rssGUID struct {
	IsPermaLink string `xml:"isPermaLink,attr"`
	Value       string `xml:",chardata"`
}

type rssEncl struct {
	URL    string `xml:"url,attr"`
	Type   string `xml:"type,attr"`
	Length int    `xml:"length,attr"`
}

func (s *Site) feed(o *outlet, base string, w http.ResponseWriter, r *http.Request) {
	items := s.shown(o.arts)
	if len(items) > s.cfg.FeedSize {
		items = items[:s.cfg.FeedSize]
	}
	ch := rssChannel{
		Title: o.name, Link: base + "/", Description: labelsFor(o.lang).tagline, Language: o.lang,
		AtomLink: atomLink{Href: base + o.feedPath, Rel: "self", Type: "application/rss+xml"},
	}
	mod := s.newest(items)
	if !mod.IsZero() {
		ch.LastBuild = mod.Format(time.RFC1123Z)
	}
	for _, a := range items {
		c := s.content(a)
		it := rssItem{
			Title: c.title, Link: base + a.path + "?utm_source=rss&utm_medium=feed",
			GUID:        rssGUID{IsPermaLink: "true", Value: base + a.path},
			Description: c.lead, Category: a.sec.names[a.l.code], PubDate: s.published(a).Format(time.RFC1123Z),
			Enclosure: &rssEncl{URL: base + s.imagePath(a), Type: "image/jpeg", Length: len(placeholderJPEG)},
		}
		if len(a.authors) > 0 {
			it.Author = "info@" + o.domain + " (" + strings.Join(a.authors, ", ") + ")"
		}
		ch.Items = append(ch.Items, it)
	}
	out, err := xml.MarshalIndent(rss{Version: "2.0", Atom: "http://www.w3.org/2005/Atom", Channel: ch}, "", "  ")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	malform := s.faultsOf(o).MalformedFeeds
	if o.charset == "windows-1251" {
		body := append([]byte(`<?xml version="1.0" encoding="windows-1251"?>`+"\n"), encode1251(string(out))...)
		if malform {
			body = malformed(body)
		}
		serve(w, r, "application/rss+xml; charset=windows-1251", body, mod)
		return
	}
	body := append([]byte(xml.Header), out...)
	if malform {
		body = malformed(body)
	}
	serve(w, r, "application/rss+xml; charset=utf-8", body, mod)
}

// ---- sitemaps ----

type sitemapIndex struct {
	XMLName  xml.Name     `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 sitemapindex"`
	Sitemaps []sitemapRef `xml:"sitemap"`
}

type sitemapRef struct {
	Loc     string `xml:"loc"`
	LastMod string `xml:"lastmod,omitempty"`
}

type urlset struct {
	XMLName xml.Name `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 urlset"`
	News    string   `xml:"xmlns:news,attr,omitempty"`
	URLs    []urlEntry
}

type urlEntry struct {
	XMLName xml.Name  `xml:"url"`
	Loc     string    `xml:"loc"`
	LastMod string    `xml:"lastmod,omitempty"`
	News    *newsInfo `xml:"news:news,omitempty"`
}

type newsInfo struct {
	Publication struct {
		Name     string `xml:"news:name"`
		Language string `xml:"news:language"`
	} `xml:"news:publication"`
	Date  string `xml:"news:publication_date"`
	Title string `xml:"news:title"`
}

// chunks splits an outlet's articles oldest first into SitemapChunk-sized
// pieces, so that old chunks stay stable as articles are added.
func (s *Site) chunks(o *outlet) [][]*art {
	var out [][]*art
	arts := s.shown(o.arts)
	for end := len(arts); end > 0; end -= s.cfg.SitemapChunk {
		start := max(end-s.cfg.SitemapChunk, 0)
		out = append(out, arts[start:end])
	}
	return out
}

func chunkName(k int) string {
	if k%2 == 1 {
		return fmt.Sprintf("/sitemaps/posts-%d.xml.gz", k)
	}
	return fmt.Sprintf("/sitemaps/posts-%d.xml", k)
}

func (s *Site) sitemapIndex(o *outlet, base string, w http.ResponseWriter, r *http.Request) {
	idx := sitemapIndex{}
	arts := s.shown(o.arts)
	news := arts[:min(len(arts), s.cfg.FeedSize)]
	idx.Sitemaps = append(idx.Sitemaps, sitemapRef{Loc: base + "/sitemaps/news.xml", LastMod: isoOrEmpty(s.newest(news))})
	for i, c := range s.chunks(o) {
		idx.Sitemaps = append(idx.Sitemaps, sitemapRef{Loc: base + chunkName(i+1), LastMod: isoOrEmpty(s.newest(c))})
	}
	s.writeXML(o, w, r, idx, false, s.newest(arts))
}

func (s *Site) sitemap(o *outlet, base string, w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if p == "/sitemaps/news.xml" {
		us := urlset{News: "http://www.google.com/schemas/sitemap-news/0.9"}
		arts := s.shown(o.arts)
		items := arts[:min(len(arts), s.cfg.FeedSize)]
		for _, a := range items {
			c := s.content(a)
			ni := &newsInfo{Date: s.published(a).Format(time.RFC3339), Title: c.title}
			ni.Publication.Name = o.name
			ni.Publication.Language = a.l.code
			us.URLs = append(us.URLs, urlEntry{Loc: base + a.path, LastMod: c.modified.Format(time.RFC3339), News: ni})
		}
		s.writeXML(o, w, r, us, false, s.newest(items))
		return
	}
	for i, c := range s.chunks(o) {
		if p != chunkName(i+1) {
			continue
		}
		us := urlset{}
		for _, a := range c {
			us.URLs = append(us.URLs, urlEntry{Loc: base + a.path, LastMod: s.content(a).modified.Format(time.RFC3339)})
		}
		s.writeXML(o, w, r, us, strings.HasSuffix(p, ".gz"), s.newest(c))
		return
	}
	s.notFound(o, base, w, r)
}

func (s *Site) writeXML(o *outlet, w http.ResponseWriter, r *http.Request, v any, gz bool, mod time.Time) {
	out, err := xml.MarshalIndent(v, "", "  ")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	body := append([]byte(xml.Header), out...)
	if s.faultsOf(o).MalformedFeeds {
		body = malformed(body)
	}
	if !gz {
		serve(w, r, "application/xml; charset=utf-8", body, mod)
		return
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	zw.ModTime = time.Time{} // deterministic bytes
	zw.Write(body)
	zw.Close()
	serve(w, r, "application/x-gzip", buf.Bytes(), mod)
}

func isoOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339)
}

// ---- HTML pages ----

type link struct{ URL, Name string }

type item struct {
	URL, Title, Date, Lead, Section string
}

type chrome struct {
	Base, Outlet, Lang, FeedURL, Canonical, Title string
	L                                             labels
	Sections                                      []link
	Year                                          int
}

type articlePage struct {
	chrome
	Headline, Lead, SectionName, SectionLabel, SectionURL string
	Date, DateISO, ModISO, Image                          string
	Paras, Authors                                        []string
	Tags                                                  []link
	Views                                                 int64
	Related                                               []item
	JSONLD                                                template.JS
	MetaDate                                              bool
	AMP                                                   string // URL of the AMP variant, if any
}

type listingPage struct {
	chrome
	Heading    string
	Items      []item
	Page       int
	Pages      []link
	Next, Prev string
}

type simplePage struct {
	chrome
	Heading, Text string
	Items         []item
}

func (s *Site) chromeFor(o *outlet, base, lang, title, canonical string) chrome {
	c := chrome{Base: base, Outlet: o.name, Lang: lang, FeedURL: base + o.feedPath, Canonical: canonical,
		Title: title, L: labelsFor(lang), Year: s.cfg.BaseTime.Year()}
	for _, sec := range o.sections {
		name := sec.names[lang]
		if name == "" {
			name = sec.names[o.lang]
		}
		c.Sections = append(c.Sections, link{URL: base + sec.path, Name: name})
	}
	return c
}

func (s *Site) itemOf(a *art, base string) item {
	c := s.content(a)
	return item{URL: base + a.path, Title: c.title, Date: a.l.formatDate(s.published(a)), Lead: c.lead,
		Section: a.sec.names[a.l.code]}
}

func (s *Site) article(o *outlet, a *art, base string, w http.ResponseWriter, r *http.Request, amp bool) {
	c := s.content(a)
	canon := base + a.path
	p := articlePage{
		chrome:   s.chromeFor(o, base, a.l.code, c.title, canon),
		Headline: c.title, Lead: c.lead, SectionName: a.sec.names[a.l.code],
		SectionLabel: strings.ToUpper(a.sec.names[a.l.code]), SectionURL: base + a.sec.path,
		Date: a.l.formatDate(s.published(a)), DateISO: s.published(a).Format(time.RFC3339),
		ModISO: c.modified.Format(time.RFC3339), Image: base + s.imagePath(a),
		Paras: c.paras, Authors: a.authors, Views: a.views, MetaDate: a.dateSource == article.DateSourceMeta,
	}
	if a.l.code == "az" && o.tmpl == "caliber" {
		p.SectionLabel = strings.ToUpperSpecial(unicode.TurkishCase, a.sec.names["az"])
	}
	for _, t := range a.tags {
		p.Tags = append(p.Tags, link{URL: base + "/search?tag=" + url.QueryEscape(t), Name: t})
	}
	// Related: the neighbours in the outlet's own order.
	pos := 0
	arts := s.shown(o.arts)
	for i, x := range arts {
		if x == a {
			pos = i
			break
		}
	}
	for _, d := range []int{-2, -1, 1, 2, 3} {
		if j := pos + d; j >= 0 && j < len(arts) {
			p.Related = append(p.Related, s.itemOf(arts[j], base))
		}
	}
	if o.tmpl == "caliber" {
		ld := map[string]any{
			"@context": "https://schema.org", "@type": "NewsArticle",
			"mainEntityOfPage": map[string]any{"@type": "WebPage", "@id": canon},
			"headline":         c.title, "description": c.lead,
			"datePublished": p.DateISO, "dateModified": p.ModISO,
			"articleSection": p.SectionName, "keywords": strings.Join(a.tags, ", "),
			"image":      map[string]any{"@type": "ImageObject", "url": p.Image, "width": 1200, "height": 675},
			"inLanguage": a.l.code,
			"publisher": map[string]any{"@type": "Organization", "name": o.name,
				"logo": map[string]any{"@type": "ImageObject", "url": base + "/uploads/logo.jpg"}},
		}
		var authors []map[string]any
		for _, n := range a.authors {
			authors = append(authors, map[string]any{"@type": "Person", "name": n})
		}
		if len(authors) == 1 {
			ld["author"] = authors[0]
		} else if len(authors) > 1 {
			ld["author"] = authors
		}
		j, err := json.Marshal(ld)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		p.JSONLD = template.JS(j)
		p.AMP = canon + "/amp"
	}
	if amp {
		s.page(o, base, w, r, http.StatusOK, "amp", p)
		return
	}
	s.page(o, base, w, r, http.StatusOK, "article", p)
}

func (s *Site) listing(o *outlet, l *listing, base string, w http.ResponseWriter, r *http.Request) {
	page := 1
	if v := r.URL.Query().Get(o.pageParam); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			s.notFound(o, base, w, r)
			return
		}
		page = n
	}
	items := s.shown(l.items)
	pages := max(1, (len(items)+s.cfg.PageSize-1)/s.cfg.PageSize)
	endless := s.faultsOf(o).EndlessPagination
	if page > pages && !endless {
		s.notFound(o, base, w, r)
		return
	}
	pageURL := func(n int) string {
		if n == 1 {
			return base + l.path
		}
		return fmt.Sprintf("%s%s?%s=%d", base, l.path, o.pageParam, n)
	}
	lp := listingPage{chrome: s.chromeFor(o, base, o.lang, l.title, pageURL(page)), Heading: l.title, Page: page}
	if l.path == "/en" || l.path == "/az" {
		lp.Lang = l.path[1:]
		lp.chrome = s.chromeFor(o, base, l.path[1:], l.title, pageURL(page))
	}
	start := (page - 1) * s.cfg.PageSize
	if page > pages {
		start = (pages - 1) * s.cfg.PageSize // endless: the last page again
	}
	for _, a := range items[start:min(len(items), start+s.cfg.PageSize)] {
		lp.Items = append(lp.Items, s.itemOf(a, base))
	}
	if page < pages || endless {
		lp.Next = pageURL(page + 1)
	}
	if endless {
		pages = page + 3
	}
	if page > 1 {
		lp.Prev = pageURL(page - 1)
	}
	for n := max(1, page-3); n <= min(pages, page+3); n++ {
		lp.Pages = append(lp.Pages, link{URL: pageURL(n), Name: strconv.Itoa(n)})
	}
	s.page(o, base, w, r, http.StatusOK, "listing", lp)
}

// archiveRE matches the daily archive path /archive/YYYY/MM/DD.
var archiveRE = regexp.MustCompile(`^/archive/(\d{4})/(\d{2})/(\d{2})/?$`)

// archive serves the daily archive: the articles published on one day
// (Baku time), newest first, linking to the previous and the next day.
// It is an endless calendar, as on many CMSes: every day links to the
// next one, future days included, and to the previous one, long before
// the first article.
func (s *Site) archive(o *outlet, base string, w http.ResponseWriter, r *http.Request) {
	m := archiveRE.FindStringSubmatch(r.URL.Path)
	if m == nil {
		s.notFound(o, base, w, r)
		return
	}
	y, _ := strconv.Atoi(m[1])
	mo, _ := strconv.Atoi(m[2])
	d, _ := strconv.Atoi(m[3])
	day := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, Baku)
	if day.Year() != y || int(day.Month()) != mo || day.Day() != d || y < 1990 || y > 2100 {
		s.notFound(o, base, w, r)
		return
	}
	dayURL := func(t time.Time) string { return base + t.Format("/archive/2006/01/02") }
	lp := listingPage{chrome: s.chromeFor(o, base, o.lang, day.Format("2006-01-02"), dayURL(day)), Heading: day.Format("02.01.2006"), Page: 1}
	next := day.AddDate(0, 0, 1)
	for _, a := range s.shown(o.arts) {
		if p := s.published(a); !p.Before(day) && p.Before(next) {
			lp.Items = append(lp.Items, s.itemOf(a, base))
		}
	}
	lp.Prev, lp.Next = dayURL(day.AddDate(0, 0, -1)), dayURL(next)
	s.page(o, base, w, r, http.StatusOK, "listing", lp)
}

// search serves the disallowed search page: real results, so a crawler
// that ignores robots.txt finds (duplicate) links here.
func (s *Site) search(o *outlet, base string, w http.ResponseWriter, r *http.Request) {
	q := strings.ToLower(r.URL.Query().Get("q") + r.URL.Query().Get("tag"))
	sp := simplePage{Heading: labelsFor(o.lang).search + ": " + q}
	for _, a := range s.shown(o.arts) {
		if len(sp.Items) >= 20 {
			break
		}
		hit := strings.Contains(strings.ToLower(a.title), q)
		for _, t := range a.tags {
			hit = hit || strings.ToLower(t) == q
		}
		if hit {
			sp.Items = append(sp.Items, s.itemOf(a, base))
		}
	}
	s.page(o, base, w, r, http.StatusOK, "simple", sp)
}

func (s *Site) page(o *outlet, base string, w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	if data == nil {
		data = s.chromeFor(o, base, o.lang, "", "")
	}
	if sp, ok := data.(simplePage); ok && sp.chrome.Base == "" {
		sp.chrome = s.chromeFor(o, base, o.lang, sp.Heading, "")
		data = sp
	}
	var buf bytes.Buffer
	if err := o.tpl.t.ExecuteTemplate(&buf, name, data); err != nil {
		http.Error(w, "template: "+err.Error(), http.StatusInternalServerError)
		return
	}
	page := buf.String()
	f := s.faultsOf(o)
	if f.Redesign {
		page = redesign(page)
	}
	if f.NoFeeds {
		page = feedLinkRE.ReplaceAllString(page, "")
	}
	if f.SessionIDs {
		page = withSessionIDs(page, base, o.id, r.URL.Path, s.attempt(o, r))
	}
	body := []byte(page)
	ctype := "text/html; charset=utf-8"
	if o.charset == "windows-1251" {
		body = encode1251(page)
		ctype = "text/html; charset=windows-1251"
	}
	switch f.Charset {
	case "missing":
		ctype = "text/html"
		body = stripMetaCharset(body)
	case "wrong":
		if o.charset == "windows-1251" {
			ctype = "text/html; charset=utf-8"
		} else {
			ctype = "text/html; charset=windows-1251"
		}
	}
	if _, isArticle := data.(articlePage); isArticle && f.HugePages && strings.HasPrefix(r.URL.Path, f.PathPrefix) {
		if i := bytes.LastIndex(body, []byte("</body>")); i >= 0 {
			body = append(append(append([]byte(nil), body[:i]...), hugePadding()...), body[i:]...)
		}
	}
	if status != http.StatusOK {
		w.Header().Set("Content-Type", ctype)
		w.WriteHeader(status)
		w.Write(body)
		return
	}
	var mod time.Time
	if ap, ok := data.(articlePage); ok {
		mod, _ = time.Parse(time.RFC3339, ap.ModISO)
	}
	serve(w, r, ctype, body, mod)
}

var (
	feedLinkRE  = regexp.MustCompile(`<link rel="alternate" type="application/rss\+xml"[^>]*>\n?`)
	jsonLDRE    = regexp.MustCompile(`(?s)<script type="application/ld\+json">.*?</script>\n?`)
	metaDateRE  = regexp.MustCompile(`<meta property="article:(?:published|modified)_time"[^>]*>\n?`)
	classAttrRE = regexp.MustCompile(`class="([^"]*)"`)
)

// redesign turns a page into the outlet's "new layout": every CSS class
// renamed and the structured dates (JSON-LD, article:published_time) gone,
// so selector overrides break and only the visible date is left.
func redesign(page string) string {
	page = jsonLDRE.ReplaceAllString(page, "")
	page = metaDateRE.ReplaceAllString(page, "")
	return classAttrRE.ReplaceAllStringFunc(page, func(m string) string {
		var out []string
		for _, c := range strings.Fields(m[len(`class="`) : len(m)-1]) {
			h := fnv.New32a()
			h.Write([]byte(c))
			out = append(out, "nx-"+strconv.FormatUint(uint64(h.Sum32()), 36))
		}
		return `class="` + strings.Join(out, " ") + `"`
	})
}

// encode1251 encodes s as windows-1251; runes the code page lacks become
// numeric character references (&#N;), as CMSes of such sites do.
func encode1251(s string) []byte {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if r < 0x80 {
			out = append(out, byte(r))
			continue
		}
		if b, ok := charmap.Windows1251.EncodeRune(r); ok {
			out = append(out, b)
			continue
		}
		out = append(out, fmt.Sprintf("&#%d;", r)...)
	}
	return out
}

var placeholderJPEG = func() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 16, 9))
	for x := 0; x < 16; x++ {
		for y := 0; y < 9; y++ {
			img.Set(x, y, color.RGBA{R: uint8(40 + 10*x), G: uint8(60 + 15*y), B: 140, A: 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 60}); err != nil {
		panic(err)
	}
	return buf.Bytes()
}()
