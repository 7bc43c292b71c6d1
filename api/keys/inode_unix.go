//go:build unix

package keys

import (
	"io/fs"
	"syscall"
)

// inode is the file's inode number: a file replaced by rename has another.
func inode(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino)
	}
	return 0
}
