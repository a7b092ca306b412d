package dataset

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/stemflow/stemflow/array"
)

// MRC2014 files: a 1024-byte header of 32-bit words (NX, NY, NZ at words 0-2, MODE at
// word 3, NSYMBT — the extended header's size in bytes — at byte 92, the machine stamp
// at bytes 212-215), then the extended header, then NZ sections of NY rows of NX values
// in C order. The machine stamp's first byte is 0x11 for big-endian files and 0x44 (or
// anything else, in old files) for little-endian ones.

// mrcHeaderSize is the size of the fixed MRC header.
const mrcHeaderSize = 1024

// MRCHeader is what stemflow reads from an MRC header.
type MRCHeader struct {
	NX, NY, NZ int
	// Mode is the MRC data mode: 0 int8, 1 int16, 2 float32, 4 complex64, 6 uint16,
	// 12 float16.
	Mode int
	// ExtHeaderBytes is NSYMBT, the extended header's size.
	ExtHeaderBytes int
	// DataOffset is 1024 + ExtHeaderBytes.
	DataOffset int64
	// ByteOrder is the order of the header words and the data.
	ByteOrder binary.ByteOrder
	// Stored is the dtype of the stored values; DType is what tiles hold natively
	// (float32 for float16 data, else Stored).
	Stored, DType array.DType
	// Half is true for mode 12 (IEEE float16 values, decoded to float32).
	Half bool
}

// ParseMRCHeader parses the first 1024 bytes of an MRC file; path names the file in
// errors.
func ParseMRCHeader(b []byte, path string) (MRCHeader, error) {
	if len(b) < mrcHeaderSize {
		return MRCHeader{}, &ShortFileError{Path: path, Field: "header", Need: mrcHeaderSize, Have: int64(len(b))}
	}
	var o binary.ByteOrder = binary.LittleEndian
	if b[212] == 0x11 {
		o = binary.BigEndian
	}
	word := func(i int) int { return int(int32(o.Uint32(b[4*i:]))) }
	h := MRCHeader{NX: word(0), NY: word(1), NZ: word(2), Mode: word(3), ExtHeaderBytes: word(23), ByteOrder: o}
	for _, f := range []struct {
		name string
		v    int
	}{{"header.nx", h.NX}, {"header.ny", h.NY}, {"header.nz", h.NZ}} {
		if f.v <= 0 {
			return MRCHeader{}, newErr(path, f.name, ErrHeader, "%d, want a positive extent (%s byte order from the machine stamp %#02x)", f.v, orderName(o), b[212])
		}
	}
	if h.ExtHeaderBytes < 0 {
		return MRCHeader{}, newErr(path, "header.nsymbt", ErrHeader, "extended header size %d is negative", h.ExtHeaderBytes)
	}
	switch h.Mode {
	case 0:
		h.Stored = array.Int8
	case 1:
		h.Stored = array.Int16
	case 2:
		h.Stored = array.Float32
	case 4:
		h.Stored = array.Complex64
	case 6:
		h.Stored = array.Uint16
	case 12:
		h.Stored, h.Half = array.Uint16, true
	default:
		return MRCHeader{}, newErr(path, "header.mode", ErrDType, "mode %d is not supported (want 0 int8, 1 int16, 2 float32, 4 complex64, 6 uint16 or 12 float16)", h.Mode)
	}
	if int64(h.NX)*int64(h.NY) > math.MaxInt64/16/int64(h.NZ) {
		return MRCHeader{}, newErr(path, "header.nz", ErrHeader, "nx %d × ny %d × nz %d elements overflow a file size", h.NX, h.NY, h.NZ)
	}
	h.DType = h.Stored
	if h.Half {
		h.DType = array.Float32
	}
	h.DataOffset = mrcHeaderSize + int64(h.ExtHeaderBytes)
	return h, nil
}

func orderName(o binary.ByteOrder) string {
	if o == binary.BigEndian {
		return "big-endian"
	}
	return "little-endian"
}

// dataBytes is the size of the data block.
func (h MRCHeader) dataBytes() int64 {
	return int64(h.NX) * int64(h.NY) * int64(h.NZ) * int64(h.Stored.ItemSize())
}

// MRC is an MRC2014 file: NZ frames of (NY, NX), nav (NZ,) unless overridden.
type MRC struct {
	dense
	header MRCHeader
}

var _ Dataset = (*MRC)(nil)

func readMRCHeader(path string) (MRCHeader, error) {
	f, err := os.Open(path)
	if err != nil {
		return MRCHeader{}, openErr(path, err)
	}
	defer f.Close()
	b := make([]byte, mrcHeaderSize)
	n, err := io.ReadFull(f, b)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return MRCHeader{}, &Error{Path: path, Field: "header", Detail: "read failed", Err: err}
	}
	return ParseMRCHeader(b[:n], path)
}

// OpenMRC opens an MRC file. The frames are the NZ sections, the signal (NY, NX); the nav
// shape is (NZ,) (LiberTEM's rule; it takes the signal from the header's grid size
// MX/MY/MZ without unit axes, which equals (NY, NX) in consistent files). Modes 0, 1, 2,
// 4 and 6 are read in place; mode 12 (float16) is decoded to float32.
//
// The result is an *MRC, or for mode 12 a *Framed that decodes each frame.
func OpenMRC(path string, opts FramedOptions) (Dataset, error) {
	h, err := readMRCHeader(path)
	if err != nil {
		return nil, err
	}
	if h.Half {
		return openMRCHalf(path, h, opts)
	}
	if opts.NumPartitions < 0 {
		return nil, newErr(path, "num_partitions", ErrOption, "num_partitions %d is negative", opts.NumPartitions)
	}
	imageCount := h.NZ
	shape, err := resolveShape(path, []int{h.NZ}, []int{h.NY, h.NX}, imageCount, ShapeOptions{NavShape: opts.NavShape, SigShape: opts.SigShape})
	if err != nil {
		return nil, err
	}
	if err := checkSync(path, opts.SyncOffset, imageCount); err != nil {
		return nil, err
	}
	sto, err := openStorage(path, "header.nz", h.DataOffset+h.dataBytes(), opts.IO, opts.Populate)
	if err != nil {
		return nil, err
	}
	m := &MRC{header: h}
	align := int64(min(h.Stored.ItemSize(), 8))
	m.base = base{
		format:        "mrc",
		path:          path,
		shape:         shape,
		native:        h.Stored,
		order:         h.ByteOrder,
		imageCount:    imageCount,
		syncOffset:    opts.SyncOffset,
		numPartitions: opts.NumPartitions,
		maxIO:         opts.MaxIOSize,
		forceDecode:   h.DataOffset%align != 0,
		dataOffset:    h.DataOffset,
	}
	m.initFile(sto)
	return m, nil
}

// openMRCHalf reads mode-12 (IEEE float16) data through the framed reader, each frame
// decoded to float32.
func openMRCHalf(path string, h MRCHeader, opts FramedOptions) (Dataset, error) {
	fb := int64(h.NX) * int64(h.NY) * 2
	ord := h.ByteOrder
	l := FrameLayout{
		Format:      "mrc",
		Path:        path,
		Files:       []FrameFile{{Path: path, Frames: h.NZ, Offset: h.DataOffset, Stride: fb}},
		RecordBytes: int(fb),
		DType:       array.Float32,
		SigShape:    []int{h.NY, h.NX},
		NavShape:    []int{h.NZ},
		NewDecoder: func() FrameDecodeFunc {
			return func(dst, rec []byte) error {
				for i := range len(dst) / 4 {
					binary.NativeEndian.PutUint32(dst[4*i:], math.Float32bits(halfToFloat32(ord.Uint16(rec[2*i:]))))
				}
				return nil
			}
		},
		Details: []InfoDetail{
			{"mrc_mode", fmt.Sprintf("12 (float16 decoded to float32, %s)", orderName(h.ByteOrder))},
			{"mrc_size", fmt.Sprintf("nx %d, ny %d, nz %d; extended header %d bytes", h.NX, h.NY, h.NZ, h.ExtHeaderBytes)},
			{"nav_shape_source", "(nz,) from the header"},
		},
	}
	return OpenFramed(l, opts)
}

// halfToFloat32 converts IEEE 754 binary16 bits to float32 (exactly: every half value is
// a float32 value).
func halfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1F
	mant := uint32(h) & 0x3FF
	switch {
	case exp == 0x1F: // inf, NaN
		return math.Float32frombits(sign | 0xFF<<23 | mant<<13)
	case exp != 0: // normal
		return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
	case mant == 0:
		return math.Float32frombits(sign)
	}
	// subnormal: mant · 2^-24
	f := float32(mant) * (1.0 / (1 << 24))
	if sign != 0 {
		f = -f
	}
	return f
}

// Header returns the parsed header.
func (m *MRC) Header() MRCHeader { return m.header }

// Info describes the file.
func (m *MRC) Info() Info {
	in := m.base.Info()
	h := m.header
	in.Details = append(in.Details,
		InfoDetail{"mrc_mode", fmt.Sprintf("%d (%v, %s)", h.Mode, h.Stored, orderName(h.ByteOrder))},
		InfoDetail{"mrc_size", fmt.Sprintf("nx %d, ny %d, nz %d; extended header %d bytes", h.NX, h.NY, h.NZ, h.ExtHeaderBytes)},
		InfoDetail{"nav_shape_source", "(nz,) from the header"},
	)
	return in
}

func init() {
	RegisterFormat(FormatSpec{
		Name:       "mrc",
		Extensions: []string{".mrc", ".mrcs"},
		Open: func(path string, o OpenOptions) (Dataset, error) {
			return OpenMRC(path, FramedOptionsFrom(o))
		},
	})
}
