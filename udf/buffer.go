package udf

import (
	"fmt"

	"github.com/stemflow/stemflow/array"
)

// BufferKind says how a result buffer is laid out over the dataset.
type BufferKind uint8

const (
	// KindNav buffers hold one entry (of ExtraShape) per navigation position. During
	// processing they are flat and ROI-compressed: (Np or Rp,)+ExtraShape per
	// partition, (N or R,)+ExtraShape for the whole dataset.
	KindNav BufferKind = iota + 1
	// KindSig buffers hold one entry per signal pixel: sig+ExtraShape.
	KindSig
	// KindSingle buffers are one fixed-size array: ExtraShape, or (1,) when
	// ExtraShape is empty.
	KindSingle
)

// String returns "nav", "sig" or "single".
func (k BufferKind) String() string {
	switch k {
	case KindNav:
		return "nav"
	case KindSig:
		return "sig"
	case KindSingle:
		return "single"
	}
	return fmt.Sprintf("BufferKind(%d)", uint8(k))
}

// Use says who sees a buffer.
type Use uint8

const (
	// UseNormal buffers are allocated everywhere, merged and returned to the user.
	UseNormal Use = iota
	// UsePrivate buffers are allocated and merged, visible in processing, merge and
	// Results, but never returned to the user; returning one from Results is an error.
	UsePrivate
	// UseResultOnly buffers are placeholders: never allocated on tasks, absent from
	// merges (their view is nil there), and must be produced by Results.
	UseResultOnly
)

// String returns "normal", "private" or "result_only".
func (u Use) String() string {
	switch u {
	case UseNormal:
		return "normal"
	case UsePrivate:
		return "private"
	case UseResultOnly:
		return "result_only"
	}
	return fmt.Sprintf("Use(%d)", uint8(u))
}

// Where says where a task allocates a buffer. Main-node buffers always live in host
// memory; device buffers are exported to the host at the end of each task.
type Where uint8

const (
	// WhereHost allocates in host memory (the default).
	WhereHost Where = iota
	// WhereDevice asks for the compute device of the task (the CPU for dense tasks).
	WhereDevice
)

// BufferSpec declares one result buffer. ResultBuffers returns them in a fixed order;
// that order is the buffer's index for View, F32 and Env.At, so a UDF may use
// constants for its indices.
//
// The zero DType means float32, the reference's default. Zero extents in ExtraShape
// are allowed (the buffer is then empty).
type BufferSpec struct {
	// Name is the buffer's name, unique within the UDF.
	Name string
	// Kind is nav, sig or single.
	Kind BufferKind
	// ExtraShape is appended to the kind's shape (per nav position, per signal
	// pixel, or the whole single buffer).
	ExtraShape []int
	// DType is the element type; the zero DType means float32.
	DType array.DType
	// Where asks for host or device memory on tasks.
	Where Where
	// Use is normal, private or result_only.
	Use Use
}

// NavBuffer declares a kind-nav buffer (one entry of shape extra per nav position).
// A zero dt means float32.
func NavBuffer(name string, dt array.DType, extra ...int) BufferSpec {
	return BufferSpec{Name: name, Kind: KindNav, DType: dt, ExtraShape: extra}
}

// SigBuffer declares a kind-sig buffer (shape sig+extra). A zero dt means float32.
func SigBuffer(name string, dt array.DType, extra ...int) BufferSpec {
	return BufferSpec{Name: name, Kind: KindSig, DType: dt, ExtraShape: extra}
}

// SingleBuffer declares a kind-single buffer (shape extra, or (1,) if extra is
// empty). A zero dt means float32.
func SingleBuffer(name string, dt array.DType, extra ...int) BufferSpec {
	return BufferSpec{Name: name, Kind: KindSingle, DType: dt, ExtraShape: extra}
}

// Private returns a copy of b with Use set to UsePrivate.
func (b BufferSpec) Private() BufferSpec { b.Use = UsePrivate; return b }

// ResultOnly returns a copy of b with Use set to UseResultOnly.
func (b BufferSpec) ResultOnly() BufferSpec { b.Use = UseResultOnly; return b }

// OnDevice returns a copy of b with Where set to WhereDevice.
func (b BufferSpec) OnDevice() BufferSpec { b.Where = WhereDevice; return b }

// dtype returns the declared dtype with the float32 default applied.
func (b BufferSpec) dtype() array.DType {
	if b.DType == (array.DType{}) {
		return array.Float32
	}
	return b.DType
}

// ResolvedDType returns the buffer's dtype, float32 when none was declared.
func (b BufferSpec) ResolvedDType() array.DType { return b.dtype() }

// extraOrOne returns ExtraShape, or (1,) for a single buffer without extra shape.
func (b BufferSpec) singleShape() []int {
	if len(b.ExtraShape) == 0 {
		return []int{1}
	}
	return append([]int(nil), b.ExtraShape...)
}

// Shape returns the buffer's shape for a unit holding n nav rows (a partition or
// the whole dataset, ROI-compressed) of a dataset whose signal shape is sig:
// (n,)+extra for nav, sig+extra for sig, extra or (1,) for single.
func (b BufferSpec) Shape(n int, sig []int) []int {
	switch b.Kind {
	case KindNav:
		return append([]int{n}, b.ExtraShape...)
	case KindSig:
		s := append([]int(nil), sig...)
		return append(s, b.ExtraShape...)
	default:
		return b.singleShape()
	}
}

// validate checks one declaration.
func (b BufferSpec) validate() error {
	if b.Name == "" {
		return fmt.Errorf("%w: empty buffer name", ErrBadDeclaration)
	}
	switch b.Kind {
	case KindNav, KindSig, KindSingle:
	default:
		return fmt.Errorf("%w: buffer %q: kind %v, want nav, sig or single", ErrBadDeclaration, b.Name, b.Kind)
	}
	switch b.Use {
	case UseNormal, UsePrivate, UseResultOnly:
	default:
		return fmt.Errorf("%w: buffer %q: use %v, want normal, private or result_only", ErrBadDeclaration, b.Name, b.Use)
	}
	for _, e := range b.ExtraShape {
		if e < 0 {
			return fmt.Errorf("%w: buffer %q: extra shape %v has a negative extent", ErrBadDeclaration, b.Name, b.ExtraShape)
		}
	}
	if b.DType != (array.DType{}) && !b.DType.IsValid() {
		return fmt.Errorf("%w: buffer %q: invalid dtype", ErrBadDeclaration, b.Name)
	}
	return nil
}
