package bus_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"gopkg.in/yaml.v3"
)

// The NATS configs of the compose cluster (deploy/nats) flush to disk
// before acknowledging, make clients authenticate with a token and routes
// with a password; a server started from one refuses a client without the
// token.
func TestDeployNATSConfigs(t *testing.T) {
	const token, routePass = "deploy-test-token-0123456789", "route-pass-0123456789"
	t.Setenv("NATS_TOKEN", token)
	t.Setenv("NATS_ROUTE_PASSWORD", routePass)
	for i := 1; i <= 3; i++ {
		n := strconv.Itoa(i)
		t.Setenv("NATS_ROUTE_"+n, "nats-route://route:"+routePass+"@nats-"+n+":6222")
	}
	files, _ := filepath.Glob("../deploy/nats/*.conf")
	if len(files) != 3 {
		t.Fatalf("found %d NATS configs in deploy/nats, want 3", len(files))
	}
	for _, f := range files {
		opts, err := server.ProcessConfigFile(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if !opts.SyncAlways {
			t.Errorf("%s: jetstream does not sync before acknowledging (want sync_interval: always)", f)
		}
		if opts.Authorization != token {
			t.Errorf("%s: client token %q, want the one from $NATS_TOKEN", f, opts.Authorization)
		}
		if opts.Cluster.Username == "" || opts.Cluster.Password != routePass {
			t.Errorf("%s: routes accept %q/%q, want a user with $NATS_ROUTE_PASSWORD", f, opts.Cluster.Username, opts.Cluster.Password)
		}
		if len(opts.Routes) != 3 {
			t.Errorf("%s: %d routes", f, len(opts.Routes))
		}
		for _, r := range opts.Routes {
			if p, _ := r.User.Password(); r.User.Username() != opts.Cluster.Username || p != routePass {
				t.Errorf("%s: route %s does not carry the route credentials", f, r.Redacted())
			}
		}
	}

	// A server from the first config (on a free port, without the cluster)
	// refuses anonymous clients.
	opts, err := server.ProcessConfigFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	opts.Host, opts.Port, opts.HTTPPort = "127.0.0.1", -1, 0
	opts.StoreDir = t.TempDir()
	opts.Cluster, opts.Routes = server.ClusterOpts{}, nil
	opts.NoSigs, opts.NoLog = true, true
	srv, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	defer func() { srv.Shutdown(); srv.WaitForShutdown() }()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("server not ready")
	}
	if nc, err := nats.Connect(srv.ClientURL(), nats.MaxReconnects(0)); err == nil {
		nc.Close()
		t.Error("anonymous client connected")
	}
	nc, err := nats.Connect(srv.ClientURL(), nats.Token(token), nats.MaxReconnects(0))
	if err != nil {
		t.Fatalf("client with the token: %v", err)
	}
	nc.Close()
}

// The compose file hands the NATS servers their secrets and newswatch its
// token.
func TestDeployComposeUsesNATSAuth(t *testing.T) {
	b, err := os.ReadFile("../deploy/docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		XNATS struct {
			Environment map[string]string `yaml:"environment"`
		} `yaml:"x-nats"`
		Services map[string]struct {
			Command []string `yaml:"command"`
			Secrets []string `yaml:"secrets"`
			Ports   []string `yaml:"ports"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"NATS_TOKEN", "NATS_ROUTE_PASSWORD", "NATS_ROUTE_1", "NATS_ROUTE_2", "NATS_ROUTE_3"} {
		if doc.XNATS.Environment[v] == "" {
			t.Errorf("the NATS services get no %s", v)
		}
	}
	nw, ok := doc.Services["newswatch"]
	if !ok {
		t.Fatal("no newswatch service")
	}
	if !strings.Contains(strings.Join(nw.Command, " "), "--nats-token-file=/run/secrets/nats_token") || len(nw.Secrets) == 0 {
		t.Errorf("newswatch does not present the NATS token: %v", nw.Command)
	}
	for name, s := range doc.Services {
		if strings.HasPrefix(name, "nats") && len(s.Ports) > 0 {
			t.Errorf("%s publishes ports %v", name, s.Ports)
		}
	}
}
