package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/stemflow/stemflow/udf"
)

// cmdGraph writes the compiled graph of the run the flags describe as DOT.
func cmdGraph(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, o := graphFlagSet(stderr)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	path, err := onePositional(pos, "input FILE")
	if err != nil {
		return err
	}
	j, err := prepare(path, o, stderr)
	if err != nil {
		return err
	}
	defer j.ds.Close()

	// The one-pass run; when every spec is a pick, the first pick's run.
	var us []udf.UDF
	opts := j.opts
	for _, i := range j.main {
		us = append(us, j.udfs[i])
	}
	if len(us) == 0 {
		us, opts.ROI = j.udfs[:1], j.picks[0]
	}
	lazy, err := udf.RunLazy(j.ds, us, opts)
	if err != nil {
		return err
	}
	var dot bytes.Buffer
	if err := lazy.WriteDOT(&dot); err != nil {
		return err
	}
	if o.out == "" {
		_, err := stdout.Write(dot.Bytes())
		return err
	}
	// --out x.svg writes x.dot and x.svg; any other name is the DOT, with the SVG beside.
	base := strings.TrimSuffix(o.out, filepath.Ext(o.out))
	dotPath, svgPath := o.out, base+".svg"
	wantSVG := strings.EqualFold(filepath.Ext(o.out), ".svg")
	if wantSVG {
		dotPath = base + ".dot"
	}
	dotBin, lookErr := exec.LookPath("dot")
	if wantSVG && lookErr != nil {
		return fmt.Errorf("--out %s: writing SVG needs Graphviz's dot on PATH (%v); give --out %s for the DOT alone", o.out, lookErr, dotPath)
	}
	if err := writeFileAtomic(dotPath, dot.Bytes()); err != nil {
		return err
	}
	fmt.Fprintln(stdout, dotPath)
	if lookErr == nil {
		var svg, errb bytes.Buffer
		cmd := exec.CommandContext(ctx, dotBin, "-Tsvg")
		cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(dot.Bytes()), &svg, &errb
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("graphviz dot -Tsvg: %v: %s", err, strings.TrimSpace(errb.String()))
		}
		if err := writeFileAtomic(svgPath, svg.Bytes()); err != nil {
			return err
		}
		fmt.Fprintln(stdout, svgPath)
	}
	return nil
}

// writeFileAtomic writes data to path through a temporary file in the same folder
// and a rename, so path never holds a partial file.
func writeFileAtomic(path string, data []byte) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = f.Chmod(0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
