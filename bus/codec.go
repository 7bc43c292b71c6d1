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

// Encode returns the message body for a: its JSON Article v1 form. It does
// not validate a: producers validate where articles enter newswatch (the
// crawler, on extractor output) and consumers on Decode, the bus's trust
// boundary.
func Encode(a *article.Article) ([]byte, error) {
	if a == nil {
		return nil, fmt.Errorf("%w: nil article", article.ErrInvalid)
	}
	return json.Marshal(a)
}

// Decode parses a message body as a JSON Article v1 and validates it
// (article.Validate): every message from NATS crosses a trust boundary.
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
	return &a, nil
}
