package store

import (
	"sort"

	"github.com/newswatch/newswatch/article"
)

// History is what a backend holds for one article ID: the newest version
// of the article and every version seen, oldest first. Backends load it,
// Add the articles of a batch and write it back when Add changed it, so
// that the version rules are the same in every backend.
//
// Each version keeps its text (title, lead, body) so that versions can be
// compared, except the versions whose content is the current article's:
// their text is the article's, filled in by Record. An article never
// edited therefore costs nothing more than its version line.
type History struct {
	Article  *article.Article // newest version; nil when the ID is new
	Versions []Version        // oldest first
}

// Has reports whether storing a would add nothing: its content is already
// stored under the same version number, or it is not newer than the current
// version (a replay, or a crawler that lost count of versions). Content that
// comes back in a newer version (an edit reverted) is a new version.
func (h *History) Has(a *article.Article) bool {
	for _, v := range h.Versions {
		if v.ContentHash == a.ContentHash && (v.Version == a.Version || !a.Newer(h.Article)) {
			return true
		}
	}
	return false
}

// Add records a as a version (unless Has(a)) and makes it the current
// article when it is newer (article.Article.Newer) than the current one: an
// older version only joins the history. It reports whether the history
// changed.
func (h *History) Add(a *article.Article) bool {
	if h.Has(a) {
		return false
	}
	h.Versions = append(h.Versions, versionOf(a))
	sort.SliceStable(h.Versions, func(i, j int) bool {
		vi, vj := h.Versions[i], h.Versions[j]
		if vi.Version != vj.Version {
			return vi.Version < vj.Version
		}
		return vi.FetchedAt.Before(vj.FetchedAt)
	})
	if h.Article == nil || a.Newer(h.Article) {
		if h.Article != nil {
			// The versions of the article being replaced keep its text.
			h.setText(h.Article.ContentHash, versionOf(h.Article))
		}
		cp := *a
		h.Article = &cp
	}
	h.setText(h.Article.ContentHash, Version{}) // the current article holds it
	return true
}

// Record is the history as Get returns it: every version with its text,
// the current article's filled in.
func (h *History) Record() *Record {
	vs := make([]Version, len(h.Versions))
	copy(vs, h.Versions)
	cur := versionOf(h.Article)
	for i := range vs {
		if vs[i].ContentHash == cur.ContentHash {
			vs[i].Lead, vs[i].Body, vs[i].TextKept = cur.Lead, cur.Body, true
		}
	}
	return &Record{Article: *h.Article, Versions: vs}
}

// setText sets the lead and body of the versions with content hash hash
// to text's.
func (h *History) setText(hash string, text Version) {
	for i := range h.Versions {
		if v := &h.Versions[i]; v.ContentHash == hash {
			v.Lead, v.Body, v.TextKept = text.Lead, text.Body, text.TextKept
		}
	}
}

// versionOf is a's line in the history, with its text.
func versionOf(a *article.Article) Version {
	return Version{
		Version: a.Version, ContentHash: a.ContentHash, FetchedAt: a.FetchedAt,
		Title: a.Title, Lead: a.Lead, Body: a.Body, TextKept: true,
	}
}
