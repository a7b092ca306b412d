package main

import (
	"flag"
	"io"
	"strings"

	"github.com/stemflow/stemflow/dataset"
)

// dataOpts are the flags that say how to open the input file.
type dataOpts struct {
	format     string
	nav, sig   shapeFlag
	dtype      string
	syncOffset int
	io         string
	dsPath     string
	corr       corrFlags
}

func (d *dataOpts) register(fs *flag.FlagSet) {
	fs.StringVar(&d.format, "format", "auto", "input format: auto (by extension: "+formatHelp()+"), or one of "+strings.Join(dataset.FormatNames(), ", "))
	fs.Var(&d.nav, "nav-shape", "scan (navigation) shape, e.g. 64,64 (required for raw; reshapes other formats)")
	fs.Var(&d.sig, "sig-shape", "detector (signal) shape, e.g. 128,128 (required for raw; reshapes other formats)")
	fs.StringVar(&d.dtype, "dtype", "", "element type of a raw file: numpy names or strings (float32, uint16, >u2, <f4, ...)")
	fs.IntVar(&d.syncOffset, "sync-offset", 0, "skip the first N frames (N > 0) or insert -N blank frames (N < 0)")
	fs.StringVar(&d.dsPath, "ds-path", "", "dataset inside an HDF5 file, e.g. /entry/data/data (default: DECTRIS /entry/data/data_NNNNNN links stacked, else the largest dataset with ≥ 3 axes)")
	d.corr.register(fs)
	fs.StringVar(&d.io, "io", "auto", "how files are read: auto (see below), mmap, populate (mmap with the page tables filled at open) or pread")
}

// runOpts are the flags of run and graph (graph writes to --out FILE.dot).
type runOpts struct {
	dataOpts
	deviceOpts
	roi        string
	udfs       listFlag
	workers    int
	partitions int
	inline     bool
	out        string
	progress   autoBool
	log        bool
	nats       natsFlags
}

func (r *runOpts) register(fs *flag.FlagSet, outHelp, outDefault string) {
	r.dataOpts.register(fs)
	r.deviceOpts.register(fs)
	fs.StringVar(&r.roi, "roi", "", "region of interest: .npy of bools (or numbers, nonzero = in), nav-shaped or flat")
	fs.Var(&r.udfs, "udf", "UDF `SPEC` to run (repeatable; default sum); see below")
	fs.IntVar(&r.workers, "workers", 0, "worker goroutines (0 = one per CPU)")
	fs.IntVar(&r.partitions, "partitions", 0, "number of partitions (0 = automatic)")
	fs.BoolVar(&r.inline, "inline", false, "run every task on the calling goroutine, one after another")
	fs.StringVar(&r.out, "out", outDefault, outHelp)
}

const specUsageHead = "UDF specs (--udf):\n"

const runExtra = `Results: OUT/<spec>/<buffer>.npy for every buffer a UDF returns (a second use of the
same spec name writes OUT/<spec>-2/, and so on); nav-shaped buffers are NaN outside the
ROI. Every result that is 2-D after dropping length-1 axes also gets <buffer>.png; a
trailing axis of length k ≤ 16 gives <buffer>-<i>.png per index; com also writes
field.png (hue = direction, brightness = magnitude). Files appear only when the whole
run has succeeded; each spec folder then replaces an earlier run's as a whole, and
OUT/stemflow-run.json lists what OUT holds. --io auto reads with pread below 8
workers and maps the file from 8.

`

func runFlagSet(w io.Writer) (*flag.FlagSet, *runOpts) {
	o := &runOpts{}
	fs := newFlagSet(w, "run", "[flags] FILE", runExtra+specUsageHead+specHelp())
	o.register(fs, "output `folder`", "stemflow-out")
	fs.Var(&o.progress, "progress", "show a progress bar with throughput and time left on stderr (default: on when stderr is a terminal)")
	fs.BoolVar(&o.log, "log", false, "render every picture on a log scale")
	o.nats.register(fs)
	return fs, o
}

func graphFlagSet(w io.Writer) (*flag.FlagSet, *runOpts) {
	o := &runOpts{}
	fs := newFlagSet(w, "graph", "[flags] FILE",
		"Writes the graph the run flags would compile, as Graphviz DOT, to stdout or --out;\n"+
			"with --out and Graphviz's dot on PATH also FILE.svg beside it.\n\n"+specUsageHead+specHelp())
	o.register(fs, "write the DOT to this `file` instead of stdout", "")
	return fs, o
}

// infoOpts are the flags of info: how to open the file, and the run whose
// partitions and tiling it reports.
type infoOpts struct {
	dataOpts
	udfs       listFlag
	partitions int
	workers    int
	roi        string
}

func infoFlagSet(w io.Writer) (*flag.FlagSet, *infoOpts) {
	o := &infoOpts{}
	fs := newFlagSet(w, "info", "[flags] FILE",
		"Prints shape, dtype, image count, partitions and the tiling scheme a run of the\ngiven UDFs (default sum) would use.\n\n"+specUsageHead+specHelp())
	o.dataOpts.register(fs)
	fs.Var(&o.udfs, "udf", "UDF `SPEC` whose tiling to show (repeatable; default sum)")
	fs.IntVar(&o.partitions, "partitions", 0, "number of partitions (0 = automatic)")
	fs.IntVar(&o.workers, "workers", 0, "worker goroutines the partition count is chosen for (0 = one per CPU)")
	fs.StringVar(&o.roi, "roi", "", "region of interest .npy")
	return fs, o
}

// sampleOpts are the flags of sample.
type sampleOpts struct {
	nav, sig shapeFlag
}

func sampleFlagSet(w io.Writer) (*flag.FlagSet, *sampleOpts) {
	o := &sampleOpts{nav: shapeFlag{32, 32}, sig: shapeFlag{64, 64}}
	fs := newFlagSet(w, "sample", "[flags] DIR",
		"Writes DIR/sample.npy: float32 frames of a scan over three round particles; the\n"+
			"diffraction disk dims and shifts near each particle, plus deterministic noise.\n")
	fs.Var(&o.nav, "nav-shape", "scan shape `ny,nx`")
	fs.Var(&o.sig, "sig-shape", "detector shape `sy,sx`")
	return fs, o
}
