package main

import (
	"bytes"
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/internal/render"
	"github.com/stemflow/stemflow/udf"
	"github.com/stemflow/stemflow/udfs"
)

// syncBuffer is a bytes.Buffer safe for a writer goroutine and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type apiBuffer struct {
	v     []float64
	shape []int
}

// goAPIResults runs, through the Go API and with UDFs built by hand, what
// TestRunEqualsGoAPI asks of the CLI, and returns every buffer's Data() keyed by the
// file the CLI writes it to.
func goAPIResults(t *testing.T, path string, partitions int) map[string]apiBuffer {
	t.Helper()
	ds, err := dataset.Open("npy", path, dataset.OpenOptions{NumPartitions: partitions})
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	com1, err := udfs.NewCoM(udfs.WithCenter(7, 5), udfs.WithRadius(6), udfs.WithScanRotation(30),
		udfs.WithFlipY(true), udfs.WithRegression(udfs.RegressionLinear))
	if err != nil {
		t.Fatal(err)
	}
	com2, err := udfs.NewCoM(udfs.WithRing(1, 7), udfs.WithRegression(udfs.RegressionMean))
	if err != nil {
		t.Fatal(err)
	}
	list := []udf.UDF{
		udfs.Sum{}, udfs.SumSig{}, udfs.StdDev{}, udfs.Logsum{},
		&udfs.ApplyMasks{Factories: []udfs.MaskFactory{udfs.DiskMask(7, 5, 3.5)}},
		&udfs.ApplyMasks{Factories: []udfs.MaskFactory{udfs.RingMask(7, 5, 4, 1)}},
		com1, com2,
	}
	dirs := []string{"sum", "sumsig", "stddev", "logsum", "disk", "ring", "com", "com-2"}
	rs, err := udf.Run(context.Background(), ds, list, udf.Options{NumPartitions: partitions})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]apiBuffer{}
	for i, r := range rs {
		for _, name := range r.Names() {
			d := r.Get(name).Data()
			v, err := render.Float64s(d)
			if err != nil {
				t.Fatal(err)
			}
			out[filepath.Join(dirs[i], name+".npy")] = apiBuffer{v, d.Shape()}
		}
	}
	if len(out) < 20 {
		t.Fatalf("only %d buffers from the Go API", len(out))
	}
	return out
}
