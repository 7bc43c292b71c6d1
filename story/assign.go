package story

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/bus"
	"github.com/newswatch/newswatch/store/words"
)

// Defaults of Config.
const (
	DefaultWindow      = 48 * time.Hour
	DefaultThreshold   = 0.25
	DefaultMinShingles = 8
	DefaultRetention   = bus.DefaultStoriesTTL
)

// ErrConfig is wrapped by Config.Validate errors.
var ErrConfig = errors.New("invalid story config")

// Config tunes the grouping. The zero value gives the defaults.
type Config struct {
	// Window: articles published further apart never share a story
	// (default 48h).
	Window time.Duration
	// Threshold is the estimated Jaccard similarity of two articles'
	// shingles from which they tell one story (default 0.25; reprints are
	// near 1, light rewrites 0.25-0.7, unrelated articles on the same topic
	// below 0.15).
	Threshold float64
	// MinShingles: a text with fewer distinct shingles (a headline alone)
	// is its own story (default 8).
	MinShingles int
	// Retention is how long the index remembers an article after it was
	// assigned (default bus.DefaultStoriesTTL, the stories bucket's TTL):
	// a later version keeps its story within it.
	Retention time.Duration
}

func (c *Config) setDefaults() {
	if c.Window == 0 {
		c.Window = DefaultWindow
	}
	if c.Threshold == 0 {
		c.Threshold = DefaultThreshold
	}
	if c.MinShingles == 0 {
		c.MinShingles = DefaultMinShingles
	}
	if c.Retention == 0 {
		c.Retention = DefaultRetention
	}
}

// Validate reports a config that cannot be used.
func (c Config) Validate() error {
	if c.Window < 0 || c.MinShingles < 0 || c.Retention < 0 || c.Threshold < 0 || c.Threshold > 1 {
		return fmt.Errorf("%w: negative window, min shingles or retention, or threshold outside [0,1]", ErrConfig)
	}
	return nil
}

// Member is one article of a story, as the index remembers it.
type Member struct {
	Article string    `json:"article"`
	Story   string    `json:"story"`
	Outlet  string    `json:"outlet"`
	Lang    string    `json:"lang,omitempty"`
	At      time.Time `json:"at"` // published (else fetched)
	// Sig is the signature (Signature, as bytes); nil for a text too
	// short to compare.
	Sig []byte `json:"sig,omitempty"`
}

type entry struct {
	m    Member
	sig  Signature
	ok   bool // sig is comparable
	keys [Bands]uint64
	seen time.Time
}

// Index is the in-memory LSH index of the members of the stories seen
// within Config.Retention. It is not safe for concurrent use; the Assigner
// guards it.
type Index struct {
	cfg     Config
	byID    map[string]*entry
	byStory map[string][]*entry
	bands   map[uint64][]*entry
	added   int
}

// NewIndex returns an empty index.
func NewIndex(cfg Config) *Index {
	cfg.setDefaults()
	return &Index{cfg: cfg, byID: map[string]*entry{}, byStory: map[string][]*entry{}, bands: map[uint64][]*entry{}}
}

// Len is the number of articles remembered.
func (x *Index) Len() int { return len(x.byID) }

// add remembers m (seen at seen); an article already remembered keeps its
// first story.
func (x *Index) add(m Member, seen time.Time) *entry {
	if e := x.byID[m.Article]; e != nil {
		return e
	}
	e := &entry{m: m, seen: seen}
	if sig, ok := decode(m.Sig); ok {
		e.sig, e.ok = sig, true
		e.keys = bandKeys(m.Lang, &sig)
		for _, k := range e.keys {
			x.bands[k] = append(x.bands[k], e)
		}
	}
	x.byID[m.Article] = e
	x.byStory[m.Story] = append(x.byStory[m.Story], e)
	x.added++
	if x.added%4096 == 0 {
		x.prune(seen)
	}
	return e
}

// best returns the most similar remembered article in lang published within
// the window of at, and its similarity; nil when none reaches the
// threshold.
func (x *Index) best(lang string, at time.Time, sig *Signature) (*entry, float64) {
	var (
		top   *entry
		score float64
	)
	seen := map[*entry]bool{}
	for _, k := range bandKeys(lang, sig) {
		for _, e := range x.bands[k] {
			if seen[e] {
				continue
			}
			seen[e] = true
			if e.m.Lang != lang || e.m.At.Sub(at).Abs() > x.cfg.Window {
				continue
			}
			s := Similarity(sig, &e.sig)
			if s > score || (s == score && top != nil && e.m.At.Before(top.m.At)) {
				top, score = e, s
			}
		}
	}
	if top == nil || score < x.cfg.Threshold {
		return nil, score
	}
	return top, score
}

// prune forgets the articles seen more than Retention before now.
func (x *Index) prune(now time.Time) {
	cut := now.Add(-x.cfg.Retention)
	for id, e := range x.byID {
		if e.seen.Before(cut) {
			delete(x.byID, id)
		}
	}
	keep := func(list []*entry) []*entry {
		out := list[:0]
		for _, e := range list {
			if x.byID[e.m.Article] == e {
				out = append(out, e)
			}
		}
		return out
	}
	for k, l := range x.bands {
		if l = keep(l); len(l) == 0 {
			delete(x.bands, k)
		} else {
			x.bands[k] = l
		}
	}
	for k, l := range x.byStory {
		if l = keep(l); len(l) == 0 {
			delete(x.byStory, k)
		} else {
			x.byStory[k] = l
		}
	}
}

// Assigner gives articles their story IDs. It is safe for concurrent use;
// one process's assignments are serialised, and processes share theirs
// through the KV bucket (two near-duplicates assigned by two processes in
// the same instant may start two stories).
type Assigner struct {
	cfg  Config
	kv   jetstream.KeyValue
	log  *zap.Logger
	stop context.CancelFunc
	done <-chan struct{}

	mu  sync.Mutex
	idx *Index
}

// NewAssigner returns an assigner that remembers its assignments in kv
// (the stories bucket; nil: in memory only), having loaded what kv holds.
// It follows kv for the assignments of other processes until Close.
func NewAssigner(ctx context.Context, cfg Config, kv jetstream.KeyValue, log *zap.Logger) (*Assigner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	a := &Assigner{cfg: cfg, kv: kv, log: log.Named("story"), idx: NewIndex(cfg)}
	if kv == nil {
		done := make(chan struct{})
		close(done)
		a.stop, a.done = func() {}, done
		return a, nil
	}
	// Loading stops with ctx; following, only with Close.
	wctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	detach := context.AfterFunc(ctx, stop)
	done, err := bus.FollowKV(wctx, kv, a.apply)
	if !detach() && err == nil { // ctx ended just as the loading did
		err = fmt.Errorf("load kv %s: %w", kv.Bucket(), context.Cause(ctx))
	}
	if err != nil {
		stop()
		return nil, fmt.Errorf("story: %w", err)
	}
	a.stop, a.done = stop, done
	a.log.Info("story index loaded", zap.Int("articles", a.Len()))
	return a, nil
}

// apply adds an assignment read from the bucket.
func (a *Assigner) apply(e jetstream.KeyValueEntry) {
	if e.Operation() != jetstream.KeyValuePut {
		return
	}
	var m Member
	if err := json.Unmarshal(e.Value(), &m); err != nil || !article.ValidID(m.Article) || !article.ValidID(m.Story) {
		a.log.Warn("ignoring a malformed story record", zap.String("key", e.Key()), zap.Error(err))
		return
	}
	a.mu.Lock()
	a.idx.add(m, e.Created())
	a.mu.Unlock()
}

// Close stops following the bucket.
func (a *Assigner) Close() {
	a.stop()
	<-a.done
}

// Len is the number of articles the index remembers.
func (a *Assigner) Len() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.idx.Len()
}

// Assign sets art.StoryID: the story it was given before (an article keeps
// its story in every version), else the story of the most similar article
// of its language within the window, else a new story it begins. The
// assignment is written to the bucket before Assign returns; an error
// (the bucket unavailable) leaves art unchanged.
func (a *Assigner) Assign(ctx context.Context, art *article.Article) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if e := a.idx.byID[art.ID]; e != nil {
		art.StoryID = e.m.Story
		return nil
	}
	lang := words.Fold(art.Language)
	m := Member{Article: art.ID, Outlet: art.Outlet, Lang: lang, At: date(art).UTC(), Story: ID(art.ID)}
	sig, n := Sign(Text(art))
	if n >= a.cfg.MinShingles {
		m.Sig = sig.encode()
		if best, _ := a.idx.best(lang, m.At, &sig); best != nil {
			m.Story = best.m.Story
		}
	}
	if a.kv != nil {
		data, err := json.Marshal(m)
		if err != nil {
			return fmt.Errorf("story: %w", err)
		}
		if _, err := a.kv.Create(ctx, art.ID, data); err != nil {
			if !errors.Is(err, jetstream.ErrKeyExists) {
				return fmt.Errorf("story: record %s: %w", art.ID, err)
			}
			// Another process assigned it first: its story holds.
			e, gerr := a.kv.Get(ctx, art.ID)
			if gerr != nil {
				return fmt.Errorf("story: read %s: %w", art.ID, gerr)
			}
			var theirs Member
			if err := json.Unmarshal(e.Value(), &theirs); err != nil || !article.ValidID(theirs.Story) {
				return fmt.Errorf("story: malformed record %s", art.ID)
			}
			m = theirs
		}
	}
	a.idx.add(m, time.Now())
	art.StoryID = m.Story
	return nil
}

// Members returns the articles the index remembers of a story, earliest
// first.
func (a *Assigner) Members(storyID string) []Member {
	a.mu.Lock()
	defer a.mu.Unlock()
	list := a.idx.byStory[storyID]
	out := make([]Member, len(list))
	for i, e := range list {
		out[i] = e.m
		out[i].Sig = nil
	}
	sort.Slice(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}
