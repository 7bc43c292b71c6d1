package bleve

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	bq "github.com/blevesearch/bleve/v2/search/query"
	"go.uber.org/zap/zaptest"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/storetest"
)

// manyWords stores the fixtures and n articles, the i-th with the word
// "zzw<i>" in its body, so that the prefix zzw expands to n words.
func manyWords(t *testing.T, x *Index, n int) {
	t.Helper()
	arts := storetest.Fixtures(t)
	pub := time.Date(2025, 2, 21, 14, 17, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		a := article.Article{
			URL: fmt.Sprintf("https://report.az/news/%d", i), Outlet: "report", Language: "en",
			Title: fmt.Sprintf("Item %d", i), Body: fmt.Sprintf("zzw%04d appears in this article about Baku.", i),
			PublishedAt: &pub, DateSource: "meta", FetchedAt: pub,
		}
		if err := a.Finalize(); err != nil {
			t.Fatal(err)
		}
		arts = append(arts, &a)
	}
	if err := x.Put(context.Background(), arts); err != nil {
		t.Fatal(err)
	}
}

func TestCostLimits(t *testing.T) {
	x, err := Open(t.TempDir(), Options{Limits: Limits{MaxPrefixTerms: 100, MaxTermLists: 300, MaxPostings: 500}}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	manyWords(t, x, 150)
	words := func(n int) string {
		ws := make([]string, n)
		for i := range ws {
			ws[i] = fmt.Sprintf("zzw%04d", i)
		}
		return strings.Join(ws, " OR ")
	}
	for _, tc := range []struct {
		q    string
		frag string // of the error; "" when the search runs
	}{
		{"zzw000*", ""}, // 10 words
		{"zzw*", "prefix \"zzw*\" matches more than 100 words in body; make it longer"},
		{words(10), ""},                         // 40 term lists (title, body, stem_az, stem_en)
		{words(80), "more than 300 term lists"}, // 320
		{"Baku", ""},                            // 150 + 2 articles, on 5 fields: under 500
		{"Baku OR zzw0001 OR about OR appears", "more than 500 postings"},
		{strings.TrimSuffix(strings.Repeat("zzw000* OR ", 256), " OR "), ""}, // one prefix, 256 times
	} {
		start := time.Now()
		_, err := x.Search(context.Background(), store.Query{Text: tc.q, Size: 10})
		switch {
		case tc.frag == "" && err != nil:
			t.Errorf("%.60s: %v", tc.q, err)
		case tc.frag != "" && (!errors.Is(err, store.ErrTooCostly) || !strings.Contains(err.Error(), tc.frag)):
			t.Errorf("%.60s: %v, want ErrTooCostly with %q", tc.q, err, tc.frag)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("%.60s: answered in %s", tc.q, d)
		}
	}

	// Without limits the same queries run.
	y, err := Open(t.TempDir(), Options{Limits: Limits{MaxPrefixTerms: -1, MaxTermLists: -1, MaxPostings: -1}}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer y.Close()
	manyWords(t, y, 150)
	r, err := y.Search(context.Background(), store.Query{Text: "zzw*"})
	if err != nil || r.Total != 150 {
		t.Errorf("zzw* without limits: %v %+v", err, r)
	}
}

// TestRepeatedPrefixCostsOnce: the query (one prefix 256 times) is
// estimated, and runs, as the prefix alone.
func TestRepeatedPrefixCostsOnce(t *testing.T) {
	x := open(t, t.TempDir())
	defer x.Close()
	manyWords(t, x, 20)
	est := func(q string) cost {
		t.Helper()
		c, err := x.estimate(context.Background(), translated(t, x, q))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	one := est("zzw*")
	many := est(strings.TrimSuffix(strings.Repeat("zzw* OR ", 256), " OR "))
	if one != many || one.lists != 20 || one.postings != 20 {
		t.Errorf("zzw*: %+v; 256 times: %+v; want 20 lists of 1 posting", one, many)
	}
}

// TestAdmission: heavy searches share their own few slots and wait for
// them at most QueueWait; cheap searches are not held up by them.
func TestAdmission(t *testing.T) {
	a := newAdmission(Limits{MaxHeavy: 1, MaxSearches: 3, QueueWait: 100 * time.Millisecond})
	ctx := context.Background()
	enter := func(heavy bool) (*ticket, error) {
		tk := a.ticket()
		if heavy {
			if err := tk.enterHeavy(ctx); err != nil {
				return nil, err
			}
		}
		if err := tk.enter(ctx); err != nil {
			tk.release()
			return nil, err
		}
		return tk, nil
	}
	h1, err := enter(true)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := enter(true); !errors.Is(err, store.ErrBusy) {
		t.Fatalf("second heavy search: %v, want ErrBusy", err)
	}
	if d := time.Since(start); d < 100*time.Millisecond || d > 5*time.Second {
		t.Errorf("second heavy search waited %s, want the queue wait of 100ms", d)
	}
	var cheap []*ticket
	for i := 0; i < 2; i++ { // the other two slots go to cheap searches
		tk, err := enter(false)
		if err != nil {
			t.Fatalf("cheap search %d beside a heavy one: %v", i, err)
		}
		cheap = append(cheap, tk)
	}
	if _, err := enter(false); !errors.Is(err, store.ErrBusy) {
		t.Fatalf("fourth search with 3 slots: %v, want ErrBusy", err)
	}
	// A waiting search gets a slot freed within its wait.
	got := make(chan error, 1)
	go func() {
		tk, err := enter(true)
		if err == nil {
			tk.release()
		}
		got <- err
	}()
	cheap[0].release()
	h1.release()
	if err := <-got; err != nil {
		t.Errorf("heavy search after a release: %v", err)
	}
	// A canceled request stops waiting; release twice is harmless.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := a.ticket().enter(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled wait: %v", err)
	}
	cheap[1].release()
	cheap[1].release()
	if len(a.all) != 0 || len(a.heavy) != 0 {
		t.Errorf("slots leaked: %d all, %d heavy", len(a.all), len(a.heavy))
	}
}

// TestSmallShape: only a few words without prefixes are estimated outside
// the heavy slots.
func TestSmallShape(t *testing.T) {
	x := open(t, t.TempDir())
	defer x.Close()
	for q, want := range map[string]bool{
		"Bakı": true, "Bakı neft qaz": true, `"İlham Əliyev" Şuşa`: true, "Bakı neft qaz Gəncə Şəki enerji bank manat dollar büdcə": false,
		"de*": false, "title:neft OR body:qaz": true,
	} {
		if got := smallShape(translated(t, x, q)); got != want {
			t.Errorf("smallShape(%q) = %v, want %v", q, got, want)
		}
	}
}

// translated is the bleve query of query text q.
func translated(t *testing.T, x *Index, q string) bq.Query {
	t.Helper()
	cq, err := x.compile(store.Query{Text: q})
	if err != nil {
		t.Fatal(err)
	}
	return cq.text
}
