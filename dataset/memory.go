package dataset

import (
	"runtime"
	"slices"

	"github.com/stemflow/stemflow/array"
)

// MemoryOptions configure an in-memory dataset. The zero value is valid.
type MemoryOptions struct {
	// SigDims is the number of trailing axes of the array that form a frame; 0 means 2.
	SigDims int
	// NavShape / SigShape override the nav and sig extents (same total sig size; the
	// nav size may not exceed the number of frames in the array).
	NavShape []int
	SigShape []int
	// SyncOffset is the sync offset k, -frames < k < frames.
	SyncOffset int
	// NumPartitions is the default partition count; 0 means runtime.NumCPU().
	NumPartitions int
	// TileShape forces the tiling (depth + sig box) for every run, whatever the UDFs
	// ask (the reference's tileshape argument); nil lets the negotiation decide.
	TileShape []int
	// BaseShape is the base tile shape (1,)+sig box; nil means TileShape's sig part or
	// whole rows.
	BaseShape []int
	// ForceNeedDecode makes NeedDecode true and tiles copies, never views.
	ForceNeedDecode bool
	// MaxIOSize is the I/O size hint for copying reads; 0 = DefaultIOSize.
	MaxIOSize int64
	// ArrayFormats lists the tile formats ReadTiles produces, preferred first (the
	// reference's array_backends; see memory_csr.go); nil means dense only.
	ArrayFormats []array.Format
}

// Memory is a dataset over an in-memory array (the test workhorse). Without decoding,
// tiles are views into the array: never modify them.
type Memory struct {
	dense
	arr     array.Array
	formats []array.Format // nil: dense only
}

var _ Dataset = (*Memory)(nil)

// NewMemory returns a dataset over arr, which must be a numeric *array.Dense (a
// non-contiguous one is copied once). The array's last SigDims axes are the frame.
func NewMemory(arr array.Array, opts MemoryOptions) (*Memory, error) {
	if arr == nil {
		return nil, newErr("", "data", ErrShape, "no array given")
	}
	if arr.Format() != array.FormatDense {
		return nil, newErr("", "data", ErrArrayFormat, "memory dataset needs a dense array, got %v", arr.Format())
	}
	raw, a, err := denseBytes(arr)
	if err != nil {
		return nil, err
	}
	sigDims := opts.SigDims
	if sigDims == 0 {
		sigDims = 2
	}
	dims := a.Shape()
	if sigDims < 0 || sigDims >= len(dims) {
		return nil, newErr("", "sig_dims", ErrShape, "sig_dims %d needs an array with more than %d axes, got shape %v", sigDims, sigDims, dims)
	}
	if err := checkExtents("", "data", dims); err != nil {
		return nil, err
	}
	storedNav, storedSig := dims[:len(dims)-sigDims], dims[len(dims)-sigDims:]
	imageCount := prodInts(storedNav)
	shape, err := resolveShape("", storedNav, storedSig, imageCount, ShapeOptions{NavShape: opts.NavShape, SigShape: opts.SigShape})
	if err != nil {
		return nil, err
	}
	if shape.NavSize() > imageCount {
		return nil, newErr("", "nav_shape", ErrShape, "nav_shape %v has %d positions, the array only %d frames", shape.Nav(), shape.NavSize(), imageCount)
	}
	if err := checkSync("", opts.SyncOffset, imageCount); err != nil {
		return nil, err
	}
	if opts.NumPartitions < 0 {
		return nil, newErr("", "num_partitions", ErrOption, "num_partitions %d is negative", opts.NumPartitions)
	}
	sig := shape.Sig()
	if opts.TileShape != nil {
		if err := checkTileOption("tileshape", opts.TileShape, sig); err != nil {
			return nil, err
		}
	}
	if opts.BaseShape != nil {
		if err := checkTileOption("base_shape", opts.BaseShape, sig); err != nil {
			return nil, err
		}
	}
	m := &Memory{arr: a}
	if m.formats, err = memoryFormats(opts.ArrayFormats); err != nil {
		return nil, err
	}
	m.base = base{
		format:        "memory",
		shape:         shape,
		native:        a.DType(),
		imageCount:    imageCount,
		syncOffset:    opts.SyncOffset,
		numPartitions: opts.NumPartitions,
		baseShape:     slices.Clone(opts.BaseShape),
		tileShape:     slices.Clone(opts.TileShape),
		maxIO:         opts.MaxIOSize,
		forceDecode:   opts.ForceNeedDecode,
		io:            "memory",
	}
	m.initStore(raw)
	return m, nil
}

// NewMemoryZeros returns a memory dataset over a new zero-filled array of the given
// shape and dtype (the zero DType means float32).
func NewMemoryZeros(datashape []int, dt array.DType, opts MemoryOptions) (*Memory, error) {
	if !dt.IsValid() {
		dt = array.Float32
	}
	if !dt.IsNumeric() {
		return nil, newErr("", "dtype", ErrDType, "memory dataset needs a numeric dtype, got %v", dt)
	}
	if err := checkExtents("", "datashape", datashape); err != nil {
		return nil, err
	}
	return NewMemory(array.New(dt, datashape...), opts)
}

// Array returns the dataset's array (C-contiguous, as stored).
func (m *Memory) Array() array.Array { return m.arr }

// DefaultPartitions returns num_partitions, or runtime.NumCPU() when it was not given.
func (m *Memory) DefaultPartitions(workers int) int {
	if m.numPartitions > 0 {
		return m.numPartitions
	}
	return runtime.NumCPU()
}

func checkTileOption(field string, ts, sig []int) error {
	if len(ts) != 1+len(sig) {
		return newErr("", field, ErrOption, "%s %v needs %d axes (depth + sig %v)", field, ts, 1+len(sig), sig)
	}
	for i, v := range ts {
		if v <= 0 {
			return newErr("", field, ErrOption, "%s %v: extent of axis %d is not positive", field, ts, i)
		}
		if i > 0 && v > sig[i-1] {
			return newErr("", field, ErrOption, "%s %v: sig extent %d exceeds the signal %v", field, ts, v, sig)
		}
	}
	return nil
}

// denseBytes returns the bytes of a contiguous numeric dense array (copying a
// non-contiguous one) and the contiguous array.
func denseBytes(a array.Array) ([]byte, array.Array, error) {
	switch d := a.(type) {
	case *array.Dense[bool]:
		return contigBytes(d)
	case *array.Dense[int8]:
		return contigBytes(d)
	case *array.Dense[int16]:
		return contigBytes(d)
	case *array.Dense[int32]:
		return contigBytes(d)
	case *array.Dense[int64]:
		return contigBytes(d)
	case *array.Dense[uint8]:
		return contigBytes(d)
	case *array.Dense[uint16]:
		return contigBytes(d)
	case *array.Dense[uint32]:
		return contigBytes(d)
	case *array.Dense[uint64]:
		return contigBytes(d)
	case *array.Dense[float32]:
		return contigBytes(d)
	case *array.Dense[float64]:
		return contigBytes(d)
	case *array.Dense[complex64]:
		return contigBytes(d)
	case *array.Dense[complex128]:
		return contigBytes(d)
	}
	return nil, nil, newErr("", "data", ErrDType, "memory dataset needs a numeric dense array, got dtype %v (%T)", a.DType(), a)
}

func contigBytes[T elem](d *array.Dense[T]) ([]byte, array.Array, error) {
	c := d.Contiguous()
	data := c.Data()[c.Offset() : c.Offset()+c.Size()]
	return bytesOf(data), c, nil
}
