package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/store"
)

// Limits of the story routes.
const (
	// MaxStoryArticles is how many articles of one story the story
	// routes read; a bigger story is described by its earliest ones.
	MaxStoryArticles = 1000
	// MaxStoriesSize is the most stories GET /v1/stories returns.
	MaxStoriesSize = 50
	// MaxGapsScan is how many competitor articles GET /v1/coverage/gaps
	// reads; a period with more is refused (narrow it).
	MaxGapsScan = 50000
	// DefaultGapsPeriod is the period of GET /v1/coverage/gaps without
	// from: the week before to (or now).
	DefaultGapsPeriod = 7 * 24 * time.Hour
)

// storyArticle is an article of a story, as the story routes show it.
type storyArticle struct {
	ID          string     `json:"id"`
	Outlet      string     `json:"outlet"`
	Title       string     `json:"title,omitempty"`
	URL         string     `json:"url"`
	Language    string     `json:"language,omitempty"`
	PublishedAt *time.Time `json:"published_at,omitempty"`
	FetchedAt   time.Time  `json:"fetched_at"`
	StoryID     string     `json:"story_id,omitempty"`
}

// date is when the article counts as published: published_at, else
// fetched_at (as the store's newest/oldest sorts).
func (a storyArticle) date() time.Time {
	if a.PublishedAt != nil {
		return *a.PublishedAt
	}
	return a.FetchedAt
}

// storyOutlet is one outlet's coverage of a story: its first article and
// how many minutes after the story's first article it came.
type storyOutlet struct {
	Outlet      string     `json:"outlet"`
	Article     string     `json:"article"`
	Title       string     `json:"title,omitempty"`
	URL         string     `json:"url"`
	PublishedAt *time.Time `json:"published_at,omitempty"`
	LagMinutes  float64    `json:"lag_minutes"`
	Articles    int        `json:"articles"`
}

// storyInfo describes a story.
type storyInfo struct {
	ID       string `json:"id"`
	Title    string `json:"title,omitempty"` // the first article's
	Language string `json:"language,omitempty"`
	// Articles is how many articles the story has; Matched (in lists) how
	// many of them the request's query and filters matched.
	Articles int           `json:"articles"`
	Matched  int64         `json:"matched,omitempty"`
	First    storyOutlet   `json:"first"`
	Outlets  []storyOutlet `json:"outlets"`
	// Members are the articles, earliest first (the first
	// MaxStoryArticles); only GET /v1/stories/{id} lists them.
	Members []storyArticle `json:"members,omitempty"`
	// Truncated says the story has more than MaxStoryArticles articles.
	Truncated bool `json:"truncated,omitempty"`
}

var errEnough = errors.New("enough")

// storyArticles reads the articles of q (at most limit; more sets
// truncated), decoding only what the story routes show.
func (s *Server) storyArticles(ctx context.Context, q store.Query, limit int) (out []storyArticle, truncated bool, err error) {
	err = s.st.ScanJSON(ctx, q, func(doc []byte) error {
		if len(out) == limit {
			truncated = true
			return errEnough
		}
		var a storyArticle
		if err := json.Unmarshal(doc, &a); err != nil {
			return err
		}
		out = append(out, a)
		return nil
	})
	if errors.Is(err, errEnough) {
		err = nil
	}
	return out, truncated, err
}

// describeStory reads the story's articles and describes it; ok false
// when the store holds none.
func (s *Server) describeStory(ctx context.Context, id string, members bool) (storyInfo, bool, error) {
	arts, truncated, err := s.storyArticles(ctx, store.Query{Stories: []string{id}}, MaxStoryArticles)
	if err != nil || len(arts) == 0 {
		return storyInfo{}, false, err
	}
	sort.SliceStable(arts, func(i, j int) bool {
		if di, dj := arts[i].date(), arts[j].date(); !di.Equal(dj) {
			return di.Before(dj)
		}
		return arts[i].ID < arts[j].ID
	})
	first := arts[0]
	info := storyInfo{ID: id, Title: first.Title, Language: first.Language, Articles: len(arts), Truncated: truncated, Outlets: []storyOutlet{}}
	byOutlet := map[string]int{}
	for _, a := range arts {
		if i, ok := byOutlet[a.Outlet]; ok {
			info.Outlets[i].Articles++
			continue
		}
		byOutlet[a.Outlet] = len(info.Outlets)
		info.Outlets = append(info.Outlets, storyOutlet{Outlet: a.Outlet, Article: a.ID, Title: a.Title, URL: a.URL, PublishedAt: a.PublishedAt,
			LagMinutes: a.date().Sub(first.date()).Minutes(), Articles: 1})
	}
	info.First = info.Outlets[0]
	if members {
		info.Members = arts
	}
	return info, true, nil
}

// story answers GET /v1/stories/{id}: the outlets that covered the story,
// who published first, each outlet's lag in minutes, and its articles.
func (s *Server) story(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !article.ValidID(id) {
		writeError(w, http.StatusBadRequest, CodeBadRequest, fmt.Sprintf("story id %s: want %d lower-case hex characters", store.Echo(id), article.IDLen))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
	defer cancel()
	info, ok, err := s.describeStory(ctx, id, true)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	if !ok {
		writeError(w, http.StatusNotFound, CodeNotFound, "no story "+id+": no stored article carries it")
		return
	}
	writeJSON(w, http.StatusOK, map[string]storyInfo{"story": info})
}

// storiesParams are the parameters of GET /v1/stories.
var storiesParams = filterParams.with(paramSet{"size": false})

// stories answers GET /v1/stories: the stories of the articles a query
// and its filters match (in a period: from, to), biggest first - by how
// many of their articles match.
func (s *Server) stories(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	q, _, err := s.parseFilters(v)
	if err == nil {
		var size int
		if size, err = intParam(v, "size", 10, 1, MaxStoriesSize); err == nil {
			var res *store.AggregationResult
			var ok bool
			if res, ok = s.aggregate(w, r, q, store.Aggregations{Top: []string{store.FacetStory}, TopSize: size}); !ok {
				return
			}
			ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
			defer cancel()
			out := struct {
				Total   int64       `json:"total"`
				Stories []storyInfo `json:"stories"`
			}{Total: res.Total, Stories: []storyInfo{}}
			for _, vc := range res.Top[store.FacetStory].Values {
				info, ok, err := s.describeStory(ctx, vc.Value, false)
				if err != nil {
					s.storeError(w, r, err)
					return
				}
				if ok {
					info.Matched = vc.Count
					out.Stories = append(out.Stories, info)
				}
			}
			writeJSON(w, http.StatusOK, out)
			return
		}
	}
	writeError(w, http.StatusBadRequest, CodeBadRequest, err.Error())
}

// gapsParams are the parameters of GET /v1/coverage/gaps.
var gapsParams = paramSet{"outlet": false, "competitors": true, "from": false, "to": false, "tz": false, "q": false, "lang": true,
	"min_competitors": false, "size": false}

// gap is a story competitors covered and the outlet did not.
type gap struct {
	Story    string `json:"story"`
	Title    string `json:"title,omitempty"`
	Language string `json:"language,omitempty"`
	// First is the competitors' first article; Covered each
	// competitor's first article, earliest first.
	First   storyOutlet   `json:"first"`
	Covered []storyOutlet `json:"covered"`
	// LeadMinutes is how long the competitors have had the story without
	// the outlet: from the first competitor's article to the end of the
	// period (or now, if earlier).
	LeadMinutes float64 `json:"lead_minutes"`
}

// coverageGaps answers GET /v1/coverage/gaps: the stories competitors
// covered in a period (their articles matching q and lang) that outlet has
// no article in, most competitors first, then earliest first.
func (s *Server) coverageGaps(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	bad := func(err error) { writeError(w, http.StatusBadRequest, CodeBadRequest, err.Error()) }
	outlet := v.Get("outlet")
	if outlet == "" {
		bad(badf("outlet is required: the outlet whose gaps to list"))
		return
	}
	if err := article.ValidateOutlet(outlet); err != nil {
		bad(badf("outlet %s: %v", store.Echo(outlet), err))
		return
	}
	competitors := splitList(v["competitors"])
	if len(competitors) == 0 {
		bad(badf("competitors is required: the outlets to compare with (competitors=a,b)"))
		return
	}
	for _, c := range competitors {
		if err := article.ValidateOutlet(c); err != nil {
			bad(badf("competitor %s: %v", store.Echo(c), err))
			return
		}
		if c == outlet {
			bad(badf("outlet %s is among its competitors", store.Echo(c)))
			return
		}
	}
	loc, err := s.location(v)
	if err != nil {
		bad(err)
		return
	}
	from, to, err := dateRange(v, loc)
	if err != nil {
		bad(err)
		return
	}
	now := time.Now()
	end := now
	if to != nil && to.Before(now) {
		end = *to
	}
	if from == nil {
		f := end.Add(-DefaultGapsPeriod)
		from = &f
	}
	minComp, err := intParam(v, "min_competitors", 1, 1, len(competitors))
	if err != nil {
		bad(err)
		return
	}
	size, err := intParam(v, "size", 20, 1, store.MaxSize)
	if err != nil {
		bad(err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
	defer cancel()
	theirs, truncated, err := s.storyArticles(ctx, store.Query{Text: v.Get("q"), Langs: splitList(v["lang"]), Outlets: competitors, From: from, To: to}, MaxGapsScan)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	if truncated {
		bad(badf("the competitors published more than %d matching articles in the period; narrow it (from, to, q, lang)", MaxGapsScan))
		return
	}
	// The outlet's stories since a story window before the period.
	since := from.Add(-48 * time.Hour)
	ours, _, err := s.storyArticles(ctx, store.Query{Outlets: []string{outlet}, From: &since}, MaxGapsScan)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	covered := map[string]bool{}
	for _, a := range ours {
		covered[a.StoryID] = true
	}
	type firstOf struct {
		a storyArticle // the outlet's earliest article in the story
		n int
	}
	byStory := map[string]map[string]*firstOf{}
	for _, a := range theirs {
		if a.StoryID == "" || covered[a.StoryID] {
			continue
		}
		outlets := byStory[a.StoryID]
		if outlets == nil {
			outlets = map[string]*firstOf{}
			byStory[a.StoryID] = outlets
		}
		f := outlets[a.Outlet]
		if f == nil {
			outlets[a.Outlet] = &firstOf{a: a, n: 1}
			continue
		}
		f.n++
		if a.date().Before(f.a.date()) {
			f.a = a
		}
	}
	var gaps []gap
	for id, outlets := range byStory {
		if len(outlets) < minComp {
			continue
		}
		g := gap{Story: id}
		for _, f := range outlets {
			d := f.a.date()
			g.Covered = append(g.Covered, storyOutlet{Outlet: f.a.Outlet, Article: f.a.ID, Title: f.a.Title, URL: f.a.URL, PublishedAt: &d, Articles: f.n})
			if g.Language == "" {
				g.Language = f.a.Language
			}
		}
		sort.Slice(g.Covered, func(i, j int) bool {
			if pi, pj := g.Covered[i].PublishedAt, g.Covered[j].PublishedAt; !pi.Equal(*pj) {
				return pi.Before(*pj)
			}
			return g.Covered[i].Outlet < g.Covered[j].Outlet
		})
		first := *g.Covered[0].PublishedAt
		for i := range g.Covered {
			g.Covered[i].LagMinutes = g.Covered[i].PublishedAt.Sub(first).Minutes()
		}
		g.First, g.Title = g.Covered[0], g.Covered[0].Title
		g.LeadMinutes = max(0, end.Sub(first).Minutes())
		gaps = append(gaps, g)
	}
	sort.Slice(gaps, func(i, j int) bool {
		if len(gaps[i].Covered) != len(gaps[j].Covered) {
			return len(gaps[i].Covered) > len(gaps[j].Covered)
		}
		if fi, fj := gaps[i].First.PublishedAt, gaps[j].First.PublishedAt; !fi.Equal(*fj) {
			return fi.Before(*fj)
		}
		return gaps[i].Story < gaps[j].Story
	})
	total := len(gaps)
	if len(gaps) > size {
		gaps = gaps[:size]
	}
	if gaps == nil {
		gaps = []gap{}
	}
	writeJSON(w, http.StatusOK, struct {
		Outlet      string    `json:"outlet"`
		Competitors []string  `json:"competitors"`
		From        time.Time `json:"from"`
		To          time.Time `json:"to"`
		Total       int       `json:"total"`
		Gaps        []gap     `json:"gaps"`
	}{outlet, competitors, from.In(loc), end.In(loc), total, gaps})
}
