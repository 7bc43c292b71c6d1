package indexer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/newswatch/newswatch/bus"
	"github.com/newswatch/newswatch/crawler"
	"github.com/newswatch/newswatch/store"
)

// AuditConfig configures Audit. The zero value gives the defaults.
type AuditConfig struct {
	// Durable is the indexer's consumer, whose ack floor tells what it has
	// finished. Default DefaultDurable.
	Durable string
	// DryRun reports without republishing or resetting anything.
	DryRun bool
	// MaxExamples is how many findings the report lists. Default 20.
	MaxExamples int
}

// AuditReport is what Audit found and did.
type AuditReport struct {
	// Checked counts the url_state entries (articles the crawlers
	// published, at their latest version) compared with the store.
	Checked int `json:"checked"`
	// Indexed of those are in the store at that version.
	Indexed int `json:"indexed"`
	// Missing are not in the store at all; Stale are there without that
	// version.
	Missing int `json:"missing"`
	Stale   int `json:"stale"`
	// InFlight of Missing+Stale wait in ARTICLES for the indexer (past its
	// ack floor): left alone.
	InFlight int `json:"in_flight"`
	// Republished were put on ARTICLES again from their copy there, which
	// the indexer had passed without them reaching the store.
	Republished int `json:"republished"`
	// Requeued had no copy left in ARTICLES (lost below newswatch): their
	// url_state was set back to what the store holds, so the crawler
	// publishes them again when it next sees their pages.
	Requeued int `json:"requeued"`
	// Unreadable url_state entries could not be decoded.
	Unreadable int `json:"unreadable"`
	// StreamScanned counts the ARTICLES messages read to find copies.
	StreamScanned uint64 `json:"stream_scanned"`
	// Examples lists the first findings.
	Examples []AuditFinding `json:"examples,omitempty"`
	DryRun   bool           `json:"dry_run,omitempty"`
	Took     time.Duration  `json:"took"`
}

// AuditFinding is one article the audit found out of step.
type AuditFinding struct {
	Outlet    string `json:"outlet"`
	ID        string `json:"id"`
	Version   int    `json:"version"`              // in the crawl state
	Stored    int    `json:"stored,omitempty"`     // newest version in the store, 0 if none
	StreamSeq uint64 `json:"stream_seq,omitempty"` // its copy in ARTICLES
	Action    string `json:"action"`               // republished, in_flight, requeued (or would_* in a dry run)
}

// Healthy reports whether the store held everything the crawl state says
// was published.
func (r AuditReport) Healthy() bool { return r.Missing == 0 && r.Stale == 0 && r.Unreadable == 0 }

// wanted is a url_state entry the store does not reflect.
type wanted struct {
	key    string
	rev    uint64
	outlet string
	id     string
	state  crawler.URLState
	stored *store.Record // nil when missing
	seq    uint64        // latest copy in ARTICLES
	data   []byte
	subj   string
}

// Audit heals gaps between what the crawlers published and what the store
// holds. It compares every url_state entry (outlet, article ID, latest
// published content hash and version) with the store; an article the
// store lacks at that version is republished from its copy in ARTICLES,
// unless the indexer has not reached that copy yet; one with no copy left
// (a loss below newswatch: disk, broker) gets its url_state set back to
// what the store holds, so the crawler publishes it again. Republished
// copies carry Nats-Msg-Id "audit:<seq>": a second audit before the
// indexer catches up is a no-op at the server. It reports what it found.
func Audit(ctx context.Context, conn *bus.Conn, st store.Store, cfg AuditConfig, log *zap.Logger) (AuditReport, error) {
	start := time.Now()
	if cfg.Durable == "" {
		cfg.Durable = DefaultDurable
	}
	if cfg.MaxExamples == 0 {
		cfg.MaxExamples = 20
	}
	if log == nil {
		log = zap.NewNop()
	}
	log = log.Named("audit")
	rep := AuditReport{DryRun: cfg.DryRun}
	kv, err := conn.URLState(ctx)
	if err != nil {
		return rep, fmt.Errorf("audit: %w", err)
	}
	// The ack floor is read before the crawl state and the stream after
	// it: a copy the indexer finishes meanwhile counts as in flight, and
	// the copy of every entry read is in the scan.
	floor, err := ackFloor(ctx, conn, cfg.Durable)
	if err != nil {
		return rep, err
	}
	var out []*wanted
	byID := map[string]*wanted{}
	w, err := kv.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return rep, fmt.Errorf("audit: read %s: %w", bus.BucketURLState, err)
	}
	defer w.Stop()
	for e := range w.Updates() {
		if e == nil {
			break // every current entry seen
		}
		outlet, id, ok := strings.Cut(e.Key(), ".")
		var s crawler.URLState
		if !ok || json.Unmarshal(e.Value(), &s) != nil || (s.Version < 1 && s.Status == "") {
			rep.Unreadable++
			log.Warn("unreadable url state", zap.String("key", e.Key()))
			continue
		}
		if !s.Published() {
			continue // a page with no article (not_article, gone, alias): nothing to audit
		}
		rep.Checked++
		rec, err := st.Get(ctx, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			rep.Missing++
			rec = nil
		case err != nil:
			return rep, fmt.Errorf("audit: store get %s: %w", id, err)
		case hasVersion(rec, s):
			rep.Indexed++
			continue
		default:
			rep.Stale++
		}
		x := &wanted{key: e.Key(), rev: e.Revision(), outlet: outlet, id: id, state: s, stored: rec}
		out = append(out, x)
		byID[id] = x
	}
	if err := ctx.Err(); err != nil {
		return rep, err
	}
	if len(out) > 0 {
		if rep.StreamScanned, err = findCopies(ctx, conn, byID); err != nil {
			return rep, err
		}
	}
	requeued := map[string]bool{}
	for _, x := range out {
		f := AuditFinding{Outlet: x.outlet, ID: x.id, Version: x.state.Version, StreamSeq: x.seq}
		if x.stored != nil {
			f.Stored = x.stored.Article.Version
		}
		switch {
		case x.seq > floor:
			rep.InFlight++
			f.Action = "in_flight"
		case x.seq > 0:
			f.Action = "republished"
			if !cfg.DryRun {
				if _, err := conn.Republish(ctx, x.subj, x.data, "audit:"+strconv.FormatUint(x.seq, 10)); err != nil {
					return rep, fmt.Errorf("audit: %w", err)
				}
			}
			rep.Republished++
		default:
			f.Action = "requeued"
			if !cfg.DryRun {
				if err := requeue(ctx, kv, x); err != nil {
					return rep, err
				}
				requeued[x.outlet] = true
			}
			rep.Requeued++
		}
		if cfg.DryRun && f.Action != "in_flight" {
			f.Action = "would_be_" + f.Action
		}
		if len(rep.Examples) < cfg.MaxExamples {
			rep.Examples = append(rep.Examples, f)
		}
	}
	if len(requeued) > 0 {
		// The crawler polls with conditional GETs: make it read every
		// document of these outlets in full, so it sees the requeued
		// pages again.
		okv, err := conn.OutletState(ctx)
		if err != nil {
			return rep, fmt.Errorf("audit: %w", err)
		}
		for outlet := range requeued {
			if _, err := crawler.ForgetSources(ctx, okv, outlet); err != nil {
				return rep, fmt.Errorf("audit: %w", err)
			}
		}
	}
	rep.Took = time.Since(start)
	log.Info("audit done", zap.Int("checked", rep.Checked), zap.Int("missing", rep.Missing), zap.Int("stale", rep.Stale),
		zap.Int("republished", rep.Republished), zap.Int("in_flight", rep.InFlight), zap.Int("requeued", rep.Requeued),
		zap.Bool("dry_run", cfg.DryRun), zap.Duration("took", rep.Took))
	return rep, nil
}

// hasVersion reports whether the store holds version s of the article.
func hasVersion(r *store.Record, s crawler.URLState) bool {
	for _, v := range r.Versions {
		if v.Version == s.Version && v.ContentHash == s.ContentHash {
			return true
		}
	}
	return false
}

// ackFloor returns the indexer consumer's ack floor: every message up to
// it is finished. Without the consumer (no indexer ever ran) it is 0:
// everything is still to come.
func ackFloor(ctx context.Context, conn *bus.Conn, durable string) (uint64, error) {
	c, err := conn.JetStream().Consumer(ctx, bus.StreamArticles, durable)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("audit: consumer %s: %w", durable, err)
	}
	return c.CachedInfo().AckFloor.Stream, nil
}

// findCopies reads ARTICLES to its current end and records, for each
// wanted article, its latest copy at the crawl state's version.
func findCopies(ctx context.Context, conn *bus.Conn, byID map[string]*wanted) (uint64, error) {
	s, err := conn.JetStream().Stream(ctx, bus.StreamArticles)
	if err != nil {
		return 0, fmt.Errorf("audit: %w", err)
	}
	last := s.CachedInfo().State.LastSeq
	if s.CachedInfo().State.Msgs == 0 {
		return 0, nil
	}
	cons, err := conn.JetStream().OrderedConsumer(ctx, bus.StreamArticles, jetstream.OrderedConsumerConfig{})
	if err != nil {
		return 0, fmt.Errorf("audit: read %s: %w", bus.StreamArticles, err)
	}
	var scanned uint64
	for {
		if err := ctx.Err(); err != nil {
			return scanned, err
		}
		batch, err := cons.Fetch(1000, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			return scanned, fmt.Errorf("audit: read %s: %w", bus.StreamArticles, err)
		}
		n := 0
		for m := range batch.Messages() {
			n++
			scanned++
			meta, err := m.Metadata()
			if err != nil {
				continue
			}
			var a struct {
				ID          string `json:"id"`
				ContentHash string `json:"content_hash"`
				Version     int    `json:"version"`
			}
			if json.Unmarshal(m.Data(), &a) == nil {
				if x := byID[a.ID]; x != nil && a.Version == x.state.Version && a.ContentHash == x.state.ContentHash {
					x.seq, x.data, x.subj = meta.Sequence.Stream, m.Data(), m.Subject()
				}
			}
			if meta.Sequence.Stream >= last {
				return scanned, nil
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
			return scanned, fmt.Errorf("audit: read %s: %w", bus.StreamArticles, err)
		}
		if n == 0 {
			return scanned, nil // the stream ends before last (messages deleted)
		}
	}
}

// requeue sets an article's url_state back to what the store holds, marked
// for a refetch (or removes it when the store holds nothing), so the
// crawler fetches the page again and publishes its content as the next
// version. A crawler that changed the entry meanwhile wins.
func requeue(ctx context.Context, kv jetstream.KeyValue, x *wanted) error {
	var err error
	if x.stored == nil {
		err = kv.Delete(ctx, x.key, jetstream.LastRevision(x.rev))
	} else {
		// The crawler fetches a page whose state asks for it (Refetch)
		// at its next discovery and publishes its content as the next
		// version after the stored one.
		a := x.stored.Article
		s := x.state
		s.ContentHash, s.Version, s.FetchedAt, s.Refetch = a.ContentHash, a.Version, a.FetchedAt, true
		s.ETag, s.LastModified = "", ""
		_, err = bus.PutJSON(ctx, kv, x.key, s, x.rev)
	}
	if err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
		var apiErr *jetstream.APIError
		if !errors.As(err, &apiErr) || (apiErr.ErrorCode != jetstream.JSErrCodeStreamWrongLastSequence && apiErr.ErrorCode != jetstream.JSErrCodeStreamWrongLastSequenceConstant) {
			return fmt.Errorf("audit: reset url state %s: %w", x.key, err)
		}
	}
	return nil
}
