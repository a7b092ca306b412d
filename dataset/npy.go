package dataset

import (
	"errors"
	"os"
	"slices"

	"github.com/stemflow/stemflow/array"
)

// NPYOptions configure an .npy dataset.
type NPYOptions struct {
	// SigDims is the number of trailing axes that form a frame; 0 means 2.
	SigDims int
	// NavShape / SigShape override the nav and sig extents (same total sig size; the
	// nav size may not exceed the stored frames).
	NavShape []int
	SigShape []int
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

// NPY is a NumPy .npy file (C order, numeric dtype, either byte order), read through a
// read-only memory mapping starting at the header's data offset.
type NPY struct {
	dense
	header array.NPYHeader
}

var _ Dataset = (*NPY)(nil)

// OpenNPY opens an .npy file. Fortran-order and object arrays are rejected (ErrHeader,
// ErrDType), as are files shorter than their header's shape needs (ErrFileTooShort).
// Half-precision (float16) data is read as float32: DType is float32 and every read
// decodes.
func OpenNPY(path string, opts NPYOptions) (*NPY, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, openErr(path, err)
	}
	h, err := array.ReadNPYHeader(f)
	f.Close()
	if err != nil {
		field := "header"
		var ne *array.NPYError
		if errors.As(err, &ne) {
			field = "header." + ne.Field
		}
		sentinel := ErrHeader
		if errors.Is(err, array.ErrDType) {
			sentinel = ErrDType
		}
		return nil, &Error{Path: path, Field: field, Detail: err.Error(), Err: sentinel}
	}
	if h.FortranOrder {
		return nil, newErr(path, "header.fortran_order", ErrHeader, "Fortran-order arrays are not supported, want fortran_order False")
	}
	native, stored := h.DType, array.DType{}
	if h.DType == array.Float16 { // stored half precision, read as float32
		native, stored = array.Float32, array.Float16
	}
	if !native.IsNumeric() {
		return nil, newErr(path, "header.descr", ErrDType, "dtype %v is not numeric (want bool, int, uint, float or complex)", h.DType)
	}
	sigDims := opts.SigDims
	if sigDims == 0 {
		sigDims = 2
	}
	if sigDims < 0 || sigDims >= len(h.Shape) {
		return nil, newErr(path, "sig_dims", ErrShape, "sig_dims %d needs more than %d axes, the header shape is %v", sigDims, sigDims, h.Shape)
	}
	if err := checkExtents(path, "header.shape", h.Shape); err != nil {
		return nil, err
	}
	if opts.NumPartitions < 0 {
		return nil, newErr(path, "num_partitions", ErrOption, "num_partitions %d is negative", opts.NumPartitions)
	}
	storedNav, storedSig := h.Shape[:len(h.Shape)-sigDims], h.Shape[len(h.Shape)-sigDims:]
	imageCount := prodInts(storedNav)
	shape, err := resolveShape(path, storedNav, storedSig, imageCount, ShapeOptions{NavShape: opts.NavShape, SigShape: opts.SigShape})
	if err != nil {
		return nil, err
	}
	if shape.NavSize() > imageCount {
		return nil, newErr(path, "nav_shape", ErrShape, "nav_shape %v has %d positions, the file stores %d frames", shape.Nav(), shape.NavSize(), imageCount)
	}
	if err := checkSync(path, opts.SyncOffset, imageCount); err != nil {
		return nil, err
	}
	need := h.DataOffset + h.DataLen()
	sto, err := openStorage(path, "header.shape", need, opts.IO, opts.Populate)
	if err != nil {
		return nil, err
	}
	n := &NPY{header: h}
	align := int64(min(h.DType.ItemSize(), 8))
	n.base = base{
		format:        "npy",
		path:          path,
		shape:         shape,
		native:        native,
		order:         h.ByteOrder,
		imageCount:    imageCount,
		syncOffset:    opts.SyncOffset,
		numPartitions: opts.NumPartitions,
		maxIO:         opts.MaxIOSize,
		// an unaligned data offset rules out typed views, float16 needs decoding: always copy
		forceDecode: h.DataOffset%align != 0 || stored.IsValid(),
		dataOffset:  h.DataOffset,
	}
	n.stored = stored
	n.initFile(sto)
	return n, nil
}

// Header returns the parsed .npy header.
func (n *NPY) Header() array.NPYHeader { return n.header }

func init() {
	RegisterFormat(FormatSpec{
		Name:       "npy",
		Extensions: []string{".npy"},
		Open: func(path string, o OpenOptions) (Dataset, error) {
			return OpenNPY(path, NPYOptions{
				SigDims: o.SigDims, NavShape: slices.Clone(o.NavShape), SigShape: slices.Clone(o.SigShape),
				SyncOffset: o.SyncOffset, NumPartitions: o.NumPartitions, MaxIOSize: o.MaxIOSize, Populate: o.Populate, IO: o.IO,
			})
		},
	})
}

// Info describes the dataset; for float16 data Bytes counts the stored half-precision
// bytes and a detail says that tiles are float32.
func (n *NPY) Info() Info {
	i := n.base.Info()
	if n.stored.IsValid() {
		i.Bytes = int64(n.imageCount) * int64(n.frameBytes)
		i.Details = append(i.Details, InfoDetail{Key: "stored dtype", Value: n.stored.String() + " (read as float32)"})
	}
	return i
}
