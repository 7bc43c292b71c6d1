package bleve

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Exists reports whether dir (a directory given to Open) holds an index
// that Open would open rather than create: a finished one, or one an older
// newswatch created in place. It creates nothing. An error means dir could
// not be inspected.
func Exists(dir string) (bool, error) {
	path := filepath.Join(dir, IndexDirName)
	for _, marker := range []string{completeFileName, "index_meta.json"} {
		_, err := os.Stat(filepath.Join(path, marker))
		if err == nil {
			return true, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return false, fmt.Errorf("bleve: look for an index in %s: %w", dir, err)
		}
	}
	return false, nil
}
