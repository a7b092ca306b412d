package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// version is the release of stemflow; builds from a checkout add the commit.
const version = "0.1.0-dev"

// versionString is the version with the commit and Go version of the build, e.g.
// "0.1.0-dev (commit 279a1a3, modified, go1.26.0)".
func versionString() string {
	s := version + " ("
	if bi, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", false
		for _, kv := range bi.Settings {
			switch kv.Key {
			case "vcs.revision":
				rev = kv.Value
			case "vcs.modified":
				dirty = kv.Value == "true"
			}
		}
		if rev != "" {
			s += "commit " + rev[:min(len(rev), 12)]
			if dirty {
				s += ", modified"
			}
			s += ", "
		}
	}
	return s + runtime.Version() + ")"
}

// cmdVersion prints the version.
func cmdVersion(_ context.Context, args []string, stdout, _ io.Writer) error {
	if len(args) > 0 {
		return usagef("version takes no arguments, got %q", args)
	}
	fmt.Fprintln(stdout, "stemflow", versionString())
	return nil
}
