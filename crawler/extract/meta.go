package extract

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// meta is what the page declares about itself: JSON-LD, OpenGraph, meta
// tags, <title>, <h1>, breadcrumbs and visible counters.
type meta struct {
	Title       string // cleaned headline
	RawTitle    string // <title> as given
	H1          string
	Description string
	Authors     []string
	Section     string
	Tags        []string
	Image       string
	SiteName    string
	Canonical   string
	Lang        string // declared language (<html lang>, og:locale, inLanguage)
	ArticleBody string // JSON-LD articleBody
	Views       *int64
	orgNames    []string // organization names (publisher, organization authors)
}

// ldArticleTypes are the JSON-LD types whose fields describe the article.
var ldArticleTypes = map[string]bool{
	"article": true, "newsarticle": true, "blogposting": true, "reportagenewsarticle": true,
	"analysisnewsarticle": true, "opinionnewsarticle": true, "backgroundnewsarticle": true,
	"reviewnewsarticle": true, "scholarlyarticle": true, "techarticle": true, "report": true,
	"liveblogposting": true, "posting": true, "socialmediaposting": true,
}

func readMeta(doc *html.Node, pageURL *url.URL) *meta {
	m := &meta{}
	named := map[string][]string{} // meta name/property -> contents, in order
	var ldScripts []string
	var titleTag, h1 string
	var relAuthors, pageTags []string
	furniture := 0 // depth inside nav, aside and footer
	var crumbs [][]string
	var visit func(n *html.Node, depth int)
	visit = func(n *html.Node, depth int) {
		if depth > maxWalkDepth || n.Type != html.ElementNode && n.Type != html.DocumentNode {
			return
		}
		if n.Type == html.ElementNode {
			switch n.DataAtom {
			case atom.Html:
				if v := attr(n, "lang"); v != "" {
					m.Lang = v
				}
			case atom.Meta:
				content := strings.TrimSpace(attr(n, "content"))
				if content == "" {
					break
				}
				for _, k := range []string{"property", "name", "itemprop"} {
					if key := strings.ToLower(strings.TrimSpace(attr(n, k))); key != "" {
						named[key] = append(named[key], content)
					}
				}
			case atom.Title:
				if titleTag == "" && n.Parent != nil && n.Parent.DataAtom == atom.Head {
					titleTag = nodeText(n)
				}
			case atom.H1:
				if h1 == "" {
					h1 = nodeText(n)
				}
			case atom.Link:
				rel := strings.ToLower(attr(n, "rel"))
				switch {
				case hasWord(rel, "canonical"):
					if m.Canonical == "" {
						m.Canonical = strings.TrimSpace(attr(n, "href"))
					}
				case hasWord(rel, "image_src"):
					named["image_src"] = append(named["image_src"], attr(n, "href"))
				}
			case atom.Script:
				if strings.Contains(strings.ToLower(attr(n, "type")), "ld+json") && n.FirstChild != nil {
					ldScripts = append(ldScripts, n.FirstChild.Data)
				}
				return
			case atom.Style, atom.Noscript, atom.Template:
				return
			case atom.Nav, atom.Aside, atom.Footer:
				furniture++
				defer func() { furniture-- }()
			case atom.A:
				if hasWord(strings.ToLower(attr(n, "rel")), "author") {
					if t := nodeText(n); t != "" {
						relAuthors = append(relAuthors, t)
					}
				}
				if furniture == 0 && isTagHref(attr(n, "href")) {
					if t := strings.TrimSpace(strings.TrimLeft(nodeText(n), "#")); t != "" && len([]rune(t)) <= 40 {
						pageTags = append(pageTags, t)
					}
				}
			}
			if isBreadcrumb(n) {
				if c := crumbTexts(n); len(c) > 0 {
					crumbs = append(crumbs, c)
				}
				return
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			visit(c, depth+1)
		}
	}
	visit(doc, 0)
	m.RawTitle, m.H1 = titleTag, h1
	scope := articleScope(doc)

	ld := parseLD(ldScripts)
	first := func(keys ...string) string {
		for _, k := range keys {
			for _, v := range named[k] {
				if v = strings.TrimSpace(v); v != "" {
					return v
				}
			}
		}
		return ""
	}
	m.SiteName = firstNonEmpty(first("og:site_name", "application-name", "twitter:site"), ld.publisher)
	m.SiteName = strings.TrimPrefix(m.SiteName, "@")
	if ld.publisher != "" {
		m.orgNames = append(m.orgNames, ld.publisher)
	}
	m.orgNames = append(m.orgNames, ld.orgAuthors...)
	if m.SiteName != "" {
		m.orgNames = append(m.orgNames, m.SiteName)
	}

	// Title: JSON-LD headline, og:title, twitter:title, <title>, <h1>.
	og := first("og:title", "twitter:title", "headline")
	headline := ld.headline
	if truncated(headline, og) || truncated(headline, h1) {
		headline = "" // a JSON-LD headline cut at 110 characters
	}
	title := firstNonEmpty(headline, og, titleTag, h1)
	m.Title = cleanTitle(title, m.SiteName, pageURL, h1)

	m.Description = firstNonEmpty(ld.description, first("og:description", "description", "twitter:description"))
	m.Description = strings.Join(strings.Fields(m.Description), " ")

	// Authors: JSON-LD persons, then meta tags, then rel=author links.
	var authors []string
	authors = append(authors, ld.authors...)
	if len(authors) == 0 {
		for _, k := range []string{"author", "article:author", "parsely-author", "sailthru.author", "dc.creator", "byl"} {
			for _, v := range named[k] {
				authors = append(authors, splitAuthors(v)...)
			}
			if len(authors) > 0 {
				break
			}
		}
	}
	if len(authors) == 0 {
		byline := findByline(scope, 0)
		if byline == "" && scope != doc {
			byline = findByline(doc, 0)
		}
		authors = splitAuthors(byline)
	}
	if len(authors) == 0 {
		for _, v := range relAuthors {
			authors = append(authors, splitAuthors(v)...)
		}
	}
	m.Authors = cleanAuthors(authors, m.orgNames, pageURL)

	// Section: JSON-LD articleSection, article:section, breadcrumbs.
	m.Section = firstNonEmpty(ld.section, first("article:section", "section", "parsely-section", "category", "sailthru.section"))
	if m.Section == "" && len(ld.crumbs) > 0 {
		m.Section = pickCrumb(ld.crumbs, m.Title)
	}
	if m.Section == "" {
		for _, c := range crumbs {
			if s := pickCrumb(c, m.Title); s != "" {
				m.Section = s
				break
			}
		}
	}
	if m.Section == "" {
		m.Section = sectionLabel(scope)
	}
	if m.Section == "" {
		m.Section = kicker(doc, pageURL)
	}
	m.Section = cleanSection(m.Section)

	// Tags: JSON-LD keywords, article:tag, news_keywords, keywords.
	tags := ld.keywords
	if len(tags) == 0 {
		for _, v := range named["article:tag"] {
			tags = append(tags, splitList(v)...)
		}
	}
	if len(tags) == 0 {
		for _, k := range []string{"news_keywords", "keywords", "parsely-tags"} {
			for _, v := range named[k] {
				tags = append(tags, splitList(v)...)
			}
			if len(tags) > 0 {
				break
			}
		}
	}
	if len(tags) == 0 {
		tags = pageTags
	}
	m.Tags = dedupe(tags, 50)

	img := firstNonEmpty(ld.image, first("og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src", "image_src", "thumbnailurl"))
	m.Image = absURL(pageURL, img)
	if m.Canonical == "" {
		m.Canonical = first("og:url")
	}
	if m.Lang == "" {
		m.Lang = firstNonEmpty(ld.lang, first("og:locale", "language", "content-language", "dc.language"))
	}
	m.ArticleBody = ld.body
	m.Views = ld.views
	if m.Views == nil {
		// The article's own counter first: teasers in lists have theirs.
		if art := findFirst(doc, atom.Article, 0); art != nil {
			m.Views = findViews(art)
		}
		if m.Views == nil {
			m.Views = findViews(doc)
		}
	}
	return m
}

// truncated reports whether short is a cut-down version of full: it ends
// with an ellipsis or is a strict prefix of it.
func truncated(short, full string) bool {
	short, full = cleanSpace(short), cleanSpace(full)
	if short == "" || full == "" || len(full) <= len(short) {
		return false
	}
	s := strings.TrimRight(short, ".… ")
	return strings.HasPrefix(full, s)
}

// cleanSection keeps the first of a list of sections ("Commercial Real
// Estate,Home Page,Popular") and drops values that are not section names
// (handles, e-mail calls).
func cleanSection(s string) string {
	s = cleanSpace(s)
	if parts := splitList(s); len(parts) > 1 {
		s = parts[0]
	}
	if strings.HasPrefix(s, "@") || strings.Contains(s, "://") || len([]rune(s)) > 60 || isJunkLine(s) {
		return ""
	}
	return s
}

// ld is what the JSON-LD of a page says about its article.
type ld struct {
	headline, description, section, image, body, lang, publisher string
	authors, orgAuthors, keywords, crumbs                        []string
	views                                                        *int64
}

func parseLD(scripts []string) ld {
	var out ld
	var objs []map[string]any
	var collect func(v any, depth int)
	collect = func(v any, depth int) {
		if depth > 8 {
			return
		}
		switch t := v.(type) {
		case []any:
			for _, x := range t {
				collect(x, depth+1)
			}
		case map[string]any:
			objs = append(objs, t)
			if g, ok := t["@graph"]; ok {
				collect(g, depth+1)
			}
			if me, ok := t["mainEntity"]; ok {
				collect(me, depth+1)
			}
		}
	}
	for _, s := range scripts {
		s = strings.TrimSpace(s)
		s = strings.TrimSuffix(strings.TrimPrefix(s, "<!--"), "-->")
		var v any
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			continue
		}
		collect(v, 0)
	}
	// Objects referenced by "@id" (Yoast's @graph: "author": {"@id": ...}).
	byID := map[string]map[string]any{}
	for _, o := range objs {
		if id, ok := o["@id"].(string); ok && id != "" && len(o) > 1 {
			byID[id] = o
		}
	}
	for _, o := range objs {
		types := ldTypes(o)
		if types["breadcrumblist"] && len(out.crumbs) == 0 {
			out.crumbs = ldCrumbs(o)
		}
		if !anyType(types, ldArticleTypes) {
			continue
		}
		if out.headline == "" {
			out.headline = cleanSpace(firstNonEmpty(ldString(o["headline"]), ldString(o["name"])))
		}
		if out.description == "" {
			out.description = cleanSpace(ldString(o["description"]))
		}
		if out.section == "" {
			out.section = cleanSpace(ldString(o["articleSection"]))
		}
		if out.image == "" {
			out.image = ldImage(o["image"])
		}
		if out.body == "" {
			out.body = ldString(o["articleBody"])
		}
		if out.lang == "" {
			out.lang = ldString(o["inLanguage"])
		}
		if out.publisher == "" {
			out.publisher = ldName(resolveLD(o["publisher"], byID))
		}
		if len(out.authors) == 0 && len(out.orgAuthors) == 0 {
			out.authors, out.orgAuthors = ldAuthors(resolveLD(o["author"], byID))
			if len(out.authors) == 0 {
				out.authors, _ = ldAuthors(resolveLD(o["creator"], byID))
			}
		}
		if len(out.keywords) == 0 {
			switch k := o["keywords"].(type) {
			case string:
				out.keywords = splitList(k)
			case []any:
				for _, x := range k {
					if s := ldString(x); s != "" {
						out.keywords = append(out.keywords, splitList(s)...)
					}
				}
			}
		}
		if out.views == nil {
			out.views = ldViews(o["interactionStatistic"])
		}
	}
	return out
}

func ldTypes(o map[string]any) map[string]bool {
	t := map[string]bool{}
	switch v := o["@type"].(type) {
	case string:
		t[strings.ToLower(v)] = true
	case []any:
		for _, x := range v {
			if s, ok := x.(string); ok {
				t[strings.ToLower(s)] = true
			}
		}
	}
	return t
}

func anyType(have, want map[string]bool) bool {
	for k := range have {
		if want[k] {
			return true
		}
	}
	return false
}

// ldString returns a JSON-LD value as text: a string, the first string of
// an array, or an object's name / @value.
func ldString(v any) string {
	switch t := v.(type) {
	case string:
		return html.UnescapeString(strings.TrimSpace(t))
	case []any:
		for _, x := range t {
			if s := ldString(x); s != "" {
				return s
			}
		}
	case map[string]any:
		return firstNonEmpty(ldString(t["name"]), ldString(t["@value"]))
	}
	return ""
}

func ldName(v any) string {
	switch t := v.(type) {
	case map[string]any:
		return cleanSpace(ldString(t["name"]))
	case []any:
		for _, x := range t {
			if s := ldName(x); s != "" {
				return s
			}
		}
	case string:
		return cleanSpace(t)
	}
	return ""
}

func ldImage(v any) string {
	switch t := v.(type) {
	case string:
		return strings.TrimSpace(t)
	case []any:
		for _, x := range t {
			if s := ldImage(x); s != "" {
				return s
			}
		}
	case map[string]any:
		return firstNonEmpty(ldImage(t["url"]), ldImage(t["contentUrl"]), ldImage(t["@id"]))
	}
	return ""
}

// ldAuthors splits JSON-LD authors into people and organizations.
// resolveLD replaces "@id"-only references in v (an object or an array of
// them) with the objects they name.
func resolveLD(v any, byID map[string]map[string]any) any {
	switch t := v.(type) {
	case map[string]any:
		if id, ok := t["@id"].(string); ok && len(t) == 1 {
			if o, ok := byID[id]; ok {
				return o
			}
		}
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = resolveLD(x, byID)
		}
		return out
	}
	return v
}

func ldAuthors(v any) (people, orgs []string) {
	switch t := v.(type) {
	case string:
		people = append(people, splitAuthors(t)...)
	case []any:
		for _, x := range t {
			p, o := ldAuthors(x)
			people = append(people, p...)
			orgs = append(orgs, o...)
		}
	case map[string]any:
		name := cleanSpace(ldString(t["name"]))
		if name == "" {
			return nil, nil
		}
		types := ldTypes(t)
		if types["organization"] || types["newsmediaorganization"] || types["corporation"] {
			orgs = append(orgs, name)
		} else {
			people = append(people, splitAuthors(name)...)
		}
	}
	return people, orgs
}

func ldCrumbs(o map[string]any) []string {
	items, _ := o["itemListElement"].([]any)
	var out []string
	for _, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			continue
		}
		name := ldString(m["name"])
		if name == "" {
			name = ldName(m["item"])
		}
		if name = cleanSpace(name); name != "" {
			out = append(out, name)
		}
	}
	return out
}

func ldViews(v any) *int64 {
	switch t := v.(type) {
	case []any:
		for _, x := range t {
			if n := ldViews(x); n != nil {
				return n
			}
		}
	case map[string]any:
		types := map[string]bool{}
		switch it := t["interactionType"].(type) {
		case string:
			types[strings.ToLower(it)] = true
		case map[string]any:
			for k, x := range ldTypes(it) {
				types[k] = x
			}
		}
		for k := range types {
			if strings.Contains(k, "watchaction") || strings.Contains(k, "readaction") || strings.Contains(k, "viewaction") {
				switch c := t["userInteractionCount"].(type) {
				case float64:
					n := int64(c)
					return &n
				case string:
					if n, err := strconv.ParseInt(strings.TrimSpace(c), 10, 64); err == nil {
						return &n
					}
				}
			}
		}
	}
	return nil
}

// domainLike matches a site named by its domain ("Report.az", "Вести.az").
var domainLike = regexp.MustCompile(`^[\pL\pN-]+(\.[\pL\pN-]+)*\.(?i:az|ru|com|net|org|info|news|tv|uk|co|io|tr|ge|kz|ua|by|us|in|de|fr|it|es)$`)

// titleSeps split a title from the site name it carries.
var titleSeps = []string{" | ", " - ", " — ", " – ", " :: ", " · ", " • ", " / ", " « ", " » "}

// cleanTitle removes a " | Site" or " - Site" suffix (or prefix) from a
// title: the part that names the site, its domain, or that the <h1> does not
// contain.
func cleanTitle(title, site string, pageURL *url.URL, h1 string) string {
	title = cleanSpace(title)
	if title == "" {
		return ""
	}
	var host string
	if pageURL != nil {
		host = strings.TrimPrefix(strings.ToLower(pageURL.Hostname()), "www.")
	}
	isSite := func(s string) bool {
		k := normKey(s)
		if k == "" {
			return false
		}
		if domainLike.MatchString(strings.TrimSpace(s)) {
			return true
		}
		if site != "" && (k == normKey(site) || strings.Contains(normKey(site), k) && len(k) >= 4) {
			return true
		}
		if host != "" {
			hk := normKey(host)
			label := normKey(strings.Split(host, ".")[0])
			if k == hk || k == label || strings.HasPrefix(hk, k) && len(k) >= 4 {
				return true
			}
		}
		return false
	}
	for changed := true; changed; {
		changed = false
		for _, sep := range titleSeps {
			if i := strings.LastIndex(title, sep); i > 0 {
				if head, tail := title[:i], title[i+len(sep):]; isSite(tail) {
					title, changed = strings.TrimSpace(head), true
					continue
				}
			}
			if i := strings.Index(title, sep); i > 0 {
				if head, tail := title[:i], title[i+len(sep):]; isSite(head) {
					title, changed = strings.TrimSpace(tail), true
				}
			}
		}
	}
	// Without a site name: when the <h1> is one side of a separator, it is
	// the headline.
	if h1 = cleanSpace(h1); h1 != "" && normKey(h1) != normKey(title) {
		for _, sep := range titleSeps {
			if strings.HasPrefix(title, h1+sep) {
				return h1
			}
			if strings.HasSuffix(title, sep+h1) {
				return h1
			}
		}
	}
	return title
}

var (
	byPrefix   = regexp.MustCompile(`(?i)^(by|from|автор|авторы|текст|müəllif|yazar)\s*:?\s+`)
	authorSeps = regexp.MustCompile(`(?i)\s*(,|;|\||·|•|&)\s*|\s+(and|и|və|ve|und|et|y|e)\s+`)
)

// genericAuthors are bylines that name no person.
var genericAuthors = map[string]bool{
	"admin": true, "administrator": true, "staff": true, "editor": true, "editors": true,
	"editorial": true, "editorialstaff": true, "newsdesk": true, "newsroom": true,
	"redaksiya": true, "редакция": true, "unknown": true, "guest": true, "author": true,
	"reuters": true, "ap": true, "afp": true, "associatedpress": true, "wire": true,
	"staffreport": true, "staffwriter": true, "webdesk": true, "desk": true,
}

// roleWords end bylines that name a job, not a person ("AP Auto Writer").
var roleWords = wordSet(`writer writers correspondent correspondents reporter reporters editor editors
	contributor contributors columnist staff desk team bureau service agency newsroom press
	report reports
	корреспондент редактор обозреватель müxbir redaktor muhabir`)

// weekdays end some bylines ("by Jeff Foust Monday, November 18, 2019").
var weekdays = wordSet(`monday tuesday wednesday thursday friday saturday sunday
	понедельник вторник среда четверг пятница суббота воскресенье
	bazar bazar ertəsi çərşənbə axşamı cümə şənbə`)

// nameParticles may be lowercase inside a person's name.
var nameParticles = wordSet(`de da das do dos di del della van von der den ter bin ibn al el la le du y
	oğlu oglu qızı qizi kızı`)

// personLike reports whether s reads as a person's name: no generic or role
// words, no "The ..." organization, no lowercase words but particles.
func personLike(s string) bool {
	f := strings.Fields(s)
	if len(f) == 0 || strings.Contains(s, " - ") || strings.HasPrefix(s, "@") {
		return false
	}
	if len(f) == 1 && len([]rune(s)) <= 4 && strings.ToUpper(s) == s {
		return false // "MS", "RDN", "AP": credentials and initials, not names
	}
	if strings.EqualFold(f[0], "the") || roleWords[strings.ToLower(f[len(f)-1])] {
		return false
	}
	if strings.Contains(strings.ToLower(s), "admin") {
		return false
	}
	for _, w := range f {
		r := []rune(w)
		if unicode.IsLower(r[0]) && !nameParticles[strings.ToLower(w)] {
			return false
		}
	}
	return true
}

func splitAuthors(s string) []string {
	s = cleanSpace(byPrefix.ReplaceAllString(cleanSpace(s), ""))
	if s == "" {
		return nil
	}
	var out []string
	for _, p := range authorSeps.Split(s, -1) {
		p = strings.TrimSpace(byPrefix.ReplaceAllString(p, ""))
		// "Jeff Foust Monday, November 18": a dateline glued to the name.
		for f := strings.Fields(p); len(f) > 1 && weekdays[strings.ToLower(f[len(f)-1])]; f = f[:len(f)-1] {
			p = strings.Join(f[:len(f)-1], " ")
		}
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// cleanAuthors drops bylines that are not people: URLs, e-mail addresses,
// generic desks, and the site's or an organization's own name.
func cleanAuthors(in []string, orgs []string, pageURL *url.URL) []string {
	var host string
	if pageURL != nil {
		host = normKey(strings.TrimPrefix(strings.ToLower(pageURL.Hostname()), "www."))
	}
	var out []string
	for _, a := range in {
		k := normKey(a)
		switch {
		case k == "", len([]rune(a)) > 80, strings.Contains(a, "://"), strings.HasPrefix(a, "www."),
			strings.Contains(a, "@"), genericAuthors[k], strings.ContainsAny(a, "0123456789"),
			len(strings.Fields(a)) > 5:
			continue
		}
		if host != "" && (k == host || strings.HasPrefix(host, k)) {
			continue
		}
		if !personLike(a) {
			continue
		}
		org := false
		for _, o := range orgs {
			if ok := normKey(o); ok != "" && (k == ok || strings.HasPrefix(ok, k) || strings.HasPrefix(k, ok)) {
				org = true
				break
			}
		}
		if !org {
			out = append(out, a)
		}
	}
	return dedupe(out, 20)
}

// bylineWords are class words of bylines.
var (
	bylineWords = wordSet(`byline byl author authors writer`)
	bylinePairs = wordSet(`author-name article-author post-author entry-author`)
	// notBylineWords mark author boxes, avatars and links lists.
	notBylineWords = wordSet(`bio box avatar img image photo description about list more`)
)

// findByline returns the text of the first byline element under n.
func findByline(n *html.Node, depth int) string {
	if depth > maxWalkDepth {
		return ""
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != html.ElementNode {
			continue
		}
		switch c.DataAtom {
		case atom.Script, atom.Style, atom.Head, atom.Nav, atom.Aside, atom.Noscript, atom.Template:
			continue
		case atom.Footer: // the site's footer; an article's may hold the byline
			if n.DataAtom == atom.Body || n.DataAtom == atom.Html {
				continue
			}
		}
		if isByline(c) {
			if t := nodeText(c); t != "" && len([]rune(t)) <= 120 {
				return t
			}
		}
		if t := findByline(c, depth+1); t != "" {
			return t
		}
	}
	return ""
}

// isByline reports an element that holds the article's byline.
func isByline(n *html.Node) bool {
	switch n.DataAtom {
	case atom.Html, atom.Body, atom.Head, atom.Script, atom.Style, atom.Meta, atom.Link, atom.Img:
		return false
	}
	if attr(n, "itemprop") == "author" {
		return true
	}
	c := attr(n, "class")
	if c == "" {
		return false
	}
	return matchName(c, bylineWords, bylinePairs) && !matchName(c, notBylineWords, nil)
}

// tagHref matches links to tag pages ("/tag/caspian", "?tag=Caspian").
var tagHref = regexp.MustCompile(`(?i)([?&]tags?=|/tags?/|/etiket(ler)?/|/teg/|/tegi/|/метки/|/теги/)`)

// isTagHref is tagHref.MatchString(h), skipping the regular expression for
// the ASCII links that cannot match.
func isTagHref(h string) bool {
	ascii := true
	for i := 0; i < len(h); i++ {
		if h[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii && !containsFoldASCII(h, "tag") && !containsFoldASCII(h, "teg") && !containsFoldASCII(h, "etiket") {
		return false
	}
	return tagHref.MatchString(h)
}

// containsFoldASCII reports whether s contains the lowercase ASCII word w,
// ignoring ASCII case.
func containsFoldASCII(s, w string) bool {
	for i := 0; i+len(w) <= len(s); i++ {
		j := 0
		for ; j < len(w); j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != w[j] {
				break
			}
		}
		if j == len(w) {
			return true
		}
	}
	return false
}

// crumbWords are class words of breadcrumb trails not named "breadcrumb".
var crumbWords = wordSet(`path crumbs crumb trail pathway`)

// kicker finds a section label placed as a link just before the headline
// (the first <h1>): the nearest preceding short link to a listing page of
// the same site.
func kicker(doc *html.Node, pageURL *url.URL) string {
	h1 := findFirst(doc, atom.H1, 0)
	if h1 == nil {
		return ""
	}
	// Walk back through the h1's preceding siblings (and those of its
	// ancestors, up to 3 levels), nearest first.
	for n, level := h1, 0; n != nil && level < 3; n, level = n.Parent, level+1 {
		for s := n.PrevSibling; s != nil; s = s.PrevSibling {
			if s.Type != html.ElementNode {
				continue
			}
			if a := lastLink(s, 0); a != nil && (countLinks(s, 0) <= 1 || hasSeparator(s, 0)) {
				t := nodeText(a)
				u := absURL(pageURL, attr(a, "href"))
				if t == "" || len(strings.Fields(t)) > 3 || len([]rune(t)) > 30 || u == "" {
					return ""
				}
				lu, err := url.Parse(u)
				if err != nil || pageURL == nil || lu.Host != pageURL.Host || strings.Trim(lu.Path, "/") == "" ||
					strings.Count(strings.Trim(lu.Path, "/"), "/") > 2 || lu.Path == pageURL.Path {
					return ""
				}
				return t
			}
			if nodeText(s) != "" {
				return "" // text between the label and the headline: not a kicker
			}
		}
	}
	return ""
}

// hasSeparator reports breadcrumb separators ("→", "»", "/") between the
// links of n: a trail, not a menu.
func hasSeparator(n *html.Node, depth int) bool {
	if depth > 8 {
		return false
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		switch c.Type {
		case html.TextNode:
			if strings.ContainsAny(c.Data, "→»›>/|·•") {
				return true
			}
		case html.ElementNode:
			if c.DataAtom != atom.A && hasSeparator(c, depth+1) {
				return true
			}
		}
	}
	return false
}

func findFirst(n *html.Node, a atom.Atom, depth int) *html.Node {
	if depth > maxWalkDepth {
		return nil
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != html.ElementNode {
			continue
		}
		if c.DataAtom == a {
			return c
		}
		if f := findFirst(c, a, depth+1); f != nil {
			return f
		}
	}
	return nil
}

// lastLink returns the last <a> in n when n holds nothing but links,
// whitespace and breadcrumb separators (a label or a trail), else nil.
func lastLink(n *html.Node, depth int) *html.Node {
	if depth > 8 {
		return nil
	}
	if n.DataAtom == atom.A {
		return n
	}
	var last *html.Node
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		switch c.Type {
		case html.TextNode:
			if strings.Trim(c.Data, " \t\r\n\u00a0→»›>/|·•-–—:") != "" {
				return nil
			}
		case html.ElementNode:
			l := lastLink(c, depth+1)
			if l == nil {
				return nil
			}
			last = l
		}
	}
	return last
}

func isBreadcrumb(n *html.Node) bool {
	if n.DataAtom == atom.Script {
		return false
	}
	for _, a := range n.Attr {
		switch a.Key {
		case "class", "id", "aria-label", "itemtype":
			if strings.Contains(a.Val, "readcrumb") || strings.Contains(a.Val, "READCRUMB") {
				return true
			}
			if a.Key == "class" && matchName(a.Val, crumbWords, nil) {
				t := nodeText(n)
				return len([]rune(t)) <= 120 && countLinks(n, 0) >= 2
			}
		}
	}
	return false
}

func crumbTexts(n *html.Node) []string {
	var out []string
	var visit func(n *html.Node, depth int)
	visit = func(n *html.Node, depth int) {
		if depth > 64 {
			return
		}
		if n.Type == html.ElementNode && (n.DataAtom == atom.A || n.DataAtom == atom.Li && !hasElementChild(n, atom.A)) {
			if t := nodeText(n); t != "" && len([]rune(t)) <= 60 {
				out = append(out, t)
			}
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			visit(c, depth+1)
		}
	}
	visit(n, 0)
	return out
}

func countLinks(n *html.Node, depth int) int {
	if depth > 32 {
		return 0
	}
	c := 0
	for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
		if ch.Type == html.ElementNode {
			if ch.DataAtom == atom.A {
				c++
			} else {
				c += countLinks(ch, depth+1)
			}
		}
	}
	return c
}

func hasElementChild(n *html.Node, a atom.Atom) bool {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && (c.DataAtom == a || hasElementChild(c, a)) {
			return true
		}
	}
	return false
}

// homeCrumbs are first breadcrumb entries that name no section.
var homeCrumbs = map[string]bool{
	"home": true, "homepage": true, "main": true, "news": false, "главная": true,
	"anasəhifə": true, "əsassəhifə": true, "anasayfa": true, "начало": true,
}

// pickCrumb returns the deepest breadcrumb that is neither home nor the
// article itself.
func pickCrumb(crumbs []string, title string) string {
	tk := normKey(title)
	for i := len(crumbs) - 1; i >= 0; i-- {
		k := normKey(crumbs[i])
		if k == "" || homeCrumbs[k] || (tk != "" && (k == tk || strings.HasPrefix(tk, k) && len(k) > 20)) {
			continue
		}
		if len([]rune(crumbs[i])) > 40 {
			continue
		}
		return crumbs[i]
	}
	return ""
}

// sectionWords are class words of section labels ("ANALYTICS" above a
// headline).
var sectionWords = wordSet(`section category categories cat rubric rubrika rubrik kicker eyebrow overline topic`)

// articleScope is the part of the page that holds the article: its
// <article>, else the container three levels above the <h1>, else the page.
func articleScope(doc *html.Node) *html.Node {
	if a := findFirst(doc, atom.Article, 0); a != nil && textLen(a) > 200 {
		return a
	}
	if h := findFirst(doc, atom.H1, 0); h != nil {
		n := h
		for i := 0; i < 3 && n.Parent != nil && n.Parent.DataAtom != atom.Body && n.Parent.DataAtom != atom.Html; i++ {
			n = n.Parent
		}
		return n
	}
	return doc
}

// sectionLabel finds a short category label by its class name: the first
// element named like a section/category label whose text is 1 to 4 words.
func sectionLabel(doc *html.Node) string {
	var found string
	var visit func(n *html.Node, depth int)
	visit = func(n *html.Node, depth int) {
		if found != "" || depth > maxWalkDepth {
			return
		}
		if n.Type == html.ElementNode {
			switch n.DataAtom {
			case atom.Script, atom.Style, atom.Head, atom.Nav, atom.Footer, atom.Header, atom.Select, atom.Ul, atom.Ol, atom.Aside:
				return
			}
			if c := attr(n, "class"); c != "" && matchName(c, sectionWords, nil) && !isBoilerName(c) {
				t := nodeText(n)
				if w := len(strings.Fields(t)); w >= 1 && w <= 4 && len([]rune(t)) <= 40 && !digitsOnly(t) && !isJunkLine(t) {
					found = t
					return
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			visit(c, depth+1)
		}
	}
	visit(doc, 0)
	return found
}

func isBoilerName(c string) bool {
	c = strings.ToLower(c)
	return strings.Contains(c, "menu") || strings.Contains(c, "nav") || strings.Contains(c, "footer") || strings.Contains(c, "related")
}

func digitsOnly(s string) bool {
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c == ' ' || c == '.' || c == ',' || c == ':' || c == '/' || c == '-') {
			return false
		}
	}
	return true
}

// viewsText matches a visible view counter in az, ru, en and tr.
var viewsText = regexp.MustCompile(`(?i)^(?:👁\x{FE0F}?|views?|baxış(?:ların)? sayı|baxış|baxılıb|baxış sayı|просмотр(?:ов|ы|а)?|görüntülenme|okunma|hits|reads)\s*:?\s*([\d][\d\s.,]*)$|^([\d][\d\s.,]*)\s*(?:views?|baxış|просмотр(?:ов|а)?|görüntülenme|okunma|reads)$`)

// viewsWords are class words of view counters (incl. eye icons).
var (
	viewsWords = wordSet(`views view viewcount hits eye baxis seen prosmotr`)
	viewsPairs = wordSet(`view-count views-count view-counter views-counter fa-eye icon-eye`)
	// notViewsWords mark other counters (comments, likes, shares).
	notViewsWords = wordSet(`comment comments like likes share shares reply replies vote votes`)
)

// hasViewsHint is a cheap test before the views regexps: a counter label.
func hasViewsHint(s string) bool {
	if s == "" || len(s) > 80 {
		return false
	}
	l := strings.ToLower(s)
	for _, h := range []string{"view", "baxış", "baxıl", "просмотр", "görüntülenme", "okunma", "hits", "reads", "👁"} {
		if strings.Contains(l, h) {
			return true
		}
	}
	return false
}

// viewsClassHint is a cheap test before splitting class names.
func viewsClassHint(c string) bool {
	for _, h := range []string{"view", "View", "eye", "Eye", "hits", "seen", "count", "Count", "baxis", "prosmotr"} {
		if strings.Contains(c, h) {
			return true
		}
	}
	return false
}

// findViews returns the page's view count: a labelled counter ("Views: 406",
// "Baxış: 406", "Просмотров: 406") or a number next to an eye icon or in an
// element named like a view counter.
func findViews(doc *html.Node) *int64 {
	var found *int64
	var visit func(n *html.Node, depth int)
	visit = func(n *html.Node, depth int) {
		if found != nil || depth > maxWalkDepth {
			return
		}
		switch n.Type {
		case html.TextNode:
			if len(n.Data) > 200 || !hasViewsHint(strings.TrimSpace(n.Data)) {
				return
			}
			t := cleanSpace(n.Data)
			if t == "" || len(t) > 60 {
				return
			}
			if sm := viewsText.FindStringSubmatch(t); sm != nil {
				found = parseCount(firstNonEmpty(sm[1], sm[2]))
				return
			}
			// "Views:" in one element, the number in the next.
			if isViewsLabel(t) {
				if s := nextText(n); s != "" {
					found = parseCount(s)
				}
			}
			return
		case html.ElementNode:
			switch n.DataAtom {
			case atom.Script, atom.Style, atom.Head, atom.Noscript, atom.Template, atom.Nav, atom.Aside:
				return
			case atom.Footer: // the site's footer, not an article's
				if n.Parent != nil && (n.Parent.DataAtom == atom.Body || n.Parent.DataAtom == atom.Html) {
					return
				}
			}
			// (the hints hold no space: testing class and id apart saves
			// joining them on every element)
			class, id := attr(n, "class"), attr(n, "id")
			if !viewsClassHint(class) && !viewsClassHint(id) {
				break
			}
			if cls := class + " " + id; matchName(cls, viewsWords, viewsPairs) && !matchName(cls, notViewsWords, nil) {
				if t := nodeText(n); t != "" && countLike(t) {
					found = parseCount(t)
					return
				}
				// An empty icon (<i class="fa fa-eye"></i>) followed by the number.
				if nodeText(n) == "" {
					if s := nextText(n); countLike(s) {
						found = parseCount(s)
						return
					}
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			visit(c, depth+1)
		}
	}
	visit(doc, 0)
	return found
}

var viewsLabel = regexp.MustCompile(`(?i)^(👁\x{FE0F}?|views?|baxış(?:ların)? sayı|baxış|baxılıb|просмотр(?:ов|ы)?|görüntülenme|okunma)\s*:?$`)

func isViewsLabel(s string) bool { return viewsLabel.MatchString(s) }

// nextText is the text of the nodes following n (its siblings, or its
// parent's), up to the first non-empty one.
func nextText(n *html.Node) string {
	for p, hops := n, 0; p != nil && hops < 3; p, hops = p.Parent, hops+1 {
		for s := p.NextSibling; s != nil; s = s.NextSibling {
			var t string
			if s.Type == html.TextNode {
				t = cleanSpace(s.Data)
			} else if s.Type == html.ElementNode {
				t = nodeText(s)
			}
			if t != "" {
				return t
			}
		}
	}
	return ""
}

var countRe = regexp.MustCompile(`^\d{1,3}(?:[ ,.\x{00a0}\x{202f}]?\d{3})*$|^\d+$`)

func countLike(s string) bool { return countRe.MatchString(strings.TrimSpace(s)) }

func parseCount(s string) *int64 {
	s = strings.TrimSpace(s)
	if !countLike(s) {
		return nil
	}
	var b strings.Builder
	for _, c := range s {
		if c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
	}
	n, err := strconv.ParseInt(b.String(), 10, 64)
	if err != nil {
		return nil
	}
	return &n
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasWord(s, w string) bool {
	for _, f := range strings.Fields(s) {
		if f == w {
			return true
		}
	}
	return false
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}

func cleanSpace(s string) string { return strings.Join(strings.Fields(s), " ") }

func splitList(s string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == '|' }) {
		if p = cleanSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func dedupe(in []string, limit int) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		k := strings.ToLower(s)
		if s == "" || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, s)
		if len(out) == limit {
			break
		}
	}
	return out
}

// absURL resolves ref against base; it returns "" for non-http(s) results.
func absURL(base *url.URL, ref string) string {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return ""
	}
	u, err := url.Parse(ref)
	if err != nil {
		return ""
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return ""
	}
	return u.String()
}
