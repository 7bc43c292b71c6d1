package bus

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/internal/backoff"
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

// PublishTimeout bounds Publish and PublishBatch (retries included) when
// the context has no deadline.
const PublishTimeout = 30 * time.Second

// attemptTimeout bounds one publish attempt.
const attemptTimeout = 5 * time.Second

func articleMsg(a *article.Article) (*nats.Msg, error) {
	data, err := Encode(a)
	if err != nil {
		return nil, err
	}
	subj, err := ArticleSubject(a.Outlet)
	if err != nil {
		return nil, err
	}
	m := nats.NewMsg(subj)
	m.Data = data
	m.Header.Set(jetstream.MsgIDHeader, a.MsgID())
	return m, nil
}

// copyMsg copies subject, data and headers, so that the publish options
// set on one attempt's headers never touch another's.
func copyMsg(m *nats.Msg) *nats.Msg {
	c := nats.NewMsg(m.Subject)
	c.Data = m.Data
	for k, vs := range m.Header {
		c.Header[k] = append([]string(nil), vs...)
	}
	return c
}

// Transient reports whether a publish error may go away on its own (the
// server is restarting, a leader election, a timeout, the connection to a
// node that just died failing a write before the client reconnects) so
// that retrying makes sense. Retrying a publish is safe: the Nats-Msg-Id makes a repeat
// a no-op.
func Transient(err error) bool {
	if streamFull(err) {
		// A 503 too, but it lasts until the stream has room: the
		// publisher keeps the article and slows down (Throttle).
		return false
	}
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		return apiErr.Code == 503 || apiErr.Code == 408
	}
	var netErr *net.OpError
	if errors.As(err, &netErr) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	return errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, nats.ErrNoResponders) ||
		errors.Is(err, nats.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, nats.ErrDisconnected) || errors.Is(err, nats.ErrConnectionReconnecting) ||
		errors.Is(err, jetstream.ErrAsyncPublishTimeout) || errors.Is(err, jetstream.ErrTooManyStalledMsgs)
}

func withDefaultTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, PublishTimeout)
}

// publishRetry publishes m, retrying transient errors with back-off until
// ctx is done.
func (c *Conn) publishRetry(ctx context.Context, m *nats.Msg, stream string) (*jetstream.PubAck, error) {
	wait := publishBackoff.Start()
	for attempt := 1; ; attempt++ {
		msg := copyMsg(m)
		actx, cancel := context.WithTimeout(ctx, attemptTimeout)
		ack, err := c.js.PublishMsg(actx, msg, jetstream.WithExpectStream(stream))
		cancel()
		if err == nil {
			return ack, nil
		}
		if !Transient(err) || ctx.Err() != nil {
			return nil, err
		}
		c.log.Debug("publish failed; retrying", zap.String("subject", m.Subject), zap.Int("attempt", attempt), zap.Error(err))
		if !wait.Wait(ctx) {
			return nil, fmt.Errorf("%w (last error: %w)", ctx.Err(), err)
		}
	}
}

// publishBackoff spaces publish retries: 50ms doubling up to 2s.
var publishBackoff = backoff.Policy{Initial: 50 * time.Millisecond, Max: 2 * time.Second}

// Publish publishes an article (validated by its producer) on
// "articles.<outlet>" with Nats-Msg-Id = a.MsgID() and waits for the
// server's acknowledgement, retrying transient errors (server restarting,
// timeouts) until ctx is done (PublishTimeout when ctx has no deadline). An
// outlet that is no valid subject token is an error wrapping
// article.ErrBadOutlet, and nothing is sent.
func (c *Conn) Publish(ctx context.Context, a *article.Article) (PublishResult, error) {
	m, err := articleMsg(a)
	if err != nil {
		return PublishResult{}, fmt.Errorf("publish: %w", err)
	}
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	ack, err := c.publishRetry(ctx, m, StreamArticles)
	if err != nil {
		return PublishResult{}, fmt.Errorf("publish %s: %w", a.ID, fullErr(err))
	}
	return PublishResult{Seq: ack.Sequence, Duplicate: ack.Duplicate}, nil
}

// PublishBatch publishes articles asynchronously, with at most
// MaxAsyncPending unacknowledged at a time, and waits for every
// acknowledgement; articles that failed transiently are retried one by one
// like Publish. results[i] belongs to arts[i]; an article that was not
// published has results[i].Err set. The error summarises the failures
// (nil when all were published).
func (c *Conn) PublishBatch(ctx context.Context, arts []*article.Article) ([]PublishResult, error) {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	results := make([]PublishResult, len(arts))
	msgs := make([]*nats.Msg, len(arts))
	futures := make([]jetstream.PubAckFuture, len(arts))
	for i, a := range arts {
		m, err := articleMsg(a)
		if err != nil {
			results[i].Err = err
			continue
		}
		msgs[i] = m
		if err := ctx.Err(); err != nil {
			results[i].Err = err
			continue
		}
		f, err := c.js.PublishMsgAsync(copyMsg(m), jetstream.WithExpectStream(StreamArticles))
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
		if results[i].Err != nil && msgs[i] != nil && Transient(results[i].Err) && ctx.Err() == nil {
			ack, err := c.publishRetry(ctx, msgs[i], StreamArticles)
			if err == nil {
				results[i] = PublishResult{Seq: ack.Sequence, Duplicate: ack.Duplicate}
			} else {
				results[i].Err = err
			}
		}
		if results[i].Err != nil {
			results[i].Err = fullErr(results[i].Err)
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

// Republish publishes a stored message body again on its article subject
// ("articles.<outlet>") under a new Nats-Msg-Id (a republish under the
// original ID would be swallowed by the duplicate window), and waits for
// the server's acknowledgement, retrying transient errors like Publish.
// Redrive and the audit use it; the store's idempotent writes make a
// copy of an article that was stored meanwhile harmless.
func (c *Conn) Republish(ctx context.Context, subject string, data []byte, msgID string) (PublishResult, error) {
	if _, err := OutletOfSubject(subject); err != nil || strings.HasPrefix(subject, DeadPrefix) {
		return PublishResult{}, fmt.Errorf("republish: %q is not an article subject", subject)
	}
	m := nats.NewMsg(subject)
	m.Data = data
	m.Header.Set(jetstream.MsgIDHeader, msgID)
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	ack, err := c.publishRetry(ctx, m, StreamArticles)
	if err != nil {
		return PublishResult{}, fmt.Errorf("republish on %s: %w", subject, fullErr(err))
	}
	return PublishResult{Seq: ack.Sequence, Duplicate: ack.Duplicate}, nil
}

// fullErr wraps ErrStreamFull around a publish error that says the stream
// is full.
func fullErr(err error) error {
	if streamFull(err) {
		return fmt.Errorf("%w: %w", ErrStreamFull, err)
	}
	return err
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
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	ack, err := c.publishRetry(ctx, m, StreamDead)
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

// PublishOutletEvent publishes an outlet health event (a JSON body) on
// "outlets.events.<outlet>" in OUTLET_EVENTS and waits for the server's
// acknowledgement, retrying transient errors like Publish. msgID, if set,
// makes a republish within the duplicate window a no-op.
func (c *Conn) PublishOutletEvent(ctx context.Context, outlet string, data []byte, msgID string) error {
	subj, err := OutletEventSubject(outlet)
	if err != nil {
		return err
	}
	m := nats.NewMsg(subj)
	m.Data = data
	if msgID != "" {
		m.Header.Set(jetstream.MsgIDHeader, msgID)
	}
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	if _, err := c.publishRetry(ctx, m, StreamOutletEvents); err != nil {
		return fmt.Errorf("publish outlet event on %s: %w", subj, err)
	}
	return nil
}
