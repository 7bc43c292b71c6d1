package catalog_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/newswatch/newswatch/crawler/catalog"
)

func TestLoad(t *testing.T) {
	cfg, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	if loc, err := cfg.Location(); err != nil || loc.String() != "Asia/Baku" {
		t.Errorf("deployment zone %v %v, want Asia/Baku", loc, err)
	}
	if len(cfg.Outlets) < 9 {
		t.Errorf("%d outlets", len(cfg.Outlets))
	}
	for _, o := range cfg.Outlets {
		if o.Timezone != "Asia/Baku" {
			t.Errorf("%s: time zone %q, want Asia/Baku", o.ID, o.Timezone)
		}
	}
}

// deploy/ installs the catalog itself (deploy/Dockerfile copies it to
// /etc/newswatch/outlets.yaml, which docker compose runs with) and holds no
// outlet config of its own that could drift from it: one source of truth.
func TestDeployUsesTheCatalog(t *testing.T) {
	root := filepath.Join("..", "..")
	docker, err := os.ReadFile(filepath.Join(root, "deploy", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(docker), "COPY "+catalog.Name+" /etc/newswatch/outlets.yaml") {
		t.Errorf("deploy/Dockerfile does not install %s as /etc/newswatch/outlets.yaml", catalog.Name)
	}
	compose, err := os.ReadFile(filepath.Join(root, "deploy", "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(compose), "--config=/etc/newswatch/outlets.yaml") {
		t.Error("deploy/docker-compose.yml runs with another outlet config than the installed catalog")
	}
	err = filepath.WalkDir(filepath.Join(root, "deploy"), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "target" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.Contains(strings.ToLower(d.Name()), "outlets") {
			t.Errorf("%s: an outlet config beside the catalog; deploy/ installs %s", path, catalog.Name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Every feed and listing URL of the catalog says where it comes from
// ([home] or [scrapers], on its line or in the comment above its list):
// nothing was fetched live, so the file must say what the evidence is.
func TestCatalogURLsSaySource(t *testing.T) {
	text, err := os.ReadFile("outlets.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tag := regexp.MustCompile(`\[(home|scrapers)\]`)
	blockTagged := false
	urls := 0
	for i, line := range strings.Split(string(text), "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(trimmed, "#"):
			if tag.MatchString(trimmed) {
				blockTagged = true
			}
		case strings.HasPrefix(trimmed, "- http"):
			urls++
			if !blockTagged && !tag.MatchString(trimmed) {
				t.Errorf("outlets.yaml:%d: %s says not where it comes from", i+1, trimmed)
			}
		default:
			blockTagged = false // a new key: its list needs its own source
		}
	}
	if urls < 18 {
		t.Errorf("%d URLs checked: the parser missed the lists", urls)
	}
}
