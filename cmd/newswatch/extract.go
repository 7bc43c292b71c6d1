package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/crawler"
	"github.com/newswatch/newswatch/crawler/extract"
)

// maxExtractBytes caps a page read by `extract`.
const maxExtractBytes = 32 << 20

func cmdExtract(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("extract", flag.ContinueOnError)
	pageURL := fs.String("url", "", "page URL (required): fetched unless --html is given, and used to resolve links and the canonical URL")
	htmlFile := fs.String("html", "", "read the page from this file (\"-\" for stdin) instead of fetching --url")
	outlet := fs.String("outlet", "", "outlet ID (default: from --config by host, else the host's first label)")
	tz := fs.String("tz", "", "time zone of dates printed without offset, e.g. Asia/Baku (default: the outlet's in --config, else UTC)")
	config := fs.String("config", "", "outlet config (YAML) to take the outlet's time zone and selector overrides from")
	ua := fs.String("user-agent", crawler.DefaultUserAgent, "user agent when fetching")
	timeout := fs.Duration("timeout", 30*time.Second, "fetch timeout")
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
	if *config != "" {
		cfg, err := crawler.LoadConfig(*config)
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
		in.Body, in.Header, err = fetch(ctx, *pageURL, *ua, *timeout)
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
	if err != nil {
		return err
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

func fetch(ctx context.Context, pageURL, ua string, timeout time.Duration) ([]byte, http.Header, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, pageURL, nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("User-Agent", ua)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("fetch: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("fetch %s: HTTP %s", pageURL, resp.Status)
	}
	b, err := readCapped(resp.Body)
	return b, resp.Header, err
}
