package bus

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/newswatch/newswatch/article"
)

// Dead-letter headers, set on every message in ARTICLES_DEAD. The body is
// the original message body, unchanged.
const (
	// HeaderDeadReason is one of the Reason* values.
	HeaderDeadReason = "Newswatch-Dead-Reason"
	// HeaderDeadError is the error text (one line, at most 1 KiB).
	HeaderDeadError = "Newswatch-Dead-Error"
	// HeaderDeadSubject is the subject the message was published on.
	HeaderDeadSubject = "Newswatch-Dead-Subject"
	// HeaderDeadStreamSeq is its sequence in ARTICLES.
	HeaderDeadStreamSeq = "Newswatch-Dead-Stream-Seq"
	// HeaderDeadDeliveries is how many times it was delivered.
	HeaderDeadDeliveries = "Newswatch-Dead-Deliveries"
	// HeaderDeadAt is when it was dead-lettered (RFC 3339, UTC).
	HeaderDeadAt = "Newswatch-Dead-At"
	// HeaderDeadMsgID is the original Nats-Msg-Id, if any.
	HeaderDeadMsgID = "Newswatch-Dead-Msg-Id"
)

// Dead-letter reasons.
const (
	ReasonUndecodable    = "undecodable"     // body is not an Article JSON object
	ReasonInvalid        = "invalid"         // decodes but fails validation
	ReasonOutletMismatch = "outlet_mismatch" // body's outlet differs from the subject's
	ReasonStoreFailed    = "store_failed"    // the store rejected it MaxDeliver times
)

// UnknownOutlet is the outlet token used for dead letters whose subject has
// no valid outlet.
const UnknownOutlet = "_unknown"

// PublishResult is the server's answer to one publish.
type PublishResult struct {
	// Seq is the message's sequence in ARTICLES (for a duplicate: the
	// sequence of the earlier copy).
	Seq uint64
	// Duplicate is true when the server already had this article version
	// within the duplicate window and did not store it again.
	Duplicate bool
	// Err is set by PublishBatch for an article that was not published.
	Err error
}

func articleMsg(a *article.Article) (*nats.Msg, error) {
	data, err := Encode(a)
	if err != nil {
		return nil, err
	}
	m := nats.NewMsg(SubjectPrefix + a.Outlet)
	m.Data = data
	m.Header.Set(jetstream.MsgIDHeader, a.MsgID())
	return m, nil
}

// Publish publishes a validated article on "articles.<outlet>" with
// Nats-Msg-Id = a.MsgID() and waits for the server's acknowledgement. An
// invalid article is an error wrapping article.ErrInvalid and is not sent.
func (c *Conn) Publish(ctx context.Context, a *article.Article) (PublishResult, error) {
	m, err := articleMsg(a)
	if err != nil {
		return PublishResult{}, fmt.Errorf("publish: %w", err)
	}
	ack, err := c.js.PublishMsg(ctx, m, jetstream.WithExpectStream(StreamArticles))
	if err != nil {
		return PublishResult{}, fmt.Errorf("publish %s: %w", a.ID, err)
	}
	return PublishResult{Seq: ack.Sequence, Duplicate: ack.Duplicate}, nil
}

// PublishBatch publishes articles asynchronously, with at most
// MaxAsyncPending unacknowledged at a time, and waits for every
// acknowledgement. results[i] belongs to arts[i]; an article that was not
// published has results[i].Err set. The error summarises the failures
// (nil when all were published).
func (c *Conn) PublishBatch(ctx context.Context, arts []*article.Article) ([]PublishResult, error) {
	results := make([]PublishResult, len(arts))
	futures := make([]jetstream.PubAckFuture, len(arts))
	for i, a := range arts {
		if err := ctx.Err(); err != nil {
			results[i].Err = err
			continue
		}
		m, err := articleMsg(a)
		if err != nil {
			results[i].Err = err
			continue
		}
		f, err := c.js.PublishMsgAsync(m, jetstream.WithExpectStream(StreamArticles))
		if err != nil {
			results[i].Err = err
			continue
		}
		futures[i] = f
	}
	for i, f := range futures {
		if f == nil {
			continue
		}
		select {
		case ack := <-f.Ok():
			results[i].Seq, results[i].Duplicate = ack.Sequence, ack.Duplicate
		case err := <-f.Err():
			results[i].Err = err
		case <-ctx.Done():
			results[i].Err = ctx.Err()
		}
	}
	failed, first := 0, -1
	for i := range results {
		if results[i].Err != nil {
			failed++
			if first < 0 {
				first = i
			}
		}
	}
	if failed > 0 {
		return results, fmt.Errorf("publish batch: %d of %d failed; first (%d): %w", failed, len(arts), first, results[first].Err)
	}
	return results, nil
}

// DeadLetter describes a message the indexer gives up on.
type DeadLetter struct {
	Subject    string      // original subject ("articles.<outlet>")
	Data       []byte      // original body
	MsgID      string      // original Nats-Msg-Id, if any
	StreamSeq  uint64      // sequence in ARTICLES, 0 if unknown
	Deliveries uint64      // delivery count when given up
	Reason     string      // one of the Reason* values
	Err        error       // what went wrong
	At         time.Time   // when; default now
	Header     nats.Header // extra headers to carry over, optional
}

// PublishDead publishes d on "articles.dead.<outlet>" (the outlet taken from
// d.Subject, UnknownOutlet if it has none) and waits for the server's
// acknowledgement. Publishing the same stream sequence twice within the
// duplicate window is a no-op.
func (c *Conn) PublishDead(ctx context.Context, d DeadLetter) (PublishResult, error) {
	outlet, err := OutletOfSubject(d.Subject)
	if err != nil {
		outlet = UnknownOutlet
	}
	m := nats.NewMsg(DeadPrefix + outlet)
	m.Data = d.Data
	for k, vs := range d.Header {
		for _, v := range vs {
			m.Header.Add(k, v)
		}
	}
	at := d.At
	if at.IsZero() {
		at = time.Now()
	}
	errText := ""
	if d.Err != nil {
		errText = oneLine(d.Err.Error(), 1024)
	}
	m.Header.Set(HeaderDeadReason, d.Reason)
	m.Header.Set(HeaderDeadError, errText)
	m.Header.Set(HeaderDeadSubject, d.Subject)
	m.Header.Set(HeaderDeadStreamSeq, strconv.FormatUint(d.StreamSeq, 10))
	m.Header.Set(HeaderDeadDeliveries, strconv.FormatUint(d.Deliveries, 10))
	m.Header.Set(HeaderDeadAt, at.UTC().Format(time.RFC3339Nano))
	m.Header.Del(jetstream.MsgIDHeader)
	if d.MsgID != "" {
		m.Header.Set(HeaderDeadMsgID, d.MsgID)
	}
	if d.StreamSeq > 0 {
		m.Header.Set(jetstream.MsgIDHeader, "dead:"+strconv.FormatUint(d.StreamSeq, 10))
	}
	ack, err := c.js.PublishMsg(ctx, m, jetstream.WithExpectStream(StreamDead))
	if err != nil {
		return PublishResult{}, fmt.Errorf("publish dead letter for %s seq %d: %w", d.Subject, d.StreamSeq, err)
	}
	return PublishResult{Seq: ack.Sequence, Duplicate: ack.Duplicate}, nil
}

func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		s = strings.ToValidUTF8(s[:max], "")
	}
	return s
}
