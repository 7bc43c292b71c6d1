package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"text/tabwriter"

	"github.com/newswatch/newswatch/api/keys"
	"github.com/newswatch/newswatch/pipeline"
)

const keysAbout = "Manages the API's keys, kept hashed in a keys file (default keys.json in --data) that\n" +
	"running API processes read again when it changes (within a second; no restart).\n\n" +
	"  keys create --scope read|export|admin [--name N] [--rate R] [--burst B]\n" +
	"              prints the new key once: it is not stored, only its hash\n" +
	"  keys list   the keys: ID, scope, name, created, rate limit\n" +
	"  keys revoke ID\n\n" +
	"Scopes: read (search, articles, counts), export (read and exports), admin (export and\n" +
	"GET/DELETE /v1/keys). Requests carry a key as \"Authorization: Bearer nwk_...\"."

// keysFlags locate the keys file.
type keysFlags struct {
	data, file string
}

func (k *keysFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&k.data, "data", pipeline.DefaultDataDir, "data directory whose keys.json to use")
	fs.StringVar(&k.file, "keys", "", "`file` of API keys (overrides --data; the file given to the API's --keys)")
}

func (k *keysFlags) path() string {
	if k.file != "" {
		return k.file
	}
	return filepath.Join(k.data, keys.FileName)
}

func cmdKeys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	noCtx := func(run func([]string, io.Writer, io.Writer) error) func(context.Context, []string, io.Writer, io.Writer) error {
		return func(_ context.Context, args []string, stdout, stderr io.Writer) error {
			return run(args, stdout, stderr)
		}
	}
	return dispatch(ctx, "keys", keysAbout, []subcommand{
		{"create", noCtx(keysCreate)},
		{"list", noCtx(keysList)},
		{"revoke", noCtx(keysRevoke)},
	}, args, stdout, stderr)
}

func keysCreate(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("keys create", "--scope read|export|admin [flags]",
		"Creates an API key and prints it once (only its hash is kept).")
	var kf keysFlags
	kf.register(fs)
	scope := fs.String("scope", "", "what the key may do: read, export or admin (required)")
	name := fs.String("name", "", "a name to tell the key by (who or what uses it)")
	rate := fs.Float64("rate", 0, "the key's request rate limit, per second (default: the server's, 20)")
	burst := fs.Int("burst", 0, "requests the key may make at once (default: the server's, 40)")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *scope == "" {
		fmt.Fprintln(stderr, "--scope is required: read, export or admin")
		return errUsage
	}
	sc, err := keys.ParseScope(*scope)
	if err != nil {
		return err
	}
	tok, k, err := keys.Create(kf.path(), keys.NewOptions{Scope: sc, Name: *name, Rate: *rate, Burst: *burst})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, tok)
	fmt.Fprintf(stderr, "created key %s (scope %s) in %s; it is shown only now: keep it\n", k.ID, k.Scope, kf.path())
	return nil
}

func keysList(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("keys list", "[flags]", "Lists the API keys (never the keys themselves).")
	var kf keysFlags
	kf.register(fs)
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	l, err := keys.List(kf.path())
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSCOPE\tCREATED\tRATE\tNAME")
	for _, k := range l {
		r := "default"
		if k.Rate > 0 || k.Burst > 0 {
			r = fmt.Sprintf("%g/s burst %d", k.Rate, k.Burst)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", k.ID, k.Scope, k.Created.Format("2006-01-02 15:04Z07:00"), r, k.Name)
	}
	return tw.Flush()
}

func keysRevoke(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("keys revoke", "[flags] ID", "Revokes the API key with that ID (see keys list).")
	var kf keysFlags
	kf.register(fs)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "keys revoke takes one key ID")
		fs.Usage()
		return errUsage
	}
	if err := keys.Revoke(kf.path(), fs.Arg(0)); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "revoked key %s\n", fs.Arg(0))
	return nil
}
