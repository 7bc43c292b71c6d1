package bus

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/newswatch/newswatch/article"
)

// ErrDecode is wrapped by Decode errors for bodies that are not an Article
// JSON object. Bodies that decode but fail article.Validate wrap
// article.ErrInvalid instead.
var ErrDecode = errors.New("undecodable message")

// Encode returns the message body for a: its JSON Article v1 form. It
// validates a first, so nothing invalid reaches the bus.
func Encode(a *article.Article) ([]byte, error) {
	if a == nil {
		return nil, fmt.Errorf("%w: nil article", article.ErrInvalid)
	}
	if err := a.Validate(); err != nil {
		return nil, err
	}
	if err := ValidateOutlet(a.Outlet); err != nil {
		return nil, fmt.Errorf("%w: %w", article.ErrInvalid, err)
	}
	return json.Marshal(a)
}

// Decode parses a message body as a JSON Article v1 and validates it.
// Unknown fields are ignored (newer producers may add fields); trailing data
// after the object is an error.
func Decode(data []byte) (*article.Article, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var a article.Article
	if err := dec.Decode(&a); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDecode, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trailing data after the article object", ErrDecode)
	}
	if err := a.Validate(); err != nil {
		return nil, err
	}
	if err := ValidateOutlet(a.Outlet); err != nil {
		return nil, fmt.Errorf("%w: %w", article.ErrInvalid, err)
	}
	return &a, nil
}
