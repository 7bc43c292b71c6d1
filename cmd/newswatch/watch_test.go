package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap/zaptest"

	"github.com/newswatch/newswatch/api"
	"github.com/newswatch/newswatch/api/keys"
	"github.com/newswatch/newswatch/bus"
	"github.com/newswatch/newswatch/bus/bustest"
	"github.com/newswatch/newswatch/internal/netguard"
	"github.com/newswatch/newswatch/store/bleve"
	"github.com/newswatch/newswatch/watch"
)

// TestWatchCommands: watch create (a refused webhook target said clearly,
// nothing kept), list, events (resuming after --last-event-id) and delete
// against an API whose watches are in NATS.
func TestWatchCommands(t *testing.T) {
	dir := t.TempDir()
	c := bustest.Connect(t, bustest.RunBasicJetStreamServer(t))
	ws, err := watch.NewStore(context.Background(), c, netguard.Public)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := bleve.Open(filepath.Join(dir, "index"), bleve.Options{}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	tok, _, err := keys.Create(filepath.Join(dir, keys.FileName), keys.NewOptions{Scope: keys.ScopeExport})
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "export.key")
	os.WriteFile(keyFile, []byte(tok+"\n"), 0o600)
	ks, err := keys.Open(filepath.Join(dir, keys.FileName))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := api.New(api.Config{Keys: ks, Open: true, Watches: ws, Rate: 1e6, Burst: 1e6}, idx, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	run := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := realMain(args, &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	flags := []string{"--api", hs.URL, "--key-file", keyFile}

	for _, target := range []string{"http://127.0.0.1:9000/hook", "http://10.0.0.1/hook", "http://169.254.169.254/latest/meta-data/"} {
		code, out, errOut := run(append([]string{"watch", "create", "--query", "Şuşa", "--webhook", target}, flags...)...)
		if code == 0 || !strings.Contains(errOut, "refus") || !strings.Contains(errOut, "--webhook-targets any") {
			t.Errorf("create with webhook %s: %d %s %s", target, code, out, errOut)
		}
	}
	if code, _, errOut := run("watch", "create", "--query", "x", "--api", hs.URL); code == 0 || !strings.Contains(errOut, "scope export") {
		t.Errorf("create without a key: %d %s", code, errOut)
	}
	code, out, errOut := run(append([]string{"watch", "create", "--name", "Qarabağ", "--query", "Şuşa OR Qarabağ", "--outlet", "report,oxu",
		"--lang", "az", "--events", "article,edit,outlet", "--webhook", "https://hooks.example.com/nw"}, flags...)...)
	var w watch.Watch
	if code != 0 || json.Unmarshal([]byte(out), &w) != nil || !watch.ValidID(w.ID) || w.Webhook == nil || w.Webhook.Secret == "" ||
		strings.Join(w.Outlets, ",") != "report,oxu" || strings.Join(w.Events, ",") != "article,edit,outlet" {
		t.Fatalf("create: %d %s %s", code, out, errOut)
	}
	code, out, _ = run(append([]string{"watch", "list"}, flags...)...)
	if code != 0 || !strings.Contains(out, w.ID) || !strings.Contains(out, `"Şuşa OR Qarabağ"`) || !strings.Contains(out, "outlet=report,oxu") ||
		!strings.Contains(out, "https://hooks.example.com/nw") || strings.Contains(out, w.Webhook.Secret) {
		t.Errorf("list: %d\n%s", code, out)
	}

	// Three events kept; events after the first are the second and third.
	for i := 1; i <= 3; i++ {
		data, _ := json.Marshal(watch.Event{Watch: w.ID, Kind: watch.KindOutlet, At: time.Now().UTC()})
		m := nats.NewMsg(bus.WatchEventsPrefix + w.ID)
		m.Data = data
		if _, err := c.JetStream().PublishMsg(context.Background(), m, jetstream.WithExpectStream(bus.StreamWatchEvents)); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errOut = run(append([]string{"watch", "events", w.ID, "--last-event-id", "0", "--count", "3"}, flags...)...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 3 {
		t.Fatalf("events: %d %q %s", code, out, errOut)
	}
	var first watch.Event
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil || first.Watch != w.ID || first.Kind != watch.KindOutlet {
		t.Fatalf("first event %s: %v", lines[0], err)
	}
	code, out, _ = run(append([]string{"watch", "events", w.ID, "--last-event-id", first.ID, "--count", "2"}, flags...)...)
	if got := strings.Split(strings.TrimSpace(out), "\n"); code != 0 || len(got) != 2 || got[0] != lines[1] || got[1] != lines[2] {
		t.Errorf("events after %s: %d %q", first.ID, code, out)
	}
	if code, _, errOut := run(append([]string{"watch", "events", "0123456789abcdef"}, flags...)...); code == 0 || !strings.Contains(errOut, "not found") {
		t.Errorf("events of an unknown watch: %d %s", code, errOut)
	}

	if code, out, errOut := run(append([]string{"watch", "delete", w.ID}, flags...)...); code != 0 || !strings.Contains(out, w.ID) {
		t.Fatalf("delete: %d %s %s", code, out, errOut)
	}
	if code, out, _ := run(append([]string{"watch", "list", "--json"}, flags...)...); code != 0 || strings.Contains(out, w.ID) {
		t.Errorf("list after delete: %d %s", code, out)
	}
	for _, args := range [][]string{{"watch"}, {"watch", "frobnicate"}, {"watch", "delete"}, {"watch", "delete", "NOT-AN-ID"}, {"watch", "create", "--secret", "0123456789abcdefgh"}} {
		if code, _, _ := run(args...); code == 0 {
			t.Errorf("%v: exit 0", args)
		}
	}
}
