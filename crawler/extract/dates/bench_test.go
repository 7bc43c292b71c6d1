package dates

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// devDir is the date benchmark's dev split (see /work/shared/date-bench).
const devDir = "../../../../shared/date-bench/dev"

type devPage struct {
	id, url, ref string
	doc          *html.Node
}

func loadDev(tb testing.TB) []devPage {
	b, err := os.ReadFile(filepath.Join(devDir, "ground-truth.json"))
	if err != nil {
		tb.Skip("date benchmark not present:", err)
	}
	var gt map[string]struct {
		Date *string `json:"date"`
		URL  string  `json:"url"`
	}
	if err := json.Unmarshal(b, &gt); err != nil {
		tb.Fatal(err)
	}
	ids := make([]string, 0, len(gt))
	for id := range gt {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var out []devPage
	for _, id := range ids {
		raw, err := os.ReadFile(filepath.Join(devDir, "html", id+".html.gz"))
		if err != nil {
			tb.Fatal(err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			tb.Fatal(err)
		}
		h, err := io.ReadAll(zr)
		if err != nil {
			tb.Fatal(err)
		}
		doc, err := html.Parse(bytes.NewReader(h))
		if err != nil {
			continue
		}
		p := devPage{id: id, url: gt[id].URL, doc: doc}
		if d := gt[id].Date; d != nil {
			p.ref = *d
		}
		out = append(out, p)
	}
	return out
}

// BenchmarkFind runs Find over every page of the date benchmark (parsed
// once, outside the timer); ns/op is per page.
func BenchmarkFind(b *testing.B) {
	pages := loadDev(b)
	now := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := pages[i%len(pages)]
		Find(p.doc, Options{URL: p.url, Now: now})
	}
}

// TestDebugDev prints the candidates of every source for the pages named
// in DATES_DEBUG (comma-separated ids); it is a tuning aid.
func TestDebugDev(t *testing.T) {
	ids := os.Getenv("DATES_DEBUG")
	if ids == "" {
		t.Skip("set DATES_DEBUG=id,id")
	}
	want := map[string]bool{}
	for _, id := range strings.Split(ids, ",") {
		want[id] = true
	}
	for _, p := range loadDev(t) {
		if !want[p.id] {
			continue
		}
		f := finder{opt: Options{URL: p.url, Now: time.Now(), Location: time.UTC}, doc: p.doc}
		f.walk(p.doc)
		f.structured()
		fmt.Printf("== %s ref=%s %s\n", p.id, p.ref, p.url)
		for i, s := range f.pub {
			if s.c != nil {
				fmt.Printf("  pub[%d] %-6s %s prio=%d kind=%d zoned=%v\n", i, s.name, f.present(s.c.p).Format(time.RFC3339), s.c.prio, s.c.p.kind, s.c.p.zoned)
			}
		}
		for i, s := range f.mod {
			if s.c != nil {
				fmt.Printf("  mod[%d] %-6s %s\n", i, s.name, f.present(s.c.p).Format(time.RFC3339))
			}
		}
		r := Find(p.doc, Options{URL: p.url, Now: time.Now()})
		if r.Published != nil {
			fmt.Printf("  => %s %s\n", r.Published.Format(time.RFC3339), r.Source)
		}
	}
}

// TestDumpDev writes Find's full result for every dev page to the file
// named by DATES_DUMP, to compare two versions of the package.
func TestDumpDev(t *testing.T) {
	out := os.Getenv("DATES_DUMP")
	if out == "" {
		t.Skip("set DATES_DUMP=file")
	}
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	var b strings.Builder
	for _, p := range loadDev(t) {
		for _, u := range []string{p.url, ""} {
			r := Find(p.doc, Options{URL: u, Now: now})
			f := func(t *time.Time) string {
				if t == nil {
					return "-"
				}
				return t.Format(time.RFC3339)
			}
			fmt.Fprintf(&b, "%s url=%v %s %s %s\n", p.id, u != "", f(r.Published), f(r.Modified), r.Source)
		}
	}
	if err := os.WriteFile(out, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
