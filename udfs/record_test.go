package udfs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/udf"
)

// errFailAt is the error failAt returns.
var errFailAt = errors.New("failAt: planned failure")

// failAt is a buffer-less UDF that fails (or, with cancel set, cancels the run's
// context) on the first frame at or after frame.
type failAt struct {
	frame  int
	cancel context.CancelFunc
}

func (failAt) ResultBuffers(*udf.Meta) []udf.BufferSpec { return nil }
func (failAt) PreferredInputDType() array.DType         { return udf.NativeDType }
func (f failAt) ProcessFrame(env *udf.Env, _ array.Array) error {
	if env.Meta.Slice.Origin[0] < f.frame {
		return nil
	}
	if f.cancel != nil {
		f.cancel()
		return nil
	}
	return errFailAt
}

// noLeftovers fails the test if anything but keep exists in dir.
func noLeftovers(t *testing.T, dir string, keep ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		ok := false
		for _, k := range keep {
			ok = ok || e.Name() == k
		}
		if !ok {
			t.Errorf("left in %s: %s", dir, e.Name())
		}
	}
}

func TestRecordFailedRunLeavesNothing(t *testing.T) {
	const frames, sy, sx = 30, 3, 7
	u := randU16(frames*sy*sx, 41)
	newDS := func() dataset.Dataset {
		return memDS(t, array.Wrap(u, 5, 6, sy, sx), dataset.MemoryOptions{NumPartitions: 3})
	}
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			cases := []struct {
				name string
				run  func(path string) error
				want error
			}{
				{"fails in last partition", func(path string) error {
					_, err := udf.Run(context.Background(), newDS(), []udf.UDF{NewRecord(path), failAt{frame: 20}}, eng.opts)
					return err
				}, errFailAt},
				{"fails in first partition", func(path string) error {
					_, err := udf.Run(context.Background(), newDS(), []udf.UDF{failAt{frame: 0}, NewRecord(path)}, eng.opts)
					return err
				}, errFailAt},
				{"cancelled", func(path string) error {
					ctx, cancel := context.WithCancel(context.Background())
					defer cancel()
					_, err := udf.Run(ctx, newDS(), []udf.UDF{NewRecord(path), failAt{frame: 12, cancel: cancel}}, eng.opts)
					return err
				}, context.Canceled},
				{"lazy compute fails", func(path string) error {
					l, err := udf.RunLazy(newDS(), []udf.UDF{NewRecord(path), failAt{frame: 20}}, eng.opts)
					if err != nil {
						return err
					}
					_, err = l.Compute(context.Background())
					return err
				}, errFailAt},
				{"iteration stopped", func(path string) error {
					n := 0
					for s, err := range udf.RunIter(context.Background(), newDS(), []udf.UDF{NewRecord(path)}, eng.opts) {
						if err != nil {
							return err
						}
						if _, err := s.Results(); err != nil {
							return err
						}
						if _, err := os.Stat(path); !os.IsNotExist(err) {
							t.Errorf("snapshot %d/%d: %s exists (%v)", s.Done(), s.Total(), path, err)
						}
						if n++; n == 2 {
							break
						}
					}
					return nil
				}, nil},
				{"dry run", func(path string) error {
					_, err := udf.DryRun(context.Background(), newDS(), []udf.UDF{NewRecord(path)}, eng.opts)
					return err
				}, nil},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					dir := t.TempDir()
					err := tc.run(filepath.Join(dir, "out.npy"))
					if !errors.Is(err, tc.want) {
						t.Fatalf("run: %v, want %v", err, tc.want)
					}
					noLeftovers(t, dir)
				})
			}
		})
	}
}

// TestRecordIterated checks that an iterated run asking every snapshot for its
// results writes Path only at the last snapshot, complete.
func TestRecordIterated(t *testing.T) {
	const frames, sy, sx = 30, 3, 7
	u := randU16(frames*sy*sx, 42)
	ds := memDS(t, array.Wrap(u, 5, 6, sy, sx), dataset.MemoryOptions{NumPartitions: 3})
	dir := t.TempDir()
	path := filepath.Join(dir, "out.npy")
	for s, err := range udf.RunIter(context.Background(), ds, []udf.UDF{NewRecord(path)}, udf.Options{Workers: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Results(); err != nil {
			t.Fatal(err)
		}
		_, serr := os.Stat(path)
		if exists := serr == nil; exists != (s.Done() == s.Total()) {
			t.Fatalf("snapshot %d/%d: file exists %v", s.Done(), s.Total(), exists)
		}
	}
	a, err := array.ReadNPYFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := f64(t, a)
	for i, v := range u {
		if got[i] != float64(v) {
			t.Fatalf("element %d: %v, want %d", i, got[i], v)
		}
	}
	noLeftovers(t, dir, "out.npy")
}
