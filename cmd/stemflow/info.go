package main

import (
	"context"
	"fmt"
	"io"
	"runtime"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/udf"
)

// cmdInfo prints what stemflow sees in FILE and how a run would cut it up.
func cmdInfo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, o := infoFlagSet(stderr)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	path, err := onePositional(pos, "input FILE")
	if err != nil {
		return err
	}
	ro := &runOpts{dataOpts: o.dataOpts, udfs: o.udfs, partitions: o.partitions, workers: o.workers, roi: o.roi}
	j, err := prepare(path, ro, stderr)
	if err != nil {
		return err
	}
	defer j.ds.Close()
	ds := j.ds
	fmt.Fprint(stdout, describeDataset(ds))
	describeDevices(stdout)

	workers := o.workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	parts := dataset.Partitions(ds, dataset.NumPartitions(ds, workers, o.partitions))
	fmt.Fprintf(stdout, "partitions: %d (for %d workers)\n", len(parts), workers)
	for i, p := range parts {
		if i == 8 && len(parts) > 10 {
			fmt.Fprintf(stdout, "  ... %d more\n", len(parts)-9)
			p = parts[len(parts)-1]
			i = len(parts) - 1
			fmt.Fprintf(stdout, "  %d: frames [%d, %d)\n", i, p.Start(), p.Stop())
			break
		}
		fmt.Fprintf(stdout, "  %d: frames [%d, %d)\n", i, p.Start(), p.Stop())
	}
	var roi []bool
	if j.roi != nil {
		roi = j.roi.Contiguous().Data()
		n := 0
		for _, v := range roi {
			if v {
				n++
			}
		}
		fmt.Fprintf(stdout, "roi: %d of %d positions\n", n, len(roi))
	}
	var main []udf.UDF
	var names []string
	for _, i := range j.main {
		main = append(main, j.udfs[i])
		names = append(names, j.specs[i].Text)
	}
	if len(main) == 0 {
		return nil
	}
	scheme, read, methods, err := tilingOf(ds, main, roi, len(parts))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "udfs: ")
	for i, n := range names {
		if i > 0 {
			fmt.Fprint(stdout, ", ")
		}
		fmt.Fprintf(stdout, "%s (%s)", n, methods[i])
	}
	fmt.Fprintf(stdout, "\ninput dtype: %v\n", read)
	fmt.Fprintf(stdout, "tiling: %s intent, tile shape %v (depth × signal box), %d signal box(es) per frame\n",
		scheme.Intent, scheme.Shape, scheme.Len())
	return nil
}

// describeDataset formats the dataset's own description (dataset.Info when the
// dataset offers one).
func describeDataset(ds dataset.Dataset) string {
	if d, ok := ds.(interface{ Info() dataset.Info }); ok {
		return d.Info().String()
	}
	s := ds.Shape()
	return fmt.Sprintf("shape: %v (nav %v, sig %v)\ndtype: %v\nimage_count: %d\nsync_offset: %d\n",
		s.Dims(), s.Nav(), s.Sig(), ds.DType(), ds.ImageCount(), ds.SyncOffset())
}

// tilingOf compiles (without computing) the run of us that `stemflow run` would do and
// returns its plan: the tiling scheme, the input dtype and each UDF's method.
func tilingOf(ds dataset.Dataset, us []udf.UDF, roi []bool, partitions int) (dataset.TilingScheme, array.DType, []udf.Method, error) {
	opts := udf.Options{NumPartitions: partitions, Inline: true}
	if roi != nil {
		opts.ROI = array.Wrap(roi, len(roi))
	}
	l, err := udf.RunLazy(ds, us, opts)
	if err != nil {
		return dataset.TilingScheme{}, array.DType{}, nil, err
	}
	p := l.Plan()
	return p.Scheme, p.InputDType, p.Methods, nil
}
