//go:build !linux

package bleve

// releaseMapped does nothing where MADV_DONTNEED of a shared file mapping
// is not known to be harmless.
func releaseMapped([]byte) {}
