package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/newswatch/newswatch/bus"
	"github.com/newswatch/newswatch/pipeline"
)

// busFlags are the flags of the tools that work on the bus (dead, audit):
// an external or running NATS (--nats), or the embedded server's files
// under --data while newswatch is stopped.
type busFlags struct {
	data      string
	nats      string
	tokenFile string
	auth      natsAuthFlags
	level     string
}

func (f *busFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.data, "data", pipeline.DefaultDataDir, "data directory of a stopped `newswatch run` (its embedded NATS files); not with --nats")
	fs.StringVar(&f.nats, "nats", "", "NATS URL(s), comma-separated: an external NATS, or a running `run --nats-listen`")
	fs.StringVar(&f.tokenFile, "nats-token-file", "", "`file` holding the token to present to --nats")
	f.auth.register(fs)
	fs.StringVar(&f.level, "log-level", "warn", "log level on stderr: debug, info, warn, error")
}

// readToken reads a --nats-token-file.
func readToken(file string) (string, error) {
	if file == "" {
		return "", nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("--nats-token-file: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("--nats-token-file %s is empty", file)
	}
	return tok, nil
}

// connect connects to NATS as the flags say (pipeline.OpenBus): --nats,
// or the embedded server's files under --data, which fails naming the
// holder while newswatch runs there. close releases everything.
func (f *busFlags) connect(ctx context.Context, log *zap.Logger) (conn *bus.Conn, close func(), err error) {
	cfg, err := f.pipelineConfig()
	if err != nil {
		return nil, nil, err
	}
	return pipeline.OpenBus(ctx, cfg, log)
}

// pipelineConfig is the bus part of a pipeline config.
func (f *busFlags) pipelineConfig() (pipeline.Config, error) {
	tok, err := readToken(f.tokenFile)
	if err != nil {
		return pipeline.Config{}, err
	}
	return pipeline.Config{DataDir: f.data, NATSURL: f.nats, NATSToken: tok, NATSAuth: f.auth.auth()}, nil
}

// parseSince parses a --since value: RFC 3339, a date (YYYY-MM-DD, UTC) or
// a duration back from now ("24h").
func parseSince(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return time.Now().Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("--since %q: want RFC 3339 (2025-02-21T18:17:00+04:00), a date (2025-02-21) or a duration back from now (24h)", s)
}
