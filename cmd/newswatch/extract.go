package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/crawler"
	"github.com/newswatch/newswatch/crawler/catalog"
	"github.com/newswatch/newswatch/crawler/extract"
	"github.com/newswatch/newswatch/internal/netguard"
)

// maxExtractBytes caps a page read by `extract`.
const maxExtractBytes = 32 << 20

// maxRedirects caps the redirects `extract --url` follows.
const maxRedirects = 10

func cmdExtract(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("extract", "--url URL [--html FILE] [flags]",
		"Fetches one page (or reads it from --html) and prints its Article as JSON on stdout.\n"+
			"For a page without article text it prints what was found (title, dates, ...) with\n"+
			"a warning on stderr; --strict refuses such a page instead (exit 1).\n"+
			"The outlet's time zone and extraction overrides come from --config, else from the\n"+
			"outlet catalog built into the binary; a host in neither is said so on stderr.\n"+
			"Fetching refuses loopback, private and link-local addresses (checked at connect\n"+
			"time, redirects included) unless --allow-private.")
	pageURL := fs.String("url", "", "page `URL` (required): fetched unless --html is given, and used to resolve links and the canonical URL")
	htmlFile := fs.String("html", "", "read the page from this `file` (\"-\" for stdin) instead of fetching --url")
	outlet := fs.String("outlet", "", "outlet ID (default: the outlet of the URL's host in the catalog or --config, else the host's first label)")
	tz := fs.String("tz", "", "time `zone` of dates printed without offset, e.g. Asia/Baku (default: the outlet's, else UTC)")
	config := fs.String("config", "", "outlet config `file` (YAML) to use instead of the built-in catalog")
	ua := fs.String("user-agent", crawler.DefaultUserAgent, "user agent when fetching")
	timeout := fs.Duration("timeout", 30*time.Second, "fetch timeout")
	allowPrivate := fs.Bool("allow-private", false, "allow fetching from loopback, private and link-local addresses")
	strict := fs.Bool("strict", false, "refuse a page without article text (exit 1, nothing printed) instead of printing what was found on it with a warning")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *pageURL == "" {
		fmt.Fprintln(stderr, "--url is required")
		return errUsage
	}
	u, err := url.Parse(*pageURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--url %q: want an absolute http(s) URL", *pageURL)
	}
	in := extract.Input{URL: *pageURL, Outlet: *outlet, FetchedAt: time.Now()}
	var cfg *crawler.Config
	source := "the built-in outlet catalog"
	if *config != "" {
		cfg, err = crawler.LoadConfig(*config)
		source = *config
	} else {
		cfg, err = catalog.Load()
	}
	if err != nil {
		return err
	}
	if o, ok := outletForHost(cfg, u.Hostname()); ok {
		if in.Outlet == "" {
			in.Outlet = o.ID
		}
		in.Overrides = o.Extract
		if *tz == "" {
			*tz = o.Timezone
		}
	}
	if in.Outlet == "" {
		in.Outlet = strings.SplitN(strings.TrimPrefix(article.SiteOf(u.Hostname()), "www."), ".", 2)[0]
	}
	if *tz != "" {
		loc, err := time.LoadLocation(*tz)
		if err != nil {
			return fmt.Errorf("--tz: %w", err)
		}
		in.Location = loc
	}
	switch *htmlFile {
	case "":
		var guard func(netip.Addr) error
		if !*allowPrivate {
			guard = publicOnly
		}
		var final string
		in.Body, in.Header, final, err = fetch(ctx, *pageURL, *ua, *timeout, guard)
		if err == nil {
			in.URL = final
		}
	case "-":
		in.Body, err = readCapped(os.Stdin)
	default:
		var f *os.File
		if f, err = os.Open(*htmlFile); err == nil {
			in.Body, err = readCapped(f)
			f.Close()
		}
	}
	if err != nil {
		return err
	}
	a, err := extract.New().Extract(ctx, in)
	var na *extract.NotArticleError
	if !*strict && errors.As(err, &na) {
		fmt.Fprintf(stderr, "newswatch extract: warning: %s does not look like an article (%s); printing what was found on it (--strict refuses such pages)\n", in.URL, na.Reason)
		a, err = na.Partial, nil
	}
	if err != nil {
		return err
	}
	if in.Location == nil {
		fmt.Fprintf(stderr, "newswatch extract: no time zone known for %s (not in %s): dates without an offset were taken as UTC; --tz sets the zone\n", u.Hostname(), source)
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(a)
}

// outletForHost finds the outlet whose base URL or hosts match host.
func outletForHost(cfg *crawler.Config, host string) (crawler.OutletConfig, bool) {
	site := article.SiteOf(host)
	for _, o := range cfg.Outlets {
		hosts := append([]string{}, o.Hosts...)
		if b, err := url.Parse(o.BaseURL); err == nil {
			hosts = append(hosts, b.Hostname())
		}
		for _, h := range hosts {
			if hu, err := url.Parse("http://" + h); err == nil && article.SiteOf(hu.Hostname()) == site {
				return o, true
			}
		}
	}
	return crawler.OutletConfig{}, false
}

func readCapped(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxExtractBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read page: %w", err)
	}
	if len(b) > maxExtractBytes {
		return nil, fmt.Errorf("page larger than %d bytes", maxExtractBytes)
	}
	if len(b) == 0 {
		return nil, errors.New("page is empty")
	}
	return b, nil
}

// ErrPrivateAddress is returned when `extract --url` would connect to a
// loopback, private or link-local address without --allow-private.
var ErrPrivateAddress = netguard.ErrPrivateAddress

// publicOnly refuses the addresses a page on the internet has no business
// sending us to (netguard.Public), saying how to allow them.
func publicOnly(ip netip.Addr) error {
	if err := netguard.Public.Check(ip); err != nil {
		return fmt.Errorf("%w (--allow-private allows it)", err)
	}
	return nil
}

// fetch GETs pageURL, following up to maxRedirects redirects, and returns
// the body, headers and final URL. guard, when set, vets every address
// right before connecting to it (after name resolution, for the first hop
// and every redirect alike), so a host name that resolves to a refused
// address is refused too. No proxy is used: it would hide the address.
func fetch(ctx context.Context, pageURL, ua string, timeout time.Duration, guard func(netip.Addr) error) ([]byte, http.Header, string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	dialer := netguard.Dialer(&net.Dialer{Timeout: timeout}, guard)
	client := &http.Client{
		Transport: &http.Transport{Proxy: nil, DialContext: dialer.DialContext, ForceAttemptHTTP2: true, TLSHandshakeTimeout: timeout},
		CheckRedirect: func(_ *http.Request, via []*http.Request) error {
			if len(via) >= maxRedirects {
				return fmt.Errorf("stopped after %d redirects", maxRedirects)
			}
			return nil
		},
	}
	defer client.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, pageURL, nil)
	if err != nil {
		return nil, nil, "", err
	}
	req.Header.Set("User-Agent", ua)
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, "", fmt.Errorf("fetch: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, nil, "", fmt.Errorf("fetch %s: HTTP %s", resp.Request.URL, resp.Status)
	}
	b, err := readCapped(resp.Body)
	return b, resp.Header, resp.Request.URL.String(), err
}
