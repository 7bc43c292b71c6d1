// Package dates finds the publication and modification dates of a news
// page and parses date strings in Azerbaijani, Russian, English, Turkish and
// the main Western European languages.
//
// Find collects one candidate per source — JSON-LD, meta tags, <time> and
// data-date elements, publication labels, the URL, the dateline by the
// title — in a single walk of the page, and lets them vote: the calendar
// day most sources give wins, ties going to the most trusted source. One
// piece of text is one vote; reader comments, related-story lists and
// "Updated:" dates do not vote; a structured dateModified backs a visible
// dateline of its day. A page whose only visible date is an "Updated:" one
// is dated by it. When JSON-LD and meta tags agree, the page text is read
// only for that. Pages without any candidate fall back to go-htmldate's
// extensive search. Dates without an offset are taken in the outlet's time
// zone; future and pre-1995 dates are rejected.
package dates

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"unicode"
	"unicode/utf8"

	htmldate "github.com/markusmobius/go-htmldate"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/newswatch/newswatch/article"
)

// Options tell Find about the page.
type Options struct {
	URL      string         // page URL (dates in the path are a source); "" means the page's own canonical link or og:url
	Location *time.Location // outlet time zone for dates without offset; nil means UTC
	Now      time.Time      // fetch time: relative dates count back from it, later dates are rejected; zero means time.Now()
}

// Result is what Find found. Published and Modified are nil when not found.
// Source names where Published came from (one of the article.DateSource*
// values jsonld, meta, time, url, text), or
// where Modified came from when only that was found; "" when neither.
type Result struct {
	Published, Modified *time.Time
	Source              string
}

// Find returns the publication and modification dates of the page doc. A
// nil doc (html.Parse failed) leaves only the URL as a source.
func Find(doc *html.Node, opt Options) Result {
	if opt.Location == nil {
		opt.Location = time.UTC
	}
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	f := finder{opt: opt, doc: doc}
	f.walk(doc)

	// Parse every structured source first: each timestamp seen is evidence
	// for the local zone of the others.
	f.structured()
	var res Result
	pub, pubSrc := f.published()
	if pub != nil {
		res.Published, res.Source = pub, pubSrc
	}
	if mod, modSrc := f.modified(); mod != nil {
		res.Modified = mod
		if res.Source == "" {
			res.Source = modSrc
		}
	}
	if res.Published != nil && res.Modified != nil && res.Modified.Before(*res.Published) {
		res.Modified = nil
	}
	return res
}

type finder struct {
	opt Options
	doc *html.Node

	jsonld     []*html.Node
	metas      []*html.Node
	times      []elem // <time> and elements with itemprop date*
	h1         *html.Node
	h1s        []elem // <h1> elements with words in them, up to maxH1
	heads      []elem // <h2>-<h4> elements with words, while no <h1> is seen
	title      string // text of <title>
	canonical  string // href of <link rel="canonical">
	h1Order    int
	h1InArt    bool
	dateLike   []elem       // elements whose class/id says "date"
	seen       []parsed     // every absolute timestamp parsed, as zone evidence
	pub, mod   []sourced    // best structured candidate per source
	texts      []*html.Node // short visible text nodes, in document order
	parsedJSON []jsonDoc    // f.jsonld parsed once
	n          int
	articleCnt int

	visDone        bool
	visAbs, visRel []cand
	visUpd         []cand
}

func (f *finder) walk(n *html.Node) {
	var rec func(n *html.Node, inArt, skip bool)
	rec = func(n *html.Node, inArt, skip bool) {
		if n.Type == html.ElementNode {
			f.n++
			switch n.DataAtom {
			case atom.Script:
				if strings.Contains(strings.ToLower(attr(n, "type")), "ld+json") {
					f.jsonld = append(f.jsonld, n)
				}
				return
			case atom.Style, atom.Noscript, atom.Template, atom.Svg:
				return
			case atom.Meta:
				f.metas = append(f.metas, n)
			case atom.Link:
				if f.canonical == "" && strings.EqualFold(strings.TrimSpace(attr(n, "rel")), "canonical") {
					f.canonical = strings.TrimSpace(attr(n, "href"))
				}
			case atom.H1:
				// The article title: the first <h1> with words in it (a
				// logo wrapped in <h1> has none), one inside <article>
				// preferred.
				if !skip && len(f.h1s) < maxH1 && hasText(n) {
					f.h1s = append(f.h1s, elem{n, f.n, inArt})
				}
			case atom.H2, atom.H3, atom.H4:
				if !skip && len(f.h1s) == 0 && len(f.heads) < maxH1 && hasText(n) {
					f.heads = append(f.heads, elem{n, f.n, inArt})
				}
			case atom.Title:
				if f.title == "" {
					f.title = text(n)
				}
			case atom.Article:
				inArt = true
				f.articleCnt++
			case atom.Footer, atom.Aside, atom.Nav:
				skip = true
			}
			// One pass over the attributes.
			var class, id string
			typed, data := false, false
			for _, a := range n.Attr {
				switch a.Key {
				case "class":
					class = a.Val
				case "id":
					id = a.Val
				case "itemprop":
					typed = len(a.Val) >= 4 && strings.EqualFold(a.Val[:4], "date")
				case "data-date", "data-published", "data-pubdate", "data-publish-date", "data-datetime", "data-date-published":
					data = true
				}
			}
			if n.DataAtom == atom.Time || n.DataAtom != atom.Meta && typed || !skip && data {
				f.times = append(f.times, elem{n, f.n, inArt})
			}
			if !skip && dateLikeTag(n) && (hasDateWord(class) || hasDateWord(id)) {
				f.dateLike = append(f.dateLike, elem{n, f.n, inArt})
			}
		}
		if n.Type == html.TextNode && !skip && len(f.texts) < maxTextNodes {
			if t := strings.TrimSpace(n.Data); t != "" && len(t) <= 300 {
				f.texts = append(f.texts, n)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			rec(c, inArt, skip)
		}
	}
	if n != nil {
		rec(n, false, false)
	}
	f.pickH1()
}

// maxH1 bounds the <h1> elements considered for the title.
const maxH1 = 20

// pickH1 chooses the article title among the <h1> elements with words in
// them: those inside <article> first; among them the first whose text the
// page's <title> or og:title contains (a site logo in an <h1> does not
// name the story), else the first.
func (f *finder) pickH1() {
	if len(f.h1s) == 0 {
		// No <h1>: the story's title is the first lesser heading that
		// the page title names.
		if e, ok := f.titleHeading(f.heads); ok {
			f.h1, f.h1Order, f.h1InArt = e.n, e.order, e.inArt
		} else if len(f.heads) == 1 {
			// The page's only heading is its story's title, whatever
			// the <title> says (a site name on some CMSs).
			e := f.heads[0]
			f.h1, f.h1Order, f.h1InArt = e.n, e.order, e.inArt
		}
		return
	}
	var group []elem
	for _, e := range f.h1s {
		if e.inArt {
			group = append(group, e)
		}
	}
	if len(group) == 0 {
		group = f.h1s
	}
	if len(group) == 0 {
		return
	}
	pick := group[0]
	if len(group) > 1 {
		if e, ok := f.titleHeading(group); ok {
			pick = e
		}
	}
	f.h1, f.h1Order, f.h1InArt = pick.n, pick.order, pick.inArt
}

// titleHeading returns the first heading of hs with at least 10 letters
// of text that the page's <title> or og:title contains.
func (f *finder) titleHeading(hs []elem) (elem, bool) {
	if len(hs) == 0 {
		return elem{}, false
	}
	titles := []string{normalize(f.title)}
	for _, m := range f.metas {
		if strings.EqualFold(attr(m, "property"), "og:title") {
			titles = append(titles, normalize(strings.Join(strings.Fields(attr(m, "content")), " ")))
		}
	}
	for _, e := range hs {
		h := normalize(text(e.n))
		if utf8.RuneCountInString(h) < 10 {
			continue
		}
		for _, t := range titles {
			if strings.Contains(t, h) {
				return e, true
			}
		}
	}
	return elem{}, false
}

// dateClassWords are the class/id words of date-like elements; each
// matches at the start of a class token (after start, space, '_' or '-'):
// "post-date", "entry_date", "metadata", "tarix-block".
var dateClassWords = []string{"date", "datum", "fecha", "data", "time", "timestamp", "published", "publish",
	"pubdate", "posted", "post-date", "postdate", "entry-date", "dateline", "byline", "article-info",
	"meta-date", "news-date", "created", "datetime", "meta", "tarix", "zaman", "vaxt", "дата"}

// dateLikeTag reports whether n's element may be a date-like element
// (its class or id deciding).
func dateLikeTag(n *html.Node) bool {
	switch n.DataAtom {
	case atom.Html, atom.Body, atom.Head, atom.Script, atom.Style, atom.Input, atom.Select, atom.Option, atom.Form, atom.Img, atom.A:
		return false
	}
	return true
}

// hasDateWord reports whether a dateClassWords entry starts a token of s
// (case-insensitively), without allocating.
func hasDateWord(s string) bool {
	for i := 0; i < len(s); i++ {
		if i > 0 {
			switch s[i-1] {
			case ' ', '\t', '\n', '\r', '\f', '_', '-':
			default:
				continue
			}
		}
		r := s[i] | 0x20
		if r != 'd' && r != 'f' && r != 't' && r != 'p' && r != 'b' && r != 'a' && r != 'n' && r != 'e' && r != 'c' && r != 'm' && r != 'z' && r != 'v' && s[i] < 0x80 {
			continue
		}
		for _, w := range dateClassWords {
			if len(s)-i >= len(w) && strings.EqualFold(s[i:i+len(w)], w) {
				return true
			}
		}
	}
	return false
}

// elem is an element collected by the walk with its position in document
// order and whether it lies inside an <article>.
type elem struct {
	n     *html.Node
	order int
	inArt bool
}

// cand is a candidate date with a priority (lower is better).
type cand struct {
	p    parsed
	prio int
	node *html.Node // the page node the date was read from, when one
}

func best(cs []cand) *cand {
	var b *cand
	for i := range cs {
		if b == nil || cs[i].prio < b.prio {
			b = &cs[i]
		}
	}
	return b
}

// parse parses s and records the result as zone evidence.
func (f *finder) parse(s string) (parsed, bool) {
	p, ok := parse(s, f.opt.Location, f.opt.Now)
	if !ok || !plausible(p.t, f.opt.Now) {
		return parsed{}, false
	}
	if p.hasTime && p.kind == absolute {
		f.seen = append(f.seen, p)
	}
	return p, true
}

type sourced struct {
	name string
	c    *cand
}

func (f *finder) structured() {
	metas := f.meta(pubMeta, false)
	var strong, weak []cand
	for _, c := range metas {
		if c.prio < weakMeta {
			strong = append(strong, c)
		} else {
			weak = append(weak, c)
		}
	}
	// Generic meta names ("date", "dc.date", "created") often carry the
	// page's modification or creation date; a <time> element beats them.
	// Sources in order of trust. Typed <time> elements (itemprop, pubdate,
	// a "published" class) and dates labeled "Published:" in the text come
	// right after meta; the URL, date-like text by the title and plain <time>
	// elements next; generic meta names and <time> elements outside the
	// article last. (Measured on the date benchmark: where two sources
	// disagree, the earlier one is right more often.)
	f.mod = []sourced{
		{article.DateSourceJSONLD, best(f.jsonLD("dateModified"))},
		{article.DateSourceMeta, best(f.meta(modMeta, true))},
		{article.DateSourceTime, f.timeElems(true, 0, 30)},
	}
	ld, sm := best(f.jsonLD("datePublished")), best(strong)
	if settled(ld, sm) {
		// JSON-LD and the publication meta tags agree on the day in the
		// page's own zone: the page text cannot outvote them in practice
		// (only an update-only dateline replaces them, see updatedOnly).
		f.pub = []sourced{{article.DateSourceJSONLD, ld}, {article.DateSourceMeta, sm}}
		return
	}
	f.pub = []sourced{
		{article.DateSourceJSONLD, ld},
		{article.DateSourceMeta, sm},
		{article.DateSourceTime, f.timeElems(false, 0, 10)},
		{article.DateSourceText, f.labeled()},
		{article.DateSourceURL, f.urlCand()},
		{article.DateSourceText, f.visibleText(0, afterTitlePrio-1)},
		{article.DateSourceTime, f.timeElems(false, 20, 20)},
		{article.DateSourceText, f.visibleText(afterTitlePrio, 1<<30)},
		{article.DateSourceMeta, best(weak)},
		{article.DateSourceTime, f.timeElems(false, 30, 30)},
	}
}

// settled reports whether two candidates name the same calendar day
// without needing zone evidence from the rest of the page: neither is a
// UTC timestamp that present might move to a local day.
func settled(a, b *cand) bool {
	if a == nil || b == nil {
		return false
	}
	for _, c := range []*cand{a, b} {
		if _, off := c.p.t.Zone(); c.p.zoned && c.p.hasTime && off == 0 {
			return false
		}
	}
	y1, m1, d1 := a.p.t.Date()
	y2, m2, d2 := b.p.t.Date()
	return y1 == y2 && m1 == m2 && d1 == d2
}

// published picks the publication date. Each source (JSON-LD, strong
// meta, <time>, weak meta, URL, visible text) offers at most one date; the
// calendar day offered by the most sources wins, ties going to the most
// trusted source, so that a single source contradicted by two others that
// agree (a JSON-LD block copied from another article, a meta tag holding
// the update time) is outvoted.
func (f *finder) published() (*time.Time, string) {
	type vote struct {
		t    *time.Time
		src  string
		rank int
	}
	if u := f.updatedOnly(); u != nil {
		return f.present(u.p), article.DateSourceText
	}
	var votes []vote
	for i, s := range f.pub {
		if s.c != nil && !f.counted(s.c, i) {
			votes = append(votes, vote{f.present(s.c.p), s.name, i})
		}
	}
	if len(votes) == 0 {
		if t := f.htmldate(); t != nil {
			return t, article.DateSourceText
		}
		if c := f.firstPost(); c != nil {
			return f.present(c.p), article.DateSourceText
		}
		return nil, ""
	}
	day := func(t *time.Time) string { return t.Format("2006-01-02") }
	support := map[string]int{}
	for _, v := range votes {
		support[day(v.t)]++
	}
	// The structured modification date backs a visible date of the same
	// day: a page whose dateline agrees with dateModified but not with
	// datePublished shows its readers the date it went live, the
	// structured publication date being the creation of the CMS record.
	if mod := f.structuredModified(); mod != nil {
		for _, v := range votes {
			if v.src != article.DateSourceJSONLD && v.src != article.DateSourceMeta && day(v.t) == day(mod) {
				support[day(mod)]++
				break
			}
		}
	}
	win := votes[0]
	for _, v := range votes[1:] {
		if support[day(v.t)] > support[day(win.t)] {
			win = v
		}
	}
	// The most trusted source that gave the winning day supplies the time.
	for _, v := range votes {
		if day(v.t) == day(win.t) {
			return v.t, v.src
		}
	}
	return win.t, win.src
}

// updatedOnly returns the date after an update label ("Updated Mar 12,
// 2020", "Aktualisiert am 06. Mär. 2023") by the title or in a date-like
// element when that is the only date the page shows its readers: no other
// visible date and no publication label. Such a page presents itself as
// (re)published on that day; its structured datePublished is the creation
// of the CMS record, often years older.
func (f *finder) updatedOnly() *cand {
	f.visibleText(0, 0) // collects f.visUpd
	u := best(f.visUpd)
	if u == nil || len(f.visAbs) > 0 || f.labeled() != nil {
		return nil
	}
	return u
}

// counted reports whether the date c of source i was read from a page
// node that an earlier source already voted with (the dateline element by
// the title is found both as a date-like element and by the scan after the
// title): one piece of text is one vote.
func (f *finder) counted(c *cand, i int) bool {
	if f.pub[i].name == article.DateSourceTime {
		// Two <time>/itemprop elements with the same timestamp (a typed
		// wrapper and the <time> inside or beside it) are one statement.
		for _, s := range f.pub[:i] {
			if s.name == article.DateSourceTime && s.c != nil && s.c.p.t.Equal(c.p.t) {
				return true
			}
		}
	}
	if c.node == nil {
		return false
	}
	for _, s := range f.pub[:i] {
		if s.c == nil || s.c.node == nil {
			continue
		}
		for n := c.node; n != nil; n = n.Parent {
			if n == s.c.node {
				return true
			}
		}
	}
	return false
}

// structuredModified is the modification date from JSON-LD or meta tags.
func (f *finder) structuredModified() *time.Time {
	for _, s := range f.mod {
		if s.c != nil && (s.name == article.DateSourceJSONLD || s.name == article.DateSourceMeta) {
			return f.present(s.c.p)
		}
	}
	return nil
}

func (f *finder) modified() (*time.Time, string) {
	for _, s := range f.mod {
		if s.c != nil {
			return f.present(s.c.p), s.name
		}
	}
	return nil, ""
}

// present returns p's instant in the zone it is best shown in. Pages often
// give UTC timestamps in structured data and local ones elsewhere; the local
// calendar day is the one readers (and the outlet) call the publication
// date. A UTC instant is shown in the offset of another timestamp on the page
// that denotes the same instant (explicit offset, or a zone-less local wall
// clock a whole number of quarter hours away), else in the outlet's Location.
func (f *finder) present(p parsed) *time.Time {
	t := p.t
	if p.zoned && p.hasTime {
		if _, off := t.Zone(); off == 0 {
			if loc := f.localZone(t); loc != nil {
				t = t.In(loc)
			} else if f.opt.Location != time.UTC {
				t = t.In(f.opt.Location)
			} else if loc := f.dayZone(t); loc != nil {
				t = t.In(loc)
			}
		}
	}
	return &t
}

func (f *finder) localZone(t time.Time) *time.Location {
	for _, u := range f.seen {
		if u.zoned {
			if _, off := u.t.Zone(); off != 0 && absDur(u.t.Sub(t)) < time.Minute {
				return u.t.Location()
			}
			continue
		}
		// Zone-less wall clock: read it as UTC and compare.
		y, mo, d := u.t.Date()
		wall := time.Date(y, mo, d, u.t.Hour(), u.t.Minute(), u.t.Second(), 0, time.UTC)
		diff := wall.Sub(t)
		if diff != 0 && absDur(diff) <= 14*time.Hour && diff%(15*time.Minute) == 0 {
			return time.FixedZone("", int(diff/time.Second))
		}
	}
	return nil
}

// dayZone handles a UTC timestamp on a page of unknown zone whose URL
// (/2023/11/08/ for 2023-11-09T01:09Z) or, without a URL date, whose
// date-only visible dateline ("02 Novembre 2023" for
// 2023-11-01T23:01Z) names the neighbouring calendar day: both carry the
// outlet's local day, so the instant is shown at the smallest whole-hour
// offset that falls on that day. The instant is unchanged.
func (f *finder) dayZone(t time.Time) *time.Location {
	u := f.fromURL()
	if u == nil {
		u = f.visibleDay()
	}
	if u == nil {
		return nil
	}
	uy, um, ud := u.Date()
	if y, m, d := t.Date(); y == uy && m == um && d == ud {
		return nil // already on that day
	}
	for h := 1; h <= 14; h++ {
		for _, off := range []int{h, -h} {
			if h == 14 && off < 0 {
				continue
			}
			l := time.FixedZone("", off*3600)
			y, m, d := t.In(l).Date()
			if y == uy && m == um && d == ud {
				return l
			}
		}
	}
	return nil
}

// visibleDay is the day of the page's visible dateline (the best date of
// the date-like elements, else of the text around the title) when it is a
// date without a time.
func (f *finder) visibleDay() *time.Time {
	c := f.visibleText(0, afterTitlePrio-1)
	if c == nil {
		c = f.visibleText(afterTitlePrio, 1<<30)
	}
	if c == nil || c.p.hasTime || c.p.zoned || c.p.kind != absolute {
		return nil
	}
	return &c.p.t
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// ---- JSON-LD ----

var articleTypes = map[string]int{
	"newsarticle": 0, "article": 0, "blogposting": 0, "reportagenews": 0, "analysisnewsarticle": 0,
	"opinionnewsarticle": 0, "backgroundnewsarticle": 0, "reviewnewsarticle": 0, "liveblogposting": 0,
	"techarticle": 0, "scholarlyarticle": 0, "report": 0, "socialmediaposting": 0, "posting": 0,
	"videoobject": 1, "webpage": 1, "itempage": 1, "creativework": 1, "medicalwebpage": 1, "aboutpage": 2,
	"event": 3, "product": 3, "organization": 3, "person": 3, "website": 3,
}

// jsonKeyRe finds a key's first string value in JSON-LD that does not parse.
var jsonKeyRe = map[string]*regexp.Regexp{
	"datePublished": regexp.MustCompile(`"datePublished"\s*:\s*"([^"]{6,60})"`),
	"dateModified":  regexp.MustCompile(`"dateModified"\s*:\s*"([^"]{6,60})"`),
}

// jsonDoc is one JSON-LD script: its parsed value, or its raw text when it
// does not parse.
type jsonDoc struct {
	v   any
	raw string
}

func (f *finder) jsonDocs() []jsonDoc {
	if f.parsedJSON == nil {
		f.parsedJSON = make([]jsonDoc, 0, len(f.jsonld))
		for _, s := range f.jsonld {
			raw := strings.TrimSpace(text(s))
			var d jsonDoc
			if err := json.Unmarshal([]byte(raw), &d.v); err != nil {
				d.v, d.raw = nil, raw
			}
			f.parsedJSON = append(f.parsedJSON, d)
		}
	}
	return f.parsedJSON
}

func (f *finder) jsonLD(key string) []cand {
	var out []cand
	for i, d := range f.jsonDocs() {
		if d.v == nil {
			// Broken JSON-LD is common; fall back to the key's first string value.
			if m := jsonKeyRe[key].FindStringSubmatch(d.raw); m != nil {
				if p, ok := f.parse(m[1]); ok {
					out = append(out, cand{p, 50 + i, nil})
				}
			}
			continue
		}
		f.walkJSON(d.v, key, 0, i, &out)
	}
	return out
}

func (f *finder) walkJSON(v any, key string, depth, script int, out *[]cand) {
	if depth > 12 {
		return
	}
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			f.walkJSON(e, key, depth+1, script, out)
		}
	case map[string]any:
		if val, ok := x[key]; ok {
			rank := 2
			for _, ty := range jsonTypes(x["@type"]) {
				if r, ok := articleTypes[strings.ToLower(ty)]; ok && r < rank || !ok && strings.HasSuffix(strings.ToLower(ty), "article") {
					if !ok {
						r = 0
					}
					rank = r
				}
			}
			for _, s := range jsonStrings(val) {
				if p, ok := f.parse(s); ok {
					*out = append(*out, cand{p, rank*100 + depth*10 + script, nil})
					break
				}
			}
		}
		for k, e := range x {
			switch k {
			case "itemListElement", "relatedLink", "isPartOf", "publisher", "author", "mentions", "about":
				// other works nested in the page's graph are not this page
				continue
			}
			if _, ok := e.(string); !ok {
				f.walkJSON(e, key, depth+1, script, out)
			}
		}
	}
}

func jsonTypes(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func jsonStrings(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case float64:
		return []string{strconv.FormatInt(int64(x), 10)}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, jsonStrings(e)...)
		}
		return out
	case map[string]any:
		if s, ok := x["@value"].(string); ok {
			return []string{s}
		}
	}
	return nil
}

// ---- meta ----

// weakMeta is the priority from which meta names are generic.
const weakMeta = 6

// Meta names (property, name, itemprop or http-equiv, lowercased) with their
// priority.
var pubMeta = map[string]int{
	"article:published_time": 0, "og:article:published_time": 0, "article:published": 1,
	"og:published_time": 1, "published_time": 1, "datepublished": 1, "date_published": 2,
	"article.published": 2, "parsely-pub-date": 2, "sailthru.date": 3, "pubdate": 3,
	"publishdate": 3, "publish-date": 3, "publish_date": 3, "publication_date": 3,
	"publication-date": 3, "article_date_original": 3, "originalpublicationdate": 3,
	"cxenseparse:recs:publishtime": 3, "rnews:datepublished": 3, "article:post_date": 3,
	"dc.date.issued": 4, "dcterms.issued": 4, "dc.date.created": 4, "dcterms.created": 4,
	"dc.created": 4, "citation_publication_date": 4, "citation_online_date": 4,
	"citation_date": 5, "datecreated": 5, "created": 6, "creation_date": 6, "og:pubdate": 4,
	"bt:pubdate": 4, "release_date": 6, "displaydate": 5, "dc.date": 6, "dcterms.date": 6,
	"date": 7, "pdate": 7, "ptime": 7, "timestamp": 8, "parsely-page": 2,
}

var modMeta = map[string]int{
	"article:modified_time": 0, "og:article:modified_time": 0, "article:modified": 1,
	"og:updated_time": 1, "datemodified": 1, "modified_time": 2, "dc.date.modified": 3,
	"dcterms.modified": 3, "last-modified": 4, "lastmod": 4, "revised": 5, "modified": 5,
	"updated_time": 2, "article:updated_time": 1,
}

// vendorNames are the publication and modification meta names that
// plug-ins and CMSs repeat behind their own prefix
// ("shareaholic:article_published_time", "nastooh:publishDate",
// "vr:published-time"), by their letters alone.
var vendorNames = map[string]bool{
	"articlepublishedtime": true, "publishedtime": true, "publishtime": true, "publishdate": true,
	"pubdate": true, "datepublished": true, "publicationdate": true,
	"articlemodifiedtime": true, "modifiedtime": true, "datemodified": true, "updatedtime": true,
}

// vendorMeta gives a prefixed meta name ("vendor:name") whose name, by
// its letters, is a publication (modified false) or modification
// (modified true) name the priority of a specific meta tag (3).
func vendorMeta(key string, modified bool) (int, bool) {
	i := strings.LastIndexByte(key, ':')
	if i <= 0 {
		return 0, false
	}
	letters := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' {
			return r
		}
		return -1
	}, key[i+1:])
	if !vendorNames[letters] {
		return 0, false
	}
	if isMod := strings.Contains(letters, "modified") || strings.Contains(letters, "updated"); isMod != modified {
		return 0, false
	}
	return 3, true
}

// meta returns the dates of the meta tags named in names (pubMeta, or
// modMeta when modified is set), with their priorities.
func (f *finder) meta(names map[string]int, modified bool) []cand {
	var out []cand
	for _, m := range f.metas {
		content := strings.TrimSpace(attr(m, "content"))
		if content == "" {
			content = strings.TrimSpace(attr(m, "datetime"))
		}
		if content == "" {
			continue
		}
		for _, a := range []string{"property", "name", "itemprop", "http-equiv"} {
			key := strings.ToLower(strings.TrimSpace(attr(m, a)))
			prio, ok := names[key]
			if !ok {
				if prio, ok = vendorMeta(key, modified); !ok {
					continue
				}
			}
			if key == "parsely-page" {
				var pp struct {
					PubDate string `json:"pub_date"`
				}
				if json.Unmarshal([]byte(content), &pp) != nil {
					continue
				}
				content = pp.PubDate
			}
			if p, ok := f.parse(content); ok {
				out = append(out, cand{p, prio, nil})
			}
			break
		}
	}
	return out
}

// ---- <time> and itemprop ----

var reModClass = regexp.MustCompile(`(?i)updated|modified|changed|edit`)
var rePubClass = regexp.MustCompile(`(?i)publish|pubdate|entry-date|post-date|posted|created`)

// timeElems returns the best <time>/itemprop candidate whose priority class
// (0 typed, 10 publish class, 20 in article or by the title, 30 elsewhere)
// lies in [minClass, maxClass].
func (f *finder) timeElems(modified bool, minClass, maxClass int) *cand {
	var cs []cand
	for _, e := range f.times {
		n := e.n
		ip := strings.ToLower(attr(n, "itemprop"))
		cls := attr(n, "class") + " " + attr(n, "id")
		isMod := ip == "datemodified" || (ip == "" && reModClass.MatchString(cls))
		if ip != "" && ip != "datepublished" && ip != "datecreated" && ip != "datemodified" {
			continue
		}
		if isMod != modified {
			continue
		}
		val := attr(n, "datetime")
		if val == "" {
			val = dataDate(n)
		}
		if val == "" {
			val = attr(n, "content")
		}
		if val == "" {
			val = text(n)
		}
		p, ok := f.parse(val)
		if !ok || p.kind != absolute {
			continue
		}
		prio := 30
		switch {
		case ip == "datepublished" || ip == "datemodified" || hasAttr(n, "pubdate"):
			prio = 0
		case rePubClass.MatchString(cls):
			prio = 10
		case e.inArt || f.near(e.order):
			prio = 20
		}
		if prio < minClass || prio > maxClass {
			continue
		}
		if prio == 30 && f.articleCnt > 0 {
			continue // a <time> outside the article is probably about another story
		}
		cs = append(cs, cand{p, prio*100000 + e.order, nil})
	}
	return best(cs)
}

// dataDate returns the value of a data-date-style attribute of n (scripts
// keep the article's date there for timelines and relative-time widgets).
func dataDate(n *html.Node) string {
	for _, a := range n.Attr {
		switch a.Key {
		case "data-date", "data-published", "data-pubdate", "data-publish-date", "data-datetime", "data-date-published":
			return a.Val
		}
	}
	return ""
}

// near reports whether the element at order comes shortly after the
// page's h1.
func (f *finder) near(order int) bool {
	if f.h1 == nil {
		return false
	}
	d := order - f.h1Order
	return d > -40 && d < 80
}

// ---- URL ----

var (
	reURLYMD   = regexp.MustCompile(`(?:^|[/_-])((?:19|20)\d{2})[/_.-](0?[1-9]|1[0-2])[/_.-](0?[1-9]|[12]\d|3[01])(?:$|[/_.-])`)
	reURLDMY   = regexp.MustCompile(`(?:^|[/_-])(0?[1-9]|[12]\d|3[01])[/_.-](0?[1-9]|1[0-2])[/_.-]((?:19|20)\d{2})(?:$|[/_.-])`)
	reURLCompt = regexp.MustCompile(`(?:^|[^\d])((?:19|20)\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?:$|[^\d])`)
)

// urlCand is fromURL as a candidate (a date-only value in Location).
func (f *finder) urlCand() *cand {
	t := f.fromURL()
	if t == nil {
		return nil
	}
	return &cand{p: parsed{t: *t}}
}

// pageURL is the page's URL: Options.URL, else the URL the page gives
// as its own (<link rel="canonical">, og:url).
func (f *finder) pageURL() string {
	if f.opt.URL != "" {
		return f.opt.URL
	}
	if f.canonical != "" {
		return f.canonical
	}
	for _, m := range f.metas {
		if strings.EqualFold(attr(m, "property"), "og:url") {
			return strings.TrimSpace(attr(m, "content"))
		}
	}
	return ""
}

func (f *finder) fromURL() *time.Time {
	raw := f.pageURL()
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil
	}
	p := u.Path
	try := func(y, m, d string) *time.Time {
		yi, _ := strconv.Atoi(y)
		mi, _ := strconv.Atoi(m)
		di, _ := strconv.Atoi(d)
		if mi < 1 || mi > 12 || di < 1 || di > daysIn(time.Month(mi), yi) {
			return nil
		}
		t := time.Date(yi, time.Month(mi), di, 0, 0, 0, 0, f.opt.Location)
		if !plausible(t, f.opt.Now) {
			return nil
		}
		return &t
	}
	if m := reURLYMD.FindStringSubmatch(p); m != nil {
		if t := try(m[1], m[2], m[3]); t != nil {
			return t
		}
	}
	if m := reURLDMY.FindStringSubmatch(p); m != nil {
		if t := try(m[3], m[2], m[1]); t != nil {
			return t
		}
	}
	if m := reURLCompt.FindStringSubmatch(p); m != nil {
		if t := try(m[1], m[2], m[3]); t != nil {
			return t
		}
	}
	return nil
}

// ---- visible text ----

// maxRelativeLen bounds the text in which a relative or yearless date is
// believed: "2 saat əvvəl" or "Heute, 14:30" are the whole label, while a
// sentence that says "today" is not a dateline.
const maxRelativeLen = 40

// maxTextNodes bounds the text nodes kept for the label search.
const maxTextNodes = 5000

// afterTitleNodes is how many text nodes after the <h1> are searched for a
// dateline; afterTitleRelative, how many of them may give a relative or
// yearless date.
const (
	afterTitleNodes    = 12
	beforeTitleNodes   = 2
	afterTitleRelative = 5
)

// afterTitlePrio is the priority of text found by scanning after the <h1>
// (date-like elements rank before it).
const afterTitlePrio = 1500000

// visibleText returns the best visible-text date with a priority in
// [minPrio, maxPrio].
func (f *finder) visibleText(minPrio, maxPrio int) *cand {
	if !f.visDone {
		f.visAbs, f.visRel = f.visibleCands()
		f.visDone = true
	}
	inRange := func(cs []cand) []cand {
		var out []cand
		for _, c := range cs {
			if c.prio >= minPrio && c.prio <= maxPrio {
				out = append(out, c)
			}
		}
		return out
	}
	if c := best(inRange(f.visAbs)); c != nil {
		return c
	}
	return best(inRange(f.visRel))
}

// visibleCands collects the absolute and the relative or yearless dates of
// date-like elements and of the text around the title, with priorities.
func (f *finder) visibleCands() (abs, rel []cand) {
	// Date-like elements: near the title, then in the article, then others.
	consider := func(s string, prio int, node *html.Node) {
		if s == "" || len(s) > 200 || inComment(node) {
			return
		}
		if !strings.ContainsAny(s, "0123456789") && utf8.RuneCountInString(s) > maxRelativeLen {
			return // absolute dates have digits, relative ones are short
		}
		if l := normalize(s); modHint(l) {
			if pl := rePubLabel.FindStringIndex(l); pl != nil {
				// Both labels: the date after the publication label
				// ("Yenilənib: 22.02.2025 | Dərc olunub: 21.02.2025").
				if m := reModLabel.FindStringIndex(l); m != nil && m[0] < pl[0] {
					s = l[pl[0]:]
				}
			} else if m := reModLabel.FindStringIndex(l); m != nil {
				// "Updated: ..." is not the publication date, but in
				// "Written: 07.11.2023 15:03 / Updated: ..." the date
				// before the label is.
				if p, ok := f.parse(l[m[1]:]); ok && p.kind == absolute {
					f.visUpd = append(f.visUpd, cand{p, prio, node})
				}
				s = l[:m[0]]
				if p, ok := f.parse(s); !ok || p.kind != absolute {
					return
				}
			}
		}
		p, ok := f.parse(s)
		if !ok {
			return
		}
		if p.kind == absolute {
			abs = append(abs, cand{p, prio, node})
		} else if utf8.RuneCountInString(s) <= maxRelativeLen {
			rel = append(rel, cand{p, prio, node})
		}
	}
	for _, e := range f.dateLike {
		n := e.n
		// Date-like elements elsewhere (sidebars, teasers) carry other
		// stories' dates; they are left to the whole-page fallback.
		prio := 0
		if !f.near(e.order) {
			if !e.inArt {
				continue
			}
			prio = 1
		}
		if teaser(n) {
			continue
		}
		if s, ok := textUpTo(n, 200); ok {
			consider(s, prio*1000000+e.order, n)
		}
	}
	// Short text blocks right after the title, and a dateline right before it.
	if f.h1 != nil {
		before := 0
		for n := prev(f.h1); n != nil && before < beforeTitleNodes; n = prev(n) {
			if n.Type != html.TextNode {
				continue
			}
			s := strings.Join(strings.Fields(n.Data), " ")
			if s == "" {
				continue
			}
			before++
			if len(s) <= 120 {
				consider(s, afterTitlePrio+afterTitleNodes+before, n)
			}
		}
		count := 0
		for n := next(f.h1, true); n != nil && count < afterTitleNodes; n = next(n, false) {
			if n.Type != html.TextNode {
				continue
			}
			s := strings.Join(strings.Fields(n.Data), " ")
			if s == "" {
				continue
			}
			count++
			if len(s) <= 120 && (count <= afterTitleRelative || !couldBeRelative(s)) {
				consider(s, afterTitlePrio+count, n)
			}
		}
	}
	return abs, rel
}

// teaser reports whether n sits in a list item that links elsewhere and
// holds more than the date (a headline): a list of related or latest
// stories, whose dates are theirs. A list item holding only a date, even
// one linking to the day's archive, is the page's own byline.
func teaser(n *html.Node) bool {
	for i, p := 0, n; p != nil && i < 4; i, p = i+1, p.Parent {
		if p.Type == html.ElementNode && p.DataAtom == atom.Li {
			if !hasLink(p) {
				return false
			}
			own, _ := textUpTo(n, 200)
			all, ok := textUpTo(p, len(own)+teaserExtra)
			return !ok || len(all) >= len(own)+teaserExtra
		}
	}
	return false
}

// teaserExtra is how much text beyond its date makes a list item a teaser.
const teaserExtra = 16

func hasLink(n *html.Node) bool {
	if n.Type == html.ElementNode && n.DataAtom == atom.A && attr(n, "href") != "" {
		return true
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if hasLink(c) {
			return true
		}
	}
	return false
}

// commentWords mark reader-comment containers in class and id values.
var commentWords = []string{"comment", "kommentar", "yorum", "şərh", "коммент", "disqus", "reply"}

// inComment reports whether n or one of its nearest ancestors is a reader
// comment (its class or id says so): a comment's date is not the story's.
func inComment(n *html.Node) bool {
	for i := 0; n != nil && i < 5; i, n = i+1, n.Parent {
		if n.Type != html.ElementNode {
			continue
		}
		for _, a := range n.Attr {
			if a.Key != "class" && a.Key != "id" {
				continue
			}
			v := strings.ToLower(a.Val)
			for _, w := range commentWords {
				if strings.Contains(v, w) {
					return true
				}
			}
		}
	}
	return false
}

// Labels that introduce a publication or a modification date in running
// page text (az, ru, tr, en, de, fr, es, it), matched on normalized text.
var (
	rePubLabel = regexp.MustCompile(`(?:^|[^\p{L}])(dərc (?:olunub|edilib|olunma tarixi)|yayımlanıb|yayımlanma tarixi|` +
		`опубликовано|дата публикации|размещено|` +
		`yayınlanma(?: tarihi)?|yayın tarihi|yayınlandı|` +
		`published(?: on| at)?|first published|posted(?: on| at)?|` +
		`erschienen(?: am)?|veröffentlicht(?: am)?|publiziert(?: am)?|gepostet(?: am)?|` +
		`publié le|mis en ligne le|publicado(?: el)?|pubblicato(?: il)?)(?:$|[^\p{L}])`)
	reModLabel = regexp.MustCompile(`(?:^|[^\p{L}])(yenilənib|yeniləndi|yenilənmə|обновлено|изменено|последнее обновление|` +
		`güncellendi|güncelleme(?: tarihi)?|son güncelleme|` +
		`updated(?: on| at)?|last (?:updated|modified|changed)|modified(?: on)?|` +
		`letzte änderung|zuletzt (?:aktualisiert|geändert)|aktualisiert(?: am)?|geändert am|` +
		`mis à jour(?: le)?|modifié le|actualizado(?: el)?|aggiornato(?: il)?)(?:$|[^\p{L}])`)
)

// labeled finds a date introduced by a publication label ("Erschienen am:
// 01.11.2023", "Опубликовано: 21 февраля 2025", "Published: Feb 21, 2025")
// in the page text, the label and the date in one text node or the date in
// one of the next two.
func (f *finder) labeled() *cand {
	for i, n := range f.texts {
		if !labelHint(n.Data) {
			continue
		}
		l := normalize(n.Data)
		loc := rePubLabel.FindStringIndex(l)
		if loc == nil {
			continue
		}
		if p, ok := f.parse(l[loc[0]:]); ok && p.kind == absolute {
			return &cand{p, 0, nil}
		}
		// Verb-final languages put the label after the date ("am 3.
		// Dezember 2011 veröffentlicht", "21 fevral 2025 tarixində dərc
		// olunub"): the date right before the label, in the same text.
		if verbFinal(l, loc) {
			start := max(0, loc[0]-maxLabelGap)
			for start < loc[0] && !utf8.RuneStart(l[start]) {
				start++
			}
			before := l[start:loc[0]]
			// The date may sit in the text nodes just before ("wurde am
			// <nobr>19. Mai 2010</nobr> um 23:03 Uhr gepostet").
			for j := i - 1; j >= 0 && j >= i-4 && len(before) < maxLabelGap; j-- {
				t := strings.TrimSpace(f.texts[j].Data)
				if len(t) > maxLabelGap {
					break
				}
				before = t + " " + before
			}
			if strings.TrimSpace(before) != "" {
				if p, ok := f.parse(before); ok && p.kind == absolute {
					return &cand{p, 0, nil}
				}
			}
		}
		// Label alone: the date follows in the next text nodes.
		if len(strings.TrimSpace(l[loc[1]:])) <= 3 {
			for j := i + 1; j < len(f.texts) && j <= i+2; j++ {
				if p, ok := f.parse(f.texts[j].Data); ok && p.kind == absolute && len(f.texts[j].Data) <= 80 {
					return &cand{p, 0, nil}
				}
			}
		}
	}
	return nil
}

// verbFinalLabels are the publication labels that close their clause,
// the date coming before them (German, Azerbaijani, Turkish).
var verbFinalLabels = []string{"veröffentlicht", "gepostet", "erschienen", "publiziert", "dərc olunub", "dərc edilib", "yayımlanıb", "yayınlandı"}

// verbFinal reports whether the label at loc in l is verb-final and not
// negated ("wird nicht veröffentlicht", the comment form's e-mail notice).
func verbFinal(l string, loc []int) bool {
	label := strings.TrimRight(l[loc[0]:loc[1]], " :")
	if strings.HasSuffix(label, " am") || strings.HasPrefix(strings.TrimSpace(l[loc[1]-1:]), ":") {
		return false // "Veröffentlicht am 3. Dezember", "Veröffentlicht: ..." come first
	}
	ok := false
	for _, v := range verbFinalLabels {
		if strings.Contains(label, v) {
			ok = true
			break
		}
	}
	if !ok {
		return false
	}
	before := l[max(0, loc[0]-16):loc[0]]
	return !strings.Contains(before, "nicht") && !strings.Contains(before, "kein") && !strings.Contains(before, "olunmur") && !strings.Contains(before, "edilmir")
}

// maxLabelGap is how many bytes before a verb-final publication label
// are searched for its date.
const maxLabelGap = 80

// modHints are letter sequences every modification label contains.
var modHints = []string{"yenilən", "обновл", "измен", "güncelle", "updated", "last ", "modified", "änderung",
	"aktualisiert", "geändert", "mis à jour", "modifié", "actualizado", "aggiornato"}

// modHint is a cheap filter before reModLabel on normalized text.
func modHint(l string) bool {
	for _, k := range modHints {
		if strings.Contains(l, k) {
			return true
		}
	}
	return false
}

// labelHint is a cheap filter before the label regexp: every label
// contains one of these letter sequences.
func labelHint(s string) bool {
	l := strings.ToLower(s)
	for _, k := range []string{"publi", "post", "erschien", "veröff", "dərc", "yayı", "опубл", "публик", "размещ", "mis en ligne"} {
		if strings.Contains(l, k) {
			return true
		}
	}
	return false
}

// couldBeRelative reports whether s might parse as a relative or yearless
// date (no four-digit year in it).
func couldBeRelative(s string) bool {
	return !reYear.MatchString(s)
}

var reYear = regexp.MustCompile(`(?:19|20)\d\d`)

// maxDateParserSegments bounds the go-dateparser calls of the fallback.
const maxDateParserSegments = 40

// dateParserSegment mirrors go-htmldate's filter for text handed to
// go-dateparser in extensive mode: 7 to 51 characters with 4 to 18 digits.
func dateParserSegment(s string) bool {
	if len(s) < 7 {
		return false
	}
	d := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			d++
		}
	}
	if d < 4 || d > 18 {
		return false
	}
	// Runes of s with whitespace runs collapsed to one space and trimmed
	// (strings.Join(strings.Fields(s), " ")), counted without allocating.
	n, space := 0, false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = n > 0
			continue
		}
		if space {
			n++
			space = false
		}
		n++
	}
	return n > 6 && n < 52
}

// countSegments counts the text nodes of doc that dateParserSegment
// accepts, stopping at limit.
func countSegments(doc *html.Node, limit int) int {
	c := 0
	var rec func(*html.Node)
	rec = func(n *html.Node) {
		if c >= limit {
			return
		}
		if n.Type == html.TextNode && dateParserSegment(n.Data) {
			c++
		}
		if n.Type == html.ElementNode {
			switch n.DataAtom {
			case atom.Script, atom.Style, atom.Noscript, atom.Template, atom.Svg:
				return // as in the walk
			}
		}
		for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
			rec(ch)
		}
	}
	rec(doc)
	return c
}

// firstPost returns the date of the first post of a discussion: on a page
// that dates nothing but its reader comments or forum posts (no other
// source gave a date), the first of them opened the thread. A short text
// (a date label, not a sentence that mentions a date) inside a comment
// container, in document order.
func (f *finder) firstPost() *cand {
	for _, n := range f.texts {
		t := strings.TrimSpace(n.Data)
		if len(t) > maxRelativeLen || !strings.ContainsAny(t, "0123456789") || !inComment(n) {
			continue
		}
		if p, ok := f.parse(t); ok && p.kind == absolute {
			return &cand{p, 0, n}
		}
	}
	return nil
}

// htmldate is the last resort: go-htmldate's extensive search (original
// publication date) over the whole page, for layouts our rules miss.
func (f *finder) htmldate() *time.Time {
	if f.doc == nil {
		return nil
	}
	r, err := htmldate.FromDocument(f.doc, htmldate.Options{
		URL:             f.opt.URL,
		UseOriginalDate: true,
		// The extensive search runs go-dateparser (milliseconds per call) on
		// every short text segment with 4-18 digits; pages with many such
		// segments (tables, price lists, hostile input) get the fast search
		// only, which keeps the worst case bounded.
		SkipExtensiveSearch: countSegments(f.doc, maxDateParserSegments+1) > maxDateParserSegments,
		MinDate:             MinDate,
		MaxDate:             f.opt.Now.Add(FutureSlack),
	})
	if err != nil || r.IsZero() {
		return nil
	}
	y, m, d := r.DateTime.Date()
	if padded(r.SrcString, y, m, d) {
		// A bare year (copyright line, "© 2016") or a year and month
		// ("/2010/06/" in a link) that go-htmldate padded to the 1st: no
		// date is better than a made-up one (the pipeline falls back to
		// first_seen).
		return nil
	}
	t := time.Date(y, m, d, 0, 0, 0, 0, f.opt.Location)
	if !plausible(t, f.opt.Now) {
		return nil
	}
	return &t
}

// reYearMonthPath is a year and month path without a day ("/2010/06/x").
var reYearMonthPath = regexp.MustCompile(`(?:^|/)(?:19|20)\d{2}/[01]?\d(?:/|$)(?:[^0-9]|$)`)

// padded reports whether go-htmldate's date y-m-d on the 1st of a month
// was made up from src, the text it was read from: src names no day.
func padded(src string, y int, m time.Month, d int) bool {
	if d != 1 {
		return false
	}
	if reYearMonthPath.MatchString(src) {
		return true
	}
	if m != time.January {
		return false
	}
	// 1 January must be written out: "01" or "1." apart from the year, or
	// a January month name.
	rest := strings.ReplaceAll(src, strconv.Itoa(y), " ")
	if strings.Contains(rest, "01") || strings.Contains(rest, "1.1") {
		return false
	}
	n := normalize(rest)
	for _, w := range []string{"jan", "янв", "yanvar", "ocak", "يناير", "كانون"} {
		if strings.Contains(n, w) {
			return false
		}
	}
	return true
}

// prev returns the node before n in document order (the deepest last
// descendant of the previous sibling, or the parent), skipping scripts.
func prev(n *html.Node) *html.Node {
	if n.PrevSibling == nil {
		return n.Parent
	}
	n = n.PrevSibling
	for n.LastChild != nil && n.DataAtom != atom.Script && n.DataAtom != atom.Style {
		n = n.LastChild
	}
	return n
}

// next returns the node after n in document order, skipping n's subtree
// when skipChildren is set, and never descending into script or style.
func next(n *html.Node, skipChildren bool) *html.Node {
	if !skipChildren && n.FirstChild != nil && n.DataAtom != atom.Script && n.DataAtom != atom.Style {
		return n.FirstChild
	}
	for ; n != nil; n = n.Parent {
		if n.NextSibling != nil {
			return n.NextSibling
		}
	}
	return nil
}

// ---- helpers ----

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

// textUpTo returns the text content of n with whitespace collapsed, or ""
// and false when it is longer than max bytes.
func textUpTo(n *html.Node, max int) (string, bool) {
	var b []byte
	space, over := false, false
	var rec func(*html.Node)
	rec = func(n *html.Node) {
		if over {
			return
		}
		if n.Type == html.TextNode {
			for _, r := range n.Data {
				if unicode.IsSpace(r) {
					space = len(b) > 0
					continue
				}
				if space {
					b = append(b, ' ')
					space = false
				}
				b = utf8.AppendRune(b, r)
				if len(b) > max {
					over = true
					return
				}
			}
			space = len(b) > 0
			return
		}
		if n.Type == html.ElementNode && n.DataAtom == atom.Style {
			return
		}
		for c := n.FirstChild; c != nil && !over; c = c.NextSibling {
			rec(c)
		}
	}
	rec(n)
	if over {
		return "", false
	}
	return string(b), true
}

// hasText reports whether n contains a non-space character.
func hasText(n *html.Node) bool {
	if n.Type == html.TextNode {
		return strings.TrimSpace(n.Data) != ""
	}
	if n.Type == html.ElementNode && n.DataAtom == atom.Style {
		return false
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if hasText(c) {
			return true
		}
	}
	return false
}

// text returns the text content of n with whitespace collapsed.
func text(n *html.Node) string {
	var b strings.Builder
	var rec func(*html.Node)
	rec = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
			b.WriteByte(' ')
			return
		}
		if n.Type == html.ElementNode && (n.DataAtom == atom.Style) {
			return
		}
		for c := n.FirstChild; c != nil && b.Len() < 4096; c = c.NextSibling {
			rec(c)
		}
	}
	rec(n)
	if n.DataAtom == atom.Script {
		return strings.TrimSpace(b.String())
	}
	return strings.Join(strings.Fields(b.String()), " ")
}
