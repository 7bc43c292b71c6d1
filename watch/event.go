package watch

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/sergi/go-diff/diffmatchpatch"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/crawler/health"
)

// Event is one event of a watch, as the SSE stream and webhooks carry it.
type Event struct {
	// ID is the event's sequence in WATCH_EVENTS: the SSE event ID that
	// Last-Event-ID resumes after, and the Newswatch-Event-Id header.
	ID    string    `json:"id"`
	Watch string    `json:"watch"`
	Kind  string    `json:"kind"`
	At    time.Time `json:"at"` // when the watcher made it
	// Article is the new article (KindArticle), the new version
	// (KindEdit), or the first competitor's article (KindGap).
	Article *article.Article `json:"article,omitempty"`
	Edit    *Edit            `json:"edit,omitempty"`
	Outlet  *health.Event    `json:"outlet,omitempty"`
	Gap     *GapEvent        `json:"gap,omitempty"`
}

// Edit is what changed between two versions of an article.
type Edit struct {
	FromVersion int `json:"from_version"`
	ToVersion   int `json:"to_version"`
	// BeforeUnknown is set when the earlier version could not be read from
	// the store; the Before fields and the diffs are then empty.
	BeforeUnknown bool   `json:"before_unknown,omitempty"`
	TitleBefore   string `json:"title_before,omitempty"`
	TitleAfter    string `json:"title_after,omitempty"`
	LeadBefore    string `json:"lead_before,omitempty"`
	LeadAfter     string `json:"lead_after,omitempty"`
	// TitleDiff, LeadDiff and BodyDiff are word diffs from the earlier
	// version to the later one; a part that did not change has none.
	TitleDiff []DiffOp `json:"title_diff,omitempty"`
	LeadDiff  []DiffOp `json:"lead_diff,omitempty"`
	BodyDiff  []DiffOp `json:"body_diff,omitempty"`
}

// GapEvent is a story competitors covered and the watch's outlet did not.
type GapEvent struct {
	Story   string `json:"story"`
	Outlet  string `json:"outlet"`
	Minutes int    `json:"minutes"`
	// Covered are the competitors' articles in the story, earliest first.
	Covered []Coverage `json:"covered"`
}

// Coverage is one outlet's article in a story.
type Coverage struct {
	Outlet  string    `json:"outlet"`
	Article string    `json:"article"`
	At      time.Time `json:"at"`
}

// Diff operations.
const (
	DiffEqual  = "="
	DiffDelete = "-"
	DiffInsert = "+"
)

// DiffOp is one run of a word diff: text kept (=), removed (-) or added
// (+); the kept and removed runs in order spell the earlier text, the kept
// and added ones the later text.
type DiffOp struct {
	Op   string `json:"op"`
	Text string `json:"text"`
}

// tokens are words and the space between them: a diff never cuts a word.
var tokenRE = regexp.MustCompile(`\s+|[^\s]+`)

// WordDiff is the word diff from a to b (nil when they are equal).
func WordDiff(a, b string) []DiffOp {
	if a == b {
		return nil
	}
	ids := map[string]rune{}
	var table []string
	encode := func(s string) []rune {
		toks := tokenRE.FindAllString(s, -1)
		out := make([]rune, len(toks))
		for i, t := range toks {
			r, ok := ids[t]
			if !ok {
				// From the private use area up: above the surrogates, so
				// every token is one rune go-diff compares.
				r = rune(0xE000 + len(table))
				ids[t] = r
				table = append(table, t)
			}
			out[i] = r
		}
		return out
	}
	ra, rb := encode(a), encode(b)
	dmp := diffmatchpatch.New()
	dmp.DiffTimeout = time.Second
	diffs := dmp.DiffMainRunes(ra, rb, false)
	var out []DiffOp
	for _, d := range diffs {
		var text strings.Builder
		for _, r := range d.Text {
			if i := int(r) - 0xE000; i >= 0 && i < len(table) {
				text.WriteString(table[i])
			}
		}
		op := DiffEqual
		switch d.Type {
		case diffmatchpatch.DiffDelete:
			op = DiffDelete
		case diffmatchpatch.DiffInsert:
			op = DiffInsert
		}
		if n := len(out); n > 0 && out[n-1].Op == op {
			out[n-1].Text += text.String()
			continue
		}
		out = append(out, DiffOp{Op: op, Text: text.String()})
	}
	return out
}

// Webhook request headers.
const (
	// HeaderSignature is "t=<unix seconds>,v1=<hex HMAC-SHA256 of
	// "<t>.<body>" with the watch's secret>" (see Sign and Verify).
	HeaderSignature = "Newswatch-Signature"
	HeaderEventID   = "Newswatch-Event-Id"
	HeaderEventKind = "Newswatch-Event-Kind"
	HeaderWatch     = "Newswatch-Watch"
)

// Sign returns the HeaderSignature value of body sent at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + mac(secret, ts, body)
}

func mac(secret, ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// ErrSignature is wrapped by Verify errors.
var ErrSignature = errors.New("bad webhook signature")

// Verify checks a webhook request as its receiver should: the signature
// header made with secret over the body, and its time within tolerance of
// now (a replayed old request fails).
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sig == "" {
		return fmt.Errorf("%w: header %q: want t=<unix seconds>,v1=<hex>", ErrSignature, header)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: signed %s ago, beyond %s", ErrSignature, d.Round(time.Second), tolerance)
	}
	if !hmac.Equal([]byte(sig), []byte(mac(secret, ts, body))) {
		return fmt.Errorf("%w: it does not match the body", ErrSignature)
	}
	return nil
}
