package bleve

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/blevesearch/bleve/v2/search"
	bq "github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/newswatch/newswatch/store"
)

// facetField is the index field holding a facet's values as the articles
// spell them (with doc values, for counting).
func facetField(facet string) string {
	switch facet {
	case store.FacetOutlet:
		return fFacetOutlet
	case store.FacetLang:
		return fFacetLang
	case store.FacetSection:
		return fFacetSection
	case store.FacetAuthor:
		return fFacetAuthor
	case store.FacetStory:
		return fFacetStory
	}
	return ""
}

// Aggregate counts the articles q matches: the total, a date histogram and
// the most frequent facet values, in one pass over the matching documents
// that reads only their doc values (the date and the facet fields).
func (x *Index) Aggregate(ctx context.Context, q store.Query, a store.Aggregations) (*store.AggregationResult, error) {
	if err := x.enter(); err != nil {
		return nil, err
	}
	defer x.mu.RUnlock()
	if err := a.Validate(); err != nil {
		return nil, err
	}
	cq, err := x.compile(q)
	if err != nil {
		return nil, err
	}

	acc := newAggregator(a)
	if err := x.visitMatches(ctx, cq.full, acc.fields, acc.visit, acc.endDoc); err != nil {
		return nil, err
	}
	return acc.result()
}

// visitMatches runs q without scoring and, for every matching document,
// calls visit with each of its doc values in fields, then endDoc.
func (x *Index) visitMatches(ctx context.Context, q bq.Query, fields []string, visit func(field string, term []byte), endDoc func()) error {
	adv, err := x.idx.Advanced()
	if err != nil {
		return fmt.Errorf("bleve: aggregate: %w", err)
	}
	reader, err := adv.Reader()
	if err != nil {
		return fmt.Errorf("bleve: aggregate: open reader: %w", err)
	}
	defer reader.Close()
	return x.visitMatchesIn(ctx, reader, q, fields, visit, func(index.IndexInternalID) { endDoc() })
}

// visitMatchesIn is visitMatches on one reader (snapshot), telling endDoc
// the document's number in it.
func (x *Index) visitMatchesIn(ctx context.Context, reader index.IndexReader, q bq.Query, fields []string,
	visit func(field string, term []byte), endDoc func(index.IndexInternalID)) error {
	searcher, err := q.Searcher(ctx, reader, x.idx.Mapping(), search.SearcherOptions{Score: "none"})
	if err != nil {
		return fmt.Errorf("bleve: %w", err)
	}
	defer searcher.Close()
	dv, err := reader.DocValueReader(fields)
	if err != nil {
		return fmt.Errorf("bleve: doc values: %w", err)
	}
	sctx := &search.SearchContext{
		DocumentMatchPool: search.NewDocumentMatchPool(searcher.DocumentMatchPoolSize(), 0),
		IndexReader:       reader,
	}
	for n := 0; ; n++ {
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		d, err := searcher.Next(sctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("bleve: %w", err)
		}
		if d == nil {
			return nil
		}
		if err := dv.VisitDocValues(d.IndexInternalID, visit); err != nil {
			return fmt.Errorf("bleve: doc values: %w", err)
		}
		endDoc(d.IndexInternalID)
		sctx.DocumentMatchPool.Put(d)
	}
}

// aggregator accumulates the counts of one Aggregate call, document by
// document.
type aggregator struct {
	req    store.Aggregations
	fields []string
	total  int64

	// histogram
	hist      *store.Histogram
	loc       *time.Location
	slots     map[int64]int64 // quarter-hour slot -> bucket start (Unix seconds), or mixedSlot
	lastSlot  int64
	lastStart int64
	buckets   map[int64]*bucketAcc
	missing   int64
	splitF    string
	// the current document
	date     int64
	hasDate  bool
	splitVal int // index into splitVals, or -1 for none

	splitIdx  map[string]int
	splitVals []string

	top map[string]*topAcc // by index field
}

type bucketAcc struct {
	count int64
	split []int64 // by split value index; the last slot counts NoneKey
	none  int64
}

type topAcc struct {
	facet   string
	counts  map[string]int64
	missing int64
	seen    bool
}

const (
	slotLen   = int64(15 * 60) // seconds
	mixedSlot = int64(-1 << 63)
)

func newAggregator(a store.Aggregations) *aggregator {
	acc := &aggregator{req: a, top: map[string]*topAcc{}, splitVal: -1, lastSlot: mixedSlot}
	if h := a.Histogram; h != nil {
		acc.hist = h
		acc.loc = h.Location
		if acc.loc == nil {
			acc.loc = time.UTC
		}
		acc.slots = map[int64]int64{}
		acc.buckets = map[int64]*bucketAcc{}
		acc.fields = append(acc.fields, fDateKey)
		if h.Split != "" {
			acc.splitF = facetField(h.Split)
			acc.splitIdx = map[string]int{}
			acc.fields = append(acc.fields, acc.splitF)
		}
	}
	for _, f := range a.Top {
		field := facetField(f)
		acc.top[field] = &topAcc{facet: f, counts: map[string]int64{}}
		if field != acc.splitF {
			acc.fields = append(acc.fields, field)
		}
	}
	return acc
}

func (acc *aggregator) visit(field string, term []byte) {
	if field == fDateKey {
		acc.date, acc.hasDate = parseDateKey(term)
		return
	}
	if field == acc.splitF && acc.splitF != "" {
		i, ok := acc.splitIdx[string(term)]
		if !ok {
			i = len(acc.splitVals)
			acc.splitVals = append(acc.splitVals, string(term))
			acc.splitIdx[string(term)] = i
		}
		acc.splitVal = i
	}
	if t := acc.top[field]; t != nil {
		t.counts[string(term)]++
		t.seen = true
	}
}

func (acc *aggregator) endDoc() {
	acc.total++
	for _, t := range acc.top {
		if !t.seen {
			t.missing++
		}
		t.seen = false
	}
	if acc.hist == nil {
		return
	}
	defer func() { acc.hasDate, acc.splitVal = false, -1 }()
	if !acc.hasDate {
		acc.missing++
		return
	}
	start := acc.bucketOf(acc.date)
	b := acc.buckets[start]
	if b == nil {
		b = &bucketAcc{}
		acc.buckets[start] = b
	}
	b.count++
	if acc.splitF != "" {
		if acc.splitVal < 0 {
			b.none++
		} else {
			for len(b.split) <= acc.splitVal {
				b.split = append(b.split, 0)
			}
			b.split[acc.splitVal]++
		}
	}
}

// bucketOf returns the start (Unix seconds) of the bucket that holds the
// instant sec.
// Bucket boundaries of every zone in use today fall on quarter hours, so
// the bucket of a quarter-hour slot is computed once; a slot that a
// boundary cuts (historic zone offsets) is computed per document.
func (acc *aggregator) bucketOf(sec int64) int64 {
	slot := sec / slotLen
	if sec < 0 && sec%slotLen != 0 {
		slot--
	}
	if slot == acc.lastSlot {
		return acc.lastStart
	}
	start, ok := acc.slots[slot]
	if !ok {
		lo := time.Unix(slot*slotLen, 0)
		hi := time.Unix(slot*slotLen+slotLen-1, 0)
		s0 := store.BucketStart(lo, acc.hist.Interval, acc.loc)
		s1 := store.BucketStart(hi, acc.hist.Interval, acc.loc)
		start = mixedSlot
		if s0.Equal(s1) {
			start = s0.Unix()
		}
		acc.slots[slot] = start
	}
	if start == mixedSlot {
		return store.BucketStart(time.Unix(sec, 0), acc.hist.Interval, acc.loc).Unix()
	}
	acc.lastSlot, acc.lastStart = slot, start
	return start
}

func (acc *aggregator) result() (*store.AggregationResult, error) {
	out := &store.AggregationResult{Total: acc.total}
	if h := acc.hist; h != nil {
		if len(acc.buckets) > store.MaxBuckets {
			return nil, fmt.Errorf("%w: the %s histogram has %d buckets, more than %d: narrow from/to or choose a coarser interval",
				store.ErrBadQuery, h.Interval, len(acc.buckets), store.MaxBuckets)
		}
		hr := &store.HistogramResult{Interval: h.Interval, TimeZone: acc.loc.String(), Missing: acc.missing, Buckets: make([]store.Bucket, 0, len(acc.buckets))}
		starts := make([]int64, 0, len(acc.buckets))
		for s := range acc.buckets {
			starts = append(starts, s)
		}
		sort.Slice(starts, func(i, j int) bool { return starts[i] < starts[j] })
		// The split values kept by name: the most frequent over all buckets.
		var keep []bool
		var none, other bool
		if acc.splitF != "" {
			totals := make(map[string]int64, len(acc.splitVals))
			for _, b := range acc.buckets {
				for i, n := range b.split {
					totals[acc.splitVals[i]] += n
				}
			}
			size := store.TopSizeOr(h.SplitSize)
			top, _ := store.TopN(totals, size)
			kept := map[string]bool{}
			for _, vc := range top {
				kept[vc.Value] = true
				hr.SplitKeys = append(hr.SplitKeys, vc.Value)
			}
			keep = make([]bool, len(acc.splitVals))
			for i, v := range acc.splitVals {
				keep[i] = kept[v]
			}
		}
		for _, s := range starts {
			b := acc.buckets[s]
			bk := store.Bucket{Start: time.Unix(s, 0).In(acc.loc), Count: b.count}
			if acc.splitF != "" {
				bk.Split = map[string]int64{}
				for i, n := range b.split {
					if n == 0 {
						continue
					}
					if keep[i] {
						bk.Split[acc.splitVals[i]] += n
					} else {
						bk.Split[store.OtherKey] += n
						other = true
					}
				}
				if b.none > 0 {
					bk.Split[store.NoneKey] = b.none
					none = true
				}
			}
			hr.Buckets = append(hr.Buckets, bk)
		}
		if other {
			hr.SplitKeys = append(hr.SplitKeys, store.OtherKey)
		}
		if none {
			hr.SplitKeys = append(hr.SplitKeys, store.NoneKey)
		}
		out.Histogram = hr
	}
	if len(acc.req.Top) > 0 {
		out.Top = map[string]*store.TopResult{}
		size := store.TopSizeOr(acc.req.TopSize)
		for _, t := range acc.top {
			values, other := store.TopN(t.counts, size)
			out.Top[t.facet] = &store.TopResult{Values: values, Other: other, Missing: t.missing}
		}
	}
	return out, nil
}

