// Package lockfile gives a resource (a data directory, an index) to one
// process at a time: Acquire takes an exclusive advisory lock (flock) on a
// lock file and writes who holds it (pid, host, command, since) into it, so
// that the next process is told who holds the resource instead of
// corrupting it. The lock ends with Release or with the process, kill -9
// included.
package lockfile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gofrs/flock"
)

// ErrLocked is returned (wrapped in a *HeldError) by Acquire when another
// process, or another Acquire in this one, holds the lock.
var ErrLocked = errors.New("in use")

// Holder describes the process that holds a lock.
type Holder struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host,omitempty"`
	Command string    `json:"command,omitempty"`
	Since   time.Time `json:"since"`
}

func (h Holder) String() string {
	s := "pid " + strconv.Itoa(h.PID)
	if h.Host != "" {
		s += " on " + h.Host
	}
	if h.Command != "" {
		s += " (" + h.Command + ")"
	}
	if !h.Since.IsZero() {
		s += " since " + h.Since.Format(time.RFC3339)
	}
	if h.PID == os.Getpid() {
		s += ", this process"
	}
	return s
}

// HeldError says which lock is held and by whom.
type HeldError struct {
	Path   string  // the lock file
	Holder *Holder // nil when the file names no holder (it is being written)
}

func (e *HeldError) Error() string {
	if e.Holder == nil {
		return fmt.Sprintf("%v by another process (%s names none yet)", ErrLocked, e.Path)
	}
	return fmt.Sprintf("%v by %s", ErrLocked, e.Holder)
}

// Unwrap makes errors.Is(err, ErrLocked) true.
func (e *HeldError) Unwrap() error { return ErrLocked }

// Lock is a held lock.
type Lock struct {
	fl *flock.Flock
}

// maxCommand caps the command line recorded in the lock file.
const maxCommand = 200

// Acquire locks the file at path (creating it; its directory must exist)
// and records this process as the holder. It waits up to wait for another
// holder to let go (0: not at all), then returns a *HeldError.
func Acquire(path string, wait time.Duration) (*Lock, error) {
	fl := flock.New(path)
	var ok bool
	var err error
	if wait > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		ok, err = fl.TryLockContext(ctx, 50*time.Millisecond)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			err = nil
		}
	} else {
		ok, err = fl.TryLock()
	}
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if !ok {
		return nil, &HeldError{Path: path, Holder: readHolder(path)}
	}
	host, _ := os.Hostname()
	cmd := strings.Join(os.Args, " ")
	if len(cmd) > maxCommand {
		cmd = cmd[:maxCommand] + "..."
	}
	b, _ := json.Marshal(Holder{PID: os.Getpid(), Host: host, Command: cmd, Since: time.Now().UTC().Truncate(time.Second)})
	// The lock is on the open file, not its content: rewriting keeps it.
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		fl.Unlock()
		return nil, fmt.Errorf("lock %s: record holder: %w", path, err)
	}
	return &Lock{fl: fl}, nil
}

// Release clears the recorded holder and unlocks. It is safe to call more
// than once, and on a nil Lock.
func (l *Lock) Release() error {
	if l == nil || l.fl == nil {
		return nil
	}
	fl := l.fl
	l.fl = nil
	terr := os.Truncate(fl.Path(), 0)
	return errors.Join(terr, fl.Unlock())
}

func readHolder(path string) *Holder {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var h Holder
	if json.Unmarshal(b, &h) != nil || h.PID <= 0 {
		return nil
	}
	return &h
}
