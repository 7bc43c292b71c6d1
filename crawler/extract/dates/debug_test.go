package dates

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"golang.org/x/net/html"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

func TestDebugSources(t *testing.T) {
	b, err := os.ReadFile("/work/shared/date-bench/dev/ground-truth.json")
	if err != nil {
		t.Skip()
	}
	var gt map[string]struct {
		Date *string
		URL  string
	}
	json.Unmarshal(b, &gt)
	for id, g := range gt {
		if g.Date == nil {
			continue
		}
		fh, _ := os.Open("/work/shared/date-bench/dev/html/" + id + ".html.gz")
		zr, _ := gzip.NewReader(fh)
		raw, _ := io.ReadAll(zr)
		doc, _ := html.Parse(strings.NewReader(string(raw)))
		fd := &finder{opt: Options{URL: g.URL, Location: time.UTC, Now: time.Now()}, doc: doc}
		fd.walk(doc)
		fd.structured()
		mark := func(c *cand) string {
			if c == nil {
				return "-"
			}
			s := fd.present(c.p).Format("2006-01-02")
			if s == *g.Date {
				s = "OK"
			}
			return fmt.Sprintf("%s/%d", s, c.prio)
		}
		var parts []string
		for _, s := range fd.pub {
			parts = append(parts, s.name+"="+mark(s.c))
		}
		tx := fd.visibleText()
		parts = append(parts, "text="+mark(tx))
		u := "-"
		if x := fd.fromURL(); x != nil {
			u = x.Format("2006-01-02")
			if u == *g.Date {
				u = "OK"
			}
		}
		fmt.Printf("SRC %s ref=%s %s url=%s\n", id, *g.Date, strings.Join(parts, " "), u)
	}
}
