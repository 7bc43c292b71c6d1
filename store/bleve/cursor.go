package bleve

import (
	"encoding/json"
	"strconv"

	"github.com/newswatch/newswatch/store"
)

// encodeCursor makes the store cursor of bleve's search-after values.
func encodeCursor(sort, fp string, after []string) string {
	raw := make([]json.RawMessage, len(after))
	for i, v := range after {
		raw[i], _ = json.Marshal(v)
	}
	return store.EncodeCursor(sort, fp, raw)
}

// decodeCursor returns bleve's search-after values of a store cursor,
// checking them so that a forged cursor is a bad query.
func decodeCursor(s, sort, fp string, n int) ([]string, error) {
	raw, err := store.DecodeCursor(s, sort, fp, n)
	if err != nil {
		return nil, err
	}
	after := make([]string, len(raw))
	for i, r := range raw {
		if json.Unmarshal(r, &after[i]) != nil {
			return nil, store.CursorError("not a cursor from this API")
		}
	}
	for i := range after {
		switch {
		case sort == store.SortRelevance && i == 0:
			if _, err := strconv.ParseFloat(after[i], 64); err != nil {
				return nil, store.CursorError("bad score")
			}
		case i == len(after)-2:
			if _, ok := parseDateKey([]byte(after[i])); !ok {
				return nil, store.CursorError("bad date")
			}
		}
	}
	return after, nil
}
