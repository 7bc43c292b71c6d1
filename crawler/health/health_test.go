package health

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func newTracker(t *testing.T, cfg Config) (*Tracker, *[]Event) {
	t.Helper()
	var evs []Event
	tr, err := NewTracker(cfg, "report", "Report.az", func(e Event) { evs = append(evs, e) })
	if err != nil {
		t.Fatal(err)
	}
	return tr, &evs
}

func statuses(evs []Event) string {
	var s []string
	for _, e := range evs {
		s = append(s, string(e.To))
	}
	return strings.Join(s, ",")
}

// homeLinks is a home page: navigation plus the n latest articles from
// first on.
func homeLinks(first, n int) []string {
	links := []string{"https://report.az/", "https://report.az/daxili-siyaset/", "https://report.az/iqtisadiyyat/", "https://report.az/rss/"}
	for i := first; i < first+n; i++ {
		links = append(links, fmt.Sprintf("https://report.az/daxili-siyaset/story-%d/", i))
	}
	return links
}

// Every status, entered and left, with one event per change.
func TestStatuses(t *testing.T) {
	tr, evs := newTracker(t, Config{Window: time.Minute})
	now := time.Date(2025, 2, 20, 10, 0, 0, 0, time.UTC)
	step := func() time.Time { now = now.Add(time.Second); return now }
	for i := 0; i < 10; i++ {
		tr.Request(step(), "", 50*time.Millisecond)
	}
	// Down: three outage failures in a row; back up on a success, but
	// degraded while the window holds many failures.
	for i := 0; i < 3; i++ {
		tr.Request(step(), "http_5xx", time.Millisecond)
	}
	if o := tr.Snapshot(now); o.Status != Down || !strings.Contains(o.Reason, "http_5xx") {
		t.Fatalf("after 3 failures: %+v", o)
	}
	tr.Request(step(), "", time.Millisecond)
	if o := tr.Snapshot(now); o.Status != Degraded || o.Errors != 3 || o.ErrorsByKind["http_5xx"] != 3 {
		t.Fatalf("after a success: %+v", o)
	}
	// Too large pages fail requests but do not make an outlet down.
	for i := 0; i < 5; i++ {
		tr.Request(step(), "too_large", time.Millisecond)
	}
	if o := tr.Snapshot(now); o.Status != Degraded {
		t.Fatalf("too large pages: %s", o.Status)
	}
	now = now.Add(2 * time.Minute) // the window forgets
	if o := tr.Snapshot(now); o.Status != Up || o.Requests != 0 || o.LastSuccess == nil {
		t.Fatalf("after the window: %+v", o)
	}
	// Defaced: the home page loses its links wholesale; a page that moves
	// on by a few articles, or a redesign that still links to articles, is
	// no defacement.
	tr.Home(step(), homeLinks(0, 20), 20)
	tr.Home(step(), homeLinks(3, 20), 20)
	tr.Home(step(), homeLinks(5, 20), 20)
	if o := tr.Snapshot(now); o.Status != Up {
		t.Fatalf("normal home pages: %s", o.Status)
	}
	tr.Home(step(), []string{"https://t.me/hackers"}, 0)
	if o := tr.Snapshot(now); o.Status != Defaced {
		t.Fatalf("defaced home page: %+v", o)
	}
	tr.Home(step(), homeLinks(6, 20), 20)
	if o := tr.Snapshot(now); o.Status != Up {
		t.Fatalf("home page restored: %s", o.Status)
	}
	var redesign []string
	for i := 0; i < 20; i++ {
		redesign = append(redesign, fmt.Sprintf("https://report.az/news/%d", 1000+i))
	}
	tr.Home(step(), redesign, 20)
	if o := tr.Snapshot(now); o.Status != Up {
		t.Fatalf("a redesign with article links: %s", o.Status)
	}
	// Layout changed: structured dates vanish from the latest pages.
	for i := 0; i < 12; i++ {
		tr.Extraction(step(), true, true)
	}
	for i := 0; i < 8; i++ {
		tr.Extraction(step(), true, false)
	}
	if o := tr.Snapshot(now); o.Status != LayoutChanged || !strings.Contains(o.Reason, "structured dates") {
		t.Fatalf("dates lost: %+v", o)
	}
	for i := 0; i < 4; i++ {
		tr.Extraction(step(), true, true)
	}
	if o := tr.Snapshot(now); o.Status != Up {
		t.Fatalf("dates back: %s", o.Status)
	}
	// Degraded on its own: a feed that does not parse.
	tr.Problem(step(), "feed")
	if o := tr.Snapshot(now); o.Status != Degraded || o.Problems["feed"] != 1 {
		t.Fatalf("broken feed: %+v", o)
	}
	want := "down,degraded,up,defaced,up,layout-changed,up,degraded"
	if got := statuses(*evs); got != want {
		t.Fatalf("events %s, want %s", got, want)
	}
	for _, e := range *evs {
		if e.Outlet != "report" || e.At.IsZero() || (e.To != Up && e.Reason == "") {
			t.Errorf("event %+v", e)
		}
	}
}

// The median publishing interval, articles new and updated, and a
// tracker restored from its Memory judging as its predecessor did.
func TestPublishingIntervalAndMemory(t *testing.T) {
	tr, _ := newTracker(t, Config{})
	now := time.Now()
	for i, gap := range []time.Duration{0, 10, 30, 20, 40} {
		p := now.Add(-time.Hour).Add(time.Duration(i) * gap * time.Minute)
		tr.Article(now, true, &p)
	}
	tr.Article(now, false, nil)
	o := tr.Snapshot(now)
	if o.ArticlesNew != 5 || o.ArticlesUpdated != 1 || o.LastNewArticle == nil || o.PublishingIntervalSeconds <= 0 {
		t.Fatalf("%+v", o)
	}
	tr.Home(now, homeLinks(0, 20), 20)
	tr.Home(now, homeLinks(1, 20), 20)
	for i := 0; i < 3; i++ {
		tr.Request(now, "network", time.Millisecond)
	}
	m := tr.Memory()
	tr2, _ := newTracker(t, Config{})
	tr2.Restore(m)
	if o := tr2.Snapshot(now); o.Status != Down || o.PublishingIntervalSeconds != tr.Snapshot(now).PublishingIntervalSeconds {
		t.Fatalf("restored: %+v", o)
	}
	tr2.Request(now, "", time.Millisecond)
	tr2.Home(now, []string{"https://x.example/"}, 0)
	if o := tr2.Snapshot(now); o.Status != Defaced {
		t.Fatalf("restored tracker does not know the home page: %s", o.Status)
	}
	if _, err := NewTracker(Config{DegradedErrorRate: 2}, "x", "", nil); err == nil {
		t.Fatal("bad config accepted")
	}
}
