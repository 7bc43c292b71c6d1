package watch

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/newswatch/newswatch/bus"
)

// Subscribe returns the events of the watch with the ID: with from > 0
// those from the event with sequence from on (a client's Last-Event-ID + 1:
// every event the stream still keeps after it), with from 0 those
// published from now on. The channel closes when ctx is done or the
// stream cannot be read (the error is then sent on errs).
//
// It reads the headers of the watch's own messages and of every matches
// message (which name their watches in a header), and fetches the body of
// those that hold an event of the watch only: a client of one watch does
// not receive every other watch's articles.
func (s *Store) Subscribe(ctx context.Context, id string, from uint64) (<-chan Event, <-chan error, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return nil, nil, err
	}
	st, err := s.js.Stream(ctx, bus.StreamWatchEvents)
	if err != nil {
		return nil, nil, fmt.Errorf("follow the events of watch %s: %w", id, err)
	}
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: []string{bus.WatchEventsPrefix + id, bus.WatchMatchesSubject},
		DeliverPolicy: jetstream.DeliverNewPolicy, HeadersOnly: true}
	if from > 0 {
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, from
	}
	cons, err := st.OrderedConsumer(ctx, cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("follow the events of watch %s: %w", id, err)
	}
	it, err := cons.Messages()
	if err != nil {
		return nil, nil, fmt.Errorf("follow the events of watch %s: %w", id, err)
	}
	out := make(chan Event)
	errs := make(chan error, 1)
	stop := context.AfterFunc(ctx, it.Stop)
	go func() {
		defer close(out)
		defer stop()
		defer it.Stop()
		for {
			m, err := it.Next()
			if err != nil {
				if ctx.Err() == nil && !errors.Is(err, jetstream.ErrMsgIteratorClosed) {
					errs <- err
				}
				return
			}
			md, err := m.Metadata()
			if err != nil || !holds(m.Subject(), m.Headers(), id) {
				continue // another watch's matches
			}
			raw, err := st.GetMsg(ctx, md.Sequence.Stream)
			if errors.Is(err, jetstream.ErrMsgNotFound) {
				continue // aged out since
			}
			if err != nil {
				if ctx.Err() == nil {
					errs <- fmt.Errorf("read event %d of watch %s: %w", md.Sequence.Stream, id, err)
				}
				return
			}
			ev, ok := eventOf(raw.Subject, raw.Data, raw.Sequence, id)
			if !ok {
				continue // not an event
			}
			select {
			case out <- ev:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, errs, nil
}
