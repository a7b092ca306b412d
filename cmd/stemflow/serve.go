package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/stemflow/stemflow/web"
)

// serveOpts are the flags of `stemflow serve`.
type serveOpts struct {
	deviceOpts
	addr    string
	noToken bool
	workers int
}

// serveCacheLimit bounds each GPU's cache of partitions in serve when
// --device-cache is not given.
const serveCacheLimit = 4 << 30

func serveFlagSet(w io.Writer) (*flag.FlagSet, *serveOpts) {
	o := &serveOpts{}
	fs := newFlagSet(w, "serve", "[flags] [DIR]",
		`Serves an interactive web view of the datasets under DIR (default: the current
folder): the sum frame, virtual detectors drawn with the mouse, live virtual images,
picked frames, centre-of-mass fields, downloads (.npy, PNG) and the live graph of
the running detector. Every tab's runs share one pool of --workers workers. With a
CUDA GPU (--device auto or cuda) partitions run on it too, and stay cached in its
memory, so moving a detector re-runs without reading the file. Only files under
DIR can be opened. The printed URL carries a random access token;
any address other than a loopback one requires it.
`)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "listen address host:port (port 0: any free port)")
	fs.BoolVar(&o.noToken, "no-token", false, "serve without an access token (loopback addresses only)")
	fs.IntVar(&o.workers, "workers", 0, "size of the worker pool all runs of all tabs share (0: one per CPU)")
	o.deviceOpts.register(fs) // serve caches partitions on every GPU: 4 GiB each unless --device-cache says otherwise
	return fs, o
}

// cmdServe runs the web server until ctx ends (Ctrl-C).
func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, o := serveFlagSet(stderr)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	dir := "."
	switch len(pos) {
	case 0:
	case 1:
		dir = pos[0]
	default:
		return usagef("want at most one folder DIR, got %d arguments: %q", len(pos), pos)
	}
	if o.workers < 0 {
		return usagef("--workers %d, want ≥ 0", o.workers)
	}
	token := web.NewToken()
	if o.noToken {
		if !web.IsLoopback(o.addr) {
			return usagef("--no-token needs a loopback --addr (127.0.0.1, ::1, localhost), got %q", o.addr)
		}
		token = ""
	}
	devices, closeDevices, err := openDevices(o.deviceOpts, stderr)
	if err != nil {
		return err
	}
	defer closeDevices()
	srv, err := web.New(web.Config{Dir: dir, Token: token, Workers: o.workers,
		Devices: devices, DeviceCacheLimit: serveCacheLimit})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		srv.Close()
		return fmt.Errorf("listen on %s: %w", o.addr, err)
	}
	url := "http://" + ln.Addr().String() + "/"
	if token != "" {
		url += "?token=" + token
	}
	fmt.Fprintf(stdout, "stemflow serve: serving %s\n", dir)
	for _, d := range devices {
		where := "beside the CPU workers"
		if d.Only {
			where = "instead of the CPU workers"
		}
		fmt.Fprintf(stdout, "device %s: %d streams %s, partitions cached in its memory\n", d.Name, len(d.Execs), where)
	}
	fmt.Fprintf(stdout, "open %s\n(Ctrl-C stops)\n", url)
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	select {
	case err = <-done:
	case <-ctx.Done():
	}
	srv.Close() // ends the event streams, so Shutdown does not wait for them
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = hs.Shutdown(sctx)
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil // Ctrl-C is the normal way to stop a server
}
