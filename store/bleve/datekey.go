package bleve

import (
	"fmt"
	"time"

	"github.com/newswatch/newswatch/article"
)

// articleDate is the date an article sorts and counts by: published_at, or
// fetched_at when it has none.
func articleDate(a *article.Article) time.Time {
	if a.PublishedAt != nil {
		return *a.PublishedAt
	}
	return a.FetchedAt
}

// dateKey encodes an instant (to the second, any year) as 16 hex digits
// whose byte order is the order of the instants: the Unix seconds with the
// sign bit flipped. One term per document, where a bleve date field
// indexes sixteen.
func dateKey(t time.Time) string {
	return dateKeySec(t.Unix())
}

// dateKeySec is the dateKey of a Unix second.
func dateKeySec(sec int64) string {
	return fmt.Sprintf("%016x", uint64(sec)^(1<<63))
}

// parseDateKey decodes a dateKey into Unix seconds.
func parseDateKey(k []byte) (int64, bool) {
	if len(k) != 16 {
		return 0, false
	}
	var u uint64
	for _, c := range k {
		switch {
		case c >= '0' && c <= '9':
			u = u<<4 | uint64(c-'0')
		case c >= 'a' && c <= 'f':
			u = u<<4 | uint64(c-'a'+10)
		default:
			return 0, false
		}
	}
	return int64(u ^ (1 << 63)), true
}
