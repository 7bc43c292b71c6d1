package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/newswatch/newswatch/bus/bustest"
	"github.com/newswatch/newswatch/store"
)

// demoProc is one `newswatch demo` process of the built binary.
type demoProc struct {
	cmd            *exec.Cmd
	done           chan struct{} // closed when the process has exited
	err            error         // Wait's error, set before done is closed
	stdout, stderr *syncBuffer
	base           string // API base URL
}

func startDemo(t *testing.T, data string, articles int) *demoProc {
	t.Helper()
	addr := freePort(t)
	d := &demoProc{done: make(chan struct{}), stdout: &syncBuffer{}, stderr: &syncBuffer{}, base: "http://" + addr}
	d.cmd = exec.Command(binary(t), "demo", "--articles", strconv.Itoa(articles), "--listen", addr, "--data", data,
		"--publish-every", "0", "--edit-every", "0", "--outage-every", "0")
	d.cmd.Stdout, d.cmd.Stderr = d.stdout, d.stderr
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		d.err = d.cmd.Wait()
		close(d.done)
	}()
	t.Cleanup(func() {
		select {
		case <-d.done:
		default:
			d.cmd.Process.Kill()
			<-d.done
		}
	})
	return d
}

// total is the number of searchable articles.
func (d *demoProc) total() (int64, error) {
	resp, err := http.Get(d.base + "/v1/search?size=0")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var res store.Result
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		return 0, err
	}
	return res.Total, nil
}

// pending is the indexer's unfinished messages, from /metrics.
func (d *demoProc) pending() (int, error) {
	resp, err := http.Get(d.base + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "newswatch_indexer_pending_messages "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f != f { // NaN: NATS could not be asked
				return 0, fmt.Errorf("pending %q", v)
			}
			return int(f), nil
		}
	}
	return 0, fmt.Errorf("no pending gauge in /metrics (%v)", sc.Err())
}

// passes returns the crawl passes finished and the articles they published,
// from the "crawl pass done" log lines.
func (d *demoProc) passes() (n, published int) {
	for _, line := range strings.Split(d.stderr.String(), "\n") {
		var e struct {
			Msg       string `json:"msg"`
			Published int    `json:"published"`
		}
		if json.Unmarshal([]byte(line), &e) == nil && e.Msg == "crawl pass done" {
			n++
			published += e.Published
		}
	}
	return n, published
}

// settle waits until every simulated outlet (3) finished a pass and the
// indexer has nothing pending, and returns the searchable total then.
func (d *demoProc) settle(t *testing.T) int64 {
	t.Helper()
	var total int64
	bustest.CheckFor(t, 90*time.Second, 100*time.Millisecond, func() error {
		if n, _ := d.passes(); n < 3 {
			return fmt.Errorf("%d crawl passes done, want 3\n%s", n, tail(d.stderr.String()))
		}
		p, err := d.pending()
		if err != nil {
			return err
		}
		if p != 0 {
			return fmt.Errorf("%d messages pending", p)
		}
		total, err = d.total()
		return err
	})
	return total
}

// stop sends SIGINT and waits for a clean exit.
func (d *demoProc) stop(t *testing.T) {
	t.Helper()
	d.cmd.Process.Signal(syscall.SIGINT)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	select {
	case <-d.done:
		if d.err != nil {
			t.Fatalf("demo exited with %v after SIGINT\n%s", d.err, tail(d.stderr.String()))
		}
	case <-ctx.Done():
		t.Fatal("demo did not stop within 30s of SIGINT")
	}
}

// The README's demo run twice in a row on the same --data ends with
// exactly the demo's articles: the simulated outlets have host names
// derived from the seed, so their article IDs do not change between runs,
// and the second run publishes nothing (the url_state bucket knows every
// article's content).
func TestDemoRerunSameData(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary twice")
	}
	const n = 300
	data := t.TempDir()
	for run := 1; run <= 2; run++ {
		d := startDemo(t, data, n)
		total := d.settle(t)
		_, published := d.passes()
		t.Logf("run %d: %d articles searchable, %d published by this run", run, total, published)
		if total != n {
			t.Errorf("run %d on the same data dir: %d articles, want exactly %d", run, total, n)
		}
		if run == 2 && published != 0 {
			t.Errorf("run 2 published %d articles again, want 0", published)
		}
		d.stop(t)
	}
}

// kill -9 of the demo in the middle of ingesting, then a restart on the
// same --data, ends with exactly the demo's article count.
func TestDemoKillMidIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("runs and kills the binary")
	}
	const n = 600 // several indexer batches, so the kill lands among them
	data := t.TempDir()
	d := startDemo(t, data, n)
	var at int64
	bustest.CheckFor(t, 90*time.Second, 10*time.Millisecond, func() error {
		var err error
		if at, err = d.total(); err != nil {
			return err
		}
		if at == 0 {
			return fmt.Errorf("nothing indexed yet")
		}
		return nil
	})
	if err := d.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-d.done
	t.Logf("killed with %d of %d articles searchable", at, n)
	if at >= n {
		t.Fatalf("the kill came after ingest had finished (%d searchable)", at)
	}
	d = startDemo(t, data, n)
	total := d.settle(t)
	t.Logf("after the restart: %d articles searchable", total)
	if total != n {
		t.Errorf("after kill -9 and restart: %d articles, want exactly %d", total, n)
	}
	d.stop(t)
}
