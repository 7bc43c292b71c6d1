package crawler

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	// The outlet time zones must resolve on machines without a system tz
	// database (minimal containers): embed Go's copy.
	_ "time/tzdata"

	"gopkg.in/yaml.v3"

	"github.com/newswatch/newswatch/crawler/extract"
	"github.com/newswatch/newswatch/internal/backoff"
)

// Location returns the deployment's time zone (Timezone; UTC when unset).
func (c *Config) Location() (*time.Location, error) {
	if c.Timezone == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		return nil, fmt.Errorf("%w: timezone %q is not an IANA time zone (e.g. Asia/Baku)", ErrInvalidConfig, c.Timezone)
	}
	return loc, nil
}

// Built-in defaults. In a YAML file, a key left out inherits the file's
// `defaults:` section and then these values; an explicit zero (for example
// `delay: 0s`) is kept. A Config built in Go should start its fetch settings
// from DefaultFetch(); there a zero Parallelism, Timeout, MaxBodySize or
// UserAgent is replaced by the default, every other zero is kept.
const (
	DefaultUserAgent       = "newswatch/0.1 (+https://github.com/newswatch/newswatch)"
	DefaultDelay           = 500 * time.Millisecond
	DefaultRandomDelay     = 500 * time.Millisecond
	DefaultParallelism     = 2
	DefaultTimeout         = 20 * time.Second
	DefaultMaxBodySize     = 10 << 20 // 10 MiB
	DefaultMaxRetries      = 3
	DefaultBackoff         = 500 * time.Millisecond
	DefaultMaxRetryWait    = 30 * time.Second
	DefaultMaxListingPages = 25
	DefaultMaxSitemaps     = 200
	DefaultInterval        = 5 * time.Minute
	DefaultMinInterval     = 10 * time.Second
)

// DefaultRecheck are the ages (since first seen) at which a new article is
// fetched again to catch edits.
var DefaultRecheck = []time.Duration{10 * time.Minute, time.Hour, 6 * time.Hour, 24 * time.Hour}

// ErrInvalidConfig is wrapped by every error LoadConfig, ParseConfig and
// Validate return for a config that cannot be used.
var ErrInvalidConfig = errors.New("invalid crawler config")

// Config is the crawler configuration: the outlets to watch.
//
//	defaults:            # fetch settings every outlet inherits (optional)
//	  user_agent: "newswatch/0.1 (+https://...)"
//	  rate: {delay: 500ms, random_delay: 500ms, parallelism: 2}
//	outlets:
//	  - id: caliber
//	    base_url: https://caliber.az/
//	    timezone: Asia/Baku
//	    feeds: [https://caliber.az/rss]
type Config struct {
	// Timezone is the deployment's IANA time zone: the API cuts days in it
	// (date-only from/to filters, stats days) when a request gives no tz.
	// Default UTC. The shipped catalog sets Asia/Baku.
	Timezone string `yaml:"timezone"`
	// Defaults are the fetch settings of every outlet that does not set
	// them itself.
	Defaults Fetch `yaml:"defaults"`
	// Outlets are the outlets to crawl; at least one.
	Outlets []OutletConfig `yaml:"outlets"`

	file string     // file the config was loaded from, for problem positions
	root *yaml.Node // document node, for problem positions
}

// OutletConfig describes one outlet.
type OutletConfig struct {
	// ID names the outlet in articles and NATS subjects (article.ValidateOutlet).
	ID string `yaml:"id"`
	// Name is the human-readable name (default: ID).
	Name string `yaml:"name"`
	// BaseURL is the outlet's home page, an absolute http(s) URL (required).
	BaseURL string `yaml:"base_url"`
	// Languages are the ISO 639-1 codes the outlet publishes in (optional,
	// informational; the extractor detects each article's language).
	Languages []string `yaml:"languages"`
	// Timezone is the IANA zone of dates printed without offset (default UTC).
	Timezone string `yaml:"timezone"`
	// Hosts are the host names (host or host:port) the crawler may fetch
	// from. Default: the host of BaseURL and its "www."-less or "www."
	// twin. Feeds, sitemaps and listings must be on these hosts.
	Hosts []string `yaml:"hosts"`
	// Feeds are RSS/Atom/JSON feed URLs.
	Feeds []string `yaml:"feeds"`
	// Sitemaps are sitemap or sitemap-index URLs (plain or gzipped, Google
	// News sitemaps included).
	Sitemaps []string `yaml:"sitemaps"`
	// RobotsSitemaps, when true (the default in YAML), also crawls the
	// sitemaps that robots.txt lists.
	RobotsSitemaps bool `yaml:"robots_sitemaps"`
	// Listings are start URLs of listing pages (home, sections); their
	// pagination is followed up to Limits.MaxListingPages pages each.
	Listings []string `yaml:"listings"`
	// ArticlePattern is a regular expression an article URL matches; when
	// empty a heuristic decides (numeric id or date in the path, or a long
	// slug; never tag/category/author/search/page paths). Pages it matches
	// count towards the extraction quality outlet health watches
	// (layout-changed) even when no feed or sitemap names them.
	ArticlePattern string `yaml:"article_pattern"`
	// ExcludePattern is a regular expression of URLs never fetched.
	ExcludePattern string `yaml:"exclude_pattern"`
	// NextSelector is a CSS selector of the "next page" link on listing
	// pages; when empty rel="next", pagination blocks and ?page=N /
	// /page/N links of the same listing are followed.
	NextSelector string `yaml:"next_selector"`
	// Interval is the longest pause between two polls of a source in Run
	// when Poll.MaxInterval is not set (default: Run's interval).
	Interval time.Duration `yaml:"interval"`
	// Archive is the outlet's daily archive as a URL template, {yyyy},
	// {mm} and {dd} standing for the day in the outlet's time zone (for
	// example https://outlet.az/archive/{yyyy}/{mm}/{dd}). Backfills walk
	// it day by day back to their date.
	Archive string `yaml:"archive"`
	// Disabled outlets are validated but not crawled.
	Disabled bool `yaml:"disabled"`
	// Extract are per-outlet selector overrides for the extractor.
	Extract *extract.Overrides `yaml:"extract"`
	// Fetch settings; inherit Config.Defaults when left out.
	Fetch `yaml:",inline"`
}

// Fetch are the politeness and fetch settings of an outlet.
type Fetch struct {
	// UserAgent is sent with every request and matched against robots.txt
	// groups (default DefaultUserAgent).
	UserAgent string `yaml:"user_agent"`
	// Rate limits requests per host.
	Rate Rate `yaml:"rate"`
	// Timeout bounds one request, body included (default 20s).
	Timeout time.Duration `yaml:"timeout"`
	// MaxBodySize caps a response body, after decompression (default 10MiB).
	// Larger responses are dropped as errors. Accepts 1048576, "512KiB", "10MB".
	MaxBodySize ByteSize `yaml:"max_body_size"`
	// Retry governs retries of failed fetches.
	Retry Retry `yaml:"retry"`
	// Limits bound one pass.
	Limits Limits `yaml:"limits"`
	// Poll governs how often Run polls sources and rechecks articles.
	Poll Poll `yaml:"poll"`
}

// Poll governs the monitor (Run): each source (feed, sitemap, listing) is
// polled on its own adaptive schedule, its interval halved when it shows
// new articles and grown by a quarter when it shows nothing new, always
// between MinInterval and MaxInterval, with 10% jitter, and never longer
// than half the outlet's median publishing interval. Articles found new
// are fetched again at the Recheck ages to catch edits.
type Poll struct {
	// MinInterval is the shortest pause between two polls of a source
	// (default 10s).
	MinInterval time.Duration `yaml:"min_interval"`
	// MaxInterval is the longest (default: the outlet's interval, else
	// Run's).
	MaxInterval time.Duration `yaml:"max_interval"`
	// Recheck are the ages, since first seen, at which an article is
	// fetched again (conditionally) for edits (default 10m, 1h, 6h, 24h;
	// an empty list turns rechecks off). Only articles published within
	// the last of them when first seen are rechecked.
	Recheck []time.Duration `yaml:"recheck"`
	// RobotsTTL is how long robots.txt is trusted before it is fetched
	// again (default 1h).
	RobotsTTL time.Duration `yaml:"robots_ttl"`
}

// Rate limits requests to each host of an outlet.
type Rate struct {
	// Delay is the pause after each request in a parallel slot (default 500ms).
	Delay time.Duration `yaml:"delay"`
	// RandomDelay adds up to this much to Delay (default 500ms).
	RandomDelay time.Duration `yaml:"random_delay"`
	// Parallelism is the number of requests in flight per host (default 2).
	Parallelism int `yaml:"parallelism"`
}

// Retry governs retries of network errors, 429 and 5xx responses.
type Retry struct {
	// MaxRetries is the number of retries after the first attempt (default 3).
	MaxRetries int `yaml:"max_retries"`
	// Backoff is the first back-off; it doubles each retry, with jitter
	// (default 500ms). A Retry-After header takes precedence.
	Backoff time.Duration `yaml:"backoff"`
	// MaxWait is the longest Retry-After honoured within a pass (default
	// 30s); a host asking for longer is left alone until then and its
	// remaining URLs are skipped this pass.
	MaxWait time.Duration `yaml:"max_wait"`
}

// delay is the back-off before retry number attempt (0-based): Backoff
// doubled per attempt, plus up to 50% jitter.
func (r Retry) delay(attempt int) time.Duration {
	return backoff.Policy{Initial: r.Backoff, Max: r.Backoff << 10, Jitter: 0.5}.Delay(attempt)
}

// Limits bound one pass over an outlet. Zero means no limit.
type Limits struct {
	// MaxArticles is the number of article pages fetched per pass (default 0).
	MaxArticles int `yaml:"max_articles"`
	// MaxListingPages is the number of pages followed from each listing
	// start URL (default 25).
	MaxListingPages int `yaml:"max_listing_pages"`
	// MaxSitemaps is the number of sitemap documents fetched per pass,
	// index and children together (default 200).
	MaxSitemaps int `yaml:"max_sitemaps"`
	// MaxAge skips feed and sitemap entries (and child sitemaps) dated
	// older than this (default 0: no limit). Backfill passes use Since.
	MaxAge time.Duration `yaml:"max_age"`
}

// DefaultFetch returns the built-in fetch settings.
func DefaultFetch() Fetch {
	return Fetch{
		UserAgent:   DefaultUserAgent,
		Rate:        Rate{Delay: DefaultDelay, RandomDelay: DefaultRandomDelay, Parallelism: DefaultParallelism},
		Timeout:     DefaultTimeout,
		MaxBodySize: DefaultMaxBodySize,
		Retry:       Retry{MaxRetries: DefaultMaxRetries, Backoff: DefaultBackoff, MaxWait: DefaultMaxRetryWait},
		Limits:      Limits{MaxListingPages: DefaultMaxListingPages, MaxSitemaps: DefaultMaxSitemaps},
		Poll:        Poll{MinInterval: DefaultMinInterval, Recheck: append([]time.Duration(nil), DefaultRecheck...), RobotsTTL: DefaultRobotsTTL},
	}
}

// ByteSize is a size in bytes; in YAML an integer or a string with a unit
// (B, KB, KiB, MB, MiB, GB, GiB).
type ByteSize int64

// UnmarshalYAML implements yaml.Unmarshaler.
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseByteSize(n.Value)
	if err != nil {
		// A TypeError keeps the position and lets decoding go on.
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %v", n.Line, err)}}
	}
	*b = v
	return nil
}

// ParseByteSize parses "1048576", "512KiB", "10MB", "1 GiB".
func ParseByteSize(s string) (ByteSize, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9') {
		i++
	}
	if i == 0 {
		return 0, fmt.Errorf("size %q: want a number with an optional unit (KiB, MB, ...)", s)
	}
	n, err := strconv.ParseInt(t[:i], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("size %q: %w", s, err)
	}
	mult := map[string]int64{"": 1, "b": 1, "kb": 1e3, "kib": 1 << 10, "k": 1 << 10,
		"mb": 1e6, "mib": 1 << 20, "m": 1 << 20, "gb": 1e9, "gib": 1 << 30, "g": 1 << 30}
	m, ok := mult[strings.ToLower(strings.TrimSpace(t[i:]))]
	if !ok {
		return 0, fmt.Errorf("size %q: unknown unit %q", s, strings.TrimSpace(t[i:]))
	}
	if n > (1<<62)/m {
		return 0, fmt.Errorf("size %q: too large", s)
	}
	return ByteSize(n * m), nil
}

// Problem is one thing wrong with a config, with its position in the file
// when the config was loaded from one.
type Problem struct {
	File    string // file name; empty for configs built in Go
	Line    int    // 1-based; 0 when unknown
	Column  int    // 1-based; 0 when unknown
	Path    string // e.g. outlets[2].feeds[0]
	Message string
}

func (p Problem) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		b.WriteByte(':')
	}
	if p.Line > 0 {
		fmt.Fprintf(&b, "%d:", p.Line)
		if p.Column > 0 {
			fmt.Fprintf(&b, "%d:", p.Column)
		}
	}
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// ValidationError lists every problem of a config. It wraps ErrInvalidConfig.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	if len(lines) == 1 {
		return "invalid crawler config: " + lines[0]
	}
	return fmt.Sprintf("invalid crawler config: %d problems:\n  %s", len(lines), strings.Join(lines, "\n  "))
}

// Unwrap makes errors.Is(err, ErrInvalidConfig) true.
func (e *ValidationError) Unwrap() error { return ErrInvalidConfig }

// LoadConfig reads, parses and validates a YAML config file. Every problem
// is reported at once, each with file and line.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read crawler config: %w", err)
	}
	return ParseConfig(data, path)
}

// ParseConfig parses and validates a YAML config; file names the source in
// problem reports.
func ParseConfig(data []byte, file string) (*Config, error) {
	var doc yaml.Node
	if err := decodeDocument(data, &doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &ValidationError{Problems: []Problem{{File: file, Message: "empty file: want a mapping with an outlets list"}}}
		}
		return nil, &ValidationError{Problems: []Problem{yamlProblem(file, err)}}
	}
	cfg := &Config{file: file, root: &doc}
	var problems []Problem
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return nil, &ValidationError{Problems: []Problem{{File: file, Line: root.Line, Column: root.Column,
			Message: "want a mapping with an outlets list"}}}
	}
	known := map[string]bool{"timezone": true, "defaults": true, "outlets": true}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k := root.Content[i]
		if !known[k.Value] {
			problems = append(problems, Problem{File: file, Line: k.Line, Column: k.Column,
				Message: fmt.Sprintf("unknown field %q (want timezone, defaults or outlets)", k.Value)})
		}
	}
	if n := mapValue(root, "timezone"); n != nil {
		problems = append(problems, decodeStrict(file, n, &cfg.Timezone)...)
	}
	cfg.Defaults = DefaultFetch()
	if n := mapValue(root, "defaults"); n != nil {
		problems = append(problems, decodeStrict(file, n, &cfg.Defaults)...)
	}
	if n := mapValue(root, "outlets"); n != nil {
		if n.Kind != yaml.SequenceNode {
			problems = append(problems, Problem{File: file, Line: n.Line, Column: n.Column, Path: "outlets",
				Message: "want a list of outlets"})
		} else {
			for _, on := range n.Content {
				o := OutletConfig{Fetch: cfg.Defaults, RobotsSitemaps: true}
				problems = append(problems, decodeStrict(file, on, &o)...)
				cfg.Outlets = append(cfg.Outlets, o)
			}
		}
	}
	problems = append(problems, cfg.problems()...)
	sort.SliceStable(problems, func(i, j int) bool {
		if problems[i].Line != problems[j].Line {
			return problems[i].Line < problems[j].Line
		}
		return problems[i].Column < problems[j].Column
	})
	if len(problems) > 0 {
		return nil, &ValidationError{Problems: problems}
	}
	return cfg, nil
}

// decodeStrict decodes n into v (keeping v's values for keys n leaves
// out), reporting unknown fields and type errors as problems.
func decodeStrict(file string, n *yaml.Node, v any) []Problem {
	// yaml.v3 checks unknown fields only in Decoder.KnownFields, which
	// would lose the node positions: check them against the yaml tags.
	problems := unknownKeys(file, n, reflect.TypeOf(v))
	if err := safeDecode(n, v); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			for _, msg := range te.Errors {
				problems = append(problems, yamlMessageProblem(file, msg))
			}
		} else {
			problems = append(problems, Problem{File: file, Line: n.Line, Column: n.Column, Message: err.Error()})
		}
	}
	return problems
}

// decodeDocument parses data into a node tree, turning a panic inside
// yaml.v3 into an error.
func decodeDocument(data []byte, doc *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cannot parse yaml: %v", r)
		}
	}()
	return yaml.NewDecoder(bytes.NewReader(data)).Decode(doc)
}

// safeDecode is n.Decode(v), turning a panic inside yaml.v3 (it panics on
// some malformed merge keys) into an error.
func safeDecode(n *yaml.Node, v any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cannot decode this value: %v", r)
		}
	}()
	return n.Decode(v)
}

var yamlLineRe = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

func yamlMessageProblem(file, msg string) Problem {
	if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return Problem{File: file, Line: line, Message: m[2]}
	}
	return Problem{File: file, Message: msg}
}

func yamlProblem(file string, err error) Problem {
	return yamlMessageProblem(file, err.Error())
}

// mapValue returns the value node of key in mapping n, or nil.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}
