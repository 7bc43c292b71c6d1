package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/bus/bustest"
	"github.com/newswatch/newswatch/simsite"
	"github.com/newswatch/newswatch/store"
)

func startSite(t *testing.T, n int) *simsite.Site {
	t.Helper()
	return startSiteWith(t, simsite.Config{Seed: 3, Articles: n})
}

// startSiteWith starts a simulated site, closed when the test ends.
func startSiteWith(t *testing.T, cfg simsite.Config) *simsite.Site {
	t.Helper()
	site, err := simsite.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := site.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { site.Close() })
	return site
}

func TestExtractFromFile(t *testing.T) {
	site := startSite(t, 6)
	for _, a := range site.Articles() {
		resp, err := http.Get(a.URL)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		file := filepath.Join(t.TempDir(), "page.html")
		if err := os.WriteFile(file, page, 0o644); err != nil {
			t.Fatal(err)
		}
		var stdout, stderr bytes.Buffer
		code := realMain([]string{"extract", "--html", file, "--url", a.URL, "--outlet", a.Outlet, "--tz", "Asia/Baku"}, &stdout, &stderr)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", a.URL, code, stderr.String())
		}
		var got article.Article
		dec := json.NewDecoder(&stdout)
		if err := dec.Decode(&got); err != nil {
			t.Fatalf("%s: stdout is not one Article JSON: %v", a.URL, err)
		}
		if dec.More() {
			t.Fatalf("%s: more than one JSON value on stdout", a.URL)
		}
		if err := got.Validate(); err != nil {
			t.Errorf("%s: %v", a.URL, err)
		}
		if got.Title != a.Title || got.Outlet != a.Outlet || got.Language != a.Language {
			t.Errorf("%s: got title %q outlet %q lang %q, want %q %q %q", a.URL, got.Title, got.Outlet, got.Language, a.Title, a.Outlet, a.Language)
		}
		if got.PublishedAt == nil || !got.PublishedAt.Equal(a.PublishedAt) {
			t.Errorf("%s: published_at %v, want %v", a.URL, got.PublishedAt, a.PublishedAt)
		}
	}
}

func TestExtractBadInput(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.html")
	os.WriteFile(empty, nil, 0o644)
	binary := filepath.Join(dir, "page.png")
	os.WriteFile(binary, append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 600)...), 0o644)
	for name, args := range map[string][]string{
		"missing file": {"extract", "--html", filepath.Join(dir, "nope.html"), "--url", "https://caliber.az/x"},
		"directory":    {"extract", "--html", dir, "--url", "https://caliber.az/x"},
		"empty file":   {"extract", "--html", empty, "--url", "https://caliber.az/x"},
		"binary file":  {"extract", "--html", binary, "--url", "https://caliber.az/x"},
		"no url":       {"extract", "--html", empty},
		"bad url":      {"extract", "--html", empty, "--url", "caliber.az/x"},
	} {
		var stdout, stderr bytes.Buffer
		code := realMain(args, &stdout, &stderr)
		if code == 0 {
			t.Errorf("%s: exit 0", name)
		}
		if stdout.Len() != 0 {
			t.Errorf("%s: wrote to stdout: %q", name, stdout.String())
		}
		if msg := strings.TrimSpace(stderr.String()); msg == "" || (name != "no url" && strings.Contains(msg, "\n")) {
			t.Errorf("%s: stderr %q, want one line", name, msg)
		}
	}
}

// Store flags that cannot work are one clear error, before anything starts.
func TestStoreFlagErrors(t *testing.T) {
	pw := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(pw, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for name, args := range map[string][]string{
		"elastic without --es": {"api", "--store", "elastic"},
		"--es without elastic": {"api", "--es", "http://127.0.0.1:9200"},
		"unknown store":        {"api", "--store", "solr"},
		"bad es url":           {"api", "--store", "elastic", "--es", "127.0.0.1:9200"},
		"empty password file":  {"api", "--store", "elastic", "--es", "http://127.0.0.1:9200", "--es-user", "u", "--es-password-file", pw},
		"missing ca cert":      {"api", "--store", "elastic", "--es", "https://127.0.0.1:9200", "--es-ca-cert", "/nonexistent/ca.pem"},
	} {
		var stdout, stderr bytes.Buffer
		if code := realMain(args, &stdout, &stderr); code != 1 {
			t.Errorf("%s: exit %d, want 1 (stderr %q)", name, code, stderr.String())
		}
		if msg := strings.TrimSpace(stderr.String()); msg == "" || strings.Contains(msg, "panic") {
			t.Errorf("%s: stderr %q", name, msg)
		}
	}
}

func TestUnknownCommand(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := realMain([]string{"frobnicate"}, &stdout, &stderr); code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
}

// Every command's --help says what it does and lists its real flags only.
func TestHelp(t *testing.T) {
	for _, tc := range []struct {
		args      []string
		about     string   // a phrase of the description
		flags     []string // flags it must list
		notListed []string // flags it does not have
	}{
		{[]string{"run"}, "everything in one process", []string{"-config", "-data", "-listen", "-nats", "-nats-listen", "-nats-token-file", "-nats-nkey", "-store", "-es", "-es-api-key", "-es-user", "-es-password", "-es-password-file", "-es-ca-cert", "-es-insecure", "-nats-sync", "-nats-creds", "-nats-nkey-seed", "-nats-ca", "-nats-cert", "-nats-key", "-webhook-targets"}, []string{"-metrics-listen"}},
		{[]string{"demo"}, "simulated outlets", []string{"-articles", "-seed", "-data", "-listen", "-nats-listen"}, []string{"-config"}},
		{[]string{"crawler"}, "crawlers alone", []string{"-config", "-nats", "-nats-token-file", "-nats-creds", "-nats-nkey-seed", "-nats-ca", "-nats-cert", "-nats-key", "-metrics-listen"}, []string{"-data", "-listen", "-store", "-nats-listen", "-nats-sync", "-webhook-targets"}},
		{[]string{"indexer"}, "indexer alone", []string{"-data", "-nats", "-nats-token-file", "-nats-creds", "-nats-ca", "-metrics-listen", "-webhook-targets"}, []string{"-config", "-listen", "-nats-listen", "-nats-sync"}},
		{[]string{"api"}, "HTTP API alone", []string{"-data", "-listen", "-nats", "-open", "-keys", "-tz", "-webhook-targets"}, []string{"-config", "-crawl-interval", "-nats-listen"}},
		{[]string{"extract"}, "prints its Article", []string{"-url", "-html", "-tz", "-config", "-allow-private"}, []string{"-data"}},
		{[]string{"outlets", "check"}, "Validates an outlet config", []string{"-config"}, []string{"-data"}},
		{[]string{"outlets"}, "Validates an outlet config", []string{"-config"}, nil},
		{[]string{"version"}, "Prints the version", nil, []string{"-data"}},
		{[]string{"export"}, "FILE.manifest.json", []string{"-query", "-format", "-out", "-api", "-key-file", "-outlet", "-lang", "-from", "-to", "-tz", "-quiet"}, []string{"-data"}},
		{[]string{"keys", "create"}, "prints it once", []string{"-scope", "-name", "-rate", "-burst", "-data", "-keys"}, nil},
		{[]string{"keys", "list"}, "Lists the API keys", []string{"-data", "-keys"}, []string{"-scope"}},
		{[]string{"keys", "revoke"}, "Revokes the API key", []string{"-data", "-keys"}, []string{"-scope"}},
		{[]string{"watch", "create"}, "Makes a watch", []string{"-query", "-outlet", "-lang", "-section", "-author", "-events", "-webhook", "-secret", "-gap-outlet", "-competitors", "-gap-minutes", "-api", "-key-file"}, []string{"-data"}},
		{[]string{"watch", "list"}, "Lists the watches", []string{"-json", "-api", "-key-file"}, []string{"-query"}},
		{[]string{"watch", "delete"}, "Deletes a watch", []string{"-api", "-key-file"}, []string{"-query"}},
		{[]string{"watch", "events"}, "Follows a watch's events", []string{"-last-event-id", "-count", "-api", "-key-file"}, []string{"-query"}},
	} {
		var stdout, stderr bytes.Buffer
		args := append(append([]string{}, tc.args...), "--help")
		if code := realMain(args, &stdout, &stderr); code != 0 {
			t.Errorf("%v: exit %d", args, code)
		}
		help := stderr.String()
		if !strings.HasPrefix(help, "usage: newswatch "+strings.Join(tc.args, " ")) && !(tc.args[0] == "outlets" && strings.HasPrefix(help, "usage: newswatch outlets check")) {
			t.Errorf("%v: help does not start with a usage line:\n%s", args, help)
		}
		if !strings.Contains(help, tc.about) {
			t.Errorf("%v: help does not say %q:\n%s", args, tc.about, help)
		}
		listed := map[string]bool{}
		for _, line := range strings.Split(help, "\n") {
			if f := strings.Fields(line); len(f) > 0 && strings.HasPrefix(line, "  -") {
				listed[f[0]] = true
			}
		}
		for _, f := range tc.flags {
			if !listed[f] {
				t.Errorf("%v: help does not list %s:\n%s", args, f, help)
			}
		}
		for _, f := range tc.notListed {
			if listed[f] {
				t.Errorf("%v: help lists %s, which the command does not have", args, f)
			}
		}
	}
	var stdout, stderr bytes.Buffer
	if code := realMain([]string{"help"}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "version") {
		t.Errorf("newswatch help: exit %d, lists no version command:\n%s", code, stdout.String())
	}
}

func TestVersion(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := realMain([]string{"version"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if out := stdout.String(); !strings.HasPrefix(out, "newswatch ") || !strings.Contains(out, runtime.Version()) {
		t.Errorf("version printed %q", out)
	}
	if code := realMain([]string{"version", "extra"}, &stdout, &stderr); code != 2 {
		t.Errorf("version with an argument: exit %d, want 2", code)
	}
	if testing.Short() {
		return
	}
	code, out, _ := runBinary(t, "version") // built with -X main.version=v0.0.0-test
	if code != 0 || !strings.HasPrefix(out, "newswatch v0.0.0-test (") {
		t.Errorf("binary version: exit %d, %q", code, out)
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestDemoBinary runs the built binary as a user would: `newswatch demo
// --articles 300` must make all 300 searchable within 60 seconds, serve
// Cyrillic intact, listen on no port but the API's and the simulated
// sites', and stop cleanly on SIGINT.
func TestDemoBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := binary(t)
	addr := freePort(t)
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, "demo", "--articles", "300", "--listen", addr, "--data", t.TempDir(),
		"--publish-every", "0", "--edit-every", "0", "--outage-every", "0")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
		}
	}()
	get := func(params url.Values) (*store.Result, error) {
		resp, err := http.Get("http://" + addr + "/v1/search?" + params.Encode())
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		var res store.Result
		if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
			return nil, err
		}
		return &res, nil
	}
	bustest.CheckFor(t, 60*time.Second, 200*time.Millisecond, func() error {
		res, err := get(url.Values{"size": {"0"}})
		if err != nil {
			return err
		}
		if res.Total != 300 {
			return fmt.Errorf("total %d", res.Total)
		}
		return nil
	})
	t.Logf("300 articles searchable %v after start", time.Since(start).Round(time.Millisecond))
	if !strings.Contains(stdout.String(), "http://"+addr) || !strings.Contains(stdout.String(), "simulated site") {
		t.Errorf("demo did not print the API and site addresses:\n%s", stdout.String())
	}
	// The web page is where the demo says, in the binary.
	if !strings.Contains(stdout.String(), "web page:       http://"+addr+"/") {
		t.Errorf("demo did not print the web page's address:\n%s", stdout.String())
	}
	if resp, err := http.Get("http://" + addr + "/"); err != nil {
		t.Error(err)
	} else {
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "<title>newswatch</title>") {
			t.Errorf("GET / on the demo: %d %.200s", resp.StatusCode, page)
		}
	}
	res, err := get(url.Values{"q": {"Баку"}, "lang": {"ru"}, "size": {"3"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total == 0 || len(res.Hits) == 0 {
		t.Fatal("no Russian article found for Баку")
	}
	if h := res.Hits[0].Article; !strings.Contains(h.Body+h.Title, "Баку") || h.Language != "ru" {
		t.Errorf("hit lacks correct Cyrillic: %q / %q", h.Title, h.Language)
	}
	// What `ss -ltn` shows for the demo: the API and the simulated sites,
	// no NATS port.
	checkDemoListeners(t, cmd.Process.Pid, addr, stdout.String())
	cmd.Process.Signal(syscall.SIGINT)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("demo exited with %v after SIGINT\n%s", err, tail(stderr.String()))
		}
	case <-ctx.Done():
		t.Fatal("demo did not stop within 20s of SIGINT")
	}
	if !strings.Contains(stderr.String(), "stopped cleanly") {
		t.Errorf("no clean-stop log line:\n%s", tail(stderr.String()))
	}
}

func tail(s string) string {
	if len(s) > 3000 {
		return s[len(s)-3000:]
	}
	return s
}

func TestOutletsCheck(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := realMain([]string{"outlets", "check", "--config", "../../crawler/catalog/outlets.yaml"}, &stdout, &stderr); code != 0 {
		t.Fatalf("shipped config: exit %d: %s %s", code, stdout.String(), stderr.String())
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("outlets:\n  - id: Bad Id\n    base_url: caliber.az\n    feeds: [https://caliber.az/rss]\n"), 0o644)
	stdout.Reset()
	if code := realMain([]string{"outlets", "check", "--config", bad}, &stdout, &stderr); code != 1 {
		t.Fatalf("bad config: exit %d", code)
	}
	out := stdout.String()
	if !strings.Contains(out, bad+":2:") || !strings.Contains(out, bad+":3:") {
		t.Errorf("problems lack file:line positions:\n%s", out)
	}
}
