// Package health judges how each watched outlet is doing from what the
// crawler sees: every HTTP request and its outcome, every article found or
// updated, how well each article page extracted, and the home page from
// poll to poll. A Tracker per outlet turns these observations into an
// Outlet record (last success, last new article, error rate, median
// publishing interval) with a status:
//
//   - down: the latest requests (DownAfter of them, default 3) all failed
//     with network errors, timeouts, 429 or 5xx, and none succeeded since;
//   - defaced: the home page was replaced wholesale (its links share almost
//     nothing with its recent versions, and it links to few articles);
//   - layout-changed: extraction suddenly misses what it used to find (most
//     recent pages lack the structured date, or the body, that nearly every
//     earlier page had);
//   - degraded: requests fail at DegradedErrorRate or more over the window,
//     or feeds, sitemaps or robots.txt could not be read;
//   - up: none of these.
//
// Each change of status is an Event (the crawler publishes them on
// outlets.events.<outlet>). A Tracker's Memory (home page history,
// extraction quality, publication times) can be saved and restored, so
// that a crawler taking over an outlet judges it as its predecessor did.
package health

import (
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Status is an outlet's health status.
type Status string

// Statuses, from best to worst as the crawler judges them.
const (
	Up            Status = "up"
	Degraded      Status = "degraded"
	LayoutChanged Status = "layout-changed"
	Defaced       Status = "defaced"
	Down          Status = "down"
)

// Statuses lists every status.
var Statuses = []Status{Up, Degraded, LayoutChanged, Defaced, Down}

// Outlet is the health record of one outlet, as GET /v1/outlets serves it.
type Outlet struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	// Status is the current status; StatusSince when it began; Reason says
	// why, in a sentence.
	Status      Status    `json:"status"`
	StatusSince time.Time `json:"status_since"`
	Reason      string    `json:"reason,omitempty"`
	// LastSuccess is the last successful fetch (2xx or 304).
	LastSuccess *time.Time `json:"last_success,omitempty"`
	// LastNewArticle is when the crawler last found an article it had not
	// seen before.
	LastNewArticle *time.Time `json:"last_new_article,omitempty"`
	// WindowSeconds is the span the counts below cover.
	WindowSeconds float64 `json:"window_seconds"`
	// Requests and Errors in the window; ErrorRate is Errors/Requests.
	Requests  int     `json:"requests"`
	Errors    int     `json:"errors"`
	ErrorRate float64 `json:"error_rate"`
	// ErrorsByKind counts the failed requests of the window by kind
	// (network, timeout, http_5xx, rate_limited, too_large, redirect,
	// http_4xx).
	ErrorsByKind map[string]int `json:"errors_by_kind,omitempty"`
	// Problems counts other trouble seen in the window by kind: feed,
	// sitemap (documents that could not be parsed), feed_missing,
	// sitemap_missing, listing_missing (configured ones answering 4xx),
	// robots_unavailable, listing_limit (pagination cut at its limit),
	// sitemap_limit, article_limit, redirect (redirect loops or redirects
	// off the outlet), session_ids (links carrying session IDs, which the
	// crawler drops), extract.
	Problems map[string]int `json:"problems,omitempty"`
	// ArticlesNew and ArticlesUpdated found in the window.
	ArticlesNew     int `json:"articles_new"`
	ArticlesUpdated int `json:"articles_updated"`
	// PublishingIntervalSeconds is the median gap between the publication
	// times of the outlet's recent new articles.
	PublishingIntervalSeconds float64 `json:"publishing_interval_seconds,omitempty"`
	// MedianLatencySeconds is the median time of the window's requests.
	MedianLatencySeconds float64 `json:"median_latency_seconds,omitempty"`
	// Crawler names the crawler process that watches the outlet.
	Crawler string `json:"crawler,omitempty"`
	// UpdatedAt is when this record was computed.
	UpdatedAt time.Time `json:"updated_at"`
}

// Event is a change of an outlet's status.
type Event struct {
	Outlet string    `json:"outlet"`
	From   Status    `json:"from"`
	To     Status    `json:"to"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// Defaults of Config.
const (
	DefaultWindow            = 15 * time.Minute
	DefaultDownAfter         = 3
	DefaultDegradedErrorRate = 0.2
	DefaultMinRequests       = 5
)

// ErrConfig is wrapped by Config.Validate errors.
var ErrConfig = errors.New("invalid health config")

// Config tunes the judgement. The zero value gives the defaults.
type Config struct {
	// Window is the span error rates, problems and article counts cover
	// (default 15m).
	Window time.Duration
	// DownAfter is how many failed requests in a row, with no success
	// since, make an outlet down (default 3).
	DownAfter int
	// DegradedErrorRate is the share of failed requests in the window that
	// makes an outlet degraded (default 0.2), once it has MinRequests
	// requests (default 5).
	DegradedErrorRate float64
	MinRequests       int
}

// Validate reports a config that cannot be used.
func (c Config) Validate() error {
	if c.Window < 0 || c.DownAfter < 0 || c.MinRequests < 0 || c.DegradedErrorRate < 0 || c.DegradedErrorRate > 1 {
		return fmt.Errorf("%w: negative window or counts, or error rate outside [0,1]", ErrConfig)
	}
	return nil
}

func (c *Config) setDefaults() {
	if c.Window == 0 {
		c.Window = DefaultWindow
	}
	if c.DownAfter == 0 {
		c.DownAfter = DefaultDownAfter
	}
	if c.DegradedErrorRate == 0 {
		c.DegradedErrorRate = DefaultDegradedErrorRate
	}
	if c.MinRequests == 0 {
		c.MinRequests = DefaultMinRequests
	}
}

// Sizes of the remembered history.
const (
	maxRequests  = 20_000 // requests kept for the window
	maxPubTimes  = 64     // publication times for the publishing interval
	maxQuality   = 30     // extraction samples
	recentSample = 8      // of which the latest form the "recent" group
	maxHome      = 6      // home page versions compared with
)

type reqObs struct {
	at       time.Time
	failKind string // "" for a success
	latency  time.Duration
}

type timedKind struct {
	at   time.Time
	kind string
}

// Memory is what a Tracker carries over a restart or a takeover.
type Memory struct {
	Status      Status      `json:"status"`
	StatusSince time.Time   `json:"status_since"`
	Reason      string      `json:"reason,omitempty"`
	LastSuccess time.Time   `json:"last_success,omitempty"`
	LastNew     time.Time   `json:"last_new,omitempty"`
	PubTimes    []time.Time `json:"pub_times,omitempty"`
	// Quality holds extraction samples, oldest first: "d" structured date
	// and body, "b" body only, "-" neither (no article found).
	Quality []string `json:"quality,omitempty"`
	// Home holds the link fingerprints of recent normal home pages and
	// HomeArticles how many article links each had.
	Home         [][]uint64 `json:"home,omitempty"`
	HomeArticles []int      `json:"home_articles,omitempty"`
	Defaced      bool       `json:"defaced,omitempty"`
}

// Tracker judges one outlet. It is safe for concurrent use.
type Tracker struct {
	cfg      Config
	id, name string
	onChange func(Event)

	mu          sync.Mutex
	reqs        []reqObs
	problems    []timedKind
	arts        []timedKind // "new" or "updated"
	failStreak  int
	lastFail    string
	lastSuccess time.Time
	lastNew     time.Time
	pubTimes    []time.Time
	quality     []string
	home        [][]uint64
	homeArts    []int
	defaced     bool
	status      Status
	since       time.Time
	reason      string
}

// NewTracker returns a Tracker for outlet id (name is its human name);
// onChange, if set, is called with every change of status, outside the
// tracker's lock.
func NewTracker(cfg Config, id, name string, onChange func(Event)) (*Tracker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	return &Tracker{cfg: cfg, id: id, name: name, onChange: onChange, status: Up, since: time.Now()}, nil
}

// Request records one HTTP request that ended at at: failKind is "" for a
// success (2xx, 304, or a 4xx that is the page's own answer) and the kind
// of failure otherwise (Failures says which count toward down).
func (t *Tracker) Request(at time.Time, failKind string, latency time.Duration) {
	t.mu.Lock()
	t.reqs = append(t.reqs, reqObs{at: at, failKind: failKind, latency: latency})
	if len(t.reqs) > maxRequests {
		t.reqs = slices.Delete(t.reqs, 0, len(t.reqs)-maxRequests)
	}
	switch {
	case failKind == "":
		t.failStreak = 0
		if at.After(t.lastSuccess) {
			t.lastSuccess = at
		}
	case outage[failKind]:
		t.failStreak++
		t.lastFail = failKind
	}
	t.mu.Unlock()
	t.evaluate(at)
}

// outage are the failure kinds that say the outlet itself is unwell (as
// opposed to one page being too large or gone).
var outage = map[string]bool{"network": true, "timeout": true, "reset": true, "http_5xx": true, "rate_limited": true}

// Problem records trouble other than a failed request (a feed that does
// not parse, pagination cut at its limit, robots.txt unavailable).
func (t *Tracker) Problem(at time.Time, kind string) {
	t.mu.Lock()
	t.problems = append(t.problems, timedKind{at: at, kind: kind})
	if len(t.problems) > maxRequests {
		t.problems = slices.Delete(t.problems, 0, len(t.problems)-maxRequests)
	}
	t.mu.Unlock()
	t.evaluate(at)
}

// Article records an article published at at: a new one (with its
// publication time, if known) or a new version of a known one.
func (t *Tracker) Article(at time.Time, isNew bool, published *time.Time) {
	t.mu.Lock()
	kind := "updated"
	if isNew {
		kind = "new"
		if at.After(t.lastNew) {
			t.lastNew = at
		}
		if published != nil {
			i := sort.Search(len(t.pubTimes), func(i int) bool { return !t.pubTimes[i].Before(*published) })
			if i >= len(t.pubTimes) || !t.pubTimes[i].Equal(*published) {
				t.pubTimes = slices.Insert(t.pubTimes, i, *published)
			}
			if len(t.pubTimes) > maxPubTimes {
				t.pubTimes = slices.Delete(t.pubTimes, 0, len(t.pubTimes)-maxPubTimes)
			}
		}
	}
	t.arts = append(t.arts, timedKind{at: at, kind: kind})
	if len(t.arts) > maxRequests {
		t.arts = slices.Delete(t.arts, 0, len(t.arts)-maxRequests)
	}
	t.mu.Unlock()
	t.evaluate(at)
}

// Extraction records how an article page the outlet's own feed or sitemap
// pointed at extracted: whether it had a body (an article was found) and
// whether its date came from structured data (JSON-LD, meta tags, <time>).
func (t *Tracker) Extraction(at time.Time, body, structuredDate bool) {
	q := "-"
	switch {
	case body && structuredDate:
		q = "d"
	case body:
		q = "b"
	}
	t.mu.Lock()
	t.quality = append(t.quality, q)
	if len(t.quality) > maxQuality {
		t.quality = slices.Delete(t.quality, 0, len(t.quality)-maxQuality)
	}
	t.mu.Unlock()
	t.evaluate(at)
}

// Home records a fetch of the home page: the links on it (absolute URLs)
// and how many of them are article links. A page that shares almost none
// of its links with the recent versions and has few article links is
// taken as defaced; otherwise it joins the history (a legitimate redesign
// keeps linking to articles).
func (t *Tracker) Home(at time.Time, links []string, articleLinks int) {
	fp := fingerprint(links)
	t.mu.Lock()
	switch {
	case len(t.home) == 0:
		t.addHome(fp, articleLinks)
	default:
		best := 0.0
		for _, h := range t.home {
			best = max(best, jaccard(fp, h))
		}
		usual := median(t.homeArts)
		switch {
		case best >= 0.25:
			t.addHome(fp, articleLinks)
			t.defaced = false
		case float64(articleLinks) < max(1, 0.3*usual):
			t.defaced = true
		default:
			t.addHome(fp, articleLinks)
			t.defaced = false
		}
	}
	t.mu.Unlock()
	t.evaluate(at)
}

func (t *Tracker) addHome(fp []uint64, arts int) {
	t.home = append(t.home, fp)
	t.homeArts = append(t.homeArts, arts)
	if len(t.home) > maxHome {
		t.home, t.homeArts = t.home[1:], t.homeArts[1:]
	}
}

// fingerprint is the sorted set of hashes of the links (fragments and
// queries dropped, so session IDs and tracking do not count).
func fingerprint(links []string) []uint64 {
	set := map[uint64]bool{}
	for _, l := range links {
		if i := strings.IndexAny(l, "?#"); i >= 0 {
			l = l[:i]
		}
		h := fnv.New64a()
		h.Write([]byte(strings.TrimSuffix(l, "/")))
		set[h.Sum64()] = true
	}
	out := make([]uint64, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func jaccard(a, b []uint64) float64 {
	if len(a) == 0 && len(b) == 0 {
		return 1
	}
	i, j, common := 0, 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			common++
			i++
			j++
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	return float64(common) / float64(len(a)+len(b)-common)
}

func median(xs []int) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return float64(s[len(s)/2])
	}
	return float64(s[len(s)/2-1]+s[len(s)/2]) / 2
}

// layoutChange reports whether extraction suddenly misses what it found
// before, and what; the caller holds t.mu.
func (t *Tracker) layoutChange() (bool, string) {
	if len(t.quality) < recentSample+10 {
		return false, ""
	}
	base, recent := t.quality[:len(t.quality)-recentSample], t.quality[len(t.quality)-recentSample:]
	ratio := func(qs []string, ok func(string) bool) float64 {
		n := 0
		for _, q := range qs {
			if ok(q) {
				n++
			}
		}
		return float64(n) / float64(len(qs))
	}
	hasBody := func(q string) bool { return q != "-" }
	hasDate := func(q string) bool { return q == "d" }
	if ratio(base, hasBody) >= 0.8 && ratio(recent, hasBody) <= 0.25 {
		return true, fmt.Sprintf("no article text found on %.0f%% of the latest pages (was %.0f%%)", 100*(1-ratio(recent, hasBody)), 100*(1-ratio(base, hasBody)))
	}
	if ratio(base, hasDate) >= 0.8 && ratio(recent, hasDate) <= 0.25 {
		return true, fmt.Sprintf("structured dates missing on %.0f%% of the latest pages (was %.0f%%)", 100*(1-ratio(recent, hasDate)), 100*(1-ratio(base, hasDate)))
	}
	return false, ""
}

// seriousProblems are problems that make an outlet degraded on their own,
// with what the reason says of them.
var seriousProblems = map[string]string{
	"feed":               "a feed could not be read",
	"sitemap":            "a sitemap could not be read",
	"robots_unavailable": "robots.txt could not be read",
	// The bus: articles are kept, not lost, but they wait.
	"stream_full":    "the article stream was full: articles wait to be published",
	"publish_slowed": "publishing was slowed down: the article stream nears its limits",
}

// judge computes the status at now; the caller holds t.mu.
func (t *Tracker) judge(now time.Time) (Status, string) {
	if t.failStreak >= t.cfg.DownAfter {
		return Down, fmt.Sprintf("the last %d requests failed (%s), none succeeded since", t.failStreak, t.lastFail)
	}
	if t.defaced {
		return Defaced, "the home page was replaced: it shares almost none of its links with its recent versions"
	}
	if ok, why := t.layoutChange(); ok {
		return LayoutChanged, why
	}
	cut := now.Add(-t.cfg.Window)
	n, fails := 0, 0
	for _, r := range t.reqs {
		if !r.at.Before(cut) {
			n++
			if r.failKind != "" {
				fails++
			}
		}
	}
	if n >= t.cfg.MinRequests && float64(fails) >= t.cfg.DegradedErrorRate*float64(n) {
		return Degraded, fmt.Sprintf("%d of %d requests failed in the last %v", fails, n, t.cfg.Window)
	}
	for _, p := range t.problems {
		if why, ok := seriousProblems[p.kind]; ok && !p.at.Before(cut) {
			return Degraded, fmt.Sprintf("%s in the last %v", why, t.cfg.Window)
		}
	}
	return Up, ""
}

// evaluate updates the status and reports a change.
func (t *Tracker) evaluate(now time.Time) {
	t.mu.Lock()
	st, why := t.judge(now)
	var ev *Event
	if st != t.status {
		ev = &Event{Outlet: t.id, From: t.status, To: st, Reason: why, At: now}
		t.status, t.since = st, now
	}
	t.reason = why
	t.mu.Unlock()
	if ev != nil && t.onChange != nil {
		t.onChange(*ev)
	}
}

// Snapshot returns the outlet's record at now (pruning what fell out of
// the window).
func (t *Tracker) Snapshot(now time.Time) Outlet {
	t.evaluate(now)
	t.mu.Lock()
	defer t.mu.Unlock()
	cut := now.Add(-t.cfg.Window)
	t.reqs = dropBefore(t.reqs, cut, func(r reqObs) time.Time { return r.at })
	t.problems = dropBefore(t.problems, cut, func(p timedKind) time.Time { return p.at })
	t.arts = dropBefore(t.arts, cut, func(p timedKind) time.Time { return p.at })
	o := Outlet{ID: t.id, Name: t.name, Status: t.status, StatusSince: t.since, Reason: t.reason,
		WindowSeconds: t.cfg.Window.Seconds(), UpdatedAt: now}
	if !t.lastSuccess.IsZero() {
		ls := t.lastSuccess
		o.LastSuccess = &ls
	}
	if !t.lastNew.IsZero() {
		ln := t.lastNew
		o.LastNewArticle = &ln
	}
	var lat []time.Duration
	for _, r := range t.reqs {
		o.Requests++
		lat = append(lat, r.latency)
		if r.failKind != "" {
			o.Errors++
			if o.ErrorsByKind == nil {
				o.ErrorsByKind = map[string]int{}
			}
			o.ErrorsByKind[r.failKind]++
		}
	}
	if o.Requests > 0 {
		o.ErrorRate = float64(o.Errors) / float64(o.Requests)
		slices.Sort(lat)
		o.MedianLatencySeconds = lat[len(lat)/2].Seconds()
	}
	for _, p := range t.problems {
		if o.Problems == nil {
			o.Problems = map[string]int{}
		}
		o.Problems[p.kind]++
	}
	for _, a := range t.arts {
		if a.kind == "new" {
			o.ArticlesNew++
		} else {
			o.ArticlesUpdated++
		}
	}
	if len(t.pubTimes) >= 3 {
		gaps := make([]int, 0, len(t.pubTimes)-1)
		for i := 1; i < len(t.pubTimes); i++ {
			gaps = append(gaps, int(t.pubTimes[i].Sub(t.pubTimes[i-1])/time.Millisecond))
		}
		o.PublishingIntervalSeconds = median(gaps) / 1000
	}
	return o
}

func dropBefore[T any](xs []T, cut time.Time, at func(T) time.Time) []T {
	i := 0
	for i < len(xs) && at(xs[i]).Before(cut) {
		i++
	}
	if i == 0 {
		return xs
	}
	return slices.Delete(xs, 0, i)
}

// PublishingInterval is the median gap between recent publications, or 0
// while fewer than three are known.
func (t *Tracker) PublishingInterval() time.Duration {
	return time.Duration(t.Snapshot(time.Now()).PublishingIntervalSeconds * float64(time.Second))
}

// Memory returns what the tracker carries over a restart.
func (t *Tracker) Memory() Memory {
	t.mu.Lock()
	defer t.mu.Unlock()
	m := Memory{Status: t.status, StatusSince: t.since, Reason: t.reason, LastSuccess: t.lastSuccess, LastNew: t.lastNew,
		PubTimes: slices.Clone(t.pubTimes), Quality: slices.Clone(t.quality), HomeArticles: slices.Clone(t.homeArts), Defaced: t.defaced}
	for _, h := range t.home {
		m.Home = append(m.Home, slices.Clone(h))
	}
	return m
}

// Restore takes over a Memory saved by an earlier tracker of the outlet.
func (t *Tracker) Restore(m Memory) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if m.Status != "" {
		t.status, t.since, t.reason = m.Status, m.StatusSince, m.Reason
	}
	t.lastSuccess, t.lastNew, t.defaced = m.LastSuccess, m.LastNew, m.Defaced
	t.pubTimes = slices.Clone(m.PubTimes)
	t.quality = slices.Clone(m.Quality)
	t.home, t.homeArts = nil, nil
	for i, h := range m.Home {
		if i < len(m.HomeArticles) {
			t.home = append(t.home, slices.Clone(h))
			t.homeArts = append(t.homeArts, m.HomeArticles[i])
		}
	}
	if t.status == Down {
		// A down outlet stays down until one of its requests succeeds.
		t.failStreak = t.cfg.DownAfter
	}
}
