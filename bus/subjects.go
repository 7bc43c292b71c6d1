package bus

import (
	"errors"
	"fmt"
	"strings"
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
	// BucketOutletState is the KV bucket with per-outlet state.
	BucketOutletState = "outlet_state"

	// MaxOutletLen is the longest accepted outlet ID.
	MaxOutletLen = 64
)

// ErrBadOutlet is wrapped by every error about a malformed outlet ID.
var ErrBadOutlet = errors.New("bad outlet id")

// ValidateOutlet reports whether id can be used as an outlet ID: one NATS
// subject token of 1..64 characters from [a-z0-9_-], and not the reserved
// word "dead".
func ValidateOutlet(id string) error {
	if id == "" {
		return fmt.Errorf("%w: empty", ErrBadOutlet)
	}
	if len(id) > MaxOutletLen {
		return fmt.Errorf("%w: %q is longer than %d characters", ErrBadOutlet, id, MaxOutletLen)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return fmt.Errorf("%w: %q has %q at byte %d; use only a-z, 0-9, '_' and '-'", ErrBadOutlet, id, c, i)
		}
	}
	if id == "dead" {
		return fmt.Errorf("%w: %q is reserved", ErrBadOutlet, id)
	}
	return nil
}

// ArticleSubject returns "articles.<outlet>".
func ArticleSubject(outlet string) (string, error) {
	if err := ValidateOutlet(outlet); err != nil {
		return "", err
	}
	return SubjectPrefix + outlet, nil
}

// DeadSubject returns "articles.dead.<outlet>".
func DeadSubject(outlet string) (string, error) {
	if err := ValidateOutlet(outlet); err != nil {
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
		return "", fmt.Errorf("%w: subject %q is not an article subject", ErrBadOutlet, subject)
	}
	if err := ValidateOutlet(outlet); err != nil {
		return "", fmt.Errorf("subject %q: %w", subject, err)
	}
	return outlet, nil
}
