package bleve

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	bv "github.com/blevesearch/bleve/v2"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/newswatch/newswatch/store/storetest"
)

// openHelperEnv makes the test binary act as TestOpenHelper: it opens the
// index in the directory named by the variable, says so on stdout, then
// (openHelperModeEnv) either exits or holds the index until killed.
const (
	openHelperEnv     = "NEWSWATCH_BLEVE_OPEN_DIR"
	openHelperModeEnv = "NEWSWATCH_BLEVE_OPEN_MODE"
)

func TestOpenHelper(t *testing.T) {
	dir := os.Getenv(openHelperEnv)
	if dir == "" {
		t.Skip("helper for TestCreateSurvivesKill and TestOpenReportsLockHolder")
	}
	fmt.Println("start")
	start := time.Now()
	x, err := Open(dir, Options{}, zap.NewNop())
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(2)
	}
	fmt.Println("opened", time.Since(start).Nanoseconds())
	if os.Getenv(openHelperModeEnv) == "hold" {
		select {} // until killed
	}
	x.Close()
	os.Exit(0)
}

// startOpenHelper runs TestOpenHelper on dir and returns once it has
// printed "start" (it is about to call Open); lines delivers the rest.
func startOpenHelper(t *testing.T, dir, mode string) (*exec.Cmd, <-chan string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestOpenHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), openHelperEnv+"="+dir, openHelperModeEnv+"="+mode)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 8)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	select {
	case l := <-lines:
		if l != "start" {
			t.Fatalf("helper said %q", l)
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("helper did not start in 30s")
	}
	return cmd, lines
}

// TestCreateSurvivesKill kills a process at random points while it creates
// the index (SIGKILL, no cleanup) and checks that every time the next Open
// succeeds without a warning and the index works.
func TestCreateSurvivesKill(t *testing.T) {
	if os.Getenv(openHelperEnv) != "" {
		t.Skip("in the helper")
	}
	// How long a creation takes here, from just before Open (the fastest
	// of three): kills land uniformly over 1.2 times that (some after it
	// finished).
	var took time.Duration
	for range 3 {
		cmd, lines := startOpenHelper(t, t.TempDir(), "exit")
		var d time.Duration
		for l := range lines {
			if ns, ok := strings.CutPrefix(l, "opened "); ok {
				n, _ := strconv.ParseInt(ns, 10, 64)
				d = time.Duration(n)
			}
		}
		if err := cmd.Wait(); err != nil || d == 0 {
			t.Fatalf("calibration run: %v, took %s", err, d)
		}
		if took == 0 || d < took {
			took = d
		}
	}
	const kills = 30
	seed := uint64(7)
	rng := rand.New(rand.NewPCG(seed, seed))
	window := took * 12 / 10
	t.Logf("creation takes %s; %d kills over %s (seed %d)", took, kills, window, seed)
	fixtures := storetest.Fixtures(t)
	killedDuring := 0
	for i := range kills {
		dir := t.TempDir()
		cmd, lines := startOpenHelper(t, dir, "exit")
		time.Sleep(time.Duration(rng.Int64N(int64(window) + 1)))
		cmd.Process.Signal(syscall.SIGKILL)
		opened := false
		for l := range lines {
			opened = opened || strings.HasPrefix(l, "opened ")
		}
		cmd.Wait()
		if !opened {
			killedDuring++
		}

		core, logs := observer.New(zap.WarnLevel)
		x, err := Open(dir, Options{}, zap.New(core))
		if err != nil {
			t.Fatalf("kill %d (opened: %v): next Open: %v", i, opened, err)
		}
		if logs.Len() != 0 {
			t.Errorf("kill %d (opened: %v): warnings on Open: %v", i, opened, logs.All())
		}
		if err := x.Put(context.Background(), fixtures); err != nil {
			t.Fatalf("kill %d: Put: %v", i, err)
		}
		if n := count(t, x, "переговоры"); n != 1 {
			t.Errorf("kill %d: search found %d, want 1", i, n)
		}
		if err := x.Close(); err != nil {
			t.Fatal(err)
		}
		if left, _ := filepath.Glob(filepath.Join(dir, tmpPrefix+"*")); len(left) > 0 {
			t.Errorf("kill %d: unfinished builds left: %v", i, left)
		}
	}
	t.Logf("%d of %d kills landed before Open returned", killedDuring, kills)
	if killedDuring < kills/4 {
		t.Errorf("only %d of %d kills landed during creation; the test does not test", killedDuring, kills)
	}
}

// TestOpenReportsLockHolder: an index held by another live process is
// refused with that process's pid; once it dies, Open succeeds.
func TestOpenReportsLockHolder(t *testing.T) {
	if os.Getenv(openHelperEnv) != "" {
		t.Skip("in the helper")
	}
	dir := t.TempDir()
	cmd, lines := startOpenHelper(t, dir, "hold")
	defer cmd.Process.Kill()
	if l := <-lines; !strings.HasPrefix(l, "opened ") {
		t.Fatalf("helper said %q", l)
	}
	_, err := Open(dir, Options{}, nil)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("Open of a held index: %v, want ErrLocked", err)
	}
	if want := "pid " + strconv.Itoa(cmd.Process.Pid); !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not name the holder (%s)", err, want)
	}
	t.Log(err)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	x := open(t, dir)
	x.Close()
}

// TestLegacyIndexes: index directories an older newswatch left (created in
// place, without the completion marker) are rebuilt when their creation was
// cut short and kept, with their articles, when it was not. One that fails
// to open for another reason is reported, not removed.
func TestLegacyIndexes(t *testing.T) {
	fixtures := storetest.Fixtures(t)
	for _, tc := range []struct {
		name    string
		make    func(t *testing.T, path string)
		rebuilt bool
	}{
		{"empty directory", func(t *testing.T, path string) {
			if err := os.MkdirAll(path, 0o755); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"meta without store", func(t *testing.T, path string) {
			legacyCreate(t, path, false)
			if err := os.RemoveAll(filepath.Join(path, "store")); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"no mapping version", func(t *testing.T, path string) {
			legacyCreate(t, path, false)
		}, true},
		{"complete", func(t *testing.T, path string) {
			legacyCreate(t, path, true)
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, IndexDirName)
			tc.make(t, path)
			core, logs := observer.New(zap.WarnLevel)
			x, err := Open(dir, Options{}, zap.New(core))
			if err != nil {
				t.Fatal(err)
			}
			defer x.Close()
			if got := logs.FilterMessageSnippet("creating it again").Len() == 1; got != tc.rebuilt {
				t.Errorf("rebuilt: %v, want %v (logs %v)", got, tc.rebuilt, logs.All())
			}
			if logs.FilterMessageSnippet("another version").Len() != 0 {
				t.Errorf("false version warning: %v", logs.All())
			}
			if _, err := os.Stat(filepath.Join(path, completeFileName)); err != nil {
				t.Errorf("no completion marker after Open: %v", err)
			}
			want := int64(1)
			if tc.rebuilt {
				want = 0
				if err := x.Put(context.Background(), fixtures); err != nil {
					t.Fatal(err)
				}
				want = 1
			}
			if n := count(t, x, "переговоры"); n != want {
				t.Errorf("search found %d, want %d", n, want)
			}
		})
	}
	t.Run("unreadable is reported", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, IndexDirName)
		legacyCreate(t, path, true)
		bolt := filepath.Join(path, "store", "root.bolt")
		if err := os.WriteFile(bolt, []byte(strings.Repeat("not a bolt file ", 512)), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Open(dir, Options{}, nil)
		if err == nil {
			t.Fatal("Open of a corrupt index succeeded")
		}
		if strings.Contains(err.Error(), "another") || errors.Is(err, ErrLocked) {
			t.Errorf("error blames another process: %v", err)
		}
		if _, serr := os.Stat(bolt); serr != nil {
			t.Errorf("corrupt index was removed: %v", serr)
		}
		t.Log(err)
	})
}

// legacyCreate makes an index the way newswatch did before crash-safe
// creation: in place, then the mapping version; with articles when
// complete.
func legacyCreate(t *testing.T, path string, complete bool) {
	t.Helper()
	m, err := newMapping()
	if err != nil {
		t.Fatal(err)
	}
	idx, err := bv.NewUsing(path, m, bv.Config.DefaultIndexType, bv.Config.DefaultKVStore, runtimeConfig())
	if err != nil {
		t.Fatal(err)
	}
	if complete {
		if err := idx.SetInternal([]byte(mappingVersionKey), []byte(mappingVersion)); err != nil {
			t.Fatal(err)
		}
		if err := idx.Close(); err != nil {
			t.Fatal(err)
		}
		// Articles as the store writes them.
		x, err := Open(filepath.Dir(path), Options{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := x.Put(context.Background(), storetest.Fixtures(t)); err != nil {
			t.Fatal(err)
		}
		x.Close()
		if err := os.Remove(filepath.Join(path, completeFileName)); err != nil {
			t.Fatal(err)
		}
		return
	}
	if err := idx.Close(); err != nil {
		t.Fatal(err)
	}
}
