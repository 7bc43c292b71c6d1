package main

import (
	"context"
	"fmt"
	"io"
	"strings"
)

// subcommand is one subcommand of a command that has several (keys,
// watch).
type subcommand struct {
	name string
	run  func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// dispatch runs the subcommand named by args[0] of command name with the
// rest of args. Without one it prints the usage to stderr (errUsage); with
// -h, --help or help, to stdout; an unknown one is named before the usage.
func dispatch(ctx context.Context, name, about string, subs []subcommand, args []string, stdout, stderr io.Writer) error {
	names := make([]string, len(subs))
	for i, s := range subs {
		names[i] = s.name
	}
	usage := func(w io.Writer) {
		fmt.Fprintf(w, "usage: newswatch %s %s [flags]\n\n%s\n\n`newswatch %s <subcommand> --help` lists its flags.\n",
			name, strings.Join(names, "|"), about, name)
	}
	if len(args) == 0 {
		usage(stderr)
		return errUsage
	}
	switch args[0] {
	case "-h", "--help", "help":
		usage(stdout)
		return nil
	}
	for _, s := range subs {
		if s.name == args[0] {
			return s.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "newswatch %s: unknown subcommand %q\n", name, args[0])
	usage(stderr)
	return errUsage
}
