package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
)

// version is the release version, set at build time with
// -ldflags "-X main.version=v1.2.3" (the Makefile does); empty: the
// module version from the build info ("(devel)" for a local build).
var version string

// versionString is the version, commit and toolchain of this binary.
func versionString() string {
	v := version
	info, ok := debug.ReadBuildInfo()
	if v == "" {
		v = "(unknown)"
		if ok && info.Main.Version != "" {
			v = info.Main.Version
		}
	}
	var details []string
	if ok {
		var rev, when string
		modified := false
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if rev != "" {
			if len(rev) > 12 {
				rev = rev[:12]
			}
			if modified {
				rev += "+changes"
			}
			details = append(details, "commit "+rev)
		}
		if when != "" {
			details = append(details, when)
		}
	}
	details = append(details, runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH)
	return fmt.Sprintf("newswatch %s (%s)", v, strings.Join(details, ", "))
}

func cmdVersion(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("version", "", "Prints the version of this newswatch binary: release, commit, build time, Go version.")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	fmt.Fprintln(stdout, versionString())
	return nil
}
