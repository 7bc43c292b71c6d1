package keys

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestScopes(t *testing.T) {
	for _, tc := range []struct {
		have, need Scope
		ok         bool
	}{
		{ScopeRead, ScopeRead, true}, {ScopeRead, ScopeExport, false}, {ScopeRead, ScopeAdmin, false},
		{ScopeExport, ScopeRead, true}, {ScopeExport, ScopeExport, true}, {ScopeExport, ScopeAdmin, false},
		{ScopeAdmin, ScopeRead, true}, {ScopeAdmin, ScopeAdmin, true},
		{"", ScopeRead, false}, {"root", ScopeRead, false},
	} {
		if got := tc.have.Allows(tc.need); got != tc.ok {
			t.Errorf("%q.Allows(%q) = %v", tc.have, tc.need, got)
		}
	}
	for _, s := range []string{"read", "export", "admin"} {
		if _, err := ParseScope(s); err != nil {
			t.Error(err)
		}
	}
	for _, s := range []string{"", "Read", "write", "all"} {
		if _, err := ParseScope(s); err == nil {
			t.Errorf("ParseScope(%q) accepted", s)
		}
	}
}

// TestCreateCheckRevoke: a created key checks out with its scope until it
// is revoked; look-alikes do not.
func TestCreateCheckRevoke(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", FileName)
	tok, k, err := Create(path, NewOptions{Scope: ScopeExport, Name: "researcher", Rate: 5, Burst: 10})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok, "nwk_"+k.ID+"_") || len(tok) != len("nwk_")+idLen+1+secretLen {
		t.Fatalf("key %q", tok)
	}
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Check(tok)
	if err != nil || got.ID != k.ID || got.Scope != ScopeExport || got.Rate != 5 || got.Burst != 10 || got.Name != "researcher" {
		t.Fatalf("Check = %+v, %v", got, err)
	}
	if _, err := s.Check(""); !errors.Is(err, ErrNoKey) {
		t.Errorf("empty key: %v", err)
	}
	last := tok[len(tok)-1]
	flip := byte('A')
	if last == 'A' {
		flip = 'B'
	}
	for _, bad := range []string{tok[:len(tok)-1] + string(flip), tok + "x", "nwk_" + k.ID, strings.ToUpper(tok), "Bearer " + tok, tok[:4] + "zzzzzzzzzzzzzzzz" + tok[20:]} {
		if _, err := s.Check(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("Check(%q) = %v, want ErrInvalid", bad, err)
		}
	}
	if err := Revoke(path, k.ID); err != nil {
		t.Fatal(err)
	}
	if err := Revoke(path, k.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("second revoke: %v", err)
	}
	s.now = func() time.Time { return time.Now().Add(time.Hour) } // past the re-read interval
	if _, err := s.Check(tok); !errors.Is(err, ErrInvalid) {
		t.Errorf("revoked key: %v", err)
	}
	for _, o := range []NewOptions{{Scope: "root"}, {Scope: ScopeRead, Rate: -1}, {Scope: ScopeRead, Name: "a\nb"}} {
		if _, _, err := Create(path, o); err == nil {
			t.Errorf("Create(%+v) accepted", o)
		}
	}
}

// TestConcurrentCreates: creations at the same time all land in the file.
func TestConcurrentCreates(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	var wg sync.WaitGroup
	toks := make([]string, 20)
	for i := range toks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok, _, err := Create(path, NewOptions{Scope: ScopeRead})
			if err != nil {
				t.Error(err)
			}
			toks[i] = tok
		}()
	}
	wg.Wait()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, tok := range toks {
		if _, err := s.Check(tok); err != nil {
			t.Errorf("key %d: %v", i, err)
		}
	}
	if l, _ := List(path); len(l) != len(toks) {
		t.Errorf("%d keys listed, want %d", len(l), len(toks))
	}
}

// TestBrokenFile: a keys file that cannot be read stops Open with its
// path; a file spoiled while the server runs leaves the keys read before
// in use and says why.
func TestBrokenFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	tok, _, err := Create(path, NewOptions{Scope: ScopeRead})
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("Open of a broken file: %v", err)
	}
	s.now = func() time.Time { return time.Now().Add(time.Hour) }
	if _, err := s.Check(tok); err != nil {
		t.Errorf("key read before the file broke: %v", err)
	}
	if s.Err() == nil {
		t.Error("no error for the broken file")
	}
	for _, content := range []string{`{"version":2,"keys":[]}`, `{"version":1,"keys":[{"id":"x","scope":"read","sha256":"00"}]}`} {
		os.WriteFile(path, []byte(content), 0o600)
		if _, err := Open(path); err == nil {
			t.Errorf("Open(%s) accepted", content)
		}
	}
	// A missing file is no keys, not an error.
	missing, err := Open(filepath.Join(t.TempDir(), "none.json"))
	if err != nil || len(missing.Keys()) != 0 {
		t.Errorf("missing file: %v", err)
	}
}
