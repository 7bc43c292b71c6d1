package watch

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/bus"
)

// The messages of WATCH_EVENTS. An article or a new version that matched
// watches is one message on bus.WatchMatchesSubject naming them all (a
// matches message): the stream then grows with the articles, not with
// articles times matching watches, which matters when the server writes
// every message to disk before acknowledging it. The rarer events (outlet
// status, coverage gaps) are one message each on the watch's own subject.
// A webhook delivery that failed its first attempt is retried from a
// message of its own on the watch's retry subject. Every event's ID is
// the stream sequence of the message it first appeared in, whichever
// subject: SSE clients and webhooks see the same IDs.

// headerWatches on a matches message lists its watches, comma-separated,
// so that a reader following one watch skips the others' messages
// without decoding them.
const headerWatches = "Newswatch-Watches"

// headerAttempts on a retry message is the number of delivery attempts
// made before it was published.
const headerAttempts = "Newswatch-Attempts"

// matches is the body of a matches message: the event of each of Watches.
type matches struct {
	Kind    string           `json:"kind"`
	At      time.Time        `json:"at"`
	Watches []string         `json:"watches"`
	Article *article.Article `json:"article"`
	Edit    *Edit            `json:"edit,omitempty"`
}

// matchesMsg is the matches message of an article version for the
// watches (kind KindArticle or KindEdit). Its message ID makes it once
// per version and kind, however often the article message is handled.
func matchesMsg(kind string, at time.Time, watches []string, a *article.Article, edit *Edit) (*nats.Msg, error) {
	data, err := json.Marshal(matches{Kind: kind, At: at, Watches: watches, Article: a, Edit: edit})
	if err != nil {
		return nil, err
	}
	msg := nats.NewMsg(bus.WatchMatchesSubject)
	msg.Data = data
	msg.Header.Set(headerWatches, strings.Join(watches, ","))
	msg.Header.Set(jetstream.MsgIDHeader, "matches:"+kind+":"+a.MsgID())
	return msg, nil
}

// msgID de-duplicates an event on a watch's own subject: one per watch,
// kind and subject, so that a message handled twice (a redelivery) makes
// its events once.
func msgID(ev Event) string {
	switch {
	case ev.Gap != nil:
		return ev.Watch + ":gap:" + ev.Gap.Story
	case ev.Outlet != nil:
		return ev.Watch + ":outlet:" + ev.Outlet.Outlet + ":" + string(ev.Outlet.To) + ":" + strconv.FormatInt(ev.Outlet.At.UnixNano(), 10)
	}
	return ""
}

// eventMsg is ev as a message on the watch's own subject.
func eventMsg(ev Event) (*nats.Msg, error) {
	data, err := json.Marshal(ev)
	if err != nil {
		return nil, err
	}
	msg := nats.NewMsg(bus.WatchEventsPrefix + ev.Watch)
	msg.Data = data
	if id := msgID(ev); id != "" {
		msg.Header.Set(jetstream.MsgIDHeader, id)
	}
	return msg, nil
}

// retryMsg is the message a failed webhook delivery of ev is retried
// from, after attempts attempts.
func retryMsg(ev Event, attempts int) (*nats.Msg, error) {
	data, err := json.Marshal(ev)
	if err != nil {
		return nil, err
	}
	msg := nats.NewMsg(bus.WatchRetriesPrefix + ev.Watch)
	msg.Data = data
	msg.Header.Set(headerAttempts, strconv.Itoa(attempts))
	msg.Header.Set(jetstream.MsgIDHeader, "retry:"+ev.Watch+":"+ev.ID)
	return msg, nil
}

// errNotEvents: a message of WATCH_EVENTS that holds no event (a foreign
// or malformed message).
var errNotEvents = errors.New("not a watch event message")

// EventsOf returns the events a message of WATCH_EVENTS holds, with
// their IDs: the events of every watch of a matches message, the one
// event of a watch's own message (whose ID is seq, the message's stream
// sequence) or of a retry message (which keeps its event's ID).
func EventsOf(subject string, data []byte, seq uint64) ([]Event, error) {
	switch {
	case subject == bus.WatchMatchesSubject:
		var g matches
		if err := json.Unmarshal(data, &g); err != nil {
			return nil, fmt.Errorf("%w: %w", errNotEvents, err)
		}
		if g.Article == nil || len(g.Watches) == 0 {
			return nil, fmt.Errorf("%w: a matches message without article or watches", errNotEvents)
		}
		id := strconv.FormatUint(seq, 10)
		evs := make([]Event, 0, len(g.Watches))
		for _, w := range g.Watches {
			ev := Event{ID: id, Watch: w, Kind: g.Kind, At: g.At, Article: g.Article}
			if g.Edit != nil {
				e := *g.Edit
				ev.Edit = &e
			}
			evs = append(evs, ev)
		}
		return evs, nil
	case strings.HasPrefix(subject, bus.WatchEventsPrefix), strings.HasPrefix(subject, bus.WatchRetriesPrefix):
		var ev Event
		if err := json.Unmarshal(data, &ev); err != nil {
			return nil, fmt.Errorf("%w: %w", errNotEvents, err)
		}
		watch := subject[strings.LastIndexByte(subject, '.')+1:]
		if ev.Watch != watch {
			return nil, fmt.Errorf("%w: event of watch %q on %s", errNotEvents, ev.Watch, subject)
		}
		if strings.HasPrefix(subject, bus.WatchEventsPrefix) {
			ev.ID = strconv.FormatUint(seq, 10)
		}
		return []Event{ev}, nil
	}
	return nil, fmt.Errorf("%w: subject %s", errNotEvents, subject)
}

// holds reports whether a message of WATCH_EVENTS with the subject and
// header holds an event of the watch with the ID.
func holds(subject string, header nats.Header, id string) bool {
	if subject == bus.WatchMatchesSubject {
		return slices.Contains(strings.Split(header.Get(headerWatches), ","), id)
	}
	return subject == bus.WatchEventsPrefix+id
}

// eventOf returns the event of the watch with the ID in a message of
// WATCH_EVENTS; false when the message holds none for it.
func eventOf(subject string, data []byte, seq uint64, id string) (Event, bool) {
	evs, err := EventsOf(subject, data, seq)
	if err != nil {
		return Event{}, false
	}
	for _, ev := range evs {
		if ev.Watch == id {
			return ev, true
		}
	}
	return Event{}, false
}
