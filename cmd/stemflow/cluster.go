package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/cluster"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/udf"
)

// natsFlags are the connection flags of run --nats and worker. Credentials may come
// from the STEMFLOW_NATS_* environment instead; they are never printed.
type natsFlags struct {
	url, user, password, token, nkey, creds, ca, cert, key string
}

func (n *natsFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&n.url, "nats", "", "run partition tasks on the stemflow workers of this NATS `URL` (env "+cluster.EnvURL+")")
	fs.StringVar(&n.user, "nats-user", "", "NATS user name (env "+cluster.EnvUser+"; password from "+cluster.EnvPassword+" or --nats-password)")
	fs.StringVar(&n.password, "nats-password", "", "NATS password (prefer env "+cluster.EnvPassword+": flags show in ps)")
	fs.StringVar(&n.token, "nats-token", "", "NATS token (prefer env "+cluster.EnvToken+")")
	fs.StringVar(&n.nkey, "nats-nkey", "", "NATS NKey seed `file` (env "+cluster.EnvNKey+")")
	fs.StringVar(&n.creds, "nats-creds", "", "NATS credentials `file` (env "+cluster.EnvCreds+")")
	fs.StringVar(&n.ca, "nats-tls-ca", "", "CA `file` for the server's TLS certificate (env "+cluster.EnvTLSCA+")")
	fs.StringVar(&n.cert, "nats-tls-cert", "", "client TLS certificate `file` (env "+cluster.EnvTLSCert+")")
	fs.StringVar(&n.key, "nats-tls-key", "", "client TLS key `file` (env "+cluster.EnvTLSKey+")")
}

func (n *natsFlags) options(name string) cluster.ConnOptions {
	return cluster.ConnOptionsFromEnv(cluster.ConnOptions{URL: n.url, User: n.user, Password: n.password, Token: n.token,
		NKeySeedFile: n.nkey, CredsFile: n.creds, TLSCA: n.ca, TLSCert: n.cert, TLSKey: n.key, Name: name})
}

// remote reports whether run uses a cluster (flag or environment).
func (n *natsFlags) remote() bool { return n.url != "" || os.Getenv(cluster.EnvURL) != "" }

// runPass runs the one-pass UDFs, on the cluster when --nats is given.
func runPass(ctx context.Context, j *job, o *runOpts, us []udf.UDF, opts udf.Options, tm *phaseTimer) ([]*udf.Result, error) {
	if !o.nats.remote() {
		return udf.Run(ctx, j.ds, us, opts)
	}
	specs := make([]cluster.UDFSpec, 0, len(j.main))
	for _, i := range j.main {
		s, err := clusterSpec(j.specs[i], j.ds)
		if err != nil {
			return nil, err
		}
		specs = append(specs, s)
	}
	ds, err := clusterDataset(j.path, o)
	if err != nil {
		return nil, err
	}
	cpu0 := processCPU()
	nc, err := cluster.Connect(o.nats.options("stemflow run"))
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	c, err := cluster.NewClient(ctx, nc, cluster.Config{})
	if err != nil {
		return nil, err
	}
	job, err := c.Open(ctx, cluster.Builtins(), cluster.RunSpec{Dataset: ds, UDFs: specs, Options: opts})
	if err != nil {
		return nil, err
	}
	defer job.Close()
	res, err := udf.Run(ctx, job.Dataset(), job.UDFs(), job.Options())
	if err == nil && tm != nil {
		// which worker took how many tasks (bench/cluster.sh checks the spread)
		ws := job.Workers()
		names := make([]string, 0, len(ws))
		for n := range ws {
			names = append(names, n)
		}
		sort.Strings(names)
		for i, n := range names {
			names[i] = fmt.Sprintf("%s=%d", n, ws[n])
		}
		fmt.Fprintf(tm.w, "timing: workers  %s\n", strings.Join(names, ","))
		// the driver's own CPU time in the remote pass (connect, queue, decode, merge)
		fmt.Fprintf(tm.w, "timing: pass-cpu %7.1f ms\n", (processCPU()-cpu0).Seconds()*1e3)
	}
	return res, err
}

// clusterDataset is the open spec workers use: the absolute path and the format flags.
func clusterDataset(path string, o *runOpts) (cluster.DatasetSpec, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return cluster.DatasetSpec{}, err
	}
	format := strings.ToLower(o.format)
	if format == "" || format == "auto" {
		if format, err = dataset.DetectFormat(abs); err != nil {
			return cluster.DatasetSpec{}, err
		}
	}
	// auto leaves the choice to each worker's format default (never populating a
	// whole file for one partition)
	method, populate := "", false
	if v := strings.ToLower(o.io); v != "" && v != "auto" {
		if method, populate, err = ioMethod(o.io, o.workers); err != nil {
			return cluster.DatasetSpec{}, err
		}
	}
	return cluster.DatasetSpec{Format: format, Path: abs, Options: dataset.OpenOptions{
		NavShape: o.nav, SigShape: o.sig, DType: o.dtype, SyncOffset: o.syncOffset,
		NumPartitions: o.partitions, IO: method, Populate: populate,
	}}, nil
}

// clusterSpec turns a --udf spec into the cluster's built-in of the same UDF.
func clusterSpec(s udfSpec, ds dataset.Dataset) (cluster.UDFSpec, error) {
	switch s.Kind {
	case "sum", "sumsig", "stddev", "logsum":
		return cluster.UDFSpec{Name: s.Kind}, nil
	case "disk":
		return cluster.UDFSpec{Name: "disk", Params: map[string]float64{"cy": s.CY, "cx": s.CX, "r": s.R}}, nil
	case "ring":
		return cluster.UDFSpec{Name: "ring", Params: map[string]float64{"cy": s.CY, "cx": s.CX, "r": s.RO, "ri": s.RI}}, nil
	case "masks":
		m, err := loadMasks(s.MaskFile, ds.Shape().Sig())
		if err != nil {
			return cluster.UDFSpec{}, fmt.Errorf("--udf %q: %w", s.Text, err)
		}
		return cluster.UDFSpec{Name: "masks", Arrays: map[string]array.Array{"masks": m}}, nil
	case "com":
		p := map[string]any{"ri": s.RI, "rotation": s.Rotation, "flip_y": s.FlipY, "regression": s.Regression}
		if !math.IsNaN(s.CY) {
			p["cy"], p["cx"] = s.CY, s.CX
		}
		if !math.IsInf(s.R, 1) {
			p["r"] = s.R
		}
		return cluster.UDFSpec{Name: "com", Params: p}, nil
	}
	return cluster.UDFSpec{}, usagef("--udf %q: cannot run on a cluster", s.Text)
}

type workerOpts struct {
	nats     natsFlags
	workers  int
	dataRoot string
	name     string
}

func workerFlagSet(w io.Writer) (*flag.FlagSet, *workerOpts) {
	o := &workerOpts{}
	fs := newFlagSet(w, "worker", "--nats URL [flags]",
		"Runs partition tasks of `stemflow run --nats` (built-in UDFs) until interrupted.\n"+
			"Datasets are opened from the path the driver gives, which must lie in --data-root.\n")
	o.nats.register(fs)
	fs.IntVar(&o.workers, "workers", 0, "tasks run at once (0 = one per CPU)")
	fs.StringVar(&o.dataRoot, "data-root", ".", "only open datasets inside this `folder`")
	fs.StringVar(&o.name, "name", "", "worker name in errors (default host-pid)")
	return fs, o
}

func cmdWorker(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, o := workerFlagSet(stderr)
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usagef("worker takes no arguments, got %q", fs.Args())
	}
	if !o.nats.remote() {
		return usagef("worker needs --nats URL (or %s)", cluster.EnvURL)
	}
	if o.workers < 0 {
		return usagef("--workers %d, want ≥ 0", o.workers)
	}
	co := o.nats.options("stemflow worker")
	nc, err := cluster.Connect(co)
	if err != nil {
		return err
	}
	defer nc.Close()
	slots := o.workers
	if slots == 0 {
		slots = runtime.GOMAXPROCS(0)
	}
	fmt.Fprintf(stderr, "stemflow worker: %d task slots, data root %s, server %s\n", slots, o.dataRoot, cluster.Redact(co.URL))
	err = cluster.Serve(ctx, nc, cluster.WorkerOptions{Slots: slots, DataRoot: o.dataRoot, Name: o.name,
		Log: func(f string, a ...any) { fmt.Fprintf(stderr, "stemflow "+f+"\n", a...) }})
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
