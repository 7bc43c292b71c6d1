package crawler

import (
	"fmt"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/andybalholm/cascadia"
	"gopkg.in/yaml.v3"

	"github.com/newswatch/newswatch/article"
)

var langRe = regexp.MustCompile(`^[a-z]{2,3}$`)

// Validate reports every problem of the config at once, as a
// *ValidationError (wrapping ErrInvalidConfig) or nil. Problems carry file
// and line when the config came from LoadConfig or ParseConfig.
func (c *Config) Validate() error {
	if p := c.problems(); len(p) > 0 {
		return &ValidationError{Problems: p}
	}
	return nil
}

// Outlet returns the outlet with the given ID.
func (c *Config) Outlet(id string) (OutletConfig, bool) {
	for _, o := range c.Outlets {
		if o.ID == id {
			return o, true
		}
	}
	return OutletConfig{}, false
}

type pathElem = any // string (mapping key) or int (sequence index)

// problemAt builds a problem for the value at path, positioned at the
// deepest node of path present in the file.
func (c *Config) problemAt(msg string, path ...pathElem) Problem {
	p := Problem{File: c.file, Path: formatPath(path), Message: msg}
	if c.root == nil {
		return p
	}
	n := c.root
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	p.Line, p.Column = n.Line, n.Column
	for _, e := range path {
		var next *yaml.Node
		switch e := e.(type) {
		case string:
			next = mapValue(n, e)
		case int:
			if n.Kind == yaml.SequenceNode && e < len(n.Content) {
				next = n.Content[e]
			}
		}
		if next == nil {
			break
		}
		n = next
		p.Line, p.Column = n.Line, n.Column
	}
	return p
}

// hasPath reports whether path is present in the file (always true for
// configs built in Go).
func (c *Config) hasPath(path ...pathElem) bool {
	if c.root == nil {
		return true
	}
	n := c.root
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	for _, e := range path {
		switch e := e.(type) {
		case string:
			n = mapValue(n, e)
		case int:
			if n.Kind != yaml.SequenceNode || e >= len(n.Content) {
				return false
			}
			n = n.Content[e]
		}
		if n == nil {
			return false
		}
	}
	return true
}

func formatPath(path []pathElem) string {
	var b strings.Builder
	for _, e := range path {
		switch e := e.(type) {
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(e)
		case int:
			fmt.Fprintf(&b, "[%d]", e)
		}
	}
	return b.String()
}

func (c *Config) problems() []Problem {
	var ps []Problem
	add := func(msg string, path ...pathElem) { ps = append(ps, c.problemAt(msg, path...)) }
	if c.root != nil {
		ps = append(ps, c.fetchProblems(c.Defaults, true, "defaults")...)
	}
	if c.Timezone != "" {
		if _, err := time.LoadLocation(c.Timezone); err != nil {
			add(fmt.Sprintf("timezone %q is not an IANA time zone (e.g. Asia/Baku)", c.Timezone), "timezone")
		}
	}
	if len(c.Outlets) == 0 {
		add("no outlets configured", "outlets")
	}
	seen := map[string]int{}
	for i := range c.Outlets {
		o := &c.Outlets[i]
		at := func(path ...pathElem) []pathElem { return append([]pathElem{"outlets", i}, path...) }
		switch {
		case o.ID == "":
			add("id is required", at("id")...)
		case article.ValidateOutlet(o.ID) != nil:
			add(fmt.Sprintf("id %q: %v (the id is a NATS subject token)", o.ID, article.ValidateOutlet(o.ID)), at("id")...)
		default:
			if j, dup := seen[o.ID]; dup {
				first := c.problemAt("", "outlets", j, "id")
				where := fmt.Sprintf("outlets[%d]", j)
				if first.Line > 0 {
					where = fmt.Sprintf("line %d", first.Line)
				}
				add(fmt.Sprintf("duplicate id %q (first at %s)", o.ID, where), at("id")...)
			} else {
				seen[o.ID] = i
			}
		}
		base, err := parseHTTPURL(o.BaseURL)
		switch {
		case o.BaseURL == "":
			add("base_url is required", at("base_url")...)
		case err != nil:
			add("base_url: "+err.Error(), at("base_url")...)
		}
		if o.Timezone != "" {
			if _, err := time.LoadLocation(o.Timezone); err != nil {
				add(fmt.Sprintf("timezone %q is not an IANA time zone (e.g. Asia/Baku)", o.Timezone), at("timezone")...)
			}
		}
		for j, l := range o.Languages {
			if !langRe.MatchString(l) {
				add(fmt.Sprintf("language %q: want a lowercase ISO 639 code (az, ru, en)", l), at("languages", j)...)
			}
		}
		for j, h := range o.Hosts {
			if err := checkHost(h); err != nil {
				add(err.Error(), at("hosts", j)...)
			}
		}
		var hosts hostSet
		if base != nil {
			hosts = o.hostSet()
		}
		if len(o.Feeds)+len(o.Sitemaps)+len(o.Listings) == 0 {
			add("no discovery source: set feeds, sitemaps or listings", at()...)
		}
		for _, src := range []struct {
			key  string
			urls []string
		}{{"feeds", o.Feeds}, {"sitemaps", o.Sitemaps}, {"listings", o.Listings}} {
			for j, s := range src.urls {
				u, err := parseHTTPURL(s)
				if err != nil {
					add(err.Error(), at(src.key, j)...)
					continue
				}
				if hosts != nil && !hosts.allows(u) {
					add(fmt.Sprintf("%s is not on the outlet's hosts %v (set hosts)", u.Host, o.hostList()), at(src.key, j)...)
				}
			}
		}
		for _, re := range []struct{ key, expr string }{{"article_pattern", o.ArticlePattern}, {"exclude_pattern", o.ExcludePattern}} {
			if re.expr == "" {
				continue
			}
			if _, err := regexp.Compile(re.expr); err != nil {
				add(fmt.Sprintf("%s: %v", re.key, err), at(re.key)...)
			}
		}
		if o.NextSelector != "" {
			if _, err := cascadia.Compile(o.NextSelector); err != nil {
				add(fmt.Sprintf("next_selector %q: %v", o.NextSelector, err), at("next_selector")...)
			}
		}
		if o.Interval < 0 {
			add("interval must be >= 0", at("interval")...)
		}
		if o.Archive != "" {
			if !strings.Contains(o.Archive, "{yyyy}") || !strings.Contains(o.Archive, "{dd}") {
				add("archive: want a URL template with {yyyy}, {mm} and {dd}", at("archive")...)
			} else if u, err := parseHTTPURL(ArchiveURL(o.Archive, time.Now())); err != nil {
				add("archive: "+err.Error(), at("archive")...)
			} else if hosts != nil && !hosts.allows(u) {
				add(fmt.Sprintf("archive: %s is not on the outlet's hosts %v (set hosts)", u.Host, o.hostList()), at("archive")...)
			}
		}
		if x := o.Extract; x != nil {
			for _, s := range []struct{ key, sel string }{{"title", x.Title}, {"body", x.Body}, {"date", x.Date}, {"author", x.Author}} {
				if s.sel == "" {
					continue
				}
				if _, err := cascadia.Compile(s.sel); err != nil {
					add(fmt.Sprintf("selector %q: %v", s.sel, err), at("extract", s.key)...)
				}
			}
			for j, sel := range x.Remove {
				if _, err := cascadia.Compile(sel); err != nil {
					add(fmt.Sprintf("selector %q: %v", sel, err), at("extract", "remove", j)...)
				}
			}
		}
		ps = append(ps, c.fetchProblems(o.Fetch, false, "outlets", i)...)
	}
	return ps
}

// fetchProblems checks fetch settings. For outlets loaded from a file only
// keys the outlet sets itself are checked: inherited values were checked
// under defaults.
func (c *Config) fetchProblems(f Fetch, isDefaults bool, prefix ...pathElem) []Problem {
	var ps []Problem
	check := func(bad bool, msg string, path ...pathElem) {
		full := append(append([]pathElem{}, prefix...), path...)
		if bad && (isDefaults || c.hasPath(full...)) {
			ps = append(ps, c.problemAt(msg, full...))
		}
	}
	check(strings.ContainsAny(f.UserAgent, "\r\n"), "user_agent must be one line", "user_agent")
	check(f.Rate.Delay < 0, "delay must be >= 0", "rate", "delay")
	check(f.Rate.RandomDelay < 0, "random_delay must be >= 0", "rate", "random_delay")
	check(f.Rate.Parallelism < 0 || f.Rate.Parallelism > 64, "parallelism must be between 1 and 64 (0 means the default)", "rate", "parallelism")
	check(f.Timeout < 0, "timeout must be >= 0", "timeout")
	check(f.MaxBodySize < 0, "max_body_size must be >= 0", "max_body_size")
	check(f.Retry.MaxRetries < 0 || f.Retry.MaxRetries > 10, "max_retries must be between 0 and 10", "retry", "max_retries")
	check(f.Retry.Backoff < 0, "backoff must be >= 0", "retry", "backoff")
	check(f.Retry.MaxWait < 0, "max_wait must be >= 0", "retry", "max_wait")
	check(f.Limits.MaxArticles < 0, "max_articles must be >= 0", "limits", "max_articles")
	check(f.Limits.MaxListingPages < 0, "max_listing_pages must be >= 0", "limits", "max_listing_pages")
	check(f.Limits.MaxSitemaps < 0, "max_sitemaps must be >= 0", "limits", "max_sitemaps")
	check(f.Limits.MaxAge < 0, "max_age must be >= 0", "limits", "max_age")
	check(f.Poll.MinInterval < 0, "min_interval must be >= 0", "poll", "min_interval")
	check(f.Poll.MaxInterval < 0, "max_interval must be >= 0", "poll", "max_interval")
	check(f.Poll.MinInterval > 0 && f.Poll.MaxInterval > 0 && f.Poll.MaxInterval < f.Poll.MinInterval,
		"max_interval must not be shorter than min_interval", "poll", "max_interval")
	check(f.Poll.RobotsTTL < 0, "robots_ttl must be >= 0", "poll", "robots_ttl")
	for j, d := range f.Poll.Recheck {
		check(d <= 0 || (j > 0 && d <= f.Poll.Recheck[j-1]), "recheck ages must be positive and increasing", "poll", "recheck", j)
	}
	return ps
}

func parseHTTPURL(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("url %q: %w", s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("url %q: want an absolute http or https URL", s)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("url %q: no host", s)
	}
	return u, nil
}

func checkHost(h string) error {
	if h == "" || strings.ContainsAny(h, "/?#@ ") {
		return fmt.Errorf("host %q: want a host name or host:port, without scheme or path", h)
	}
	u, err := url.Parse("http://" + h)
	if err != nil || u.Hostname() == "" {
		return fmt.Errorf("host %q: want a host name or host:port", h)
	}
	return nil
}

// unknownKeys reports mapping keys of n that match no yaml field of t,
// recursing into nested structs.
func unknownKeys(file string, n *yaml.Node, t reflect.Type) []Problem {
	budget := 100000 // mappings visited; bounds alias and merge-key bombs
	return unknownKeysIn(file, n, t, &budget)
}

func unknownKeysIn(file string, n *yaml.Node, t reflect.Type, budget *int) []Problem {
	if *budget--; *budget < 0 {
		return nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || n.Kind != yaml.MappingNode {
		return nil
	}
	fields := map[string]reflect.Type{}
	var collect func(reflect.Type)
	collect = func(t reflect.Type) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			tag := f.Tag.Get("yaml")
			name, opts, _ := strings.Cut(tag, ",")
			if strings.Contains(opts, "inline") {
				collect(f.Type)
				continue
			}
			if name == "-" {
				continue
			}
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			fields[name] = f.Type
		}
	}
	collect(t)
	var ps []Problem
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Tag == "!!merge" || k.Value == "<<" {
			// A YAML merge key: check the merged mapping(s) like our own.
			merged := []*yaml.Node{v}
			if v.Kind == yaml.SequenceNode {
				merged = v.Content
			}
			for _, m := range merged {
				if m.Kind == yaml.AliasNode {
					m = m.Alias
				}
				if m != nil && m.Kind == yaml.MappingNode {
					ps = append(ps, unknownKeysIn(file, m, t, budget)...)
				}
			}
			continue
		}
		ft, ok := fields[k.Value]
		if !ok {
			ps = append(ps, Problem{File: file, Line: k.Line, Column: k.Column,
				Message: fmt.Sprintf("unknown field %q", k.Value)})
			continue
		}
		if v.Kind == yaml.AliasNode && v.Alias != nil {
			v = v.Alias
		}
		if ft != reflect.TypeOf(ByteSize(0)) {
			ps = append(ps, unknownKeysIn(file, v, ft, budget)...)
		}
	}
	return ps
}
