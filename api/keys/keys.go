// Package keys holds the API keys of newswatch: created with
// `newswatch keys create`, kept hashed in a file, checked by the API on
// every request.
//
// A key is "nwk_" + a 16-character key ID + "_" + a 43-character secret (256
// random bits). The file keeps only the ID, the SHA-256 of the whole key,
// its scope, name, creation time and rate limit; a key is shown once, when
// it is created. A fast hash is the right one here: the keys are random
// (nothing to guess, unlike passwords), and the ID finds a key's record
// without trying every hash.
//
// Where the keys live: a JSON file (default keys.json in the data
// directory), written atomically (temporary file, fsync, rename) under a
// lock so that concurrent `keys create` do not lose each other's keys. The
// API reads it at start and again whenever it changes (checked at most
// once a second, on requests), so keys created or revoked while the API
// runs take effect within a second, with no restart and without NATS: the
// `api` process may run alone, against Elasticsearch, with no bus at all.
// Several API processes share keys by sharing the file (a mounted volume
// or a secret); they need no network for it.
package keys

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/newswatch/newswatch/internal/lockfile"
)

// Scope is what a key may do. Each scope includes the ones before it.
type Scope string

// Scopes.
const (
	// ScopeRead: search, articles, counts, outlets.
	ScopeRead Scope = "read"
	// ScopeExport: read, and exports of whole result sets.
	ScopeExport Scope = "export"
	// ScopeAdmin: export, and managing keys over the API.
	ScopeAdmin Scope = "admin"
)

// Scopes lists the scopes, least first.
var Scopes = []Scope{ScopeRead, ScopeExport, ScopeAdmin}

func (s Scope) rank() int {
	for i, x := range Scopes {
		if x == s {
			return i + 1
		}
	}
	return 0
}

// Valid reports whether s is a known scope.
func (s Scope) Valid() bool { return s.rank() > 0 }

// Allows reports whether a key of scope s may do what need requires.
func (s Scope) Allows(need Scope) bool { return s.Valid() && s.rank() >= need.rank() }

// ParseScope reads a scope name.
func ParseScope(v string) (Scope, error) {
	s := Scope(v)
	if !s.Valid() {
		return "", fmt.Errorf("scope %q: want read, export or admin", v)
	}
	return s, nil
}

// FileName is the keys file's name in a data directory.
const FileName = "keys.json"

// Sentinel errors.
var (
	// ErrNoKey: the request carries no key.
	ErrNoKey = errors.New("no API key")
	// ErrInvalid: the key is malformed, unknown or revoked.
	ErrInvalid = errors.New("invalid API key")
	// ErrNotFound: no key with that ID (Revoke).
	ErrNotFound = errors.New("no such key")
)

// Key is the record of one key. It holds no secret.
type Key struct {
	ID      string    `json:"id"`
	Name    string    `json:"name,omitempty"`
	Scope   Scope     `json:"scope"`
	Created time.Time `json:"created"`
	// Rate is the key's request rate limit (requests per second; 0: the
	// server's default), Burst the requests it may make at once (0: the
	// server's default).
	Rate  float64 `json:"rate,omitempty"`
	Burst int     `json:"burst,omitempty"`
	// Hash is the hex SHA-256 of the whole key.
	Hash string `json:"sha256"`
}

// file is the keys file.
type file struct {
	Version int    `json:"version"`
	Keys    []*Key `json:"keys"`
}

const fileVersion = 1

const (
	prefix    = "nwk_"
	idLen     = 16 // hex of 8 random bytes
	secretLen = 43 // base64url of 32 random bytes
)

// hash is the stored hash of a whole key.
func hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// parse splits a key into its ID, or fails if it is not shaped like one.
func parse(token string) (id string, ok bool) {
	rest, ok := strings.CutPrefix(token, prefix)
	if !ok || len(rest) != idLen+1+secretLen || rest[idLen] != '_' {
		return "", false
	}
	id = rest[:idLen]
	if _, err := hex.DecodeString(id); err != nil {
		return "", false
	}
	if _, err := base64.RawURLEncoding.DecodeString(rest[idLen+1:]); err != nil {
		return "", false
	}
	return id, true
}

// NewOptions describe a key to create.
type NewOptions struct {
	Scope Scope
	Name  string
	Rate  float64 // requests per second; 0: the server's default
	Burst int     // 0: the server's default
}

// Validate reports options that make no key.
func (o NewOptions) Validate() error {
	if !o.Scope.Valid() {
		return fmt.Errorf("scope %q: want read, export or admin", o.Scope)
	}
	if o.Rate < 0 || o.Burst < 0 {
		return fmt.Errorf("rate %g and burst %d must not be negative", o.Rate, o.Burst)
	}
	if len(o.Name) > 200 || strings.ContainsFunc(o.Name, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return errors.New("name: at most 200 characters, no control characters")
	}
	return nil
}

// Create makes a new key, adds its record to the keys file at path
// (creating the file, mode 0600, if needed) and returns the key, which is
// not kept anywhere: show it to the user once.
func Create(path string, o NewOptions) (string, *Key, error) {
	if err := o.Validate(); err != nil {
		return "", nil, err
	}
	var idb [8]byte
	var secret [32]byte
	if _, err := rand.Read(idb[:]); err != nil {
		return "", nil, err
	}
	if _, err := rand.Read(secret[:]); err != nil {
		return "", nil, err
	}
	id := hex.EncodeToString(idb[:])
	token := prefix + id + "_" + base64.RawURLEncoding.EncodeToString(secret[:])
	k := &Key{ID: id, Name: o.Name, Scope: o.Scope, Created: time.Now().UTC().Truncate(time.Second), Rate: o.Rate, Burst: o.Burst, Hash: hash(token)}
	err := update(path, func(f *file) error {
		f.Keys = append(f.Keys, k)
		return nil
	})
	if err != nil {
		return "", nil, err
	}
	return token, k, nil
}

// Revoke removes the key with that ID from the keys file at path.
func Revoke(path, id string) error {
	return update(path, func(f *file) error {
		for i, k := range f.Keys {
			if k.ID == id {
				f.Keys = append(f.Keys[:i], f.Keys[i+1:]...)
				return nil
			}
		}
		return fmt.Errorf("%w: %q", ErrNotFound, id)
	})
}

// List returns the key records of the file at path, oldest first; none
// when the file does not exist.
func List(path string) ([]*Key, error) {
	f, err := read(path)
	if err != nil {
		return nil, err
	}
	return f.Keys, nil
}

// read reads the keys file; a missing file holds no keys.
func read(path string) (*file, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &file{Version: fileVersion}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("keys file: %w", err)
	}
	var f file
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("keys file %s: %w", path, err)
	}
	if f.Version != fileVersion {
		return nil, fmt.Errorf("keys file %s: version %d, want %d", path, f.Version, fileVersion)
	}
	for i, k := range f.Keys {
		if k == nil || len(k.ID) != idLen || len(k.Hash) != 64 || !k.Scope.Valid() {
			return nil, fmt.Errorf("keys file %s: key %d is malformed", path, i)
		}
	}
	sort.SliceStable(f.Keys, func(i, j int) bool { return f.Keys[i].Created.Before(f.Keys[j].Created) })
	return &f, nil
}

// update changes the keys file under its lock and replaces it atomically.
func update(path string, change func(*file) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("keys file: %w", err)
	}
	lk, err := lockfile.Acquire(path+".lock", 10*time.Second)
	if err != nil {
		return fmt.Errorf("keys file: %w", err)
	}
	defer lk.Release()
	f, err := read(path)
	if err != nil {
		return err
	}
	if err := change(f); err != nil {
		return err
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("keys file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err == nil {
		_, err = tmp.Write(append(b, '\n'))
		if err == nil {
			err = tmp.Sync()
		}
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(tmp.Name(), path)
		}
		if err == nil {
			if d, derr := os.Open(filepath.Dir(path)); derr == nil {
				_ = d.Sync()
				d.Close()
			}
		}
	} else {
		tmp.Close()
	}
	if err != nil {
		return fmt.Errorf("keys file: %w", err)
	}
	return nil
}

// Set is the keys of a keys file as the API checks them, read again when
// the file changes. It is safe for concurrent use.
type Set struct {
	path  string
	every time.Duration
	now   func() time.Time

	mu      sync.Mutex
	byID    map[string]*Key
	stamp   fileStamp // of the file last read
	checked time.Time // when the file was last looked at
	err     error     // of the last read; the keys before it stay in use
}

// fileStamp tells whether a file changed.
type fileStamp struct {
	exists bool
	mod    time.Time
	size   int64
	ino    uint64
}

func stampOf(path string) (fileStamp, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fileStamp{}, nil
	}
	if err != nil {
		return fileStamp{}, err
	}
	return fileStamp{exists: true, mod: fi.ModTime(), size: fi.Size(), ino: inode(fi)}, nil
}

// Open reads the keys file at path (a missing file: no keys yet) and
// returns the Set that checks keys against it.
func Open(path string) (*Set, error) {
	s := &Set{path: path, every: time.Second, now: time.Now}
	if err := s.reload(); err != nil {
		return nil, err
	}
	return s, nil
}

// Path is the keys file of the set.
func (s *Set) Path() string { return s.path }

// reload reads the file if it changed. Called with s.mu held, or before
// the set is shared.
func (s *Set) reload() error {
	st, err := stampOf(s.path)
	if err != nil {
		return fmt.Errorf("keys file: %w", err)
	}
	if s.byID != nil && st == s.stamp {
		return nil
	}
	f, err := read(s.path)
	if err != nil {
		return err
	}
	byID := make(map[string]*Key, len(f.Keys))
	for _, k := range f.Keys {
		byID[k.ID] = k
	}
	s.byID, s.stamp = byID, st
	return nil
}

// Check returns the record of key token, or an error wrapping ErrNoKey (an
// empty token) or ErrInvalid.
func (s *Set) Check(token string) (*Key, error) {
	if token == "" {
		return nil, ErrNoKey
	}
	id, ok := parse(token)
	s.mu.Lock()
	if now := s.now(); now.Sub(s.checked) >= s.every {
		s.checked = now
		// A file that cannot be read (being replaced, a typo by hand)
		// leaves the keys read before in use.
		s.err = s.reload()
	}
	k := s.byID[id]
	s.mu.Unlock()
	if !ok || k == nil {
		return nil, ErrInvalid
	}
	want, err := hex.DecodeString(k.Hash)
	got := sha256.Sum256([]byte(token))
	if err != nil || subtle.ConstantTimeCompare(want, got[:]) != 1 {
		return nil, ErrInvalid
	}
	return k, nil
}

// Err is the error of the last reading of the file, if it failed (the
// keys read before stay in use).
func (s *Set) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Keys returns the records of the keys in the set, oldest first.
func (s *Set) Keys() []*Key {
	s.mu.Lock()
	if now := s.now(); now.Sub(s.checked) >= s.every {
		s.checked = now
		s.err = s.reload()
	}
	out := make([]*Key, 0, len(s.byID))
	for _, k := range s.byID {
		c := *k
		out = append(out, &c)
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.Before(out[j].Created)
		}
		return out[i].ID < out[j].ID
	})
	return out
}
