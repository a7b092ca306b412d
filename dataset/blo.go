package dataset

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"github.com/stemflow/stemflow/array"
)

// NanoMegas .blo files start with a packed header: ID "IMGBLO" (6 bytes), MAGIC u16 (258
// or 259), Data_offset_1 u32 (the virtual bright-field image), Data_offset_2 u32 (the
// diffraction patterns), a u32, DP_SZ u16 (pattern side), DP_rotation u16, NX u16, NY u16
// (scan), then calibration values up to byte 240. The header's byte order is
// little-endian in files seen so far; a MAGIC that only reads as 258/259 big-endian
// selects big-endian. With MAGIC 259, lines of text between byte 240 and Data_offset_1
// may give "Blo Bit Depth: 16 bits"; otherwise pixels are uint8. The NY × NX patterns of
// DP_SZ × DP_SZ pixels start at Data_offset_2, each after a 6-byte frame header.

const (
	bloHeaderBytes = 240
	bloFrameHeader = 6
)

// BLOHeader is the part of the header stemflow uses.
type BLOHeader struct {
	Magic                    int
	DataOffset1, DataOffset2 int64
	DPSize, NX, NY           int
	ByteOrder                binary.ByteOrder
	// BitDepth is 8 unless the metadata text says otherwise.
	BitDepth int
	// Metadata are the non-empty text lines after the header (MAGIC 259).
	Metadata []string
}

// ParseBLOHeader parses a BLO header; b holds the start of the file up to at least
// Data_offset_1 when the metadata is to be read (shorter is fine for MAGIC 258).
func ParseBLOHeader(b []byte, path string) (BLOHeader, error) {
	if len(b) < bloHeaderBytes {
		return BLOHeader{}, &ShortFileError{Path: path, Field: "header", Need: bloHeaderBytes, Have: int64(len(b))}
	}
	if string(b[:6]) != "IMGBLO" {
		return BLOHeader{}, newErr(path, "header.id", ErrHeader, "ID %q, want \"IMGBLO\"", b[:6])
	}
	var o binary.ByteOrder = binary.LittleEndian
	m := o.Uint16(b[6:])
	if m != 258 && m != 259 {
		if bm := binary.BigEndian.Uint16(b[6:]); bm == 258 || bm == 259 {
			o, m = binary.BigEndian, bm
		} else {
			return BLOHeader{}, newErr(path, "header.magic", ErrHeader, "MAGIC %d, want 258 or 259", m)
		}
	}
	h := BLOHeader{Magic: int(m), ByteOrder: o, BitDepth: 8,
		DataOffset1: int64(o.Uint32(b[8:])), DataOffset2: int64(o.Uint32(b[12:])),
		DPSize: int(o.Uint16(b[20:])), NX: int(o.Uint16(b[24:])), NY: int(o.Uint16(b[26:]))}
	for _, f := range []struct {
		n string
		v int
	}{{"header.dp_sz", h.DPSize}, {"header.nx", h.NX}, {"header.ny", h.NY}} {
		if f.v == 0 {
			return BLOHeader{}, newErr(path, f.n, ErrHeader, "0, want a positive extent")
		}
	}
	if h.DataOffset2 < bloHeaderBytes {
		return BLOHeader{}, newErr(path, "header.data_offset_2", ErrHeader, "%d, want at least %d (after the header)", h.DataOffset2, bloHeaderBytes)
	}
	if h.Magic == 259 {
		end := h.DataOffset1
		if end < bloHeaderBytes || end > h.DataOffset2 {
			return BLOHeader{}, newErr(path, "header.data_offset_1", ErrHeader, "%d, want between %d and Data_offset_2 %d", end, bloHeaderBytes, h.DataOffset2)
		}
		if int64(len(b)) < end {
			return BLOHeader{}, &ShortFileError{Path: path, Field: "metadata", Need: end, Have: int64(len(b))}
		}
		text := strings.Trim(strings.ToValidUTF8(string(b[bloHeaderBytes:end]), ""), "\x00")
		for _, line := range strings.FieldsFunc(text, func(r rune) bool { return r == '\n' || r == '\r' }) {
			if line = strings.TrimSpace(line); line != "" {
				h.Metadata = append(h.Metadata, line)
			}
		}
		bd, err := bloBitDepth(h.Metadata)
		if err != nil {
			return BLOHeader{}, &Error{Path: path, Field: "metadata.bit_depth", Detail: err.Error(), Err: ErrDType}
		}
		h.BitDepth = bd
	}
	return h, nil
}

// bloBitDepth finds "Blo Bit Depth: N bits" (case-insensitive) in the metadata lines;
// 8 when absent or not of that form.
func bloBitDepth(lines []string) (int, error) {
	for _, m := range lines {
		if !strings.HasPrefix(strings.ToLower(m), "blo bit depth:") {
			continue
		}
		for _, p := range strings.Split(m, ":") {
			p = strings.ToLower(strings.TrimSpace(p))
			if !strings.HasSuffix(p, " bits") {
				continue
			}
			v, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(p, " bits")))
			if err != nil {
				break
			}
			switch v {
			case 8, 16, 32, 64:
				return v, nil
			}
			return 0, fmt.Errorf("bit depth %d, want 8, 16, 32 or 64", v)
		}
	}
	return 8, nil
}

// OpenBLO opens a .blo file: nav (NY, NX), sig (DP_SZ, DP_SZ), unsigned pixels of the
// metadata's bit depth (uint8 by default) in the header's byte order.
func OpenBLO(path string, opts FramedOptions) (*Framed, error) {
	b, _, err := readPrefix(path, 1<<20)
	if err != nil {
		return nil, err
	}
	h, err := ParseBLOHeader(b, path)
	if err != nil {
		return nil, err
	}
	dt := map[int]array.DType{8: array.Uint8, 16: array.Uint16, 32: array.Uint32, 64: array.Uint64}[h.BitDepth]
	fb := int64(h.DPSize) * int64(h.DPSize) * int64(dt.ItemSize())
	l := FrameLayout{
		Format:      "blo",
		Path:        path,
		Files:       []FrameFile{{Path: path, Frames: h.NY * h.NX, Offset: h.DataOffset2 + bloFrameHeader, Stride: fb + bloFrameHeader}},
		RecordBytes: int(fb),
		DType:       dt,
		ByteOrder:   h.ByteOrder,
		SigShape:    []int{h.DPSize, h.DPSize},
		NavShape:    []int{h.NY, h.NX},
		Details: []InfoDetail{
			{"nav_shape_source", fmt.Sprintf("header NY %d, NX %d", h.NY, h.NX)},
			{"blo_header", fmt.Sprintf("MAGIC %d, %s, DP_SZ %d, Data_offset_2 %d, bit depth %d", h.Magic, orderName(h.ByteOrder), h.DPSize, h.DataOffset2, h.BitDepth)},
		},
	}
	return OpenFramed(l, opts)
}

func init() {
	RegisterFormat(FormatSpec{
		Name:       "blo",
		Extensions: []string{".blo"},
		Open: func(path string, o OpenOptions) (Dataset, error) {
			return OpenBLO(path, FramedOptionsFrom(o))
		},
	})
}
