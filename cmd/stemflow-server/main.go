// Command stemflow-server runs an embedded NATS server with JetStream for stemflow
// workers and drivers and prints its client URL; it runs until interrupted (SIGINT
// or SIGTERM). `stemflow server` runs this program (found next to the stemflow
// executable or on PATH) with the same flags; it is a program of its own so that
// the NATS server is not linked into stemflow, whose every process would otherwise
// pay for the server's package initialisation.
//
// Usage:
//
//	stemflow-server [--host 127.0.0.1] [--port 4222] [--store stemflow-nats] [--user U --password P | --token T]
//
// User and password or token may come from STEMFLOW_NATS_USER,
// STEMFLOW_NATS_PASSWORD and STEMFLOW_NATS_TOKEN instead (preferable: flags show
// in ps). Exit status: 0 after an interrupt, 1 when the server cannot start, 2 for
// a bad command line.
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

	"github.com/stemflow/stemflow/cluster"
	"github.com/stemflow/stemflow/cluster/natsserver"
	"github.com/stemflow/stemflow/internal/serverflags"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, programName(os.Args[0]), os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// programName is the name in messages: "stemflow server" when `stemflow server`
// started the program (it passes that as argv[0]), else "stemflow-server".
func programName(argv0 string) string {
	if argv0 == "stemflow server" {
		return argv0
	}
	return "stemflow-server"
}

// run starts the server with the flags in args, prints its URL on stdout, waits
// until ctx ends and returns the exit status.
func run(ctx context.Context, name string, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are printed below, once
	o := serverflags.Register(fs)
	usage := func(w io.Writer) {
		fmt.Fprintf(w, "usage: %s [flags]\n\nflags:\n", name)
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
		fmt.Fprintf(w, "\n%s", serverflags.Help)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(stdout)
			return 0
		}
		fmt.Fprintf(stderr, "%s: %v\nrun \"%s -h\" for usage\n", name, err, name)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: takes no arguments, got %q\nrun \"%s -h\" for usage\n", name, fs.Args(), name)
		return 2
	}
	env := cluster.ConnOptionsFromEnv(cluster.ConnOptions{User: o.User, Password: o.Password, Token: o.Token})
	srv, err := natsserver.Start(natsserver.Options{Host: o.Host, Port: o.Port, StoreDir: o.Store,
		User: env.User, Password: env.Password, Token: env.Token})
	if err != nil {
		fmt.Fprintf(stderr, "%s: error: %v\n", name, err)
		return 1
	}
	fmt.Fprintln(stdout, srv.URL())
	<-ctx.Done()
	srv.Close()
	return 0
}
