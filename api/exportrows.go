package api

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/newswatch/newswatch/api/export"
	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/store"
)

// exportBuffer is the write buffer between an export's encoder and the
// connection.
const exportBuffer = 256 << 10

// exportRows streams every article a query matches, newest first, as CSV,
// NDJSON or Parquet, at constant memory: the store scans a page at a
// time and the rows go out as they come. The number of matching articles
// is sent first (Newswatch-Export-Total); the row count, the payload's
// SHA-256 and the manifest follow the last row as HTTP trailers. A
// failure after the first byte ends the response without them, so a
// client can tell an incomplete export from a complete one.
func (s *Server) exportRows(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	q, loc, err := s.parseFilters(v)
	var format string
	if err == nil {
		format, err = oneOfParam(v, "format", export.FormatNDJSON, export.Formats)
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, CodeBadRequest, err.Error())
		return
	}
	select {
	case s.exports <- struct{}{}:
		defer func() { <-s.exports }()
	default:
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(s.cfg.RetryAfter/time.Second))))
		writeError(w, http.StatusServiceUnavailable, CodeBusy, fmt.Sprintf("%d exports are running, the most this server runs at once; retry shortly", cap(s.exports)))
		return
	}
	started := time.Now().UTC()
	// Counting first answers a malformed or too costly query with a 400
	// before the stream starts, and tells the client how many rows to
	// expect.
	agg, ok := s.aggregate(w, r, q, store.Aggregations{})
	if !ok {
		return
	}
	m := &export.Manifest{
		Schema: export.ManifestSchema, Query: q.Text, Format: format, ArticleSchema: article.Schema,
		Order: export.Order, GeneratedAt: started, NewswatchVersion: s.cfg.Version, Store: s.cfg.StoreName,
		Filters: export.Filters{Outlets: q.Outlets, Langs: q.Langs, Sections: q.Sections, Authors: q.Authors, From: q.From, To: q.To, TimeZone: loc.String()},
	}
	if format != export.FormatNDJSON {
		m.Columns = export.Columns
	}
	h := w.Header()
	h.Set("Content-Type", export.ContentType(format))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="newswatch-%s.%s"`, started.Format("20060102T150405Z"), format))
	h.Set(export.HeaderTotal, strconv.FormatInt(agg.Total, 10))
	h.Set("Trailer", export.TrailerRows+", "+export.TrailerSHA256+", "+export.TrailerManifest)
	w.WriteHeader(http.StatusOK)

	out := &exportSink{w: w, rc: http.NewResponseController(w), idle: s.cfg.ExportWriteTimeout, sum: sha256.New()}
	bw := bufio.NewWriterSize(out, exportBuffer)
	enc, err := export.New(format, bw)
	var rows int64
	if err == nil {
		err = s.st.ScanJSON(r.Context(), q, func(doc []byte) error {
			rows++
			return enc.Write(doc)
		})
	}
	if err == nil {
		err = enc.Close()
	}
	if err == nil {
		err = bw.Flush()
	}
	s.metrics.exported(format, rows, out.n)
	if err != nil {
		if r.Context().Err() == nil && !errors.Is(err, errClientGone) {
			s.logger(r).Error("export failed", zap.Int64("rows", rows), zap.Error(err))
		} else {
			s.logger(r).Info("export abandoned by the client", zap.Int64("rows", rows), zap.Error(err))
		}
		// Ends the response without its last chunk and trailers.
		panic(http.ErrAbortHandler)
	}
	m.Rows, m.Bytes, m.SHA256 = rows, out.n, hex.EncodeToString(out.sum.Sum(nil))
	m.CompletedAt = time.Now().UTC()
	h.Set(export.TrailerRows, strconv.FormatInt(rows, 10))
	h.Set(export.TrailerSHA256, m.SHA256)
	h.Set(export.TrailerManifest, export.EncodeTrailer(m))
	s.logger(r).Info("export done", zap.String("format", format), zap.Int64("rows", rows), zap.Int64("bytes", out.n),
		zap.Duration("took", time.Since(started)))
}

// errClientGone: the client stopped taking the export.
var errClientGone = errors.New("client stopped reading")

// exportSink is the connection side of an export: it hashes and counts
// what is written and gives the client ExportWriteTimeout to take each
// part, however long the whole export runs (the server's WriteTimeout
// bounds ordinary answers).
type exportSink struct {
	w        io.Writer
	rc       *http.ResponseController
	idle     time.Duration
	sum      hash.Hash
	n        int64
	extended time.Time
}

func (e *exportSink) Write(b []byte) (int, error) {
	if now := time.Now(); now.Sub(e.extended) > time.Second {
		e.extended = now
		_ = e.rc.SetWriteDeadline(now.Add(e.idle)) // not every ResponseWriter has one
	}
	n, err := e.w.Write(b)
	e.sum.Write(b[:n])
	e.n += int64(n)
	if err != nil {
		return n, fmt.Errorf("%w: %w", errClientGone, err)
	}
	return n, nil
}
