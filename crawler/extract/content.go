package extract

import (
	"net/url"
	"slices"
	"strings"
	"unicode"

	readability "codeberg.org/readeck/go-readability/v2"
	trafilatura "github.com/markusmobius/go-trafilatura"
	"golang.org/x/net/html"
)

// runTrafilatura runs go-trafilatura (no fallback, no date search: we do
// both ourselves) and returns its paragraphs. It does not modify doc.
func runTrafilatura(doc *html.Node, pageURL *url.URL) []para {
	opts := trafilatura.Options{
		OriginalURL:     pageURL,
		ExcludeComments: true,
		HtmlDateMode:    trafilatura.Disabled,
	}
	res, err := trafilatura.ExtractDocument(doc, opts)
	if err != nil || res.ContentNode == nil {
		return nil
	}
	return blocks(res.ContentNode)
}

// runReadability runs readeck go-readability, which modifies doc (its own
// copy: ParseAndMutate saves the clone FromDocument would make), and
// returns its paragraphs.
func runReadability(doc *html.Node, pageURL *url.URL) []para {
	p := readability.NewParser()
	art, err := p.ParseAndMutate(doc, pageURL)
	if err != nil || art.Node == nil {
		return nil
	}
	return blocks(art.Node)
}

// contentJob extracts the main text of a page: both extractors run at the
// same time on their own copies of the cleaned page, while the caller reads
// metadata and dates from the original.
type contentJob struct {
	traf chan trafResult
	read chan readResult
}

type trafResult struct {
	paras []para
	toks  [][]string // CJK-joined tokens of paras
}

type readResult struct {
	paras []para
	toks  [][]string // CJK-joined tokens of paras
}

// maxTrafilaturaElements bounds the pages go-trafilatura sees: its content
// search grows faster than linearly with page size (a 10 MB page takes it
// tens of seconds), while readability alone stays linear. Real article pages
// have a few thousand elements.
const (
	maxTrafilaturaElements = 20000
	maxTrafilaturaLetters  = 300000
)

// startContent starts both extractors, each on its own cleaned copy of doc
// (which is only read). go-trafilatura, the slower one, starts first: its
// goroutine makes its copy while the caller makes readability's.
func startContent(doc *html.Node, pageURL *url.URL) *contentJob {
	total := textLen(doc)
	j := &contentJob{traf: make(chan trafResult, 1), read: make(chan readResult, 1)}
	if total > maxTrafilaturaLetters {
		j.traf <- trafResult{}
	} else {
		go func() {
			var out trafResult
			defer func() { recover(); j.traf <- out }() // a library panic must not kill the crawler
			work, elements := cleanCopy(doc, total, true)
			if elements > maxTrafilaturaElements {
				return
			}
			out.paras = runTrafilatura(work, pageURL)
			out.toks = paraTokens(out.paras)
			for i := range out.paras {
				out.paras[i].checkText()
			}
		}()
	}
	rwork, _ := cleanCopy(doc, total, false)
	go func() {
		var out readResult
		defer func() { recover(); j.read <- out }()
		out.paras = runReadability(rwork, pageURL)
		out.toks = make([][]string, len(out.paras))
		for i := range out.paras {
			out.toks[i] = tokens(joinCJK(out.paras[i].Text))
			out.paras[i].checkText()
		}
	}()
	return j
}

// paraTokens returns the CJK-joined tokens of each paragraph.
func paraTokens(ps []para) [][]string {
	toks := make([][]string, len(ps))
	for i, p := range ps {
		toks[i] = tokens(joinCJK(p.Text))
	}
	return toks
}

// wait returns the article paragraphs and the links inside them.
func (j *contentJob) wait(f pageFacts) (paras, links []string) {
	traf, read := <-j.traf, <-j.read
	ps := filterParas(combineTok(traf.paras, traf.toks, read.paras, read.toks), f)
	paras = make([]string, len(ps))
	for i, p := range ps {
		paras[i] = p.Text
		links = append(links, p.Links...)
	}
	return paras, links
}

// joinCJK removes spaces next to CJK characters, so that texts which differ
// only in the spacing between CJK and Latin runs compare equal.
func joinCJK(s string) string {
	if !strings.ContainsFunc(s, isCJK) {
		return s
	}
	rs := []rune(s)
	var b strings.Builder
	for i, c := range rs {
		if unicode.IsSpace(c) && (i > 0 && isCJK(rs[i-1]) || i+1 < len(rs) && isCJK(rs[i+1])) {
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// tokens returns the runs of letters, digits and '_' of s.
func tokens(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return !(r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r))
	})
}

// shingleSet is the set of hashed 3-grams of the tokens of a text.
type shingleSet map[uint64]struct{}

func newShingleSet(paras [][]string) shingleSet {
	s := make(shingleSet)
	for _, t := range paras {
		s.add(t)
	}
	return s
}

const shingleN = 3

// shingleKey hashes a run of tokens (FNV-1a, tokens separated by a zero).
func shingleKey(t []string) uint64 {
	h := uint64(14695981039346656037)
	for _, s := range t {
		for i := 0; i < len(s); i++ {
			h ^= uint64(s[i])
			h *= 1099511628211
		}
		h ^= 0
		h *= 1099511628211
	}
	return h
}

func (s shingleSet) add(t []string) {
	if len(t) < shingleN {
		if len(t) > 0 {
			s[shingleKey(t)] = struct{}{}
		}
		return
	}
	for i := 0; i+shingleN <= len(t); i++ {
		s[shingleKey(t[i:i+shingleN])] = struct{}{}
	}
}

// coverage is the share of the shingles of t found in s.
func (s shingleSet) coverage(t []string) float64 {
	if len(t) == 0 {
		return 1
	}
	if len(t) < shingleN {
		if _, ok := s[shingleKey(t)]; ok {
			return 1
		}
		return 0
	}
	hit, all := 0, 0
	for i := 0; i+shingleN <= len(t); i++ {
		all++
		if _, ok := s[shingleKey(t[i:i+shingleN])]; ok {
			hit++
		}
	}
	return float64(hit) / float64(all)
}

// combine merges the two candidates' paragraphs. Readability's paragraphs
// are the base (page order, high recall). One of them is kept when
// trafilatura has it too, or when it is long running text, except for a run
// of such unconfirmed paragraphs after the last confirmed one (teasers and
// bios below the story, when it is short next to the confirmed text).
// Paragraphs only trafilatura has are mostly furniture that readability
// rightly left out; they are added only as a lead before the first agreed
// paragraph (see leads) and in holes of the story (see fillHoles). When the
// two hardly agree at all, they found different parts of the page, and the
// one with more running text is taken whole.
func combine(traf []para, read []para) []para {
	return combineTok(traf, paraTokens(traf), read, paraTokens(read))
}

// combineTok is combine with the CJK-joined tokens of each paragraph of
// traf (ktoks) and read (rtoks) given.
func combineTok(traf []para, ktoks [][]string, read []para, rtoks [][]string) []para {
	if len(read) == 0 {
		return traf
	}
	if len(traf) == 0 {
		return read
	}
	tletters := 0
	for _, p := range traf {
		tletters += p.Chars
	}
	ts := newShingleSet(ktoks)
	var all strings.Builder
	all.WriteByte(' ')
	for _, toks := range ktoks {
		for _, t := range toks {
			all.WriteString(t)
			all.WriteByte(' ')
		}
	}
	tstr := all.String()
	confirmed := make([]bool, len(read))
	keep := make([]bool, len(read))
	lastConfirmed := -1
	for i, p := range read {
		t := rtoks[i]
		switch {
		case ts.coverage(t) >= 0.5:
			confirmed[i] = true
		case len(t) > 0 && len(t) < shingleN && strings.Contains(tstr, " "+strings.Join(t, " ")+" "):
			confirmed[i] = true
		case len(t) >= 25, p.Chars >= 150:
			keep[i] = true
		}
		if confirmed[i] {
			keep[i] = true
			lastConfirmed = i
		}
	}
	agreed := 0
	for i, p := range read {
		if confirmed[i] {
			agreed += p.Chars
		}
	}
	// Two extractors that hardly agree found different parts of the page:
	// the one with more running text has the story, the other a list, a
	// teaser block or a sidebar.
	rletters := 0
	for _, p := range read {
		rletters += p.Chars
	}
	if rp, tp := proseLetters(read), proseLetters(traf); agreed*5 < min(rletters, tletters) {
		if tp > rp {
			return traf
		}
		return read
	}
	if tletters >= 1000 && lastConfirmed >= 0 {
		before, after := 0, 0
		for i, p := range read {
			if keep[i] {
				if i <= lastConfirmed {
					before += p.Chars
				} else {
					after += p.Chars
				}
			}
		}
		// A short tail is furniture; a long one is the rest of a story
		// trafilatura stopped reading early.
		if after*2 <= before {
			for i := lastConfirmed + 1; i < len(read); i++ {
				keep[i] = false
			}
		}
	}
	keepInside(read, rtoks, confirmed, keep)
	leadAt, lead, ltoks := leads(traf, ktoks, rtoks, keep)
	var out []para
	var otoks [][]string
	for i, p := range read {
		if i == leadAt {
			out = append(out, lead...)
			otoks = append(otoks, ltoks...)
		}
		if keep[i] {
			out = append(out, p)
			otoks = append(otoks, rtoks[i])
		}
	}
	return fillHoles(out, otoks, traf, ktoks)
}

// keepInside keeps the short paragraphs readability has between two
// paragraphs both extractors agree on: list items, subheadings, short
// paragraphs of the story that trafilatura left out, unless they are junk
// lines or mostly links.
func keepInside(read []para, rtoks [][]string, confirmed, keep []bool) {
	first, last := -1, -1
	for i, t := range rtoks {
		if confirmed[i] && len(t) >= anchorTokens {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	for i := first + 1; i < last; i++ {
		p := read[i]
		if !keep[i] && !p.junk && p.linkDensity() < 0.5 && (p.words >= 3 || headingBlocks[p.Block]) {
			keep[i] = true
		}
	}
}

// headingBlocks are subheadings inside a text.
var headingBlocks = map[string]bool{"h2": true, "h3": true, "h4": true, "h5": true, "h6": true}

// anchorTokens is the fewest tokens of an agreed paragraph that marks the
// story's extent: shorter ones (a section name, a byline) also occur
// around it.
const anchorTokens = 5

// proseLetters counts the letters of the paragraphs that read as running
// text: ten words or more, mostly outside links, lines of six words or more
// on average (not a list of names or figures set with line breaks).
func proseLetters(ps []para) int {
	n := 0
	for _, p := range ps {
		if p.junk || p.words < 10 || p.linkDensity() >= 0.5 || p.words < 6*(strings.Count(p.Text, "\n")+1) {
			continue
		}
		n += p.Chars
	}
	return n
}

// maxLeads is how many paragraphs a lead may have.
const maxLeads = 2

// leads finds the paragraphs trafilatura has right before the first
// paragraph both extractors agree on and readability lacks: a standfirst or
// teaser that the page sets apart from the body (readability scores it
// outside the article container). Going back from the agreed paragraph,
// each must read like text (at least leadWords words, not a junk line); the
// first one that does not (a caption, a dateline, a kicker, the headline)
// ends the lead. leads returns the read index to insert them before (-1 for
// none), the paragraphs in page order and their tokens.
func leads(traf []para, ktoks [][]string, rtoks [][]string, keep []bool) (at int, lead []para, ltoks [][]string) {
	owner := shingleOwners(rtoks, keep)
	where := holders(owner, ktoks)
	first := slices.IndexFunc(where, func(i int) bool { return i >= 0 })
	if first <= 0 {
		return -1, nil, nil
	}
	for k := first - 1; k >= 0 && len(lead) < maxLeads; k-- {
		p := traf[k]
		if !p.checked {
			p.checkText()
		}
		if !leadBlocks[p.Block] || p.junk || p.words < leadWords || ownedShare(owner, ktoks[k]) > 0.2 {
			break
		}
		lead = append(lead, p)
		ltoks = append(ltoks, ktoks[k])
	}
	slices.Reverse(lead)
	slices.Reverse(ltoks)
	return where[first], lead, ltoks
}

// shingleOwners maps each shingle of the paragraphs whose tokens are toks
// (those with use[i] set, or all when use is nil) to the first paragraph
// holding it.
func shingleOwners(toks [][]string, use []bool) map[uint64]int {
	owner := map[uint64]int{}
	for i, t := range toks {
		if use != nil && !use[i] {
			continue
		}
		for j := 0; j+shingleN <= len(t); j++ {
			k := shingleKey(t[j : j+shingleN])
			if _, ok := owner[k]; !ok {
				owner[k] = i
			}
		}
	}
	return owner
}

// ownedShare is the share of the shingles of t that owner holds.
func ownedShare(owner map[uint64]int, t []string) float64 {
	n := len(t) - shingleN + 1
	if n < 1 {
		return 0
	}
	hit := 0
	for j := 0; j < n; j++ {
		if _, ok := owner[shingleKey(t[j:j+shingleN])]; ok {
			hit++
		}
	}
	return float64(hit) / float64(n)
}

// holders returns, for each paragraph whose tokens are toks, the paragraph
// of owner that holds at least four fifths of its shingles, or -1 (also
// for paragraphs shorter than a shingle).
func holders(owner map[uint64]int, toks [][]string) []int {
	where := make([]int, len(toks))
	votes := map[int]int{}
	for k, t := range toks {
		where[k] = -1
		n := len(t) - shingleN + 1
		if n < 1 {
			continue
		}
		clear(votes)
		best, bestVotes := -1, 0
		for j := 0; j < n; j++ {
			if i, ok := owner[shingleKey(t[j:j+shingleN])]; ok {
				votes[i]++
				if votes[i] > bestVotes || votes[i] == bestVotes && i < best {
					best, bestVotes = i, votes[i]
				}
			}
		}
		if bestVotes*5 >= n*4 {
			where[k] = best
		}
	}
	return where
}

// leadBlocks are the elements a lead paragraph comes in: running text, not
// a heading (the headline, a subtitle), a list item or a table cell.
var leadBlocks = map[string]bool{"p": true, "div": true, "blockquote": true, "section": true, "article": true}

// leadWords is the fewest words a lead paragraph has: fewer is a kicker,
// a headline or a byline.
const leadWords = 10

// fillHoles inserts trafilatura paragraphs that the kept text lacks when
// they sit between two trafilatura paragraphs found in nearby kept
// paragraphs (at most maxHoleGap apart, in order): a hole in the middle of
// the story (readability sometimes drops a short paragraph holding a link,
// or a list under a subheading it kept), not furniture at its edges. A run
// of up to four is inserted before the kept paragraph that closes it,
// without paragraphs whose text the kept ones already hold (split
// differently). otoks and ktoks are the CJK-joined tokens of out and traf.
func fillHoles(out []para, otoks [][]string, traf []para, ktoks [][]string) []para {
	if len(out) < 2 {
		return out
	}
	owner := shingleOwners(otoks, nil)
	where := holders(owner, ktoks)
	insert := map[int][]para{} // before kept paragraph i
	for k := 1; k < len(ktoks)-1; k++ {
		if where[k] >= 0 || where[k-1] < 0 {
			continue
		}
		// the run of missing paragraphs k..e-1, closed by a found one
		e := k
		for e < len(ktoks) && where[e] < 0 {
			e++
		}
		// The kept paragraphs between the two found ones (readability's
		// own: a subheading, a list) may be a few.
		if e == len(ktoks) || where[e] <= where[k-1] || where[e]-where[k-1] > maxHoleGap || e-k > 4 {
			k = e
			continue
		}
		for x := k; x < e; x++ {
			// (not text the kept paragraphs hold, split differently)
			if len(ktoks[x]) >= 8 && ownedShare(owner, ktoks[x]) < 0.5 {
				insert[where[e]] = append(insert[where[e]], traf[x])
			}
		}
		k = e
	}
	if len(insert) == 0 {
		return out
	}
	res := make([]para, 0, len(out)+len(insert))
	for i, p := range out {
		res = append(res, insert[i]...)
		res = append(res, p)
	}
	return res
}

// maxHoleGap is how far apart (in kept paragraphs) the two found
// trafilatura paragraphs around a hole may be.
const maxHoleGap = 4

// shareHosts are link targets that share the page rather than cite anything.
var shareHosts = []string{
	"facebook.com/sharer", "facebook.com/share.php", "twitter.com/intent", "twitter.com/share",
	"x.com/intent", "linkedin.com/share", "pinterest.com/pin/create", "vk.com/share",
	"connect.ok.ru", "t.me/share", "telegram.me/share", "wa.me/", "api.whatsapp.com/send",
	"reddit.com/submit", "plus.google.com/share", "getpocket.com/save", "mail.google.com",
}

// outboundLinks resolves hrefs against the page URL and keeps http(s) links
// to other pages, without share endpoints, tag pages, home pages or the page
// itself, deduplicated.
func outboundLinks(hrefs []string, pageURL *url.URL, limit int) []string {
	self := ""
	if pageURL != nil {
		u := *pageURL
		u.Fragment = ""
		self = u.String()
	}
	seen := map[string]bool{}
	var out []string
	for _, h := range hrefs {
		abs := absURL(pageURL, h)
		if abs == "" {
			continue
		}
		if i := strings.IndexByte(abs, '#'); i >= 0 {
			abs = abs[:i]
		}
		if abs == self || seen[abs] || isTagHref(abs) {
			continue
		}
		if u, err := url.Parse(abs); err != nil || strings.Trim(u.Path, "/") == "" && u.RawQuery == "" {
			continue // a home page, not an article
		}
		share := false
		for _, s := range shareHosts {
			if strings.Contains(abs, s) {
				share = true
				break
			}
		}
		if share {
			continue
		}
		seen[abs] = true
		out = append(out, abs)
		if len(out) == limit {
			break
		}
	}
	return out
}
