package suite

import (
	"fmt"
	"time"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/simsite"
)

// CorpusChunk is how many articles one simulated site generates; a corpus
// of any size is made of chunks with distinct seeds and host names, so it
// streams in constant memory.
const CorpusChunk = 10000

// CorpusOutlets is the number of simulated outlets per chunk: two of each
// simsite template (English+Azerbaijani JSON-LD, Azerbaijani meta-only,
// Russian windows-1251).
const CorpusOutlets = 6

// CorpusSpan is the time the publication dates of a corpus cover,
// whatever its size.
const CorpusSpan = 2 * 365 * 24 * time.Hour

// CorpusEnd is the publication time of a corpus's newest article.
var CorpusEnd = simsite.DefaultBaseTime

// Article sizes of a corpus.
const (
	// Short articles are simsite's own: a body of about 2 KB of text, a
	// JSON Article of about 3 KB, like the short news items that make up
	// most of the Azerbaijani outlets' output.
	Short = false
	// Long articles also carry the paragraphs of the next article of their
	// language: a body of about 4 KB and a JSON Article of about 5 KB.
	Long = true
)

// Corpus generates n synthetic articles deterministically from seed and
// hands them to fn in batches of at most batch, newest first. The text is
// simsite's generator (realistic Azerbaijani, Russian and English news
// sentences, unique leads); long selects Long articles. fn may keep the
// slice it is given.
func Corpus(seed int64, n, batch int, long bool, fn func([]article.Article) error) error {
	if batch <= 0 {
		batch = 1000
	}
	interval := CorpusSpan / time.Duration(max(n, 1))
	interval = max(interval, time.Second)
	for c := 0; c*CorpusChunk < n; c++ {
		size := min(CorpusChunk, n-c*CorpusChunk)
		arts, err := corpusChunk(seed, c, size, interval, long)
		if err != nil {
			return err
		}
		for i := 0; i < len(arts); i += batch {
			if err := fn(arts[i:min(i+batch, len(arts))]); err != nil {
				return err
			}
		}
	}
	return nil
}

// CorpusArticles returns the first n articles of Corpus(seed, ...) in
// memory.
func CorpusArticles(seed int64, n int, long bool) ([]article.Article, error) {
	out := make([]article.Article, 0, n)
	err := Corpus(seed, n, 1000, long, func(b []article.Article) error {
		out = append(out, b...)
		return nil
	})
	return out, err
}

func corpusChunk(seed int64, chunk, size int, interval time.Duration, long bool) ([]article.Article, error) {
	site, err := simsite.New(simsite.Config{
		Seed:     seed*1_000_003 + int64(chunk),
		Articles: size,
		Outlets:  CorpusOutlets,
		BaseTime: CorpusEnd.Add(-time.Duration(chunk*CorpusChunk) * interval),
		Interval: interval,
	})
	if err != nil {
		return nil, fmt.Errorf("corpus chunk %d: %w", chunk, err)
	}
	for _, o := range site.Outlets() {
		if err := site.SetBaseURL(o.ID, fmt.Sprintf("https://%s-%d.bench.example", o.ID, chunk)); err != nil {
			return nil, err
		}
	}
	truth := site.Articles()
	byLang := map[string][]int{}
	for i, a := range truth {
		byLang[a.Language] = append(byLang[a.Language], i)
	}
	next := make([]int, len(truth))
	for _, idx := range byLang {
		for k, i := range idx {
			next[i] = idx[(k+1)%len(idx)]
		}
	}
	out := make([]article.Article, len(truth))
	for i, t := range truth {
		if j := next[i]; long && j != i {
			t.Body += "\n\n" + truth[j].Body
		}
		a, err := t.Stored(t.PublishedAt.Add(3 * time.Minute))
		if err != nil {
			return nil, err
		}
		out[i] = a
	}
	return out, nil
}
