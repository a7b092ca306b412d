package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes.
const (
	exitOK        = 0
	exitError     = 1   // the run failed; the message names the cause
	exitUsage     = 2   // bad command line; usage printed
	exitInterrupt = 130 // Ctrl-C (SIGINT) or SIGTERM
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second Ctrl-C kills the process the usual way
	}()
	code := cli(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const mainUsage = `stemflow runs UDFs (user-defined functions) over 4D-STEM and other detector data.

usage:
  stemflow run    [flags] FILE   run built-in UDFs in one pass, write .npy results and PNG pictures
  stemflow info   [flags] FILE   show shape, dtype, image count, partitions and tiling
  stemflow graph  [flags] FILE   write the compiled graph of a run as Graphviz DOT
  stemflow sample [flags] DIR    write DIR/sample.npy, a small synthetic 4D-STEM dataset
  stemflow serve  [flags] [DIR]  interactive web view of the datasets under DIR
  stemflow help   [COMMAND]      show help

Flags may come before or after FILE. Run "stemflow help run" for the flags of a command.
Exit status: 0 done, 1 error, 2 usage error, 130 interrupted.
`

// command is one subcommand: its flag set (for help) and what it does with the
// arguments after its name.
type command struct {
	name  string
	flags func(stderr io.Writer) *flag.FlagSet
	run   func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"run", func(w io.Writer) *flag.FlagSet { fs, _ := runFlagSet(w); return fs }, cmdRun},
		{"info", func(w io.Writer) *flag.FlagSet { fs, _ := infoFlagSet(w); return fs }, cmdInfo},
		{"graph", func(w io.Writer) *flag.FlagSet { fs, _ := graphFlagSet(w); return fs }, cmdGraph},
		{"sample", func(w io.Writer) *flag.FlagSet { fs, _ := sampleFlagSet(w); return fs }, cmdSample},
		{"serve", func(w io.Writer) *flag.FlagSet { fs, _ := serveFlagSet(w); return fs }, cmdServe},
	}
}

// cli runs the command line args (without the program name) and returns the exit code.
func cli(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, mainUsage)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			for _, c := range commands() {
				if c.name == args[1] {
					fs := c.flags(stdout)
					fs.SetOutput(stdout)
					fs.Usage()
					return exitOK
				}
			}
			fmt.Fprintf(stderr, "stemflow: unknown command %q\n\n%s", args[1], mainUsage)
			return exitUsage
		}
		fmt.Fprint(stdout, mainUsage)
		return exitOK
	}
	for _, c := range commands() {
		if c.name != name {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		return exitCode(ctx, name, err, stderr, func(w io.Writer) { c.flags(w).Usage() }, stdout)
	}
	fmt.Fprintf(stderr, "stemflow: unknown command %q\n\n%s", name, mainUsage)
	return exitUsage
}

// exitCode reports err on stderr and maps it to an exit code. usage prints the
// command's usage to a writer: stdout when help was asked for, stderr on errors.
func exitCode(ctx context.Context, name string, err error, stderr io.Writer, usage func(io.Writer), stdout io.Writer) int {
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		usage(stdout)
		return exitOK
	case ctx.Err() != nil:
		fmt.Fprintf(stderr, "stemflow %s: interrupted; no results written\n", name)
		return exitInterrupt
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "stemflow %s: %v\n\n", name, err)
		usage(stderr)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "stemflow %s: error: %v\n", name, err)
		return exitError
	}
}

// newFlagSet makes a flag set that reports errors (not exits) and prints its usage
// with synopsis and extra text to w.
func newFlagSet(w io.Writer, name, synopsis, extra string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(w)
	fs.Usage = func() {
		out := fs.Output()
		fmt.Fprintf(out, "usage: stemflow %s %s\n\nflags (before or after the file):\n", name, synopsis)
		fs.PrintDefaults()
		if extra != "" {
			fmt.Fprintf(out, "\n%s", extra)
		}
	}
	return fs
}

// onePositional returns the single positional argument named what.
func onePositional(pos []string, what string) (string, error) {
	switch len(pos) {
	case 0:
		return "", usagef("missing %s", what)
	case 1:
		return pos[0], nil
	}
	return "", usagef("want one %s, got %d arguments: %q", what, len(pos), pos)
}
