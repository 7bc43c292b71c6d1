package store

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// cursor is the opaque Query.Cursor of every backend: the sort values of
// the last hit of a page (the backend's search-after values, as JSON),
// bound to the sort and to the query that made it, so that it cannot be
// replayed against another query.
type cursor struct {
	V     int               `json:"v"`
	Sort  string            `json:"s"`
	Query string            `json:"q"`
	After []json.RawMessage `json:"a"`
}

const cursorVersion = 1

// Fingerprint identifies a query by everything that chooses and orders
// its hits: not size, cursor or highlights.
func Fingerprint(q Query) string {
	q.Size, q.Cursor, q.NoHighlights = 0, "", false
	if q.Sort == "" {
		q.Sort = SortRelevance
	}
	b, _ := json.Marshal(q)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// EncodeCursor makes the cursor of the page after the hit whose sort values
// are after, for the query with fingerprint fp sorted by sort.
func EncodeCursor(sort, fp string, after []json.RawMessage) string {
	b, _ := json.Marshal(cursor{V: cursorVersion, Sort: sort, Query: fp, After: after})
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor returns the n sort values of cursor s, checking that it was
// made by EncodeCursor for the same sort and query; errors wrap
// ErrBadQuery. The backend checks the values themselves.
func DecodeCursor(s, sort, fp string, n int) ([]json.RawMessage, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, CursorError("not a cursor from this API")
	}
	var c cursor
	if err := json.Unmarshal(b, &c); err != nil || c.V != cursorVersion || len(c.After) != n {
		return nil, CursorError("not a cursor from this API")
	}
	if c.Sort != sort {
		return nil, CursorError(fmt.Sprintf("made for sort %s, not %q", Echo(c.Sort), sort))
	}
	if c.Query != fp {
		return nil, CursorError("made for another query; start again without a cursor")
	}
	return c.After, nil
}

// CursorError is a bad cursor (wrapping ErrBadQuery), saying why.
func CursorError(why string) error { return fmt.Errorf("%w: cursor: %s", ErrBadQuery, why) }
