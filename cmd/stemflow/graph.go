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
	j, err := prepare(path, o)
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
	if err := writeFileAtomic(o.out, dot.Bytes()); err != nil {
		return err
	}
	fmt.Fprintln(stdout, o.out)
	if dotBin, err := exec.LookPath("dot"); err == nil {
		svgPath := strings.TrimSuffix(o.out, filepath.Ext(o.out)) + ".svg"
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
