package bleve

import "syscall"

// releaseMapped advises the kernel that the pages of a read-only shared
// file mapping are not needed (MADV_DONTNEED): they leave the resident
// set and are read back from the page cache on the next access.
func releaseMapped(b []byte) {
	if len(b) > 0 {
		_ = syscall.Madvise(b, syscall.MADV_DONTNEED)
	}
}
