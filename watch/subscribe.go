package watch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/newswatch/newswatch/bus"
)

// Subscribe returns the events of the watch with the ID: with from > 0
// those from the event with sequence from on (a client's Last-Event-ID + 1:
// every event the stream still keeps after it), with from 0 those
// published from now on. The channel closes when ctx is done or the
// stream cannot be read (the error is then sent on errs).
func (s *Store) Subscribe(ctx context.Context, id string, from uint64) (<-chan Event, <-chan error, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return nil, nil, err
	}
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: []string{bus.WatchEventsPrefix + id}, DeliverPolicy: jetstream.DeliverNewPolicy}
	if from > 0 {
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, from
	}
	cons, err := s.js.OrderedConsumer(ctx, bus.StreamWatchEvents, cfg)
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
			var ev Event
			md, merr := m.Metadata()
			if merr != nil || json.Unmarshal(m.Data(), &ev) != nil {
				continue
			}
			ev.ID = strconv.FormatUint(md.Sequence.Stream, 10)
			select {
			case out <- ev:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, errs, nil
}
