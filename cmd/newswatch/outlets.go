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
	if len(args) == 0 || args[0] != "check" {
		fmt.Fprintln(stderr, "usage: newswatch outlets check [--config FILE]")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return flag.ErrHelp
		}
		return errUsage
	}
	fs := flag.NewFlagSet("outlets check", flag.ContinueOnError)
	config := fs.String("config", "outlets.yaml", "outlet config file (YAML)")
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
