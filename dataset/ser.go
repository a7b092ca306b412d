package dataset

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/stemflow/stemflow/array"
)

// FEI/Thermo TIA .ser files (little-endian): ByteOrder u16 0x4949, SeriesID 0x0197,
// SeriesVersion 0x0210 (4-byte offsets) or 0x0220 (8-byte), DataTypeID u32 (0x4120 1-D
// elements, 0x4122 2-D), TagTypeID u32 (0x4152 or 0x4142), TotalNumberElements i32,
// ValidNumberElements i32, OffsetArrayOffset (i32/i64), NumberDimensions i32, then per
// dimension: size i32, calibration offset and delta f64, calibration element i32,
// description (i32 length + bytes), units (i32 length + bytes). At OffsetArrayOffset the
// data offsets (ValidNumberElements entries of i32/i64) are followed by the tag offsets.
// Each element starts with its calibrations (2-D: two × (f64, f64, i32); 1-D: one),
// DataType i16 (1 u8, 2 u16, 3 u32, 4 i8, 5 i16, 6 i32, 7 f32, 8 f64, 9 complex64, 10
// complex128) and ArraySizeX (and ArraySizeY) i32, then the values. A 2-D element of
// ArraySizeX × ArraySizeY values is a frame of (ArraySizeY, ArraySizeX) whose rows are
// stored bottom-up (the reference flips them: frame row r is stored row Y-1-r). The nav
// shape is the dimension sizes reversed; the frames are the valid elements.

// SERHeader is the parsed series header and offset array.
type SERHeader struct {
	Version    int // 0x0210 or 0x0220
	DataTypeID int // 0x4120 or 0x4122
	Total      int
	Valid      int
	// Dims are the dimension sizes as stored (the nav shape is their reverse).
	Dims []int
	// DataOffsets are the elements' offsets.
	DataOffsets []int64
}

var serDTypes = map[int]array.DType{1: array.Uint8, 2: array.Uint16, 3: array.Uint32, 4: array.Int8, 5: array.Int16,
	6: array.Int32, 7: array.Float32, 8: array.Float64, 9: array.Complex64, 10: array.Complex128}

// ParseSERHeader parses the series header and the data offset array of a .ser file of
// size bytes read through r.
func ParseSERHeader(r io.ReaderAt, size int64, path string) (SERHeader, error) {
	c := &dmCursor{r: r, path: path, size: size}
	le := binary.LittleEndian
	b, err := c.take(6, "header")
	if err != nil {
		return SERHeader{}, err
	}
	if bo := le.Uint16(b); bo != 0x4949 {
		return SERHeader{}, newErr(path, "header.byte_order", ErrHeader, "%#04x, want 0x4949 (little-endian)", bo)
	}
	if id := le.Uint16(b[2:]); id != 0x0197 {
		return SERHeader{}, newErr(path, "header.series_id", ErrHeader, "%#04x, want 0x0197 (not a TIA series file?)", id)
	}
	h := SERHeader{Version: int(le.Uint16(b[4:]))}
	wide := false
	switch h.Version {
	case 0x0210:
	case 0x0220:
		wide = true
	default:
		return SERHeader{}, newErr(path, "header.series_version", ErrHeader, "%#04x, want 0x0210 or 0x0220", h.Version)
	}
	b, err = c.take(16, "header")
	if err != nil {
		return SERHeader{}, err
	}
	h.DataTypeID = int(le.Uint32(b))
	if h.DataTypeID != 0x4120 && h.DataTypeID != 0x4122 {
		return SERHeader{}, newErr(path, "header.data_type_id", ErrHeader, "%#x, want 0x4120 (1-D elements) or 0x4122 (2-D)", h.DataTypeID)
	}
	if tt := le.Uint32(b[4:]); tt != 0x4152 && tt != 0x4142 {
		return SERHeader{}, newErr(path, "header.tag_type_id", ErrHeader, "%#x, want 0x4152 or 0x4142", tt)
	}
	h.Total, h.Valid = int(int32(le.Uint32(b[8:]))), int(int32(le.Uint32(b[12:])))
	if h.Total < 0 || h.Valid < 0 || h.Valid > h.Total {
		return SERHeader{}, newErr(path, "header.valid_number_elements", ErrHeader, "%d valid of %d elements", h.Valid, h.Total)
	}
	ow := 4
	if wide {
		ow = 8
	}
	readOff := func(field string) (int64, error) {
		b, err := c.take(ow, field)
		if err != nil {
			return 0, err
		}
		if wide {
			return int64(le.Uint64(b)), nil
		}
		return int64(int32(le.Uint32(b))), nil
	}
	arrOff, err := readOff("header.offset_array_offset")
	if err != nil {
		return SERHeader{}, err
	}
	b, err = c.take(4, "header.number_dimensions")
	if err != nil {
		return SERHeader{}, err
	}
	nd := int(int32(le.Uint32(b)))
	if nd < 0 || nd > 16 {
		return SERHeader{}, newErr(path, "header.number_dimensions", ErrHeader, "%d, want 0 to 16", nd)
	}
	for i := range nd {
		field := fmt.Sprintf("dimensions[%d]", i)
		b, err := c.take(28, field)
		if err != nil {
			return SERHeader{}, err
		}
		sz := int(int32(le.Uint32(b)))
		if sz <= 0 {
			return SERHeader{}, newErr(path, field+".size", ErrHeader, "%d, want a positive size", sz)
		}
		h.Dims = append(h.Dims, sz)
		n := int(int32(le.Uint32(b[24:])))
		for _, what := range []string{"description", "units"} {
			if n < 0 || int64(n) > size-c.pos {
				return SERHeader{}, newErr(path, field+"."+what, ErrHeader, "length %d does not fit the file", n)
			}
			c.pos += int64(n)
			if what == "description" {
				lb, err := c.take(4, field+".units_length")
				if err != nil {
					return SERHeader{}, err
				}
				n = int(int32(le.Uint32(lb)))
			}
		}
	}
	if arrOff < 0 || arrOff > size || int64(h.Valid) > (size-arrOff)/int64(ow) {
		return SERHeader{}, newErr(path, "header.offset_array_offset", ErrHeader, "offset array of %d entries at byte %d does not fit the file of %d bytes", h.Valid, arrOff, size)
	}
	c.pos = arrOff
	h.DataOffsets = make([]int64, h.Valid)
	for i := range h.DataOffsets {
		if h.DataOffsets[i], err = readOff("data_offset_array"); err != nil {
			return SERHeader{}, err
		}
	}
	return h, nil
}

// serElement reads the header of the element at off: dtype code and array shape.
func serElement(r io.ReaderAt, off int64, twoD bool, path string, i int) (code int, shape []int, hdr int64, err error) {
	ncal := 1
	if twoD {
		ncal = 2
	}
	hdr = int64(20*ncal + 2 + 4*ncal)
	b := make([]byte, hdr)
	if _, err := r.ReadAt(b, off); err != nil {
		return 0, nil, 0, newErr(path, fmt.Sprintf("element[%d]", i), ErrFileTooShort, "element header at byte %d: %v", off, err)
	}
	le := binary.LittleEndian
	p := 20 * ncal
	code = int(int16(le.Uint16(b[p:])))
	x := int(int32(le.Uint32(b[p+2:])))
	shape = []int{x}
	if twoD {
		y := int(int32(le.Uint32(b[p+6:])))
		shape = []int{y, x}
	}
	return code, shape, hdr, nil
}

// OpenSER opens a TIA .ser file. Every valid element must have the first element's data
// type and shape. 1-D elements give a sig of one axis.
func OpenSER(path string, opts FramedOptions) (*Framed, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, openErr(path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, &Error{Path: path, Detail: "stat failed", Err: err}
	}
	h, err := ParseSERHeader(f, st.Size(), path)
	if err != nil {
		return nil, err
	}
	if h.Valid == 0 {
		return nil, newErr(path, "header.valid_number_elements", ErrFileTooShort, "no data in the file (0 valid elements)")
	}
	twoD := h.DataTypeID == 0x4122
	offs := make([]int64, h.Valid)
	var code0 int
	var shape0 []int
	for i, off := range h.DataOffsets {
		code, shape, hdr, err := serElement(f, off, twoD, path, i)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			if _, ok := serDTypes[code]; !ok {
				return nil, newErr(path, "element[0].data_type", ErrDType, "data type %d, want 1 to 10", code)
			}
			for _, v := range shape {
				if v <= 0 {
					return nil, newErr(path, "element[0].array_size", ErrHeader, "array size %v, want positive extents", shape)
				}
			}
			code0, shape0 = code, shape
		} else if code != code0 || !slices.Equal(shape, shape0) {
			return nil, newErr(path, fmt.Sprintf("element[%d]", i), ErrHeader, "data type %d, array size %v differ from element 0's %d, %v", code, shape, code0, shape0)
		}
		offs[i] = off + hdr
	}
	dt := serDTypes[code0]
	nav := make([]int, len(h.Dims))
	for i, d := range h.Dims {
		nav[len(nav)-1-i] = d
	}
	if len(nav) == 0 {
		nav = []int{h.Valid}
	}
	l := FrameLayout{
		Format:      "ser",
		Path:        path,
		Files:       []FrameFile{{Path: path, Frames: h.Valid, Offsets: offs}},
		RecordBytes: prodInts(shape0) * dt.ItemSize(),
		DType:       dt,
		ByteOrder:   binary.LittleEndian,
		SigShape:    shape0,
		NavShape:    nav,
		Details: []InfoDetail{
			{"nav_shape_source", fmt.Sprintf("dimension sizes %v reversed", h.Dims)},
			{"ser_header", fmt.Sprintf("version %#04x, %d-D elements, %d valid of %d, data type %d", h.Version, len(shape0), h.Valid, h.Total, code0)},
		},
	}
	if twoD {
		rows, rowBytes := shape0[0], shape0[1]*dt.ItemSize()
		isz := dt.ItemSize()
		if dt.Kind() == array.KindComplex {
			isz /= 2
		}
		swap := hostBig && isz > 1
		l.NewDecoder = func() FrameDecodeFunc {
			return func(dst, rec []byte) error {
				for r := range rows {
					d := dst[r*rowBytes : (r+1)*rowBytes]
					copy(d, rec[(rows-1-r)*rowBytes:(rows-r)*rowBytes])
					if swap {
						swapBytes(d, isz)
					}
				}
				return nil
			}
		}
		l.Details = append(l.Details, InfoDetail{"rows", "stored bottom-up, flipped"})
	}
	return OpenFramed(l, opts)
}

// swapBytes reverses the bytes of every n-byte item of b in place.
func swapBytes(b []byte, n int) {
	for i := 0; i+n <= len(b); i += n {
		for j, k := i, i+n-1; j < k; j, k = j+1, k-1 {
			b[j], b[k] = b[k], b[j]
		}
	}
}

func init() {
	RegisterFormat(FormatSpec{
		Name:       "ser",
		Extensions: []string{".ser"},
		Open: func(path string, o OpenOptions) (Dataset, error) {
			return OpenSER(path, FramedOptionsFrom(o))
		},
	})
}
