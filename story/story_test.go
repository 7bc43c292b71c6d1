package story

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/bus/bustest"
	"github.com/newswatch/newswatch/simsite"
)

// labelled is a simulated corpus with its ground truth: every article's
// story (the URL of the original it copies, or its own).
func labelled(tb testing.TB, seed int64, n int) ([]*article.Article, map[string]string, map[string]string) {
	tb.Helper()
	site, err := simsite.New(simsite.Config{Seed: seed, Articles: n, Outlets: 6, Copies: 0.3})
	if err != nil {
		tb.Fatal(err)
	}
	for _, o := range site.Outlets() {
		if err := site.SetBaseURL(o.ID, "https://"+o.ID+".simsite.test"); err != nil {
			tb.Fatal(err)
		}
	}
	truth := site.Articles()
	sort.Slice(truth, func(i, j int) bool { return truth[i].PublishedAt.Before(truth[j].PublishedAt) })
	var arts []*article.Article
	label, kind := map[string]string{}, map[string]string{}
	for _, t := range truth {
		a, err := t.Stored(t.PublishedAt.Add(time.Minute))
		if err != nil {
			tb.Fatal(err)
		}
		arts = append(arts, &a)
		label[a.ID] = t.URL
		if t.CopyOf != "" {
			label[a.ID], kind[a.ID] = t.CopyOf, t.CopyKind
		}
	}
	return arts, label, kind
}

// pairScores counts, over every pair of articles, the pairs grouped
// together and the pairs of one story.
func pairScores(arts []*article.Article, label map[string]string) (tp, fp, fn int) {
	for i := range arts {
		for j := i + 1; j < len(arts); j++ {
			same := label[arts[i].ID] == label[arts[j].ID]
			grouped := arts[i].StoryID == arts[j].StoryID
			switch {
			case same && grouped:
				tp++
			case grouped:
				fp++
			case same:
				fn++
			}
		}
	}
	return tp, fp, fn
}

// TestGroupingPrecisionRecall: on labelled simulated corpora (six outlets,
// three languages, 30% of the articles reprints or light rewrites of an
// earlier article of another outlet, the rest unrelated articles on the
// same topics in the same small vocabulary), the pairs the Assigner puts
// in one story against the true pairs.
func TestGroupingPrecisionRecall(t *testing.T) {
	var tp, fp, fn int
	missed := map[string]int{}
	for _, seed := range []int64{1, 2, 3} {
		arts, label, kind := labelled(t, seed, 600)
		a, err := NewAssigner(context.Background(), Config{}, nil, zap.NewNop())
		if err != nil {
			t.Fatal(err)
		}
		for _, art := range arts {
			if err := a.Assign(context.Background(), art); err != nil {
				t.Fatal(err)
			}
		}
		p, f, n := pairScores(arts, label)
		tp, fp, fn = tp+p, fp+f, fn+n
		byURL := map[string]*article.Article{}
		for _, art := range arts {
			byURL[art.URL] = art
		}
		for _, art := range arts {
			if k := kind[art.ID]; k != "" && art.StoryID != byURL[label[art.ID]].StoryID {
				missed[k]++
			}
		}
	}
	precision := float64(tp) / float64(tp+fp)
	recall := float64(tp) / float64(tp+fn)
	t.Logf("3 corpora of 600 articles: pairs in one story %d true, %d false, %d missed: precision %.3f, recall %.3f; copies not joined to their original: %v",
		tp, fp, fn, precision, recall, missed)
	if precision < 0.95 || recall < 0.9 {
		t.Errorf("precision %.3f (want >= 0.95), recall %.3f (want >= 0.9)", precision, recall)
	}
}

// TestThresholds prints precision and recall at other thresholds (go test
// -run Thresholds -v), the figures the default was chosen by.
func TestThresholds(t *testing.T) {
	if testing.Short() {
		t.Skip("figures only")
	}
	arts, label, _ := labelled(t, 9, 600)
	for _, th := range []float64{0.15, 0.2, 0.22, 0.25, 0.28, 0.3, 0.4} {
		a, _ := NewAssigner(context.Background(), Config{Threshold: th}, nil, zap.NewNop())
		for _, art := range arts {
			art.StoryID = ""
			if err := a.Assign(context.Background(), art); err != nil {
				t.Fatal(err)
			}
		}
		tp, fp, fn := pairScores(arts, label)
		t.Log(fmt.Sprintf("threshold %.2f: precision %.3f recall %.3f", th, float64(tp)/float64(tp+fp), float64(tp)/float64(tp+fn)))
	}
}

// TestAssignersShareTheBucket: two assigners (two crawler processes) on
// one stories bucket group alike - the second joins a copy to the story
// the first began - a new version keeps its story, an assignment made
// concurrently for the same article is the first one's, and a restarted
// assigner remembers.
func TestAssignersShareTheBucket(t *testing.T) {
	e := bustest.RunBasicJetStreamServer(t)
	c := bustest.Connect(t, e)
	ctx := context.Background()
	kv, err := c.Stories(ctx)
	if err != nil {
		t.Fatal(err)
	}
	log := bustest.Logger(t)
	a1, err := NewAssigner(ctx, Config{}, kv, log)
	if err != nil {
		t.Fatal(err)
	}
	defer a1.Close()
	a2, err := NewAssigner(ctx, Config{}, kv, log)
	if err != nil {
		t.Fatal(err)
	}
	defer a2.Close()
	arts, label, kind := labelled(t, 4, 120)
	var orig, cp *article.Article
	for i, x := range arts {
		for _, y := range arts[i+1:] {
			if label[y.ID] == x.URL && kind[y.ID] == simsite.CopyReprint && orig == nil {
				orig, cp = x, y
			}
		}
	}
	if orig == nil {
		t.Fatal("no copy in the corpus")
	}
	if err := a1.Assign(ctx, orig); err != nil {
		t.Fatal(err)
	}
	if orig.StoryID != ID(orig.ID) {
		t.Errorf("the first article begins story %s, want %s", orig.StoryID, ID(orig.ID))
	}
	bustest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if a2.Len() != 1 {
			return fmt.Errorf("second assigner remembers %d articles", a2.Len())
		}
		return nil
	})
	if err := a2.Assign(ctx, cp); err != nil {
		t.Fatal(err)
	}
	if cp.StoryID != orig.StoryID {
		t.Fatalf("copy in story %s, original in %s", cp.StoryID, orig.StoryID)
	}
	// A later version (an edit that rewrites everything) keeps its story.
	v2 := *cp
	v2.Body, v2.Version, v2.StoryID = "Entirely new text of the article, nothing like before at all.", 2, ""
	if err := a1.Assign(ctx, &v2); err != nil {
		t.Fatal(err)
	}
	if v2.StoryID != orig.StoryID {
		t.Errorf("new version in story %s, want %s", v2.StoryID, orig.StoryID)
	}
	// An article another process assigned first keeps that story, even if
	// this process has not heard of it yet.
	lone := *arts[len(arts)-1]
	rec := Member{Article: lone.ID, Story: ID("0123456789abcdef0123456789abcdef"), Outlet: lone.Outlet, At: lone.FetchedAt}
	data, _ := json.Marshal(rec)
	a3, err := NewAssigner(ctx, Config{}, nil, log) // knows nothing
	if err != nil {
		t.Fatal(err)
	}
	a3.kv = kv
	if _, err := kv.Create(ctx, lone.ID, data); err != nil {
		t.Fatal(err)
	}
	if err := a3.Assign(ctx, &lone); err != nil {
		t.Fatal(err)
	}
	if lone.StoryID != rec.Story {
		t.Errorf("concurrently assigned article in story %s, want the first assignment's %s", lone.StoryID, rec.Story)
	}
	// A restarted assigner loads the bucket.
	a4, err := NewAssigner(ctx, Config{}, kv, log)
	if err != nil {
		t.Fatal(err)
	}
	defer a4.Close()
	if a4.Len() != 3 {
		t.Errorf("restarted assigner remembers %d articles, want 3", a4.Len())
	}
	if m := a4.Members(orig.StoryID); len(m) != 2 || m[0].Article != orig.ID || m[1].Outlet != cp.Outlet {
		t.Errorf("members of the story: %+v", m)
	}
}
