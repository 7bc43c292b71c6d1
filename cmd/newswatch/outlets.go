package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/newswatch/newswatch/crawler"
)

func cmdOutlets(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("outlets check", "[flags]",
		"Validates an outlet config file: every problem is printed as file:line:column: message.\n"+
			"Exit status 1 if there is any. It checks the syntax and values, not the outlets' reachability.")
	config := fs.String("config", "outlets.yaml", "outlet config file (YAML)")
	if len(args) == 0 || args[0] != "check" {
		fs.SetOutput(stderr)
		fs.Usage()
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			return flag.ErrHelp
		}
		return errUsage
	}
	if err := parseFlags(fs, args[1:], stderr); err != nil {
		return err
	}
	cfg, err := crawler.LoadConfig(*config)
	var ve *crawler.ValidationError
	if errors.As(err, &ve) {
		for _, p := range ve.Problems {
			fmt.Fprintln(stdout, p.String())
		}
		return fmt.Errorf("%s: %d problem(s)", *config, len(ve.Problems))
	}
	if err != nil {
		return err
	}
	enabled := 0
	for _, o := range cfg.Outlets {
		if !o.Disabled {
			enabled++
		}
	}
	fmt.Fprintf(stdout, "%s: ok, %d outlets (%d enabled)\n", *config, len(cfg.Outlets), enabled)
	return nil
}
