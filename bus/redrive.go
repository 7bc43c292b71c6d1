package bus

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// RedriveFilter selects dead letters to redrive. The zero value selects all.
type RedriveFilter struct {
	Outlet string // only this outlet's dead letters
	Reason string // only dead letters with this Reason* value
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
// was stored meanwhile harmless.
func (c *Conn) Redrive(ctx context.Context, f RedriveFilter) (RedriveResult, error) {
	var res RedriveResult
	subject := DeadSubjects
	if f.Outlet != "" {
		if f.Outlet != UnknownOutlet {
			if err := ValidateOutlet(f.Outlet); err != nil {
				return res, fmt.Errorf("redrive: %w", err)
			}
		}
		subject = DeadPrefix + f.Outlet
	}
	s, err := c.js.Stream(ctx, StreamDead)
	if err != nil {
		return res, fmt.Errorf("redrive: %w", err)
	}
	info, err := s.Info(ctx, jetstream.WithSubjectFilter(subject))
	if err != nil {
		return res, fmt.Errorf("redrive: %w", err)
	}
	first, last := info.State.FirstSeq, info.State.LastSeq
	if info.State.Msgs == 0 {
		return res, nil
	}
	for seq := first; seq <= last; seq++ {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		m, err := s.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return res, fmt.Errorf("redrive: get dead letter %d: %w", seq, err)
		}
		if !subjectMatches(subject, m.Subject) || (f.Reason != "" && m.Header.Get(HeaderDeadReason) != f.Reason) {
			continue
		}
		orig := m.Header.Get(HeaderDeadSubject)
		if strings.HasPrefix(orig, DeadPrefix) || !strings.HasPrefix(orig, SubjectPrefix) {
			res.Skipped++
			continue
		}
		if _, err := OutletOfSubject(orig); err != nil {
			res.Skipped++
			continue
		}
		out := nats.NewMsg(orig)
		out.Data = m.Data
		out.Header.Set(jetstream.MsgIDHeader, "redrive:"+strconv.FormatUint(seq, 10))
		if _, err := c.publishRetry(ctx, out, StreamArticles); err != nil {
			return res, fmt.Errorf("redrive: republish dead letter %d: %w", seq, err)
		}
		if err := s.DeleteMsg(ctx, seq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
			return res, fmt.Errorf("redrive: remove dead letter %d: %w", seq, err)
		}
		res.Republished++
	}
	c.log.Info("dead letters redriven", zap.Int("republished", res.Republished), zap.Int("skipped", res.Skipped),
		zap.String("outlet", f.Outlet), zap.String("reason", f.Reason))
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
