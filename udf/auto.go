package udf

import (
	"context"
	"fmt"
	"slices"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
)

// FrameFunc is a plain function of one frame (shape sig, the run's input dtype) for
// Map. It returns an array.Array, a Go number or bool (a 0-d result), a slice of
// numbers (1-d), or any other value, which is stored in an object buffer.
type FrameFunc func(frame array.Array) (any, error)

// AutoUDF runs a FrameFunc over every frame (the reference's AutoUDF): its result
// buffer "result" is kind nav with the extra shape and dtype of the function's value
// on a probe frame of ones (computed on the main node and again on every task). With
// Monitor, a result-only single buffer "monitor" holds the value at the last merged
// nav position (a live preview for RunIter).
type AutoUDF struct {
	F       FrameFunc
	Monitor bool
}

// probe calls F on a frame of ones and returns the value as an array.
func (a AutoUDF) probe(m *Meta) (array.Array, error) {
	sig := m.DatasetShape.Sig()
	fr := array.New(m.InputDType, sig...)
	if err := fillOnes(fr); err != nil {
		return nil, err
	}
	v, err := a.F(fr)
	if err != nil {
		return nil, err
	}
	return toArray(v)
}

// ResultBuffers implements UDF. A probe failure is reported by the first ProcessFrame
// (the declaration then has extra shape () and dtype object).
func (a AutoUDF) ResultBuffers(m *Meta) []BufferSpec {
	v, err := a.probe(m)
	if err != nil {
		return []BufferSpec{NavBuffer("result", array.Object)}
	}
	specs := []BufferSpec{NavBuffer("result", v.DType(), v.Shape()...)}
	if a.Monitor {
		specs = append(specs, SingleBuffer("monitor", v.DType(), v.Shape()...).ResultOnly())
	}
	return specs
}

// ProcessFrame implements FrameProcessor.
func (a AutoUDF) ProcessFrame(env *Env, frame array.Array) error {
	v, err := a.F(frame)
	if err != nil {
		return err
	}
	arr, err := toArray(v)
	if err != nil {
		return err
	}
	dst := env.At(0)
	spec := env.specs[0]
	if arr.DType() != spec.DType || !slices.Equal(arr.Shape(), spec.ExtraShape) {
		return fmt.Errorf("%w: got %v %v, the probe gave %v %v", ErrMapResult, arr.DType(), arr.Shape(), spec.DType, spec.ExtraShape)
	}
	src, err := reshapeDyn(arr, dst.Shape())
	if err != nil {
		return err
	}
	return opsOf(dst).copyFrom(src)
}

// Results implements ResultsGetter: "monitor" is the result at the last merged nav
// position (zeros when nothing is merged).
func (a AutoUDF) Results(env *Env) (map[string]array.Array, error) {
	if !a.Monitor {
		return map[string]array.Array{}, nil
	}
	res := env.At(0)
	valid := env.Meta.ValidNavMask(false)
	last := 0
	for i, v := range valid {
		if v {
			last = i
		}
	}
	sp := env.Specs()[1]
	mon := array.New(sp.DType, sp.ExtraShape...) // result_only: no data before Results
	if res.Shape()[0] == 0 {
		return map[string]array.Array{"monitor": mon}, nil
	}
	row := opsOf(res).rows(last, last+1)
	r2, err := reshapeDyn(row, mon.Shape())
	if err != nil {
		return nil, err
	}
	out := array.New(mon.DType(), mon.Shape()...)
	if err := opsOf(out).copyFrom(r2); err != nil {
		return nil, err
	}
	return map[string]array.Array{"monitor": out}, nil
}

// Map runs f over every frame of ds and returns its result buffer (the reference's
// Context.map).
func Map(ctx context.Context, ds dataset.Dataset, f FrameFunc, opts Options) (*ResultBuffer, error) {
	res, err := RunOne(ctx, ds, AutoUDF{F: f}, opts)
	if err != nil {
		return nil, err
	}
	return res.Get("result"), nil
}

// toArray converts a FrameFunc value to an array.
func toArray(v any) (array.Array, error) {
	switch x := v.(type) {
	case *ArrayWithMask:
		return x.Array, nil
	case array.Array:
		if x.Format() != array.FormatDense {
			return nil, fmt.Errorf("%w: format %v, want dense", ErrMapResult, x.Format())
		}
		return x, nil
	case bool:
		return array.Wrap([]bool{x}), nil
	case int:
		return array.Wrap([]int64{int64(x)}), nil
	case int8:
		return array.Wrap([]int8{x}), nil
	case int16:
		return array.Wrap([]int16{x}), nil
	case int32:
		return array.Wrap([]int32{x}), nil
	case int64:
		return array.Wrap([]int64{x}), nil
	case uint:
		return array.Wrap([]uint64{uint64(x)}), nil
	case uint8:
		return array.Wrap([]uint8{x}), nil
	case uint16:
		return array.Wrap([]uint16{x}), nil
	case uint32:
		return array.Wrap([]uint32{x}), nil
	case uint64:
		return array.Wrap([]uint64{x}), nil
	case float32:
		return array.Wrap([]float32{x}), nil
	case float64:
		return array.Wrap([]float64{x}), nil
	case complex64:
		return array.Wrap([]complex64{x}), nil
	case complex128:
		return array.Wrap([]complex128{x}), nil
	case []float32:
		return array.Wrap(slices.Clone(x), len(x)), nil
	case []float64:
		return array.Wrap(slices.Clone(x), len(x)), nil
	case []int64:
		return array.Wrap(slices.Clone(x), len(x)), nil
	case []int32:
		return array.Wrap(slices.Clone(x), len(x)), nil
	case []any:
		return array.Wrap(slices.Clone(x), len(x)), nil
	}
	return array.Wrap([]any{v}), nil
}

// fillOnes sets every element of a numeric or object array to one.
func fillOnes(a array.Array) error {
	switch d := a.(type) {
	case *array.Dense[any]:
		d.Fill(1)
		return nil
	case *array.Dense[string]:
		return nil
	}
	one, err := array.Convert(array.Wrap([]float64{1}), a.DType())
	if err != nil {
		return err
	}
	o := opsOf(a)
	var v any
	switch x := one.(type) {
	case *array.Dense[bool]:
		v = x.Data()[0]
	case *array.Dense[int8]:
		v = x.Data()[0]
	case *array.Dense[int16]:
		v = x.Data()[0]
	case *array.Dense[int32]:
		v = x.Data()[0]
	case *array.Dense[int64]:
		v = x.Data()[0]
	case *array.Dense[uint8]:
		v = x.Data()[0]
	case *array.Dense[uint16]:
		v = x.Data()[0]
	case *array.Dense[uint32]:
		v = x.Data()[0]
	case *array.Dense[uint64]:
		v = x.Data()[0]
	case *array.Dense[float32]:
		v = x.Data()[0]
	case *array.Dense[float64]:
		v = x.Data()[0]
	case *array.Dense[complex64]:
		v = x.Data()[0]
	case *array.Dense[complex128]:
		v = x.Data()[0]
	}
	o.fill(v)
	return nil
}
