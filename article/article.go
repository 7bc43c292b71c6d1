// Package article defines the Article (schema article.v1) that flows through
// newswatch: produced by the extractor, published on NATS, indexed by the
// store and served by the API. It owns the rules every other package calls
// instead of restating them: canonical URLs, the stable article ID and its
// format, the content hash and version that mark edits, the outlet-ID rule
// and the date-source names.
//
// # Identity
//
// CanonicalURL is the real URL of the article (rel=canonical when it is on
// the same site, tracking parameters dropped, see Canonicalize). The ID is
// derived from it but does not depend on how the outlet happens to serve it
// today: ID = hex of the first 16 bytes of SHA-256 of IdentityKey, where
// IdentityKey is the canonical URL with
//
//   - the scheme dropped (http and https are one article),
//   - the host folded by SiteOf (a leading "www.", "m." or "amp." dropped),
//   - the port kept only when it is not the scheme's default (80, 443),
//   - path and query kept as canonicalized.
//
// So https://www.caliber.az/en/post/x, http://caliber.az/en/post/x and
// https://m.caliber.az/en/post/x?utm_source=rss have one ID, the key
// "caliber.az/en/post/x", while caliber.az:8080/en/post/x is another
// article. IDs are 32 lower-case hex characters (ValidID).
//
// # Versions
//
// Every new content hash of an article (ComputeContentHash: title, lead and
// body) is the next version, a revert to earlier content included; the
// crawler numbers them. MsgID, the NATS de-duplication key, is ID, content
// hash and version, so republishing one version is a no-op while a revert
// (A, B, A) is a new message.
package article

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Schema is the value of the "schema" field of every Article v1.
const Schema = "article.v1"

// Date sources, from most to least trusted. They tell users how far to trust
// PublishedAt. DateSources lists them; every package uses these names.
const (
	DateSourceJSONLD    = "jsonld"
	DateSourceMeta      = "meta"
	DateSourceTime      = "time"
	DateSourceURL       = "url"
	DateSourceText      = "text"
	DateSourceFeed      = "feed"
	DateSourceFirstSeen = "first_seen"
)

// DateSources are the valid DateSource values, most trusted first.
var DateSources = []string{DateSourceJSONLD, DateSourceMeta, DateSourceTime, DateSourceURL,
	DateSourceText, DateSourceFeed, DateSourceFirstSeen}

// ValidDateSource reports whether s is one of DateSources.
func ValidDateSource(s string) bool {
	for _, d := range DateSources {
		if s == d {
			return true
		}
	}
	return false
}

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
	// StoryID names the story the article tells: articles of several
	// outlets that carry one text (reprints, light rewrites) share it
	// (package story assigns it before publishing; every version of an
	// article keeps it). Its form is an article ID's (ValidID). Empty for
	// an article published before stories existed.
	StoryID string `json:"story_id,omitempty"`
}

// ErrInvalid is wrapped by every error Validate returns.
var ErrInvalid = errors.New("invalid article")

// IDLen is the length of an article ID: 32 lower-case hex characters.
const IDLen = 32

// ID returns the stable article ID of a URL: the first 16 bytes of the
// SHA-256 of its IdentityKey, hex encoded (IDLen characters). Every variant
// of the URL that Canonicalize and IdentityKey fold (scheme, "www.",
// tracking parameters, ...) has the same ID.
func ID(rawURL string) (string, error) {
	key, err := IdentityKey(rawURL)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:16]), nil
}

// ValidID reports whether id has the form of an article ID: IDLen
// lower-case hex characters. It does not say that such an article exists.
func ValidID(id string) bool {
	if len(id) != IDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
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
	if a.ID, err = ID(c); err != nil {
		return fmt.Errorf("canonical url: %w", err)
	}
	a.ContentHash = ComputeContentHash(a)
	if a.Version == 0 {
		a.Version = 1
	}
	return nil
}

// MsgID is the de-duplication key used when publishing:
// "<id>:<content hash>:<version>". Publishing the same version twice is a
// no-op; content that comes back in a later version (an edit reverted) is
// a new message.
func (a *Article) MsgID() string {
	return a.ID + ":" + a.ContentHash + ":" + strconv.Itoa(a.Version)
}

// Validate reports whether a holds the fields every consumer relies on. It
// runs where articles cross a trust boundary (extractor output, messages
// decoded from NATS), not again at every layer.
func (a *Article) Validate() error {
	switch {
	case a.Schema != Schema:
		return fmt.Errorf("%w: schema %q, want %q", ErrInvalid, a.Schema, Schema)
	case a.URL == "":
		return fmt.Errorf("%w: empty url", ErrInvalid)
	case a.CanonicalURL == "":
		return fmt.Errorf("%w: empty canonical_url", ErrInvalid)
	case a.ContentHash == "":
		return fmt.Errorf("%w: empty content_hash", ErrInvalid)
	case a.Version < 1:
		return fmt.Errorf("%w: version %d < 1", ErrInvalid, a.Version)
	case a.FetchedAt.IsZero():
		return fmt.Errorf("%w: empty fetched_at", ErrInvalid)
	case a.StoryID != "" && !ValidID(a.StoryID):
		return fmt.Errorf("%w: story_id %q: want %d lower-case hex characters", ErrInvalid, a.StoryID, IDLen)
	case a.DateSource != "" && !ValidDateSource(a.DateSource):
		return fmt.Errorf("%w: date_source %q: want one of %s", ErrInvalid, a.DateSource, strings.Join(DateSources, ", "))
	}
	if err := ValidateOutlet(a.Outlet); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	id, err := ID(a.CanonicalURL)
	if err != nil {
		return fmt.Errorf("%w: canonical_url: %w", ErrInvalid, err)
	}
	if a.ID != id {
		return fmt.Errorf("%w: id %q does not match canonical_url", ErrInvalid, a.ID)
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

// LeadInBody returns where the body repeats the lead - many outlets print
// the lead again as the body's first paragraph - in bytes of Body; ok is
// false when it does not (or there is no lead).
func (a *Article) LeadInBody() (start, end int, ok bool) {
	l := strings.TrimSpace(a.Lead)
	if l == "" {
		return 0, 0, false
	}
	i := strings.Index(a.Body, l)
	if i < 0 {
		return 0, 0, false
	}
	return i, i + len(l), true
}

// LeadAndBody is the article's running text: the lead and the body, or
// the body alone when it repeats the lead (or there is no lead). The
// stores search it as the body.
func (a *Article) LeadAndBody() string {
	if strings.TrimSpace(a.Lead) == "" {
		return a.Body
	}
	if _, _, ok := a.LeadInBody(); ok {
		return a.Body
	}
	if a.Body == "" {
		return a.Lead
	}
	return a.Lead + "\n\n" + a.Body
}
