package udf

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
)

// auxShapes records the shape of an aux view per method and checks it against the
// expected one (deliberate deviations from the reference's quirks: extra
// (1,) gives a (1,) frame view, not 0-d; the main-node view has no leading axis of
// length 1 without a ROI).
type auxShapes struct {
	aux    *AuxData
	method Method
	rows   int // main-node rows: nav size or ROI count
}

func (u auxShapes) AuxData() []*AuxData { return []*AuxData{u.aux} }
func (u auxShapes) Method(*Meta) Method { return u.method }
func (auxShapes) ResultBuffers(*Meta) []BufferSpec {
	return []BufferSpec{NavBuffer("echo", array.Float32)}
}

func (u auxShapes) check(env *Env, what string, want []int) error {
	if got := env.Aux(u.aux).Shape(); !slices.Equal(got, want) {
		return fmt.Errorf("%s aux view %v, want %v", what, got, want)
	}
	return nil
}

func (u auxShapes) Preprocess(env *Env) error {
	if env.Meta.Partition < 0 {
		return u.check(env, "main-node Preprocess", []int{u.rows})
	}
	return nil
}
func (u auxShapes) ProcessFrame(env *Env, _ array.Array) error {
	if err := u.check(env, "ProcessFrame", []int{1}); err != nil {
		return err
	}
	F32(env, 0).Data()[0] = AuxView[float32](env, u.aux).Data()[0]
	return nil
}
func (u auxShapes) ProcessTile(env *Env, tile array.Array) error {
	n := tile.Shape()[0]
	if err := u.check(env, "ProcessTile", []int{n}); err != nil {
		return err
	}
	return F32(env, 0).CopyFrom(AuxView[float32](env, u.aux))
}
func (u auxShapes) Results(env *Env) (map[string]array.Array, error) {
	return nil, u.check(env, "Results", []int{u.rows})
}

// TestAuxExtraOne: aux data declared with extra shape (1,) is stored (N,), gives (1,)
// frame views and (depth,) tile views, and its rows reach the UDF in order.
func TestAuxExtraOne(t *testing.T) {
	aux := array.Zeros[float32](3, 4, 1)
	for i := range aux.Data() {
		aux.Data()[i] = float32(10 + i)
	}
	a, err := NewAuxData("a", aux, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.Data().Shape(), []int{12}) || len(a.Extra()) != 0 {
		t.Fatalf("stored %v extra %v, want (12,) and ()", a.Data().Shape(), a.Extra())
	}
	ds := memDS(t, testData(3, 4, 4, 4), dataset.MemoryOptions{NumPartitions: 3, TileShape: []int{2, 4, 4}})
	roi := randomROI(5, 3, 4)
	for _, m := range []Method{MethodFrame, MethodTile} {
		for _, withROI := range []bool{false, true} {
			t.Run(fmt.Sprintf("%v/roi=%v", m, withROI), func(t *testing.T) {
				o := Options{Inline: true}
				var sel []int
				for i := 0; i < 12; i++ {
					if !withROI || roi.Data()[i] {
						sel = append(sel, i)
					}
				}
				if withROI {
					o.ROI = roi
				}
				res, err := RunOne(context.Background(), ds, auxShapes{aux: a, method: m, rows: len(sel)}, o)
				if err != nil {
					t.Fatal(err)
				}
				raw := f32data(t, res.Get("echo").RawData())
				for j, i := range sel {
					if raw[j] != float32(10+i) {
						t.Fatalf("row %d (nav %d) = %v, want %v", j, i, raw[j], 10+i)
					}
				}
			})
		}
	}
}
