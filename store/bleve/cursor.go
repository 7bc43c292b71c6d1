package bleve

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/newswatch/newswatch/store"
)

// cursor is the opaque Query.Cursor: the sort values of the last hit of a
// page (bleve's search_after), bound to the sort and to the query that made
// it so that it cannot be replayed against another query.
type cursor struct {
	V     int      `json:"v"`
	Sort  string   `json:"s"`
	Query string   `json:"q"`
	After []string `json:"a"`
}

const cursorVersion = 1

// fingerprint identifies a query by everything except size and cursor.
func fingerprint(q store.Query) string {
	q.Size, q.Cursor = 0, ""
	if q.Sort == "" {
		q.Sort = store.SortRelevance
	}
	b, _ := json.Marshal(q)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

func encodeCursor(sort, fp string, after []string) string {
	b, _ := json.Marshal(cursor{V: cursorVersion, Sort: sort, Query: fp, After: after})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s, sort, fp string, n int) ([]string, error) {
	bad := func(why string) error { return fmt.Errorf("%w: cursor: %s", store.ErrBadQuery, why) }
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, bad("not a cursor from this API")
	}
	var c cursor
	if err := json.Unmarshal(b, &c); err != nil || c.V != cursorVersion || len(c.After) != n {
		return nil, bad("not a cursor from this API")
	}
	if c.Sort != sort {
		return nil, bad(fmt.Sprintf("made for sort %q, not %q", c.Sort, sort))
	}
	if c.Query != fp {
		return nil, bad("made for another query; start again without a cursor")
	}
	// Check the values bleve will parse, so a forged cursor is a bad query.
	for i := range c.After {
		switch {
		case sort == store.SortRelevance && i == 0:
			if _, err := strconv.ParseFloat(c.After[i], 64); err != nil {
				return nil, bad("bad score")
			}
		case i == len(c.After)-2:
			if _, err := time.Parse(time.RFC3339Nano, c.After[i]); err != nil {
				return nil, bad("bad date")
			}
		}
	}
	return c.After, nil
}
