package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/newswatch/newswatch/api"
	"github.com/newswatch/newswatch/watch"
)

const watchAbout = "Manages the watches of a running newswatch API (`run`, `api --nats` or `demo`): saved\n" +
	"queries whose new matching articles, edits, outlet status changes and coverage gaps\n" +
	"arrive as server-sent events (`watch events`) and, with --webhook, as signed POSTs.\n\n" +
	"  create   make a watch; prints it as JSON, with the webhook secret (shown this once)\n" +
	"  list     the watches\n" +
	"  delete   remove a watch and its events\n" +
	"  events   follow a watch's events, one JSON line each; resumes after --last-event-id\n\n" +
	"The API key (scope export for create and delete, read for the others) comes from\n" +
	"--key-file or $NEWSWATCH_API_KEY."

// apiFlags say where the API is and which key to present.
type apiFlags struct {
	api, keyFile string
}

func (f *apiFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.api, "api", "http://127.0.0.1:8080", "the newswatch API's base URL")
	fs.StringVar(&f.keyFile, "key-file", "", "`file` holding the API key (default: $NEWSWATCH_API_KEY)")
}

// resolve returns the API's base URL and the key ("" for none).
func (f *apiFlags) resolve() (*url.URL, string, error) {
	key := strings.TrimSpace(os.Getenv("NEWSWATCH_API_KEY"))
	if f.keyFile != "" {
		b, err := os.ReadFile(f.keyFile)
		if err != nil {
			return nil, "", fmt.Errorf("--key-file: %w", err)
		}
		key = strings.TrimSpace(string(b))
	}
	base, err := url.Parse(f.api)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, "", fmt.Errorf("--api %q: want an http(s) URL such as http://127.0.0.1:8080", f.api)
	}
	return base, key, nil
}

// call sends one request to the API and decodes a 2xx JSON answer into
// out (nil: ignored); other answers are the API's error.
func (f *apiFlags) call(ctx context.Context, method, path string, body []byte, out any) error {
	base, key, err := f.resolve()
	if err != nil {
		return err
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, base.JoinPath(path).String(), rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return apiError(resp)
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: the answer is not JSON: %w", method, path, err)
	}
	return nil
}

func cmdWatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "watch", watchAbout, []subcommand{
		{"create", watchCreate},
		{"list", watchList},
		{"delete", watchDelete},
		{"events", watchEvents},
	}, args, stdout, stderr)
}

// commaList is a repeatable flag whose values may also be comma-separated.
type commaList []string

func (l *commaList) String() string { return strings.Join(*l, ",") }

func (l *commaList) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

func watchCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("watch create", "[--query Q] [filters] [--webhook URL] [--gap-outlet X --competitors Y,Z]",
		"Makes a watch and prints it as JSON, with its webhook's secret (shown this once: keep it to\n"+
			"verify the Newswatch-Signature header of each delivery). Without --events a watch sends\n"+
			"article and edit events (and gap events with --gap-outlet).")
	var af apiFlags
	af.register(fs)
	var in api.WatchInput
	var outlets, langs, sections, authors, events, competitors commaList
	fs.StringVar(&in.Name, "name", "", "a name for people")
	fs.StringVar(&in.Query, "query", "", "the query (the q of /v1/search); empty: every article the filters let through")
	fs.Var(&outlets, "outlet", "only these outlet IDs; repeatable or comma-separated")
	fs.Var(&langs, "lang", "only these languages; repeatable or comma-separated")
	fs.Var(&sections, "section", "only these sections; repeatable or comma-separated")
	fs.Var(&authors, "author", "only these authors; repeatable or comma-separated")
	fs.Var(&events, "events", "the event kinds wanted: "+strings.Join(watch.Kinds, ", ")+" (comma-separated)")
	hook := fs.String("webhook", "", "POST each event to this http(s) `URL`, signed")
	secret := fs.String("secret", "", "the webhook's signing secret (16-256 bytes; default: one is made)")
	gapOutlet := fs.String("gap-outlet", "", "watch this outlet's coverage gaps: stories --competitors covered that it had not within --gap-minutes")
	fs.Var(&competitors, "competitors", "the outlets to compare --gap-outlet with; comma-separated")
	gapMinutes := fs.Int("gap-minutes", watch.DefaultGapMinute, "how long --gap-outlet has to cover a competitor's story before it is a gap")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	in.Outlets, in.Langs, in.Sections, in.Authors, in.Events = outlets, langs, sections, authors, events
	if *hook != "" {
		in.Webhook = &watch.Webhook{URL: *hook, Secret: *secret}
	} else if *secret != "" {
		return errors.New("--secret goes with --webhook")
	}
	if *gapOutlet != "" {
		in.Gap = &watch.Gap{Outlet: *gapOutlet, Competitors: competitors, Minutes: *gapMinutes}
	} else if len(competitors) > 0 {
		return errors.New("--competitors goes with --gap-outlet")
	}
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	var out struct {
		Watch json.RawMessage `json:"watch"`
	}
	if err := af.call(ctx, http.MethodPost, "/v1/watches", body, &out); err != nil {
		return err
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, out.Watch, "", "  "); err != nil {
		return err
	}
	fmt.Fprintln(stdout, pretty.String())
	return nil
}

func watchList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("watch list", "[--json]", "Lists the watches: ID, name, event kinds, query and filters, webhook.")
	var af apiFlags
	af.register(fs)
	asJSON := fs.Bool("json", false, "print the API's JSON instead of a table")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	var out struct {
		Watches []watch.Watch `json:"watches"`
	}
	if err := af.call(ctx, http.MethodGet, "/v1/watches", nil, &out); err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tEVENTS\tQUERY AND FILTERS\tWEBHOOK")
	for _, w := range out.Watches {
		what := []string{}
		if w.Query != "" {
			what = append(what, strconv.Quote(w.Query))
		}
		for name, l := range map[string][]string{"outlet": w.Outlets, "lang": w.Langs, "section": w.Sections, "author": w.Authors} {
			if len(l) > 0 {
				what = append(what, name+"="+strings.Join(l, ","))
			}
		}
		if g := w.Gap; g != nil {
			what = append(what, fmt.Sprintf("gaps of %s vs %s within %d min", g.Outlet, strings.Join(g.Competitors, ","), g.Minutes))
		}
		hook := "-"
		if w.Webhook != nil {
			hook = w.Webhook.URL
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", w.ID, orDash(w.Name), strings.Join(w.Events, ","), orDash(strings.Join(what, " ")), hook)
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// watchID reads the one argument that names a watch.
func watchID(fs *flag.FlagSet, args []string, stderr io.Writer) (string, error) {
	var id string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		id, args = args[0], args[1:]
	}
	if err := parseFlags(fs, args, stderr); err != nil {
		return "", err
	}
	if id == "" {
		fs.Usage()
		return "", errUsage
	}
	if !watch.ValidID(id) {
		return "", fmt.Errorf("watch id %q: want 16 lower-case hex characters (newswatch watch list shows them)", id)
	}
	return id, nil
}

func watchDelete(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("watch delete", "ID [flags]", "Deletes a watch and the events kept for it.")
	var af apiFlags
	af.register(fs)
	id, err := watchID(fs, args, stderr)
	if err != nil {
		return err
	}
	if err := af.call(ctx, http.MethodDelete, "/v1/watches/"+id, nil, nil); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "deleted watch %s\n", id)
	return nil
}

func watchEvents(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("watch events", "ID [flags]",
		"Follows a watch's events (GET /v1/watches/{id}/events) and prints each as one JSON line,\n"+
			"until interrupted or --count events. A dropped connection is resumed after the last event\n"+
			"printed (Last-Event-ID), so nothing the server still keeps is missed or printed twice.")
	var af apiFlags
	af.register(fs)
	last := fs.String("last-event-id", "", "start after this event `ID` (the id of an earlier event); default: events from now on")
	count := fs.Int("count", 0, "stop after this many events (0: follow until interrupted)")
	id, err := watchID(fs, args, stderr)
	if err != nil {
		return err
	}
	base, key, err := af.resolve()
	if err != nil {
		return err
	}
	n := 0
	for {
		err := followEvents(ctx, base.JoinPath("/v1/watches", id, "events").String(), key, *last, func(ev sse) error {
			if _, err := fmt.Fprintln(stdout, ev.data); err != nil {
				return err
			}
			*last = ev.id
			if n++; *count > 0 && n >= *count {
				return errEnoughEvents
			}
			return nil
		})
		switch {
		case errors.Is(err, errEnoughEvents):
			return nil
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, errAPIRefused):
			return err
		}
		fmt.Fprintf(stderr, "newswatch watch events: %v; reconnecting after event %q in 3s\n", err, *last)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(3 * time.Second):
		}
	}
}

var (
	errEnoughEvents = errors.New("enough events")
	errAPIRefused   = errors.New("the API refused the request")
)

// sse is one server-sent event.
type sse struct{ id, event, data string }

// followEvents reads an event stream, calling fn for each event, until the
// stream ends (an error saying so) or fn fails. A refusal by the API
// (4xx) wraps errAPIRefused: retrying will not help.
func followEvents(ctx context.Context, u, key, last string, fn func(sse) error) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "text/event-stream")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if last != "" {
		req.Header.Set("Last-Event-ID", last)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		err := apiError(resp)
		if resp.StatusCode >= 400 && resp.StatusCode < 500 {
			return fmt.Errorf("%w: %w", errAPIRefused, err)
		}
		return err
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	var cur sse
	for sc.Scan() {
		line := sc.Text()
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "":
			if line == "" && cur.data != "" {
				if err := fn(cur); err != nil {
					return err
				}
			}
			if line == "" {
				cur = sse{}
			}
		case "id":
			cur.id = value
		case "event":
			cur.event = value
		case "data":
			if cur.data != "" {
				cur.data += "\n"
			}
			cur.data += value
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("event stream: %w", err)
	}
	return errors.New("the event stream ended")
}
