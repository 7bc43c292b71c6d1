// Command newswatch is the one newswatch binary: the whole pipeline in one
// process (run, demo), each part alone for scale-out (crawler, indexer, api),
// and tools (extract, outlets check, version). `newswatch <command> --help`
// says what a command does and documents its flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one subcommand: it parses its own flags from args and runs
// until done or until ctx is cancelled (SIGINT/SIGTERM).
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() map[string]command {
	return map[string]command{
		"run":     {"everything in one process: embedded NATS, crawlers, indexer, API", cmdRun},
		"demo":    {"run against a built-in simulated outlet site on loopback (works offline)", cmdDemo},
		"crawler": {"the crawlers alone, publishing to an external NATS", cmdCrawler},
		"crawl":   {"backfill one outlet back to a date (resumable, with a progress bar)", cmdCrawl},
		"indexer": {"the indexer alone, consuming from an external NATS", cmdIndexer},
		"api":     {"the HTTP API alone, over an existing store", cmdAPI},
		"extract": {"fetch (or read) one page and print the Article as JSON", cmdExtract},
		"outlets": {"outlets check: validate the outlet config", cmdOutlets},
		"dead":    {"dead list|replay: the articles the indexer gave up on", cmdDead},
		"audit":   {"heal gaps between the crawl state and the search store", cmdAudit},
		"export":  {"export every article a query matches (CSV, NDJSON, Parquet) with a manifest", cmdExport},
		"keys":    {"keys create|list|revoke: the API's keys", cmdKeys},
		"version": {"print the version of this binary", cmdVersion},
		"watch":   {"watch create|list|delete|events: saved queries alerting on new articles, edits, outlets, gaps", cmdWatch},
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: newswatch <command> [flags]\n\ncommands:")
	cmds := commands()
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\n`newswatch <command> --help` shows the command's flags.")
}

func main() {
	os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr))
}

// errUsage marks an error already reported by flag parsing.
var errUsage = errors.New("usage")

func realMain(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands()[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "newswatch: unknown command %q\n", args[0])
		usage(stderr)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := cmd.run(ctx, args[1:], stdout, stderr)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	default:
		fmt.Fprintf(stderr, "newswatch %s: %v\n", args[0], err)
		return 1
	}
}

// parseFlags parses args into fs, printing errors and usage to stderr.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "unexpected arguments: %v\n", fs.Args())
		fs.Usage()
		return errUsage
	}
	return nil
}
