package udf_test

import (
	"bytes"
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/udf"
	"github.com/stemflow/stemflow/udfs"
)

// builtins returns one value of every built-in UDF (Record writes under dir).
func builtins(t *testing.T, dir string) map[string]udf.UDF {
	t.Helper()
	com, err := udfs.NewCoM(udfs.WithCenter(4, 4), udfs.WithRadius(3))
	if err != nil {
		t.Fatal(err)
	}
	return map[string]udf.UDF{
		"Sum":           udfs.Sum{},
		"Sum/float64":   udfs.Sum{DType: array.Float64},
		"SumSig":        udfs.SumSig{},
		"StdDev":        udfs.StdDev{},
		"Logsum":        udfs.Logsum{},
		"Pick":          udfs.Pick{},
		"FEM":           udfs.FEM{Center: [2]float64{4, 4}, RadIn: 1, RadOut: 3},
		"Crystallinity": udfs.Crystallinity{RadIn: 1, RadOut: 3},
		"NoOp":          udfs.NoOp{},
		"Record":        udfs.NewRecord(filepath.Join(dir, "rec.npy")),
		"ApplyMasks":    &udfs.ApplyMasks{Factories: []udfs.MaskFactory{udfs.DiskMask(4, 4, 2), udfs.RingMask(4, 4, 3, 1)}},
		"CoM":           com,
	}
}

// userMergeUDF is a user UDF with both Merge and MergeAll that counts, itself, the
// partials alive at once: a partition's buffers exist from its Postprocess until
// Merge (or MergeAll) has consumed them.
type userMergeUDF struct {
	mu          *sync.Mutex
	alive, peak *int
}

func (userMergeUDF) ResultBuffers(m *udf.Meta) []udf.BufferSpec {
	return []udf.BufferSpec{udf.SigBuffer("s", array.Float64)}
}

func (u userMergeUDF) ProcessFrame(env *udf.Env, frame array.Array) error {
	out := udf.F64(env, 0).Data()
	for i, v := range frame.(*array.Dense[float32]).Contiguous().Data() {
		out[i] += float64(v)
	}
	return nil
}

func (u userMergeUDF) Postprocess(*udf.Env) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	*u.alive++
	*u.peak = max(*u.peak, *u.alive)
	return nil
}

func (u userMergeUDF) Merge(dest, src *udf.Views, _ *udf.Meta) error {
	u.mu.Lock()
	*u.alive--
	u.mu.Unlock()
	d, s := dest.At(0).(*array.Dense[float64]).Data(), src.At(0).(*array.Dense[float64]).Data()
	for i := range d {
		d[i] += s[i]
	}
	return nil
}

func (u userMergeUDF) MergeAll(parts []udf.Partial, m *udf.Meta) (map[string]array.Array, error) {
	u.mu.Lock()
	*u.alive -= len(parts)
	u.mu.Unlock()
	out := array.Zeros[float64](m.DatasetShape.Sig()...)
	for _, p := range parts {
		for i, v := range p.Buffers.At(0).(*array.Dense[float64]).Data() {
			out.Data()[i] += v
		}
	}
	return map[string]array.Array{"s": out}, nil
}

// boundedDS is 64 frames of 8×8 float32 in 32 partitions.
func boundedDS(t *testing.T) (*dataset.Memory, []float32) {
	t.Helper()
	const nav, sy, sx = 64, 8, 8
	data := make([]float32, nav*sy*sx)
	for i := range data {
		data[i] = float32((i*7)%13) + float32(i%5)*0.125 + 0.5
	}
	ds, err := dataset.NewMemory(array.Wrap(data, 8, 8, sy, sx), dataset.MemoryOptions{NumPartitions: 32, SigDims: 2})
	if err != nil {
		t.Fatal(err)
	}
	return ds, data
}

// TestLivePartialsBounded: for every built-in and for a user UDF with both Merge and
// MergeAll, the number of partition results alive at once (processed, not yet
// merged) never exceeds the admission window, in Run, RunLazy and RunIter.
func TestLivePartialsBounded(t *testing.T) {
	ds, _ := boundedDS(t)
	const window = 4
	var mu sync.Mutex
	peak := 0
	udf.SetLiveHook(func(n int) {
		mu.Lock()
		peak = max(peak, n)
		mu.Unlock()
	})
	defer udf.SetLiveHook(nil)
	us := builtins(t, t.TempDir())
	var alive, userPeak int
	var umu sync.Mutex
	us["user"] = userMergeUDF{mu: &umu, alive: &alive, peak: &userPeak}
	opts := udf.Options{Workers: 2, Window: window}
	for name, u := range us {
		for _, mode := range []string{"Run", "RunLazy", "RunIter"} {
			peak, alive, userPeak = 0, 0, 0
			switch mode {
			case "Run":
				if _, err := udf.Run(context.Background(), ds, []udf.UDF{u}, opts); err != nil {
					t.Fatalf("%s %s: %v", name, mode, err)
				}
			case "RunLazy":
				l, err := udf.RunLazy(ds, []udf.UDF{u}, opts)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := l.Compute(context.Background()); err != nil {
					t.Fatalf("%s %s: %v", name, mode, err)
				}
			case "RunIter":
				for _, err := range udf.RunIter(context.Background(), ds, []udf.UDF{u}, opts) {
					if err != nil {
						t.Fatalf("%s %s: %v", name, mode, err)
					}
				}
			}
			if peak == 0 || peak > window {
				t.Errorf("%s %s: %d partials alive at once, want 1..%d", name, mode, peak, window)
			}
			if name == "user" && (userPeak == 0 || userPeak > window) {
				t.Errorf("user UDF %s: it counted %d partials alive at once, want 1..%d", mode, userPeak, window)
			}
		}
	}
}

// npyBytes is the exact byte image of a (contiguous copy of) a.
func npyBytes(t *testing.T, a array.Array) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := array.WriteNPY(&b, a); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestRunIterLastEqualsRun: the last RunIter snapshot equals Run's result bit for
// bit, for every built-in, inline and on several workers.
func TestRunIterLastEqualsRun(t *testing.T) {
	ds, _ := boundedDS(t)
	for name, u := range builtins(t, t.TempDir()) {
		for _, opts := range []udf.Options{{Workers: 2}, {Inline: true}, {Workers: 3, Window: 2}} {
			want, err := udf.Run(context.Background(), ds, []udf.UDF{u}, opts)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			var last *udf.Snapshot
			var got []*udf.Result
			for s, err := range udf.RunIter(context.Background(), ds, []udf.UDF{u}, opts) {
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				last = s
				if got, err = s.Results(); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
			}
			if last == nil || last.Done() != last.Total() {
				t.Fatalf("%s: no complete last snapshot", name)
			}
			if len(got[0].Buffers) != len(want[0].Buffers) {
				t.Fatalf("%s: %d buffers from RunIter, %d from Run", name, len(got[0].Buffers), len(want[0].Buffers))
			}
			for i, b := range want[0].Buffers {
				g := got[0].Buffers[i]
				if g.Name() != b.Name() || !bytes.Equal(npyBytes(t, g.RawData()), npyBytes(t, b.RawData())) {
					t.Errorf("%s %+v: buffer %q differs between RunIter's last snapshot and Run", name, opts, b.Name())
				}
			}
		}
	}
}

// TestBuiltinsPassCheck: no built-in has a near-miss contract method.
func TestBuiltinsPassCheck(t *testing.T) {
	for name, u := range builtins(t, t.TempDir()) {
		if err := udf.Check(u); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
