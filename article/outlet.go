package article

import (
	"errors"
	"fmt"
)

// MaxOutletLen is the longest accepted outlet ID.
const MaxOutletLen = 64

// ReservedOutlets are words that cannot be outlet IDs: "dead" would make
// an outlet's subject "articles.dead" collide with the dead-letter subjects.
var ReservedOutlets = []string{"dead"}

// ErrBadOutlet is wrapped by every error about a malformed outlet ID.
var ErrBadOutlet = errors.New("bad outlet id")

// ValidateOutlet reports whether id can be used as an outlet ID: one NATS
// subject token of 1..MaxOutletLen characters from [a-z0-9_-], and none of
// ReservedOutlets. The outlet config, the bus and Validate all use it.
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
	for _, r := range ReservedOutlets {
		if id == r {
			return fmt.Errorf("%w: %q is reserved", ErrBadOutlet, id)
		}
	}
	return nil
}
