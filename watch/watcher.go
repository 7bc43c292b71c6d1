package watch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/bus"
	"github.com/newswatch/newswatch/crawler/health"
	"github.com/newswatch/newswatch/internal/backoff"
	"github.com/newswatch/newswatch/internal/netguard"
	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/match"
	"github.com/newswatch/newswatch/story"
)

// Defaults of Config.
const (
	DefaultAckWait       = 30 * time.Second
	DefaultGapTick       = 2 * time.Second
	DefaultEditLookup    = 15 * time.Second
	DefaultEditWorkers   = 8
	DefaultHookTimeout   = 10 * time.Second
	DefaultHookAttempts  = 8
	DefaultHookWorkers   = 8
	DefaultHookRedirects = 3
)

// DefaultHookBackoff spaces webhook retries: 2 s doubling to 10 min, with
// jitter (8 attempts take about 4 minutes).
var DefaultHookBackoff = backoff.Policy{Initial: 2 * time.Second, Max: 10 * time.Minute, Jitter: 0.2}

// Config configures a Watcher. The zero value gives the defaults.
type Config struct {
	// AckWait is how long a message may be in the watcher's hands before
	// the server delivers it again (default 30s).
	AckWait time.Duration
	// GapTick is how often due coverage-gap checks are run (default 2s).
	GapTick time.Duration
	// EditLookup is how long the watcher waits for the store to hold the
	// earlier version of an edited article (default 15s); after it, the
	// edit event says the earlier version is unknown.
	EditLookup time.Duration
	// EditWorkers bounds the edits handled at once (default 8).
	EditWorkers int
	// Webhook configures the deliveries.
	Webhook HookConfig
}

// HookConfig configures webhook delivery.
type HookConfig struct {
	// Targets is the address policy of webhook targets: netguard.Public
	// (the default: loopback, private and link-local addresses refused,
	// redirects included), netguard.Any, or netguard.Local.
	Targets netguard.Policy
	// Timeout bounds one delivery attempt (default 10s).
	Timeout time.Duration
	// Attempts is how many times an event is delivered before it goes to
	// WATCH_DEAD (default 8).
	Attempts int
	// Backoff spaces the attempts (default DefaultHookBackoff).
	Backoff backoff.Policy
	// Workers bounds the deliveries in flight (default 8).
	Workers int
	// Redirects is how many redirects a delivery follows (default 3).
	Redirects int
}

func (c *Config) setDefaults() {
	if c.AckWait == 0 {
		c.AckWait = DefaultAckWait
	}
	if c.GapTick == 0 {
		c.GapTick = DefaultGapTick
	}
	if c.EditLookup == 0 {
		c.EditLookup = DefaultEditLookup
	}
	if c.EditWorkers == 0 {
		c.EditWorkers = DefaultEditWorkers
	}
	h := &c.Webhook
	if h.Targets == "" {
		h.Targets = netguard.Public
	}
	if h.Timeout == 0 {
		h.Timeout = DefaultHookTimeout
	}
	if h.Attempts == 0 {
		h.Attempts = DefaultHookAttempts
	}
	if h.Backoff == (backoff.Policy{}) {
		h.Backoff = DefaultHookBackoff
	}
	if h.Workers == 0 {
		h.Workers = DefaultHookWorkers
	}
	if h.Redirects == 0 {
		h.Redirects = DefaultHookRedirects
	}
}

// Validate reports a config that cannot be used.
func (c Config) Validate() error {
	h := c.Webhook
	if c.AckWait < 0 || c.GapTick < 0 || c.EditLookup < 0 || c.EditWorkers < 0 || h.Timeout < 0 || h.Attempts < 0 || h.Workers < 0 || h.Redirects < 0 {
		return errors.New("watch config: negative durations or counts")
	}
	return h.Targets.Validate()
}

// Versions gives the watcher the earlier versions of an edited article:
// the search store (its Get). It is read only for edits.
type Versions interface {
	Get(ctx context.Context, id string) (*store.Record, error)
}

// compiled is a watch with its matchers.
type compiled struct {
	w   Watch
	m   *match.Matcher
	gap *match.Matcher // the query and filters but the outlets, for competitors' stories
}

// Watcher matches the watches against new articles, versions and outlet
// events, runs the coverage-gap checks and delivers webhooks.
type Watcher struct {
	cfg      Config
	conn     *bus.Conn
	js       jetstream.JetStream
	stories  *story.Assigner
	versions Versions
	log      *zap.Logger
	pending  jetstream.KeyValue
	hooks    *hookSender

	mu      sync.RWMutex
	watches map[string]*compiled
	gaps    map[string]gapCheck // pending key -> check

	matched, events, failed counter
}

type counter struct {
	mu sync.Mutex
	n  int64
}

func (c *counter) add(n int64) {
	c.mu.Lock()
	c.n += n
	c.mu.Unlock()
}

func (c *counter) get() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// gapCheck is a scheduled coverage-gap check, kept in watch_pending.
type gapCheck struct {
	Watch string    `json:"watch"`
	Story string    `json:"story"`
	Due   time.Time `json:"due"`
	rev   uint64
}

// New returns a watcher on conn. stories follows the story assignments
// (the crawlers make them); versions is the store, for edits.
func New(cfg Config, conn *bus.Conn, stories *story.Assigner, versions Versions, log *zap.Logger) (*Watcher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	if conn == nil || stories == nil || versions == nil {
		return nil, errors.New("watch: a bus connection, the stories and the store are required")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pending, err := conn.WatchPending(ctx)
	if err != nil {
		return nil, fmt.Errorf("watch: %w", err)
	}
	w := &Watcher{cfg: cfg, conn: conn, js: conn.JetStream(), stories: stories, versions: versions, log: log.Named("watcher"),
		pending: pending, watches: map[string]*compiled{}, gaps: map[string]gapCheck{}}
	w.hooks = newHookSender(cfg.Webhook, w.js, w.watch, w.log)
	return w, nil
}

// Stats are the watcher's counts since it started.
type Stats struct {
	Watches  int   // watches followed
	Matched  int64 // articles or versions that matched at least one watch
	Events   int64 // events published
	Failures int64 // events that could not be published (retried)
}

// Stats returns the watcher's counts.
func (w *Watcher) Stats() Stats {
	w.mu.RLock()
	n := len(w.watches)
	w.mu.RUnlock()
	return Stats{Watches: n, Matched: w.matched.get(), Events: w.events.get(), Failures: w.failed.get()}
}

// Run follows the watches, consumes articles and outlet events, runs the
// gap checks and delivers webhooks until ctx is done; it returns ctx's
// error then, or at once a failure to set up (a bucket or consumer that
// cannot be reached).
func (w *Watcher) Run(ctx context.Context) error {
	wkv, err := w.conn.Watches(ctx)
	if err != nil {
		return fmt.Errorf("watch: %w", err)
	}
	if _, err := bus.FollowKV(ctx, wkv, w.applyWatch); err != nil {
		return fmt.Errorf("watch: %w", err)
	}
	if _, err := bus.FollowKV(ctx, w.pending, w.applyPending); err != nil {
		return fmt.Errorf("watch: %w", err)
	}
	arts, err := w.js.CreateOrUpdateConsumer(ctx, bus.StreamArticles, bus.WatcherConsumer(bus.StreamArticles, w.cfg.AckWait))
	if err != nil {
		return fmt.Errorf("watch: consumer on %s: %w", bus.StreamArticles, err)
	}
	outs, err := w.js.CreateOrUpdateConsumer(ctx, bus.StreamOutletEvents, bus.WatcherConsumer(bus.StreamOutletEvents, w.cfg.AckWait))
	if err != nil {
		return fmt.Errorf("watch: consumer on %s: %w", bus.StreamOutletEvents, err)
	}
	hooks, err := w.js.CreateOrUpdateConsumer(ctx, bus.StreamWatchEvents, bus.WebhooksConsumer(w.cfg.Webhook.Timeout*time.Duration(w.cfg.Webhook.Redirects+1)+5*time.Second, 16*w.cfg.Webhook.Workers))
	if err != nil {
		return fmt.Errorf("watch: consumer on %s: %w", bus.StreamWatchEvents, err)
	}
	w.log.Info("watcher started", zap.Int("watches", w.Stats().Watches))
	var wg sync.WaitGroup
	edits := make(chan struct{}, w.cfg.EditWorkers)
	run := func(name string, cons jetstream.Consumer, handle func(context.Context, jetstream.Msg)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.consume(ctx, name, cons, handle)
		}()
	}
	run("articles", arts, func(ctx context.Context, m jetstream.Msg) { w.handleArticle(ctx, m, edits, &wg) })
	run("outlet events", outs, w.handleOutletEvent)
	run("webhooks", hooks, w.hooks.handle)
	wg.Add(1)
	go func() {
		defer wg.Done()
		w.runGaps(ctx)
	}()
	<-ctx.Done()
	wg.Wait()
	w.hooks.wait()
	return ctx.Err()
}

// applyWatch adds, replaces or removes a watch from the bucket.
func (w *Watcher) applyWatch(e jetstream.KeyValueEntry) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if e.Operation() != jetstream.KeyValuePut {
		delete(w.watches, e.Key())
		return
	}
	var wt Watch
	if err := json.Unmarshal(e.Value(), &wt); err != nil {
		w.log.Warn("ignoring a malformed watch", zap.String("key", e.Key()), zap.Error(err))
		return
	}
	m, err := match.Compile(wt.StoreQuery())
	if err != nil {
		w.log.Warn("ignoring a watch whose query does not compile", zap.String("watch", wt.ID), zap.Error(err))
		return
	}
	c := &compiled{w: wt, m: m}
	if wt.Gap != nil {
		q := wt.StoreQuery()
		q.Outlets = nil
		if c.gap, err = match.Compile(q); err != nil {
			return
		}
	}
	w.watches[wt.ID] = c
}

// watch returns the watch with the ID, if it is followed.
func (w *Watcher) watch(id string) (Watch, bool) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	c, ok := w.watches[id]
	if !ok {
		return Watch{}, false
	}
	return c.w, true
}

func (w *Watcher) snapshot() []*compiled {
	w.mu.RLock()
	defer w.mu.RUnlock()
	out := make([]*compiled, 0, len(w.watches))
	for _, c := range w.watches {
		out = append(out, c)
	}
	return out
}

// consume hands every message of cons to handle until ctx is done,
// reconnecting the iterator after errors.
func (w *Watcher) consume(ctx context.Context, name string, cons jetstream.Consumer, handle func(context.Context, jetstream.Msg)) {
	wait := backoff.Policy{Initial: 100 * time.Millisecond, Max: 5 * time.Second}.Start()
	for ctx.Err() == nil {
		it, err := cons.Messages(jetstream.PullMaxMessages(64))
		if err != nil {
			w.log.Warn("cannot read messages; retrying", zap.String("from", name), zap.Error(err))
			if !wait.Wait(ctx) {
				return
			}
			continue
		}
		stop := context.AfterFunc(ctx, it.Stop)
		for {
			m, err := it.Next()
			if err != nil {
				if ctx.Err() == nil && !errors.Is(err, jetstream.ErrMsgIteratorClosed) {
					w.log.Warn("reading messages failed; reconnecting", zap.String("from", name), zap.Error(err))
				}
				break
			}
			wait.Reset()
			handle(ctx, m)
		}
		stop()
		it.Stop()
		if ctx.Err() == nil && !wait.Wait(ctx) {
			return
		}
	}
}

// handleArticle matches one article message: a new article against the
// watches that want articles, a new version against those that want
// edits (in a worker: it reads the earlier version from the store), and a
// competitor's article against the gap watches.
func (w *Watcher) handleArticle(ctx context.Context, m jetstream.Msg, edits chan struct{}, wg *sync.WaitGroup) {
	a, err := bus.Decode(m.Data())
	if err != nil {
		_ = m.Ack() // the indexer dead-letters what does not decode
		return
	}
	d := match.NewDoc(a)
	watches := w.snapshot()
	var ids []string
	var editWatches []*compiled
	now := time.Now().UTC()
	for _, c := range watches {
		if c.w.Gap != nil && c.w.Wants(KindGap) && a.Version == 1 && a.StoryID != "" &&
			slices.Contains(c.w.Gap.Competitors, a.Outlet) && c.gap.Match(d) {
			if err := w.scheduleGap(ctx, c.w, a, now); err != nil {
				w.log.Warn("gap check not scheduled", zap.String("watch", c.w.ID), zap.Error(err))
				w.nak(m)
				return
			}
		}
		if a.Version > 1 {
			if c.w.Wants(KindEdit) {
				editWatches = append(editWatches, c)
			}
			continue
		}
		if c.w.Wants(KindArticle) && c.m.Match(d) {
			ids = append(ids, c.w.ID)
		}
	}
	if len(editWatches) > 0 {
		select {
		case edits <- struct{}{}:
		case <-ctx.Done():
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-edits }()
			w.handleEdit(ctx, m, a, d, editWatches)
		}()
		return
	}
	w.finishMatches(ctx, m, KindArticle, now, ids, a, nil)
}

// finishMatches publishes the matches message of an article version for
// the watches (if any) and acks m, or naks it for a later retry when the
// message could not be published.
func (w *Watcher) finishMatches(ctx context.Context, m jetstream.Msg, kind string, at time.Time, ids []string, a *article.Article, edit *Edit) {
	if len(ids) == 0 {
		_ = m.Ack()
		return
	}
	slices.Sort(ids)
	msg, err := matchesMsg(kind, at, ids, a, edit)
	if err != nil {
		w.log.Error("matches message not made; the article is skipped", zap.String("article", a.ID), zap.Error(err))
		_ = m.Ack()
		return
	}
	w.matched.add(1)
	w.finish(ctx, m, []*nats.Msg{msg}, len(ids))
}

// finish publishes the messages made from m (carrying events events) and
// acks m, or naks it for a later retry when one could not be published.
func (w *Watcher) finish(ctx context.Context, m jetstream.Msg, msgs []*nats.Msg, events int) {
	if err := w.publishAll(ctx, msgs, events); err != nil {
		w.failed.add(1)
		w.log.Warn("events not published; the message will be handled again", zap.Int("events", events), zap.Error(err))
		w.nak(m)
		return
	}
	_ = m.Ack()
}

func (w *Watcher) nak(m jetstream.Msg) {
	md, err := m.Metadata()
	n := uint64(1)
	if err == nil {
		n = md.NumDelivered
	}
	_ = m.NakWithDelay(backoff.Policy{Initial: time.Second, Max: time.Minute}.Delay(int(n) - 1))
}

// eventMsgs are the events as messages on their watches' own subjects.
func eventMsgs(evs []Event) ([]*nats.Msg, error) {
	msgs := make([]*nats.Msg, 0, len(evs))
	for _, ev := range evs {
		msg, err := eventMsg(ev)
		if err != nil {
			return nil, fmt.Errorf("%s event of watch %s: %w", ev.Kind, ev.Watch, err)
		}
		msgs = append(msgs, msg)
	}
	return msgs, nil
}

// publish puts ev on the watch's subject of WATCH_EVENTS.
func (w *Watcher) publish(ctx context.Context, ev Event) error {
	msgs, err := eventMsgs([]Event{ev})
	if err != nil {
		return err
	}
	return w.publishAll(ctx, msgs, 1)
}

// publishTimeout bounds the wait for the stream to acknowledge events.
const publishTimeout = 10 * time.Second

// publishAll puts the messages made from one message on WATCH_EVENTS at
// once (the server acknowledges them together, not one round trip each)
// and waits until every one is acknowledged; an error means some may not
// be (a retry publishes them again; the stream drops the duplicates).
// events is how many events they carry, for Stats.
func (w *Watcher) publishAll(ctx context.Context, msgs []*nats.Msg, events int) error {
	if len(msgs) == 0 {
		return nil
	}
	futures := make([]jetstream.PubAckFuture, 0, len(msgs))
	for _, msg := range msgs {
		f, err := w.js.PublishMsgAsync(msg, jetstream.WithExpectStream(bus.StreamWatchEvents))
		if err != nil {
			return fmt.Errorf("publish to %s: %w", msg.Subject, err)
		}
		futures = append(futures, f)
	}
	timer := time.NewTimer(publishTimeout)
	defer timer.Stop()
	for i, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			return fmt.Errorf("publish to %s: %w", msgs[i].Subject, err)
		case <-timer.C:
			return fmt.Errorf("publish %d messages: not acknowledged within %v", len(msgs), publishTimeout)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	w.events.add(int64(events))
	return nil
}

// handleEdit makes the edit events of a new version: for the watches that
// want edits and match the new version or the earlier one.
func (w *Watcher) handleEdit(ctx context.Context, m jetstream.Msg, a *article.Article, d *match.Doc, watches []*compiled) {
	prev := w.previous(ctx, a)
	var prevDoc *match.Doc
	if prev != nil {
		prevDoc = match.NewDoc(prev)
	}
	edit := Edit{FromVersion: a.Version - 1, ToVersion: a.Version, TitleAfter: a.Title, LeadAfter: a.Lead, BeforeUnknown: prev == nil}
	if prev != nil {
		edit.FromVersion = prev.Version
		edit.TitleBefore, edit.LeadBefore = prev.Title, prev.Lead
		edit.TitleDiff = WordDiff(prev.Title, a.Title)
		edit.LeadDiff = WordDiff(prev.Lead, a.Lead)
		edit.BodyDiff = WordDiff(prev.Body, a.Body)
	}
	var ids []string
	for _, c := range watches {
		if c.m.Match(d) || (prevDoc != nil && c.m.Match(prevDoc)) {
			ids = append(ids, c.w.ID)
		}
	}
	w.finishMatches(ctx, m, KindEdit, time.Now().UTC(), ids, a, &edit)
}

// previous reads the version of a before it from the store, waiting up to
// EditLookup for the store to hold it; nil if it does not.
func (w *Watcher) previous(ctx context.Context, a *article.Article) *article.Article {
	ctx, cancel := context.WithTimeout(ctx, w.cfg.EditLookup)
	defer cancel()
	wait := backoff.Policy{Initial: 200 * time.Millisecond, Max: 3 * time.Second}.Start()
	for {
		rec, err := w.versions.Get(ctx, a.ID)
		if err == nil {
			var best *store.Version
			for i := range rec.Versions {
				v := &rec.Versions[i]
				if v.Version < a.Version && v.ContentHash != a.ContentHash && v.TextKept && (best == nil || v.Version > best.Version) {
					best = v
				}
			}
			if best != nil {
				p := rec.Article
				p.Version, p.ContentHash, p.FetchedAt = best.Version, best.ContentHash, best.FetchedAt
				p.Title, p.Lead, p.Body = best.Title, best.Lead, best.Body
				return &p
			}
		} else if !errors.Is(err, store.ErrNotFound) {
			w.log.Debug("earlier version not readable yet", zap.String("article", a.ID), zap.Error(err))
		}
		if !wait.Wait(ctx) {
			w.log.Info("edit without its earlier version: the store does not hold it", zap.String("article", a.ID), zap.Int("version", a.Version))
			return nil
		}
	}
}

// handleOutletEvent makes the outlet events of a health status change.
func (w *Watcher) handleOutletEvent(ctx context.Context, m jetstream.Msg) {
	var he health.Event
	if err := json.Unmarshal(m.Data(), &he); err != nil || article.ValidateOutlet(he.Outlet) != nil {
		_ = m.Ack()
		return
	}
	now := time.Now().UTC()
	var evs []Event
	for _, c := range w.snapshot() {
		if !c.w.Wants(KindOutlet) {
			continue
		}
		if len(c.w.Outlets) > 0 && !slices.ContainsFunc(c.w.Outlets, func(o string) bool { return strings.EqualFold(o, he.Outlet) }) {
			continue
		}
		e := he
		evs = append(evs, Event{Watch: c.w.ID, Kind: KindOutlet, At: now, Outlet: &e})
	}
	msgs, err := eventMsgs(evs)
	if err != nil {
		w.log.Error("outlet events not made; the health event is skipped", zap.Error(err))
		_ = m.Ack()
		return
	}
	if len(evs) > 0 {
		w.matched.add(1)
	}
	w.finish(ctx, m, msgs, len(evs))
}

// pendingKey is the watch_pending key of a gap check.
func pendingKey(watch, storyID string) string { return watch + "." + storyID }

// scheduleGap schedules the coverage-gap check of a's story for the watch:
// Minutes after a's publication (at the latest Minutes from now). A story
// already scheduled, or published too long ago for a live alert, is not.
func (w *Watcher) scheduleGap(ctx context.Context, wt Watch, a *article.Article, now time.Time) error {
	at := a.FetchedAt
	if a.PublishedAt != nil && a.PublishedAt.Before(now) {
		at = *a.PublishedAt
	}
	span := time.Duration(wt.Gap.Minutes) * time.Minute
	if at.Before(now.Add(-2*span - time.Hour)) {
		return nil // history: GET /v1/coverage/gaps answers for it
	}
	due := at.Add(span)
	if due.After(now.Add(span)) {
		due = now.Add(span)
	}
	_, err := bus.PutJSON(ctx, w.pending, pendingKey(wt.ID, a.StoryID), gapCheck{Watch: wt.ID, Story: a.StoryID, Due: due.UTC()}, 0)
	if errors.Is(err, bus.ErrRevision) {
		return nil // scheduled by an earlier article of the story
	}
	return err
}

// applyPending follows the watch_pending bucket.
func (w *Watcher) applyPending(e jetstream.KeyValueEntry) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if e.Operation() != jetstream.KeyValuePut {
		delete(w.gaps, e.Key())
		return
	}
	var g gapCheck
	if err := json.Unmarshal(e.Value(), &g); err != nil {
		return
	}
	g.rev = e.Revision()
	w.gaps[e.Key()] = g
}

// runGaps runs the due gap checks every GapTick until ctx is done.
func (w *Watcher) runGaps(ctx context.Context) {
	t := time.NewTicker(w.cfg.GapTick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			w.checkGaps(ctx, now)
		}
	}
}

// checkGaps runs the checks due at now: a story the watch's outlet has an
// article in is covered; otherwise the gap is an event. Either way the
// check is removed (by the process that removes it first).
func (w *Watcher) checkGaps(ctx context.Context, now time.Time) {
	w.mu.RLock()
	var due []gapCheck
	for _, g := range w.gaps {
		if !g.Due.After(now) {
			due = append(due, g)
		}
	}
	w.mu.RUnlock()
	for _, g := range due {
		c, ok := w.watch(g.Watch)
		if ok && c.Gap != nil && c.Wants(KindGap) {
			members := w.stories.Members(g.Story)
			covered := slices.ContainsFunc(members, func(m story.Member) bool { return m.Outlet == c.Gap.Outlet })
			if !covered {
				ev := Event{Watch: c.ID, Kind: KindGap, At: now.UTC(), Gap: &GapEvent{Story: g.Story, Outlet: c.Gap.Outlet, Minutes: c.Gap.Minutes}}
				for _, m := range members {
					if slices.Contains(c.Gap.Competitors, m.Outlet) {
						ev.Gap.Covered = append(ev.Gap.Covered, Coverage{Outlet: m.Outlet, Article: m.Article, At: m.At})
					}
				}
				if err := w.publish(ctx, ev); err != nil {
					w.failed.add(1)
					w.log.Warn("gap event not published; retrying", zap.String("watch", c.ID), zap.Error(err))
					continue
				}
			}
		}
		err := w.pending.Delete(ctx, pendingKey(g.Watch, g.Story), jetstream.LastRevision(g.rev))
		if err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
			var apiErr *jetstream.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode != jetstream.JSErrCodeStreamWrongLastSequence {
				w.log.Warn("gap check not removed", zap.Error(err))
			}
		}
		w.mu.Lock()
		if cur, ok := w.gaps[pendingKey(g.Watch, g.Story)]; ok && cur.rev == g.rev {
			delete(w.gaps, pendingKey(g.Watch, g.Story))
		}
		w.mu.Unlock()
	}
}
