package crawler

import (
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/newswatch/newswatch/crawler/health"
)

// The adaptive schedule: a source's interval halves when it shows new
// articles, grows by a quarter when it shows nothing and doubles when it
// fails, always between the floor and the ceiling, and never longer than
// half the outlet's median publishing interval.
func TestAdaptiveInterval(t *testing.T) {
	cfg := OutletConfig{ID: "x", BaseURL: "https://x.az/", Feeds: []string{"https://x.az/rss"},
		Fetch: Fetch{Poll: Poll{MinInterval: 10 * time.Second, MaxInterval: 5 * time.Minute}}}
	o, err := prepareOutlet(cfg, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if o.health, err = health.NewTracker(health.Config{}, "x", "", nil); err != nil {
		t.Fatal(err)
	}
	o.sched = schedule{loaded: true, due: map[string]time.Time{}, interval: map[string]time.Duration{}}
	st := SourceState{URL: "https://x.az/rss"}
	now := time.Now()
	step := func(changed, failed bool) time.Duration {
		o.reschedule(&st, now, changed, failed, 0)
		if d := st.Due.Sub(now); d < st.Interval*9/10 || d > st.Interval*11/10 {
			t.Errorf("due in %v for an interval of %v: more than 10%% jitter", d, st.Interval)
		}
		return st.Interval
	}
	var quiet []time.Duration
	for i := 0; i < 20; i++ {
		quiet = append(quiet, step(false, false))
	}
	if quiet[0] != 12500*time.Millisecond || quiet[len(quiet)-1] != 5*time.Minute {
		t.Errorf("quiet source: %v", quiet)
	}
	if iv := step(true, false); iv != 150*time.Second {
		t.Errorf("new articles after quiet: %v, want 2m30s", iv)
	}
	for i := 0; i < 10; i++ {
		step(true, false)
	}
	if st.Interval != 10*time.Second {
		t.Errorf("a busy source is not at the floor: %v", st.Interval)
	}
	if iv := step(false, true); iv != 20*time.Second {
		t.Errorf("failed poll: %v, want 20s", iv)
	}
	// An outlet that publishes every 40 s is polled at least every 20 s,
	// however quiet one source looks.
	for i := 0; i < 6; i++ {
		p := now.Add(time.Duration(i) * 40 * time.Second)
		o.health.Article(now, true, &p)
	}
	for i := 0; i < 20; i++ {
		step(false, false)
	}
	if st.Interval != 20*time.Second {
		t.Errorf("capped by the publishing interval: %v, want 20s", st.Interval)
	}
	if d := o.sched.due[st.URL]; !d.Equal(st.Due) {
		t.Errorf("schedule not updated: %v vs %v", d, st.Due)
	}
}
