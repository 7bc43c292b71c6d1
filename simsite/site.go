// Package simsite serves simulated news outlets over real HTTP on loopback,
// for tests, benchmarks and `newswatch demo`.
//
// Each outlet has its own listener (a distinct host: a loopback port, or a
// stable host name "<outlet>.<Config.Domain>" that Site.DialContext and
// Site.Transport resolve to that port, so URLs survive restarts), its own
// template and language: "caliber" (English and Azerbaijani, JSON-LD NewsArticle),
// "report" (Azerbaijani, OpenGraph/meta tags only, div markup) and "vesti"
// (Russian, served as windows-1251). Every outlet serves robots.txt (with
// Disallow rules for paths the pages do link to), an RSS 2.0 feed of its
// latest articles (links carry utm_* tracking parameters, pages carry
// rel=canonical), a sitemap index with child sitemaps (one Google News
// sitemap, chunks of all articles, odd chunks gzipped), paginated listings
// (home, language or section pages) and the article pages.
//
// Everything is deterministic from Config.Seed: Articles returns the ground
// truth the pages were rendered from, and the same Config renders the same
// bytes (given the same base URLs). Pages are rendered on demand; metadata
// of 10,000 articles takes about 35 ms to build.
//
// Also served, for deduplication tests: feed links with utm_* parameters,
// AMP variants (caliber, "<article>/amp", rel=canonical to the clean URL),
// 301 redirects for a missing or extra trailing slash, ETag/Last-Modified
// with conditional GET.
//
// For resilience and freshness tests:
//
//   - Faults per outlet (Config.Faults, Site.SetFaults), each a class of
//     trouble real outlets cause: latency, 429 or 5xx with Retry-After at a
//     deterministic rate (ErrorRate 1 is a 5xx storm), outages (Down),
//     connection resets, slow bodies, 10 MiB pages, gzip bombs, redirect
//     loops, endless pagination, session IDs in URLs, malformed feeds and
//     sitemaps, missing or wrong charsets, no feed and no sitemap, a
//     defaced home page (Defaced), a new layout (Redesign).
//
//   - Outages in turn (Config.OutageEvery), for the live demo.
//
//   - Edits: Site.Edit(url) or Config.EditEvery publish a new version
//     (title and body change), stamped with the wall-clock time
//     (dateModified, sitemap lastmod).
//
//   - A live flow: Config.Unpublished articles appear one by one through
//     Site.Publish or Config.PublishEvery, dated with the wall clock when
//     Config.LiveDates is set.
//
//   - A daily archive (/archive/YYYY/MM/DD, Outlet.ArchiveURL), an endless
//     calendar as on many CMSes, for backfills.
//
//   - robots.txt with Disallow rules the pages link to and, per outlet,
//     Crawl-delay (Config.CrawlDelay).
//
//   - The request log (Site.Requests): every request with its kind, time,
//     status and whether it was conditional; Site.Hits counts requests per
//     path prefix.
//
// Usage:
//
//	s, err := simsite.New(simsite.Config{Seed: 1, Articles: 300})
//	if err := s.Start(); err != nil { ... }
//	defer s.Close()
//	for _, o := range s.Outlets() { fmt.Println(o.ID, o.BaseURL, o.FeedURLs) }
package simsite

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/newswatch/newswatch/article"
)

// Sentinel errors.
var (
	// ErrUnknownOutlet is returned for an outlet ID the site does not have.
	ErrUnknownOutlet = errors.New("unknown outlet")
	// ErrUnknownArticle is returned by Edit for a URL that is no article.
	ErrUnknownArticle = errors.New("unknown article")
	// ErrStarted is returned by Start when the site already listens.
	ErrStarted = errors.New("simsite already started")
)

// Outlet describes one simulated outlet as a crawler configuration would.
type Outlet struct {
	ID       string // "caliber", "report", "vesti", then "caliber2", ...
	Name     string // human name, e.g. "Caliber.Az"
	Template string // "caliber", "report" or "vesti"
	// BaseURL is "http://127.0.0.1:PORT", known after Start or
	// SetBaseURL, or "http://<ID>.<Config.Domain>" when Domain is set.
	BaseURL string
	// Addr is the loopback address the outlet listens on after Start
	// ("127.0.0.1:PORT"); with Config.Domain it is where DialContext
	// sends the outlet's host name.
	Addr     string
	Language string // main language: "en", "az" or "ru"
	// Languages lists every language the outlet publishes in.
	Languages []string
	TimeZone  string // IANA name of the outlet's zone: "Asia/Baku"
	Charset   string // "utf-8" or "windows-1251"
	RobotsURL string
	FeedURLs  []string
	// SitemapURLs holds the sitemap index (the one robots.txt names).
	SitemapURLs []string
	// ListingURLs holds the first page of every listing (home first).
	ListingURLs []string
	// ArchiveURL is the daily archive as a template: {yyyy}, {mm} and
	// {dd} stand for the day (Baku time).
	ArchiveURL string
	// DisallowedPaths are the robots.txt Disallow prefixes; pages link to them.
	DisallowedPaths []string
}

// Article is the ground truth of one article, current version.
type Article struct {
	Outlet      string
	URL         string // clean absolute URL, equal to the page's rel=canonical
	Title       string
	Lead        string   // the description; the first sentence of Body; unique per site
	Body        string   // paragraphs joined by "\n\n"
	Authors     []string // may be empty
	Section     string   // display name in the article's language
	Tags        []string
	Language    string // "en", "az", "ru"
	PublishedAt time.Time
	ModifiedAt  time.Time // equal to PublishedAt until edited
	// DateSource says where the page carries the date:
	// article.DateSourceJSONLD, DateSourceMeta or DateSourceText (only a
	// visible, localised date).
	DateSource string
	Image      string
	Views      int64
	Version    int // 1, bumped by Edit
	// CopyOf is the URL of the earlier article of another outlet this one
	// carries (Config.Copies), "" for an original story; CopyKind says how:
	// CopyReprint or CopyRewrite.
	CopyOf   string
	CopyKind string
}

// Kinds of copies (Article.CopyKind).
const (
	CopyReprint = "reprint" // the text as it was, with a line naming the source
	CopyRewrite = "rewrite" // a new headline and lead, some sentences replaced, paragraphs reordered
)

// CopyWindow is how many articles (across outlets) before it a copy's
// original may have been published.
const CopyWindow = 12

type section struct {
	key   string
	path  string            // listing path
	names map[string]string // display name per language
}

type art struct {
	idx        int
	num        int
	o          *outlet
	l          *lang
	path       string
	title      string
	lead       string
	sec        *section
	published  time.Time
	authors    []string
	tags       []string
	views      int64
	dateSource string
	seed       uint64
	copyOf     *art   // Config.Copies: the original this article carries
	copyKind   string // CopyReprint or CopyRewrite
}

type listing struct {
	path  string
	title string
	items []*art
}

type outlet struct {
	id, name, tmpl string
	domain         string // the pretend public domain, for e-mail addresses
	lang           string
	langs          []string
	charset        string
	feedPath       string
	pageParam      string
	sections       []*section
	arts           []*art // newest first
	byPath         map[string]*art
	listings       []*listing
	byListing      map[string]*listing
	tpl            *templates
}

// Site is a set of simulated outlets. Its methods are safe for concurrent use.
type Site struct {
	cfg     Config
	outlets []*outlet
	byID    map[string]*outlet
	arts    []*art // global order, newest first

	mu       sync.Mutex
	base     map[string]string // outlet ID -> base URL
	addrs    map[string]string // outlet ID -> listener address
	hosts    map[string]string // "host:80" of a Config.Domain name -> listener address
	versions map[*art]int
	faults   map[string]Faults
	attempts map[string]int             // outlet+path -> requests so far
	hits     map[string]int             // outlet+path -> requests so far (no query)
	hidden   int                        // articles with idx < hidden are not published yet
	live     map[*art]time.Time         // Config.LiveDates: when each article was published
	edited   map[*art]map[int]time.Time // when each edited version was made
	outage   string                     // outlet ID taken down by Config.OutageEvery, or ""
	log      []Request                  // every request, in arrival order
	servers  []*http.Server
	started  bool
	stop     chan struct{} // closed by Close; stops the publisher
	done     chan struct{} // closed when the publisher has stopped
}

// New builds the site's content. It does not listen yet: call Start, or use
// Handler with an httptest server and SetBaseURL.
func New(cfg Config) (*Site, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Site{
		cfg:      cfg,
		byID:     map[string]*outlet{},
		base:     map[string]string{},
		addrs:    map[string]string{},
		hosts:    map[string]string{},
		versions: map[*art]int{},
		faults:   map[string]Faults{},
		attempts: map[string]int{},
		hits:     map[string]int{},
		live:     map[*art]time.Time{},
		edited:   map[*art]map[int]time.Time{},
	}
	for id, f := range cfg.Faults {
		s.faults[id] = f
	}
	s.hidden = cfg.Unpublished
	for i := 0; i < cfg.Outlets; i++ {
		o := newOutlet(i)
		s.outlets = append(s.outlets, o)
		s.byID[o.id] = o
	}
	for id := range cfg.Faults {
		if s.byID[id] == nil {
			return nil, fmt.Errorf("%w: faults for %q: %w", ErrConfig, id, ErrUnknownOutlet)
		}
	}
	for id := range cfg.CrawlDelay {
		if s.byID[id] == nil {
			return nil, fmt.Errorf("%w: crawl delay for %q: %w", ErrConfig, id, ErrUnknownOutlet)
		}
	}
	s.generate()
	return s, nil
}

func newOutlet(i int) *outlet {
	suffix := ""
	if n := i / 3; n > 0 {
		suffix = fmt.Sprint(n + 1)
	}
	var o *outlet
	switch i % 3 {
	case 0:
		o = &outlet{id: "caliber", name: "Caliber.Az", tmpl: "caliber", lang: "en", langs: []string{"en", "az"},
			charset: "utf-8", feedPath: "/feed/rss", pageParam: "page", domain: "caliber.az"}
		for _, s := range [][3]string{{"politics", "Politics", "Siyasət"}, {"analytics", "Analytics", "Analitika"},
			{"economy", "Economy", "İqtisadiyyat"}, {"world", "World", "Dünya"}} {
			o.sections = append(o.sections, &section{key: s[0], path: "/category/" + s[0],
				names: map[string]string{"en": s[1], "az": s[2]}})
		}
	case 1:
		o = &outlet{id: "report", name: "Report.az", tmpl: "report", lang: "az", langs: []string{"az"},
			charset: "utf-8", feedPath: "/rss/", pageParam: "page", domain: "report.az"}
		for _, s := range [][2]string{{"daxili-siyaset", "Daxili siyasət"}, {"iqtisadiyyat", "İqtisadiyyat"},
			{"xarici-siyaset", "Xarici siyasət"}, {"cemiyyet", "Cəmiyyət"}} {
			o.sections = append(o.sections, &section{key: s[0], path: "/" + s[0] + "/",
				names: map[string]string{"az": s[1]}})
		}
	default:
		o = &outlet{id: "vesti", name: "Бакинские Вести", tmpl: "vesti", lang: "ru", langs: []string{"ru"},
			charset: "windows-1251", feedPath: "/rss.xml", pageParam: "PAGEN_1", domain: "bakuvesti.az"}
		for _, s := range [][2]string{{"politics", "Политика"}, {"economy", "Экономика"}, {"society", "Общество"}} {
			o.sections = append(o.sections, &section{key: s[0], path: "/news/" + s[0] + "/",
				names: map[string]string{"ru": s[1]}})
		}
	}
	o.id += suffix
	if suffix != "" {
		o.name += " " + suffix
	}
	o.byPath = map[string]*art{}
	o.byListing = map[string]*listing{}
	o.tpl = templatesFor(o.tmpl)
	return o
}

func (s *Site) rng(idx int, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(s.cfg.Seed), uint64(idx)<<8|stream))
}

// generate builds the metadata of every article; bodies are built on demand.
func (s *Site) generate() {
	titles := map[string]bool{}
	k := len(s.outlets)
	for i := 0; i < s.cfg.Articles; i++ {
		o := s.outlets[i%k]
		r := s.rng(i, 1)
		a := &art{idx: i, o: o, num: 900000 - 3*i, seed: r.Uint64()}
		a.published = s.cfg.BaseTime.Add(-time.Duration(i) * s.cfg.Interval)
		if i > 0 && s.cfg.Interval >= 2*time.Minute {
			a.published = a.published.Add(-time.Duration(r.Int64N(int64(s.cfg.Interval / 2)))).Truncate(time.Minute)
		}
		a.l = langByCode(o.lang)
		if o.tmpl == "caliber" && r.IntN(10) < 3 {
			a.l = langAZ
		}
		for try := 0; ; try++ {
			a.title = capitalize(a.l.headline(r))
			if try >= 8 {
				a.title += fmt.Sprintf(" (%d)", a.num)
			}
			if !titles[a.title] {
				break
			}
		}
		titles[a.title] = true
		// The lead is unique too, so a phrase search finds exactly one article.
		for try := 0; ; try++ {
			a.lead = capitalize(a.l.headline(r))
			if try >= 8 {
				a.lead += fmt.Sprintf(" (%d)", a.num)
			}
			a.lead += "."
			if !titles[a.lead] {
				break
			}
		}
		titles[a.lead] = true
		a.sec = o.sections[r.IntN(len(o.sections))]
		nAuth := 1
		switch o.tmpl {
		case "caliber":
			if r.IntN(10) == 0 {
				nAuth = 2
			}
		case "report":
			if r.IntN(10) < 4 {
				nAuth = 0
			}
		default:
			if r.IntN(10) < 3 {
				nAuth = 0
			}
		}
		for j := 0; j < nAuth; j++ {
			a.authors = append(a.authors, a.l.person(r))
		}
		if nAuth == 2 && a.authors[0] == a.authors[1] {
			a.authors = a.authors[:1]
		}
		perm := r.Perm(len(a.l.tags))
		for _, j := range perm[:2+r.IntN(2)] {
			a.tags = append(a.tags, a.l.tags[j])
		}
		a.views = int64(40 + r.IntN(5000))
		switch o.tmpl {
		case "caliber":
			a.dateSource = article.DateSourceJSONLD
		case "report":
			a.dateSource = article.DateSourceMeta
			if r.IntN(3) == 0 {
				a.dateSource = article.DateSourceText
			}
		default:
			a.dateSource = article.DateSourceText
		}
		a.path = o.articlePath(a)
		if o.byPath[a.path] != nil {
			a.path = strings.TrimSuffix(a.path, "/") + fmt.Sprintf("-%d", a.num)
			if strings.HasSuffix(o.articlePath(a), "/") {
				a.path += "/"
			}
		}
		o.byPath[a.path] = a
		o.arts = append(o.arts, a)
		s.arts = append(s.arts, a)
	}
	if s.cfg.Copies > 0 {
		s.makeCopies()
	}
	for _, o := range s.outlets {
		o.addListing("/", o.name, func(*art) bool { return true })
		if len(o.langs) > 1 {
			for _, lc := range o.langs {
				lc := lc
				o.addListing("/"+lc, strings.ToUpper(lc), func(a *art) bool { return a.l.code == lc })
			}
		}
		for _, sec := range o.sections {
			sec := sec
			o.addListing(sec.path, sec.names[o.lang], func(a *art) bool { return a.sec == sec })
		}
	}
}

// makeCopies turns Config.Copies of the articles into copies of an
// earlier original of another outlet in a language the copying outlet
// publishes in: the copy takes the original's language, and a reprint its
// headline and lead too.
func (s *Site) makeCopies() {
	for i := len(s.arts) - 1; i >= 0; i-- {
		a := s.arts[i]
		r := s.rng(i, 7)
		if r.Float64() >= s.cfg.Copies {
			continue
		}
		var cands []*art
		for j := i + 1; j < len(s.arts) && j <= i+CopyWindow; j++ {
			o := s.arts[j]
			if o.copyOf == nil && o.o != a.o && slices.Contains(a.o.langs, o.l.code) {
				cands = append(cands, o)
			}
		}
		if len(cands) == 0 {
			continue
		}
		orig := cands[r.IntN(len(cands))]
		a.copyOf, a.l = orig, orig.l
		a.copyKind = CopyRewrite
		if r.IntN(2) == 0 {
			a.copyKind = CopyReprint
			a.title, a.lead = orig.title, orig.lead
		} else {
			a.title = capitalize(a.l.headline(r))
			a.lead = capitalize(a.l.headline(r)) + "."
		}
		if !slices.Contains(a.o.sections, a.sec) {
			a.sec = a.o.sections[0]
		}
		delete(a.o.byPath, a.path)
		a.path = a.o.articlePath(a)
		if a.o.byPath[a.path] != nil {
			a.path = strings.TrimSuffix(a.path, "/") + fmt.Sprintf("-%d", a.num)
			if strings.HasSuffix(a.o.articlePath(a), "/") {
				a.path += "/"
			}
		}
		a.o.byPath[a.path] = a
	}
}

func (o *outlet) addListing(path, title string, keep func(*art) bool) {
	l := &listing{path: path, title: title}
	for _, a := range o.arts {
		if keep(a) {
			l.items = append(l.items, a)
		}
	}
	o.listings = append(o.listings, l)
	o.byListing[path] = l
}

func (o *outlet) articlePath(a *art) string {
	slug := slugify(a.title)
	switch o.tmpl {
	case "caliber":
		return "/" + a.l.code + "/post/" + slug
	case "report":
		return a.sec.path + slug + "/"
	default:
		return fmt.Sprintf("/news/%d.html", a.num)
	}
}

// Start listens on one loopback port per outlet (127.0.0.1:0) and serves
// until Close.
func (s *Site) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return ErrStarted
	}
	var lns []net.Listener
	for _, o := range s.outlets {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			return fmt.Errorf("simsite: listen for %s: %w", o.id, err)
		}
		lns = append(lns, ln)
		addr := ln.Addr().String()
		s.addrs[o.id] = addr
		s.base[o.id] = "http://" + addr
		if s.cfg.Domain != "" {
			host := o.id + "." + s.cfg.Domain
			s.base[o.id] = "http://" + host
			s.hosts[net.JoinHostPort(host, "80")] = addr
		}
	}
	for i, o := range s.outlets {
		srv := &http.Server{Handler: s.handler(o), ReadHeaderTimeout: 10 * time.Second}
		s.servers = append(s.servers, srv)
		go srv.Serve(lns[i]) //nolint:errcheck // returns ErrServerClosed on Close
	}
	s.started = true
	s.stop, s.done = make(chan struct{}), make(chan struct{})
	go s.publisher(s.stop, s.done)
	return nil
}

// publisher publishes one article every Config.PublishEvery, edits one
// every Config.EditEvery and runs the outages of Config.OutageEvery, until
// stop.
func (s *Site) publisher(stop, done chan struct{}) {
	defer close(done)
	var pubC, editC, outC <-chan time.Time
	var endOutage *time.Timer
	var endC <-chan time.Time
	if s.cfg.OutageEvery > 0 && len(s.outlets) > 0 {
		t := time.NewTicker(s.cfg.OutageEvery)
		defer t.Stop()
		outC = t.C
		endOutage = time.NewTimer(time.Hour)
		endOutage.Stop()
		defer endOutage.Stop()
	}
	nextDown := 0
	if s.cfg.PublishEvery > 0 && s.Unpublished() > 0 {
		t := time.NewTicker(s.cfg.PublishEvery)
		defer t.Stop()
		pubC = t.C
	}
	if s.cfg.EditEvery > 0 && len(s.arts) > 0 {
		t := time.NewTicker(s.cfg.EditEvery)
		defer t.Stop()
		editC = t.C
	}
	// Edits walk the articles in a seeded order, skipping unpublished ones.
	order := rand.New(rand.NewPCG(uint64(s.cfg.Seed), 0xed17)).Perm(len(s.arts))
	next := 0
	for {
		select {
		case <-stop:
			return
		case <-pubC:
			if len(s.Publish(1)) == 0 {
				pubC = nil
			}
		case <-editC:
			for tries := 0; tries < len(order); tries++ {
				a := s.arts[order[next%len(order)]]
				next++
				if s.lookup(a.o, a.path) != nil {
					s.mu.Lock()
					s.setVersionLocked(a, s.version(a)+1)
					s.mu.Unlock()
					break
				}
			}
		case <-outC:
			s.mu.Lock()
			s.outage = s.outlets[nextDown%len(s.outlets)].id
			s.mu.Unlock()
			nextDown++
			endOutage.Reset(s.cfg.OutageFor)
			endC = endOutage.C
		case <-endC:
			s.mu.Lock()
			s.outage = ""
			s.mu.Unlock()
		}
	}
}

// Publish makes the next n unpublished articles (Config.Unpublished)
// visible, oldest first, and returns them. Their pages, feed items,
// sitemap entries and listing entries appear at once.
func (s *Site) Publish(n int) []Article {
	s.mu.Lock()
	old := s.hidden
	s.hidden = max(0, old-max(n, 0))
	now := s.hidden
	if s.cfg.LiveDates {
		at := time.Now().In(Baku).Truncate(time.Second)
		for idx := old - 1; idx >= now; idx-- {
			s.live[s.arts[idx]] = at
		}
	}
	s.mu.Unlock()
	var out []Article
	for idx := old - 1; idx >= now; idx-- {
		a := s.arts[idx]
		out = append(out, s.truth(a, s.baseOf(a.o, nil)))
	}
	return out
}

// Outage returns the ID of the outlet that Config.OutageEvery has taken
// down right now, or "".
func (s *Site) Outage() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.outage
}

// Unpublished returns how many articles are not published yet.
func (s *Site) Unpublished() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hidden
}

// shown returns the published tail of list (newest first, so unpublished
// articles, the newest, form its head).
func (s *Site) shown(list []*art) []*art {
	s.mu.Lock()
	h := s.hidden
	s.mu.Unlock()
	i := sort.Search(len(list), func(i int) bool { return list[i].idx >= h })
	return list[i:]
}

// lookup returns the published article at path, or nil.
func (s *Site) lookup(o *outlet, path string) *art {
	a := o.byPath[path]
	if a == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if a.idx < s.hidden {
		return nil
	}
	return a
}

// Close stops every listener and waits for in-flight requests for up to
// five seconds.
func (s *Site) Close() error {
	s.mu.Lock()
	servers := s.servers
	s.servers = nil
	stop, done := s.stop, s.done
	s.stop, s.done = nil, nil
	s.started = false
	s.mu.Unlock()
	if stop != nil {
		close(stop)
		<-done
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var errs []error
	for _, srv := range servers {
		if err := srv.Shutdown(ctx); err != nil {
			errs = append(errs, srv.Close())
		}
	}
	return errors.Join(errs...)
}

// Run starts the site, logs every outlet's address and blocks until ctx is
// done, then closes the site.
func Run(ctx context.Context, cfg Config, log *zap.Logger) error {
	s, err := New(cfg)
	if err != nil {
		return err
	}
	if err := s.Start(); err != nil {
		return err
	}
	log = log.Named("simsite")
	for _, o := range s.Outlets() {
		log.Info("outlet listening", zap.String("outlet", o.ID), zap.String("url", o.BaseURL),
			zap.String("feed", o.FeedURLs[0]), zap.String("sitemap", o.SitemapURLs[0]),
			zap.Int("articles", len(s.byID[o.ID].arts)))
	}
	<-ctx.Done()
	return s.Close()
}

// ErrUnknownHost is returned by DialContext for an address that is no
// simulated outlet.
var ErrUnknownHost = errors.New("not a simulated outlet")

// DialContext connects to a simulated outlet by its Config.Domain host
// name ("caliber.seed1.simsite.test:80"), or by its listener address, on
// loopback. Any other address is refused with ErrUnknownHost: a crawler
// dialling through it reaches nothing but the simulated site.
func (s *Site) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	s.mu.Lock()
	target, ok := s.hosts[strings.ToLower(addr)]
	if !ok {
		for _, a := range s.addrs {
			if a == addr {
				target, ok = a, true
			}
		}
	}
	s.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("simsite: dial %s: %w", addr, ErrUnknownHost)
	}
	var d net.Dialer
	return d.DialContext(ctx, network, target)
}

// Transport returns an HTTP transport that reaches the simulated outlets
// (by Config.Domain name or listener address) through DialContext, and
// nothing else.
func (s *Site) Transport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	t.DialContext = s.DialContext
	t.MaxIdleConnsPerHost = 8
	return t
}

// Handler returns the HTTP handler of one outlet, for use with httptest.
// Pages link to the base URL set by Start or SetBaseURL, or else to the
// request's Host.
func (s *Site) Handler(outletID string) (http.Handler, error) {
	o := s.byID[outletID]
	if o == nil {
		return nil, fmt.Errorf("%w: %q", ErrUnknownOutlet, outletID)
	}
	return s.handler(o), nil
}

// SetBaseURL sets the absolute base ("http://host:port") of an outlet
// served through Handler, so that Outlets and Articles report it.
func (s *Site) SetBaseURL(outletID, baseURL string) error {
	if s.byID[outletID] == nil {
		return fmt.Errorf("%w: %q", ErrUnknownOutlet, outletID)
	}
	u, err := url.Parse(baseURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return fmt.Errorf("simsite: bad base url %q", baseURL)
	}
	s.mu.Lock()
	s.base[outletID] = strings.TrimSuffix(baseURL, "/")
	s.mu.Unlock()
	return nil
}

// SetFaults replaces the faults of one outlet at run time (zero Faults
// restores normal service).
func (s *Site) SetFaults(outletID string, f Faults) error {
	if s.byID[outletID] == nil {
		return fmt.Errorf("%w: %q", ErrUnknownOutlet, outletID)
	}
	if err := f.validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	s.mu.Lock()
	s.faults[outletID] = f
	s.mu.Unlock()
	return nil
}

// Hits returns how many requests an outlet received for paths starting
// with prefix (query strings ignored), faulted requests included. Tests use
// it to check that robots.txt Disallow rules are obeyed.
func (s *Site) Hits(outletID, prefix string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k, v := range s.hits {
		id, p, _ := strings.Cut(k, " ")
		if id == outletID && strings.HasPrefix(p, prefix) {
			n += v
		}
	}
	return n
}

func (s *Site) baseOf(o *outlet, r *http.Request) string {
	s.mu.Lock()
	b := s.base[o.id]
	s.mu.Unlock()
	if b == "" && r != nil {
		b = "http://" + r.Host
	}
	return b
}

// Outlets describes every outlet, in order.
func (s *Site) Outlets() []Outlet {
	out := make([]Outlet, 0, len(s.outlets))
	for _, o := range s.outlets {
		b := s.baseOf(o, nil)
		s.mu.Lock()
		addr := s.addrs[o.id]
		s.mu.Unlock()
		ol := Outlet{
			ID: o.id, Name: o.name, Template: o.tmpl, BaseURL: b, Addr: addr, Language: o.lang,
			Languages: append([]string(nil), o.langs...), TimeZone: "Asia/Baku", Charset: o.charset,
			RobotsURL:       b + "/robots.txt",
			FeedURLs:        []string{b + o.feedPath},
			SitemapURLs:     []string{b + "/sitemap.xml"},
			ArchiveURL:      b + "/archive/{yyyy}/{mm}/{dd}",
			DisallowedPaths: append([]string(nil), disallowed...),
		}
		for _, l := range o.listings {
			ol.ListingURLs = append(ol.ListingURLs, b+l.path)
		}
		out = append(out, ol)
	}
	return out
}

// Articles returns the ground truth of every published article, newest
// first, in their current versions.
func (s *Site) Articles() []Article {
	arts := s.shown(s.arts)
	out := make([]Article, 0, len(arts))
	for _, a := range arts {
		out = append(out, s.truth(a, s.baseOf(a.o, nil)))
	}
	return out
}

// Edit publishes a new version of the article at url (query ignored): the
// title gains an "updated" marker on the first edit, the body a paragraph on
// every edit, and ModifiedAt moves forward. It returns the new version.
func (s *Site) Edit(rawURL string) (Article, error) {
	return s.setVersion(rawURL, func(v int) int { return v + 1 })
}

// Revert undoes every edit of the article at url (query ignored): its
// page shows the original content again, as when an outlet reverts an
// edit. Version in the returned Article is 1 again: simsite numbers content
// variants, not the versions a crawler counts.
func (s *Site) Revert(rawURL string) (Article, error) {
	return s.setVersion(rawURL, func(int) int { return 1 })
}

// setVersion sets the content variant of the published article at rawURL
// to next(current) and returns it.
func (s *Site) setVersion(rawURL string, next func(int) int) (Article, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return Article{}, fmt.Errorf("%w: %q: %w", ErrUnknownArticle, rawURL, err)
	}
	for _, o := range s.outlets {
		if a := s.lookup(o, u.Path); a != nil {
			base := s.baseOf(o, nil)
			if base != "" && !strings.EqualFold(base, u.Scheme+"://"+u.Host) {
				continue
			}
			s.mu.Lock()
			s.setVersionLocked(a, next(s.version(a)))
			s.mu.Unlock()
			return s.truth(a, base), nil
		}
	}
	return Article{}, fmt.Errorf("%w: %q", ErrUnknownArticle, rawURL)
}

// setVersionLocked makes v the content variant of a, noting when: an
// edit is stamped with the wall clock (its dateModified and sitemap
// lastmod), as on a real outlet. The caller holds s.mu.
func (s *Site) setVersionLocked(a *art, v int) {
	s.versions[a] = v
	if v > 1 {
		if s.edited[a] == nil {
			s.edited[a] = map[int]time.Time{}
		}
		s.edited[a][v] = time.Now().In(Baku).Truncate(time.Second)
	}
}

// published returns when a was published: its seeded date, or with
// Config.LiveDates the moment Publish made it visible.
func (s *Site) published(a *art) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.publishedLocked(a)
}

func (s *Site) publishedLocked(a *art) time.Time {
	if t, ok := s.live[a]; ok {
		return t
	}
	return a.published
}

// version returns the current version of a; the caller holds s.mu.
func (s *Site) version(a *art) int {
	if v := s.versions[a]; v > 0 {
		return v
	}
	return 1
}

func (s *Site) versionOf(a *art) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.version(a)
}

// content is the rendered state of one article version.
type content struct {
	title    string
	paras    []string
	lead     string
	modified time.Time
	version  int
}

func (s *Site) content(a *art) content {
	v := s.versionOf(a)
	paras := s.paragraphs(a)
	if a.copyOf != nil {
		paras = s.copyParagraphs(a)
	}
	// The lead, unique per article, opens the body.
	paras[0] = a.lead + " " + paras[0]
	c := content{title: a.title, paras: paras, lead: a.lead, modified: s.published(a), version: v}
	if v > 1 {
		c.title += a.l.editTitle
		for k := 2; k <= v; k++ {
			c.paras = append(c.paras, fmt.Sprintf(a.l.editPara, k))
		}
		c.modified = s.modifiedAt(a, v)
	}
	return c
}

// paragraphs are the body paragraphs of an original article, before its
// lead is put in front.
func (s *Site) paragraphs(a *art) []string {
	r := rand.New(rand.NewPCG(a.seed, uint64(s.cfg.Seed)))
	name := a.l.person(r)
	n := 4 + r.IntN(4)
	used := map[string]bool{}
	var paras []string
	for p := 0; p < n; p++ {
		k := 2 + r.IntN(3)
		var ss []string
		for j := 0; j < k; j++ {
			x := a.l.sentence(r, name)
			for try := 0; try < 4 && used[x]; try++ {
				x = a.l.sentence(r, name)
			}
			used[x] = true
			ss = append(ss, x)
		}
		paras = append(paras, strings.Join(ss, " "))
	}
	return paras
}

// copyParagraphs are the body paragraphs of a copy, before its lead is
// put in front: its original's; a reprint (whose lead is the original's)
// adds a line naming the source, a rewrite (whose new lead comes before
// the original's) replaces about a
// quarter of the sentences, moves the second paragraph to the end and
// may drop the last one.
func (s *Site) copyParagraphs(a *art) []string {
	orig := a.copyOf
	paras := s.paragraphs(orig)
	if a.copyKind == CopyReprint { // the copy's lead is the original's
		return append(paras, orig.o.name)
	}
	paras[0] = orig.lead + " " + paras[0]
	r := rand.New(rand.NewPCG(a.seed, uint64(s.cfg.Seed)^0xc0b1))
	name := a.l.person(r)
	for i, p := range paras {
		ss := strings.SplitAfter(p, ". ")
		for j := range ss {
			if r.IntN(4) == 0 {
				ss[j] = a.l.sentence(r, name) + " "
			}
		}
		paras[i] = strings.TrimSpace(strings.Join(ss, ""))
	}
	if len(paras) > 3 {
		paras = append(append(paras[:1:1], paras[2:]...), paras[1])
		if r.IntN(2) == 0 {
			paras = paras[:len(paras)-1]
		}
	}
	return paras
}

func (s *Site) truth(a *art, base string) Article {
	c := s.content(a)
	ds := a.dateSource
	if s.faultsOf(a.o).Redesign {
		ds = article.DateSourceText
	}
	var copyOf string
	if a.copyOf != nil {
		copyOf = s.baseOf(a.copyOf.o, nil) + a.copyOf.path
	}
	return Article{
		CopyOf: copyOf, CopyKind: a.copyKind,
		Outlet: a.o.id, URL: base + a.path, Title: c.title, Lead: c.lead,
		Body: strings.Join(c.paras, "\n\n"), Authors: append([]string(nil), a.authors...),
		Section: a.sec.names[a.l.code], Tags: append([]string(nil), a.tags...), Language: a.l.code,
		PublishedAt: s.published(a), ModifiedAt: c.modified, DateSource: ds,
		Image: base + s.imagePath(a), Views: a.views, Version: c.version,
	}
}

// modifiedAt is when version v of a was made: when the edit was made (at
// least a second after publication), or for a version never made by an
// edit 97 minutes per version after publication.
func (s *Site) modifiedAt(a *art, v int) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.edited[a][v]; ok && v > 1 {
		if p := s.publishedLocked(a); !t.After(p) {
			return p.Add(time.Second)
		}
		return t
	}
	return s.publishedLocked(a).Add(time.Duration(v-1) * 97 * time.Minute)
}

func (s *Site) imagePath(a *art) string {
	p := s.published(a)
	return fmt.Sprintf("/uploads/%d/%02d/%d.jpg", p.Year(), p.Month(), a.num)
}

// fault decides, deterministically, whether this request fails.
func (s *Site) fault(o *outlet, r *http.Request) (Faults, bool) {
	key := o.id + " " + r.URL.Path
	s.mu.Lock()
	f := s.faults[o.id]
	if s.outage == o.id {
		f.Down, f.PathPrefix = true, ""
	}
	s.hits[key]++
	s.attempts[key+"?"+r.URL.RawQuery]++
	k := s.attempts[key+"?"+r.URL.RawQuery]
	s.mu.Unlock()
	if !strings.HasPrefix(r.URL.Path, f.PathPrefix) {
		return Faults{}, false
	}
	if f.Down {
		return f, true
	}
	return f, s.decide("error", key, r.URL.RawQuery, k, f.ErrorRate)
}

// decide draws, deterministically from the seed, the request (key, query,
// k-th attempt) and the kind of fault, whether a fault of the given rate
// strikes.
func (s *Site) decide(kind, key, query string, k int, rate float64) bool {
	if rate <= 0 {
		return false
	}
	h := fnv.New64a()
	if kind == "error" { // the original stream: fault patterns stay as they were
		fmt.Fprintf(h, "%d|%s|%s|%d", s.cfg.Seed, key, query, k)
	} else {
		fmt.Fprintf(h, "%d|%s|%s|%s|%d", s.cfg.Seed, kind, key, query, k)
	}
	x := float64(mix64(h.Sum64())>>11) / float64(1<<53)
	return x < rate
}

func (s *Site) faultsOf(o *outlet) Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults[o.id]
}

// attempt returns how many requests for r's path and query the outlet has
// received (r included).
func (s *Site) attempt(o *outlet, r *http.Request) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts[o.id+" "+r.URL.Path+"?"+r.URL.RawQuery]
}

// mix64 is the SplitMix64 finaliser: FNV alone leaves the high bits of
// similar keys correlated.
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
