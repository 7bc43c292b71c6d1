package bleve

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	bv "github.com/blevesearch/bleve/v2"
	"go.uber.org/zap"

	"github.com/newswatch/newswatch/internal/lockfile"
)

// ErrLocked means the index directory is in use by another process (or by
// another open Index in this one). Open wraps it with who holds the lock.
var ErrLocked = lockfile.ErrLocked

// Files beside and inside the index directory.
const (
	// lockFileName, in the directory given to Open, is locked (flock) by the
	// process that has the index open and holds that process's description.
	lockFileName = "articles.lock"
	// completeFileName, inside IndexDirName, marks an index whose creation
	// finished. New indexes are built in a temporary directory beside it
	// (tmpPrefix + pid) and renamed into place with the marker inside, so an
	// index directory without it was left by a crash of an older newswatch.
	completeFileName = "newswatch-index.json"
	tmpPrefix        = IndexDirName + ".tmp-"
)

// lockDir takes the lock of dir, waiting up to timeout for another holder
// to let go.
func lockDir(dir string, timeout time.Duration) (*lockfile.Lock, error) {
	lk, err := lockfile.Acquire(filepath.Join(dir, lockFileName), timeout)
	if errors.Is(err, lockfile.ErrLocked) {
		return nil, fmt.Errorf("bleve: index %s: %w (waited %s; stop it or use another data directory)", dir, err, timeout)
	}
	if err != nil {
		return nil, fmt.Errorf("bleve: %w", err)
	}
	return lk, nil
}

// openIndex opens the index at dir/IndexDirName, creating it (crash-safely)
// when there is none. The caller holds the directory lock, so nothing else
// is creating or using it.
func openIndex(dir string, log *zap.Logger) (bv.Index, error) {
	removeStaleBuilds(dir, log)
	path := filepath.Join(dir, IndexDirName)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		if err := create(dir, path, log); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, fmt.Errorf("bleve: open %s: %w", path, err)
	} else if _, err := os.Stat(filepath.Join(path, completeFileName)); err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("bleve: open %s: %w", path, err)
		}
		if err := adoptLegacy(dir, path, log); err != nil {
			return nil, err
		}
	}
	idx, err := bv.OpenUsing(path, runtimeConfig())
	if err != nil {
		return nil, fmt.Errorf("bleve: open %s: %w", path, err)
	}
	v, err := idx.GetInternal([]byte(mappingVersionKey))
	if err != nil {
		idx.Close()
		return nil, fmt.Errorf("bleve: open %s: read mapping version: %w", path, err)
	}
	if string(v) != mappingVersion {
		// The index keeps the analysis it was created with; searches
		// still work, with the older analysis.
		log.Warn("index was created by another version of newswatch; rebuild it (remove the directory and re-crawl or replay the stream) for the current analysis",
			zap.String("path", path), zap.String("index_mapping", string(v)), zap.String("current_mapping", mappingVersion))
	}
	log.Info("opened index", zap.String("path", path))
	return idx, nil
}

// removeStaleBuilds deletes the temporary directories of creations that
// did not finish (the process died). Under the lock none is in progress.
func removeStaleBuilds(dir string, log *zap.Logger) {
	stale, _ := filepath.Glob(filepath.Join(dir, tmpPrefix+"*"))
	for _, s := range stale {
		if err := os.RemoveAll(s); err != nil {
			log.Warn("cannot remove an unfinished index build", zap.String("path", s), zap.Error(err))
			continue
		}
		log.Info("removed an unfinished index build (a process died while creating the index)", zap.String("path", s))
	}
}

// create builds a new, empty index aside and renames it into place once it
// is complete and on disk, so that a crash at any point leaves either no
// index or a complete one.
func create(dir, path string, log *zap.Logger) error {
	tmp := filepath.Join(dir, tmpPrefix+strconv.Itoa(os.Getpid()))
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("bleve: create %s: %w", path, err)
	}
	m, err := newMapping()
	if err != nil {
		return fmt.Errorf("bleve: mapping: %w", err)
	}
	idx, err := bv.NewUsing(tmp, m, bv.Config.DefaultIndexType, bv.Config.DefaultKVStore, runtimeConfig())
	if err != nil {
		return fmt.Errorf("bleve: create %s: %w", tmp, err)
	}
	err = idx.SetInternal([]byte(mappingVersionKey), []byte(mappingVersion))
	if cerr := idx.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = writeComplete(tmp)
	}
	if err == nil {
		err = syncTree(tmp)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = syncPath(dir)
	}
	if err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("bleve: create %s: %w", path, err)
	}
	log.Info("created index", zap.String("path", path))
	return nil
}

// writeComplete writes the completion marker into an index directory.
func writeComplete(path string) error {
	b, _ := json.Marshal(map[string]string{"mapping_version": mappingVersion, "completed_at": time.Now().UTC().Format(time.RFC3339)})
	f, err := os.Create(filepath.Join(path, completeFileName))
	if err != nil {
		return err
	}
	_, err = f.Write(append(b, '\n'))
	if serr := f.Sync(); err == nil {
		err = serr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return syncPath(path)
}

// adoptLegacy handles an index directory without the completion marker,
// which only an older newswatch leaves (it created indexes in place): a
// complete index gets the marker; one whose creation was cut short is
// rebuilt. Cut short means it never stored an article (no segment files)
// and does not open with its mapping version, so rebuilding loses nothing.
// One that holds articles and fails to open is reported, not touched.
func adoptLegacy(dir, path string, log *zap.Logger) error {
	halfBuilt := func(why string) error {
		log.Warn("index creation had not finished (a process died while creating it); creating it again",
			zap.String("path", path), zap.String("found", why))
		if err := os.RemoveAll(path); err != nil {
			return fmt.Errorf("bleve: remove half-built index %s: %w", path, err)
		}
		return create(dir, path, log)
	}
	if _, err := os.Stat(filepath.Join(path, "index_meta.json")); errors.Is(err, fs.ErrNotExist) {
		return halfBuilt("no index_meta.json")
	}
	segments, _ := filepath.Glob(filepath.Join(path, "store", "*.zap"))
	idx, err := bv.OpenUsing(path, runtimeConfig())
	if err != nil {
		if len(segments) == 0 {
			return halfBuilt("does not open and holds no articles: " + err.Error())
		}
		return fmt.Errorf("bleve: open %s: %w", path, err)
	}
	v, err := idx.GetInternal([]byte(mappingVersionKey))
	if cerr := idx.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("bleve: open %s: %w", path, err)
	}
	if len(v) == 0 && len(segments) == 0 {
		return halfBuilt("no mapping version and no articles")
	}
	if err := writeComplete(path); err != nil {
		return fmt.Errorf("bleve: open %s: mark complete: %w", path, err)
	}
	return nil
}

// syncTree flushes every file and directory under root to disk.
func syncTree(root string) error {
	return filepath.WalkDir(root, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return syncPath(p)
	})
}

// syncPath flushes a file, or a directory's entries (a rename or a new
// file), to disk.
func syncPath(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
