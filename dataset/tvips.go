package dataset

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/stemflow/stemflow/array"
)

// TVIPS series are files <name>_000.tvips, <name>_001.tvips, ... The first starts with a
// 256-byte series header of little-endian int32 words: size (256), version (1 or 2),
// width, height, bits per pixel (8 or 16), x/y offset, x/y binning, pixel size (nm),
// high tension (kV), total magnification, image header bytes (version 2). Every file
// then holds frame records [image header][width × height pixels, uint8 or
// little-endian uint16]; version 1 image headers are 12 bytes. The frame count comes
// from the file sizes. Version 2 image headers hold the scan position as float32
// Scan_x (byte 68) and Scan_y (byte 72), from which the nav shape and sync offset are
// detected as LiberTEM does: the first (0, 1) after a (0, 0) among the first 4096
// frames starts the scan (sync offset = its index - 1); from there the scan width is
// the largest Scan_x + 1 seen before Scan_x first decreases, and the nav shape is
// (⌊(count - sync offset) / width⌋, width). Without a start the nav shape is (count,)
// and the sync offset 0; with a start but no decrease, (count,) with that offset.

const (
	tvipsSeriesHeader = 256
	tvipsMaxScanIdx   = 4096
)

// TVIPSHeader is the series header.
type TVIPSHeader struct {
	Version, Width, Height, BitsPerPixel   int
	XBin, YBin, PixelSizeNM, HighTensionKV int
	MagTotal                               int
	// ImageHeaderBytes is the size of each frame's header (12 for version 1).
	ImageHeaderBytes int
}

// ParseTVIPSHeader parses the 256-byte series header of the first file of a set.
func ParseTVIPSHeader(b []byte, path string) (TVIPSHeader, error) {
	if len(b) < tvipsSeriesHeader {
		return TVIPSHeader{}, &ShortFileError{Path: path, Field: "series_header", Need: tvipsSeriesHeader, Have: int64(len(b))}
	}
	w := func(i int) int { return int(int32(binary.LittleEndian.Uint32(b[4*i:]))) }
	h := TVIPSHeader{Version: w(1), Width: w(2), Height: w(3), BitsPerPixel: w(4), XBin: w(7), YBin: w(8),
		PixelSizeNM: w(9), HighTensionKV: w(10), MagTotal: w(11), ImageHeaderBytes: w(12)}
	if h.Version != 1 && h.Version != 2 {
		return TVIPSHeader{}, newErr(path, "series_header.version", ErrHeader, "version %d, want 1 or 2", h.Version)
	}
	if s := w(0); s != tvipsSeriesHeader {
		return TVIPSHeader{}, newErr(path, "series_header.size", ErrHeader, "header size %d, want 256 (not a TVIPS file?)", s)
	}
	if h.BitsPerPixel != 8 && h.BitsPerPixel != 16 {
		return TVIPSHeader{}, newErr(path, "series_header.bpp", ErrDType, "%d bits per pixel, want 8 or 16", h.BitsPerPixel)
	}
	if h.Width <= 0 || h.Height <= 0 || int64(h.Width)*int64(h.Height) > 1<<40 {
		return TVIPSHeader{}, newErr(path, "series_header.dims", ErrHeader, "image size %d × %d, want positive extents", h.Width, h.Height)
	}
	if h.Version == 1 {
		h.ImageHeaderBytes = 12
	}
	if h.ImageHeaderBytes < 0 || h.ImageHeaderBytes > 1<<20 {
		return TVIPSHeader{}, newErr(path, "series_header.image_header_bytes", ErrHeader, "image header size %d, want 0 to 1 MiB", h.ImageHeaderBytes)
	}
	return h, nil
}

func (h TVIPSHeader) pixelBytes() int64 {
	return int64(h.Width) * int64(h.Height) * int64(h.BitsPerPixel/8)
}

func (h TVIPSHeader) recordBytes() int64 { return int64(h.ImageHeaderBytes) + h.pixelBytes() }

// tvipsSet returns the files of the set path belongs to, ordered by their numeric suffix:
// the name with its trailing digits removed, then digits, then ".tvips".
func tvipsSet(path string) ([]string, []int, error) {
	dir, name := filepath.Split(path)
	ext := filepath.Ext(name)
	if strings.ToLower(ext) != ".tvips" {
		return nil, nil, newErr(path, "path", ErrFormat, "a TVIPS path must end in .tvips")
	}
	stem := strings.TrimRight(strings.TrimSuffix(name, ext), "0123456789")
	if dir == "" {
		dir = "."
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, openErr(path, err)
	}
	type fe struct {
		p string
		n int
	}
	var fs []fe
	for _, e := range ents {
		n := e.Name()
		if e.IsDir() || !strings.HasPrefix(n, stem) || strings.ToLower(filepath.Ext(n)) != ".tvips" {
			continue
		}
		digits := strings.TrimSuffix(n[len(stem):], filepath.Ext(n))
		v, err := strconv.Atoi(digits)
		if err != nil || digits == "" || strings.Trim(digits, "0123456789") != "" {
			continue
		}
		fs = append(fs, fe{filepath.Join(dir, n), v})
	}
	if len(fs) == 0 {
		return nil, nil, newErr(path, "path", ErrNotFound, "no file %s<digits>.tvips", filepath.Join(dir, stem))
	}
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].n < fs[j].n })
	out := make([]string, len(fs))
	nums := make([]int, len(fs))
	for i, f := range fs {
		out[i], nums[i] = f.p, f.n
	}
	return out, nums, nil
}

// tvipsDetect finds the sync offset and nav shape from the Scan_x/Scan_y fields of the
// first frames (version 2 only); ok is false when no scan start is found. scan(i)
// returns frame i's (Scan_y, Scan_x) truncated toward zero; valid is false for NaN or
// values beyond ±2³¹ (which match no position).
func tvipsDetect(count int, scan func(i int) (y, x int, valid bool, err error)) (sync int, nav []int, how string, err error) {
	idx := 0
	lastWasZero := false
	found := false
	for idx < tvipsMaxScanIdx && idx < count {
		y, x, ok, err := scan(idx)
		if err != nil {
			return 0, nil, "", err
		}
		if ok && lastWasZero && y == 0 && x == 1 {
			sync = idx - 1
			found = true
			break
		}
		if ok && y == 0 && x == 0 {
			lastWasZero = true
		}
		idx++
	}
	if !found {
		return 0, []int{count}, "no scan start (Scan_y, Scan_x) = (0, 0) → (0, 1) in the first frames: nav (count,), sync offset 0", nil
	}
	maxX := 0
	shapeFound := false
	for idx < tvipsMaxScanIdx && idx < count {
		_, x, ok, err := scan(idx)
		if err != nil {
			return 0, nil, "", err
		}
		if ok {
			maxX = max(maxX, x)
			if x < maxX {
				shapeFound = true
				break
			}
		}
		idx++
	}
	if shapeFound && (count-sync)/(maxX+1) > 0 {
		return sync, []int{(count - sync) / (maxX + 1), maxX + 1}, fmt.Sprintf("detected from Scan_x/Scan_y: scan starts at frame %d, width %d", sync, maxX+1), nil
	}
	return sync, []int{count}, fmt.Sprintf("scan start at frame %d from Scan_x/Scan_y, no row end found: nav (count,)", sync), nil
}

// TVIPSOptions configure a TVIPS dataset.
type TVIPSOptions struct {
	FramedOptions
	// DetectSyncOffset uses the sync offset found in the image headers; the
	// FramedOptions' SyncOffset is then ignored. Open sets it when the sync offset
	// option is 0.
	DetectSyncOffset bool
}

// OpenTVIPS opens the TVIPS set that path (any file of it) belongs to. The nav shape is
// opts.NavShape, else detected (see above); the sync offset is detected when
// DetectSyncOffset is set.
func OpenTVIPS(path string, opts TVIPSOptions) (*Framed, error) {
	files, nums, err := tvipsSet(path)
	if err != nil {
		return nil, err
	}
	if nums[0] != 0 {
		return nil, newErr(files[0], "path", ErrNotFound, "the set has no _000 file, which holds the series header (first file has number %d)", nums[0])
	}
	hb := make([]byte, tvipsSeriesHeader)
	if err := readHead(files[0], hb); err != nil {
		return nil, err
	}
	h, err := ParseTVIPSHeader(hb, files[0])
	if err != nil {
		return nil, err
	}
	rec := h.recordBytes()
	l := FrameLayout{Format: "tvips", Path: path, RecordBytes: int(h.pixelBytes()), ByteOrder: binary.LittleEndian, SigShape: []int{h.Height, h.Width}}
	l.DType = array.Uint8
	if h.BitsPerPixel == 16 {
		l.DType = array.Uint16
	}
	count := 0
	for i, p := range files {
		st, err := os.Stat(p)
		if err != nil {
			return nil, openErr(p, err)
		}
		hdr := int64(0)
		if i == 0 {
			hdr = tvipsSeriesHeader
		}
		body := st.Size() - hdr
		if body < 0 || body%rec != 0 {
			return nil, newErr(p, "size", ErrFileTooShort, "%d bytes after the %d-byte file header are not a whole number of %d-byte frame records (%d-byte image header + %d × %d × %d bits): the file is truncated or corrupt",
				body, hdr, rec, h.ImageHeaderBytes, h.Height, h.Width, h.BitsPerPixel)
		}
		n := int(body / rec)
		l.Files = append(l.Files, FrameFile{Path: p, Frames: n, Offset: hdr + int64(h.ImageHeaderBytes), Stride: rec})
		count += n
	}
	sync, nav, how := 0, []int{count}, "version 1 headers carry no scan position: nav (count,)"
	if h.Version == 2 && h.ImageHeaderBytes >= 76 && count > 0 {
		var fh *os.File
		cur := -1
		defer func() {
			if fh != nil {
				fh.Close()
			}
		}()
		var b [8]byte
		scan := func(i int) (int, int, bool, error) {
			fi, j := 0, i
			for j >= l.Files[fi].Frames {
				j -= l.Files[fi].Frames
				fi++
			}
			if fi != cur {
				if fh != nil {
					fh.Close()
				}
				if fh, err = os.Open(l.Files[fi].Path); err != nil {
					return 0, 0, false, openErr(l.Files[fi].Path, err)
				}
				cur = fi
			}
			off := l.Files[fi].Offset - int64(h.ImageHeaderBytes) + int64(j)*rec + 68
			if _, err := fh.ReadAt(b[:], off); err != nil {
				return 0, 0, false, &Error{Path: l.Files[fi].Path, Field: "image_header.scan", Detail: fmt.Sprintf("frame %d at byte %d", i, off), Err: err}
			}
			x := float64(math.Float32frombits(binary.LittleEndian.Uint32(b[0:])))
			y := float64(math.Float32frombits(binary.LittleEndian.Uint32(b[4:])))
			if math.IsNaN(x) || math.IsNaN(y) || math.Abs(x) >= 1<<31 || math.Abs(y) >= 1<<31 {
				return 0, 0, false, nil
			}
			return int(y), int(x), true, nil
		}
		if sync, nav, how, err = tvipsDetect(count, scan); err != nil {
			return nil, err
		}
	} else if h.Version == 2 {
		how = fmt.Sprintf("image headers of %d bytes hold no scan position: nav (count,)", h.ImageHeaderBytes)
	}
	l.NavShape = nav
	srcNav := how
	if opts.NavShape != nil {
		srcNav = fmt.Sprintf("given (headers: %s; nav %v)", how, nav)
	}
	if opts.DetectSyncOffset {
		opts.SyncOffset = sync
	}
	l.Details = []InfoDetail{
		{"nav_shape_source", srcNav},
		{"tvips_header", fmt.Sprintf("version %d, %d × %d, %d bits, image header %d bytes, binning %d × %d, %d kV, pixel size %d nm",
			h.Version, h.Width, h.Height, h.BitsPerPixel, h.ImageHeaderBytes, h.XBin, h.YBin, h.HighTensionKV, h.PixelSizeNM)},
		{"sync_offset_source", map[bool]string{true: "detected from Scan_x/Scan_y (" + strconv.Itoa(sync) + ")", false: "given"}[opts.DetectSyncOffset]},
	}
	return OpenFramed(l, opts.FramedOptions)
}

// readHead reads len(b) bytes from the start of path (fewer if the file is shorter,
// reported as a ShortFileError by the header parsers through the slice length).
func readHead(path string, b []byte) error {
	f, err := os.Open(path)
	if err != nil {
		return openErr(path, err)
	}
	defer f.Close()
	n, err := io.ReadFull(f, b)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return &Error{Path: path, Field: "header", Detail: "read failed", Err: err}
	}
	if n < len(b) {
		return &ShortFileError{Path: path, Field: "header", Need: int64(len(b)), Have: int64(n)}
	}
	return nil
}

func init() {
	RegisterFormat(FormatSpec{
		Name:       "tvips",
		Extensions: []string{".tvips"},
		Open: func(path string, o OpenOptions) (Dataset, error) {
			return OpenTVIPS(path, TVIPSOptions{FramedOptions: FramedOptionsFrom(o), DetectSyncOffset: o.SyncOffset == 0})
		},
	})
}
