package suite

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2/mapping"

	"github.com/newswatch/newswatch/bus"
	"github.com/newswatch/newswatch/store/query"
)

// These tests are quick: they check the benchmarks' plumbing, never speed.

func TestBareDocumentMatchesStoreMapping(t *testing.T) {
	m, err := StoreMapping()
	if err != nil {
		t.Fatal(err)
	}
	im, ok := m.(*mapping.IndexMappingImpl)
	if !ok {
		t.Fatalf("mapping is %T", m)
	}
	var inMapping []string
	for name := range im.DefaultMapping.Properties {
		inMapping = append(inMapping, name)
	}
	slices.Sort(inMapping)
	want := slices.Sorted(slices.Values(bareFields))
	if !slices.Equal(inMapping, want) {
		t.Fatalf("store/bleve mapping fields %v, BareDocument knows %v: update BareDocument to match store/bleve's document()", inMapping, want)
	}
	arts, err := CorpusArticles(1, 12, Short)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i := range arts {
		doc, err := BareDocument(&arts[i])
		if err != nil {
			t.Fatal(err)
		}
		for k := range doc {
			if !slices.Contains(bareFields, k) {
				t.Errorf("BareDocument sets %q, not in the mapping", k)
			}
			seen[k] = true
		}
	}
	for _, f := range bareFields {
		if !seen[f] {
			t.Errorf("no corpus document sets %q", f)
		}
	}
}

func TestCorpus(t *testing.T) {
	a, err := CorpusArticles(7, 40, Long)
	if err != nil {
		t.Fatal(err)
	}
	b, err := CorpusArticles(7, 40, Long)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 40 {
		t.Fatalf("%d articles, want 40", len(a))
	}
	langs := map[string]int{}
	ids := map[string]bool{}
	var size int
	for i := range a {
		if a[i].ID != b[i].ID || a[i].Body != b[i].Body {
			t.Fatalf("article %d differs between two runs with the same seed", i)
		}
		if err := a[i].Validate(); err != nil {
			t.Fatalf("article %d: %v", i, err)
		}
		if ids[a[i].ID] {
			t.Fatalf("duplicate ID %s", a[i].ID)
		}
		ids[a[i].ID] = true
		langs[a[i].Language]++
		body, err := bus.Encode(&a[i])
		if err != nil {
			t.Fatal(err)
		}
		size += len(body)
	}
	if langs["az"] == 0 || langs["ru"] == 0 || langs["en"] == 0 {
		t.Errorf("languages %v, want az, ru and en", langs)
	}
	if mean := size / len(a); mean < 4000 || mean > 8000 {
		t.Errorf("mean JSON size of Long articles %d bytes, want ~5 KB", mean)
	}
	short, err := CorpusArticles(7, 40, Short)
	if err != nil {
		t.Fatal(err)
	}
	size = 0
	for i := range short {
		if short[i].ID != a[i].ID || !strings.HasPrefix(a[i].Body, short[i].Body) {
			t.Fatalf("Short article %d is not the start of the Long one", i)
		}
		body, _ := bus.Encode(&short[i])
		size += len(body)
	}
	if mean := size / len(short); mean < 2000 || mean > 4500 {
		t.Errorf("mean JSON size of Short articles %d bytes, want ~3 KB", mean)
	}
	for i := 1; i < len(a); i++ {
		if a[i].PublishedAt.After(*a[i-1].PublishedAt) {
			t.Fatalf("article %d is newer than article %d", i, i-1)
		}
	}
}

func TestQueryMix(t *testing.T) {
	sample, err := CorpusArticles(5, 50, Short)
	if err != nil {
		t.Fatal(err)
	}
	mix := QueryMix(sample)
	kinds := map[string]bool{}
	names := map[string]bool{}
	for _, q := range mix {
		if names[q.Name] {
			t.Errorf("duplicate query name %q", q.Name)
		}
		names[q.Name] = true
		kinds[q.Kind] = true
		if _, err := query.Parse(q.Query.Text); err != nil {
			t.Errorf("%s: %q does not parse: %v", q.Name, q.Query.Text, err)
		}
		if q.Query.Size != SearchSize {
			t.Errorf("%s: size %d", q.Name, q.Query.Size)
		}
		if err := q.Bare().Validate(); err != nil {
			t.Errorf("%s: bare request invalid: %v", q.Name, err)
		}
		if strings.Contains(q.Name, "lead") && len(strings.Fields(q.Query.Text)) < 4 {
			t.Errorf("%s: lead phrase %q too short", q.Name, q.Query.Text)
		}
	}
	for _, k := range []string{"term", "phrase", "boolean", "filter", "newest", "prefix", "field"} {
		if !kinds[k] {
			t.Errorf("no %s query in the mix", k)
		}
	}
}

func TestSummarize(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	l := Summarize(ds)
	if l.Samples != 100 || l.P50 != 50 || l.P95 != 95 || l.P99 != 99 || l.Max != 100 || l.Mean != 50.5 {
		t.Fatalf("got %+v", l)
	}
	if (Summarize(nil) != Latency{}) {
		t.Fatal("empty input")
	}
}

func TestReport(t *testing.T) {
	r := &Report{Mode: "quick", Commit: "abc", Machine: Machine{Cores: 2, CPUModel: "cpu", MemoryBytes: 1 << 30, GoVersion: "go1"},
		Sections: []Section{{Name: "x", Figures: []Figure{
			Compare("speed", "pages/s", HigherIsBetter, 50, "bare", 200),
			Single("time", "s", LowerIsBetter, 3, "no peer here"),
			MissingFigure("f1", "F1", "tool failed"),
		}}}}
	if f := r.Sections[0].Figures[0]; f.Ratio != 0.25 {
		t.Fatalf("ratio %v, want 0.25", f.Ratio)
	}
	var buf bytes.Buffer
	if err := WriteTable(&buf, r); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"2 cores (cpu)", "1.0 GiB", "go1", "50.00 pages/s", "200.0 pages/s", "0.25x", "(no peer)", "time: no peer here", "missing", "tool failed"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil || back.Sections[0].Figures[0].PeerValue != 200 {
		t.Fatalf("round trip: %v %+v", err, back)
	}
}

func TestExtractionFigures(t *testing.T) {
	var r ExtractResult
	if err := json.Unmarshal([]byte(`{"pages": 3, "results": [
		{"name": "ours", "scores": {"F1": 0.9}, "mean_ms": 10},
		{"name": "go-trafilatura", "scores": {"F1": 0.8}, "mean_ms": 20}]}`), &r); err != nil {
		t.Fatal(err)
	}
	fs := ExtractionFigures(r)
	if len(fs) != 3 || fs[0].Ratio != 0.9/0.8 || fs[1].Ratio != 0.5 || fs[2].Missing == "" {
		t.Fatalf("figures %+v", fs)
	}
	var d DateResult
	if err := json.Unmarshal([]byte(`{"pages": 2, "scores": [{"tool": "newswatch dates.Find", "f1": 0.9, "ms_per_page": 1},
		{"tool": "newswatch dates.Find (no URL)", "f1": 0.8, "ms_per_page": 1},
		{"tool": "go-htmldate fast", "f1": 0.6, "ms_per_page": 2}]}`), &d); err != nil {
		t.Fatal(err)
	}
	ds := DateFigures(d)
	if len(ds) != 2 || ds[0].Ratio != 1.5 || ds[1].Ratio != 0.5 {
		t.Fatalf("date figures %+v", ds)
	}
}
