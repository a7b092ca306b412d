package dataset

import (
	"bufio"
	"bytes"
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

// Quantum Detectors Merlin (Medipix3) .mib files.
//
// Every frame is an ASCII header followed by the pixels, at a fixed stride. The header is
// comma-separated: "MQ1", the frame's sequence number, the header size in bytes, the
// number of chips, the stored image width and height, the data type (U08, U16, U32, U64:
// big-endian unsigned integers; R64: raw counter data), the sensor layout ("1x1", "2x2",
// "Nx1", optionally suffixed "G"), ..., and the counter depth in bits as the last field.
//
// Raw (R64) data is a sequence of big-endian 64-bit words whose pixels are packed from
// the least significant end: counter depth 1 packs 64 one-bit pixels per word, depth 6
// stores 8 one-byte pixels, depth 12 four 16-bit pixels; depth 24 stores two 12-bit
// frames one after the other, the first holding the high 12 bits. The header's width
// counts both halves for depth 24. Raw quad (2x2, four chips) frames store, for each of
// the chip rows, four chip-row segments in the order 4, 3, 2, 1; quadrants 1 and 2 form
// the top half, quadrants 3 and 4 (flipped in x and y) the bottom half. Raw Nx1 frames
// keep the stored chip order.

// MIBHeader is the parsed ASCII header of one MIB frame.
type MIBHeader struct {
	// Sequence is the frame's sequence number (field 1); files of a set are ordered by
	// the sequence number of their first frame.
	Sequence int
	// HeaderBytes is the size of the frame header in bytes (field 2).
	HeaderBytes int
	// Chips is the number of chips (field 3).
	Chips int
	// Width and Height are the stored image extents in pixels (fields 4 and 5).
	Width, Height int
	// DType is "U08", "U16", "U32", "U64" or "R64" (field 6).
	DType string
	// Layout is the sensor layout (field 7): chips across, chips down ("2x2" → {2, 2}).
	Layout [2]int
	// CounterDepth is the counter depth in bits (the last field): 1, 6, 12 or 24.
	CounterDepth int
}

// mibHeaderMax is the most header bytes read to find a header (quad headers are 768).
const mibHeaderMax = 4096

// ParseMIBHeader parses the header at the start of b (a frame's first bytes, at least
// the header size). Errors wrap ErrHeader and name the field.
func ParseMIBHeader(b []byte) (MIBHeader, error) {
	var h MIBHeader
	bad := func(field, format string, a ...any) (MIBHeader, error) {
		return MIBHeader{}, newErr("", "header."+field, ErrHeader, format, a...)
	}
	if !bytes.HasPrefix(b, []byte("MQ1,")) {
		n := min(len(b), 8)
		return bad("magic", "frame header starts with %q, want \"MQ1,\"", b[:n])
	}
	head := b[:min(len(b), 64)]
	parts := strings.SplitN(string(head), ",", 4)
	if len(parts) < 4 {
		return bad("size", "header too short to hold its size field")
	}
	var err error
	if h.HeaderBytes, err = strconv.Atoi(strings.TrimSpace(parts[2])); err != nil || h.HeaderBytes < 16 || h.HeaderBytes > mibHeaderMax {
		return bad("size", "header size %q is not a number in [16, %d]", parts[2], mibHeaderMax)
	}
	if h.HeaderBytes > len(b) {
		return bad("size", "header size %d exceeds the %d bytes available", h.HeaderBytes, len(b))
	}
	var fields []string
	for _, p := range strings.Split(string(b[:h.HeaderBytes]), ",") {
		fields = append(fields, strings.Trim(p, " \x00\t\r\n"))
	}
	for len(fields) > 0 && fields[len(fields)-1] == "" {
		fields = fields[:len(fields)-1] // padding after the last field
	}
	if len(fields) < 9 {
		return bad("fields", "header has %d fields, want at least 9", len(fields))
	}
	num := func(i int, name string, lo, hi int) (int, error) {
		v, err := strconv.Atoi(fields[i])
		if err != nil || v < lo || v > hi {
			return 0, newErr("", "header."+name, ErrHeader, "field %d is %q, want a number in [%d, %d]", i, fields[i], lo, hi)
		}
		return v, nil
	}
	if h.Sequence, err = num(1, "sequence", 0, math.MaxInt32); err != nil {
		return MIBHeader{}, err
	}
	if h.Chips, err = num(3, "chips", 1, 64); err != nil {
		return MIBHeader{}, err
	}
	if h.Width, err = num(4, "width", 1, 1<<16); err != nil {
		return MIBHeader{}, err
	}
	if h.Height, err = num(5, "height", 1, 1<<16); err != nil {
		return MIBHeader{}, err
	}
	h.DType = strings.ToUpper(fields[6])
	switch h.DType {
	case "U08", "U16", "U32", "U64", "R64":
	default:
		return bad("dtype", "data type %q, want U08, U16, U32, U64 or R64", fields[6])
	}
	lay := strings.Split(strings.TrimSuffix(strings.ToUpper(fields[7]), "G"), "X")
	if len(lay) != 2 {
		return bad("layout", "sensor layout %q, want AxB such as 1x1 or 2x2", fields[7])
	}
	for i := range 2 {
		v, err := strconv.Atoi(lay[i])
		if err != nil || v < 1 || v > 64 {
			return bad("layout", "sensor layout %q, want AxB such as 1x1 or 2x2", fields[7])
		}
		h.Layout[i] = v
	}
	if h.CounterDepth, err = num(len(fields)-1, "counter_depth", 1, 64); err != nil {
		return MIBHeader{}, err
	}
	if _, _, err := h.frame(); err != nil {
		return MIBHeader{}, err
	}
	return h, nil
}

// Raw reports whether the frames hold raw (R64) counter data.
func (h MIBHeader) Raw() bool { return h.DType == "R64" }

// quad reports a raw 2x2 four-chip frame, which needs the quadrant reordering.
func (h MIBHeader) quad() bool {
	return h.Raw() && h.Chips == 4 && h.Layout == [2]int{2, 2}
}

// frame returns the decoded frame shape (rows, cols), the stored record size and the
// decoded dtype.
func (h MIBHeader) frame() ([2]int, int, error) {
	bad := func(format string, a ...any) ([2]int, int, error) {
		return [2]int{}, 0, newErr("", "header.counter_depth", ErrHeader, format, a...)
	}
	w, ht := h.Width, h.Height
	if !h.Raw() {
		isz := map[string]int{"U08": 1, "U16": 2, "U32": 4, "U64": 8}[h.DType]
		return [2]int{ht, w}, w * ht * isz, nil
	}
	var bits, group int // stored bits per pixel, pixels per 64-bit word
	switch h.CounterDepth {
	case 1:
		bits, group = 1, 64
	case 6:
		bits, group = 8, 8
	case 12:
		bits, group = 16, 4
	case 24:
		bits, group = 16, 4
		if w%2 != 0 {
			return bad("24-bit raw frame width %d is odd (it counts two 12-bit frames)", w)
		}
		w /= 2
	default:
		return bad("raw counter depth %d, want 1, 6, 12 or 24", h.CounterDepth)
	}
	rec := w * ht * bits / 8
	if h.CounterDepth == 24 {
		rec *= 2
	}
	shape := [2]int{ht, w}
	seg := w * ht // pixels decoded as one run
	if h.Chips > 1 {
		px := ht
		shape = [2]int{px * h.Layout[1], px * h.Layout[0]}
		if shape[0]*shape[1] != w*ht {
			return [2]int{}, 0, newErr("", "header.layout", ErrHeader, "sensor layout %dx%d with %d-pixel chips does not match the stored %dx%d raw image", h.Layout[0], h.Layout[1], px, w, ht)
		}
		if h.quad() {
			seg = px
			if w != 4*px {
				return [2]int{}, 0, newErr("", "header.width", ErrHeader, "raw quad frame of width %d, want 4 × height %d", w, ht)
			}
		}
	}
	if seg%group != 0 {
		return bad("raw %d-bit rows of %d pixels are not a whole number of 64-bit words", h.CounterDepth, seg)
	}
	return shape, rec, nil
}

// nativeDType is the dtype of decoded pixels: the stored unsigned type, or for raw data
// the smallest that holds the counter depth (uint8 for 1 and 6, uint16 for 12, uint32
// for 24 bits).
func (h MIBHeader) nativeDType() array.DType {
	switch h.DType {
	case "U08":
		return array.Uint8
	case "U16":
		return array.Uint16
	case "U32":
		return array.Uint32
	case "U64":
		return array.Uint64
	}
	switch h.CounterDepth {
	case 1, 6:
		return array.Uint8
	case 12:
		return array.Uint16
	}
	return array.Uint32
}

// mibRaw decodes raw frames.
type mibRaw struct {
	depth      int
	rows, cols int
	quad       bool
	px         int      // quad: chip extent
	hi, lo     []uint16 // 24-bit scratch
}

// bit1LUT[b] holds the 8 pixels of byte b (bit 0 first) as the bytes of a little-endian
// uint64.
var bit1LUT = func() (t [256]uint64) {
	for b := range 256 {
		var v uint64
		for i := range 8 {
			v |= uint64(b>>i&1) << (8 * i)
		}
		t[b] = v
	}
	return t
}()

// raw1 unpacks len(dst) one-bit pixels (a multiple of 64) from big-endian words.
func raw1(dst []uint8, src []byte) {
	for w := 0; w+64 <= len(dst); w += 64 {
		s := src[w/8 : w/8+8]
		d := dst[w : w+64]
		for k := range 8 {
			binary.LittleEndian.PutUint64(d[8*k:], bit1LUT[s[7-k]])
		}
	}
}

// raw6 reverses every group of 8 one-byte pixels.
func raw6(dst []uint8, src []byte) {
	for w := 0; w+8 <= len(dst); w += 8 {
		binary.LittleEndian.PutUint64(dst[w:], binary.BigEndian.Uint64(src[w:]))
	}
}

// raw12 reverses every group of 4 big-endian 16-bit pixels.
func raw12(dst []uint16, src []byte) {
	for w := 0; w+4 <= len(dst); w += 4 {
		v := binary.BigEndian.Uint64(src[2*w:])
		dst[w] = uint16(v)
		dst[w+1] = uint16(v >> 16)
		dst[w+2] = uint16(v >> 32)
		dst[w+3] = uint16(v >> 48)
	}
}

func reverse[T any](s []T) {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
}

// place decodes one stored frame of rec: dec(dstOff, srcOff, n) decodes n pixels from
// stored pixel srcOff to decoded pixel dstOff; flip reverses them.
func (m *mibRaw) place(dec func(dstOff, srcOff, n int, flip bool)) {
	if !m.quad {
		dec(0, 0, m.rows*m.cols, false)
		return
	}
	px, w := m.px, 2*m.px
	for r := range px {
		base := r * 4 * px
		dec(r*w, base+3*px, px, false)
		dec(r*w+px, base+2*px, px, false)
		y := 2*px - 1 - r
		dec(y*w, base+px, px, true)
		dec(y*w+px, base, px, true)
	}
}

func (m *mibRaw) decode8(dst []uint8, rec []byte) {
	bits := 8
	if m.depth == 1 {
		bits = 1
	}
	m.place(func(d, s, n int, flip bool) {
		out := dst[d : d+n]
		in := rec[s*bits/8 : (s+n)*bits/8]
		if bits == 1 {
			raw1(out, in)
		} else {
			raw6(out, in)
		}
		if flip {
			reverse(out)
		}
	})
}

func (m *mibRaw) decode16(dst []uint16, rec []byte) {
	m.place(func(d, s, n int, flip bool) {
		out := dst[d : d+n]
		raw12(out, rec[2*s:2*(s+n)])
		if flip {
			reverse(out)
		}
	})
}

// decoder returns the frame decoder (one per reading goroutine: it owns scratch).
func (m mibRaw) decoder() FrameDecodeFunc {
	st := m
	n := m.rows * m.cols
	if m.depth == 24 {
		st.hi, st.lo = make([]uint16, n), make([]uint16, n)
	}
	return func(dst, rec []byte) error {
		switch st.depth {
		case 1, 6:
			st.decode8(dst[:n], rec)
		case 12:
			out, ok := typedView[uint16](dst[:2*n])
			if !ok {
				return fmt.Errorf("unaligned decode buffer")
			}
			st.decode16(out, rec)
		case 24:
			out, ok := typedView[uint32](dst[:4*n])
			if !ok {
				return fmt.Errorf("unaligned decode buffer")
			}
			half := len(rec) / 2
			st.decode16(st.hi, rec[:half])
			st.decode16(st.lo, rec[half:])
			for i := range out {
				out[i] = uint32(st.hi[i])<<12 | uint32(st.lo[i])
			}
		}
		return nil
	}
}

// MIBOptions are the options of a MIB dataset.
type MIBOptions struct {
	FramedOptions
	// DisableGlob reads only the given .mib file instead of every "<prefix>*.mib" file
	// of its set.
	DisableGlob bool
}

// mibFile is one file of a set with its first header.
type mibFile struct {
	path   string
	hdr    MIBHeader
	size   int64
	frames int
}

// readMIBHeader reads and parses the first header of path.
func readMIBHeader(path string) (mibFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return mibFile{}, openErr(path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return mibFile{}, &Error{Path: path, Detail: "stat failed", Err: err}
	}
	buf := make([]byte, min(st.Size(), mibHeaderMax))
	if _, err := io.ReadFull(f, buf); err != nil {
		return mibFile{}, &Error{Path: path, Field: "header", Detail: "cannot read the first frame header", Err: err}
	}
	h, err := ParseMIBHeader(buf)
	if err != nil {
		if e, ok := err.(*Error); ok {
			e.Path = path
		}
		return mibFile{}, err
	}
	_, rec, _ := h.frame()
	return mibFile{path: path, hdr: h, size: st.Size(), frames: int(st.Size() / int64(h.HeaderBytes+rec))}, nil
}

// mibSet returns the .mib files of the set path belongs to: for "dir/name.hdr" every
// "dir/name*.mib", for "dir/name0042.mib" every "dir/name*.mib" (trailing digits
// dropped).
func mibSet(path string, disableGlob bool) ([]string, error) {
	ext := strings.ToLower(filepath.Ext(path))
	if disableGlob && ext == ".mib" {
		return []string{path}, nil
	}
	stem := strings.TrimSuffix(path, filepath.Ext(path))
	if ext == ".mib" {
		stem = strings.TrimRight(stem, "0123456789")
	}
	dir, prefix := filepath.Split(stem)
	if dir == "" {
		dir = "."
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, openErr(dir, err)
	}
	var out []string
	for _, e := range ents {
		n := e.Name()
		if !e.IsDir() && strings.HasPrefix(n, prefix) && strings.EqualFold(filepath.Ext(n), ".mib") {
			out = append(out, filepath.Join(filepath.Dir(stem), n))
		}
	}
	if len(out) == 0 {
		return nil, newErr(path, "path", ErrNotFound, "no .mib files match %s*.mib", stem)
	}
	return out, nil
}

// ReadMIBHdr parses a Merlin .hdr sidecar: tab-separated "key:\tvalue" lines between a
// first line starting "HDR" and a line "End". Keys are returned without the colon.
func ReadMIBHdr(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, openErr(path, err)
	}
	defer f.Close()
	return parseMIBHdr(path, f)
}

func parseMIBHdr(path string, r io.Reader) (map[string]string, error) {
	sc := bufio.NewScanner(io.LimitReader(r, 1<<20))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	out := map[string]string{}
	first := true
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if first {
			if !strings.HasPrefix(line, "HDR") {
				return nil, newErr(path, "hdr", ErrHeader, "first line %q does not start with HDR", truncate(line, 40))
			}
			first = false
			continue
		}
		if strings.HasPrefix(line, "End") {
			break
		}
		k, v, ok := strings.Cut(line, "\t")
		if !ok {
			continue
		}
		out[strings.TrimSuffix(strings.TrimSpace(k), ":")] = strings.TrimSpace(v)
	}
	if first {
		return nil, newErr(path, "hdr", ErrHeader, "empty .hdr file")
	}
	return out, sc.Err()
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// mibNavFromHdr returns the nav shape a .hdr declares: (ScanY, ScanX), else
// (frames in acquisition / frames per trigger, frames per trigger).
func mibNavFromHdr(path string, hdr map[string]string) ([]int, string, error) {
	pos := func(key string) (int, error) {
		v, err := strconv.Atoi(hdr[key])
		if err != nil || v <= 0 {
			return 0, newErr(path, key, ErrHeader, "value %q is not a positive integer", hdr[key])
		}
		return v, nil
	}
	_, hx := hdr["ScanX"]
	_, hy := hdr["ScanY"]
	if hx && hy {
		x, err := pos("ScanX")
		if err != nil {
			return nil, "", err
		}
		y, err := pos("ScanY")
		if err != nil {
			return nil, "", err
		}
		return []int{y, x}, ".hdr ScanY, ScanX", nil
	}
	const acqK, trigK = "Frames in Acquisition (Number)", "Frames per Trigger (Number)"
	if _, ok := hdr[acqK]; !ok {
		return nil, "", newErr(path, "ScanX", ErrHeader, "the .hdr has neither ScanX/ScanY nor %q; give the nav shape", acqK)
	}
	acq, err := pos(acqK)
	if err != nil {
		return nil, "", err
	}
	trig, err := pos(trigK)
	if err != nil {
		return nil, "", err
	}
	if acq/trig == 0 {
		return nil, "", newErr(path, acqK, ErrHeader, "%d frames in the acquisition, fewer than %d per trigger", acq, trig)
	}
	return []int{acq / trig, trig}, ".hdr frames per trigger", nil
}

// isMIBHdr reports whether path's first line starts with "HDR" (a Merlin sidecar).
func isMIBHdr(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var b [3]byte
	_, err = io.ReadFull(f, b[:])
	return err == nil && string(b[:]) == "HDR"
}

// OpenMIB opens a Merlin dataset from a .mib file of the set or its .hdr sidecar. The
// set's files ("<prefix>*.mib", see MIBOptions.DisableGlob) are ordered by the sequence
// number of their first frame. The nav shape is, in order of precedence: the NavShape
// option, the .hdr (the given one, or "<prefix>.hdr" next to a given .mib file), a
// square of the frame count when it is a perfect square, else the frame count.
func OpenMIB(path string, opts MIBOptions) (*Framed, error) {
	ext := strings.ToLower(filepath.Ext(path))
	var hdr map[string]string
	hdrPath := ""
	if ext == ".hdr" {
		h, err := ReadMIBHdr(path)
		if err != nil {
			return nil, err
		}
		hdr, hdrPath = h, path
	} else if ext != ".mib" {
		return nil, newErr(path, "path", ErrFormat, "a MIB dataset is opened from a .mib or .hdr file, not %q", ext)
	}
	names, err := mibSet(path, opts.DisableGlob)
	if err != nil {
		return nil, err
	}
	if hdr == nil && opts.NavShape == nil {
		side := strings.TrimRight(strings.TrimSuffix(path, filepath.Ext(path)), "0123456789") + ".hdr"
		if isMIBHdr(side) {
			if h, err := ReadMIBHdr(side); err == nil {
				hdr, hdrPath = h, side
			}
		}
	}
	files := make([]mibFile, 0, len(names))
	for _, n := range names {
		f, err := readMIBHeader(n)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	sort.SliceStable(files, func(i, j int) bool { return files[i].hdr.Sequence < files[j].hdr.Sequence })
	h0 := files[0].hdr
	shape, rec, _ := h0.frame()
	layout := FrameLayout{Format: "mib", Path: path, RecordBytes: rec, SigShape: shape[:], DType: h0.nativeDType(), ByteOrder: binary.BigEndian}
	for _, f := range files {
		h := f.hdr
		if h.DType != h0.DType || h.Width != h0.Width || h.Height != h0.Height || h.CounterDepth != h0.CounterDepth || h.Layout != h0.Layout || h.Chips != h0.Chips {
			return nil, newErr(f.path, "header", ErrHeader, "frames are %s %dx%d depth %d layout %dx%d, the set's first file %s has %s %dx%d depth %d layout %dx%d",
				h.DType, h.Width, h.Height, h.CounterDepth, h.Layout[0], h.Layout[1], files[0].path, h0.DType, h0.Width, h0.Height, h0.CounterDepth, h0.Layout[0], h0.Layout[1])
		}
		stride := int64(h.HeaderBytes + rec)
		if f.frames > 0 {
			if err := checkMIBFrameHeader(f.path, int64(f.frames-1)*stride); err != nil {
				return nil, err
			}
		}
		layout.Files = append(layout.Files, FrameFile{Path: f.path, Frames: f.frames, Offset: int64(h.HeaderBytes), Stride: stride})
	}
	count := 0
	for _, f := range files {
		count += f.frames
	}
	if count == 0 {
		return nil, &ShortFileError{Path: files[0].path, Field: "frames", Need: int64(h0.HeaderBytes + rec), Have: files[0].size}
	}
	kind := "raw (R64)"
	if !h0.Raw() {
		kind = h0.DType + " big-endian"
	}
	layout.Details = []InfoDetail{
		{Key: "mode", Value: kind},
		{Key: "counter_depth", Value: strconv.Itoa(h0.CounterDepth)},
		{Key: "layout", Value: fmt.Sprintf("%dx%d, %d chips", h0.Layout[0], h0.Layout[1], h0.Chips)},
		{Key: "header_bytes", Value: strconv.Itoa(h0.HeaderBytes)},
		{Key: "first_sequence", Value: strconv.Itoa(h0.Sequence)},
	}
	if h0.Raw() {
		m := mibRaw{depth: h0.CounterDepth, rows: shape[0], cols: shape[1], quad: h0.quad(), px: h0.Height}
		layout.NewDecoder = m.decoder
		layout.ByteOrder = nil
	}
	src := ""
	switch {
	case opts.NavShape != nil:
		src = "option"
	case hdr != nil:
		nav, s, err := mibNavFromHdr(hdrPath, hdr)
		if err != nil {
			return nil, err
		}
		layout.NavShape, src = nav, s+" ("+hdrPath+")"
	default:
		r := int(math.Sqrt(float64(count)))
		for r*r > count {
			r--
		}
		for (r+1)*(r+1) <= count {
			r++
		}
		if r*r == count {
			layout.NavShape, src = []int{r, r}, "square of the frame count (no .hdr)"
		} else {
			layout.NavShape, src = []int{count}, "frame count (no .hdr)"
		}
	}
	layout.Details = append(layout.Details, InfoDetail{Key: "nav_shape_source", Value: src})
	return OpenFramed(layout, opts.FramedOptions)
}

// checkMIBFrameHeader checks that a frame header starts at off (a set whose header
// sizes change within a file would otherwise read garbage).
func checkMIBFrameHeader(path string, off int64) error {
	f, err := os.Open(path)
	if err != nil {
		return openErr(path, err)
	}
	defer f.Close()
	var b [4]byte
	if _, err := f.ReadAt(b[:], off); err != nil {
		return &Error{Path: path, Field: "header", Detail: fmt.Sprintf("reading the frame header at offset %d", off), Err: err}
	}
	if string(b[:]) != "MQ1," {
		return newErr(path, "header", ErrHeader, "no frame header at offset %d (found %q): frame sizes change within the file", off, b[:])
	}
	return nil
}

func init() {
	RegisterFormat(FormatSpec{
		Name:       "mib",
		Extensions: []string{".mib"},
		Detect: func(path string) bool {
			if strings.EqualFold(filepath.Ext(path), ".hdr") {
				return isMIBHdr(path)
			}
			f, err := os.Open(path)
			if err != nil {
				return false
			}
			defer f.Close()
			var b [4]byte
			_, err = io.ReadFull(f, b[:])
			return err == nil && string(b[:]) == "MQ1,"
		},
		Open: func(path string, o OpenOptions) (Dataset, error) {
			return OpenMIB(path, MIBOptions{FramedOptions: FramedOptionsFrom(o)})
		},
	})
}
