package bus

import (
	"fmt"
	"strings"

	"github.com/newswatch/newswatch/article"
)

// Stream, subject and bucket names.
const (
	// StreamArticles holds every published article version.
	StreamArticles = "ARTICLES"
	// StreamDead holds dead letters: messages that could not be indexed.
	StreamDead = "ARTICLES_DEAD"

	// SubjectPrefix starts every article subject: "articles.<outlet>".
	SubjectPrefix = "articles."
	// DeadPrefix starts every dead-letter subject: "articles.dead.<outlet>".
	DeadPrefix = "articles.dead."

	// ArticlesSubjects is the subject filter of StreamArticles.
	ArticlesSubjects = "articles.*"
	// DeadSubjects is the subject filter of StreamDead.
	DeadSubjects = "articles.dead.>"

	// BucketURLState is the KV bucket with per-URL crawl state.
	BucketURLState = "url_state"
	// BucketOutletState is the KV bucket with per-outlet state: the
	// crawler's memory of each source (validators, pending items, poll
	// interval), its edit-recheck schedule and the outlet's health record
	// (OutletKey).
	BucketOutletState = "outlet_state"
	// BucketLeases is the KV bucket of crawl leases: which crawler process
	// polls which outlet. Its entries expire after the bucket's TTL unless
	// renewed, so a dead process's outlets are taken over.
	BucketLeases = "crawl_leases"

	// StreamOutletEvents holds outlet health events (status changes).
	StreamOutletEvents = "OUTLET_EVENTS"
	// OutletEventsPrefix starts every outlet event subject:
	// "outlets.events.<outlet>".
	OutletEventsPrefix = "outlets.events."
	// OutletEventsSubjects is the subject filter of StreamOutletEvents.
	OutletEventsSubjects = "outlets.events.*"

	// BucketStories is the KV bucket of story assignments: article ID ->
	// its story, outlet, language, date and signature (package story).
	BucketStories = "stories"
	// BucketWatches is the KV bucket of watches: watch ID -> the watch
	// (package watch).
	BucketWatches = "watches"
	// BucketWatchPending is the KV bucket of the coverage-gap checks a
	// watcher has scheduled: "<watch ID>.<story ID>" -> when it is due.
	BucketWatchPending = "watch_pending"

	// StreamWatchEvents holds the events of every watch: an article or
	// version that matched watches is one message on "watches.matches"
	// naming all of them (messages in proportion to articles, not to
	// matches); the other events (outlet status, coverage gaps) are one
	// message on "watches.events.<watch ID>"; a webhook delivery that
	// failed is retried from a message on "watches.retries.<watch ID>".
	// Server-sent event streams replay it from Last-Event-ID (the stream
	// sequence); webhooks are delivered from it.
	StreamWatchEvents = "WATCH_EVENTS"
	// WatchEventsPrefix starts the subject of a watch's own events.
	WatchEventsPrefix = "watches.events."
	// WatchEventsSubjects is the subject filter of the watches' own events.
	WatchEventsSubjects = "watches.events.*"
	// WatchMatchesSubject is the subject of the article and edit events of
	// every watch, one message per article version.
	WatchMatchesSubject = "watches.matches"
	// WatchRetriesPrefix starts the subject of a webhook delivery retried
	// for one watch.
	WatchRetriesPrefix = "watches.retries."
	// WatchRetriesSubjects is the subject filter of the retried deliveries.
	WatchRetriesSubjects = "watches.retries.*"
	// StreamWatchDead holds the watch events whose webhook failed every
	// delivery attempt: "watches.dead.<watch ID>".
	StreamWatchDead = "WATCH_DEAD"
	// WatchDeadPrefix starts every webhook dead-letter subject.
	WatchDeadPrefix = "watches.dead."
	// WatchDeadSubjects is the subject filter of StreamWatchDead.
	WatchDeadSubjects = "watches.dead.*"
)

// OutletEventSubject returns "outlets.events.<outlet>".
func OutletEventSubject(outlet string) (string, error) {
	if err := article.ValidateOutlet(outlet); err != nil {
		return "", err
	}
	return OutletEventsPrefix + outlet, nil
}

// ArticleSubject returns "articles.<outlet>".
func ArticleSubject(outlet string) (string, error) {
	if err := article.ValidateOutlet(outlet); err != nil {
		return "", err
	}
	return SubjectPrefix + outlet, nil
}

// DeadSubject returns "articles.dead.<outlet>".
func DeadSubject(outlet string) (string, error) {
	if err := article.ValidateOutlet(outlet); err != nil {
		return "", err
	}
	return DeadPrefix + outlet, nil
}

// OutletOfSubject returns the outlet of an article subject
// ("articles.<outlet>") or a dead-letter subject ("articles.dead.<outlet>").
func OutletOfSubject(subject string) (string, error) {
	var outlet string
	switch {
	case strings.HasPrefix(subject, DeadPrefix):
		outlet = subject[len(DeadPrefix):]
	case strings.HasPrefix(subject, SubjectPrefix):
		outlet = subject[len(SubjectPrefix):]
	default:
		return "", fmt.Errorf("%w: subject %q is not an article subject", article.ErrBadOutlet, subject)
	}
	if err := article.ValidateOutlet(outlet); err != nil {
		return "", fmt.Errorf("subject %q: %w", subject, err)
	}
	return outlet, nil
}
