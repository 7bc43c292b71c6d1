// Package web is newswatch's web page for analysts, researchers and
// editors: plain HTML, CSS and JavaScript over the HTTP API, with the
// charting, time-zone and diff libraries it uses vendored beside it
// (static/vendor, each with its licence), all embedded into the binary so
// the page works offline and fetches nothing from elsewhere. The api
// package serves it at / (index.html) and /assets/ (the rest).
//
// The vendored files are the npm registry's builds, copied unchanged with
// their licences: chart.js 4.6.1 (dist/chart.umd.min.js, MIT), luxon 3.7.2
// (build/global/luxon.min.js, MIT), chartjs-adapter-luxon 1.3.1
// (dist/chartjs-adapter-luxon.umd.min.js, MIT) and diff 9.0.0
// (dist/diff.min.js, BSD-3-Clause). To update one: `npm pack NAME@VERSION`,
// copy the same file and its licence over, and run the browser tests.
package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"mime"
	"path"
	"strings"
)

//go:embed static
var static embed.FS

// Index is the name of the page itself.
const Index = "index.html"

// ErrNotFound: no file of the page has that name.
var ErrNotFound = errors.New("web: no such file")

// Asset is one file of the page.
type Asset struct {
	Name        string // path under static/, e.g. "js/app.js"
	ContentType string
	Body        []byte
	ETag        string // strong validator: a hash of Body, quoted
}

// Files are the page's files, read once from the embedded tree.
type Files struct {
	byName map[string]*Asset
}

// Open reads the embedded files.
func Open() (*Files, error) {
	f := &Files{byName: map[string]*Asset{}}
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := static.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "static/")
		ct := mime.TypeByExtension(path.Ext(name))
		switch path.Ext(name) {
		case ".md", ".txt", "":
			ct = "text/plain; charset=utf-8" // the licences
		case ".js":
			ct = "text/javascript; charset=utf-8" // whatever the system's mime table says
		}
		if ct == "" {
			return fmt.Errorf("web: %s: unknown content type", name)
		}
		sum := sha256.Sum256(body)
		f.byName[name] = &Asset{Name: name, ContentType: ct, Body: body, ETag: `"` + hex.EncodeToString(sum[:12]) + `"`}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: read embedded files: %w", err)
	}
	if f.byName[Index] == nil {
		return nil, fmt.Errorf("web: %s is not embedded", Index)
	}
	return f, nil
}

// Get returns the file with that name (a path under static/, without a
// leading slash), or ErrNotFound.
func (f *Files) Get(name string) (*Asset, error) {
	if a := f.byName[name]; a != nil {
		return a, nil
	}
	return nil, fmt.Errorf("%w: %q", ErrNotFound, name)
}

// Names lists the files, for tests and listings.
func (f *Files) Names() []string {
	out := make([]string, 0, len(f.byName))
	for n := range f.byName {
		out = append(out, n)
	}
	return out
}

// ContentSecurityPolicy is the policy the page is served with: its own
// scripts, styles and API only, nothing from elsewhere, no inline script.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
