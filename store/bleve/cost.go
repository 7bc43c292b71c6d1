package bleve

import (
	"context"
	"fmt"
	"runtime"
	"time"

	bq "github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/newswatch/newswatch/store"
)

// Defaults of the search cost limits in Options. The postings figures are
// sized by measurement (AMD EPYC, 2 cores, 30k simsite articles): a search
// reads 1.3 to 4 million postings per second on one core (fewer the more
// term lists it merges), so the budget is one to two seconds of one core
// and a heavy search some tens of milliseconds.
const (
	DefaultMaxPostings    = 2_000_000
	DefaultMaxTermLists   = 4096
	DefaultMaxPrefixTerms = 1024
	DefaultHeavyPostings  = 150_000
	DefaultQueueWait      = time.Second
)

// Limits bound what one search may cost and how many run at once. The
// zero value gives the defaults; a negative number means no limit (the
// abuse benchmark uses that to show what the limits are for).
type Limits struct {
	// MaxPostings is the most postings (document entries of the term
	// lists it reads) a search may be estimated to read; a costlier one
	// fails with store.ErrTooCostly before it runs. Default
	// DefaultMaxPostings.
	MaxPostings int64
	// MaxTermLists is the most term lists (each word on each field, each
	// word a prefix expands to) a search may read. Default
	// DefaultMaxTermLists.
	MaxTermLists int
	// MaxPrefixTerms is the most words one prefix (word*) may expand to in
	// one field. Default DefaultMaxPrefixTerms.
	MaxPrefixTerms int
	// HeavyPostings is the estimate above which a search is heavy: heavy
	// searches share MaxHeavy slots, so that they cannot crowd out the
	// cheap ones. Default DefaultHeavyPostings.
	HeavyPostings int64
	// MaxHeavy is how many heavy searches run at once. Default half of
	// GOMAXPROCS, at least 1.
	MaxHeavy int
	// MaxSearches is how many searches of any cost run at once. Default
	// 4 × GOMAXPROCS.
	MaxSearches int
	// QueueWait is how long a search waits for its slots before it fails
	// with store.ErrBusy. Default DefaultQueueWait; negative waits as long
	// as the request's context allows.
	QueueWait time.Duration
}

func (l *Limits) setDefaults() {
	procs := runtime.GOMAXPROCS(0)
	if l.MaxPostings == 0 {
		l.MaxPostings = DefaultMaxPostings
	}
	if l.MaxTermLists == 0 {
		l.MaxTermLists = DefaultMaxTermLists
	}
	if l.MaxPrefixTerms == 0 {
		l.MaxPrefixTerms = DefaultMaxPrefixTerms
	}
	if l.HeavyPostings == 0 {
		l.HeavyPostings = DefaultHeavyPostings
	}
	if l.MaxHeavy == 0 {
		l.MaxHeavy = max(1, procs/2)
	}
	if l.MaxSearches == 0 {
		l.MaxSearches = 4 * procs
	}
	if l.QueueWait == 0 {
		l.QueueWait = DefaultQueueWait
	}
}

// admission holds the search slots.
type admission struct {
	all, heavy chan struct{} // nil: no limit
	wait       time.Duration
}

func newAdmission(l Limits) *admission {
	a := &admission{wait: l.QueueWait}
	if l.MaxSearches > 0 {
		a.all = make(chan struct{}, l.MaxSearches)
	}
	if l.MaxHeavy > 0 {
		a.heavy = make(chan struct{}, l.MaxHeavy)
	}
	return a
}

// ticket is what one search holds; release gives it all back.
type ticket struct {
	a          *admission
	start      time.Time
	heavy, all bool
}

func (a *admission) ticket() *ticket { return &ticket{a: a, start: time.Now()} }

// enterHeavy takes a heavy slot. Heavy searches queue for their own slots
// before anything else, so that while they wait they hold none of the
// slots cheap searches need.
func (t *ticket) enterHeavy(ctx context.Context) error {
	if t.heavy {
		return nil
	}
	if err := t.take(ctx, t.a.heavy, "expensive searches"); err != nil {
		return err
	}
	t.heavy = true
	return nil
}

// enter takes a slot of the slots every search needs.
func (t *ticket) enter(ctx context.Context) error {
	if err := t.take(ctx, t.a.all, "searches"); err != nil {
		return err
	}
	t.all = true
	return nil
}

// take waits for a slot until the queue wait (counted from the ticket's
// start) is over.
func (t *ticket) take(ctx context.Context, slots chan struct{}, what string) error {
	if slots == nil {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case slots <- struct{}{}:
		return nil
	default:
	}
	var deadline <-chan time.Time
	if t.a.wait > 0 {
		tm := time.NewTimer(t.a.wait - time.Since(t.start))
		defer tm.Stop()
		deadline = tm.C
	}
	select {
	case slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-deadline:
		return fmt.Errorf("%w: %d %s are running and none ended within %s; retry in a moment", store.ErrBusy, cap(slots), what, t.a.wait)
	}
}

func (t *ticket) release() {
	if t.all && t.a.all != nil {
		<-t.a.all
	}
	if t.heavy && t.a.heavy != nil {
		<-t.a.heavy
	}
	t.all, t.heavy = false, false
}

// smallShape reports whether q is small enough to estimate outside the
// heavy slots: at most smallLists words (on their fields) and no prefix,
// whose expansion only the dictionary knows. Anything bigger is estimated
// inside a heavy slot, so that a flood of big queries, even ones refused
// as too costly, cannot take more than the heavy slots' share of the CPU.
func smallShape(q bq.Query) bool {
	n := 0
	var walk func(q bq.Query) bool
	walk = func(q bq.Query) bool {
		switch q := q.(type) {
		case *bq.BooleanQuery:
			for _, c := range []bq.Query{q.Must, q.Should, q.MustNot, q.Filter} {
				if c != nil && !walk(c) {
					return false
				}
			}
			return true
		case *bq.ConjunctionQuery:
			for _, c := range q.Conjuncts {
				if !walk(c) {
					return false
				}
			}
			return true
		case *bq.DisjunctionQuery:
			for _, c := range q.Disjuncts {
				if !walk(c) {
					return false
				}
			}
			return true
		case *bq.PrefixQuery:
			return false
		}
		n++
		return n <= smallLists
	}
	return walk(q)
}

// smallLists is the most leaf queries a small-shape query has: a few words
// on the fields a plain word searches (title and body, and its stem
// candidates in the stem fields of its script's languages: 4 to 20 each).
const smallLists = 32

// cost is the estimated work of a search.
type cost struct {
	postings int64 // entries of the term lists read
	lists    int   // term lists read
}

// estimator walks a bleve query and adds up what its searchers would read,
// from the index's own term statistics.
type estimator struct {
	x   *Index
	r   index.IndexReader
	lim Limits
	c   cost
}

// estimate returns the cost of q, or an error wrapping store.ErrTooCostly
// as soon as it is over a limit (a huge query is not walked to the end).
func (x *Index) estimate(ctx context.Context, q bq.Query) (cost, error) {
	ai, err := x.idx.Advanced()
	if err != nil {
		return cost{}, fmt.Errorf("bleve: estimate: %w", err)
	}
	r, err := ai.Reader()
	if err != nil {
		return cost{}, fmt.Errorf("bleve: estimate: %w", err)
	}
	defer r.Close()
	e := &estimator{x: x, r: r, lim: x.opts.Limits}
	err = e.walk(ctx, q, false)
	return e.c, err
}

func (e *estimator) add(postings uint64, lists int, filter bool) error {
	e.c.lists += lists
	if !filter {
		e.c.postings += int64(postings)
	}
	if e.lim.MaxTermLists > 0 && e.c.lists > e.lim.MaxTermLists {
		return fmt.Errorf("%w: it reads more than %d term lists (each word on each field it searches, each word a prefix expands to); use fewer words or longer prefixes",
			store.ErrTooCostly, e.lim.MaxTermLists)
	}
	if e.lim.MaxPostings > 0 && e.c.postings > e.lim.MaxPostings {
		return fmt.Errorf("%w: it reads more than %d postings (matches of its words in %d term lists so far); use fewer or rarer words, longer prefixes, or phrases",
			store.ErrTooCostly, e.lim.MaxPostings, e.c.lists)
	}
	return nil
}

// walk adds the cost of q. Under a filter only the term lists count: a
// filter is checked against the documents the query matches, not read
// whole.
func (e *estimator) walk(ctx context.Context, q bq.Query, filter bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	switch q := q.(type) {
	case *bq.BooleanQuery:
		for _, c := range []bq.Query{q.Must, q.Should, q.MustNot} {
			if c != nil {
				if err := e.walk(ctx, c, filter); err != nil {
					return err
				}
			}
		}
		if q.Filter != nil {
			return e.walk(ctx, q.Filter, true)
		}
	case *bq.ConjunctionQuery:
		for _, c := range q.Conjuncts {
			if err := e.walk(ctx, c, filter); err != nil {
				return err
			}
		}
	case *bq.DisjunctionQuery:
		for _, c := range q.Disjuncts {
			if err := e.walk(ctx, c, filter); err != nil {
				return err
			}
		}
	case *bq.TermQuery:
		return e.term(ctx, q.FieldVal, q.Term, 1, filter)
	case *bq.MatchQuery:
		return e.analyzed(ctx, q.FieldVal, q.Analyzer, q.Match, 1, filter)
	case *bq.MatchPhraseQuery:
		// A phrase also reads the positions of every match.
		return e.analyzed(ctx, q.FieldVal, q.Analyzer, q.MatchPhrase, 2, filter)
	case *bq.PrefixQuery:
		return e.prefix(q.FieldVal, q.Prefix, filter)
	case *bq.MatchAllQuery:
		n, err := e.r.DocCount()
		if err != nil {
			return fmt.Errorf("bleve: estimate: %w", err)
		}
		return e.add(n, 0, filter)
	case *bq.DocIDQuery:
		return e.add(uint64(len(q.IDs)), 0, filter)
	default: // date ranges, match-none: one list, bounded by the documents
		n, err := e.r.DocCount()
		if err != nil {
			return fmt.Errorf("bleve: estimate: %w", err)
		}
		return e.add(n, 1, filter)
	}
	return nil
}

func (e *estimator) term(ctx context.Context, field, term string, weight uint64, filter bool) error {
	tfr, err := e.r.TermFieldReader(ctx, []byte(term), field, false, false, false)
	if err != nil {
		return fmt.Errorf("bleve: estimate: %w", err)
	}
	n := tfr.Count()
	tfr.Close()
	return e.add(n*weight, 1, filter)
}

func (e *estimator) analyzed(ctx context.Context, field, analyzer, text string, weight uint64, filter bool) error {
	m := e.x.idx.Mapping()
	if analyzer == "" {
		analyzer = m.AnalyzerNameForPath(field)
	}
	a := m.AnalyzerNamed(analyzer)
	if a == nil {
		return e.term(ctx, field, text, weight, filter)
	}
	for _, tok := range a.Analyze([]byte(text)) {
		if err := e.term(ctx, field, string(tok.Term), weight, filter); err != nil {
			return err
		}
	}
	return nil
}

func (e *estimator) prefix(field, prefix string, filter bool) error {
	d, err := e.r.FieldDictPrefix(field, []byte(prefix))
	if err != nil {
		return fmt.Errorf("bleve: estimate: %w", err)
	}
	defer d.Close()
	words := 0
	for {
		de, err := d.Next()
		if err != nil {
			return fmt.Errorf("bleve: estimate: %w", err)
		}
		if de == nil {
			return nil
		}
		words++
		if e.lim.MaxPrefixTerms > 0 && words > e.lim.MaxPrefixTerms {
			return fmt.Errorf("%w: prefix %s matches more than %d words in %s; make it longer",
				store.ErrTooCostly, store.Echo(prefix+"*"), e.lim.MaxPrefixTerms, field)
		}
		if err := e.add(de.Count, 1, filter); err != nil {
			return err
		}
	}
}
