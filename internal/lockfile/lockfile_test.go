package lockfile

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A helper process for TestHeldByAnotherProcess: it takes the lock named
// by LOCKFILE_HELPER, says so on stdout and waits to be killed.
func TestMain(m *testing.M) {
	if path := os.Getenv("LOCKFILE_HELPER"); path != "" {
		if _, err := Acquire(path, 0); err != nil {
			os.Stdout.WriteString("error " + err.Error() + "\n")
			os.Exit(1)
		}
		os.Stdout.WriteString("locked\n")
		select {}
	}
	os.Exit(m.Run())
}

func TestAcquireRelease(t *testing.T) {
	path := filepath.Join(t.TempDir(), "LOCK")
	l, err := Acquire(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = Acquire(path, 300*time.Millisecond)
	var held *HeldError
	if !errors.As(err, &held) || !errors.Is(err, ErrLocked) {
		t.Fatalf("second Acquire: %v, want a HeldError", err)
	}
	if d := time.Since(start); d < 250*time.Millisecond || d > 10*time.Second {
		t.Errorf("waited %v, want about 300ms", d)
	}
	if held.Holder == nil || held.Holder.PID != os.Getpid() || !strings.Contains(err.Error(), "this process") {
		t.Errorf("held by %+v (%v), want this process %d", held.Holder, err, os.Getpid())
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if err := l.Release(); err != nil {
		t.Errorf("second Release: %v", err)
	}
	l2, err := Acquire(path, 0)
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	l2.Release()
}

func TestAcquireMissingDir(t *testing.T) {
	_, err := Acquire(filepath.Join(t.TempDir(), "nope", "LOCK"), 0)
	if err == nil || errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("err = %v, want an error naming the path", err)
	}
}

// Another process holds the lock: the error names its pid; once it is
// killed with SIGKILL the lock is free again.
func TestHeldByAnotherProcess(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("needs SIGKILL semantics")
	}
	path := filepath.Join(t.TempDir(), "LOCK")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "LOCKFILE_HELPER="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "locked\n" {
		t.Fatalf("helper said %q, %v", line, err)
	}
	_, err = Acquire(path, 0)
	var held *HeldError
	if !errors.As(err, &held) || held.Holder == nil || held.Holder.PID != cmd.Process.Pid {
		t.Fatalf("Acquire while the helper holds it: %v, want held by pid %d", err, cmd.Process.Pid)
	}
	if !strings.Contains(err.Error(), "pid "+strconv.Itoa(cmd.Process.Pid)) || strings.Contains(err.Error(), "this process") {
		t.Errorf("message %q", err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	l, err := Acquire(path, 0)
	if err != nil {
		t.Fatalf("Acquire after the holder was killed: %v", err)
	}
	l.Release()
}
