package elastic

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"
)

// Refresh policies for Config.Refresh (the Bulk API's refresh parameter).
const (
	// RefreshNone: a Put returns once the cluster has the articles; they
	// become searchable at the next refresh (index.refresh_interval, 1 s by
	// default). Get sees them at once.
	RefreshNone = ""
	// RefreshWaitFor: a Put returns once the articles are searchable.
	RefreshWaitFor = "wait_for"
	// RefreshNow: a Put refreshes the shards it wrote to (tests; costly).
	RefreshNow = "true"
)

// Config says how to reach the cluster and how to lay out the indices.
// The zero value of each optional field means its documented default.
type Config struct {
	// Addresses of the cluster's nodes (http:// or https:// URLs); required.
	Addresses []string
	// APIKey is an Elasticsearch API key (the base64 "id:key" form); it
	// takes precedence over Username/Password.
	APIKey string
	// Username and Password for HTTP basic authentication.
	Username, Password string
	// CACertFile is a PEM file of the certificate authorities to trust for
	// https addresses (default: the system's).
	CACertFile string
	// Insecure skips TLS certificate verification (test clusters only).
	Insecure bool

	// Prefix names everything this store creates: the index template
	// <Prefix>-articles, the indices <Prefix>-articles-<date>-<n>, the read
	// alias <Prefix>-articles and the write alias <Prefix>-articles-write.
	// Default "newswatch". Lower case letters, digits, '-' and '_'.
	Prefix string
	// Shards per index (default 1) and Replicas per shard (default 1; use 0
	// on a single-node cluster).
	Shards, Replicas int
	// RolloverAge starts a new write index when the current one is older
	// (default 30 days; time-based indices). RolloverDocs also does when it
	// holds that many articles (default 0: no limit).
	RolloverAge  time.Duration
	RolloverDocs int64
	// Retention, when set, deletes (delete-by-query, every
	// MaintainInterval) the articles whose date (published_at, else
	// fetched_at) is older than that. Default 0: keep every article.
	Retention time.Duration
	// MaintainInterval is how often the rollover conditions and Retention
	// are applied (default 1 hour).
	MaintainInterval time.Duration
	// Refresh is the refresh policy of writes: RefreshNone (default),
	// RefreshWaitFor or RefreshNow.
	Refresh string

	// MaxRetries of one request on 429/502/503/504 or a connection error,
	// with exponential back-off from RetryBackoff (default 3 and 200 ms,
	// at most 10 s between tries).
	MaxRetries   int
	RetryBackoff time.Duration
	// RequestTimeout bounds one HTTP request (default 60 s).
	RequestTimeout time.Duration
	// BulkWorkers is the number of concurrent bulk requests of one Put
	// (default 2) and BulkFlushBytes the size of one bulk request (default
	// 5 MiB).
	BulkWorkers    int
	BulkFlushBytes int
}

// Default values of Config.
const (
	DefaultPrefix         = "newswatch"
	DefaultRolloverAge    = 30 * 24 * time.Hour
	DefaultMaxRetries     = 3
	DefaultRetryBackoff   = 200 * time.Millisecond
	DefaultRequestTimeout = 60 * time.Second
	DefaultBulkWorkers    = 2
	DefaultBulkFlushBytes = 5 << 20
	maxBackoff            = 10 * time.Second
)

var prefixRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,100}$`)

// ErrConfig is wrapped by every error Validate returns.
var ErrConfig = errors.New("elastic: bad config")

// withDefaults returns c with the defaults filled in.
func (c Config) withDefaults() Config {
	if c.Prefix == "" {
		c.Prefix = DefaultPrefix
	}
	if c.Shards == 0 {
		c.Shards = 1
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	} else if c.Replicas < 0 {
		c.Replicas = 0
	}
	if c.RolloverAge == 0 {
		c.RolloverAge = DefaultRolloverAge
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = DefaultMaxRetries
	}
	if c.MaintainInterval == 0 {
		c.MaintainInterval = time.Hour
	}
	if c.RetryBackoff == 0 {
		c.RetryBackoff = DefaultRetryBackoff
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.BulkWorkers == 0 {
		c.BulkWorkers = DefaultBulkWorkers
	}
	if c.BulkFlushBytes == 0 {
		c.BulkFlushBytes = DefaultBulkFlushBytes
	}
	return c
}

// Validate reports the first problem of c. Replicas -1 means 0 (the zero
// value means the default, 1).
func (c Config) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, args...))
	}
	if len(c.Addresses) == 0 {
		return bad("no cluster address (--es URL)")
	}
	for _, a := range c.Addresses {
		u, err := url.Parse(a)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return bad("address %q: want an http:// or https:// URL", a)
		}
	}
	if c.Prefix != "" && !prefixRE.MatchString(c.Prefix) {
		return bad("prefix %q: want lower-case letters, digits, '-' and '_'", c.Prefix)
	}
	if c.Password != "" && c.Username == "" {
		return bad("a password without a user name")
	}
	if c.CACertFile != "" {
		if _, err := os.Stat(c.CACertFile); err != nil {
			return bad("ca cert: %v", err)
		}
	}
	switch c.Refresh {
	case RefreshNone, RefreshWaitFor, RefreshNow:
	default:
		return bad("refresh %q: want %q, %q or %q", c.Refresh, RefreshNone, RefreshWaitFor, RefreshNow)
	}
	switch {
	case c.Shards < 0:
		return bad("shards %d < 0", c.Shards)
	case c.Retention < 0, c.MaintainInterval < 0:
		return bad("negative retention or maintenance interval")
	case c.RolloverAge < 0, c.RolloverDocs < 0:
		return bad("negative rollover condition")
	case c.MaxRetries < 0, c.RetryBackoff < 0, c.RequestTimeout < 0, c.BulkWorkers < 0, c.BulkFlushBytes < 0:
		return bad("negative retry, timeout or bulk setting")
	}
	return nil
}

// ParseAddresses splits a comma-separated list of node URLs (--es).
func ParseAddresses(s string) []string {
	var out []string
	for _, a := range strings.Split(s, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, strings.TrimRight(a, "/"))
		}
	}
	return out
}
