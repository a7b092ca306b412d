package udf

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/backends"
	"github.com/stemflow/stemflow/dataset"
)

// csrSumSig sums frames from CSR tiles (or CSR frames) into a nav buffer.
type csrSumSig struct{ method Method }

func (u csrSumSig) Method(*Meta) Method        { return u.method }
func (csrSumSig) Backends() []backends.Backend { return []backends.Backend{backends.CSR} }
func (csrSumSig) ResultBuffers(*Meta) []BufferSpec {
	return []BufferSpec{NavBuffer("s", array.Float64)}
}

func (csrSumSig) add(env *Env, a array.Array) error {
	if env.Meta.ArrayBackend != backends.CSR {
		return fmt.Errorf("backend %v, want CSR", env.Meta.ArrayBackend)
	}
	m, ok := a.(*array.CSR[float32, int32])
	if !ok {
		return fmt.Errorf("got %T, want a CSR matrix", a)
	}
	out := F64(env, 0).Data()
	if len(out) != m.Rows {
		return fmt.Errorf("%d rows for a view of %d", m.Rows, len(out))
	}
	for r := 0; r < m.Rows; r++ {
		_, vals := m.Row(r)
		for _, v := range vals {
			out[r] += float64(v)
		}
	}
	return nil
}

func (u csrSumSig) ProcessTile(env *Env, t array.Array) error  { return u.add(env, t) }
func (u csrSumSig) ProcessFrame(env *Env, t array.Array) error { return u.add(env, t) }

func TestBackendsCSRFromDense(t *testing.T) {
	data := testData(6, 6, 8, 8)
	for i := range data.Data() {
		if i%3 != 0 {
			data.Data()[i] = 0 // sparse-ish
		}
	}
	ds := memDS(t, data, dataset.MemoryOptions{NumPartitions: 3, TileShape: []int{4, 8, 8}})
	want := frameSums(data.Data(), 64)
	for _, m := range []Method{MethodTile, MethodFrame} {
		t.Run(m.String(), func(t *testing.T) {
			// with a dense UDF in the same run: one pass, each gets its backend
			rs, err := Run(context.Background(), ds, []UDF{csrSumSig{method: m}, pixelSumFrame{}}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := rs[0].Get("s").RawData().(*array.Dense[float64]).Data()
			for i, w := range want {
				if abs(got[i]-w) > 1e-9 {
					t.Fatalf("s[%d] = %v, want %v", i, got[i], w)
				}
			}
			checkPixelsum(t, rs[1], data, 64, nil)
		})
	}
	t.Run("restricted away", func(t *testing.T) {
		_, err := RunOne(context.Background(), ds, csrSumSig{method: MethodTile}, Options{Backends: []backends.Backend{backends.Dense}})
		if !errors.Is(err, backends.ErrNoBackend) {
			t.Fatalf("err = %v, want ErrNoBackend", err)
		}
	})
}

// backendEcho records Meta.ArrayBackend of a dense UDF.
type backendEcho struct{}

func (backendEcho) ResultBuffers(*Meta) []BufferSpec {
	return []BufferSpec{NavBuffer("b", array.Object)}
}
func (backendEcho) ProcessTile(env *Env, t array.Array) error {
	if _, ok := t.(*array.Dense[float32]); !ok {
		return fmt.Errorf("dense UDF got %T", t)
	}
	View[any](env, 0).Fill(env.Meta.ArrayBackend.String())
	return nil
}

func TestDefaultBackendIsDense(t *testing.T) {
	res := runOne(t, memDS(t, testData(2, 2, 4, 4), dataset.MemoryOptions{NumPartitions: 2}), backendEcho{}, Options{})
	if got := res.Get("b").RawData().(*array.Dense[any]).Data(); !slices.Equal(got, []any{"numpy", "numpy", "numpy", "numpy"}) {
		t.Fatalf("backends %v", got)
	}
}
