package udf

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/delayed"
)

// resultOnlyNavUDF is nav-only without Merge, with a result-only buffer that its
// main-node Preprocess would fill with 7 if it saw a view of it.
type resultOnlyNavUDF struct{ sawView *atomic.Bool }

func (resultOnlyNavUDF) ResultBuffers(*Meta) []BufferSpec {
	return []BufferSpec{NavBuffer("n", array.Float32), NavBuffer("r", array.Float32).ResultOnly()}
}

func (u resultOnlyNavUDF) Preprocess(env *Env) error {
	if env.At(1) != nil {
		u.sawView.Store(true)
		for i := range F32(env, 1).Data() {
			F32(env, 1).Data()[i] = 7
		}
	}
	return nil
}

func (resultOnlyNavUDF) ProcessFrame(env *Env, _ array.Array) error {
	F32(env, 0).Data()[0] = 1
	return nil
}

func (resultOnlyNavUDF) Results(env *Env) (map[string]array.Array, error) {
	r := array.Zeros[float32](env.Meta.NavCount())
	if env.At(1) != nil {
		copy(r.Data(), F32(env, 1).Data())
	}
	for i, x := range F32(env, 0).Data() {
		r.Data()[i] += x
	}
	return map[string]array.Array{"r": r}, nil
}

// TestMainPreprocessNoResultOnlyViews: the main-node Preprocess sees a nil view for a
// result-only buffer, and Run and RunIter agree (every frame counts 1).
func TestMainPreprocessNoResultOnlyViews(t *testing.T) {
	ds := memDS(t, testData(4, 4, 3, 3), dataset.MemoryOptions{NumPartitions: 4, SigDims: 2})
	var saw atomic.Bool
	u := resultOnlyNavUDF{sawView: &saw}
	check := func(how string, res *Result) {
		for i, v := range f32data(t, res.Get("r").RawData()) {
			if v != 1 {
				t.Fatalf("%s: r[%d] = %v, want 1", how, i, v)
			}
		}
	}
	check("Run", runOne(t, ds, u, Options{Workers: 2}))
	var last []*Result
	for s, err := range RunIter(context.Background(), ds, []UDF{u}, Options{Workers: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		var rerr error
		if last, rerr = s.Results(); rerr != nil {
			t.Fatal(rerr)
		}
	}
	check("RunIter", last[0])
	if saw.Load() {
		t.Fatal("main-node Preprocess saw a view of a result_only buffer")
	}
}

// nilMaskResultUDF returns WithMask over a nil array (or a nil mask).
type nilMaskResultUDF struct{ nilMask bool }

func (nilMaskResultUDF) Name() string { return "NilMask" }
func (nilMaskResultUDF) ResultBuffers(*Meta) []BufferSpec {
	return []BufferSpec{NavBuffer("n", array.Float32)}
}
func (nilMaskResultUDF) ProcessFrame(*Env, array.Array) error { return nil }
func (u nilMaskResultUDF) Results(env *Env) (map[string]array.Array, error) {
	if u.nilMask {
		return map[string]array.Array{"n": WithMask(env.At(0), nil)}, nil
	}
	return map[string]array.Array{"n": WithMask(nil, array.Wrap([]bool{true}, 1))}, nil
}

// TestResultsWithMaskNil: WithMask(nil, m) and WithMask(a, nil) from Results are typed
// errors naming the UDF, not panics.
func TestResultsWithMaskNil(t *testing.T) {
	ds := memDS(t, testData(4, 3, 3), dataset.MemoryOptions{NumPartitions: 2, SigDims: 2})
	for _, tc := range []struct {
		u    nilMaskResultUDF
		want error
	}{{nilMaskResultUDF{}, ErrNilResult}, {nilMaskResultUDF{nilMask: true}, ErrInvalidMask}} {
		_, err := RunOne(context.Background(), ds, tc.u, Options{})
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), "NilMask") {
			t.Fatalf("nilMask=%v: got %v, want %v naming the UDF", tc.u.nilMask, err, tc.want)
		}
		var pe *PanicError
		if errors.As(err, &pe) {
			t.Fatalf("nilMask=%v: recovered panic: %v", tc.u.nilMask, err)
		}
	}
}

// TestLazyPersistByKey: persisting a LazyRun's results serves every later handle on
// them (Data asked twice, in any order, and LazyRun.Compute) without running a task.
func TestLazyPersistByKey(t *testing.T) {
	ds := memDS(t, testData(8, 3, 3), dataset.MemoryOptions{NumPartitions: 4, SigDims: 2})
	var n atomic.Int64
	l, err := RunLazy(ds, []UDF{countingFrames{&n}}, Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := delayed.Persist(ctx, delayed.Handles(l.Results...)...); err != nil {
		t.Fatal(err)
	}
	if n.Load() != 8 {
		t.Fatalf("Persist processed %d frames, want 8", n.Load())
	}
	a, b := l.Data(0, "n"), l.Data(0, "n")
	for _, hs := range [][]delayed.Handle{{a}, {b, a}, {a, b}} {
		if _, err := delayed.Compute(ctx, hs...); err != nil {
			t.Fatal(err)
		}
	}
	res, err := l.Compute(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range f32data(t, res[0].Get("n").RawData()) {
		if v != 1 {
			t.Fatalf("n[%d] = %v, want 1", i, v)
		}
	}
	if n.Load() != 8 {
		t.Fatalf("%d frames processed in all, want 8 (nothing recomputed after Persist)", n.Load())
	}
}
