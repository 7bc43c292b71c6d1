package bleve

import (
	"github.com/blevesearch/bleve/v2/index/scorch"
)

// releaseResident takes the pages of the index files this process has
// read out of its resident set. Bleve reads its segment files through
// read-only shared memory maps, and every page a scan touches would
// otherwise stay mapped: a scan of an index larger than memory would grow
// the process's RSS towards the index's size. The pages stay in the
// kernel's page cache, so a later read maps them again without disk I/O.
// Searches running meanwhile are not affected beyond that.
func (x *Index) releaseResident() {
	adv, err := x.idx.Advanced()
	if err != nil {
		return
	}
	r, err := adv.Reader()
	if err != nil {
		return
	}
	defer r.Close() // keeps the segments mapped while they are advised
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		return
	}
	for _, ss := range snap.Segments() {
		// Only segments opened from a file (zap's Segment, whose Data is
		// the file's memory map); in-memory segments have no Path.
		seg, ok := ss.Segment().(interface {
			Data() []byte
			Path() string
		})
		if ok && seg.Path() != "" {
			releaseMapped(seg.Data())
		}
	}
}
