package udf

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
)

// Handles of handleUDF, declared once at package level.
var (
	hMax   = NavBuf[float64]("max")
	hSum   = SigBuf[float32]("sum")
	hCount = SingleBuf[int64]("count")
	hMean  = SigBuf[float64]("mean").ResultOnly()
)

// handleUDF uses only typed handles: per frame its maximum, per pixel the sum over
// frames, the frame count, and in Results the per-pixel mean.
type handleUDF struct{}

func (handleUDF) ResultBuffers(*Meta) []BufferSpec { return Declare(hMax, hSum, hCount, hMean) }

func (handleUDF) ProcessFrame(env *Env, frame array.Array) error {
	in, err := Input[float32](frame)
	if err != nil {
		return err
	}
	s, m := hSum.View(env), math.Inf(-1)
	for i, v := range in.All() {
		m = max(m, float64(v))
		s.Data()[s.Offset()+i] += v
	}
	hMax.View(env).Set(m, 0)
	c := hCount.View(env)
	c.Set(c.At(0)+1, 0)
	return nil
}

func (handleUDF) Merge(dest, src *Views, _ *Meta) error { return MergeAdd(dest, src) }

func (handleUDF) Results(env *Env) (map[string]array.Array, error) {
	s, n := hSum.View(env), float64(hCount.View(env).At(0))
	mean := array.Zeros[float64](s.Shape()...)
	for i, v := range s.Contiguous().Data() {
		mean.Data()[i] = float64(v) / n
	}
	return map[string]array.Array{hMean.Name(): mean}, nil
}

// TestHandlesRoundTrip: a UDF written with handles only computes what a direct loop
// computes, and each handle's Get returns its typed, nav-shaped result.
func TestHandlesRoundTrip(t *testing.T) {
	const ny, nx, sy, sx = 3, 4, 5, 6
	data := testData(ny, nx, sy, sx)
	d := data.Data()
	wantMax := make([]float64, ny*nx)
	wantSum := make([]float32, sy*sx)
	for f := range wantMax {
		wantMax[f] = math.Inf(-1)
		for p := range wantSum {
			v := d[f*sy*sx+p]
			wantMax[f] = max(wantMax[f], float64(v))
			wantSum[p] += v
		}
	}
	ds := memDS(t, data, dataset.MemoryOptions{NumPartitions: 3, SigDims: 2})
	if err := Check(handleUDF{}); err != nil {
		t.Fatal(err)
	}
	res := runOne(t, ds, handleUDF{}, Options{Workers: 2})
	mx, err := hMax.Get(res)
	if err != nil {
		t.Fatal(err)
	}
	if got := mx.Shape(); len(got) != 2 || got[0] != ny || got[1] != nx {
		t.Fatalf("max shape %v, want [%d %d]", got, ny, nx)
	}
	for i, v := range mx.Contiguous().Data() {
		if v != wantMax[i] {
			t.Fatalf("max[%d] = %v, want %v", i, v, wantMax[i])
		}
	}
	sum, err := hSum.Get(res)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range sum.Contiguous().Data() {
		if v != wantSum[i] {
			t.Fatalf("sum[%d] = %v, want %v", i, v, wantSum[i])
		}
	}
	n, err := hCount.Get(res)
	if err != nil {
		t.Fatal(err)
	}
	if n.Size() != 1 || n.At(0) != ny*nx {
		t.Fatalf("count %v, want [%d]", n.Contiguous().Data(), ny*nx)
	}
	mean, err := hMean.Get(res)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range mean.Contiguous().Data() {
		if want := float64(wantSum[i]) / (ny * nx); v != want {
			t.Fatalf("mean[%d] = %v, want %v", i, v, want)
		}
	}
	raw, err := hMax.GetRaw(res)
	if err != nil || raw.Shape()[0] != ny*nx {
		t.Fatalf("GetRaw: %v, %v", raw, err)
	}
}

// TestHandleGetErrors: looking a result up with a handle of another dtype, kind or
// name is an error naming the UDF, the buffer and both dtypes, never nil.
func TestHandleGetErrors(t *testing.T) {
	ds := memDS(t, testData(2, 2, 3, 3), dataset.MemoryOptions{NumPartitions: 2, SigDims: 2})
	res := runOne(t, ds, handleUDF{}, Options{})
	for _, tc := range []struct {
		name string
		get  func() (any, error)
		want error
		says []string
	}{
		{"dtype", func() (any, error) { return NavBuf[float32]("max").Get(res) }, ErrBufferMismatch,
			[]string{"udf -1 (udf.handleUDF)", `nav buffer "max" of float32`, "declared as nav buffer \"max\" of float64"}},
		{"kind", func() (any, error) { return SigBuf[float64]("max").Get(res) }, ErrBufferMismatch, []string{`sig buffer "max"`}},
		{"name", func() (any, error) { return NavBuf[float64]("maxx").Get(res) }, ErrUndeclaredBuffer, []string{`"maxx"`, `"max", "sum"`}},
		{"nil result", func() (any, error) { return hMax.Get(nil) }, ErrUndeclaredBuffer, []string{"nil *udf.Result"}},
	} {
		v, err := tc.get()
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: error %v, want %v", tc.name, err, tc.want)
			continue
		}
		var be *BufferError
		if !errors.As(err, &be) {
			t.Errorf("%s: %v is not a *BufferError", tc.name, err)
		}
		if d, ok := v.(*array.Dense[float32]); ok && d != nil {
			t.Errorf("%s: got an array with the error", tc.name)
		}
		for _, s := range tc.says {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: %q does not say %q", tc.name, err, s)
			}
		}
	}
}

// fieldUDF holds its handles in fields (one nested); decl is what ResultBuffers
// declares.
type fieldUDF struct {
	count Buf[float32]
	inner struct{ Hits Buf[float32] }
	decl  []BufferSpec
}

func (u fieldUDF) ResultBuffers(*Meta) []BufferSpec { return u.decl }

func (u fieldUDF) ProcessFrame(env *Env, _ array.Array) error {
	u.count.View(env).Set(1, 0)
	return nil
}

// ptrFieldUDF embeds fieldUDF behind a pointer receiver.
type ptrFieldUDF struct{ fieldUDF }

func (*ptrFieldUDF) Postprocess(*Env) error { return nil }

// TestCheckHandles: Check compares the handles in a UDF's fields with ResultBuffers:
// an undeclared handle, another dtype or kind and a zero handle are errors naming the
// UDF, the buffer and the field; Run reports them before reading any data.
func TestCheckHandles(t *testing.T) {
	count, hits := NavBuf[float32]("count"), SigBuf[float32]("hits")
	mk := func(c, h Buf[float32], decl ...Decl) fieldUDF {
		u := fieldUDF{count: c, decl: Declare(decl...)}
		u.inner.Hits = h
		return u
	}
	for _, tc := range []struct {
		name string
		u    UDF
		want error
		says []string
	}{
		{"declared", mk(count, hits, count, hits), nil, nil},
		{"declared by spec", mk(count, hits, NavBuffer("count", array.Float32), SigBuffer("hits", array.DType{})), nil, nil},
		{"pointer, embedded", &ptrFieldUDF{mk(count, hits, count, hits)}, nil, nil},
		{"undeclared", mk(count, hits, count), ErrUndeclaredBuffer,
			[]string{"udf 0 (udf.fieldUDF)", "field inner.Hits", `sig buffer "hits" of float32 is not declared`, `declares "count"`}},
		{"undeclared through pointer", &ptrFieldUDF{mk(count, hits, hits)}, ErrUndeclaredBuffer, []string{"field fieldUDF.count", `"count"`}},
		{"dtype", mk(count, hits, NavBuffer("count", array.Float64), hits), ErrBufferMismatch,
			[]string{"field count", `nav buffer "count" of float32, but ResultBuffers declares nav buffer "count" of float64`}},
		{"kind", mk(count, hits, count, NavBuffer("hits", array.Float32)), ErrBufferMismatch, []string{"field inner.Hits", `declares nav buffer "hits"`}},
		{"zero", mk(Buf[float32]{}, hits, hits), ErrBadDeclaration, []string{"field count is a zero udf.Buf"}},
	} {
		err := Check(tc.u)
		if (tc.want == nil) != (err == nil) || !errors.Is(err, tc.want) {
			t.Errorf("%s: Check: %v, want %v", tc.name, err, tc.want)
			continue
		}
		for _, s := range tc.says {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: %q does not say %q", tc.name, err, s)
			}
		}
		if tc.want == nil {
			continue
		}
		ds := failingDS{memDS(t, testData(4, 2, 2), dataset.MemoryOptions{NumPartitions: 2, SigDims: 2})}
		if _, err := Run(context.Background(), ds, []UDF{tc.u}, Options{}); !errors.Is(err, tc.want) {
			t.Errorf("%s: Run: %v, want %v before reading", tc.name, err, tc.want)
		}
	}
}

// Handles the UDFs below access without declaring (package variables: Check cannot
// see them).
var (
	hPeak = NavBuf[float32]("peak")
	hN    = NavBuf[float32]("n")
)

// accessUDF declares n (float32, nav) and r (result_only) and makes one wrong access
// in method where.
type accessUDF struct {
	where string
	how   func(env Viewer)
}

func (accessUDF) ResultBuffers(*Meta) []BufferSpec {
	return []BufferSpec{NavBuffer("n", array.Float32), NavBuffer("r", array.Float32).ResultOnly()}
}

func (u accessUDF) Preprocess(env *Env) error {
	if u.where == "Preprocess" {
		u.how(env)
	}
	return nil
}

func (u accessUDF) ProcessFrame(env *Env, _ array.Array) error {
	if u.where == "ProcessFrame" {
		u.how(env)
	}
	F32(env, 0).Set(1, 0)
	return nil
}

func (u accessUDF) Merge(dest, src *Views, _ *Meta) error {
	if u.where == "Merge" {
		u.how(src)
	}
	return MergeAdd(dest, src)
}

func (u accessUDF) Results(env *Env) (map[string]array.Array, error) {
	if u.where == "Results" {
		u.how(env)
	}
	return map[string]array.Array{"r": F32(env, 0)}, nil
}

// TestAccessErrors: at run time, a buffer accessed by a name or index it was not
// declared under, as another dtype, or where it has no data fails the run with a
// *BufferError inside a *UDFError naming the UDF, the method, the buffer and the
// file:line of the access — never with a panic, also when the code goes on to write
// into the empty array it got.
func TestAccessErrors(t *testing.T) {
	ds := memDS(t, testData(4, 2, 3, 3), dataset.MemoryOptions{NumPartitions: 2, SigDims: 2})
	for _, tc := range []struct {
		name, where string
		how         func(Viewer)
		want        error
		says        []string
	}{
		{"undeclared handle, written", "ProcessFrame", func(v Viewer) { hPeak.View(v).Set(1, 0) }, ErrUndeclaredBuffer,
			[]string{`nav buffer "peak" of float32 accessed at handle_test.go:`, `declares "n", "r"`}},
		{"undeclared handle, read in a loop", "ProcessFrame", func(v Viewer) {
			for range hPeak.View(v).All() {
			}
		}, ErrUndeclaredBuffer, []string{`"peak"`}},
		{"handle of another dtype", "ProcessFrame", func(v Viewer) { NavBuf[float64]("n").View(v).Set(1, 0) }, ErrBufferMismatch,
			[]string{`nav buffer "n" of float64`, `declared as nav buffer "n" of float32`}},
		{"positional, another dtype", "ProcessFrame", func(v Viewer) { F64(v, 0).Set(1, 0) }, ErrBufferMismatch, []string{`buffer 0 ("n") viewed as float64`}},
		{"positional, out of range", "ProcessFrame", func(v Viewer) { _ = F32(v, 7).Data()[0] }, ErrUndeclaredBuffer, []string{"index out of range"}},
		{"by name", "ProcessFrame", func(v Viewer) { _ = v.(*Env).Buffer("nn").Size() }, ErrUndeclaredBuffer, []string{`buffer "nn"`}},
		{"result_only in Preprocess", "Preprocess", func(v Viewer) { NavBuf[float32]("r").View(v).Set(1, 0) }, ErrNoBufferData, []string{"result_only"}},
		{"undeclared in Merge", "Merge", func(v Viewer) { hPeak.View(v).Set(1, 0) }, ErrUndeclaredBuffer, []string{`"peak"`}},
		{"by name in Merge", "Merge", func(v Viewer) { _ = v.(*Views).Get("peak").Size() }, ErrUndeclaredBuffer, []string{`buffer "peak"`}},
		{"undeclared in Results", "Results", func(v Viewer) { hPeak.View(v).Set(1, 0) }, ErrUndeclaredBuffer, []string{`"peak"`}},
	} {
		_, err := RunOne(context.Background(), ds, accessUDF{where: tc.where, how: tc.how}, Options{Workers: 2})
		var ue *UDFError
		var be *BufferError
		var pe *PanicError
		switch {
		case !errors.Is(err, tc.want):
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
			continue
		case errors.As(err, &pe):
			t.Errorf("%s: %v is a panic", tc.name, err)
		case !errors.As(err, &ue) || !errors.As(err, &be):
			t.Errorf("%s: %v is not a *UDFError around a *BufferError", tc.name, err)
			continue
		}
		if ue.Method != tc.where || !strings.HasPrefix(err.Error(), "udf 0 (udf.accessUDF): "+tc.where) {
			t.Errorf("%s: %q does not name udf 0 and method %s", tc.name, err, tc.where)
		}
		if !strings.Contains(be.At, "handle_test.go:") {
			t.Errorf("%s: access located at %q, want this file", tc.name, be.At)
		}
		for _, s := range tc.says {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: %q does not say %q", tc.name, err, s)
			}
		}
	}
}

// TestHandleLookup: Lookup returns the error instead of recording it.
func TestHandleLookup(t *testing.T) {
	env := &Env{specs: []BufferSpec{NavBuffer("n", array.Float32)}, index: map[string]int{"n": 0}, views: []array.Array{array.Zeros[float32](3)}}
	if d, err := hN.Lookup(env); err != nil || d.Size() != 3 {
		t.Fatalf("Lookup n: %v, %v", d, err)
	}
	if d, err := hPeak.Lookup(env); !errors.Is(err, ErrUndeclaredBuffer) || d != nil || env.Err() != nil {
		t.Fatalf("Lookup peak: %v, %v (env error %v)", d, err, env.Err())
	}
}

// TestHandleViewAllocs: a handle's View allocates nothing.
func TestHandleViewAllocs(t *testing.T) {
	env := &Env{specs: []BufferSpec{NavBuffer("n", array.Float32)}, index: map[string]int{"n": 0}, views: []array.Array{array.Zeros[float32](3)}}
	if n := testing.AllocsPerRun(100, func() { hN.View(env).Data()[0]++ }); n != 0 {
		t.Fatalf("View allocates %v times", n)
	}
}

// BenchmarkBufferAccess compares one buffer access per call: the typed handle (a map
// lookup and an assertion), the positional F32 and the raw At with an assertion.
func BenchmarkBufferAccess(b *testing.B) {
	env := &Env{specs: []BufferSpec{NavBuffer("m", array.Float32), NavBuffer("n", array.Float32)},
		index: map[string]int{"m": 0, "n": 1}, views: []array.Array{array.Zeros[float32](3), array.Zeros[float32](3)}}
	b.Run("handle", func(b *testing.B) {
		for b.Loop() {
			hN.View(env).Data()[0]++
		}
	})
	b.Run("F32", func(b *testing.B) {
		for b.Loop() {
			F32(env, 1).Data()[0]++
		}
	})
	b.Run("At", func(b *testing.B) {
		for b.Loop() {
			env.At(1).(*array.Dense[float32]).Data()[0]++
		}
	})
}
