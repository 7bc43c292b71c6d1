package bustest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/newswatch/newswatch/bus"
)

// Cluster is an in-process NATS cluster with clustered JetStream.
type Cluster struct {
	Servers []*bus.Embedded // nil while a member is stopped
	configs []bus.EmbeddedConfig
	t       testing.TB
}

// RunCluster starts n embedded servers (n >= 3 for JetStream) on loopback
// with random client ports and Token as their token, routed to each other,
// each storing under its own t.TempDir(), and shuts them down when the test
// ends.
func RunCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	ports := make([]int, n)
	for i := range ports {
		ports[i] = FreePort(t)
	}
	routes := make([]string, n)
	for i, p := range ports {
		routes[i] = fmt.Sprintf("nats://127.0.0.1:%d", p)
	}
	c := &Cluster{t: t}
	for i := 0; i < n; i++ {
		cfg := TCPConfig(t.TempDir())
		cfg.ServerName = fmt.Sprintf("n%d", i+1)
		cfg.ClusterName = "newswatch-test"
		cfg.ClusterPort = ports[i]
		cfg.Routes = routes
		c.configs = append(c.configs, cfg)
		c.Servers = append(c.Servers, RunServer(t, cfg))
	}
	return c
}

// URLs is the comma-separated client URL list of the running members.
func (c *Cluster) URLs() string {
	var urls []string
	for _, s := range c.Servers {
		if s != nil {
			urls = append(urls, s.ClientURL())
		}
	}
	return strings.Join(urls, ",")
}

// Stop shuts down the member with this server name and returns its index.
func (c *Cluster) Stop(name string) int {
	c.t.Helper()
	for i, cfg := range c.configs {
		if cfg.ServerName == name && c.Servers[i] != nil {
			c.Servers[i].Shutdown()
			c.Servers[i] = nil
			return i
		}
	}
	c.t.Fatalf("no running cluster member %q", name)
	return -1
}

// Restart starts stopped member i again on its data directory. It gets new
// random client and route ports (its old ones may have been taken by
// another process meanwhile): it dials the other members itself, and
// clients learn its new address from the cluster.
func (c *Cluster) Restart(i int) {
	c.t.Helper()
	cfg := c.configs[i]
	cfg.Port, cfg.ClusterPort = -1, -1
	c.Servers[i] = RunServer(c.t, cfg)
}

// ConnectCluster connects to every member, waits until clustered
// JetStream accepts EnsureStreamsWith(cfg) (a meta leader is elected), and
// closes the connection when the test ends.
func ConnectCluster(t testing.TB, c *Cluster, cfg bus.StreamConfig) *bus.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := bus.Connect(ctx, c.URLs(), Logger(t), nats.Token(Token))
	if err != nil {
		t.Fatalf("connect cluster: %v", err)
	}
	t.Cleanup(conn.Close)
	CheckFor(t, 30*time.Second, 100*time.Millisecond, func() error {
		sctx, scancel := context.WithTimeout(ctx, 5*time.Second)
		defer scancel()
		return conn.EnsureStreamsWith(sctx, cfg)
	})
	return conn
}
