// Package catalog is the outlet catalog that ships with newswatch: the
// config of the Azerbaijani outlets (outlets.yaml beside this file, the one
// copy), embedded into the binary so that tools such as `newswatch extract`
// know each outlet's time zone and extraction overrides without --config.
// deploy/Dockerfile installs the same file as /etc/newswatch/outlets.yaml.
package catalog

import (
	_ "embed"

	"github.com/newswatch/newswatch/crawler"
)

//go:embed outlets.yaml
var yamlText []byte

// Name names the catalog in problem reports (its path in the repository).
const Name = "crawler/catalog/outlets.yaml"

// Load parses and validates the catalog.
func Load() (*crawler.Config, error) { return crawler.ParseConfig(yamlText, Name) }
