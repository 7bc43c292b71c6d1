package bleve

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"sync"

	"github.com/blevesearch/bleve/v2/index/scorch"
	bq "github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/store"
)

// Scan sizes.
const (
	// scanPartition is how many articles a scan orders at a time (at
	// least): one pass over the matches' dates per partition, holding 16
	// bytes per article of the partition.
	scanPartition = 1 << 16
	// scanPasses is how many passes over the matches a scan aims to
	// order them in: the partitions grow to a scanPasses-th of the
	// matches, up to scanMaxPartition (16 MiB of dates and numbers).
	scanPasses       = 4
	scanMaxPartition = 1 << 20
	// scanBatch is how many articles a scan reads from the index at a
	// time. About three batches are in flight (read, queued, emitted):
	// at 1000 a Parquet export's live heap peaked 7-9 MB higher (its API
	// process's RSS 12-14 MiB).
	scanBatch = 250
	// releaseEvery is how many bytes of articles a scan reads between two
	// releases of the index pages it has touched (see releaseResident);
	// each pass over the dates is followed by one too.
	releaseEvery = 16 << 20
	// scanBuckets is the most date buckets the plan of a scan counts:
	// hours, or coarser buckets when the dates spread wider.
	scanBuckets = 1 << 16
)

// Scan calls fn with every article q matches, newest first.
func (x *Index) Scan(ctx context.Context, q store.Query, fn func(*article.Article) error) error {
	_, err := x.scan(ctx, q, scanPartition, func(id string, doc []byte) error {
		a := new(article.Article)
		if err := json.Unmarshal(doc, a); err != nil {
			return fmt.Errorf("bleve: stored article %s: %w", id, err)
		}
		return fn(a)
	})
	return err
}

// ScanJSON calls fn with the JSON of every article q matches, newest
// first: the JSON the article was stored as (json.Marshal of it),
// decompressed but not decoded.
func (x *Index) ScanJSON(ctx context.Context, q store.Query, fn func(doc []byte) error) error {
	_, err := x.scan(ctx, q, scanPartition, func(_ string, src []byte) error { return fn(src) })
	return err
}

// scanStats says how much work a scan did: its passes over the matches'
// dates, and the matches those passes visited.
type scanStats struct {
	passes  int
	visited uint64
}

// scanDoc is an article a scan delivers: its ID and JSON.
type scanDoc struct {
	id  string
	doc []byte
}

// scanBatchOf is a batch of articles in scan order, or the error that
// ended the scan.
type scanBatchOf[T any] struct {
	items []T
	err   error
}

// scan delivers the JSON of every article q matches in the order of
// SortNewest (article date key descending, then ID) from one snapshot of
// the index, so that a scan sees one state of the index, however long it
// runs.
//
// A sorted search paged with search-after would visit every match again
// for each page (a million-article scan would visit a million documents a
// thousand times), and a date window per page costs a term lookup in
// every segment per article. Instead the scan plans partitions of at most
// part articles from one pass over the matches' date keys (counts per
// hour), then makes one pass per partition collecting its articles'
// dates and document numbers (16 bytes each), sorts them, and reads the
// articles by document number in batches. Holding those numbers and a
// few batches is all the memory a scan takes.
//
// Three stages run side by side, a batch apart: ordering, reading the
// articles' stored JSON, and emit (what the caller does with them:
// encoding, hashing, writing).
func (x *Index) scan(parent context.Context, q store.Query, part int, emit func(id string, doc []byte) error) (scanStats, error) {
	var st scanStats
	if err := x.enter(); err != nil {
		return st, err
	}
	cq, err := x.compile(q)
	if err != nil {
		x.mu.RUnlock()
		return st, err
	}
	snap, err := x.snapshot()
	x.mu.RUnlock()
	if err != nil {
		return st, err
	}
	defer snap.Close()

	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	send := func(ch chan<- scanBatchOf[uint64], b scanBatchOf[uint64]) bool {
		select {
		case ch <- b:
			return true
		case <-ctx.Done():
			return false
		}
	}
	ordered := make(chan scanBatchOf[uint64], 1)
	go func() {
		defer close(ordered)
		err := x.scanOrder(ctx, snap, cq.full, part, &st, func(nums []uint64) bool {
			return send(ordered, scanBatchOf[uint64]{items: nums})
		})
		if err != nil {
			send(ordered, scanBatchOf[uint64]{err: err})
		}
	}()
	batches := make(chan scanBatchOf[scanDoc], 1)
	go func() {
		defer close(batches)
		for b := range ordered {
			if ctx.Err() != nil {
				continue
			}
			out := scanBatchOf[scanDoc]{err: b.err}
			if b.err == nil {
				out.items, out.err = x.scanRead(snap, b.items)
			}
			select {
			case batches <- out:
			case <-ctx.Done():
			}
		}
	}()
	released := 0
	for b := range batches {
		if b.err != nil {
			err = b.err
			break
		}
		for _, d := range b.items {
			if err = ctx.Err(); err != nil {
				break
			}
			if err = emit(d.id, d.doc); err != nil {
				break
			}
			released += len(d.doc)
		}
		if err != nil {
			break
		}
		if released >= releaseEvery {
			x.releaseResident()
			released = 0
		}
	}
	cancel()
	for range batches { // let both stages end before the snapshot closes
	}
	if err == nil {
		err = parent.Err()
	}
	return st, err
}

// snapshot opens a snapshot of the index.
func (x *Index) snapshot() (*scorch.IndexSnapshot, error) {
	adv, err := x.idx.Advanced()
	if err != nil {
		return nil, fmt.Errorf("bleve: scan: %w", err)
	}
	reader, err := adv.Reader()
	if err != nil {
		return nil, fmt.Errorf("bleve: scan: open reader: %w", err)
	}
	snap, ok := reader.(*scorch.IndexSnapshot)
	if !ok {
		reader.Close()
		return nil, fmt.Errorf("bleve: scan: index reader is a %T, not a scorch snapshot", reader)
	}
	return snap, nil
}

// scanEntry is a matching article: its date (Unix seconds) and document
// number in the scan's snapshot.
type scanEntry struct {
	sec int64
	num uint64
}

// scanRange is a partition of a scan: the dates [lo, hi] (Unix seconds)
// and about how many matches they hold.
type scanRange struct {
	lo, hi int64
	count  uint64
}

// scanOrder hands send the document numbers of every match of q in snap,
// in scan order, scanBatch at a time, until done or send returns false.
func (x *Index) scanOrder(ctx context.Context, snap *scorch.IndexSnapshot, q bq.Query, part int, st *scanStats, send func([]uint64) bool) error {
	ranges, undated, err := x.scanPlan(ctx, snap, q, part, st)
	if err != nil {
		return err
	}
	// The plan read the date of every match: not needed again.
	x.releaseResident()
	emit := func(nums []uint64) bool {
		for len(nums) > 0 {
			n := min(len(nums), scanBatch)
			if !send(slices.Clone(nums[:n])) {
				return false
			}
			nums = nums[n:]
		}
		return true
	}
	var entries []scanEntry
	for _, r := range ranges {
		entries = entries[:0]
		err := x.scanPass(ctx, snap, q, st, func(sec int64, num uint64) {
			if sec >= r.lo && sec <= r.hi {
				entries = append(entries, scanEntry{sec, num})
			}
		}, nil)
		if err != nil {
			return err
		}
		x.releaseResident()
		// Newest first; ties by ID, as the sort of the searches.
		slices.SortFunc(entries, func(a, b scanEntry) int { return cmp.Compare(b.sec, a.sec) })
		nums := make([]uint64, len(entries))
		for i, e := range entries {
			nums[i] = e.num
		}
		for i := 0; i < len(entries); {
			j := i + 1
			for j < len(entries) && entries[j].sec == entries[i].sec {
				j++
			}
			if j-i > 1 {
				if err := sortByID(snap, nums[i:j]); err != nil {
					return err
				}
			}
			i = j
		}
		if !emit(nums) {
			return nil
		}
	}
	// Matches without a date key (none in an index this code wrote) sort
	// last, by ID.
	if len(undated) > 0 {
		if err := sortByID(snap, undated); err != nil {
			return err
		}
		emit(undated)
	}
	return nil
}

// scanPlan counts the matches of q in snap per date bucket (an hour, or
// coarser when the dates spread over more than scanBuckets hours) and cuts
// the buckets, newest first, into ranges of at most part matches (a
// bucket with more is a range of its own). It also returns the matches
// without a date key.
func (x *Index) scanPlan(ctx context.Context, snap *scorch.IndexSnapshot, q bq.Query, part int, st *scanStats) ([]scanRange, []uint64, error) {
	width := int64(3600)
	counts := map[int64]uint64{}
	var undated []uint64
	floorDiv := func(a, b int64) int64 {
		d := a / b
		if a%b != 0 && a < 0 {
			d--
		}
		return d
	}
	err := x.scanPass(ctx, snap, q, st, func(sec int64, _ uint64) {
		counts[floorDiv(sec, width)]++
		for len(counts) > scanBuckets {
			coarser := make(map[int64]uint64, len(counts)/2)
			for b, n := range counts {
				coarser[floorDiv(b, 4)] += n
			}
			counts, width = coarser, width*4
		}
	}, func(num uint64) { undated = append(undated, num) })
	if err != nil {
		return nil, nil, err
	}
	buckets := make([]int64, 0, len(counts))
	var total uint64
	for b, n := range counts {
		buckets = append(buckets, b)
		total += n
	}
	if part == scanPartition {
		part = min(max(part, int(total/scanPasses)+1), scanMaxPartition)
	}
	sort.Slice(buckets, func(i, j int) bool { return buckets[i] > buckets[j] })
	var ranges []scanRange
	for _, b := range buckets {
		lo, hi := b*width, b*width+width-1
		n := counts[b]
		if k := len(ranges); k > 0 && ranges[k-1].count+n <= uint64(part) {
			ranges[k-1].lo = lo
			ranges[k-1].count += n
			continue
		}
		ranges = append(ranges, scanRange{lo: lo, hi: hi, count: n})
	}
	return ranges, undated, nil
}

// scanPass visits the matches of q in snap: dated with each one's date
// and document number, undated (if set) with those that have no date key.
func (x *Index) scanPass(ctx context.Context, snap *scorch.IndexSnapshot, q bq.Query, st *scanStats, dated func(sec int64, num uint64), undated func(num uint64)) error {
	if err := x.enter(); err != nil {
		return err
	}
	defer x.mu.RUnlock()
	st.passes++
	var (
		sec int64
		ok  bool
	)
	err := x.visitMatchesIn(ctx, snap, q, []string{fDateKey},
		func(_ string, term []byte) { sec, ok = parseDateKey(term) },
		func(id index.IndexInternalID) {
			st.visited++
			num := id.Value()
			if ok {
				dated(sec, num)
			} else if undated != nil {
				undated(num)
			}
			ok = false
		})
	if err != nil && ctx.Err() == nil {
		err = fmt.Errorf("bleve: scan: %w", err)
	}
	return err
}

// sortByID orders document numbers of snap by their articles' IDs.
func sortByID(snap *scorch.IndexSnapshot, nums []uint64) error {
	ids := make(map[uint64]string, len(nums))
	for _, n := range nums {
		id, err := snap.ExternalID(index.NewIndexInternalID(nil, n))
		if err != nil {
			return fmt.Errorf("bleve: scan: document %d: %w", n, err)
		}
		ids[n] = id
	}
	slices.SortFunc(nums, func(a, b uint64) int { return cmp.Compare(ids[a], ids[b]) })
	return nil
}

// scanRead reads the ID and article JSON of documents of snap.
func (x *Index) scanRead(snap *scorch.IndexSnapshot, nums []uint64) ([]scanDoc, error) {
	if err := x.enter(); err != nil {
		return nil, err
	}
	defer x.mu.RUnlock()
	segs := snap.Segments()
	// A snapshot numbers its documents segment after segment: the first
	// document of segment i is the sum of the full sizes before it.
	starts := make([]uint64, len(segs)+1)
	for i, s := range segs {
		starts[i+1] = starts[i] + uint64(s.FullSize())
	}
	// Decompressing the articles is most of a scan's work: the batch is
	// read by a worker per core.
	docs := make([]scanDoc, len(nums))
	workers := min(runtime.GOMAXPROCS(0), 4, len(nums))
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(nums); i += workers {
				d, err := x.storedJSON(segs, starts, nums[i])
				if err != nil {
					errs[w] = err
					return
				}
				docs[i] = d
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return docs, nil
}

// storedJSON reads the ID and article JSON of document num from the
// segment holding it.
func (x *Index) storedJSON(segs []*scorch.SegmentSnapshot, starts []uint64, num uint64) (scanDoc, error) {
	i := sort.Search(len(segs), func(i int) bool { return starts[i+1] > num })
	if i >= len(segs) {
		return scanDoc{}, fmt.Errorf("bleve: scan: document number %d is in no segment", num)
	}
	var (
		d    scanDoc
		derr error
	)
	err := segs[i].VisitDocument(num-starts[i], func(field string, _ byte, val []byte, _ []uint64) bool {
		switch field {
		case "_id":
			d.id = string(val)
		case fSource:
			// val is the segment's buffer: decompressed into a new
			// one, or copied when stored as plain JSON.
			if d.doc, derr = x.src.plainJSON(val); derr == nil && len(val) > 0 && &d.doc[0] == &val[0] {
				d.doc = append([]byte(nil), val...)
			}
		}
		return true
	})
	if err == nil {
		err = derr
	}
	if err != nil {
		return scanDoc{}, fmt.Errorf("bleve: scan: stored article %s (document %d): %w", d.id, num, err)
	}
	if d.id == "" || d.doc == nil {
		return scanDoc{}, fmt.Errorf("bleve: scan: document %d has no stored article", num)
	}
	return d, nil
}
