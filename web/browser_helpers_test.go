package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/newswatch/newswatch/api/keys"
	"github.com/newswatch/newswatch/bus/bustest"
	"github.com/newswatch/newswatch/pipeline"
	"github.com/newswatch/newswatch/simsite"
	"github.com/newswatch/newswatch/simsite/simcrawl"
)

// chromium finds the browser: $NEWSWATCH_CHROMIUM, else Debian's chromium
// (what .ci/run installs) or another Chromium on PATH. The browser tests
// skip, saying so, when there is none.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("NEWSWATCH_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no Chromium on PATH in CI: .ci/run installs Debian's chromium package")
	}
	t.Skip("no Chromium on PATH (apt-get install -y chromium, or set NEWSWATCH_CHROMIUM): the browser tests need one")
	return ""
}

// artifacts is the directory the tests keep their screenshots and
// downloads in: $NEWSWATCH_ARTIFACTS/web (CI sets it), else a directory
// under the system's temporary one that outlives the test, logged.
func artifacts(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("NEWSWATCH_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "newswatch-artifacts")
	}
	dir = filepath.Join(dir, "web", t.Name())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("artifacts (screenshots, downloads): %s", dir)
	return dir
}

// demo is a demo instance started in-process, as `newswatch demo` starts
// one: simulated outlets on loopback and the whole pipeline (embedded
// NATS, crawlers, indexer, Bleve, API with the page).
type demo struct {
	site *simsite.Site
	p    *pipeline.Pipeline
	base string
	data string
}

func startDemo(t *testing.T, sc simsite.Config, pc pipeline.Config) *demo {
	t.Helper()
	site, err := simsite.New(sc)
	if err != nil {
		t.Fatal(err)
	}
	if err := site.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { site.Close() })
	pc.DataDir = t.TempDir()
	pc.Open = true // as `newswatch demo` runs: reads need no key
	if pc.Rate == 0 {
		pc.Rate, pc.Burst = 500, 1000 // the tests click faster than people
	}
	pc.Listen = "127.0.0.1:0"
	pc.Outlets = simcrawl.Outlets(site)
	pc.CrawlerOptions = append(pc.CrawlerOptions, simcrawl.Options(site)...)
	logger := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	p, err := pipeline.Start(context.Background(), pc, logger)
	if err != nil {
		t.Fatalf("start the demo pipeline: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	d := &demo{site: site, p: p, base: "http://" + p.APIAddr(), data: pc.DataDir}
	want := sc.Articles - sc.Unpublished
	bustest.CheckFor(t, 120*time.Second, 200*time.Millisecond, func() error {
		var res struct {
			Total int `json:"total"`
		}
		if err := d.get("/v1/search", url.Values{"size": {"0"}}, &res); err != nil {
			return err
		}
		if res.Total != want {
			return fmt.Errorf("%d articles searchable, want %d", res.Total, want)
		}
		return nil
	})
	return d
}

// get decodes the API's 200 answer to path?params into v.
func (d *demo) get(path string, params url.Values, v any) error {
	u := d.base + path
	if len(params) > 0 {
		u += "?" + params.Encode()
	}
	resp, err := http.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error struct{ Code, Message string }
		}
		_ = json.NewDecoder(resp.Body).Decode(&e)
		return fmt.Errorf("GET %s: %d %s %s", u, resp.StatusCode, e.Error.Code, e.Error.Message)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// browser is a headless Chromium with a fresh profile, its console and
// uncaught exceptions collected: a page that logs an error (a script
// exception, a refused resource, a CSP violation) fails the test.
type browser struct {
	ctx  context.Context
	mu   sync.Mutex
	errs []string
	dir  string // artifacts
	// netErrs: a test breaks connections off or has a server refuse on
	// purpose, and the browser's log of the failed loads is expected.
	netErrs bool
}

// allowNetworkErrors says whether the browser's log of failed loads
// (net::ERR_..., a 5xx) is expected now.
func (b *browser) allowNetworkErrors(on bool) {
	b.mu.Lock()
	b.netErrs = on
	b.mu.Unlock()
}

func newBrowser(t *testing.T, width, height int) *browser {
	t.Helper()
	exe := chromium(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	}
	b := &browser{dir: artifacts(t)}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx, chromedp.WithListener(b.listen))
	t.Cleanup(func() {
		cancelC()
		cancelA()
	})
	b.ctx = ctx
	// Start the browser now, with no deadline on the context it keeps (a
	// deadline there would end the browser), but a bound on the wait: a
	// loaded 2-core machine starts Chromium slowly.
	started := make(chan error, 1)
	go func() {
		_, err := chromedp.Call(ctx, log.Enable, cdp.Empty{})
		started <- err
	}()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("start %s: %v", exe, err)
		}
	case <-time.After(90 * time.Second):
		t.Fatalf("%s did not start within 90 s", exe)
	}
	t.Cleanup(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, e := range b.errs {
			t.Errorf("the page reported: %s", e)
		}
	})
	return b
}

// listen collects what the page reports as errors. It runs on the
// browser's reading goroutine and must return fast.
func (b *browser) listen(ev any) {
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg := d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
		b.fail(fmt.Sprintf("exception at %s:%d:%d: %s", d.URL, d.LineNumber+1, d.ColumnNumber+1, msg))
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
			var parts []string
			for _, a := range ev.Args {
				parts = append(parts, strings.TrimSpace(string(a.Value)+" "+a.Description))
			}
			b.fail("console." + string(ev.Type) + ": " + strings.Join(parts, " "))
		}
	case *log.EventEntryAdded:
		e := ev.Entry
		// A fetch the page makes and shows the failure of to its user (a
		// 4xx a test asks for) is logged by Chromium as "Failed to load
		// resource: the server responded with a status of 4xx"; the tests
		// check what the page shows for those. Anything else fails.
		b.mu.Lock()
		netErr := b.netErrs && e.Source == log.EntrySourceNetwork
		b.mu.Unlock()
		if (e.Level == log.EntryLevelError || e.Level == log.EntryLevelWarning) && !strings.Contains(e.Text, "the server responded with a status of 4") && !netErr {
			b.fail("browser log (" + string(e.Source) + "): " + e.Text + " " + e.URL)
		}
	}
}

func (b *browser) fail(msg string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.errs = append(b.errs, msg)
}

// do runs actions with a deadline.
func (b *browser) do(t *testing.T, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression (awaiting a promise) into T.
func eval[T any](t *testing.T, b *browser, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitJS polls a JavaScript condition until it is true, failing at once
// when the page reports an error meanwhile.
func (b *browser) waitJS(t *testing.T, what, cond string) {
	t.Helper()
	b.waitJSFor(t, 60*time.Second, what, cond)
}

// waitJSFor is waitJS with a deadline of its own.
func (b *browser) waitJSFor(t *testing.T, wait time.Duration, what, cond string) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+cond+")"))
		cancel()
		if err == nil && ok {
			return
		}
		b.mu.Lock()
		errs := append([]string(nil), b.errs...)
		b.mu.Unlock()
		if len(errs) > 0 || time.Now().After(deadline) {
			text, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(document.querySelector("#error:not([hidden])")||{}).textContent||""`))
			t.Fatalf("wait for %s (%s): not true (last error %v); the page's error box says %q", what, cond, err, text)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// screenshot saves the whole page as name.png among the artifacts.
func (b *browser) screenshot(t *testing.T, name string) string {
	t.Helper()
	return b.shoot(t, name, chromedp.FullScreenshot(100))
}

// screenshotView saves what the window shows as name.png.
func (b *browser) screenshotView(t *testing.T, name string) string {
	t.Helper()
	return b.shoot(t, name, chromedp.CaptureScreenshot())
}

func (b *browser) shoot(t *testing.T, name string, shot chromedp.Action[[]byte]) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, shot)
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	p := filepath.Join(b.dir, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// press presses one key as a keyboard does: a keydown carrying the text
// it types (which the page may cancel), then a keyup.
func (b *browser) press(t *testing.T, key, code string, keyCode int64, text string) {
	t.Helper()
	act := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		typ := input.DispatchKeyEventTypeKeyDown
		if text == "" {
			typ = input.DispatchKeyEventTypeRawKeyDown
		}
		if _, err := cdp.Call(ctx, tg, input.DispatchKeyEvent, input.DispatchKeyEventParams{
			Type: typ, Key: key, Code: code, Text: text, UnmodifiedText: text,
			WindowsVirtualKeyCode: keyCode, NativeVirtualKeyCode: keyCode,
		}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, input.DispatchKeyEvent, input.DispatchKeyEventParams{
			Type: input.DispatchKeyEventTypeKeyUp, Key: key, Code: code,
			WindowsVirtualKeyCode: keyCode, NativeVirtualKeyCode: keyCode,
		})
		return err
	})
	b.do(t, "press "+key, act)
}

// exportKey makes an API key with scope export (exports, creating and
// deleting watches) and waits until the API takes it (it reads the keys
// file again within a second).
func (d *demo) exportKey(t *testing.T) string {
	t.Helper()
	token, _, err := keys.Create(filepath.Join(d.data, keys.FileName), keys.NewOptions{Scope: keys.ScopeExport, Name: "browser test"})
	if err != nil {
		t.Fatal(err)
	}
	bustest.CheckFor(t, 30*time.Second, 100*time.Millisecond, func() error {
		req, _ := http.NewRequest("GET", d.base+"/v1/export?format=ndjson&q=nothingmatchesthis", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("the new key gets %d", resp.StatusCode)
		}
		return nil
	})
	return token
}
