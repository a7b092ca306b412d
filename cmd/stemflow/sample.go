package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/internal/sample"
)

// cmdSample writes DIR/sample.npy.
func cmdSample(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, o := sampleFlagSet(stderr)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	dir, err := onePositional(pos, "output folder DIR")
	if err != nil {
		return err
	}
	if len(o.nav) != 2 || len(o.sig) != 2 {
		return usagef("--nav-shape and --sig-shape take two numbers each, got %v and %v", o.nav, o.sig)
	}
	if err := checkSampleSize(o.nav, o.sig); err != nil {
		return err
	}
	scene := sample.DefaultScene
	scene.NavY, scene.NavX, scene.SigY, scene.SigX = o.nav[0], o.nav[1], o.sig[0], o.sig[1]
	if err := scene.Validate(); err != nil {
		return usageError{err}
	}
	data, err := sample.Generate(scene)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("output folder: %w", err)
	}
	path := filepath.Join(dir, "sample.npy")
	if err := array.WriteNPYFile(path, array.Wrap(data, scene.Shape()...)); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: float32 %v, %.1f MiB\n", path, scene.Shape(), float64(len(data)*4)/(1<<20))
	return nil
}

// maxSampleBytes is the largest sample stemflow sample writes (1 GiB of float32): it
// is built in memory before it is written.
const maxSampleBytes = 1 << 30

// checkSampleSize refuses shapes whose float32 data would exceed maxSampleBytes,
// computing the product without overflow.
func checkSampleSize(nav, sig []int) error {
	n := int64(4)
	for _, d := range append(append([]int(nil), nav...), sig...) {
		if d <= 0 {
			return usagef("--nav-shape %v --sig-shape %v: extents must be positive", nav, sig)
		}
		if int64(d) > maxSampleBytes/n {
			return usagef("--nav-shape %s --sig-shape %s: the sample would exceed %d MiB (the most stemflow sample writes)",
				joinShape(nav), joinShape(sig), maxSampleBytes>>20)
		}
		n *= int64(d)
	}
	return nil
}

func joinShape(v []int) string {
	s := (*shapeFlag)(&v)
	return s.String()
}
