package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/newswatch/newswatch/indexer"
	"github.com/newswatch/newswatch/pipeline"
)

// errAuditGaps is returned by `audit --dry-run` when it found gaps.
var errAuditGaps = errors.New("gaps found")

func cmdAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("audit", "[flags]",
		"Heals gaps between what the crawlers published and what the search store holds. Every\n"+
			"article in the crawl state (the url_state bucket: outlet, ID, latest version) is looked up\n"+
			"in the store; one the store lacks at that version is republished from its copy in the\n"+
			"ARTICLES stream for the indexer, unless the indexer has not reached that copy yet; one\n"+
			"with no copy left (lost below newswatch: disk, broker) gets its crawl state set back to\n"+
			"what the store holds, so the crawler publishes it again when it next sees the page.\n"+
			"Prints what it found. Works on a stopped `run` (--data) or against NATS (--nats) with\n"+
			"the store of the indexer (--store/--es; a Bleve index under --data is locked while\n"+
			"newswatch runs there).")
	var bf busFlags
	bf.register(fs)
	storeKind := fs.String("store", pipeline.StoreBleve, "search store: bleve (the index under --data) or elastic (--es)")
	var es esFlags
	es.register(fs)
	dry := fs.Bool("dry-run", false, "report only; exit status 1 if anything is out of step")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	log, err := newLogger(stderr, true, bf.level)
	if err != nil {
		return err
	}
	defer log.Sync()
	cfg, err := bf.pipelineConfig()
	if err != nil {
		return err
	}
	cfg.Store = *storeKind
	if cfg.Store == pipeline.StoreElastic {
		if cfg.Elastic, err = es.config(); err != nil {
			return err
		}
	} else if es.addresses != "" {
		return fmt.Errorf("--es needs --store %s", pipeline.StoreElastic)
	}
	st, err := pipeline.OpenStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	conn, closeBus, err := pipeline.OpenBus(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeBus()
	rep, err := indexer.Audit(ctx, conn, st, indexer.AuditConfig{DryRun: *dry}, log)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		printAudit(stdout, rep)
	}
	if *dry && !rep.Healthy() {
		return errAuditGaps
	}
	return nil
}

func printAudit(w io.Writer, r indexer.AuditReport) {
	fmt.Fprintf(w, "audit: %d articles in the crawl state, %d in the store at their version", r.Checked, r.Indexed)
	if r.DryRun {
		fmt.Fprint(w, " (dry run: nothing changed)")
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  missing from the store:        %d\n", r.Missing)
	fmt.Fprintf(w, "  stored without that version:   %d\n", r.Stale)
	fmt.Fprintf(w, "  republished from the stream:   %d\n", r.Republished)
	fmt.Fprintf(w, "  still on their way (in flight): %d\n", r.InFlight)
	fmt.Fprintf(w, "  gone from the stream, requeued for crawling: %d\n", r.Requeued)
	if r.Unreadable > 0 {
		fmt.Fprintf(w, "  unreadable crawl state entries: %d\n", r.Unreadable)
	}
	for _, f := range r.Examples {
		fmt.Fprintf(w, "  %-12s %s %s version %d (store: %d)\n", f.Action, f.Outlet, f.ID, f.Version, f.Stored)
	}
	fmt.Fprintf(w, "  read %d stream messages in %v\n", r.StreamScanned, r.Took.Round(time.Millisecond))
}
