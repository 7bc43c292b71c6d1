package bus

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

	"github.com/newswatch/newswatch/article"
)

// DeadFilter selects dead letters. The zero value selects all.
type DeadFilter struct {
	Outlet string    // only this outlet's dead letters (UnknownOutlet included)
	Reason string    // only dead letters with this Reason* value
	Since  time.Time // only those dead-lettered at or after this time
}

// RedriveFilter selects dead letters to redrive.
type RedriveFilter = DeadFilter

// DeadMessage is one dead letter in ARTICLES_DEAD, as its headers describe
// it.
type DeadMessage struct {
	Seq        uint64    `json:"seq"`                  // sequence in ARTICLES_DEAD
	Outlet     string    `json:"outlet"`               // from its subject
	Subject    string    `json:"subject"`              // the original subject
	StreamSeq  uint64    `json:"stream_seq,omitempty"` // the original's sequence in ARTICLES
	MsgID      string    `json:"msg_id,omitempty"`     // the original Nats-Msg-Id
	Reason     string    `json:"reason"`               // one of the Reason* values
	Error      string    `json:"error"`                // what went wrong
	Deliveries uint64    `json:"deliveries"`           // deliveries before it was given up
	At         time.Time `json:"at"`                   // when it was dead-lettered
	ArticleID  string    `json:"article_id,omitempty"` // when the body decodes
	Title      string    `json:"title,omitempty"`      // when the body decodes
	URL        string    `json:"url,omitempty"`        // when the body decodes
	Bytes      int       `json:"bytes"`                // body size
	Data       []byte    `json:"-"`                    // the original body
}

func deadMessage(m *jetstream.RawStreamMsg) DeadMessage {
	d := DeadMessage{Seq: m.Sequence, Subject: m.Header.Get(HeaderDeadSubject), MsgID: m.Header.Get(HeaderDeadMsgID),
		Reason: m.Header.Get(HeaderDeadReason), Error: m.Header.Get(HeaderDeadError), Bytes: len(m.Data), Data: m.Data}
	d.Outlet = strings.TrimPrefix(m.Subject, DeadPrefix)
	d.StreamSeq, _ = strconv.ParseUint(m.Header.Get(HeaderDeadStreamSeq), 10, 64)
	d.Deliveries, _ = strconv.ParseUint(m.Header.Get(HeaderDeadDeliveries), 10, 64)
	if at, err := time.Parse(time.RFC3339Nano, m.Header.Get(HeaderDeadAt)); err == nil {
		d.At = at
	} else {
		d.At = m.Time.UTC()
	}
	// A partial view of the body, even one that failed validation.
	var a article.Article
	if err := json.Unmarshal(m.Data, &a); err == nil {
		d.ArticleID, d.Title, d.URL = a.ID, a.Title, a.URL
	}
	return d
}

func (f DeadFilter) subject() (string, error) {
	if f.Outlet == "" {
		return DeadSubjects, nil
	}
	if f.Outlet != UnknownOutlet {
		if err := article.ValidateOutlet(f.Outlet); err != nil {
			return "", err
		}
	}
	return DeadPrefix + f.Outlet, nil
}

func (f DeadFilter) match(d DeadMessage) bool {
	return (f.Reason == "" || d.Reason == f.Reason) && (f.Since.IsZero() || !d.At.Before(f.Since))
}

// Dead calls fn with every dead letter f selects, oldest first, among
// those present when it starts, and stops at fn's first error.
func (c *Conn) Dead(ctx context.Context, f DeadFilter, fn func(DeadMessage) error) error {
	subject, err := f.subject()
	if err != nil {
		return fmt.Errorf("dead letters: %w", err)
	}
	s, err := c.js.Stream(ctx, StreamDead)
	if err != nil {
		return fmt.Errorf("dead letters: %w", err)
	}
	info, err := s.Info(ctx, jetstream.WithSubjectFilter(subject))
	if err != nil {
		return fmt.Errorf("dead letters: %w", err)
	}
	if info.State.Msgs == 0 {
		return nil
	}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		m, err := s.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("dead letters: get %d: %w", seq, err)
		}
		if !subjectMatches(subject, m.Subject) {
			continue
		}
		if d := deadMessage(m); f.match(d) {
			if err := fn(d); err != nil {
				return err
			}
		}
	}
	return nil
}

// RedriveResult counts what Redrive did.
type RedriveResult struct {
	Republished int // put back on "articles.<outlet>" and removed from ARTICLES_DEAD
	Skipped     int // selected but not redrivable (no valid original subject); left in place
}

// Redrive puts dead letters back on their original subjects, for example
// after the store was fixed, and removes each from ARTICLES_DEAD once the
// server has acknowledged the republished copy. It works on the dead
// letters present when it starts. The copies get a new Nats-Msg-Id
// ("redrive:<dead seq>"), so they are not swallowed by the de-duplication
// window; the store's idempotent writes make a redrive of an article that
// was stored meanwhile harmless. A dead letter that fails again is
// dead-lettered again, as a new one.
func (c *Conn) Redrive(ctx context.Context, f RedriveFilter) (RedriveResult, error) {
	var res RedriveResult
	s, err := c.js.Stream(ctx, StreamDead)
	if err != nil {
		return res, fmt.Errorf("redrive: %w", err)
	}
	err = c.Dead(ctx, f, func(d DeadMessage) error {
		if _, err := OutletOfSubject(d.Subject); err != nil || strings.HasPrefix(d.Subject, DeadPrefix) {
			res.Skipped++
			return nil
		}
		if _, err := c.Republish(ctx, d.Subject, d.Data, "redrive:"+strconv.FormatUint(d.Seq, 10)); err != nil {
			return fmt.Errorf("dead letter %d: %w", d.Seq, err)
		}
		if err := s.DeleteMsg(ctx, d.Seq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
			return fmt.Errorf("remove dead letter %d: %w", d.Seq, err)
		}
		res.Republished++
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("redrive: %w", err)
	}
	c.log.Info("dead letters redriven", zap.Int("republished", res.Republished), zap.Int("skipped", res.Skipped),
		zap.String("outlet", f.Outlet), zap.String("reason", f.Reason), zap.Time("since", f.Since))
	return res, nil
}

// subjectMatches reports whether subj is in filter, which is either a
// literal subject or DeadSubjects.
func subjectMatches(filter, subj string) bool {
	if filter == DeadSubjects {
		return strings.HasPrefix(subj, DeadPrefix)
	}
	return filter == subj
}
