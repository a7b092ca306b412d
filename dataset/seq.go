package dataset

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf16"

	"github.com/stemflow/stemflow/array"
)

// Norpix StreamPix .seq files start with a packed little-endian header: magic u32
// (0xFEED), name (24 bytes UTF-16), version i32, header size i32, description (512 bytes
// UTF-16), then u32 fields width, height, bit depth, real bit depth, image size in bytes,
// image format (100 = monochrome), allocated frames, origin, true image size (the stride
// from one frame to the next: the image plus its per-frame footer, e.g. a timestamp), a
// float64 suggested frame rate, then description format, reference frame, fixed size,
// flags, Bayer pattern, time offset, extended header size, compression format (0 =
// uncompressed) and the reference time (s u32, ms u16, µs u16): 632 bytes. Frames of
// height × width unsigned little-endian pixels of the bit depth start at byte 8192 for
// version ≥ 5 (StreamPix 6) and 1024 before; the frame count is what fits in the file.
// The files carry no scan shape.
//
// Direct Electron cameras write sidecars next to "name.seq": "name.seq.dark.mrc" and
// "name.seq.gain.mrc" (dark and gain references) and "name.seq.Config.Metadata.xml" with
// "name.seq.metadata" (bad pixel maps); a "name.seq.seq" file has the same sidecars.

const (
	seqMagic       = 0xFEED
	seqHeaderBytes = 632
)

// SEQHeader is the part of a .seq header stemflow uses.
type SEQHeader struct {
	Name, Description                     string
	Version, HeaderSize                   int
	Width, Height, BitDepth, BitDepthReal int
	ImageSizeBytes, ImageFormat           int
	AllocatedFrames                       int
	// TrueImageSize is the stride between frames in bytes (image plus footer).
	TrueImageSize      int
	SuggestedFrameRate float64
	CompressionFormat  int
}

// DataOffset is the byte offset of the first frame: 8192 for version ≥ 5, else 1024.
func (h SEQHeader) DataOffset() int64 {
	if h.Version >= 5 {
		return 8192
	}
	return 1024
}

// seqUTF16 decodes a NUL-terminated UTF-16LE string field.
func seqUTF16(b []byte) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		c := binary.LittleEndian.Uint16(b[i:])
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	return string(utf16.Decode(u))
}

// ParseSEQHeader parses and checks a .seq header (b holds at least the first 632 bytes):
// magic 0xFEED, uncompressed (compression format 0), monochrome (image format 100), a
// bit depth of 8, 16, 32 or 64, positive width and height, and a true image size of at
// least one image.
func ParseSEQHeader(b []byte, path string) (SEQHeader, error) {
	if len(b) < seqHeaderBytes {
		return SEQHeader{}, &ShortFileError{Path: path, Field: "header", Need: seqHeaderBytes, Have: int64(len(b))}
	}
	le := binary.LittleEndian
	u := func(off int) int { return int(le.Uint32(b[off:])) }
	i := func(off int) int { return int(int32(le.Uint32(b[off:]))) }
	if m := le.Uint32(b); m != seqMagic {
		return SEQHeader{}, newErr(path, "header.magic", ErrHeader, "%#x, want 0xfeed", m)
	}
	h := SEQHeader{
		Name: seqUTF16(b[4:28]), Version: i(28), HeaderSize: i(32), Description: seqUTF16(b[36:548]),
		Width: u(548), Height: u(552), BitDepth: u(556), BitDepthReal: u(560),
		ImageSizeBytes: u(564), ImageFormat: u(568), AllocatedFrames: u(572), TrueImageSize: u(580),
		SuggestedFrameRate: math.Float64frombits(le.Uint64(b[584:])), CompressionFormat: u(620),
	}
	if h.CompressionFormat != 0 {
		return SEQHeader{}, newErr(path, "header.compression_format", ErrHeader, "%d, want 0 (only uncompressed images are supported)", h.CompressionFormat)
	}
	if h.ImageFormat != 100 {
		return SEQHeader{}, newErr(path, "header.image_format", ErrHeader, "%d, want 100 (monochrome)", h.ImageFormat)
	}
	switch h.BitDepth {
	case 8, 16, 32, 64:
	default:
		return SEQHeader{}, newErr(path, "header.bit_depth", ErrDType, "%d, want 8, 16, 32 or 64", h.BitDepth)
	}
	if h.Width <= 0 || h.Height <= 0 || h.Width > 1<<20 || h.Height > 1<<20 {
		return SEQHeader{}, newErr(path, "header.width", ErrHeader, "width %d, height %d, want positive extents up to 2^20", h.Width, h.Height)
	}
	if img := int64(h.Width) * int64(h.Height) * int64(h.BitDepth/8); int64(h.TrueImageSize) < img {
		return SEQHeader{}, newErr(path, "header.true_image_size", ErrHeader, "%d, want at least the image's %d bytes (width × height × bit depth / 8)", h.TrueImageSize, img)
	}
	return h, nil
}

// seqSidecars returns the sidecar base ("dir/name.seq") of a .seq path: "x.seq.seq"
// and "x.seq" both give "x.seq"; another extension gives path + ".seq".
func seqSidecars(path string) string {
	ext := filepath.Ext(path)
	name := strings.TrimSuffix(path, ext)
	if strings.EqualFold(ext, ".seq") && strings.EqualFold(filepath.Ext(name), ".seq") {
		return name
	}
	if strings.EqualFold(ext, ".seq") {
		return path
	}
	return path + ".seq"
}

// seqNav is the nav shape used when the user gives none: (s, s) when the frame count is
// a square s², else (n,), as the reference's parameter detection suggests.
func seqNav(n int) []int {
	s := int(math.Sqrt(float64(n)))
	for s*s > n {
		s--
	}
	for (s+1)*(s+1) <= n {
		s++
	}
	if s*s == n {
		return []int{s, s}
	}
	return []int{n}
}

// OpenSEQ opens a Norpix .seq file: sig (height, width), unsigned little-endian pixels of
// the header's bit depth, one frame per true-image-size stride from the version's data
// offset. The nav shape is the user's (the file has none); without one it is (s, s) for
// s² frames, else the frame count. With corrections, the "name.seq.dark.mrc" and
// "name.seq.gain.mrc" references present are applied (WithCorrections: dark subtracted,
// then gain multiplied, float32 or float64 tiles), and so is the DE bad pixel map
// ("name.seq.Config.Metadata.xml" with "name.seq.metadata": excluded pixels replaced by
// their neighbours' mean); the sidecars are listed in Info.Details either way.
func OpenSEQ(path string, opts FramedOptions, corrections bool) (Dataset, error) {
	b, size, err := readPrefix(path, seqHeaderBytes)
	if err != nil {
		return nil, err
	}
	h, err := ParseSEQHeader(b, path)
	if err != nil {
		return nil, err
	}
	off := h.DataOffset()
	if size < off+int64(h.TrueImageSize) {
		return nil, &ShortFileError{Path: path, Field: "frames", Need: off + int64(h.TrueImageSize), Have: size}
	}
	n := int((size - off) / int64(h.TrueImageSize))
	dt := map[int]array.DType{8: array.Uint8, 16: array.Uint16, 32: array.Uint32, 64: array.Uint64}[h.BitDepth]
	img := h.Width * h.Height * dt.ItemSize()
	nav := seqNav(n)
	l := FrameLayout{
		Format:      "seq",
		Path:        path,
		Files:       []FrameFile{{Path: path, Frames: n, Offset: off, Stride: int64(h.TrueImageSize)}},
		RecordBytes: img,
		DType:       dt,
		ByteOrder:   binary.LittleEndian,
		SigShape:    []int{h.Height, h.Width},
		NavShape:    nav,
		Details: []InfoDetail{
			{"nav_shape_source", fmt.Sprintf("none in the file: %v from the frame count %d (give --nav-shape)", nav, n)},
			{"seq_header", fmt.Sprintf("version %d, %d × %d, bit depth %d (real %d), data offset %d, true image size %d (footer %d bytes), frame rate %g",
				h.Version, h.Width, h.Height, h.BitDepth, h.BitDepthReal, off, h.TrueImageSize, h.TrueImageSize-img, h.SuggestedFrameRate)},
		},
	}
	base := seqSidecars(path)
	exists := func(p string) bool { s, err := os.Stat(p); return err == nil && s.Mode().IsRegular() }
	var corr Corrections
	for _, s := range []struct {
		key, suffix string
		dst         *[]float64
	}{{"seq_dark", ".dark.mrc", &corr.Dark}, {"seq_gain", ".gain.mrc", &corr.Gain}} {
		p := base + s.suffix
		if !exists(p) {
			continue
		}
		if !corrections {
			l.Details = append(l.Details, InfoDetail{s.key, p + " (found; not applied)"})
			continue
		}
		v, err := seqLoadMRC(p, h.Height*h.Width)
		if err != nil {
			return nil, err
		}
		*s.dst = v
		l.Details = append(l.Details, InfoDetail{s.key, p + " (applied)"})
	}
	if x, m := base+".Config.Metadata.xml", base+".metadata"; exists(x) && exists(m) {
		if !corrections {
			l.Details = append(l.Details, InfoDetail{"seq_bad_pixels", x + " (found; not applied)"})
		} else {
			mask, err := seqLoadBadPixels(x, m, h.Height, h.Width)
			if err != nil {
				return nil, err
			}
			k := 0
			for _, e := range mask {
				if e {
					k++
				}
			}
			corr.Excluded = mask
			l.Details = append(l.Details, InfoDetail{"seq_bad_pixels", fmt.Sprintf("%s (applied: %d excluded pixels)", x, k)})
		}
	}
	ds, err := OpenFramed(l, opts)
	if err != nil || !corr.Active() {
		return ds, err
	}
	cds, err := WithCorrections(ds, corr)
	if err != nil {
		_ = ds.Close()
		return nil, err
	}
	return cds, nil
}

// seqLoadBadPixels reads the DE bad pixel map for an (h, w) frame.
func seqLoadBadPixels(xmlPath, metaPath string, h, w int) ([]bool, error) {
	mb, err := os.ReadFile(metaPath)
	if err != nil {
		return nil, openErr(metaPath, err)
	}
	meta, err := parseSEQDEMeta(mb, metaPath)
	if err != nil {
		return nil, err
	}
	xb, err := os.ReadFile(xmlPath)
	if err != nil {
		return nil, openErr(xmlPath, err)
	}
	mask, rows, cols, err := parseSEQBadPixels(xb, meta, xmlPath)
	if err != nil {
		return nil, err
	}
	if rows != h || cols != w {
		return nil, newErr(xmlPath, "BadPixelMap", ErrShape, "map cropped to %d × %d, want the frame's %d × %d", rows, cols, h, w)
	}
	return mask, nil
}

// seqLoadMRC reads a dark or gain reference: an MRC file of n values (any shape whose
// size is the frame's, as (1, h, w)), modes 0, 1, 2 or 6.
func seqLoadMRC(path string, n int) ([]float64, error) {
	h, err := readMRCHeader(path)
	if err != nil {
		return nil, err
	}
	if int64(h.NX)*int64(h.NY)*int64(h.NZ) != int64(n) {
		return nil, newErr(path, "header.nx", ErrShape, "%d × %d × %d values, want the frame's %d", h.NX, h.NY, h.NZ, n)
	}
	if h.Half || h.Stored.Kind() == array.KindComplex {
		return nil, newErr(path, "header.mode", ErrDType, "mode %d, want 0, 1, 2 or 6 for a reference image", h.Mode)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, openErr(path, err)
	}
	defer f.Close()
	sz := h.Stored.ItemSize()
	b := make([]byte, n*sz)
	if _, err := f.ReadAt(b, h.DataOffset); err != nil {
		st, _ := f.Stat()
		var have int64
		if st != nil {
			have = st.Size()
		}
		return nil, &ShortFileError{Path: path, Field: "data", Need: h.DataOffset + int64(len(b)), Have: have}
	}
	o := h.ByteOrder
	v := make([]float64, n)
	for i := range v {
		switch h.Stored {
		case array.Int8:
			v[i] = float64(int8(b[i]))
		case array.Int16:
			v[i] = float64(int16(o.Uint16(b[2*i:])))
		case array.Uint16:
			v[i] = float64(o.Uint16(b[2*i:]))
		case array.Float32:
			v[i] = float64(math.Float32frombits(o.Uint32(b[4*i:])))
		default:
			return nil, newErr(path, "header.mode", ErrDType, "mode %d, want 0, 1, 2 or 6 for a reference image", h.Mode)
		}
	}
	return v, nil
}

func init() {
	RegisterFormat(FormatSpec{
		Name:       "seq",
		Extensions: []string{".seq"},
		Open: func(path string, o OpenOptions) (Dataset, error) {
			return OpenSEQ(path, FramedOptionsFrom(o), !o.SkipFileCorrections && !o.Corrections.Active())
		},
	})
}
