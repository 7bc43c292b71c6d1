package extract

import (
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/newswatch/newswatch/crawler/extract/dates"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// boilerWords are class or id words (split at spaces, '-' and '_') of page
// furniture: share bars, social links, related and recommended lists,
// newsletter and subscription boxes, cookie banners, captions and photo
// credits, tag lists, comments, hover cards, counters, sidebars, footers,
// navigation and ads.
var boilerWords = wordSet(`share sharing sharer shares social socials addthis sharethis shareaholic
	related recommended recommendations readmore newsletter newsletters subscribe subscription signup
	cookie cookies consent gdpr caption captions figcaption credit credits tags taglist tagcloud
	keywords breadcrumb breadcrumbs comment comments disqus rollover tooltip popover hovercard modal
	popup counter outbrain taboola trending sidebar footer copyright nav navbar navigation menu
	masthead advert advertisement ads promo sponsored similar lenta paylas paylash podelitsya`)

// boilerPairs are two-word class or id names of page furniture.
var boilerPairs = wordSet(`read-more read-also also-read see-also more-stories most-popular most-read
	tag-list post-tags article-tags author-bio author-box about-author bio-box view-count views-count
	hit-counter copy-link link-copied site-footer ad-slot app-store app-badge app-badges download-app
	photo-credit image-credit sign-up popular-posts more-news other-news banner-ad news-feed`)

// embedWords name embedded posts (tweets, Instagram, Telegram) that are
// part of the story even inside a "social" wrapper.
var (
	embedWords = wordSet(`embed embedded tweet`)
	embedPairs = wordSet(`instagram-media telegram-post tiktok-embed`)
)

// contentWords name article text containers; an element whose name also
// has a boilerWord ("entry-content-read-more") is kept when it holds
// paragraphs of text.
var contentWords = wordSet(`content article body entry text story post main`)

func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// nameWords splits class and id values into lowercase words.
func nameWords(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return r == ' ' || r == '-' || r == '_' || r == '\t' || r == '\n'
	})
}

// matchWords reports whether a word or an adjacent pair of words is in the
// sets.
func matchWords(words []string, single, pairs map[string]bool) bool {
	for i, w := range words {
		if single[w] {
			return true
		}
		if pairs != nil && i+1 < len(words) && pairs[w+"-"+words[i+1]] {
			return true
		}
	}
	return false
}

// matchName is matchWords(nameWords(s), single, pairs) without allocating
// for short ASCII names.
func matchName(s string, single, pairs map[string]bool) bool {
	var low [160]byte
	if len(s) > len(low) {
		return matchWords(nameWords(s), single, pairs)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			return matchWords(nameWords(s), single, pairs)
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		low[i] = c
	}
	b := low[:len(s)]
	var pair [2*len(low) + 1]byte
	prev := []byte(nil)
	for i := 0; i < len(b); {
		for i < len(b) && isNameSep(b[i]) {
			i++
		}
		start := i
		for i < len(b) && !isNameSep(b[i]) {
			i++
		}
		if start == i {
			break
		}
		w := b[start:i]
		if single[string(w)] {
			return true
		}
		if pairs != nil && prev != nil {
			k := copy(pair[:], prev)
			pair[k] = '-'
			k++
			k += copy(pair[k:], w)
			if pairs[string(pair[:k])] {
				return true
			}
		}
		prev = w
	}
	return false
}

func isNameSep(c byte) bool { return c == ' ' || c == '-' || c == '_' || c == '\t' || c == '\n' }

// boilerRoles are ARIA landmarks outside an article's text.
var boilerRoles = map[string]bool{
	"navigation": true, "contentinfo": true, "banner": true, "complementary": true,
	"search": true, "dialog": true, "alertdialog": true, "menu": true, "menubar": true,
}

// boilerTags are elements removed wherever they are.
var boilerTags = map[atom.Atom]bool{
	atom.Nav: true, atom.Footer: true, atom.Aside: true, atom.Figcaption: true,
	atom.Form: true, atom.Button: true, atom.Noscript: true, atom.Iframe: true,
	atom.Script: true, atom.Style: true, atom.Template: true, atom.Svg: true,
	atom.Select: true, atom.Dialog: true,
}

// preClean removes page furniture from doc in place and returns the number
// of elements and of letters the page had. An element found by its
// class or id is only removed when it holds less than a third of the page's
// text, so a wrapper whose name happens to match cannot take the article
// with it.
func preClean(doc *html.Node) (elements, letters int) {
	total := textLen(doc)
	var remove []*html.Node
	var visit func(n *html.Node, depth int)
	visit = func(n *html.Node, depth int) {
		if depth > maxWalkDepth {
			return
		}
		if n.Type == html.ElementNode {
			if isBoiler(n, total) {
				remove = append(remove, n)
				return
			}
			neutralizeEmbed(n)
			elements++
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			visit(c, depth+1)
		}
	}
	visit(doc, 0)
	for _, n := range remove {
		if n.Parent != nil {
			n.Parent.RemoveChild(n)
		}
	}
	return elements, total
}

func isBoiler(n *html.Node, total int) bool {
	switch n.DataAtom {
	case atom.Html, atom.Body, atom.Head, atom.Main, atom.Article:
		return false
	}
	if boilerTags[n.DataAtom] {
		// A <footer> or <aside> inside the article text sometimes holds
		// real content; only drop them when they are small.
		if n.DataAtom == atom.Footer || n.DataAtom == atom.Aside || n.DataAtom == atom.Form {
			return textLen(n)*3 < total
		}
		return true
	}
	if hidden(n) {
		return true
	}
	var attrs string
	for _, a := range n.Attr {
		switch a.Key {
		case "role":
			if boilerRoles[strings.ToLower(a.Val)] {
				return textLen(n)*3 < total
			}
		case "class", "id":
			if a.Key == "id" && isHeading(n) {
				continue // an anchor for a table of contents ("nav_nur_die_folie")
			}
			if attrs == "" {
				attrs = a.Val
			} else {
				attrs += " " + a.Val
			}
		case "itemprop":
			if a.Val == "articleBody" {
				return false
			}
		}
	}
	if attrs == "" {
		return false
	}
	if !matchName(attrs, boilerWords, boilerPairs) || matchName(attrs, embedWords, embedPairs) {
		return false
	}
	if matchName(attrs, contentWords, nil) && paraLen(n) >= 300 {
		return false
	}
	return textLen(n)*3 < total
}

// isHeading reports an h1-h6 element.
func isHeading(n *html.Node) bool {
	switch n.DataAtom {
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		return true
	}
	return false
}

// paraLen counts the letters inside <p> elements under n.
func paraLen(n *html.Node) int {
	total := 0
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != html.ElementNode {
			continue
		}
		if c.DataAtom == atom.P {
			total += textLen(c)
		} else {
			total += paraLen(c)
		}
	}
	return total
}

// neutralizeEmbed renames the class and id of an embedded post ("tweet",
// "embed") so that readability, which drops anything named "social", keeps
// it.
func neutralizeEmbed(n *html.Node) {
	if isEmbed(n) {
		markEmbed(n)
	}
}

// isEmbed reports whether n's class and id name an embedded post.
func isEmbed(n *html.Node) bool {
	names := ""
	for _, a := range n.Attr {
		if a.Key == "class" || a.Key == "id" {
			if names == "" {
				names = a.Val
			} else {
				names += " " + a.Val
			}
		}
	}
	return matchName(names, embedWords, embedPairs)
}

func markEmbed(n *html.Node) {
	for i := range n.Attr {
		if n.Attr[i].Key == "class" || n.Attr[i].Key == "id" {
			n.Attr[i].Val = "embedded-post"
		}
	}
}

// textLen counts the letters and digits under n.
func textLen(n *html.Node) int {
	total := 0
	var visit func(n *html.Node, depth int)
	visit = func(n *html.Node, depth int) {
		if depth > maxWalkDepth {
			return
		}
		switch n.Type {
		case html.TextNode:
			total += letters(n.Data)
			return
		case html.ElementNode:
			switch n.DataAtom {
			case atom.Script, atom.Style, atom.Noscript, atom.Template:
				return
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			visit(c, depth+1)
		}
	}
	visit(n, 0)
	return total
}

// junkStart matches short lines that are never article text, by how they
// begin: "Read more", "Related:", view counters, copyright lines, wire
// credits, "Ссылка скопирована", share-button rows (en, ru, az, tr and a
// few other languages).
var junkStart = regexp.MustCompile(`(?i)^(` +
	`(related( stories| articles| news| content| coverage| links)?|read more|read also|also read|read next|see also|more|more stories|more news|more (in|from|on) [^.!?]{1,40}|tags?|теги|etiketlər|etiketler|photos?|gallery|recommended|you may also like|you might also like|more on this( story)?|most read|trending( now)?|don'?t miss|leggi anche|lees ook|lees meer|lesen sie auch( die folgenden beiträge)?|mehr zum thema|das könnte sie auch interessieren|auch interessant|weitere (informationen|infos|artikel|beiträge|nachrichten)|zusatzinformationen|kontakt|lea( también| más| además)?|lee también|(también )?(te|le) puede interesar|mira|puedes ver|ver también|leia (também|mais)|veja também|(à )?lire aussi|voir aussi|à voir aussi|czytaj (też|także|również|więcej)|zobacz (też|także|również)|читайте также|читайте еще|по теме|смотрите также|oxşar xəbərlər|digər xəbərlər|həmçinin oxuyun|ilgili haberler|bunlar da ilginizi çekebilir)\s*(:.{0,200}|\.{3}|…)?` +
	`|(views?|baxış|baxılıb|baxış sayı|просмотр(ов|ы)?|görüntülenme|okunma)\s*:?\s*[\d\s.,]+` +
	`|[\d\s.,]+\s*(views?|baxış|просмотр(ов|а)?)` +
	`|(©|\(c\)|copyright).{0,160}` +
	`|(additional )?(reporting|writing|editing|compiled|produced) by .{0,200}` +
	`|(continue reading( below)?|advertisement|advert|anzeige|werbung|publicidad|publicité|reklama|reklam|реклама|story continues below|article continues below)` +
	`|((image|photo|picture|bild|foto|zdjęcie|фото) )?\d{1,3} (of|von|de|sur|z|из|/) \d{1,3}` + // gallery counters
	`|(` + uiLabels + `)(\s*[|/·•,]?\s*(` + uiLabels + `))*` + // a button or a row of them
	`|(anzeige|advertisement|werbung|sponsored|publicidad|publicité|reklama)\s*[-–:|]\s*.{0,200}` + // an ad's label before its text
	`|[\pL]{2,5}(/[\pL]{2,6}){1,3}` + // agency initials credit: "aja/PAP", "mpi/dpa"
	`|(join (us|our)|get access to|start your day with|listen to .{0,60} live)\b.{0,200}` +
	`|(link copied|ссылка скопирована|ссылка скопирована в буфер обмена|link kopyalandı|keçid kopyalandı|linki kopyala)\.?!?` +
	`|(share|tweet|email|print|facebook|twitter|whatsapp|telegram|vk|ok|linkedin|pinterest|reddit|copy link|поделиться|paylaş)(\s*:)?(\s*[|/·•,]?\s*(share|tweet|email|print|facebook|twitter|x|whatsapp|telegram|vk|ok|linkedin|pinterest|reddit|copy link|поделиться|paylaş|вконтакте|одноклассники))*:?` +
	`)$`)

// junkInside matches short lines that are never article text, by what they
// contain: calls to follow, subscribe or download, cookie notices, rights
// notices, contribution credits and photo credits. It is only tried on
// lines holding one of junkHints.
var junkInside = regexp.MustCompile(`(?i)^(` +
	`(.{0,120}[^\pL\pN])?(follow (us|him|her|them|me)\b|follow @\w+|follow .{1,40} on (twitter|facebook|instagram)|sign up (for|to) (our|the|free)|subscribe (to our|now|today|here)|subscribe to the .{0,30}(newsletter|channel|podcast)|our newsletters?|click here|get the .{0,30}apps?\b|download (the|our) .{0,30}apps?\b|like this story|share (it|this (story|article))|all rights reserved|this (web)?site uses cookies|we use cookies|accept cookies|cookie policy|подписывайтесь|подпишитесь на|все права защищены|при цитировании|bütün hüquqlar qorunur|abunə olun|tüm hakları saklıdır).{0,160}` +
	`|.{0,200}\b(contributed (to )?this report|contributed reporting)\.?` +
	`|.{0,200}\b(copyrighted property|written permission (must|is required)|(we|this (post|article|page)) (use|uses|contains?) .{0,30}affiliate[- ]links?|(es handelt sich um|sind) affiliate[- ]links?|product advertising api|we may earn a (small )?commission)\b.{0,200}` +
	`|.{0,60}\b(únete|join|tenemos|we have|our|unser(em)?|nuestro|notre|наш)\b.{0,40}\b(canal|channel|kanal|канал)\b.{0,20}\b(telegram|whatsapp)\b.{0,160}` + // a channel invite
	`|(you must be logged in|you need to log in|sie müssen (sich )?(einloggen|anmelden|angemeldet sein)|debes iniciar sesión|vous devez être connecté)\b.{0,160}` +
	`|.{0,80}\b(wurde erfolgreich (zum warenkorb )?hinzugefügt|added to (your )?(cart|basket|bag)|ajouté au panier|añadido al carrito)\b.{0,80}` +
	`|.{0,120}(pdf|docx?|xlsx?|pptx?|zip)\s*[|(,]\s*\d+([.,]\d+)?\s*(kb|mb|kib|mib)\b.{0,80}` + // a file download link
	`|.{0,120}\b(in(to)? your inbox|our newsletters?|subscribe to .{1,30} newsletters?)\b.{0,120}` +
	`|.{0,200}(\(((ap|afp|reuters) )?(photo|image|picture|video)?\s*(credit|source|courtesy)?\s*:?[^()]{0,80}/[^()]{0,80}\)|\((photo|image|picture)? ?credit:?[^()]{0,80}\)|(^|[^\pL])(photos?|photographs?|images?|pictures?|bild(er|nachweis)?|fotos?|crédits? photos?|фото|şəkil)\s*:\s*[^.\s][^.]{0,59})` +
	`)$`)

var junkHints = []string{"follow", "sign up", "subscribe", "newsletter", "click here", "app", "like this story",
	"share", "rights reserved", "cookie", "подписыв", "подпиш", "права защищены", "цитировании", "hüquqlar",
	"abunə", "hakları", "contributed", "inbox", "(", "photo", "image", "picture", "фото", "foto", "şəkil", "bild",
	"permission", "copyrighted", "affiliate", "advertising api", "commission", "telegram", "whatsapp",
	"logged in", "log in", "einloggen", "anmelden", "angemeldet", "iniciar sesión", "connecté", "hinzugefügt",
	"cart", "basket", "bag", "panier", "carrito", " kb", " mb", "kib", "mib"}

// uiLabels are the texts of buttons and controls (print, close, show
// picture, save to Pinterest) that end up as text lines.
const uiLabels = `print|drucken|rezept drucken|imprimir|imprimer|drukuj|kommentieren|bild anzeigen|bild schließen|bild vergrößern|bei pinterest speichern|merken|caption|close|schließen|cerrar|fermer|zamknij|this slideshow requires javascript\.?`

// isJunkLine reports a short line that is never article text.
func isJunkLine(s string) bool {
	if junkStart.MatchString(s) {
		return true
	}
	l := strings.ToLower(s)
	for _, h := range junkHints {
		if strings.Contains(l, h) {
			return junkInside.MatchString(s)
		}
	}
	return false
}

// metaLine matches a dateline or "posted by" line (checked only on short
// lines with a digit).
var metaLine = regexp.MustCompile(`(?i)^([^a-zа-яəöüğışç]{0,30}[-|•·]\s*)?(posted|published|updated|publicado|publié|pubblicato|veröffentlicht|опубликовано|обновлено|yayımlandı|dərc edilib)( on| by| em| por| el| le| il| am| в)?\s*:?\s`)

// pageFacts are what the paragraph filters know about the page.
type pageFacts struct {
	Title string
	Now   time.Time // fetch time, for dates.ParseText
	Tags  []string  // declared tags and keywords
}

// shortcode matches an unrendered WordPress-style shortcode ("[/button]").
var shortcode = regexp.MustCompile(`\[/[a-z_]+\]`)

// bareURL matches a line that is a URL, alone or after a short label.
var bareURL = regexp.MustCompile(`(?i)^([^:]{0,30}:\s*)?(https?://|www\.)\S+$`)

// tagsHead matches a "Tags:" label that starts a tag list.
var tagsHead = regexp.MustCompile(`(?i)^(tags?|теги|метки|etiketlər|etiketler|keywords|schlagworte|etichette)\s*:?\s*(\n|:|$)`)

// filterParas drops boilerplate paragraphs: a repeat of the title at the
// top, short calls to action, link lists, tag lists, counters and
// datelines.
func filterParas(ps []para, f pageFacts) []para {
	out := make([]para, 0, len(ps))
	normTitle := normKey(f.Title)
	tagSet := map[string]bool{}
	for _, t := range f.Tags {
		tagSet[normKey(t)] = true
	}
	for i, p := range ps {
		if !p.checked {
			p.checkText()
		}
		words := p.words
		if p.junk {
			continue
		}
		if i < 3 && normTitle != "" && normKey(p.Text) == normTitle {
			continue
		}
		if words <= 8 && (i < 3 || i >= len(ps)-3) && strings.ContainsAny(p.Text, "0123456789") &&
			!strings.ContainsAny(p.Text, "@—–") {
			if _, ok := dates.ParseText(p.Text, time.UTC, f.Now); ok {
				continue
			}
		}
		if len(tagSet) > 0 && words <= 80 && isTagList(p.Text, tagSet) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// checkText sets p.words and p.junk, the verdicts of filterParas that
// depend on the paragraph alone (not on the page or the position), so that
// they can be found in the extractor goroutines.
func (p *para) checkText() {
	words := countFields(p.Text)
	p.checked, p.words = true, words
	p.junk = words <= 40 && isJunkLine(p.Text) ||
		words <= 20 && metaLine.MatchString(p.Text) && strings.ContainsAny(p.Text, "0123456789") ||
		words <= 12 && p.linkDensity() > 0.8 || words <= 25 && p.linkDensity() > 0.95 ||
		!hasToken(p.Text) || shortcode.MatchString(p.Text) || words <= 6 && bareURL.MatchString(p.Text) ||
		words <= 80 && tagsHead.MatchString(p.Text)
}

// isTagList reports a comma-separated list most of whose items are the
// page's declared tags.
func isTagList(s string, tags map[string]bool) bool {
	items := splitList(s)
	if len(items) < 3 {
		return false
	}
	hit := 0
	for _, it := range items {
		if len(strings.Fields(it)) > 5 {
			return false
		}
		if tags[normKey(it)] {
			hit++
		}
	}
	return hit*2 >= len(items)
}

// normKey folds case and punctuation for comparing short texts.
func normKey(s string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(s) {
		if unicode.IsLetter(c) || unicode.IsNumber(c) {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// cleanCopy returns a copy of doc, which is not modified, without the page
// furniture preClean removes (total is textLen(doc)) and without comments,
// which both extractors drop first. The copy for go-trafilatura (forTraf)
// also goes without the <head> (it would only read metadata and a language
// guess from it) and without the elements its own cleaning drops. elements
// counts the elements of the page kept by preClean.
func cleanCopy(doc *html.Node, total int, forTraf bool) (c *html.Node, elements int) {
	var s nodeSlab
	var cp func(n *html.Node, depth int, emit bool) *html.Node
	cp = func(n *html.Node, depth int, emit bool) *html.Node {
		check := depth <= maxWalkDepth && n.Type == html.ElementNode
		if check {
			if isBoiler(n, total) {
				return nil
			}
			elements++
		}
		if n.Type == html.CommentNode {
			return nil
		}
		if emit && forTraf && (isDocHead(n) || trafDrops(n)) {
			emit = false // only counted
		}
		var c *html.Node
		if emit {
			c = s.copy(n)
			if check && isEmbed(n) {
				markEmbed(c)
			}
		}
		for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
			if cc := cp(ch, depth+1, emit); cc != nil {
				link(c, cc)
			}
		}
		return c
	}
	return cp(doc, 0, true), elements
}

// trafCleaned are the elements go-trafilatura's own cleaning removes with
// their content before it looks for the text (its tagsToClean, without
// "ins", which it unwraps first, and "figure", which it keeps when it holds
// a table). Its copy goes without them, so that it does not clone and scan
// them three times.
var trafCleaned = wordSet(`aside embed footer form iframe menu object script applet audio canvas map
	picture svg video area blink button datalist dialog frame frameset fieldset link input label
	legend marquee math menuitem nav noscript optgroup option output param progress rp rt rtc select
	source style track textarea time use`)

// trafDrops reports whether go-trafilatura would drop n before reading the
// page: a comment or an element of trafCleaned.
func trafDrops(n *html.Node) bool {
	switch n.Type {
	case html.CommentNode:
		return true
	case html.ElementNode:
		return trafCleaned[n.Data]
	}
	return false
}

// isDocHead reports whether n is the page's <head>.
func isDocHead(n *html.Node) bool {
	return n.DataAtom == atom.Head && n.Type == html.ElementNode && n.Parent != nil &&
		n.Parent.DataAtom == atom.Html && n.Parent.Parent != nil && n.Parent.Parent.Type == html.DocumentNode
}

// link appends the parentless c as the last child of p.
func link(p, c *html.Node) {
	c.Parent = p
	if p.LastChild == nil {
		p.FirstChild = c
	} else {
		p.LastChild.NextSibling = c
		c.PrevSibling = p.LastChild
	}
	p.LastChild = c
}

// nodeSlab allocates copied nodes and attributes in chunks rather than
// one by one.
type nodeSlab struct {
	nodes []html.Node
	attrs []html.Attribute
}

// copy returns an unlinked copy of n with its own attribute slice.
func (s *nodeSlab) copy(n *html.Node) *html.Node {
	if len(s.nodes) == cap(s.nodes) {
		s.nodes = make([]html.Node, 0, 256)
	}
	s.nodes = s.nodes[:len(s.nodes)+1]
	c := &s.nodes[len(s.nodes)-1]
	c.Type, c.DataAtom, c.Data, c.Namespace = n.Type, n.DataAtom, n.Data, n.Namespace
	if k := len(n.Attr); k > 0 {
		if cap(s.attrs)-len(s.attrs) < k {
			s.attrs = make([]html.Attribute, 0, max(256, k))
		}
		i := len(s.attrs)
		s.attrs = append(s.attrs, n.Attr...)
		c.Attr = s.attrs[i : i+k : i+k] // a later append reallocates
	}
	return c
}

// countFields is len(strings.Fields(s)) without the slice.
func countFields(s string) int {
	n, in := 0, false
	for _, c := range s {
		sp := unicode.IsSpace(c)
		if !sp && !in {
			n++
		}
		in = !sp
	}
	return n
}

// hasToken is len(tokens(s)) > 0 without the slice.
func hasToken(s string) bool {
	for _, r := range s {
		if r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r) {
			return true
		}
	}
	return false
}
