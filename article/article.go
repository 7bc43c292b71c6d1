// Package article defines the Article (schema article.v1) that flows through
// newswatch: produced by the extractor, published on NATS, indexed by the
// store and served by the API. It also owns the identity rules: canonical
// URLs, the stable article ID and the content hash that marks new versions.
package article

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Schema is the value of the "schema" field of every Article v1.
const Schema = "article.v1"

// Date sources, from most to least trusted. They tell users how far to trust
// PublishedAt.
const (
	DateSourceJSONLD    = "jsonld"
	DateSourceMeta      = "meta"
	DateSourceTime      = "time"
	DateSourceURL       = "url"
	DateSourceText      = "text"
	DateSourceFeed      = "feed"
	DateSourceFirstSeen = "first_seen"
)

// Article is one news article, schema v1. Fields a page does not have are
// left empty and omitted from JSON, never invented.
type Article struct {
	Schema       string     `json:"schema"`
	ID           string     `json:"id"`
	URL          string     `json:"url"`
	CanonicalURL string     `json:"canonical_url"`
	Outlet       string     `json:"outlet"`
	Title        string     `json:"title,omitempty"`
	Lead         string     `json:"lead,omitempty"`
	Body         string     `json:"body,omitempty"`
	Authors      []string   `json:"authors,omitempty"`
	Section      string     `json:"section,omitempty"`
	Tags         []string   `json:"tags,omitempty"`
	Language     string     `json:"language,omitempty"`
	PublishedAt  *time.Time `json:"published_at,omitempty"`
	DateSource   string     `json:"date_source,omitempty"`
	ModifiedAt   *time.Time `json:"modified_at,omitempty"`
	Image        string     `json:"image,omitempty"`
	Views        *int64     `json:"views,omitempty"`
	Links        []string   `json:"links,omitempty"`
	FetchedAt    time.Time  `json:"fetched_at"`
	ContentHash  string     `json:"content_hash"`
	Version      int        `json:"version"`
}

// ErrInvalid is wrapped by every error Validate returns.
var ErrInvalid = errors.New("invalid article")

// ID returns the stable article ID for a canonical URL: the first 16 bytes of
// its SHA-256, hex encoded (32 characters).
func ID(canonicalURL string) string {
	sum := sha256.Sum256([]byte(canonicalURL))
	return hex.EncodeToString(sum[:16])
}

// ComputeContentHash hashes what a reader sees (title, lead, body), with
// whitespace runs folded, so that re-rendering the same text gives the same
// hash and an edit to any of them gives a new one.
func ComputeContentHash(a *Article) string {
	h := sha256.New()
	for _, s := range []string{a.Title, a.Lead, a.Body} {
		h.Write([]byte(strings.Join(strings.Fields(s), " ")))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Finalize fills the derived fields: schema, canonical URL (from URL when
// empty), ID, content hash and version (1 when unset). Call it once the
// extracted fields are set.
func (a *Article) Finalize() error {
	a.Schema = Schema
	if a.CanonicalURL == "" {
		a.CanonicalURL = a.URL
	}
	c, err := Canonicalize(a.CanonicalURL)
	if err != nil {
		return fmt.Errorf("canonical url: %w", err)
	}
	a.CanonicalURL = c
	a.ID = ID(c)
	a.ContentHash = ComputeContentHash(a)
	if a.Version == 0 {
		a.Version = 1
	}
	return nil
}

// MsgID is the de-duplication key used when publishing: article ID plus
// content hash, so publishing the same version twice is a no-op.
func (a *Article) MsgID() string { return a.ID + ":" + a.ContentHash }

// Validate reports whether a holds the fields every consumer relies on.
func (a *Article) Validate() error {
	switch {
	case a.Schema != Schema:
		return fmt.Errorf("%w: schema %q, want %q", ErrInvalid, a.Schema, Schema)
	case a.URL == "":
		return fmt.Errorf("%w: empty url", ErrInvalid)
	case a.CanonicalURL == "":
		return fmt.Errorf("%w: empty canonical_url", ErrInvalid)
	case a.ID != ID(a.CanonicalURL):
		return fmt.Errorf("%w: id %q does not match canonical_url", ErrInvalid, a.ID)
	case a.Outlet == "":
		return fmt.Errorf("%w: empty outlet", ErrInvalid)
	case a.ContentHash == "":
		return fmt.Errorf("%w: empty content_hash", ErrInvalid)
	case a.Version < 1:
		return fmt.Errorf("%w: version %d < 1", ErrInvalid, a.Version)
	case a.FetchedAt.IsZero():
		return fmt.Errorf("%w: empty fetched_at", ErrInvalid)
	}
	return nil
}

// Newer reports whether a is a later version than b of the same article:
// a higher version number, or the same number fetched later.
func (a *Article) Newer(b *Article) bool {
	if a.Version != b.Version {
		return a.Version > b.Version
	}
	return a.FetchedAt.After(b.FetchedAt)
}
