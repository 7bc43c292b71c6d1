package bus_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/bus"
	"github.com/newswatch/newswatch/bus/bustest"
)

// FuzzDecode: Decode never panics, fails only with ErrDecode or
// article.ErrInvalid, and whatever it accepts is valid and survives an
// Encode/Decode round trip unchanged.
func FuzzDecode(f *testing.F) {
	a, err := bustest.NewArticle("caliber", 1, 300)
	if err != nil {
		f.Fatal(err)
	}
	good, _ := bus.Encode(a)
	f.Add(good)
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"schema":"article.v1","id":"x"}`))
	f.Add(bytes.Replace(good, []byte(`"version":1`), []byte(`"version":-1`), 1))
	f.Add(bytes.Replace(good, []byte(`"outlet":"caliber"`), []byte(`"outlet":"a.b"`), 1))
	f.Add(append(append([]byte{}, good...), []byte(` {"x":1}`)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := bus.Decode(data)
		if err != nil {
			if !errors.Is(err, bus.ErrDecode) && !errors.Is(err, article.ErrInvalid) {
				t.Fatalf("error wraps neither ErrDecode nor ErrInvalid: %v", err)
			}
			return
		}
		if err := got.Validate(); err != nil {
			t.Fatalf("accepted an invalid article: %v", err)
		}
		enc, err := bus.Encode(got)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		again, err := bus.Decode(enc)
		if err != nil {
			t.Fatalf("decode re-encoded: %v", err)
		}
		enc2, _ := bus.Encode(again)
		if !bytes.Equal(enc, enc2) {
			t.Fatalf("round trip not stable:\n%s\n%s", enc, enc2)
		}
	})
}
