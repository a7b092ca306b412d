package dataset

import (
	"slices"

	"github.com/stemflow/stemflow/array"
)

// RawOptions describe a headerless C-order binary file of frames.
type RawOptions struct {
	// NavShape and SigShape give the dataset shape (both required).
	NavShape []int
	SigShape []int
	// DType is the stored dtype with an optional byte order: "<u2", ">f4", "uint16",
	// "float32" (no order means the host's).
	DType string
	// SyncOffset is the sync offset k, -image_count < k < image_count.
	SyncOffset int
	// NumPartitions is the user's partition count; 0 = the generic rule.
	NumPartitions int
	// MaxIOSize is the I/O size for copying reads; 0 = DefaultIOSize.
	MaxIOSize int64
	// Populate pre-faults the mapping at open (see OpenOptions.Populate).
	Populate bool
	// IO is the I/O method: IOMmap (default) or IORead.
	IO string
}

// Raw is a headerless binary file: frames of SigShape in C order, back to back, read
// through a read-only memory mapping.
type Raw struct {
	dense
}

var _ Dataset = (*Raw)(nil)

// OpenRaw opens a raw file. The file must hold at least prod(NavShape) frames (trailing
// bytes are ignored); the image count is the number of whole frames in it.
func OpenRaw(path string, opts RawOptions) (*Raw, error) {
	if opts.DType == "" {
		return nil, newErr(path, "dtype", ErrDType, "dtype is required for raw files")
	}
	dt, order, err := array.ParseDType(opts.DType)
	if err != nil {
		return nil, &Error{Path: path, Field: "dtype", Detail: err.Error(), Err: ErrDType}
	}
	if !dt.IsNumeric() {
		return nil, newErr(path, "dtype", ErrDType, "raw files hold numeric data, got %v", dt)
	}
	if opts.SigShape == nil {
		return nil, newErr(path, "sig_shape", ErrShape, "sig_shape is required for raw files")
	}
	if err := checkExtents(path, "sig_shape", opts.SigShape); err != nil {
		return nil, err
	}
	if opts.NavShape == nil {
		return nil, newErr(path, "nav_shape", ErrShape, "nav_shape is required for raw files")
	}
	shape, err := resolveShape(path, opts.NavShape, opts.SigShape, 0, ShapeOptions{})
	if err != nil {
		return nil, err
	}
	if opts.NumPartitions < 0 {
		return nil, newErr(path, "num_partitions", ErrOption, "num_partitions %d is negative", opts.NumPartitions)
	}
	frameBytes, need, err := checkBytes(path, shape, dt.ItemSize())
	if err != nil {
		return nil, err
	}
	sto, err := openStorage(path, "nav_shape", need, opts.IO, opts.Populate)
	if err != nil {
		return nil, err
	}
	imageCount := int(sto.size / frameBytes)
	if err := checkSync(path, opts.SyncOffset, imageCount); err != nil {
		_ = sto.release()
		return nil, err
	}
	r := &Raw{}
	r.base = base{
		format:        "raw",
		path:          path,
		shape:         shape,
		native:        dt,
		order:         order,
		imageCount:    imageCount,
		syncOffset:    opts.SyncOffset,
		numPartitions: opts.NumPartitions,
		maxIO:         opts.MaxIOSize,
	}
	r.initFile(sto)
	return r, nil
}

func init() {
	RegisterFormat(FormatSpec{
		Name:       "raw",
		Extensions: []string{".raw", ".bin"},
		Open: func(path string, o OpenOptions) (Dataset, error) {
			return OpenRaw(path, RawOptions{
				NavShape: slices.Clone(o.NavShape), SigShape: slices.Clone(o.SigShape), DType: o.DType,
				SyncOffset: o.SyncOffset, NumPartitions: o.NumPartitions, MaxIOSize: o.MaxIOSize, Populate: o.Populate, IO: o.IO,
			})
		},
	})
}
