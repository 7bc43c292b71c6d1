package bleve

import (
	"encoding/json"
	"fmt"

	"github.com/klauspost/compress/zstd"

	"github.com/newswatch/newswatch/article"
)

// sourceCodec writes the stored article JSON compressed with zstd (43% of
// the JSON on news articles, where the index's own per-document snappy
// gives 58%) and reads it back; JSON stored uncompressed (mapping versions
// 1-2) reads too. Safe for concurrent use.
type sourceCodec struct {
	enc *zstd.Encoder
	dec *zstd.Decoder
}

func newSourceCodec() (*sourceCodec, error) {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1))
	if err != nil {
		return nil, fmt.Errorf("bleve: zstd: %w", err)
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(0))
	if err != nil {
		return nil, fmt.Errorf("bleve: zstd: %w", err)
	}
	return &sourceCodec{enc: enc, dec: dec}, nil
}

func (c *sourceCodec) close() {
	c.enc.Close()
	c.dec.Close()
}

// encode returns the stored form of a.
func (c *sourceCodec) encode(a *article.Article) (string, error) {
	b, err := json.Marshal(a)
	if err != nil {
		return "", err
	}
	return string(c.enc.EncodeAll(b, make([]byte, 0, len(b)/2))), nil
}

// plainJSON returns the article JSON of a stored article (b itself when it was
// stored uncompressed).
func (c *sourceCodec) plainJSON(b []byte) ([]byte, error) {
	if len(b) > 0 && b[0] != '{' {
		var err error
		if b, err = c.dec.DecodeAll(b, nil); err != nil {
			return nil, fmt.Errorf("decompress article: %w", err)
		}
	}
	return b, nil
}

// decode reads a stored article.
func (c *sourceCodec) decode(s string) (*article.Article, error) {
	b, err := c.plainJSON([]byte(s))
	if err != nil {
		return nil, err
	}
	a := new(article.Article)
	if err := json.Unmarshal(b, a); err != nil {
		return nil, fmt.Errorf("decode article: %w", err)
	}
	return a, nil
}
