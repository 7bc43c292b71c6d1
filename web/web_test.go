package web

import (
	"errors"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// Every file the page or its modules reference is embedded, and every
// reference stays on the server: no CDN, no other host, so the page works
// offline.
func TestPageReferencesOnlyItsOwnFiles(t *testing.T) {
	f, err := Open()
	if err != nil {
		t.Fatal(err)
	}
	index, err := f.Get(Index)
	if err != nil {
		t.Fatal(err)
	}
	refs := regexp.MustCompile(`(?:src|href)="([^"]*)"`).FindAllStringSubmatch(string(index.Body), -1)
	if len(refs) < 5 {
		t.Fatalf("index.html references %d files; the regexp is broken", len(refs))
	}
	for _, m := range refs {
		ref := m[1]
		switch {
		case strings.HasPrefix(ref, "/assets/"):
			if _, err := f.Get(strings.TrimPrefix(ref, "/assets/")); err != nil {
				t.Errorf("index.html references %s: %v", ref, err)
			}
		case ref == "/" || strings.HasPrefix(ref, "/?") || strings.HasPrefix(ref, "#") || ref == "data:,":
		default:
			t.Errorf("index.html references %q, which is not one of the page's own files", ref)
		}
	}
	imports := regexp.MustCompile(`(?m)^\s*import\s[^;]*?from\s+"([^"]+)"`)
	var modules []string
	for _, name := range f.Names() {
		if strings.HasPrefix(name, "js/") {
			modules = append(modules, name)
		}
	}
	sort.Strings(modules)
	if len(modules) < 5 {
		t.Fatalf("%d modules under js/", len(modules))
	}
	for _, name := range modules {
		a, _ := f.Get(name)
		for _, m := range imports.FindAllStringSubmatch(string(a.Body), -1) {
			if !strings.HasPrefix(m[1], "./") {
				t.Errorf("%s imports %q: only the page's own modules", name, m[1])
				continue
			}
			if _, err := f.Get("js/" + strings.TrimPrefix(m[1], "./")); err != nil {
				t.Errorf("%s imports %s: %v", name, m[1], err)
			}
		}
		if regexp.MustCompile(`fetch\(\s*["'` + "`" + `]https?:`).Match(a.Body) {
			t.Errorf("%s fetches from another host", name)
		}
	}
}

// Each vendored library sits beside its licence.
func TestVendoredLibrariesHaveLicences(t *testing.T) {
	f, err := Open()
	if err != nil {
		t.Fatal(err)
	}
	for _, lib := range []struct{ file, licence string }{
		{"vendor/chart.umd.min.js", "vendor/chart.js.LICENSE.md"},
		{"vendor/luxon.min.js", "vendor/luxon.LICENSE.md"},
		{"vendor/chartjs-adapter-luxon.umd.min.js", "vendor/chartjs-adapter-luxon.LICENSE.md"},
		{"vendor/diff.min.js", "vendor/diff.LICENSE.txt"},
	} {
		for _, name := range []string{lib.file, lib.licence} {
			if _, err := f.Get(name); err != nil {
				t.Errorf("%v", err)
			}
		}
		if l, err := f.Get(lib.licence); err == nil && !strings.Contains(string(l.Body), "Permission is hereby granted") && !strings.Contains(string(l.Body), "Redistribution and use") {
			t.Errorf("%s does not read as a licence", lib.licence)
		}
	}
	if _, err := f.Get("nope.js"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(nope.js) = %v, want ErrNotFound", err)
	}
	for _, name := range f.Names() {
		a, _ := f.Get(name)
		if a.ContentType == "" || len(a.ETag) < 10 {
			t.Errorf("%s: content type %q, etag %q", name, a.ContentType, a.ETag)
		}
	}
}
