package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/newswatch/newswatch/bus"
)

const deadAbout = "Dead letters are the articles the indexer gave up on (an undecodable or invalid message at\n" +
	"once, an article the store kept rejecting after its deliveries), kept in the stream\n" +
	"ARTICLES_DEAD with the reason and the error.\n\n" +
	"  dead list    prints them, oldest first (--json: one JSON object per line)\n" +
	"  dead replay  puts them back on their subjects for the indexer, once the cause is fixed,\n" +
	"               and removes them from the dead letters; one that fails again comes back"

func cmdDead(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "list" && args[0] != "replay") {
		fs := newFlagSet("dead", "list|replay [flags]", deadAbout)
		fs.SetOutput(stderr)
		fs.Usage()
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			return flag.ErrHelp
		}
		return errUsage
	}
	sub := args[0]
	fs := newFlagSet("dead "+sub, "[flags]", deadAbout)
	var bf busFlags
	bf.register(fs)
	outlet := fs.String("outlet", "", "only this outlet's dead letters")
	since := fs.String("since", "", "only those dead-lettered since this `time`: RFC 3339, a date (UTC) or a duration back from now (24h)")
	reason := fs.String("reason", "", "only this `reason`: undecodable, invalid, outlet_mismatch, store_failed")
	asJSON := false
	if sub == "list" {
		fs.BoolVar(&asJSON, "json", false, "one JSON object per line instead of a table")
	}
	if err := parseFlags(fs, args[1:], stderr); err != nil {
		return err
	}
	f := bus.DeadFilter{Outlet: *outlet, Reason: *reason}
	var err error
	if f.Since, err = parseSince(*since); err != nil {
		return err
	}
	log, err := newLogger(stderr, true, bf.level)
	if err != nil {
		return err
	}
	conn, closeBus, err := bf.connect(ctx, log)
	if err != nil {
		return err
	}
	defer closeBus()
	if sub == "replay" {
		res, err := conn.Redrive(ctx, f)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "replayed %d dead letter(s); %d left in place (no article subject to put them back on)\n", res.Republished, res.Skipped)
		return nil
	}
	return listDead(ctx, conn, f, asJSON, stdout)
}

func listDead(ctx context.Context, conn *bus.Conn, f bus.DeadFilter, asJSON bool, stdout io.Writer) error {
	if asJSON {
		enc := json.NewEncoder(stdout)
		return conn.Dead(ctx, f, func(d bus.DeadMessage) error { return enc.Encode(d) })
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tDEAD AT (UTC)\tOUTLET\tREASON\tDELIVERIES\tARTICLE\tERROR")
	n := 0
	err := conn.Dead(ctx, f, func(d bus.DeadMessage) error {
		n++
		what := d.ArticleID
		if what == "" {
			what = fmt.Sprintf("(%d bytes)", d.Bytes)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\n", d.Seq, d.At.UTC().Format(time.DateTime), d.Outlet, d.Reason, d.Deliveries, what, d.Error)
		return nil
	})
	if err != nil {
		return err
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d dead letter(s)\n", n)
	return nil
}
