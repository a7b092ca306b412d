package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/internal/render"
	"github.com/stemflow/stemflow/udf"
)

// job is a prepared run: the opened dataset, the specs, their UDFs and options.
// Pick specs run separately (each with its own one-position ROI, ignoring --roi);
// all other specs share one pass over the data.
type job struct {
	ds    dataset.Dataset
	specs []udfSpec
	main  []int     // indices into specs of the one-pass UDFs
	udfs  []udf.UDF // the UDF of each spec
	opts  udf.Options
	roi   *array.Dense[bool]
	picks map[int]*array.Dense[bool] // the one-position ROI of each pick spec
}

// prepare opens FILE and builds the UDFs and options of a run.
func prepare(path string, o *runOpts) (*job, error) {
	specs, err := parseSpecs(o.udfs)
	if err != nil {
		return nil, usageError{err}
	}
	if o.workers < 0 {
		return nil, usagef("--workers %d, want ≥ 0", o.workers)
	}
	ds, err := openDataset(path, o.dataOpts, o.partitions)
	if err != nil {
		return nil, err
	}
	j := &job{ds: ds, specs: specs}
	fail := func(err error) (*job, error) {
		ds.Close()
		return nil, err
	}
	if o.roi != "" {
		if j.roi, err = loadROI(o.roi, ds.Shape()); err != nil {
			return fail(err)
		}
	}
	for i, s := range specs {
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
	if j.roi != nil {
		j.opts.ROI = j.roi
	}
	return j, nil
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
		frames = 0
		for _, v := range roi.Contiguous().Data() {
			if v {
				frames++
			}
		}
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
	j, err := prepare(path, o)
	if err != nil {
		return err
	}
	defer j.ds.Close()

	results := make([]*udf.Result, len(j.specs))
	if len(j.main) > 0 {
		us := make([]udf.UDF, len(j.main))
		for k, i := range j.main {
			us[k] = j.udfs[i]
		}
		total := inputBytes(j.ds, j.roi)
		bar := newProgress(stderr, o.progress.get(isTerminal(stderr)), total, "run")
		opts := j.opts
		opts.Progress = func(p udf.Progress) {
			if p.Total > 0 {
				bar.set(total * int64(p.Done) / int64(p.Total))
			}
		}
		rs, err := udf.Run(ctx, j.ds, us, opts)
		if err != nil {
			bar.abort()
			return err
		}
		bar.finish()
		for k, i := range j.main {
			results[i] = rs[k]
		}
	}
	for i, s := range j.specs {
		if s.Kind != "pick" {
			continue
		}
		opts := j.opts
		opts.ROI = j.picks[i]
		if results[i], err = udf.RunOne(ctx, j.ds, j.udfs[i], opts); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	out, err := newOutputs(o.out)
	if err != nil {
		return err
	}
	if err := writeResults(ctx, out, j.specs, results, render.Options{Log: o.log}); err != nil {
		out.abort()
		return err
	}
	if err := ctx.Err(); err != nil {
		out.abort()
		return err
	}
	files, err := out.commit()
	if err != nil {
		out.abort() // what was not moved yet goes; moved files are complete
		return err
	}
	for _, f := range files {
		fmt.Fprintln(stdout, f)
	}
	return nil
}

// writeResults stages every buffer of every result as .npy and its pictures as PNG.
func writeResults(ctx context.Context, out *outputs, specs []udfSpec, results []*udf.Result, opt render.Options) error {
	for i, s := range specs {
		r := results[i]
		if r == nil {
			return errors.New("internal error: no result for " + s.Text)
		}
		for _, name := range r.Names() {
			if err := ctx.Err(); err != nil {
				return err
			}
			data := r.Get(name).Data()
			p, err := out.path(filepath.Join(s.Dir, name+".npy"))
			if err != nil {
				return err
			}
			if err := array.WriteNPYFile(p, data); err != nil {
				return fmt.Errorf("%s: %w", s.Text, err)
			}
			pics, err := bufferPictures(name, data, opt)
			if err != nil {
				return fmt.Errorf("%s: %w", s.Text, err)
			}
			for _, pic := range pics {
				if err := writePicture(out, s.Dir, pic); err != nil {
					return err
				}
			}
		}
		if s.Kind == "com" {
			fy, fx := r.Get("field_y"), r.Get("field_x")
			if fy != nil && fx != nil {
				pic, err := fieldPicture("field.png", fy.Data(), fx.Data(), opt)
				if err != nil {
					return fmt.Errorf("%s: field picture: %w", s.Text, err)
				}
				if pic != nil {
					if err := writePicture(out, s.Dir, *pic); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

func writePicture(out *outputs, dir string, pic picture) error {
	p, err := out.path(filepath.Join(dir, pic.file))
	if err != nil {
		return err
	}
	return render.WritePNG(p, pic.img)
}
