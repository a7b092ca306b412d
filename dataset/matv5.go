package dataset

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"io"
	"math"
)

// MATLAB level-5 MAT-files (what MATLAB's save writes up to -v7 and scipy's savemat
// writes): a 128-byte header whose bytes 126–127 read "IM" in the file's byte order
// ("MI" swapped), then data elements. An element is an 8-byte tag (data type u32, byte
// count u32; a nonzero upper half of the type word marks a small element whose count is
// that half and whose ≤ 4 data bytes follow in the tag) and its data padded to 8 bytes.
// Type 15 is a zlib-compressed element; type 14 a matrix: array flags (the class in the
// low byte of the first word), dimensions (int32), name (int8) and the real part, stored
// column-major in any numeric data type.

const (
	matHeaderBytes = 128
	matMaxBytes    = 1 << 30 // largest decompressed element accepted
)

// readMATVariable returns the dimensions and the values (column-major, as stored) of the
// numeric variable name in the MAT-file b. Errors name path and wrap ErrHeader (or
// ErrNotFound when the variable is missing).
func readMATVariable(b []byte, path, name string) ([]int, []float64, error) {
	if len(b) < matHeaderBytes {
		return nil, nil, &ShortFileError{Path: path, Field: "header", Need: matHeaderBytes, Have: int64(len(b))}
	}
	var bo binary.ByteOrder
	switch string(b[126:128]) {
	case "IM":
		bo = binary.LittleEndian
	case "MI":
		bo = binary.BigEndian
	default:
		return nil, nil, newErr(path, "header.endian", ErrHeader, "%q, want \"IM\" or \"MI\" (a MATLAB level-5 MAT-file; v7.3 files are HDF5)", b[126:128])
	}
	rest := b[matHeaderBytes:]
	for len(rest) > 0 {
		typ, data, next, err := matElement(rest, bo, path)
		if err != nil {
			return nil, nil, err
		}
		rest = next
		if typ == 15 {
			zr, err := zlib.NewReader(bytes.NewReader(data))
			if err != nil {
				return nil, nil, newErr(path, "compressed", ErrHeader, "zlib: %v", err)
			}
			raw, err := io.ReadAll(io.LimitReader(zr, matMaxBytes+1))
			if err != nil || len(raw) > matMaxBytes {
				return nil, nil, newErr(path, "compressed", ErrHeader, "zlib data does not inflate to at most %d bytes: %v", matMaxBytes, err)
			}
			typ, data, _, err = matElement(raw, bo, path)
			if err != nil {
				return nil, nil, err
			}
		}
		if typ != 14 {
			continue
		}
		dims, vname, vals, err := matMatrix(data, bo, path)
		if err != nil {
			return nil, nil, err
		}
		if vname == name {
			return dims, vals, nil
		}
	}
	return nil, nil, newErr(path, name, ErrNotFound, "no variable %q in the MAT-file", name)
}

// matElement splits the element at the start of b into its type, its data and the rest.
func matElement(b []byte, bo binary.ByteOrder, path string) (uint32, []byte, []byte, error) {
	if len(b) < 8 {
		return 0, nil, nil, newErr(path, "element", ErrHeader, "%d bytes left, want an 8-byte tag", len(b))
	}
	typ, n := bo.Uint32(b), bo.Uint32(b[4:])
	if small := typ >> 16; small != 0 {
		if small > 4 {
			return 0, nil, nil, newErr(path, "element", ErrHeader, "small element of %d bytes, want at most 4", small)
		}
		return typ & 0xffff, b[4 : 4+small], b[8:], nil
	}
	if uint64(n) > uint64(len(b)-8) {
		return 0, nil, nil, newErr(path, "element", ErrHeader, "element of type %d declares %d bytes, %d left", typ, n, len(b)-8)
	}
	end := 8 + int(n)
	pad := end
	if typ != 15 {
		pad = min(len(b), (end+7)&^7)
	}
	return typ, b[8:end], b[pad:], nil
}

// matMatrix parses a matrix element's data: dimensions, name and real values.
func matMatrix(b []byte, bo binary.ByteOrder, path string) ([]int, string, []float64, error) {
	var sub [4][]byte
	var types [4]uint32
	for i := range sub {
		typ, data, rest, err := matElement(b, bo, path)
		if err != nil {
			return nil, "", nil, err
		}
		sub[i], types[i], b = data, typ, rest
	}
	if len(sub[0]) < 4 {
		return nil, "", nil, newErr(path, "array_flags", ErrHeader, "%d bytes, want 8", len(sub[0]))
	}
	if class := bo.Uint32(sub[0]) & 0xff; class < 6 || class > 15 {
		return nil, "", nil, newErr(path, "array_flags.class", ErrHeader, "class %d, want a numeric array (6–15)", class)
	}
	if types[1] != 5 || len(sub[1])%4 != 0 || len(sub[1]) == 0 {
		return nil, "", nil, newErr(path, "dimensions", ErrHeader, "type %d of %d bytes, want int32 values", types[1], len(sub[1]))
	}
	var dims []int
	size := 1
	for i := 0; i < len(sub[1]); i += 4 {
		d := int(int32(bo.Uint32(sub[1][i:])))
		if d < 0 || d > 1<<28 || size*max(d, 1) > 1<<28 {
			return nil, "", nil, newErr(path, "dimensions", ErrHeader, "dimension %d out of range", d)
		}
		dims = append(dims, d)
		size *= d
	}
	vals, err := matNumbers(sub[3], types[3], bo, path)
	if err != nil {
		return nil, "", nil, err
	}
	if len(vals) != size {
		return nil, "", nil, newErr(path, "real_part", ErrHeader, "%d values, the dimensions %v need %d", len(vals), dims, size)
	}
	return dims, string(sub[2]), vals, nil
}

// matNumbers decodes numeric element data of MAT data type typ.
func matNumbers(b []byte, typ uint32, bo binary.ByteOrder, path string) ([]float64, error) {
	sizes := map[uint32]int{1: 1, 2: 1, 3: 2, 4: 2, 5: 4, 6: 4, 7: 4, 9: 8, 12: 8, 13: 8}
	sz, ok := sizes[typ]
	if !ok {
		return nil, newErr(path, "real_part", ErrHeader, "data type %d, want a numeric type (1–7, 9, 12, 13)", typ)
	}
	out := make([]float64, len(b)/sz)
	for i := range out {
		p := b[i*sz:]
		switch typ {
		case 1:
			out[i] = float64(int8(p[0]))
		case 2:
			out[i] = float64(p[0])
		case 3:
			out[i] = float64(int16(bo.Uint16(p)))
		case 4:
			out[i] = float64(bo.Uint16(p))
		case 5:
			out[i] = float64(int32(bo.Uint32(p)))
		case 6:
			out[i] = float64(bo.Uint32(p))
		case 7:
			out[i] = float64(math.Float32frombits(bo.Uint32(p)))
		case 9:
			out[i] = math.Float64frombits(bo.Uint64(p))
		case 12:
			out[i] = float64(int64(bo.Uint64(p)))
		case 13:
			out[i] = float64(bo.Uint64(p))
		}
	}
	return out, nil
}
