package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"go.uber.org/zap"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/bench/suite"
	"github.com/newswatch/newswatch/store"
	sbleve "github.com/newswatch/newswatch/store/bleve"
)

// builtMarker, inside the data directory, records what was loaded into
// its index; an index without it (a build that was interrupted) is built
// again.
const builtMarker = "exportbench.json"

type built struct {
	Articles int     `json:"articles"`
	Seed     int64   `json:"seed"`
	Seconds  float64 `json:"seconds"`
	// Mapping is the index's completion marker as store/bleve wrote it
	// (its mapping version): an index whose marker changed since (made
	// again by other code) is rebuilt. An index of an older mapping
	// version than the code's is reused: exports read the stored
	// articles, which the mapping does not change, and a rebuild takes
	// an hour (store/bleve opens it and warns).
	Mapping json.RawMessage `json:"mapping"`
}

// mappingMarker is store/bleve's completion marker of the index in the
// data directory dir.
func mappingMarker(dir string) (json.RawMessage, error) {
	b, err := os.ReadFile(filepath.Join(dir, indexDir, sbleve.IndexDirName, "newswatch-index.json"))
	if err != nil {
		return nil, err
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	out, _ := json.Marshal(map[string]string{"mapping_version": m["mapping_version"]})
	return out, nil
}

// indexDir is where a newswatch data directory keeps its Bleve index
// (pipeline: DataDir/index), so that `newswatch api --data DIR` serves it.
const indexDir = "index"

// ensureIndex returns once the data directory dir holds an index of n
// corpus articles of seed, building it (with store Put, in batches of
// 1000) only when it is missing, incomplete, built for other sizes or
// made again since (see built.Mapping).
func ensureIndex(ctx context.Context, dir string, n int, seed int64, log *zap.Logger, say func(string, ...any)) error {
	var have built
	if b, err := os.ReadFile(filepath.Join(dir, builtMarker)); err == nil && json.Unmarshal(b, &have) == nil {
		cur, err := mappingMarker(dir)
		if err == nil && have.Articles == n && have.Seed == seed && string(cur) == string(have.Mapping) {
			say("reusing the index in %s (%d articles, built in %.0f s)", dir, n, have.Seconds)
			return nil
		}
		say("the index in %s was built for other sizes or code; building it again", dir)
	} else if !errors.Is(err, fs.ErrNotExist) && err != nil {
		return err
	}
	// Only a directory this benchmark made is replaced.
	if ents, err := os.ReadDir(dir); err == nil {
		for _, e := range ents {
			switch e.Name() {
			case indexDir, builtMarker, "keys.json", "keys.json.lock":
			default:
				return fmt.Errorf("%s holds %s: not a directory of this benchmark; give -dir another one", dir, e.Name())
			}
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	st, err := sbleve.Open(filepath.Join(dir, indexDir), sbleve.Options{}, log)
	if err != nil {
		return err
	}
	start := time.Now()
	done := 0
	err = suite.Corpus(seed, n, 1000, suite.Short, func(b []article.Article) error {
		ps := make([]*article.Article, len(b))
		for i := range b {
			ps[i] = &b[i]
		}
		if err := st.Put(ctx, ps); err != nil {
			return err
		}
		done += len(b)
		if done%50000 == 0 {
			el := time.Since(start)
			say("built %d of %d articles (%.0f/s, %s left)", done, n, float64(done)/el.Seconds(),
				(time.Duration(float64(el) / float64(done) * float64(n-done))).Round(time.Second))
		}
		return nil
	})
	if err == nil {
		var res *store.Result
		if res, err = st.Search(ctx, store.Query{}); err == nil && res.Total != int64(n) {
			err = fmt.Errorf("index holds %d articles, want %d", res.Total, n)
		}
	}
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("build index: %w", err)
	}
	have = built{Articles: n, Seed: seed, Seconds: time.Since(start).Seconds()}
	if have.Mapping, err = mappingMarker(dir); err != nil {
		return err
	}
	b, _ := json.Marshal(have)
	return os.WriteFile(filepath.Join(dir, builtMarker), append(b, '\n'), 0o644)
}
