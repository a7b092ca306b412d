package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/stemflow/stemflow/sched"
	"github.com/stemflow/stemflow/udf"
)

// Exit codes.
const (
	exitOK        = 0
	exitError     = 1   // the run failed; the message names the cause
	exitUsage     = 2   // bad command line: one line says why
	exitInterrupt = 130 // Ctrl-C (SIGINT) or SIGTERM
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second Ctrl-C kills the process the usual way
	}()
	stopProfile := startProfile(os.Stderr)
	code := cli(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stopProfile()
	stop()
	os.Exit(code)
}

// command is one subcommand: its name, one-line synopsis for the main usage, its
// flag set (for help; nil when it has no flags) and what it does with the arguments
// after its name. To add a subcommand, add an entry to commands.
type command struct {
	name     string
	synopsis string // "[flags] FILE   what it does"
	flags    func(stderr io.Writer) *flag.FlagSet
	run      func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// flagsOf adapts a flag-set constructor that also returns the options.
func flagsOf[T any](mk func(io.Writer) (*flag.FlagSet, T)) func(io.Writer) *flag.FlagSet {
	return func(w io.Writer) *flag.FlagSet { fs, _ := mk(w); return fs }
}

func commands() []command {
	return []command{
		{"run", "[flags] FILE   run built-in UDFs in one pass, write .npy results and PNG pictures", flagsOf(runFlagSet), cmdRun},
		{"info", "[flags] FILE   show shape, dtype, image count, partitions and tiling", flagsOf(infoFlagSet), cmdInfo},
		{"graph", "[flags] FILE   write the compiled graph of a run as Graphviz DOT", flagsOf(graphFlagSet), cmdGraph},
		{"sample", "[flags] DIR    write DIR/sample.npy, a small synthetic 4D-STEM dataset", flagsOf(sampleFlagSet), cmdSample},
		{"version", "               print the version", nil, cmdVersion},
		{"serve", "[flags] [DIR]  interactive web view of the datasets under DIR", flagsOf(serveFlagSet), cmdServe},
		{"server", "[flags]        embedded NATS JetStream server for stemflow workers", flagsOf(serverFlagSet), cmdServer},
		{"worker", "--nats URL     run partition tasks of run --nats", flagsOf(workerFlagSet), cmdWorker},
	}
}

// mainUsage is the usage text of the program, listing every command.
func mainUsage() string {
	var b strings.Builder
	b.WriteString("stemflow runs UDFs (user-defined functions) over 4D-STEM and other detector data.\n\nusage:\n")
	for _, c := range commands() {
		fmt.Fprintf(&b, "  stemflow %-7s %s\n", c.name, c.synopsis)
	}
	b.WriteString(`  stemflow help    [COMMAND]      show help

Flags may come before or after FILE. Run "stemflow help run" for the flags of a command.
Exit status: 0 done, 1 the run failed (internal errors too), 2 bad command line
(unknown or malformed flag, missing argument or required flag), 130 interrupted
(SIGINT or SIGTERM; nothing is written).
`)
	return b.String()
}

// cli runs the command line args (without the program name) and returns the exit code.
func cli(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, mainUsage())
		return exitUsage
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			for _, c := range commands() {
				if c.name == args[1] {
					printHelp(c, stdout)
					return exitOK
				}
			}
			fmt.Fprintf(stderr, "stemflow: unknown command %q; run \"stemflow help\" for the commands\n", args[1])
			return exitUsage
		}
		fmt.Fprint(stdout, mainUsage())
		return exitOK
	case "--version", "-version", "-v":
		name = "version"
		args = []string{name}
	}
	for _, c := range commands() {
		if c.name != name {
			continue
		}
		err := runCommand(ctx, c, args[1:], stdout, stderr)
		return exitCode(ctx, c, err, stdout, stderr)
	}
	fmt.Fprintf(stderr, "stemflow: unknown command %q; run \"stemflow help\" for the commands\n", name)
	return exitUsage
}

// printHelp prints the usage of command c on w.
func printHelp(c command, w io.Writer) {
	if c.flags == nil {
		fmt.Fprintf(w, "usage: stemflow %s\n\n%s\n", c.name, strings.TrimSpace(c.synopsis))
		return
	}
	fs := c.flags(w)
	fs.SetOutput(w)
	fs.Usage()
}

// internalError is a panic of a command turned into an error: a bug of stemflow.
type internalError struct {
	value any
	stack []byte
}

func (e *internalError) Error() string { return fmt.Sprintf("panic: %v", e.value) }

// runCommand runs c, turning a panic into an *internalError.
func runCommand(ctx context.Context, c command, args []string, stdout, stderr io.Writer) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &internalError{value: p, stack: debug.Stack()}
		}
	}()
	return c.run(ctx, args, stdout, stderr)
}

// isInternal reports whether err is a bug of stemflow rather than of the input: a
// panic of the command, or one the engine recovered in a built-in UDF or an op.
func isInternal(err error) bool {
	var ie *internalError
	var up *udf.PanicError
	var sp *sched.PanicError
	return errors.As(err, &ie) || errors.As(err, &up) || errors.As(err, &sp)
}

const internalHint = "this is a bug in stemflow, not a problem with your data or flags; please report it with the command line and this message"

// exitCode reports err on stderr and maps it to an exit code.
func exitCode(ctx context.Context, c command, err error, stdout, stderr io.Writer) int {
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		printHelp(c, stdout)
		return exitOK
	case ctx.Err() != nil:
		fmt.Fprintf(stderr, "stemflow %s: interrupted; no results written\n", c.name)
		return exitInterrupt
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "stemflow %s: %v\nrun \"stemflow help %s\" for usage\n", c.name, err, c.name)
		return exitUsage
	case isInternal(err):
		fmt.Fprintf(stderr, "stemflow %s: internal error: %v\n%s\n", c.name, err, internalHint)
		var ie *internalError
		if errors.As(err, &ie) && os.Getenv("STEMFLOW_TRACE") != "" {
			stderr.Write(ie.stack)
		}
		return exitError
	default:
		fmt.Fprintf(stderr, "stemflow %s: error: %v\n", c.name, err)
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
