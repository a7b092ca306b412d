package udfs

import (
	"fmt"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/udf"
)

// Logsum sums log(frame − min(frame) + 1) over all frames: logsum (kind sig, float32),
// the reference's LogsumUDF. The logarithms are computed and accumulated in float64
// and rounded once per partition: integer arguments up to 65536 (counting data) read
// math.Log's exact values from a table, other arguments use a fast logarithm within
// 2 ulp of math.Log.
type Logsum struct{}

// Name returns "Logsum".
func (Logsum) Name() string { return "Logsum" }

// ResultBuffers declares logsum: sig, float32.
func (Logsum) ResultBuffers(*udf.Meta) []udf.BufferSpec {
	return []udf.BufferSpec{udf.SigBuffer("logsum", array.Float32).OnDevice()}
}

type logsumTask struct{ acc []float64 }

// TaskData allocates the float64 accumulator.
func (Logsum) TaskData(env *udf.Env) (any, error) {
	if err := refuseComplex("Logsum", env.Meta); err != nil {
		return nil, err
	}
	return &logsumTask{acc: make([]float64, env.Meta.DatasetShape.SigSize())}, nil
}

// ProcessFrame adds log(frame − min(frame) + 1).
func (Logsum) ProcessFrame(env *udf.Env, frame array.Array) error {
	t := env.TaskData().(*logsumTask)
	switch d := frame.(type) {
	case *array.Dense[float32]:
		logsumFrame(t.acc, tileData(d))
	case *array.Dense[float64]:
		logsumFrame(t.acc, tileData(d))
	case *array.Dense[uint16]:
		logsumFrame(t.acc, tileData(d))
	case *array.Dense[uint8]:
		logsumFrame(t.acc, tileData(d))
	case *array.Dense[int16]:
		logsumFrame(t.acc, tileData(d))
	case *array.Dense[int32]:
		logsumFrame(t.acc, tileData(d))
	case *array.Dense[uint32]:
		logsumFrame(t.acc, tileData(d))
	case *array.Dense[int64]:
		logsumFrame(t.acc, tileData(d))
	default:
		return logsumSparse(t.acc, frame)
	}
	return nil
}

// Postprocess rounds the accumulator into logsum.
func (Logsum) Postprocess(env *udf.Env) error {
	return storeF64(env.At(0), env.TaskData().(*logsumTask).acc)
}

// Merge adds src's logsum to dest's.
func (Logsum) Merge(dest, src *udf.Views, _ *udf.Meta) error { return addInto(dest.At(0), src.At(0)) }

// MergeAll sums every partition's logsum in float64.
func (Logsum) MergeAll(parts []udf.Partial, m *udf.Meta) (map[string]array.Array, error) {
	arrs := make([]array.Array, len(parts))
	for i, p := range parts {
		arrs[i] = p.Buffers.At(0)
	}
	out, err := sumParts(arrs, array.Float32, m.DatasetShape.Sig())
	if err != nil {
		return nil, err
	}
	return map[string]array.Array{"logsum": out}, nil
}

// Pick copies the ROI-selected frames: intensity (kind single, the native dtype,
// extra (R or N,)+sig), the reference's PickUDF. Every partition writes its frames at
// their ROI-compressed rows and leaves the rest zero; merges add. Meant for a few
// frames: each partition holds a buffer for all selected frames.
type Pick struct{}

// Name returns "Pick".
func (Pick) Name() string { return "Pick" }

// PreferredInputDType returns udf.NativeDType: Pick keeps the stored dtype.
func (Pick) PreferredInputDType() array.DType { return udf.NativeDType }

// ResultBuffers declares intensity: single, input dtype, extra (R or N,)+sig.
func (Pick) ResultBuffers(m *udf.Meta) []udf.BufferSpec {
	extra := append([]int{m.NavCount()}, m.DatasetShape.Sig()...)
	return []udf.BufferSpec{udf.SingleBuffer("intensity", m.InputDType, extra...)}
}

// ProcessTile writes the tile at its frames' rows and signal box.
func (Pick) ProcessTile(env *udf.Env, tile array.Array) error {
	buf := env.At(0)
	sl := env.Meta.Slice
	r := sl.Get() // (depth range) + sig box ranges
	switch d := tile.(type) {
	case *array.Dense[float32]:
		return pickInto(buf, d, r)
	case *array.Dense[float64]:
		return pickInto(buf, d, r)
	case *array.Dense[uint16]:
		return pickInto(buf, d, r)
	case *array.Dense[uint8]:
		return pickInto(buf, d, r)
	case *array.Dense[int8]:
		return pickInto(buf, d, r)
	case *array.Dense[int16]:
		return pickInto(buf, d, r)
	case *array.Dense[int32]:
		return pickInto(buf, d, r)
	case *array.Dense[uint32]:
		return pickInto(buf, d, r)
	case *array.Dense[int64]:
		return pickInto(buf, d, r)
	case *array.Dense[uint64]:
		return pickInto(buf, d, r)
	case *array.Dense[complex64]:
		return pickInto(buf, d, r)
	case *array.Dense[complex128]:
		return pickInto(buf, d, r)
	case *array.Dense[bool]:
		return pickInto(buf, d, r)
	}
	return pickSparse(env, tile)
}

func pickInto[T any](buf array.Array, tile *array.Dense[T], r []array.Range) error {
	b, ok := buf.(*array.Dense[T])
	if !ok {
		return fmt.Errorf("%w: Pick: tile %v, buffer %v", ErrUnsupportedDType, tile.DType(), buf.DType())
	}
	return b.Slice(r...).CopyFrom(tile)
}

// Merge adds src's intensity to dest's (the rows a partition did not write are zero).
func (Pick) Merge(dest, src *udf.Views, _ *udf.Meta) error { return addInto(dest.At(0), src.At(0)) }

// MergeAll sums every partition's intensity.
func (p Pick) MergeAll(parts []udf.Partial, m *udf.Meta) (map[string]array.Array, error) {
	spec := p.ResultBuffers(m)[0]
	arrs := make([]array.Array, len(parts))
	for i, pt := range parts {
		arrs[i] = pt.Buffers.At(0)
	}
	out, err := sumParts(arrs, spec.ResolvedDType(), spec.ExtraShape)
	if err != nil {
		return nil, err
	}
	return map[string]array.Array{"intensity": out}, nil
}

// FEM computes, per frame, the population standard deviation of the pixels in a ring
// rad_in² < d² ≤ rad_out² around Center (the reference's FEMUDF; its center is used as
// (y, x)): intensity (kind nav, float32). An empty ring gives NaN.
type FEM struct {
	// Center is the ring centre (y, x) in pixels.
	Center [2]float64
	// RadIn and RadOut are the inner (excluded) and outer (included) radii.
	RadIn, RadOut float64
}

// Name returns "FEM".
func (FEM) Name() string { return "FEM" }

// navIntensity is the result buffer of FEM and Crystallinity: one float32 per frame.
var navIntensity = udf.NavBuf[float32]("intensity")

// ResultBuffers declares intensity: nav, float32.
func (FEM) ResultBuffers(*udf.Meta) []udf.BufferSpec { return udf.Declare(navIntensity) }

// TaskData builds the ring's pixel list.
func (f FEM) TaskData(env *udf.Env) (any, error) {
	if err := refuseComplex("FEM", env.Meta); err != nil {
		return nil, err
	}
	sig := env.Meta.DatasetShape.Sig()
	if len(sig) != 2 {
		return nil, fmt.Errorf("%w: FEM needs 2 signal dims, dataset has %v", ErrShape, sig)
	}
	return newFEMPlan(sig[0], sig[1], f.Center[0], f.Center[1], f.RadIn, f.RadOut), nil
}

// ProcessFrame stores the ring's standard deviation.
func (FEM) ProcessFrame(env *udf.Env, frame array.Array) error {
	p := env.TaskData().(*femPlan)
	var v float64
	switch d := frame.(type) {
	case *array.Dense[float32]:
		v = femStd(p, tileData(d))
	case *array.Dense[float64]:
		v = femStd(p, tileData(d))
	case *array.Dense[uint16]:
		v = femStd(p, tileData(d))
	case *array.Dense[int32]:
		v = femStd(p, tileData(d))
	default:
		return tileTypeError("FEM", frame)
	}
	navIntensity.View(env).Set(float32(v), 0) // this frame's entry
	return nil
}

// Crystallinity integrates, per frame, |rfft2(frame)| over a Fourier-space ring
// RadIn < d ≤ RadOut around the zero frequency, optionally after masking out a
// real-space disk of radius RealRad around RealCenter (y, x): intensity (kind nav,
// float32). It is the reference's CrystallinityUDF.
type Crystallinity struct {
	RadIn, RadOut float64
	// RealCenter and RealRad mask out a real-space disk (e.g. the zero-order peak);
	// RealCenter nil disables it.
	RealCenter *[2]float64
	RealRad    float64
}

// Name returns "Crystallinity".
func (Crystallinity) Name() string { return "Crystallinity" }

// ResultBuffers declares intensity: nav, float32.
func (Crystallinity) ResultBuffers(*udf.Meta) []udf.BufferSpec { return udf.Declare(navIntensity) }

// TaskData builds the FFT plan and masks (one per task: the plan is not safe for
// concurrent use).
func (c Crystallinity) TaskData(env *udf.Env) (any, error) {
	if err := refuseComplex("Crystallinity", env.Meta); err != nil {
		return nil, err
	}
	sig := env.Meta.DatasetShape.Sig()
	if len(sig) != 2 {
		return nil, fmt.Errorf("%w: Crystallinity needs 2 signal dims, dataset has %v", ErrShape, sig)
	}
	return newCrystPlan(sig[0], sig[1], c.RadIn, c.RadOut, c.RealCenter, c.RealRad), nil
}

// ProcessFrame stores the ring integral.
func (Crystallinity) ProcessFrame(env *udf.Env, frame array.Array) error {
	p := env.TaskData().(*crystPlan)
	var v float64
	switch d := frame.(type) {
	case *array.Dense[float32]:
		v = crystValue(p, tileData(d))
	case *array.Dense[float64]:
		v = crystValue(p, tileData(d))
	case *array.Dense[uint16]:
		v = crystValue(p, tileData(d))
	default:
		return tileTypeError("Crystallinity", frame)
	}
	navIntensity.View(env).Set(float32(v), 0) // this frame's entry
	return nil
}

// NoOp does nothing per tile: it measures the engine's and the dataset's cost (the
// reference's NoOpUDF). InputDType is the preferred input dtype; the zero value means
// the native dtype. It returns no results; internally it counts the frames it saw in a
// private buffer, so that its tasks always have an output to merge.
type NoOp struct {
	InputDType array.DType
}

// Name returns "NoOp".
func (NoOp) Name() string { return "NoOp" }

// PreferredInputDType returns n.InputDType, or udf.NativeDType.
func (n NoOp) PreferredInputDType() array.DType {
	if n.InputDType == (array.DType{}) {
		return udf.NativeDType
	}
	return n.InputDType
}

// ResultBuffers declares the private frame counter.
func (NoOp) ResultBuffers(*udf.Meta) []udf.BufferSpec { return frameCounter() }

// ProcessTile counts the tile's frames once per frame (on its first signal box).
func (NoOp) ProcessTile(env *udf.Env, _ array.Array) error { return countFrames(env) }

// Merge adds the frame counts.
func (NoOp) Merge(dest, src *udf.Views, _ *udf.Meta) error { return addInto(dest.At(0), src.At(0)) }

// frameCounter declares the private single int64 buffer "frames".
func frameCounter() []udf.BufferSpec {
	return []udf.BufferSpec{udf.SingleBuffer("frames", array.Int64).Private()}
}

// countFrames adds the current tile's depth to buffer 0 (the frame counter) for the
// first signal box of the scheme.
func countFrames(env *udf.Env) error {
	if env.Meta.TilingSchemeIdx != 0 {
		return nil
	}
	v, ok := flatOf[int64](env.At(0))
	if !ok || len(v) != 1 {
		return fmt.Errorf("%w: frame counter %v", ErrUnsupportedDType, env.At(0).DType())
	}
	v[0] += int64(env.Meta.Slice.Shape.Dim(0))
	return nil
}
