package suite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// DemoConfig sizes the demo benchmark.
type DemoConfig struct {
	// Binary is a built `newswatch` binary (see BuildBinary).
	Binary string
	// Articles passed to `newswatch demo --articles`. Default 1000.
	Articles int
	// Timeout bounds the wait for every article to be searchable.
	// Default 3 minutes.
	Timeout time.Duration
	// Stderr receives the demo's logs; nil discards them.
	Stderr *os.File
}

// DemoResult holds the demo timings, from process start.
type DemoResult struct {
	Articles int `json:"articles"`
	// APISeconds is when /v1/search first answered.
	APISeconds float64 `json:"api_seconds"`
	// FirstSeconds is when the first article was searchable.
	FirstSeconds float64 `json:"first_seconds"`
	// AllSeconds is when all Articles were searchable.
	AllSeconds float64 `json:"all_seconds"`
	Polls      int     `json:"polls"`
	// MaxRSSKB is the demo process's peak RSS (getrusage), in KiB.
	MaxRSSKB int64 `json:"max_rss_kb"`
}

// BuildBinary runs `go build -o dir/name pkg` in the module root and
// returns the binary's path.
func BuildBinary(ctx context.Context, root, pkg, dir string) (string, error) {
	out := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %w: %s", pkg, err, b)
	}
	return out, nil
}

// ModuleRoot finds the directory of go.mod from the working directory up.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Demo starts `newswatch demo --articles N` on a free port with a fresh
// data directory and polls /v1/search?size=0 every 50 ms until all N
// articles are searchable; it reports the times from process start. There
// is no peer: this is the user's first experience, end to end.
func Demo(ctx context.Context, cfg DemoConfig) (DemoResult, error) {
	if cfg.Articles <= 0 {
		cfg.Articles = 1000
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 3 * time.Minute
	}
	res := DemoResult{Articles: cfg.Articles}
	dir, err := os.MkdirTemp("", "nwbench-demo-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	port, err := freePort()
	if err != nil {
		return res, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command(cfg.Binary, "demo", "--articles", strconv.Itoa(cfg.Articles), "--listen", addr, "--data", filepath.Join(dir, "data"),
		"--publish-every", "0", "--edit-every", "0", "--outage-every", "0")
	if cfg.Stderr != nil {
		cmd.Stdout, cmd.Stderr = cfg.Stderr, cfg.Stderr
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return res, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() error {
		_ = cmd.Process.Signal(syscall.SIGINT)
		select {
		case err := <-exited:
			return err
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
			return errors.New("demo did not stop within 30s of SIGINT")
		}
	}
	client := &http.Client{Timeout: 5 * time.Second}
	url := "http://" + addr + "/v1/search?size=0"
	deadline := time.After(cfg.Timeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-exited:
			return res, fmt.Errorf("demo exited early: %v", err)
		case <-deadline:
			_ = stop()
			return res, fmt.Errorf("not all %d articles searchable after %v", cfg.Articles, cfg.Timeout)
		case <-ctx.Done():
			_ = stop()
			return res, ctx.Err()
		case <-tick.C:
		}
		res.Polls++
		total, err := searchTotal(client, url)
		if err != nil {
			continue // not up yet
		}
		el := time.Since(start).Seconds()
		if res.APISeconds == 0 {
			res.APISeconds = el
		}
		if total > 0 && res.FirstSeconds == 0 {
			res.FirstSeconds = el
		}
		if total >= int64(cfg.Articles) {
			res.AllSeconds = el
			break
		}
	}
	err = stop()
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			res.MaxRSSKB = ru.Maxrss
		}
	}
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			return res, err
		}
		return res, fmt.Errorf("demo exit after SIGINT: %w", err)
	}
	return res, nil
}

func searchTotal(c *http.Client, url string) (int64, error) {
	resp, err := c.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("status %d", resp.StatusCode)
	}
	var r struct {
		Total int64 `json:"total"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return 0, err
	}
	return r.Total, nil
}

// DemoFigures turns a DemoResult into table rows.
func DemoFigures(r DemoResult) []Figure {
	all := Single(fmt.Sprintf("demo start -> %d searchable", r.Articles), "s", LowerIsBetter, r.AllSeconds,
		fmt.Sprintf("newswatch demo --articles %d as a subprocess (fresh data dir), polling /v1/search?size=0 every 50 ms; API up at %.2f s, first article searchable at %.2f s, demo peak RSS %.0f MiB",
			r.Articles, r.APISeconds, r.FirstSeconds, float64(r.MaxRSSKB)/1024))
	return []Figure{all}
}
