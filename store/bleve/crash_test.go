package bleve

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"

	"go.uber.org/zap"

	"github.com/newswatch/newswatch/store/storetest"
)

const crashDirEnv = "NEWSWATCH_BLEVE_CRASH_DIR"

// TestCrashHelper is run by TestPutIsDurable in a child process: it stores
// the fixtures and exits at once, without Close.
func TestCrashHelper(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("helper for TestPutIsDurable")
	}
	x, err := Open(dir, Options{}, zap.NewNop())
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(2)
	}
	if err := x.Put(context.Background(), storetest.Fixtures(t)); err != nil {
		fmt.Println("put:", err)
		os.Exit(2)
	}
	os.Exit(0) // a crash right after Put returned: no Close, no flush
}

// TestPutIsDurable: what Put confirmed survives the process dying before
// Close, so the indexer may ack as soon as Put returns.
func TestPutIsDurable(t *testing.T) {
	if os.Getenv(crashDirEnv) != "" {
		t.Skip("in the helper")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	x := open(t, dir)
	defer x.Close()
	arts := storetest.Fixtures(t)
	for _, a := range arts {
		rec, err := x.Get(context.Background(), a.ID)
		if err != nil {
			t.Fatalf("after crash: Get(%s): %v", a.URL, err)
		}
		if rec.Article.Body != a.Body {
			t.Errorf("after crash: %s body differs", a.URL)
		}
	}
	if n := count(t, x, "переговоры"); n != 1 {
		t.Errorf("after crash: search found %d", n)
	}
}
