package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	natsgo "github.com/nats-io/nats.go"

	"github.com/newswatch/newswatch/bus/bustest"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
	binDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// binary builds the newswatch binary once per test run.
func binary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "newswatch-bin-"); binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "newswatch")
		out, err := exec.Command("go", "build", "-ldflags", "-X main.version=v0.0.0-test", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// runBinary runs the binary to completion (at most a minute).
func runBinary(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command(binary(t), args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		<-done
		t.Fatalf("%v did not exit within a minute\n%s", args, errb.String())
	}
	return cmd.ProcessState.ExitCode(), out.String(), errb.String()
}

// wantStartupFailure checks a start-up failure as a user sees it: exit
// code 1, no panic, and exactly one line on stderr that is not a JSON log
// line: "newswatch CMD: cause", naming every one of names.
func wantStartupFailure(t *testing.T, args []string, names ...string) string {
	t.Helper()
	code, _, stderr := runBinary(t, args...)
	if code != 1 {
		t.Errorf("%v: exit code %d, want 1\n%s", args, code, stderr)
	}
	if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine ") {
		t.Fatalf("%v: panicked:\n%s", args, stderr)
	}
	var plain []string
	for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if !strings.HasPrefix(line, "{") {
			plain = append(plain, line)
		}
	}
	if len(plain) != 1 {
		t.Fatalf("%v: want one plain line on stderr, got %d:\n%s", args, len(plain), stderr)
	}
	line := plain[0]
	t.Logf("stderr: %s", line)
	if !strings.HasPrefix(line, "newswatch "+args[0]+": ") {
		t.Errorf("%v: stderr line %q does not start with the command", args, line)
	}
	for _, n := range names {
		if !strings.Contains(line, n) {
			t.Errorf("%v: stderr line %q does not name %q", args, line, n)
		}
	}
	return line
}

// testConfig writes an outlet config with one outlet on a loopback port
// where nothing answers.
func testConfig(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "outlets.yaml")
	cfg := "outlets:\n  - id: local\n    base_url: http://127.0.0.1:9/\n    feeds: [http://127.0.0.1:9/rss]\n"
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestBinaryStartupFailures(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	t.Parallel()
	cfg := testConfig(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	dataFile := filepath.Join(t.TempDir(), "data")
	os.WriteFile(dataFile, []byte("not a dir"), 0o644)
	indexFile := t.TempDir()
	os.WriteFile(filepath.Join(indexFile, "index"), []byte("not a dir"), 0o644)
	typo := filepath.Join(t.TempDir(), "dtaa")
	shortToken := filepath.Join(t.TempDir(), "token")
	os.WriteFile(shortToken, []byte("short\n"), 0o600)
	nats := "nats://" + closedAddr(t)
	for _, tc := range []struct {
		name  string
		args  []string
		names []string
	}{
		{"api port taken", []string{"run", "--config", cfg, "--data", t.TempDir(), "--listen", busy.Addr().String()},
			[]string{busy.Addr().String(), "address already in use"}},
		{"nats unreachable", []string{"indexer", "--nats", nats, "--data", t.TempDir()}, []string{nats, "connection refused"}},
		{"nats unreachable, crawler", []string{"crawler", "--nats", nats, "--config", cfg}, []string{nats, "connection refused"}},
		{"data dir is a file", []string{"run", "--config", cfg, "--data", dataFile, "--listen", "127.0.0.1:0"},
			[]string{dataFile, "not a directory"}},
		{"index path is a file", []string{"run", "--config", cfg, "--data", indexFile, "--listen", "127.0.0.1:0"},
			[]string{filepath.Join(indexFile, "index")}},
		{"api on a dir without an index", []string{"api", "--data", typo, "--listen", "127.0.0.1:0"},
			[]string{typo, "no search index"}},
		{"nats listener with a short token", []string{"run", "--config", cfg, "--data", t.TempDir(), "--listen", "127.0.0.1:0",
			"--nats-listen", "127.0.0.1:0", "--nats-token-file", shortToken}, []string{"token", "too short"}},
		{"nats listener with a seed for an nkey", []string{"run", "--config", cfg, "--data", t.TempDir(), "--listen", "127.0.0.1:0",
			"--nats-listen", "127.0.0.1:0", "--nats-nkey", "SUACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU3VY"}, []string{"SUACSSL3", "public user nkey"}},
		{"missing token file", []string{"run", "--config", cfg, "--data", t.TempDir(), "--nats-token-file", "/nonexistent/token"},
			[]string{"/nonexistent/token"}},
		{"missing config", []string{"run", "--config", "/nonexistent/outlets.yaml", "--data", t.TempDir()},
			[]string{"/nonexistent/outlets.yaml"}},
		{"unknown webhook target policy", []string{"run", "--config", cfg, "--data", t.TempDir(), "--webhook-targets", "open"},
			[]string{"--webhook-targets", `"open"`, "public, any or local"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantStartupFailure(t, tc.args, tc.names...)
		})
	}
	if _, err := os.Stat(typo); !os.IsNotExist(err) {
		t.Errorf("api created the mistyped data dir: %v", err)
	}
}

// startRun starts `newswatch run` and waits until its API answers.
func startRun(t *testing.T, cfg, data string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	addr := freePort(t)
	var stderr bytes.Buffer
	cmd := exec.Command(binary(t), "run", "--config", cfg, "--data", data, "--listen", addr)
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	bustest.CheckFor(t, 60*time.Second, 100*time.Millisecond, func() error {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	})
	return cmd, &stderr
}

// A second newswatch on a data dir in use is told which process holds it;
// once that one is killed with SIGKILL the dir is usable again.
func TestBinaryDataDirInUse(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	t.Parallel()
	cfg, data := testConfig(t), t.TempDir()
	first, _ := startRun(t, cfg, data)
	pid := fmt.Sprintf("pid %d", first.Process.Pid)
	wantStartupFailure(t, []string{"run", "--config", cfg, "--data", data, "--listen", "127.0.0.1:0"}, data, pid)
	wantStartupFailure(t, []string{"api", "--data", data, "--listen", "127.0.0.1:0"}, data, pid)
	first.Process.Kill()
	first.Wait()
	second, _ := startRun(t, cfg, data)
	second.Process.Signal(os.Interrupt)
	if err := second.Wait(); err != nil {
		t.Errorf("restart after kill -9: %v", err)
	}
}

// listeningPorts returns the TCP ports process pid listens on, from
// /proc (what `ss -ltnp` shows for it).
func listeningPorts(t *testing.T, pid int) map[int]bool {
	t.Helper()
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		link, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err == nil && strings.HasPrefix(link, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] = true
		}
	}
	ports := map[int]bool{}
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(table)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		sc.Scan() // header
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 10 || fields[3] != "0A" || !inodes[fields[9]] { // 0A: LISTEN
				continue
			}
			local := fields[1]
			port, err := strconv.ParseInt(local[strings.LastIndex(local, ":")+1:], 16, 32)
			if err == nil {
				ports[int(port)] = true
			}
		}
		f.Close()
	}
	return ports
}

func portOf(t *testing.T, hostport string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(hostport)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(p)
	return n
}

// checkDemoListeners checks that the demo process listens on the API's
// port and the simulated sites' ports, and on nothing else (no NATS).
func checkDemoListeners(t *testing.T, pid int, apiAddr, stdout string) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Log("listener check needs /proc")
		return
	}
	want := map[int]bool{portOf(t, apiAddr): true}
	for _, line := range strings.Split(stdout, "\n") {
		if i := strings.Index(line, "served on "); i >= 0 && strings.Contains(line, "simulated site") {
			hostport := strings.Fields(line[i+len("served on "):])[0]
			want[portOf(t, hostport)] = true
		}
	}
	if len(want) < 2 {
		t.Fatalf("no simulated site addresses in the demo's output:\n%s", stdout)
	}
	got := listeningPorts(t, pid)
	for p := range got {
		if !want[p] {
			t.Errorf("demo listens on port %d, which is neither the API nor a simulated site (want only %v)", p, want)
		}
	}
	for p := range want {
		if !got[p] {
			t.Errorf("demo does not listen on %d (listens on %v)", p, got)
		}
	}
}

// `run --nats-listen` prints a generated token once; NATS clients without
// it are refused, with it they get in.
func TestBinaryNATSListenToken(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	t.Parallel()
	cmd := exec.Command(binary(t), "run", "--config", testConfig(t), "--data", t.TempDir(), "--listen", "127.0.0.1:0", "--nats-listen", "127.0.0.1:0")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	sc := bufio.NewScanner(out)
	var url, token string
	for url == "" && sc.Scan() {
		// "  NATS:           nats://127.0.0.1:PORT (token TOKEN; pass it with --nats-token-file)"
		f := strings.Fields(sc.Text())
		if len(f) >= 4 && f[0] == "NATS:" && f[2] == "(token" {
			url, token = f[1], strings.TrimSuffix(f[3], ";")
		}
	}
	if url == "" {
		t.Fatalf("no NATS address and token printed\n%s", stderr.String())
	}
	if strings.Contains(stderr.String(), token) {
		t.Error("the token is in the logs too")
	}
	if nc, err := natsgo.Connect(url, natsgo.MaxReconnects(0)); err == nil {
		nc.Close()
		t.Error("a client without the token connected")
	} else if !strings.Contains(strings.ToLower(err.Error()), "authorization") {
		t.Errorf("client without the token: %v, want an authorization error", err)
	}
	nc, err := natsgo.Connect(url, natsgo.Token(token), natsgo.MaxReconnects(0))
	if err != nil {
		t.Fatalf("client with the printed token: %v", err)
	}
	nc.Close()
	tokenFile := filepath.Join(t.TempDir(), "token")
	os.WriteFile(tokenFile, []byte(token+"\n"), 0o600)
	// A scale-out part presents the token from a file.
	ix := exec.Command(binary(t), "indexer", "--nats", url, "--nats-token-file", tokenFile, "--data", t.TempDir())
	var ixErr syncBuffer
	ix.Stderr = &ixErr
	if err := ix.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { ix.Process.Kill(); ix.Wait() }()
	bustest.CheckFor(t, 30*time.Second, 100*time.Millisecond, func() error {
		if !strings.Contains(ixErr.String(), "indexer started") {
			return fmt.Errorf("indexer not started:\n%s", ixErr.String())
		}
		return nil
	})
}

// syncBuffer is a bytes.Buffer that a running process writes while the
// test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
