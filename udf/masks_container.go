package udf

import (
	"fmt"
	"slices"
	"sync"

	"github.com/stemflow/stemflow/array"
)

// MaskFactory returns masks for a signal of shape sig: one mask (a dense array of
// shape sig or of sig's size, or a sparse matrix holding the mask in C order), or a
// whole stack (n,)+sig (dense) or (n, prod(sig)) (sparse), depending on where it is
// used. It is the one factory type of stemflow: MaskContainer (NewMaskList,
// NewMaskStack) and udfs.ApplyMasks (Factories, Stack) take it, and udfs.DiskMask,
// RingMask, PointMask and ArrayMask make it. A factory may ignore sig (a closure over a
// fixed array); one that needs it fails with an error naming the shape it got.
type MaskFactory func(sig []int) (array.Array, error)

// MaskContainer holds a mask stack built from factories and hands it out cut to the
// signal box of a tile — the layout a tile × masks product wants. The stack is
// computed once, on first use; each cut is computed once per box and cached. Create one per task (in TaskData): a container is safe for
// concurrent use, but its cache is meant for one task's boxes.
//
// A stack is dense or sparse (the reference's use_sparse; see SparseMode and
// WithSparse). By default it is sparse exactly when every mask is sparse (a CSR or
// CSC factory result). A dense stack is an *array.Dense of shape (n,)+sig, cut to
// (n, boxPixels) or transposed (boxPixels, n). A sparse stack is an
// *array.CSR[T, int32] of shape (n, prod(sig)) (T the container's dtype), cut to a CSR
// matrix (n, boxPixels) with box pixels in C order, or transposed to the CSC matrix
// (boxPixels, n) that shares the CSR's memory — the operands of
// array.MulAddDenseCSRT / MulAddCSRCSRT and array.MulAddDenseCSC / MulAddCSRCSC.
type MaskContainer struct {
	stack     MaskFactory
	list      []MaskFactory
	dtype     array.DType
	mode      SparseMode
	sig       []int // signal shape (WithSigShape), or nil: inferred
	once      sync.Once
	masks     array.Array // (n,)+sig dense, or (n, prod(sig)) CSR, dtype
	sparse    bool
	err       error
	mu        sync.Mutex
	cache     []maskCut
	countHint int
}

type maskCut struct {
	origin, shape []int
	transpose     bool
	arr           array.Array
}

// SparseMode chooses the storage of a MaskContainer's stack (the reference's
// use_sparse).
type SparseMode uint8

const (
	// SparseAuto keeps the stack sparse (CSR) exactly when every mask is sparse:
	// use_sparse=None, the default.
	SparseAuto SparseMode = iota
	// SparseNever densifies sparse masks: use_sparse=False.
	SparseNever
	// SparseAlways stores the stack as CSR even when masks are dense:
	// use_sparse=True. The dtype must not be bool.
	SparseAlways
)

// String returns "auto", "never" or "always".
func (m SparseMode) String() string {
	switch m {
	case SparseAuto:
		return "auto"
	case SparseNever:
		return "never"
	case SparseAlways:
		return "always"
	}
	return fmt.Sprintf("SparseMode(%d)", uint8(m))
}

// factoryErr adds a hint to a factory's error when the container had no signal shape
// to give it.
func (c *MaskContainer) factoryErr(err error) error {
	if c.sig == nil {
		return fmt.Errorf("%w (the factory got no signal shape: call WithSigShape(env.Meta.DatasetShape.Sig()))", err)
	}
	return err
}

// NewMaskStack returns a container over one factory returning the whole stack
// (n,)+sig. A zero dt keeps the stack's dtype. The factory is called once, with the
// signal shape set by WithSigShape (nil when none is set).
func NewMaskStack(f MaskFactory, dt array.DType) *MaskContainer {
	return &MaskContainer{stack: f, dtype: dt}
}

// NewMaskList returns a container over factories each returning one sig-shaped mask.
// A zero dt keeps the first mask's dtype. Each factory is called once, with the signal
// shape set by WithSigShape (nil when none is set): containers built in TaskData set
// it from env.Meta.DatasetShape.Sig().
func NewMaskList(fs []MaskFactory, dt array.DType) *MaskContainer {
	return &MaskContainer{list: slices.Clone(fs), dtype: dt, countHint: len(fs)}
}

// WithSparse sets the sparse mode (default SparseAuto) and returns c. Call it before
// the container is first used.
func (c *MaskContainer) WithSparse(mode SparseMode) *MaskContainer {
	c.mode = mode
	return c
}

// WithSigShape sets the signal shape and returns c. Call it before first use. A
// sparse stack needs it to map box coordinates to pixels when no mask shows it: by
// default the signal shape is taken from the first dense mask (list form: its shape;
// stack form: shape[1:]), else from the first sparse mask (list form: its 2-D shape;
// stack form (n, px): the 1-D signal (px)).
func (c *MaskContainer) WithSigShape(sig []int) *MaskContainer {
	c.sig = slices.Clone(sig)
	return c
}

// IsSparse reports whether the stack is stored sparse (computing it).
func (c *MaskContainer) IsSparse() (bool, error) {
	if _, err := c.Stack(); err != nil {
		return false, err
	}
	return c.sparse, nil
}

// Count returns the number of masks (computing the stack if a single factory gives
// it).
func (c *MaskContainer) Count() (int, error) {
	if c.countHint > 0 {
		return c.countHint, nil
	}
	m, err := c.Stack()
	if err != nil {
		return 0, err
	}
	return m.Shape()[0], nil
}

// Stack returns the whole stack in the container's dtype: dense (n,)+sig, or sparse
// *array.CSR[T, int32] (n, prod(sig)) (see IsSparse). It is shared: do not modify it.
func (c *MaskContainer) Stack() (array.Array, error) {
	c.once.Do(func() { c.masks, c.err = c.build() })
	return c.masks, c.err
}

func (c *MaskContainer) build() (array.Array, error) {
	var parts []array.Array
	if c.stack != nil {
		s, err := c.stack(c.sig)
		if err != nil {
			return nil, c.factoryErr(err)
		}
		parts = []array.Array{s}
	} else {
		for i, f := range c.list {
			m, err := f(c.sig)
			if err != nil {
				return nil, fmt.Errorf("mask %d: %w", i, c.factoryErr(err))
			}
			if m.Format() != array.FormatDense {
				parts = append(parts, m) // kept as is; densified below if need be
				continue
			}
			r, err := reshapeDyn(m, append([]int{1}, m.Shape()...))
			if err != nil {
				return nil, err
			}
			parts = append(parts, r)
		}
	}
	if len(parts) == 0 {
		return nil, fmt.Errorf("%w: no masks", ErrAuxData)
	}
	dt := c.dtype
	if !dt.IsValid() {
		dt = parts[0].DType()
	}
	allSparse := true
	for _, p := range parts {
		if p.Format() == array.FormatDense {
			allSparse = false
		}
	}
	c.sparse = c.mode == SparseAlways || c.mode == SparseAuto && allSparse
	sig := c.sigShape(parts)
	if c.sparse {
		return buildSparse(parts, dt, sig)
	}
	for i, p := range parts {
		if p.Format() != array.FormatDense {
			d, err := densifyMask(p, sig, c.stack == nil)
			if err != nil {
				return nil, fmt.Errorf("mask %d: %w", i, err)
			}
			parts[i] = d
		}
	}
	for i, p := range parts {
		if p.DType() != dt {
			q, err := array.Convert(p, dt)
			if err != nil {
				return nil, err
			}
			parts[i] = q
		}
	}
	if len(parts) == 1 {
		if opsOf(parts[0]) != nil {
			cp := array.New(dt, parts[0].Shape()...)
			if err := opsOf(cp).copyFrom(parts[0]); err != nil {
				return nil, err
			}
			return cp, nil
		}
		return nil, fmt.Errorf("mask stack format %v is not dense", parts[0].Format())
	}
	return concatDyn(parts)
}

// Get returns the stack cut to box as a C-contiguous (n, boxPixels) array, or
// (boxPixels, n) with transpose. box is a signal slice (Meta.SigSlice) or a whole
// tile, frame or partition slice with nav axes (Meta.Slice), whose signal part is
// used: both give the same, cached cut. The result is shared: do not modify it.
//
// A sparse stack gives an *array.CSR[T, int32] (n, boxPixels), or with transpose the
// *array.CSC[T, int32] (boxPixels, n) sharing its memory.
func (c *MaskContainer) Get(box array.Slice, transpose bool) (array.Array, error) {
	masks, err := c.Stack()
	if err != nil {
		return nil, err
	}
	if len(box.Origin) != box.Shape.Len() {
		return nil, fmt.Errorf("%w: box origin %v for a shape %v", ErrSigSlice, box.Origin, box.Shape)
	}
	// The signal part: a slice with nav axes (and sig axes) drops its nav axes; a
	// slice without sig axes is taken as a signal box whole, as before.
	nav := 0
	if box.Shape.SigDims() > 0 {
		nav = box.Shape.NavDims()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	shape := box.Shape.Dims()[nav:]
	for _, e := range c.cache {
		if e.transpose == transpose && slices.Equal(e.origin, box.Origin[nav:]) && slices.Equal(e.shape, shape) {
			return e.arr, nil
		}
	}
	if nav > 0 {
		box = box.Sig()
	}
	if c.sparse {
		out, err := cutSparse(masks, c.sigShapeOf(masks), box, transpose)
		if err != nil {
			return nil, err
		}
		c.cache = append(c.cache, maskCut{origin: slices.Clone(box.Origin), shape: shape, transpose: transpose, arr: out})
		return out, nil
	}
	ms := masks.Shape()
	if len(shape) != len(ms)-1 {
		return nil, fmt.Errorf("%w: box %v for masks of shape %v", ErrSigSlice, box, ms)
	}
	rg := []array.Range{{Start: 0, Stop: ms[0]}}
	px := 1
	for a, r := range box.Get() {
		if r.Start < 0 || r.Stop > ms[a+1] {
			return nil, fmt.Errorf("%w: box %v outside masks of shape %v", ErrSigSlice, box, ms)
		}
		rg = append(rg, r)
		px *= r.Len()
	}
	cut := opsOf(masks).box(rg)
	flat := array.New(masks.DType(), ms[0], px)
	fv, _ := reshapeDyn(flat, cut.Shape())
	if err := opsOf(fv).copyFrom(cut); err != nil {
		return nil, err
	}
	var out array.Array = flat
	if transpose {
		out = transposeCopy(flat)
	}
	c.cache = append(c.cache, maskCut{origin: slices.Clone(box.Origin), shape: shape, transpose: transpose, arr: out})
	return out, nil
}

// transposeCopy returns a C-contiguous transpose of a 2-d dense array.
func transposeCopy(a array.Array) array.Array {
	switch d := a.(type) {
	case *array.Dense[float32]:
		return d.Transpose().Copy()
	case *array.Dense[float64]:
		return d.Transpose().Copy()
	case *array.Dense[complex64]:
		return d.Transpose().Copy()
	case *array.Dense[complex128]:
		return d.Transpose().Copy()
	case *array.Dense[bool]:
		return d.Transpose().Copy()
	case *array.Dense[int32]:
		return d.Transpose().Copy()
	case *array.Dense[int64]:
		return d.Transpose().Copy()
	case *array.Dense[uint8]:
		return d.Transpose().Copy()
	case *array.Dense[uint16]:
		return d.Transpose().Copy()
	}
	s := a.Shape()
	out := array.New(a.DType(), s[1], s[0])
	o, oo := opsOf(a), opsOf(out)
	for i := 0; i < s[0]; i++ {
		row := o.rows(i, i+1)
		col := oo.box([]array.Range{{Start: 0, Stop: s[1]}, {Start: i, Stop: i + 1}})
		r2, _ := reshapeDyn(row, col.Shape())
		_ = opsOf(col).copyFrom(r2)
	}
	return out
}

// concatDyn concatenates dense arrays of one dtype along axis 0.
func concatDyn(parts []array.Array) (array.Array, error) {
	n := 0
	tail := parts[0].Shape()[1:]
	for _, p := range parts {
		if !slices.Equal(p.Shape()[1:], tail) {
			return nil, fmt.Errorf("masks of different shapes %v and %v", parts[0].Shape(), p.Shape())
		}
		n += p.Shape()[0]
	}
	out := array.New(parts[0].DType(), append([]int{n}, tail...)...)
	o := opsOf(out)
	at := 0
	for _, p := range parts {
		k := p.Shape()[0]
		if err := opsOf(o.rows(at, at+k)).copyFrom(p); err != nil {
			return nil, err
		}
		at += k
	}
	return out, nil
}
