// Package watch is the editors' monitoring: watches (saved queries with
// filters and a delivery, kept in the NATS KV bucket "watches"), the
// watcher that matches them against every new article and article version
// on the `watcher` consumer of ARTICLES - in memory, with the store's
// analysis (store/match), without a search-store round trip per article -
// and against outlet health events, and that turns what it finds into
// events on the WATCH_EVENTS stream; the webhook deliverer (signed,
// retried with back-off, dead-lettered); and the subscriptions that
// server-sent event streams read, resuming from Last-Event-ID.
//
// Event kinds: a new article matching the watch (KindArticle); a matching
// article's headline, lead or body edited, with both versions and a word
// diff (KindEdit); an outlet's health status changed (KindOutlet); and,
// for a watch with a Gap, a story competitors covered that the watch's
// outlet did not cover within Gap.Minutes (KindGap).
package watch

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/bus"
	"github.com/newswatch/newswatch/internal/netguard"
	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/match"
)

// Event kinds.
const (
	KindArticle = "article" // a new article matches
	KindEdit    = "edit"    // a matching article was edited (title, lead or body)
	KindOutlet  = "outlet"  // an outlet's health status changed
	KindGap     = "gap"     // competitors covered a story the watch's outlet has not
)

// Kinds lists the event kinds.
var Kinds = []string{KindArticle, KindEdit, KindOutlet, KindGap}

// Limits of a watch.
const (
	MaxNameLen       = 200
	MaxURLLen        = 2048
	MinSecretLen     = 16
	MaxSecretLen     = 256
	MaxFilterValues  = 50
	MaxGapMinutes    = 7 * 24 * 60
	MaxCompetitors   = 50
	DefaultGapMinute = 60
)

// ErrInvalid is wrapped by the errors of a watch that cannot be kept.
var ErrInvalid = errors.New("invalid watch")

// ErrNotFound: no watch with that ID.
var ErrNotFound = errors.New("watch not found")

// Watch is a saved query with filters and a delivery. Its events are kept
// on the WATCH_EVENTS stream (GET /v1/watches/{id}/events follows them);
// with a Webhook they are also POSTed there.
type Watch struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	// Query and the filters choose the articles (store.Query's text and
	// filters; the query language of GET /v1/search).
	Query    string   `json:"q,omitempty"`
	Outlets  []string `json:"outlet,omitempty"`
	Langs    []string `json:"lang,omitempty"`
	Sections []string `json:"section,omitempty"`
	Authors  []string `json:"author,omitempty"`
	// Events are the kinds of events wanted (Kinds). Default: article and
	// edit, plus gap for a watch with a Gap.
	Events []string `json:"events"`
	// Gap, when set, watches for coverage gaps (KindGap).
	Gap *Gap `json:"gap,omitempty"`
	// Webhook, when set, receives every event as a signed POST.
	Webhook   *Webhook  `json:"webhook,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Gap asks for an event when competitors covered a story (an article
// matching the watch's query and language filters) and Outlet has not
// published an article in that story within Minutes of the first
// competitor's.
type Gap struct {
	Outlet      string   `json:"outlet"`
	Competitors []string `json:"competitors"`
	Minutes     int      `json:"minutes"`
}

// Webhook is where events are POSTed and the secret their signature is
// made with (see Sign). The secret is shown once, when the watch is
// created; lists show SecretSet instead.
type Webhook struct {
	URL       string `json:"url"`
	Secret    string `json:"secret,omitempty"`
	SecretSet bool   `json:"secret_set,omitempty"`
}

// ValidID reports whether id has the form of a watch ID: 16 lower-case hex
// characters (a NATS subject token and KV key).
func ValidID(id string) bool {
	if len(id) != 16 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Query is the store query of the watch's text and filters.
func (w *Watch) StoreQuery() store.Query {
	return store.Query{Text: w.Query, Outlets: w.Outlets, Langs: w.Langs, Sections: w.Sections, Authors: w.Authors}
}

// Wants reports whether the watch asks for events of kind.
func (w *Watch) Wants(kind string) bool { return slices.Contains(w.Events, kind) }

// Normalize fills the defaults (Events, Gap.Minutes), trims the filter
// values and checks the watch; errors wrap ErrInvalid (or the query's
// store.ErrBadQuery). policy decides which webhook hosts are refused
// outright (an address the policy refuses; names are checked when
// resolved).
func (w *Watch) Normalize(policy netguard.Policy) error {
	if len(w.Name) > MaxNameLen {
		return fmt.Errorf("%w: name is longer than %d bytes", ErrInvalid, MaxNameLen)
	}
	for _, l := range []*[]string{&w.Outlets, &w.Langs, &w.Sections, &w.Authors} {
		var out []string
		for _, v := range *l {
			if v = strings.TrimSpace(v); v != "" {
				out = append(out, v)
			}
		}
		if len(out) > MaxFilterValues {
			return fmt.Errorf("%w: more than %d values in a filter", ErrInvalid, MaxFilterValues)
		}
		*l = out
	}
	if _, err := match.Compile(w.StoreQuery()); err != nil {
		return fmt.Errorf("q: %w", err)
	}
	if g := w.Gap; g != nil {
		if err := article.ValidateOutlet(g.Outlet); err != nil {
			return fmt.Errorf("%w: gap outlet: %w", ErrInvalid, err)
		}
		if len(g.Competitors) == 0 || len(g.Competitors) > MaxCompetitors {
			return fmt.Errorf("%w: gap competitors: name 1 to %d outlets", ErrInvalid, MaxCompetitors)
		}
		for _, c := range g.Competitors {
			if err := article.ValidateOutlet(c); err != nil {
				return fmt.Errorf("%w: gap competitor: %w", ErrInvalid, err)
			}
			if c == g.Outlet {
				return fmt.Errorf("%w: gap outlet %q is among its own competitors", ErrInvalid, c)
			}
		}
		if g.Minutes == 0 {
			g.Minutes = DefaultGapMinute
		}
		if g.Minutes < 1 || g.Minutes > MaxGapMinutes {
			return fmt.Errorf("%w: gap minutes %d: want 1 to %d", ErrInvalid, g.Minutes, MaxGapMinutes)
		}
	}
	if len(w.Events) == 0 {
		w.Events = []string{KindArticle, KindEdit}
		if w.Gap != nil {
			w.Events = append(w.Events, KindGap)
		}
	}
	seen := map[string]bool{}
	for _, k := range w.Events {
		if !slices.Contains(Kinds, k) {
			return fmt.Errorf("%w: event kind %s: want some of %s", ErrInvalid, store.Echo(k), strings.Join(Kinds, ", "))
		}
		if seen[k] {
			return fmt.Errorf("%w: event kind %q given twice", ErrInvalid, k)
		}
		seen[k] = true
	}
	if seen[KindGap] && w.Gap == nil {
		return fmt.Errorf("%w: gap events need a gap (outlet, competitors, minutes)", ErrInvalid)
	}
	sort.Slice(w.Events, func(i, j int) bool { return slices.Index(Kinds, w.Events[i]) < slices.Index(Kinds, w.Events[j]) })
	if h := w.Webhook; h != nil {
		if err := checkWebhookURL(h.URL, policy); err != nil {
			return err
		}
		if h.Secret != "" && (len(h.Secret) < MinSecretLen || len(h.Secret) > MaxSecretLen) {
			return fmt.Errorf("%w: webhook secret: want %d to %d bytes, or none (one is made)", ErrInvalid, MinSecretLen, MaxSecretLen)
		}
	}
	return nil
}

// ErrRefusedTarget is wrapped by the errors of a webhook URL whose host
// the address policy refuses.
var ErrRefusedTarget = errors.New("webhook target refused")

func checkWebhookURL(raw string, policy netguard.Policy) error {
	if len(raw) > MaxURLLen {
		return fmt.Errorf("%w: webhook url is longer than %d bytes", ErrInvalid, MaxURLLen)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil {
		return fmt.Errorf("%w: webhook url %s: want an absolute http or https URL without credentials", ErrInvalid, store.Echo(raw))
	}
	if err := policy.CheckHost(u.Hostname()); err != nil {
		return fmt.Errorf("%w: %w", ErrRefusedTarget, refusal(err))
	}
	return nil
}

// refusal adds to a refused address how the operator may allow it.
func refusal(err error) error {
	if errors.Is(err, netguard.ErrPublicAddress) {
		return fmt.Errorf("%w (this server delivers webhooks on its own machine only)", err)
	}
	return fmt.Errorf("%w (the operator allows such targets with --webhook-targets any)", err)
}

// Store keeps the watches in the watches bucket.
type Store struct {
	kv     jetstream.KeyValue
	js     jetstream.JetStream
	policy netguard.Policy
}

// NewStore returns the watches of the bus c, with the webhook address
// policy of this deployment.
func NewStore(ctx context.Context, c *bus.Conn, policy netguard.Policy) (*Store, error) {
	if err := policy.Validate(); err != nil {
		return nil, err
	}
	kv, err := c.Watches(ctx)
	if err != nil {
		return nil, err
	}
	return &Store{kv: kv, js: c.JetStream(), policy: policy}, nil
}

// Policy is the webhook address policy.
func (s *Store) Policy() netguard.Policy { return s.policy }

// Create checks w, gives it an ID, a creation time and (for a webhook
// without one) a secret, and keeps it. The returned watch shows the
// secret; it is the only time.
func (s *Store) Create(ctx context.Context, w Watch) (Watch, error) {
	if err := w.Normalize(s.policy); err != nil {
		return w, err
	}
	w.ID, w.CreatedAt = newID(), time.Now().UTC().Truncate(time.Millisecond)
	if w.Webhook != nil && w.Webhook.Secret == "" {
		w.Webhook.Secret = "nws_" + rand.Text() + rand.Text()
	}
	if w.Webhook != nil {
		w.Webhook.SecretSet = false
	}
	if _, err := bus.PutJSON(ctx, s.kv, w.ID, w, 0); err != nil {
		return w, fmt.Errorf("save watch: %w", err)
	}
	return w, nil
}

// Get returns the watch with the ID, its secret included, or ErrNotFound.
func (s *Store) Get(ctx context.Context, id string) (Watch, error) {
	var w Watch
	if !ValidID(id) {
		return w, fmt.Errorf("%w: %s", ErrNotFound, store.Echo(id))
	}
	if _, err := bus.GetJSON(ctx, s.kv, id, &w); err != nil {
		if errors.Is(err, bus.ErrKeyNotFound) {
			return w, fmt.Errorf("%w: %s", ErrNotFound, id)
		}
		return w, err
	}
	return w, nil
}

// List returns every watch, oldest first, secrets included.
func (s *Store) List(ctx context.Context) ([]Watch, error) {
	keys, err := s.kv.ListKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("list watches: %w", err)
	}
	var out []Watch
	for k := range keys.Keys() {
		w, err := s.Get(ctx, k)
		if errors.Is(err, ErrNotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// Delete removes the watch and its events, or returns ErrNotFound.
func (s *Store) Delete(ctx context.Context, id string) error {
	if _, err := s.Get(ctx, id); err != nil {
		return err
	}
	if err := s.kv.Purge(ctx, id); err != nil {
		return fmt.Errorf("delete watch %s: %w", id, err)
	}
	// Its own events and retries go; its part of the matches messages
	// (shared with other watches) is never read again, and those
	// messages age out of the stream with the others.
	st, err := s.js.Stream(ctx, bus.StreamWatchEvents)
	for _, subject := range []string{bus.WatchEventsPrefix + id, bus.WatchRetriesPrefix + id} {
		if err == nil {
			err = st.Purge(ctx, jetstream.WithPurgeSubject(subject))
		}
	}
	if err != nil {
		return fmt.Errorf("delete the events of watch %s: %w", id, err)
	}
	return nil
}

// Public is w as lists show it: the webhook secret replaced by SecretSet.
func (w Watch) Public() Watch {
	if w.Webhook != nil {
		h := *w.Webhook
		h.SecretSet, h.Secret = h.Secret != "", ""
		w.Webhook = &h
	}
	return w
}
