package export

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"
)

// ManifestSchema names the manifest format.
const ManifestSchema = "newswatch.export-manifest.v1"

// Order is the order of the rows of every export.
const Order = "newest first: article date (published_at, else fetched_at) descending, then id"

// HTTP headers of GET /v1/export. The total is sent before the rows (the
// number of articles the query matched when the export began, for
// progress bars); the rest are trailers, sent after the last row, since
// only then are the count and the hash known. A response without them did
// not end: the export is incomplete.
const (
	HeaderTotal     = "Newswatch-Export-Total"
	TrailerRows     = "Newswatch-Export-Rows"
	TrailerSHA256   = "Newswatch-Export-Sha256"
	TrailerManifest = "Newswatch-Export-Manifest"
)

// Manifest describes an export, so that a dataset can be cited and its
// file checked: what was asked, when, how much came out, its SHA-256, and
// which newswatch and store made it.
type Manifest struct {
	Schema        string    `json:"schema"`
	Query         string    `json:"query"`
	Filters       Filters   `json:"filters"`
	Format        string    `json:"format"`
	ArticleSchema string    `json:"article_schema"`
	Columns       []string  `json:"columns,omitempty"`
	Order         string    `json:"order"`
	GeneratedAt   time.Time `json:"generated_at"`
	CompletedAt   time.Time `json:"completed_at"`
	// Rows is the number of articles in the file; Bytes and SHA256 are
	// the size and the hex SHA-256 of the file's bytes (the payload).
	Rows             int64  `json:"rows"`
	Bytes            int64  `json:"bytes"`
	SHA256           string `json:"sha256"`
	NewswatchVersion string `json:"newswatch_version"`
	Store            string `json:"store"`
	// File is the name the export was saved as (set by the client that
	// saved it).
	File string `json:"file,omitempty"`
}

// Filters are the filters of an exported query, as the server read them.
type Filters struct {
	Outlets  []string   `json:"outlet,omitempty"`
	Langs    []string   `json:"lang,omitempty"`
	Sections []string   `json:"section,omitempty"`
	Authors  []string   `json:"author,omitempty"`
	From     *time.Time `json:"from,omitempty"`
	To       *time.Time `json:"to,omitempty"`
	// TimeZone is the zone date-only from/to were read in.
	TimeZone string `json:"tz"`
}

// EncodeTrailer encodes a manifest for the TrailerManifest trailer: its
// JSON in unpadded base64url, which keeps any query text inside the
// ASCII an HTTP header allows.
func EncodeTrailer(m *Manifest) string {
	b, _ := json.Marshal(m)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeTrailer reads a TrailerManifest value.
func DecodeTrailer(v string) (*Manifest, error) {
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return nil, fmt.Errorf("export manifest trailer: %w", err)
	}
	m := new(Manifest)
	if err := json.Unmarshal(b, m); err != nil {
		return nil, fmt.Errorf("export manifest trailer: %w", err)
	}
	if m.Schema != ManifestSchema {
		return nil, fmt.Errorf("export manifest trailer: schema %q, want %q", m.Schema, ManifestSchema)
	}
	return m, nil
}
