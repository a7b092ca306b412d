package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/internal/render"
	"github.com/stemflow/stemflow/udf"
)

// job is a prepared run: the opened dataset, the specs, their UDFs and options.
// Pick specs run separately (each with its own one-position ROI, ignoring --roi);
// all other specs share one pass over the data.
type job struct {
	path  string // FILE as given
	ds    dataset.Dataset
	specs []udfSpec
	main  []int     // indices into specs of the one-pass UDFs
	udfs  []udf.UDF // the UDF of each spec
	opts  udf.Options
	roi   *array.Dense[bool]
	picks map[int]*array.Dense[bool] // the one-position ROI of each pick spec
	// closeDevices releases the GPU streams of opts.Devices.
	closeDevices func() error
}

// maxWorkers is the largest --workers accepted: 4 per CPU, at least 64. More
// goroutines than that only cost memory (each holds its own buffers).
func maxWorkers() int { return max(64, 4*runtime.NumCPU()) }

// prepare opens FILE and builds the UDFs and options of a run. Warnings about input
// that is accepted but probably not meant go to warn.
func prepare(path string, o *runOpts, warn io.Writer) (*job, error) {
	specs, err := parseSpecs(o.udfs)
	if err != nil {
		return nil, usageError{err}
	}
	if o.workers < 0 || o.workers > maxWorkers() {
		return nil, usagef("--workers %d, want 0 (one per CPU) to %d", o.workers, maxWorkers())
	}
	ds, err := openDataset(path, o.dataOpts, o.partitions, o.workers, warn)
	if err != nil {
		return nil, err
	}
	j := &job{path: path, ds: ds, specs: specs}
	fail := func(err error) (*job, error) {
		ds.Close()
		return nil, err
	}
	if o.roi != "" {
		if j.roi, err = loadROI(o.roi, ds.Shape()); err != nil {
			return fail(err)
		}
		if countTrue(j.roi.Contiguous().Data()) == 0 {
			warnf(warn, "--roi %s selects no scan position: nav-shaped results are all NaN, sig-shaped ones hold the empty sum", o.roi)
		}
	}
	for i, s := range specs {
		if err := checkDetector(s, ds.Shape(), warn); err != nil {
			return fail(err)
		}
		u, err := buildUDF(s, ds.Shape())
		if err != nil {
			return fail(err)
		}
		j.udfs = append(j.udfs, u)
		if s.Kind != "pick" {
			j.main = append(j.main, i)
			continue
		}
		// checked here, before any data is read
		roi, err := pickROI(s, ds.Shape())
		if err != nil {
			return fail(err)
		}
		if j.picks == nil {
			j.picks = map[int]*array.Dense[bool]{}
		}
		j.picks[i] = roi
	}
	j.opts = udf.Options{Workers: o.workers, Inline: o.inline, NumPartitions: o.partitions}
	if j.opts.Devices, j.closeDevices, err = openDevices(o.deviceOpts, warn); err != nil {
		return fail(err)
	}
	if j.roi != nil {
		j.opts.ROI = j.roi
	}
	return j, nil
}

// checkDetector checks, before any data is read, that the detector of a spec fits
// the data: com needs a 2-D detector (an error); a disk, ring or com centre outside
// the frame is allowed but warned about.
func checkDetector(s udfSpec, shape array.Shape, warn io.Writer) error {
	sig := shape.Sig()
	switch s.Kind {
	case "com", "disk", "ring":
	default:
		return nil
	}
	if len(sig) != 2 {
		if s.Kind == "com" {
			return fmt.Errorf("--udf %q: com needs a 2-D detector, the data has sig shape %v", s.Text, sig)
		}
		return nil
	}
	if math.IsNaN(s.CY) {
		return nil // the frame centre
	}
	if s.CY < 0 || s.CY > float64(sig[0]-1) || s.CX < 0 || s.CX > float64(sig[1]-1) {
		warnf(warn, "--udf %q: centre (%g, %g) lies outside the %d×%d detector", s.Text, s.CY, s.CX, sig[0], sig[1])
	}
	return nil
}

// warnf prints one warning line on w (stderr): the run goes on.
func warnf(w io.Writer, format string, a ...any) {
	if w != nil {
		fmt.Fprintf(w, "stemflow: warning: "+format+"\n", a...)
	}
}

func countTrue(v []bool) int {
	n := 0
	for _, b := range v {
		if b {
			n++
		}
	}
	return n
}

// pickROI returns the ROI that selects only the scan position of a pick spec.
func pickROI(s udfSpec, shape array.Shape) (*array.Dense[bool], error) {
	nav := shape.Nav()
	if len(nav) != 2 {
		return nil, fmt.Errorf("--udf %q: pick needs a 2-D scan, the data has nav shape %v", s.Text, nav)
	}
	if s.Y >= nav[0] || s.X >= nav[1] {
		return nil, fmt.Errorf("--udf %q: position (%d, %d) outside the scan %v", s.Text, s.Y, s.X, nav)
	}
	roi := array.Zeros[bool](nav...)
	roi.Set(true, s.Y, s.X)
	return roi, nil
}

// inputBytes is the number of stored bytes a pass over the selected frames reads.
func inputBytes(ds dataset.Dataset, roi *array.Dense[bool]) int64 {
	shape := ds.Shape()
	frames := shape.NavSize()
	if roi != nil {
		frames = countTrue(roi.Contiguous().Data())
	}
	return int64(frames) * int64(shape.SigSize()) * int64(ds.DType().ItemSize())
}

// cmdRun runs the UDFs and writes results and pictures.
func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, o := runFlagSet(stderr)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	path, err := onePositional(pos, "input FILE")
	if err != nil {
		return err
	}
	// --out first: a typo must not cost a whole pass.
	if err := checkOutDir(o.out); err != nil {
		return err
	}
	oneShotGC()
	tm := newPhaseTimer(stderr)
	j, err := prepare(path, o, stderr)
	if err != nil {
		return err
	}
	tm.mark("open")
	defer j.ds.Close()
	defer j.closeDevices()
	out, err := openOutputs(o.out)
	if err != nil {
		return err
	}
	dirs := make([]string, len(j.specs))
	for i, s := range j.specs {
		dirs[i] = s.Dir
	}
	if err := out.checkTargets(dirs, []string{manifestName}); err != nil {
		out.abort()
		return err
	}
	files, err := runAndWrite(ctx, j, o, out, stderr, tm)
	if err != nil {
		out.abort()
		return err
	}
	man, err := newManifest(o.out, path, append([]string{"run"}, args...), j.specs, files)
	if err == nil {
		err = man.write(out)
	}
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		out.abort()
		return err
	}
	tm.mark("manifest")
	final, err := out.commit()
	out.close()
	tm.mark("commit")
	if err != nil {
		out.removeCreated()
		return err
	}
	for _, f := range final {
		fmt.Fprintln(stdout, f)
	}
	return nil
}

// runAndWrite runs the one-pass UDFs, then the picks while the one-pass results are
// written, and stages every file; it returns the staged files (relative to the
// output folder) of each spec.
func runAndWrite(ctx context.Context, j *job, o *runOpts, out *outputs, stderr io.Writer, tm *phaseTimer) ([][]string, error) {
	results := make([]*udf.Result, len(j.specs))
	mode := o.progress.get(isTerminal(stderr))
	if len(j.main) > 0 {
		us := make([]udf.UDF, len(j.main))
		for k, i := range j.main {
			us[k] = j.udfs[i]
		}
		total := inputBytes(j.ds, j.roi)
		bar := newProgress(stderr, mode, total, "run", true)
		opts := j.opts
		opts.Progress = func(p udf.Progress) {
			if p.Total > 0 {
				bar.set(total * int64(p.Done) / int64(p.Total))
			}
		}
		rs, err := runPass(ctx, j, o, us, opts, tm)
		if err != nil {
			bar.abort()
			return nil, err
		}
		bar.finish()
		for k, i := range j.main {
			results[i] = rs[k]
		}
		tm.mark("pass")
	}
	w := newWriter(ctx, out, render.Options{Log: o.log}, len(j.specs))
	w.bar = newProgress(stderr, mode, 0, "write", false)
	for _, i := range j.main {
		w.spec(i, j.specs[i], results[i])
	}
	for i, s := range j.specs {
		if s.Kind != "pick" {
			continue
		}
		opts := j.opts
		opts.ROI = j.picks[i]
		r, err := udf.RunOne(ctx, j.ds, j.udfs[i], opts)
		if err != nil {
			w.wait()
			w.bar.abort()
			return nil, err
		}
		w.spec(i, s, r)
	}
	files, err := w.wait()
	if err != nil {
		w.bar.abort()
		return nil, err
	}
	tm.mark("write")
	w.bar.finish()
	return files, nil
}

// errNoResult reports a spec without a result, a bug of the command.
var errNoResult = errors.New("internal error: no result")
