package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/newswatch/newswatch/bus"
	"github.com/newswatch/newswatch/bus/bustest"
	"github.com/newswatch/newswatch/simsite"
)

// Acceptance: `newswatch crawl --outlet ID --since DATE` interrupted with
// Ctrl-C (SIGINT) part-way and run again finishes without fetching again
// any article page it already has: every article of the outlet is fetched
// exactly once over the two runs and published exactly once; progress
// shows as plain lines when stderr is no terminal. Just before the
// interrupt the outlet starts sending its article pages slowly (over half
// a second each), so that Ctrl-C finds one on the wire: the page the
// outlet goes on sending after Ctrl-C is kept (published and recorded by
// the first run), not fetched again by the second.
func TestCrawlBackfillResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary twice")
	}
	t.Parallel()
	site := startSiteWith(t, simsite.Config{Seed: 51, Articles: 240})
	// One request at a time, 15 ms apart: the caliber backfill (80
	// articles, about 40 feeds, sitemaps and listings) takes a few
	// seconds, time to interrupt it.
	cfg := siteConfig(t, site, 15*time.Millisecond)
	data := t.TempDir()
	want := 0
	for _, a := range site.Articles() {
		if a.Outlet == "caliber" {
			want++
		}
	}
	args := []string{"crawl", "--outlet", "caliber", "--since", "2025-01-01", "--config", cfg, "--data", data, "--progress", "lines"}
	fetched := func() int {
		n := 0
		for _, k := range articleFetches(site) {
			n += k
		}
		return n
	}
	first := startProc(t, args...)
	bustest.CheckFor(t, time.Minute, 10*time.Millisecond, func() error {
		if n := fetched(); n < want/3 {
			return fmt.Errorf("%d of %d article pages fetched", n, want)
		}
		return nil
	})
	if err := site.SetFaults("caliber", simsite.Faults{SlowBody: 600 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // the next article request starts
	interrupted := time.Now()
	if err := first.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-first.done:
	case <-time.After(30 * time.Second):
		t.Fatal("no exit within 30s of SIGINT")
	}
	took := time.Since(interrupted)
	atStop := fetched()
	stderr := first.stderr.String()
	if code := first.cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(stderr, "interrupted after") || !strings.Contains(stderr, "the same command again") {
		t.Fatalf("interrupted run: exit %d\n%s", code, tail(stderr))
	}
	if atStop >= want {
		t.Fatalf("the interrupt came after the backfill had finished (%d of %d)", atStop, want)
	}
	// Every article page the outlet sent the first run, the one on the
	// wire at SIGINT included, was published by it.
	inFlight := 0
	for _, r := range site.Requests() {
		if r.Kind == "article" && r.Status == 200 && !r.Start.After(interrupted) && r.Start.Add(r.Duration).After(interrupted) {
			inFlight++
		}
	}
	var published int
	if _, err := fmt.Sscanf(summaryAfter(first.stdout.String()), "%d articles published", &published); err != nil || published != atStop {
		t.Errorf("the first run published %d articles (%v), but the outlet sent it %d article pages (%d on the wire at SIGINT)\nstdout: %s",
			published, err, atStop, inFlight, first.stdout.String())
	}
	if err := site.SetFaults("caliber", simsite.Faults{}); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runBinary(t, args...)
	if code != 0 {
		t.Fatalf("second run: exit %d\n%s", code, tail(errOut))
	}
	if !strings.Contains(errOut, "crawl caliber: ") || !strings.Contains(errOut, " articles/s, ETA ") {
		t.Errorf("no progress lines on stderr:\n%s", tail(errOut))
	}
	for page, n := range articleFetches(site) {
		if n > 1 {
			t.Errorf("article page %s fetched %d times over the two runs", page, n)
		}
	}
	if n := fetched(); n != want {
		t.Errorf("%d article pages fetched over the two runs, want %d", n, want)
	}
	// Every caliber article is on the bus once, waiting for an indexer.
	e := bustest.RunServerOnDir(t, data)
	conn := bustest.Connect(t, e)
	s, err := conn.JetStream().Stream(context.Background(), bus.StreamArticles)
	if err != nil {
		t.Fatal(err)
	}
	if n := s.CachedInfo().State.Msgs; n != uint64(want) {
		t.Errorf("ARTICLES holds %d messages, want %d", n, want)
	}
	t.Logf("interrupted at %d of %d article pages (%d on the wire at SIGINT, exit %v later); the second run fetched the other %d; summary: %s",
		atStop, want, inFlight, took.Round(time.Millisecond), want-atStop, strings.TrimSpace(out))
}

// summaryAfter returns what follows "crawl OUTLET since DATE: " in a
// crawl's summary line.
func summaryAfter(stdout string) string {
	_, after, _ := strings.Cut(stdout, ": ")
	return after
}

// Wrong uses of crawl are one-line errors.
func TestCrawlUsage(t *testing.T) {
	cfg := testConfig(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"crawl", "--since", "2025-01-01", "--config", cfg}, "--outlet is required"},
		{[]string{"crawl", "--outlet", "local", "--config", cfg}, "--since is required"},
		{[]string{"crawl", "--outlet", "nope", "--since", "2025-01-01", "--config", cfg}, `"nope" is not in`},
		{[]string{"crawl", "--outlet", "local", "--since", "yesterday", "--config", cfg}, "want a date"},
		{[]string{"crawl", "--outlet", "local", "--since", "2999-01-01", "--config", cfg}, "in the future"},
		{[]string{"crawl", "--outlet", "local", "--since", "2025-01-01", "--config", cfg, "--progress", "fancy"}, "--progress"},
	} {
		code, _, stderr := runBinary(t, tc.args...)
		if code != 1 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", tc.args[1:], code, stderr, tc.want)
		}
	}
}

// Acceptance (backfill progress): with stderr on a terminal, `crawl`
// draws a progress bar (redrawn in place: articles done of found, rate,
// time left), not the plain progress lines it prints otherwise.
func TestCrawlProgressBarOnTerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary")
	}
	t.Parallel()
	site := startSiteWith(t, simsite.Config{Seed: 52, Articles: 120})
	cfg := siteConfig(t, site, 10*time.Millisecond)
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal on this machine: %v", err)
	}
	t.Cleanup(func() { ptmx.Close() })
	cmd := exec.Command(binary(t), "crawl", "--outlet", "caliber", "--since", "2025-01-01", "--config", cfg, "--data", t.TempDir())
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, tty
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tty.Close()
	screen := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(ptmx) // until the process exits (EIO)
		screen <- b
	}()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("crawl: %v\n%s", err, stdout.String())
		}
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		t.Fatal("crawl did not finish within a minute")
	}
	var out string
	select {
	case b := <-screen:
		out = string(b)
	case <-time.After(10 * time.Second):
		t.Fatal("the terminal did not close")
	}
	frames := strings.Count(out, "\r")
	if frames < 3 || !strings.Contains(out, "caliber: ") || !strings.Contains(out, "articles/s") || !strings.Contains(out, "█") {
		t.Errorf("no progress bar on the terminal (%d redraws):\n%q", frames, tail(out))
	}
	if strings.Contains(out, " articles/s, ETA ") {
		t.Errorf("plain progress lines on a terminal:\n%q", tail(out))
	}
	if !strings.Contains(stdout.String(), "crawl caliber since ") {
		t.Errorf("no summary on stdout: %q", stdout.String())
	}
	t.Logf("%d bar redraws; summary: %s", frames, strings.TrimSpace(stdout.String()))
}
