package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"

	"github.com/stemflow/stemflow/internal/serverflags"
)

// serverProgramName is the program that runs the embedded NATS server. It is not
// linked into stemflow: the NATS server's package initialisation would cost every
// stemflow process (every run) ~4 ms of CPU and ~130 page faults before main.
const serverProgramName = "stemflow-server"

// errNoServerProgram is returned by `stemflow server` when stemflow-server is
// neither next to the stemflow executable nor on PATH.
var errNoServerProgram = errors.New("the NATS server is the separate program " + serverProgramName)

func serverFlagSet(w io.Writer) (*flag.FlagSet, *serverflags.Options) {
	fs := newFlagSet(w, "server", "[flags]", serverflags.Help)
	return fs, serverflags.Register(fs)
}

// cmdServer checks the flags, then runs stemflow-server with the same arguments in
// place of this process (same process id, signals and exit status).
func cmdServer(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, _ := serverFlagSet(stderr)
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usagef("server takes no arguments, got %q", fs.Args())
	}
	prog, err := serverProgram()
	if err != nil {
		return err
	}
	return execServer(ctx, prog, args, stdout, stderr)
}

// serverProgram finds stemflow-server: next to this executable (make build and go
// install put them side by side), else on PATH.
func serverProgram() (string, error) {
	name := serverProgramName
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	where := "on PATH"
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, nil
		}
		where = "in " + filepath.Dir(exe) + " nor on PATH"
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%w, found neither %s; install it with "+
		"\"go install github.com/stemflow/stemflow/cmd/%s@latest\" (or \"make build\", which writes bin/%s next to bin/stemflow)",
		errNoServerProgram, where, serverProgramName, serverProgramName)
}
