package bustest

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gofrs/flock"
)

// NATSServerEnv names an environment variable that may point at a
// nats-server binary to use instead of building one (.ci/run can install
// one and set it).
const NATSServerEnv = "NEWSWATCH_NATS_SERVER"

var (
	natsBinOnce sync.Once
	natsBinPath string
	natsBinErr  error
)

// NATSServerBinary returns the path of a real nats-server binary: the one
// $NEWSWATCH_NATS_SERVER names, else the version this module requires
// (go.mod), built once with `go build` from the module cache (the Go
// module proxy on a fresh machine) into the user cache directory and
// reused by later test runs.
func NATSServerBinary(t testing.TB) string {
	t.Helper()
	natsBinOnce.Do(func() { natsBinPath, natsBinErr = natsServerBinary() })
	if natsBinErr != nil {
		t.Fatalf("nats-server binary: %v", natsBinErr)
	}
	return natsBinPath
}

func natsServerBinary() (string, error) {
	if p := os.Getenv(NATSServerEnv); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("$%s: %w", NATSServerEnv, err)
		}
		return p, nil
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", "github.com/nats-io/nats-server/v2").Output()
	if err != nil {
		return "", fmt.Errorf("go list nats-server version: %w", err)
	}
	version := strings.TrimSpace(string(out))
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "newswatch-test")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "nats-server-"+version)
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	// Test binaries of several packages may get here at once: one builds.
	lock := flock.New(bin + ".lock")
	if err := lock.Lock(); err != nil {
		return "", err
	}
	defer lock.Unlock()
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	tmp := fmt.Sprintf("%s.tmp-%d", bin, os.Getpid())
	cmd := exec.Command("go", "build", "-o", tmp, "github.com/nats-io/nats-server/v2")
	if b, err := cmd.CombinedOutput(); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("go build nats-server %s: %w\n%s", version, err, b)
	}
	if err := os.Rename(tmp, bin); err != nil {
		return "", err
	}
	return bin, nil
}

// ProcessConfig configures a nats-server process.
type ProcessConfig struct {
	// Name is the server name (unique in a cluster). Default "nats".
	Name string
	// Token, when set, is required from every client.
	Token string
	// Auth is extra configuration text for authentication, e.g. from
	// Operator.ServerConfig or an authorization block with nkey users.
	Auth string
	// TLS, when set, makes clients connect with TLS and present a
	// certificate signed by TLS.CA (mutual TLS).
	TLS *TLSFiles
	// SyncInterval is the JetStream sync_interval: "" for "always" (what
	// deploy/nats sets), else a duration such as "2m".
	SyncInterval string
	// Cluster, when set, names the cluster; RoutePorts are the route ports
	// of every member (this one's included, at RouteIndex).
	Cluster    string
	RoutePorts []int
	RouteIndex int
}

// Process is a nats-server running as a separate process, with JetStream
// storing under its own directory. It is stopped when the test ends.
type Process struct {
	Config     ProcessConfig
	Dir        string // JetStream store dir, config and log
	ClientPort int
	HTTPPort   int

	t   testing.TB
	mu  sync.Mutex
	cmd *exec.Cmd
	ret chan struct{}
}

// StartProcess starts a nats-server process with cfg, storing under a new
// t.TempDir(), and waits until it is healthy (JetStream included; in a
// cluster, until it has joined). It is killed when the test ends.
func StartProcess(t testing.TB, cfg ProcessConfig) *Process {
	t.Helper()
	p := newProcess(t, cfg)
	p.Start()
	return p
}

// newProcess prepares a process: ports, store dir and config file, and
// its kill (with the log's tail on failure) when the test ends.
func newProcess(t testing.TB, cfg ProcessConfig) *Process {
	t.Helper()
	p := &Process{Config: cfg, Dir: t.TempDir(), ClientPort: FreePort(t), HTTPPort: FreePort(t), t: t}
	if p.Config.Name == "" {
		p.Config.Name = "nats"
	}
	if err := os.WriteFile(p.configPath(), []byte(p.configText()), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			b, _ := os.ReadFile(p.logPath())
			t.Logf("nats-server %s log (tail):\n%s", p.Config.Name, tailLines(string(b), 30))
		}
	})
	return p
}

func (p *Process) configPath() string { return filepath.Join(p.Dir, "nats.conf") }
func (p *Process) logPath() string    { return filepath.Join(p.Dir, "nats.log") }

func (p *Process) configText() string {
	c := p.Config
	var b strings.Builder
	fmt.Fprintf(&b, "server_name: %q\nlisten: \"127.0.0.1:%d\"\nhttp: \"127.0.0.1:%d\"\n", c.Name, p.ClientPort, p.HTTPPort)
	fmt.Fprintf(&b, "log_file: %q\nmax_payload: 8MB\n", p.logPath())
	sync := c.SyncInterval
	if sync == "" {
		sync = "always"
	}
	fmt.Fprintf(&b, "jetstream {\n  store_dir: %q\n  sync_interval: %s\n}\n", filepath.Join(p.Dir, "js"), sync)
	if c.Token != "" {
		fmt.Fprintf(&b, "authorization {\n  token: %q\n}\n", c.Token)
	}
	if c.Auth != "" {
		b.WriteString(c.Auth + "\n")
	}
	if c.TLS != nil {
		fmt.Fprintf(&b, "tls {\n  cert_file: %q\n  key_file: %q\n  ca_file: %q\n  verify: true\n  timeout: 5\n}\n",
			c.TLS.ServerCert, c.TLS.ServerKey, c.TLS.CA)
	}
	if c.Cluster != "" {
		fmt.Fprintf(&b, "cluster {\n  name: %q\n  listen: \"127.0.0.1:%d\"\n  routes: [\n", c.Cluster, c.RoutePorts[c.RouteIndex])
		for i, rp := range c.RoutePorts {
			if i != c.RouteIndex {
				fmt.Fprintf(&b, "    \"nats-route://127.0.0.1:%d\"\n", rp)
			}
		}
		b.WriteString("  ]\n}\n")
	}
	return b.String()
}

// Start starts the process (again, after Kill or Stop) on the same ports
// and store, and waits until it is healthy.
func (p *Process) Start() {
	p.t.Helper()
	p.launch()
	if err := p.waitHealthy(60 * time.Second); err != nil {
		p.t.Fatal(err)
	}
}

// launch starts the process without waiting for it to be ready.
func (p *Process) launch() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		p.t.Fatalf("nats-server %s is already running", p.Config.Name)
	}
	cmd := exec.Command(NATSServerBinary(p.t), "-c", p.configPath())
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("start nats-server %s: %v", p.Config.Name, err)
	}
	ret := make(chan struct{})
	go func() { cmd.Wait(); close(ret) }()
	p.cmd, p.ret = cmd, ret
}

// waitHealthy polls the server's /healthz until JetStream is ready.
func (p *Process) waitHealthy(total time.Duration) error {
	url := fmt.Sprintf("http://127.0.0.1:%d/healthz", p.HTTPPort)
	deadline := time.Now().Add(total)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-p.ret:
			b, _ := os.ReadFile(p.logPath())
			return fmt.Errorf("nats-server %s exited at start:\n%s", p.Config.Name, tailLines(string(b), 20))
		default:
		}
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("healthz: %s", resp.Status)
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("nats-server %s not healthy within %v: %w", p.Config.Name, total, last)
}

// Pid is the process ID, 0 when stopped.
func (p *Process) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// Kill kills the process with SIGKILL (no chance to flush anything) and
// waits until it is gone. It is a no-op when the process is not running.
func (p *Process) Kill() { p.signal(syscall.SIGKILL) }

// Stop stops the process cleanly (SIGTERM) and waits until it is gone.
func (p *Process) Stop() { p.signal(syscall.SIGTERM) }

func (p *Process) signal(sig syscall.Signal) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.ret:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.ret
	}
	p.cmd = nil
}

// URL is the client URL (tls:// when the server requires TLS).
func (p *Process) URL() string {
	scheme := "nats"
	if p.Config.TLS != nil {
		scheme = "tls"
	}
	return fmt.Sprintf("%s://127.0.0.1:%d", scheme, p.ClientPort)
}

// ProcessCluster is a JetStream cluster of nats-server processes.
type ProcessCluster struct {
	Nodes []*Process
}

// StartProcessCluster starts n nats-server processes (n >= 3) routed to
// each other on loopback, each with its own store, base's settings
// (token, TLS, ...) and names n1..nN, and waits until every one is healthy
// (a JetStream meta leader elected).
func StartProcessCluster(t testing.TB, n int, base ProcessConfig) *ProcessCluster {
	t.Helper()
	routes := make([]int, n)
	for i := range routes {
		routes[i] = FreePort(t)
	}
	c := &ProcessCluster{Nodes: make([]*Process, n)}
	for i := range c.Nodes {
		cfg := base
		cfg.Name = fmt.Sprintf("n%d", i+1)
		cfg.Cluster, cfg.RoutePorts, cfg.RouteIndex = "newswatch-test", routes, i
		c.Nodes[i] = newProcess(t, cfg)
	}
	// Health needs a meta leader, hence a quorum: start all, then wait.
	for _, p := range c.Nodes {
		p.launch()
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, p := range c.Nodes {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = p.waitHealthy(90 * time.Second) }()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	return c
}

// URLs is the comma-separated client URL list of every member.
func (c *ProcessCluster) URLs() string {
	urls := make([]string, len(c.Nodes))
	for i, p := range c.Nodes {
		urls[i] = p.URL()
	}
	return strings.Join(urls, ",")
}

// Node returns the member with this server name.
func (c *ProcessCluster) Node(name string) *Process {
	for _, p := range c.Nodes {
		if p.Config.Name == name {
			return p
		}
	}
	return nil
}

// FreePort returns a TCP port on loopback that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
