// Package story groups the articles that tell one story across outlets -
// agency text reprinted by others, light rewrites of it - by near-duplicate
// detection: a MinHash signature of each article's word shingles, an LSH
// index over the signatures of the articles seen within a time window, and
// one story ID per group, which every article of the group (and every
// later version of it) carries as article.Article.StoryID.
//
// Articles are compared within one language only, and only with articles
// published within Config.Window of them; unrelated articles on the same
// topic share words, even phrases, but few runs of Shingle words, so they
// stay apart. The Assigner keeps its index in memory and shares it through
// a NATS KV bucket (bus.BucketStories), so that every crawler process
// groups alike and a restarted one remembers.
package story

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash/fnv"
	"time"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/store/words"
)

// Signature sizes.
const (
	// Shingle is how many consecutive words make one shingle.
	Shingle = 5
	// Hashes is the number of MinHash values of a signature.
	Hashes = 128
	// Bands and Rows cut a signature for the LSH index: two articles are
	// compared when all Rows values of one of Bands bands are equal.
	// With 64 bands of 2, articles whose shingles overlap by a Jaccard
	// similarity of 0.17 are compared with a probability of 0.85, of 0.25
	// with 0.98.
	Bands = 64
	Rows  = Hashes / Bands
)

// Signature is the MinHash signature of an article's text.
type Signature [Hashes]uint32

// seeds are the Hashes hash functions, fixed so that every process and
// every version of newswatch signs alike.
var seeds = func() [Hashes]uint64 {
	var s [Hashes]uint64
	x := uint64(0x6e657773776174) // "newswat"
	for i := range s {
		x += 0x9e3779b97f4a7c15
		s[i] = mix64(x)
	}
	return s
}()

// mix64 is the SplitMix64 finaliser.
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Text is what an article is compared by: its title, lead and body.
func Text(a *article.Article) string { return a.Title + "\n\n" + a.Lead + "\n\n" + a.Body }

// Sign returns the signature of text and its number of distinct shingles
// (a text of fewer than MinShingles is too short to compare). Words are
// split, case folded and stripped of diacritics as the store does
// (store/words), so that "Qarabağ" and "Qarabag" are one word.
func Sign(text string) (Signature, int) {
	var sig Signature
	for i := range sig {
		sig[i] = ^uint32(0)
	}
	ws := words.Split(text)
	terms := make([]uint64, 0, len(ws))
	for _, w := range ws {
		h := fnv.New64a()
		h.Write([]byte(words.Unaccent(w.Term)))
		terms = append(terms, h.Sum64())
	}
	seen := make(map[uint64]struct{}, len(terms))
	for i := 0; i+Shingle <= len(terms); i++ {
		var x uint64
		for _, t := range terms[i : i+Shingle] {
			x = mix64(x*31 + t)
		}
		if _, ok := seen[x]; ok {
			continue
		}
		seen[x] = struct{}{}
		for j, s := range seeds {
			if v := uint32(mix64(x ^ s)); v < sig[j] {
				sig[j] = v
			}
		}
	}
	return sig, len(seen)
}

// Similarity estimates the Jaccard similarity of the shingle sets of two
// signed texts: the share of equal signature values.
func Similarity(a, b *Signature) float64 {
	n := 0
	for i := range a {
		if a[i] == b[i] {
			n++
		}
	}
	return float64(n) / Hashes
}

// bandKeys are the LSH keys of a signature in one language: one per band.
func bandKeys(lang string, sig *Signature) [Bands]uint64 {
	var out [Bands]uint64
	h := fnv.New64a()
	h.Write([]byte(lang))
	base := h.Sum64()
	for b := 0; b < Bands; b++ {
		x := mix64(base ^ uint64(b+1)<<56)
		for _, v := range sig[b*Rows : (b+1)*Rows] {
			x = mix64(x ^ uint64(v))
		}
		out[b] = x
	}
	return out
}

// ID is the story ID of a story begun by the article with ID founder: a
// hash of it, in the form of an article ID (article.ValidID), so that
// assigning the same first article again gives the same story.
func ID(founder string) string {
	sum := sha256.Sum256([]byte("story:" + founder))
	return hex.EncodeToString(sum[:article.IDLen/2])
}

// date is the time an article is placed at in the window: its
// publication, else its fetch.
func date(a *article.Article) time.Time {
	if a.PublishedAt != nil {
		return *a.PublishedAt
	}
	return a.FetchedAt
}

// encode and decode write a signature as bytes, for the KV bucket.
func (s *Signature) encode() []byte {
	b := make([]byte, 4*Hashes)
	for i, v := range s {
		binary.LittleEndian.PutUint32(b[4*i:], v)
	}
	return b
}

func decode(b []byte) (Signature, bool) {
	var s Signature
	if len(b) != 4*Hashes {
		return s, false
	}
	for i := range s {
		s[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
	return s, true
}
