package crawler

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadExampleConfig(t *testing.T) {
	cfg, err := LoadConfig("catalog/outlets.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"caliber", "report", "oxu", "apa", "trend", "azertag", "newsaz", "media", "bakuws"}
	if len(cfg.Outlets) != len(want) {
		t.Fatalf("%d outlets, want %d", len(cfg.Outlets), len(want))
	}
	for i, id := range want {
		if cfg.Outlets[i].ID != id {
			t.Errorf("outlet %d is %q, want %q", i, cfg.Outlets[i].ID, id)
		}
	}
	caliber, _ := cfg.Outlet("caliber")
	if caliber.Rate.Delay != time.Second || caliber.Rate.RandomDelay != 500*time.Millisecond ||
		caliber.Limits.MaxAge != 72*time.Hour || caliber.MaxBodySize != 10<<20 || !caliber.RobotsSitemaps {
		t.Errorf("caliber did not inherit defaults: %+v", caliber.Fetch)
	}
	baku, _ := cfg.Outlet("bakuws")
	if baku.Rate.Delay != 2*time.Second || baku.Rate.Parallelism != 1 || baku.Rate.RandomDelay != 500*time.Millisecond {
		t.Errorf("bakuws rate override merged wrongly: %+v", baku.Rate)
	}
	report, _ := cfg.Outlet("report")
	if report.Extract == nil || len(report.Extract.Remove) != 2 {
		t.Errorf("report extract overrides: %+v", report.Extract)
	}
	if hs := (&cfg.Outlets[4]).hostSet(); len(hs) != 4 {
		t.Errorf("trend hosts %v", hs)
	}
}

func TestConfigDefaultsAndExplicitZero(t *testing.T) {
	cfg, err := ParseConfig([]byte(`
outlets:
  - id: a
    base_url: https://a.example/
    feeds: [https://a.example/rss]
  - id: b
    base_url: https://b.example/
    feeds: [https://b.example/rss]
    robots_sitemaps: false
    rate: {delay: 0s, random_delay: 0s}
    retry: {max_retries: 0}
`), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	a, b := cfg.Outlets[0], cfg.Outlets[1]
	if a.Fetch.Rate != (Rate{DefaultDelay, DefaultRandomDelay, DefaultParallelism}) || a.Retry.MaxRetries != DefaultMaxRetries ||
		a.UserAgent != DefaultUserAgent || a.Timezone != "" || !a.RobotsSitemaps {
		t.Errorf("built-in defaults not applied: %+v", a)
	}
	if b.Rate.Delay != 0 || b.Rate.RandomDelay != 0 || b.Rate.Parallelism != DefaultParallelism || b.Retry.MaxRetries != 0 ||
		b.Retry.Backoff != DefaultBackoff || b.RobotsSitemaps {
		t.Errorf("explicit zeros not kept: %+v", b)
	}
	if hs := a.hostSet(); !hs["a.example"] || !hs["www.a.example"] || len(hs) != 2 {
		t.Errorf("default hosts %v", hs)
	}
}

// Every problem is reported at once, each with file and line.
func TestConfigProblemsWithLines(t *testing.T) {
	src := `defaults:
  rate:
    parallelism: -1
  colour: blue
outlets:
  - id: Caliber Az
    base_url: caliber.az
    timezone: Mars/Olympus
    feeds: [https://caliber.az/rss]
  - id: report
    base_url: https://report.az/
    languages: [az, English]
    feeds:
      - https://other.example/rss
    sitemaps:
      - not a url
    article_pattern: '(unclosed'
    next_selector: 'a[[['
    rate:
      delay: -1s
    extract:
      body: 'div >> >'
  - id: report
    base_url: https://report.az/
    retry: {max_retries: 99}
    max_body_size: lots
  - name: nameless
    base_url: https://x.example/
    feeds: [https://x.example/rss]
    timeout: soon
  - id: dead
    base_url: https://dead.example/
    feeds: [https://dead.example/rss]
`
	dir := t.TempDir()
	path := filepath.Join(dir, "outlets.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadConfig(path)
	var ve *ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("err = %v", err)
	}
	want := []struct {
		line int
		frag string
	}{
		{3, "parallelism"},
		{4, `unknown field "colour"`},
		{6, "id \"Caliber Az\""},
		{7, "base_url"},
		{8, "Mars/Olympus"},
		{12, `language "English"`},
		{14, "other.example"},
		{16, "not a url"},
		{17, "article_pattern"},
		{18, "next_selector"},
		{20, "delay must be >= 0"},
		{22, "selector"},
		{23, `duplicate id "report" (first at line 10)`},
		{23, "no discovery source"},
		{25, "max_retries"},
		{26, "lots"},
		{27, "id is required"},
		{30, "soon"},
		// The bus would refuse every article of this outlet: the config
		// refuses it first, by the same rule (article.ValidateOutlet).
		{31, `id "dead"`},
	}
	text := err.Error()
	for _, w := range want {
		found := false
		for _, p := range ve.Problems {
			if p.Line == w.line && strings.Contains(p.String(), w.frag) {
				found = true
				if p.File != path {
					t.Errorf("problem %q has file %q", p, p.File)
				}
				if !strings.HasPrefix(p.String(), path+":") {
					t.Errorf("problem %q does not start with file:line", p)
				}
			}
		}
		if !found {
			t.Errorf("no problem at line %d mentioning %q in:\n%s", w.line, w.frag, text)
		}
	}
	if len(ve.Problems) != len(want) {
		t.Errorf("%d problems, want %d:\n%s", len(ve.Problems), len(want), text)
	}
}

func TestConfigSyntaxError(t *testing.T) {
	_, err := ParseConfig([]byte("outlets:\n  - id: a\n   base_url: [\n"), "bad.yaml")
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != 1 || ve.Problems[0].Line == 0 || ve.Problems[0].File != "bad.yaml" {
		t.Fatalf("err = %v", err)
	}
	if _, err := LoadConfig(filepath.Join(t.TempDir(), "missing.yaml")); err == nil || errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("missing file: %v", err)
	}
	if _, err := ParseConfig([]byte("- a\n- b\n"), "list.yaml"); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("list document: %v", err)
	}
}

func TestValidateGoConfig(t *testing.T) {
	cfg := &Config{Outlets: []OutletConfig{{ID: "a", BaseURL: "https://a.example", Feeds: []string{"https://a.example/rss"},
		Fetch: Fetch{Rate: Rate{Parallelism: 100}}}}}
	err := cfg.Validate()
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != 1 || ve.Problems[0].Path != "outlets[0].rate.parallelism" {
		t.Fatalf("err = %v", err)
	}
	cfg.Outlets[0].Rate.Parallelism = 0
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestParseByteSize(t *testing.T) {
	for in, want := range map[string]ByteSize{"1048576": 1 << 20, "512KiB": 512 << 10, "10MB": 10e6, "1 GiB": 1 << 30, "3m": 3 << 20} {
		got, err := ParseByteSize(in)
		if err != nil || got != want {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MB", "10 parsecs", "99999999999999999999"} {
		if _, err := ParseByteSize(in); err == nil {
			t.Errorf("ParseByteSize(%q) accepted", in)
		}
	}
}

func FuzzParseConfig(f *testing.F) {
	if data, err := os.ReadFile("catalog/outlets.yaml"); err == nil {
		f.Add(data)
	}
	f.Add([]byte("outlets:\n  - id: a\n    base_url: https://a.example/\n    feeds: [https://a.example/rss]\n"))
	f.Add([]byte("defaults: &d {rate: {delay: 1s}}\noutlets: [{<<: *d, id: x}]\n"))
	f.Add([]byte("outlets:\n  - max_body_size: 10MiB\n    rate: [1, 2]\n    extract: {remove: ['a[']}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseConfig(data, "fuzz.yaml")
		if err == nil {
			if len(cfg.Outlets) == 0 {
				t.Fatal("valid config without outlets")
			}
			if err := cfg.Validate(); err != nil {
				t.Fatalf("ParseConfig accepted what Validate rejects: %v", err)
			}
			return
		}
		var ve *ValidationError
		if !errors.As(err, &ve) || len(ve.Problems) == 0 {
			t.Fatalf("error %v is not a ValidationError with problems", err)
		}
	})
}

func TestConfigMergeKeys(t *testing.T) {
	cfg, err := ParseConfig([]byte(`
x-polite: &polite
  rate: {delay: 3s, parallelism: 1}
outlets:
  - <<: *polite
    id: a
    base_url: https://a.example/
    feeds: [https://a.example/rss]
`), "merge.yaml")
	if err == nil || !strings.Contains(err.Error(), `unknown field "x-polite"`) {
		t.Fatalf("top-level anchors outside defaults must be reported: %v", err)
	}
	cfg, err = ParseConfig([]byte(`
defaults:
  limits: &lim {max_articles: 7}
outlets:
  - id: a
    base_url: https://a.example/
    feeds: [https://a.example/rss]
    <<: {rate: {delay: 3s, parallelism: 1}}
    limits: *lim
`), "merge.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if o := cfg.Outlets[0]; o.Rate.Delay != 3*time.Second || o.Rate.Parallelism != 1 || o.Limits.MaxArticles != 7 {
		t.Errorf("merge keys and aliases not applied: %+v", o.Fetch)
	}
	_, err = ParseConfig([]byte(`
outlets:
  - id: a
    base_url: https://a.example/
    feeds: [https://a.example/rss]
    <<: {rate: {delai: 3s}}
`), "merge.yaml")
	if err == nil || !strings.Contains(err.Error(), `unknown field "delai"`) {
		t.Fatalf("unknown field inside a merged mapping: %v", err)
	}
}

// TestDeploymentTimezone: the config's top-level timezone is the
// deployment's zone (UTC when left out); a bad one is a problem at its line.
func TestDeploymentTimezone(t *testing.T) {
	body := "outlets:\n  - id: report\n    base_url: https://report.az/\n    feeds: [https://report.az/rss]\n"
	for _, tc := range []struct{ head, want string }{{"", "UTC"}, {"timezone: Asia/Baku\n", "Asia/Baku"}} {
		cfg, err := ParseConfig([]byte(tc.head+body), "outlets.yaml")
		if err != nil {
			t.Fatal(err)
		}
		loc, err := cfg.Location()
		if err != nil || loc.String() != tc.want {
			t.Errorf("%q: location %v %v, want %s", tc.head, loc, err, tc.want)
		}
	}
	_, err := ParseConfig([]byte("timezone: Mars/Olympus\n"+body), "outlets.yaml")
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != 1 || ve.Problems[0].Line != 1 || !strings.Contains(ve.Problems[0].Message, "Mars/Olympus") {
		t.Errorf("bad timezone: %v", err)
	}
}
