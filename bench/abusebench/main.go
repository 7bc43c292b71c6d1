// Command abusebench measures what hostile search queries do to everyone
// else: it serves a realistic index through the real API and times a cheap
// query while 16 clients send worst-case queries, with the search limits
// on and off, side by side in one run (make bench-abuse).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/newswatch/newswatch/bench/suite"
)

func main() {
	var cfg suite.AbuseConfig
	flag.IntVar(&cfg.Articles, "articles", 30000, "articles in the index")
	flag.IntVar(&cfg.Heavy, "heavy", 16, "concurrent clients sending worst-case queries")
	flag.DurationVar(&cfg.Duration, "duration", 20*time.Second, "length of each loaded phase")
	flag.IntVar(&cfg.Idle, "idle", 200, "cheap queries timed on the idle server")
	flag.StringVar(&cfg.Cheap, "cheap", "Bakı", "the cheap query")
	flag.StringVar(&cfg.Dir, "dir", "", "index directory, kept for reruns (default: a temporary one, removed)")
	out := flag.String("out", "", "also write the result as JSON to this file")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "Usage: abusebench [flags]\n\nTimes a cheap search while clients send worst-case searches, with newswatch's search limits on and off.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := suite.Abuse(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "abusebench:", err)
		os.Exit(1)
	}
	fmt.Print(suite.AbuseTable(res))
	if *out != "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "abusebench:", err)
			os.Exit(1)
		}
	}
}
