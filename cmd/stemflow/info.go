package main

import (
	"context"
	"fmt"
	"io"
	"runtime"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/backends"
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
	j, err := prepare(path, ro)
	if err != nil {
		return err
	}
	defer j.ds.Close()
	ds := j.ds
	fmt.Fprint(stdout, describeDataset(ds))

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

// tilingOf works out the tiling scheme a run of us would negotiate, with the same
// inputs the run compiler (udf/compile.go) gives dataset.Negotiate: the input dtype
// (numpy promotion of the native dtype and every UDF's preference, float32 by
// default, then promoted for the array backends the execution plan picks), each
// UDF's processing method (tile > frame > partition unless it chooses) and, for tile
// UDFs, its tiling preferences. The udf package does not export a compiled run's
// scheme; TestInfoTilingMatchesEngine checks this mirror against a real run.
func tilingOf(ds dataset.Dataset, us []udf.UDF, roi []bool, partitions int) (dataset.TilingScheme, array.DType, []udf.Method, error) {
	lists := make([][]backends.Backend, len(us))
	for i, u := range us {
		if bl, ok := u.(udf.BackendLister); ok {
			lists[i] = bl.Backends()
		}
	}
	plan, err := backends.NewPlan(lists, backends.ForFormats(ds.Formats()), backends.DeviceCPU, nil)
	if err != nil {
		return dataset.TilingScheme{}, array.DType{}, nil, fmt.Errorf("backend plan: %w", err)
	}
	read := ds.DType()
	for _, u := range us {
		pref := array.Float32
		if p, ok := u.(udf.InputDTyper); ok {
			pref = p.PreferredInputDType()
		}
		read = array.ResultType(pref, read)
	}
	read = backends.ResultType(read, plan.Targets()...)
	meta := &udf.Meta{DatasetShape: ds.Shape(), ROI: roi, DatasetDType: ds.DType(), InputDType: read, DeviceClass: "cpu", Partition: -1}
	prefs := make([]dataset.TilingPrefs, len(us))
	methods := make([]udf.Method, len(us))
	for i, u := range us {
		m := udf.MethodPartition
		switch u.(type) {
		case udf.TileProcessor:
			m = udf.MethodTile
		case udf.FrameProcessor:
			m = udf.MethodFrame
		}
		if mc, ok := u.(udf.MethodChooser); ok {
			m = mc.Method(meta)
		}
		var p dataset.TilingPrefs
		if tp, ok := u.(udf.TilingPreferrer); ok && m == udf.MethodTile {
			p = tp.TilingPreferences(meta)
		}
		p.Method = m
		prefs[i], methods[i] = p, m
	}
	scheme, err := dataset.Negotiate(dataset.NegotiationFor(ds, prefs, read, roi, partitions))
	if err != nil {
		return scheme, read, methods, fmt.Errorf("tiling negotiation: %w", err)
	}
	return scheme, read, methods, nil
}
