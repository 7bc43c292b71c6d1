package main

import (
	"flag"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/newswatch/newswatch/crawler/catalog"
	"github.com/newswatch/newswatch/pipeline"
)

// `run` and `crawler` without --config crawl the built-in catalog's
// outlets; with --config, the file's (a missing file is an error naming
// it). Only the configuration is built: nothing is crawled.
func TestRunDefaultsToTheBuiltInCatalog(t *testing.T) {
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	ids := func(cfg pipeline.Config) []string {
		var out []string
		for _, o := range cfg.Outlets.Outlets {
			out = append(out, o.ID)
		}
		return out
	}
	parts := pipeline.Parts{Crawl: true, Index: true, Serve: true}
	build := func(args ...string) (pipeline.Config, error) {
		var f pipelineFlags
		fs := flag.NewFlagSet("run", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		f.register(fs, parts, natsEither, true)
		if err := fs.Parse(append(args, "--data", t.TempDir())); err != nil {
			t.Fatal(err)
		}
		cfg, _, err := f.pipelineConfig(parts)
		return cfg, err
	}
	cfg, err := build()
	if err != nil {
		t.Fatal(err)
	}
	want := make([]string, 0, len(cat.Outlets))
	for _, o := range cat.Outlets {
		want = append(want, o.ID)
	}
	if got := ids(cfg); !slices.Equal(got, want) || len(got) == 0 {
		t.Errorf("outlets without --config: %v, want the catalog's %v", got, want)
	}
	if cfg, err = build("--config", testConfig(t)); err != nil {
		t.Fatal(err)
	}
	if got := ids(cfg); !slices.Equal(got, []string{"local"}) {
		t.Errorf("outlets with --config: %v, want [local]", got)
	}
	missing := filepath.Join(t.TempDir(), "nope.yaml")
	if _, err := build("--config", missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing config: %v, want an error naming %s", err, missing)
	}
}
