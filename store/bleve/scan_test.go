package bleve

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/index/scorch/mergeplan"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/storetest"
)

// TestScanPartitions: with small partitions, a scan makes many passes
// over dates with bursts, gaps and shared instants, delivers every article
// once in newest-first order (ties by ID), and visits the matches once per
// pass: a pass per partition and one to plan, where paging a sorted
// search with search-after would visit every match for every page.
func TestScanPartitions(t *testing.T) {
	x := open(t, t.TempDir())
	defer x.Close()
	rng := rand.New(rand.NewPCG(3, 4))
	var arts []article.Article
	base := time.Date(2025, time.May, 1, 0, 0, 0, 0, time.UTC)
	for i := range 2000 {
		var d time.Time
		switch {
		case i < 800: // a burst: 800 articles within ten minutes
			d = base.Add(time.Duration(rng.IntN(600_000)) * time.Millisecond)
		case i < 840: // 40 at one instant
			d = base.Add(-48 * time.Hour)
		default: // the rest over two years, denser lately
			d = base.Add(-time.Duration(rng.Float64()*rng.Float64()*2*365*24*3600) * time.Second)
		}
		a := article.Article{URL: fmt.Sprintf("https://w.example/%d", i), Outlet: []string{"a", "b"}[i%2], Language: "en",
			Title: "Window " + strconv.Itoa(i), Body: []string{"oil", "gas", "bank"}[i%3] + " news", PublishedAt: &d,
			FetchedAt: d.Add(time.Minute)}
		if err := a.Finalize(); err != nil {
			t.Fatal(err)
		}
		arts = append(arts, a)
	}
	if err := x.Put(context.Background(), storetest.Ptrs(arts)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		q    store.Query
		page int
	}{{store.Query{}, 20}, {store.Query{}, 7}, {store.Query{Text: "oil"}, 20}, {store.Query{Outlets: []string{"b"}}, 1000}, {store.Query{Text: "gas", Outlets: []string{"a"}}, 3}} {
		var want []article.Article
		for _, a := range arts {
			ok := tc.q.Text == "" || strings.Contains(a.Body, tc.q.Text)
			if len(tc.q.Outlets) > 0 && !slices.Contains(tc.q.Outlets, a.Outlet) {
				ok = false
			}
			if ok {
				want = append(want, a)
			}
		}
		slices.SortFunc(want, func(a, b article.Article) int {
			// The store orders by the second, then by ID.
			if c := cmp.Compare(b.PublishedAt.Unix(), a.PublishedAt.Unix()); c != 0 {
				return c
			}
			return strings.Compare(a.ID, b.ID)
		})
		var got []string
		st, err := x.scan(context.Background(), tc.q, tc.page, func(id string, src []byte) error {
			var a article.Article
			if err := json.Unmarshal(src, &a); err != nil {
				return err
			}
			if a.ID != id {
				return fmt.Errorf("source of %s holds %s", id, a.ID)
			}
			got = append(got, id)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("%+v page %d: %d articles, want %d", tc.q, tc.page, len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i].ID {
				t.Fatalf("%+v page %d: article %d is %s, want %s (%s)", tc.q, tc.page, i, got[i], want[i].ID, want[i].PublishedAt)
			}
		}
		n := uint64(len(want))
		// Every pass visits every match; the 800 articles of the burst
		// share an hour, the partitions' unit, and make one partition.
		maxPasses := 1 + int(n)/tc.page + 2
		t.Logf("%+v partitions of %d: %d articles, %d passes, %d visits", tc.q, tc.page, n, st.passes, st.visited)
		if st.visited != uint64(st.passes)*n || st.passes > maxPasses {
			t.Errorf("%+v partitions of %d: %d passes (want at most %d) visited %d, want %d per pass", tc.q, tc.page, st.passes, maxPasses, st.visited, n)
		}
	}
}

// TestScanReleasesResidentPages: a scan keeps the index files it read out
// of the process's resident set (Linux; the resident pages of the index's
// file mappings in /proc/self/smaps - not the process's whole RssFile,
// which also grows by the program's own code pages the first scan runs).
func TestScanReleasesResidentPages(t *testing.T) {
	if _, err := os.Stat("/proc/self/smaps"); err != nil {
		t.Skip("no /proc/self/smaps on this system")
	}
	dir := t.TempDir()
	x := open(t, dir)
	// 8 KB of random outbound links per article: stored (nearly
	// uncompressed) but not analysed, so the index builds fast.
	rng := rand.New(rand.NewPCG(5, 6))
	var arts []article.Article
	for i := range 1200 {
		var links []string
		for range 40 {
			b := []byte("https://links.example/")
			for range 180 {
				b = append(b, byte('a'+rng.IntN(26)))
			}
			links = append(links, string(b))
		}
		d := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute)
		a := article.Article{URL: fmt.Sprintf("https://r.example/%d", i), Outlet: "r", Language: "en",
			Title: "Neft " + strconv.Itoa(i), Body: "Oil output grew.", Links: links, PublishedAt: &d, FetchedAt: d}
		if err := a.Finalize(); err != nil {
			t.Fatal(err)
		}
		arts = append(arts, a)
	}
	for i := 0; i < len(arts); i += 400 {
		if err := x.Put(context.Background(), storetest.Ptrs(arts[i:i+400])); err != nil {
			t.Fatal(err)
		}
	}
	// One segment on disk, so that no merge changes the files under the
	// scan.
	adv, err := x.idx.Advanced()
	if err != nil {
		t.Fatal(err)
	}
	if err := adv.(*scorch.Scorch).ForceMerge(context.Background(), &mergeplan.SingleSegmentMergePlanOptions); err != nil {
		t.Fatal(err)
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	x = open(t, dir) // the segment on disk, memory-mapped
	defer x.Close()
	// Opening may have read the segments already: start from none of
	// the index resident.
	x.releaseResident()
	before := rssIndexKB(t, dir)
	n := 0
	if err := x.ScanJSON(context.Background(), store.Query{}, func([]byte) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	scanned := rssIndexKB(t, dir)
	x.releaseResident()
	after := rssIndexKB(t, dir)
	t.Logf("index pages resident: %d kB before the scan, %d kB after it, %d kB after releaseResident (%d articles)", before, scanned, after, n)
	if n != len(arts) {
		t.Fatalf("scanned %d, want %d", n, len(arts))
	}
	// The scan read about 1200 x 8 KB: it left megabytes of the index
	// mapped (it releases every releaseEvery bytes, more than it read),
	// and released they are gone again.
	if scanned < 2048 {
		t.Fatalf("the scan left only %d kB of the index mapped; the test shows nothing", scanned)
	}
	if after > 1024 {
		t.Errorf("%d kB of the index resident after releasing: want at most 1 MB", after)
	}
}

// rssIndexKB sums the resident pages of the process's memory mappings of
// files under dir (the index's segments), from /proc/self/smaps.
func rssIndexKB(t *testing.T, dir string) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	in := false
	for _, line := range strings.Split(string(b), "\n") {
		fields := strings.Fields(line)
		if len(fields) >= 5 && strings.Contains(fields[0], "-") && !strings.HasSuffix(fields[0], ":") {
			// A mapping's header: address perms offset dev inode [path].
			in = len(fields) >= 6 && strings.HasPrefix(fields[5], dir)
			continue
		}
		if v, ok := strings.CutPrefix(line, "Rss:"); ok && in {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			total += n
		}
	}
	return total
}
