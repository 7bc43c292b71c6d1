package crawler

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/newswatch/newswatch/article"
)

// SourceState is what the crawler remembers about one discovery document
// (a feed, sitemap or listing page) between passes, restarts and crawler
// processes, in the OutletStore under "src.<hash of its URL>": its
// validators for conditional GETs, the items it showed that are not
// finished yet (fetched again when the document answers 304), and for the
// sources polled on their own (configured feeds, sitemaps and listings)
// the adaptive poll interval.
type SourceState struct {
	URL string `json:"url"`
	// ETag and LastModified are the validators of the last 200.
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	// Cutoff is the date before which entries were left out when the
	// state was saved (zero: none). A pass that wants older entries
	// fetches the document in full.
	Cutoff time.Time `json:"cutoff,omitzero"`
	// Fetched is the last answer (200 or 304); Changed the last one that
	// showed new articles.
	Fetched time.Time `json:"fetched,omitzero"`
	Changed time.Time `json:"changed,omitzero"`
	// Items is how many entries the last 200 held.
	Items int `json:"items"`
	// Pending are entries not finished (not fetched yet, or failed):
	// retried when the document answers 304. Incomplete says more were
	// pending than kept, so the next fetch is unconditional.
	Pending    []PendingItem `json:"pending,omitempty"`
	Incomplete bool          `json:"incomplete,omitempty"`
	// Next are the further pages of a listing page, followed again by a
	// backfill when the page answers 304.
	Next []string `json:"next,omitempty"`
	// Listed is, for a child sitemap, the lastmod its index gave when it
	// was fetched: the same lastmod again means nothing changed.
	Listed string `json:"listed,omitempty"`
	// Interval and Due are the poll schedule of a source polled on its
	// own.
	Interval time.Duration `json:"interval,omitempty"`
	Due      time.Time     `json:"due,omitzero"`
}

// PendingItem is an entry of a document that is not finished yet.
type PendingItem struct {
	URL       string    `json:"url"`
	Published time.Time `json:"published,omitzero"`
	Modified  time.Time `json:"modified,omitzero"`
	Trusted   bool      `json:"trusted,omitempty"`
	// Tries are the failed fetches so far: the next waits the outlet's
	// longest poll interval doubled per failure.
	Tries int `json:"tries,omitempty"`
}

// Bounds of the remembered state.
const (
	// maxPending bounds the pending entries kept per document (a record
	// stays well under NATS's 1 MiB message limit).
	maxPending = 2000
	// maxRechecks bounds the recheck schedule of an outlet.
	maxRechecks = 20_000
)

// sourceName is the OutletStore name of a document's state.
func sourceName(rawURL string) string {
	key := rawURL
	if c, err := article.Canonicalize(rawURL); err == nil {
		key = c
	}
	h := sha256.Sum256([]byte(key))
	return "src." + hex.EncodeToString(h[:16])
}

// usable reports whether a state saved with cutoff from may answer for a
// pass with cutoff to: it left out nothing the pass wants.
func usable(from, to time.Time) bool {
	return from.IsZero() || (!to.IsZero() && !from.After(to))
}

// ArchiveURL fills an archive template with day.
func ArchiveURL(template string, day time.Time) string {
	return strings.NewReplacer("{yyyy}", day.Format("2006"), "{mm}", day.Format("01"), "{dd}", day.Format("02")).Replace(template)
}

// recheck is an article on the edit-recheck schedule.
type recheck struct {
	URL       string    `json:"url"` // canonical URL
	FirstSeen time.Time `json:"first_seen"`
	Checks    int       `json:"checks"`
}

// due is when r is next due under the schedule ages, and whether it is
// due at all any more.
func (r recheck) due(ages []time.Duration) (time.Time, bool) {
	if r.Checks >= len(ages) {
		return time.Time{}, false
	}
	return r.FirstSeen.Add(ages[r.Checks]), true
}

// source is a document polled on its own schedule.
type source struct {
	url  string
	kind string
}

// sources returns the outlet's sources polled on their own: configured
// feeds, sitemaps and listings, and the sitemaps robots.txt names.
func (o *outlet) sources() []source {
	var out []source
	seen := map[string]bool{}
	add := func(kind, u string) {
		if !seen[u] {
			seen[u] = true
			out = append(out, source{url: u, kind: kind})
		}
	}
	for _, f := range o.cfg.Feeds {
		add(kindFeed, f)
	}
	for _, s := range o.cfg.Sitemaps {
		add(kindSitemap, s)
	}
	if o.cfg.RobotsSitemaps {
		for _, e := range o.robots.all() {
			for _, s := range e.sitemapList() {
				if u, err := parseHTTPURL(s); err == nil && o.hosts.allows(u) {
					add(kindSitemap, u.String())
				}
			}
		}
	}
	for _, l := range o.cfg.Listings {
		add(kindListing, l)
	}
	return out
}

// schedule is the monitor's view of an outlet: when each source is due,
// and the recheck schedule. It lives in the outlet and is kept in the
// OutletStore.
type schedule struct {
	loaded   bool
	due      map[string]time.Time     // source URL -> next poll
	interval map[string]time.Duration // source URL -> current interval
	rechecks []recheck
	dirty    bool // rechecks changed since saved
}

// loadSchedule reads the outlet's schedule from the store once.
func (c *Crawler) loadSchedule(ctx context.Context, o *outlet) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.sched.loaded {
		return
	}
	o.sched = schedule{loaded: true, due: map[string]time.Time{}, interval: map[string]time.Duration{}}
	var rs []recheck
	if err := c.store.Load(ctx, o.cfg.ID, "rechecks", &rs); err != nil && !errors.Is(err, ErrNoRecord) {
		o.log.Warn("recheck schedule not loaded; articles found before are not rechecked", zap.Error(err))
	}
	o.sched.rechecks = rs
	var m healthMemory
	if err := c.store.Load(ctx, o.cfg.ID, "memory", &m); err == nil {
		o.health.Restore(m.Health)
	}
	for _, s := range o.sources() {
		var st SourceState
		if err := c.store.Load(ctx, o.cfg.ID, sourceName(s.url), &st); err == nil {
			o.sched.due[s.url], o.sched.interval[s.url] = st.Due, st.Interval
		}
	}
}

// dueSources returns the sources due by now (or within slack), and the
// rechecks due by now.
func (o *outlet) dueWork(now time.Time, slack time.Duration) ([]source, []recheck) {
	var srcs []source
	all := o.sources()
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, s := range all {
		if d := o.sched.due[s.url]; d.IsZero() || !d.After(now.Add(slack)) {
			srcs = append(srcs, s)
		}
	}
	var rs []recheck
	for _, r := range o.sched.rechecks {
		if d, ok := r.due(o.cfg.Poll.Recheck); ok && !d.After(now) {
			rs = append(rs, r)
		}
	}
	return srcs, rs
}

// unscheduled reports whether a source has never been polled by Run.
func (o *outlet) unscheduled(u string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.sched.due[u].IsZero()
}

// nextWake is when the outlet next has work: the earliest source or
// recheck due, at most maxWait from now.
func (o *outlet) nextWake(now time.Time, maxWait time.Duration) time.Time {
	next := now.Add(maxWait)
	all := o.sources()
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, s := range all {
		d := o.sched.due[s.url]
		if d.IsZero() {
			return now
		}
		if d.Before(next) {
			next = d
		}
	}
	for _, r := range o.sched.rechecks {
		if d, ok := r.due(o.cfg.Poll.Recheck); ok && d.Before(next) {
			next = d
		}
	}
	return next
}

// reschedule sets the next poll of a source after a poll at now: the
// interval halves when the source showed new articles, doubles when it
// failed, and grows by a quarter otherwise; it stays within the outlet's
// bounds and under half the median publishing interval, with 10% jitter.
func (o *outlet) reschedule(st *SourceState, now time.Time, changed, failed bool, maxInterval time.Duration) {
	lo, hi := o.cfg.Poll.MinInterval, o.cfg.Poll.MaxInterval
	if hi == 0 {
		hi = maxInterval
	}
	hi = max(hi, lo)
	iv := st.Interval
	if iv <= 0 {
		iv = lo
	}
	switch {
	case failed:
		iv *= 2
	case changed:
		iv /= 2
	default:
		iv += iv / 4
	}
	if pi := o.health.PublishingInterval(); pi > 0 {
		iv = min(iv, pi/2)
	}
	iv = min(max(iv, lo), hi)
	st.Interval = iv
	jitter := time.Duration(0)
	if iv >= 10 {
		jitter = time.Duration(rand.Int64N(int64(iv)/5)) - iv/10
	}
	st.Due = now.Add(iv + jitter)
	o.mu.Lock()
	if o.sched.due != nil {
		o.sched.due[st.URL], o.sched.interval[st.URL] = st.Due, st.Interval
	}
	o.mu.Unlock()
}

// updateRechecks applies a pass's outcome to the recheck schedule: checks
// done, new articles joining it (those published within the last recheck
// age), entries past the schedule dropped.
func (o *outlet) updateRechecks(done map[string]bool, added []recheck) {
	ages := o.cfg.Poll.Recheck
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(done) == 0 && len(added) == 0 {
		return
	}
	var kept []recheck
	have := map[string]bool{}
	for _, r := range o.sched.rechecks {
		if done[r.URL] {
			r.Checks++
		}
		if _, ok := r.due(ages); ok && !have[r.URL] {
			kept = append(kept, r)
			have[r.URL] = true
		}
	}
	for _, r := range added {
		if _, ok := r.due(ages); ok && !have[r.URL] {
			kept = append(kept, r)
			have[r.URL] = true
		}
	}
	sort.SliceStable(kept, func(i, j int) bool { return kept[i].FirstSeen.Before(kept[j].FirstSeen) })
	if len(kept) > maxRechecks {
		kept = kept[len(kept)-maxRechecks:]
	}
	o.sched.rechecks = kept
	o.sched.dirty = true
}

// saveRechecks stores the recheck schedule if it changed.
func (c *Crawler) saveRechecks(ctx context.Context, o *outlet) {
	o.mu.Lock()
	if !o.sched.dirty {
		o.mu.Unlock()
		return
	}
	rs := append([]recheck(nil), o.sched.rechecks...)
	o.sched.dirty = false
	o.mu.Unlock()
	if err := c.store.Save(ctx, o.cfg.ID, "rechecks", rs); err != nil {
		o.log.Warn("recheck schedule not saved", zap.Error(err))
		o.mu.Lock()
		o.sched.dirty = true
		o.mu.Unlock()
	}
}
