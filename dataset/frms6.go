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
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/stemflow/stemflow/array"
)

// PNDetector pnCCD .frms6 datasets are a "name.hdr" INI file plus "name_000.frms6",
// "name_001.frms6", …. The .hdr's [measurementInfo] section gives darkframes,
// signalframes, stemimagesize ("AxB": the nav shape (A, B)) and readoutmode
// ("bin: N, windowing: I x J"). Each .frms6 file has a 1024-byte little-endian header
// (header size u16 = 1024, frame header size u16 = 64, version u8 at byte 7 = 6, width
// u16 at 88, height u16 at 90, frame count u32 at 1020, 0 meaning "what fits"), then
// frames, each a 64-byte frame header and height × width uint16 pixels. The first file
// (_000) holds the dark frames; signal frames follow in the other files in name order.
//
// The detector's two halves are read out folded side by side: a stored (h, w) frame is
// the (2·h·bin, w/2) detector image whose upper half is the stored left half and whose
// lower half is the stored right half rotated by 180°; with binning N every stored row
// stands for N detector rows (repeated). Stored row y < h gives detector rows y·N …
// y·N+N−1 from stored[y, x]; detector row block y ≥ h takes stored[2h−1−y, w−1−x].

const (
	frms6HeaderBytes      = 1024
	frms6FrameHeaderBytes = 64
)

// FRMS6Header is the part of a .frms6 file header stemflow uses.
type FRMS6Header struct {
	HeaderSize, FrameHeaderSize, Version int
	Width, Height                        int
	// NumFrames is the header's frame count; 0 means the frames that fit in the file.
	NumFrames int
}

// ParseFRMS6Header parses and checks a .frms6 file header (b holds at least 1024
// bytes): header size 1024, frame header size 64, version 6, positive even width and
// positive height.
func ParseFRMS6Header(b []byte, path string) (FRMS6Header, error) {
	if len(b) < frms6HeaderBytes {
		return FRMS6Header{}, &ShortFileError{Path: path, Field: "header", Need: frms6HeaderBytes, Have: int64(len(b))}
	}
	le := binary.LittleEndian
	h := FRMS6Header{HeaderSize: int(le.Uint16(b)), FrameHeaderSize: int(le.Uint16(b[2:])), Version: int(b[7]),
		Width: int(le.Uint16(b[88:])), Height: int(le.Uint16(b[90:])), NumFrames: int(le.Uint32(b[1020:]))}
	switch {
	case h.HeaderSize != frms6HeaderBytes:
		return FRMS6Header{}, newErr(path, "header.header_size", ErrHeader, "%d, want 1024", h.HeaderSize)
	case h.FrameHeaderSize != frms6FrameHeaderBytes:
		return FRMS6Header{}, newErr(path, "header.frame_header_size", ErrHeader, "%d, want 64", h.FrameHeaderSize)
	case h.Version != 6:
		return FRMS6Header{}, newErr(path, "header.version", ErrHeader, "%d, want 6", h.Version)
	case h.Width <= 0 || h.Width%2 != 0:
		return FRMS6Header{}, newErr(path, "header.width", ErrHeader, "%d, want a positive even width (two folded halves)", h.Width)
	case h.Height <= 0:
		return FRMS6Header{}, newErr(path, "header.height", ErrHeader, "0, want a positive height")
	}
	return h, nil
}

// FRMS6Hdr is the [measurementInfo] section of a frms6 .hdr file.
type FRMS6Hdr struct {
	// Values are all keys (lower case) and their raw values.
	Values                   map[string]string
	DarkFrames, SignalFrames int
	// NavShape is stemimagesize "AxB" as (A, B).
	NavShape []int
	// Binning and the windowing come from readoutmode.
	Binning, WinI, WinJ int
}

// frms6ReadoutPat matches a readoutmode value (binning, windowing). It is compiled
// at first use, not while every stemflow process starts.
var frms6ReadoutPat = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^"bin:\s*(\d+),\s*windowing:\s*(\d+)\s*x\s*(\d+)\s*"$`)
})

// ParseFRMS6Hdr parses a frms6 .hdr INI file: sections in brackets, "key = value" or
// "key: value" lines (keys compared case-insensitively), ";" and "#" comments. The
// [measurementInfo] section must give integer darkframes and signalframes,
// stemimagesize "AxB" and readoutmode "bin: N, windowing: I x J" with N 1, 2 or 4.
func ParseFRMS6Hdr(b []byte, path string) (FRMS6Hdr, error) {
	h := FRMS6Hdr{Values: map[string]string{}}
	sec, found := "", false
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == ';' || line[0] == '#' {
			continue
		}
		if line[0] == '[' && line[len(line)-1] == ']' {
			sec = strings.TrimSpace(line[1 : len(line)-1])
			found = found || sec == "measurementInfo"
			continue
		}
		if sec != "measurementInfo" {
			continue
		}
		i := strings.IndexAny(line, "=:")
		if i <= 0 {
			return FRMS6Hdr{}, newErr(path, "measurementInfo", ErrHeader, "line %q is not key = value", truncate(line, 40))
		}
		h.Values[strings.ToLower(strings.TrimSpace(line[:i]))] = strings.TrimSpace(line[i+1:])
	}
	if err := sc.Err(); err != nil {
		return FRMS6Hdr{}, newErr(path, "hdr", ErrHeader, "%v", err)
	}
	if !found {
		return FRMS6Hdr{}, newErr(path, "measurementInfo", ErrHeader, "section [measurementInfo] missing")
	}
	num := func(key string) (int, error) {
		v, err := strconv.Atoi(h.Values[key])
		if err != nil || v < 0 {
			return 0, newErr(path, "measurementInfo."+key, ErrHeader, "%q, want a non-negative integer", h.Values[key])
		}
		return v, nil
	}
	var err error
	if h.DarkFrames, err = num("darkframes"); err != nil {
		return FRMS6Hdr{}, err
	}
	if h.SignalFrames, err = num("signalframes"); err != nil {
		return FRMS6Hdr{}, err
	}
	for _, p := range strings.Split(h.Values["stemimagesize"], "x") {
		v, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || v <= 0 || v > 1<<24 {
			return FRMS6Hdr{}, newErr(path, "measurementInfo.stemimagesize", ErrHeader, "%q, want positive integers as AxB", h.Values["stemimagesize"])
		}
		h.NavShape = append(h.NavShape, v)
	}
	m := frms6ReadoutPat().FindStringSubmatch(h.Values["readoutmode"])
	if m == nil {
		return FRMS6Hdr{}, newErr(path, "measurementInfo.readoutmode", ErrHeader, "%q, want \"bin: N, windowing: I x J\"", h.Values["readoutmode"])
	}
	h.Binning, _ = strconv.Atoi(m[1])
	h.WinI, _ = strconv.Atoi(m[2])
	h.WinJ, _ = strconv.Atoi(m[3])
	if h.Binning != 1 && h.Binning != 2 && h.Binning != 4 {
		return FRMS6Hdr{}, newErr(path, "measurementInfo.readoutmode", ErrHeader, "binning %d, want 1, 2 or 4", h.Binning)
	}
	return h, nil
}

// isFRMS6Hdr reports whether path is a .hdr file with a [measurementInfo] section.
func isFRMS6Hdr(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	b := make([]byte, 4096)
	n, _ := io.ReadFull(f, b)
	return bytes.Contains(b[:n], []byte("[measurementInfo]"))
}

// frms6Base returns the dataset's base path: "x.hdr" → "x", "x_012.frms6" → "x".
func frms6Base(path string) (string, error) {
	ext := filepath.Ext(path)
	base := strings.TrimSuffix(path, ext)
	switch strings.ToLower(ext) {
	case ".hdr":
		return base, nil
	case ".frms6":
		return regexp.MustCompile(`_[0-9]+$`).ReplaceAllString(base, ""), nil
	}
	return "", newErr(path, "path", ErrFormat, "extension %q, want .hdr or .frms6", ext)
}

// frms6Unfold returns, for every detector pixel of the (2·h·bin, w/2) frame in C order,
// the index of its value in the stored (h, w) frame.
func frms6Unfold(h, w, bin int) []int32 {
	rows, cols := 2*h*bin, w/2
	src := make([]int32, rows*cols)
	for r := range rows {
		y := r / bin
		for x := range cols {
			if y < h {
				src[r*cols+x] = int32(y*w + x)
			} else {
				src[r*cols+x] = int32((2*h-1-y)*w + w - 1 - x)
			}
		}
	}
	return src
}

// OpenFRMS6 opens a pnCCD frms6 dataset from its .hdr or any of its .frms6 files: nav
// from stemimagesize, sig (2·h·bin, w/2) unfolded as described above, signalframes frames
// from the files after _000. With darkCorrection, the mean of the _000 dark frames is
// subtracted and the dtype is float32 (the reference's default), and a gain map beside
// the files (see frms6Gain) multiplies the result; without it the frames are the stored
// uint16 values.
func OpenFRMS6(path string, opts FramedOptions, darkCorrection bool) (*Framed, error) {
	base, err := frms6Base(path)
	if err != nil {
		return nil, err
	}
	hdrPath := base + ".hdr"
	hb, err := os.ReadFile(hdrPath)
	if err != nil {
		return nil, openErr(hdrPath, err)
	}
	hdr, err := ParseFRMS6Hdr(hb, hdrPath)
	if err != nil {
		return nil, err
	}
	names, _ := filepath.Glob(escapeGlob(base) + "_*.frms6")
	sort.Strings(names)
	if len(names) == 0 {
		return nil, newErr(base+"_000.frms6", "path", ErrNotFound, "no %s_*.frms6 files", filepath.Base(base))
	}
	type fileInfo struct {
		h      FRMS6Header
		frames int
	}
	infos := make([]fileInfo, len(names))
	for i, p := range names {
		f, err := os.Open(p)
		if err != nil {
			return nil, openErr(p, err)
		}
		st, err := f.Stat()
		b := make([]byte, frms6HeaderBytes)
		if err == nil {
			_, err = io.ReadFull(f, b[:min(st.Size(), frms6HeaderBytes)])
		}
		f.Close()
		if err != nil {
			return nil, &Error{Path: p, Field: "header", Detail: "read failed", Err: err}
		}
		h, err := ParseFRMS6Header(b[:min(st.Size(), frms6HeaderBytes)], p)
		if err != nil {
			return nil, err
		}
		if i > 0 && (h.Width != infos[0].h.Width || h.Height != infos[0].h.Height) {
			return nil, newErr(p, "header.width", ErrHeader, "%d × %d, want %s's %d × %d", h.Width, h.Height, filepath.Base(names[0]), infos[0].h.Width, infos[0].h.Height)
		}
		n := h.NumFrames
		if n == 0 {
			fb := int64(frms6FrameHeaderBytes + 2*h.Width*h.Height)
			if (st.Size()-frms6HeaderBytes)%fb != 0 {
				return nil, newErr(p, "header.num_frames", ErrHeader, "0 and the file's %d bytes after the header are not a whole number of %d-byte frames", st.Size()-frms6HeaderBytes, fb)
			}
			n = int((st.Size() - frms6HeaderBytes) / fb)
		}
		infos[i] = fileInfo{h, n}
	}
	h0 := infos[0].h
	recBytes := 2 * h0.Width * h0.Height
	stride := int64(recBytes + frms6FrameHeaderBytes)
	var files []FrameFile
	left := hdr.SignalFrames
	for i := 1; i < len(names) && left > 0; i++ {
		n := min(infos[i].frames, left)
		files = append(files, FrameFile{Path: names[i], Frames: n, Offset: frms6HeaderBytes + frms6FrameHeaderBytes, Stride: stride})
		left -= n
	}
	if len(files) == 0 {
		return nil, newErr(names[0], "path", ErrNotFound, "no signal frame files after the dark frames in %s (signalframes %d)", filepath.Base(names[0]), hdr.SignalFrames)
	}
	src := frms6Unfold(h0.Height, h0.Width, hdr.Binning)
	sig := []int{2 * h0.Height * hdr.Binning, h0.Width / 2}
	l := FrameLayout{
		Format: "frms6", Path: path, Files: files, RecordBytes: recBytes, SigShape: sig,
		NavShape: hdr.NavShape,
		Details: []InfoDetail{
			{"nav_shape_source", fmt.Sprintf("%s stemimagesize %q", filepath.Base(hdrPath), hdr.Values["stemimagesize"])},
			{"frms6", fmt.Sprintf("stored %d × %d uint16 frames unfolded to %d × %d, binning %d, windowing %d x %d, %d signal frames declared, %d dark frames in %s",
				h0.Height, h0.Width, sig[0], sig[1], hdr.Binning, hdr.WinI, hdr.WinJ, hdr.SignalFrames, infos[0].frames, filepath.Base(names[0]))},
		},
	}
	if !darkCorrection {
		l.DType = array.Uint16
		l.NewDecoder = func() FrameDecodeFunc {
			return func(dst, rec []byte) error { frms6DecodeRaw(dst, rec, src); return nil }
		}
		l.Details = append(l.Details, InfoDetail{"corrections", "none (file corrections off: no dark frame subtraction, no gain map)"})
		return OpenFramed(l, opts)
	}
	dark, err := frms6Dark(names[0], infos[0].frames, recBytes, stride, src)
	if err != nil {
		return nil, err
	}
	gain, gainPath, err := frms6Gain(base, sig)
	if err != nil {
		return nil, err
	}
	l.DType = array.Float32
	what := fmt.Sprintf("dark frame (mean of %d frames of %s) subtracted", infos[0].frames, filepath.Base(names[0]))
	if gain == nil {
		l.NewDecoder = func() FrameDecodeFunc {
			return func(dst, rec []byte) error { frms6DecodeDark(dst, rec, src, dark); return nil }
		}
	} else {
		l.NewDecoder = func() FrameDecodeFunc {
			return func(dst, rec []byte) error { frms6DecodeGain(dst, rec, src, dark, gain); return nil }
		}
		what += ", then multiplied by the gain map " + filepath.Base(gainPath)
	}
	l.Details = append(l.Details, InfoDetail{"corrections", what})
	return OpenFramed(l, opts)
}

// frms6Gain loads the gain map of the dataset "base" if one lies beside it: the
// variable GainMap of base+"_gain.mat" (a MATLAB level-5 MAT-file), else
// base+"_gain.csv" (rows of ";"-separated numbers, empty fields skipped, holding the
// map transposed: sig[1] rows of sig[0] values). It returns nil and "" when there is
// none. The map must have the unfolded frame's shape sig.
func frms6Gain(base string, sig []int) ([]float32, string, error) {
	rows, cols := sig[0], sig[1]
	if p := base + "_gain.mat"; fileExists(p) {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, "", openErr(p, err)
		}
		dims, vals, err := readMATVariable(b, p, "GainMap")
		if err != nil {
			return nil, "", err
		}
		if len(dims) != 2 || dims[0] != rows || dims[1] != cols {
			return nil, "", newErr(p, "GainMap", ErrShape, "shape %v, want the frame's %v", dims, sig)
		}
		g := make([]float32, rows*cols)
		for r := range rows {
			for c := range cols {
				g[r*cols+c] = float32(vals[c*rows+r]) // MATLAB stores column-major
			}
		}
		return g, p, nil
	}
	if p := base + "_gain.csv"; fileExists(p) {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, "", openErr(p, err)
		}
		g, err := parseFRMS6GainCSV(b, p, rows, cols)
		return g, p, err
	}
	return nil, "", nil
}

// parseFRMS6GainCSV parses a ";"-separated gain map holding the (rows, cols) map
// transposed: cols lines of rows numbers each (blank lines and empty fields skipped).
func parseFRMS6GainCSV(b []byte, path string, rows, cols int) ([]float32, error) {
	g := make([]float32, rows*cols)
	line := 0
	for _, l := range strings.Split(string(b), "\n") {
		var vals []float64
		for _, f := range strings.Split(strings.TrimRight(l, "\r"), ";") {
			f = strings.TrimSpace(f)
			if f == "" {
				continue
			}
			v, err := strconv.ParseFloat(f, 64)
			if err != nil {
				return nil, newErr(path, fmt.Sprintf("line %d", line+1), ErrHeader, "%q is not a number", truncate(f, 20))
			}
			vals = append(vals, v)
		}
		if len(vals) == 0 {
			continue
		}
		if line >= cols {
			return nil, newErr(path, "lines", ErrShape, "more than %d lines of values, want the frame's %d columns (the map is stored transposed)", cols, cols)
		}
		if len(vals) != rows {
			return nil, newErr(path, fmt.Sprintf("line %d", line+1), ErrShape, "%d values, want the frame's %d rows (the map is stored transposed)", len(vals), rows)
		}
		for r, v := range vals {
			g[r*cols+line] = float32(v)
		}
		line++
	}
	if line != cols {
		return nil, newErr(path, "lines", ErrShape, "%d lines of values, want the frame's %d columns (the map is stored transposed)", line, cols)
	}
	return g, nil
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// frms6DecodeGain unfolds a stored frame, subtracts the dark frame and multiplies by the
// gain map in one pass, as float32.
func frms6DecodeGain(dst, rec []byte, src []int32, dark, gain []float32) {
	gain = gain[:len(src)]
	dark = dark[:len(src)]
	for i, s := range src {
		v := (float32(binary.LittleEndian.Uint16(rec[2*s:])) - dark[i]) * gain[i]
		binary.NativeEndian.PutUint32(dst[4*i:], math.Float32bits(v))
	}
}

// frms6DecodeRaw unfolds a stored frame into host-order uint16 values.
func frms6DecodeRaw(dst, rec []byte, src []int32) {
	for i, s := range src {
		binary.NativeEndian.PutUint16(dst[2*i:], binary.LittleEndian.Uint16(rec[2*s:]))
	}
}

// frms6DecodeDark unfolds a stored frame and subtracts the dark frame, as float32.
func frms6DecodeDark(dst, rec []byte, src []int32, dark []float32) {
	for i, s := range src {
		v := float32(binary.LittleEndian.Uint16(rec[2*s:])) - dark[i]
		binary.NativeEndian.PutUint32(dst[4*i:], math.Float32bits(v))
	}
}

// frms6Dark returns the mean of the n unfolded dark frames of path as float32.
func frms6Dark(path string, n, recBytes int, stride int64, src []int32) ([]float32, error) {
	if n == 0 {
		return nil, newErr(path, "header.num_frames", ErrHeader, "0 dark frames, want at least one for the dark frame subtraction (or turn it off)")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, openErr(path, err)
	}
	defer f.Close()
	sum := make([]float64, len(src))
	rec := make([]byte, recBytes)
	for j := range n {
		off := frms6HeaderBytes + frms6FrameHeaderBytes + int64(j)*stride
		if _, err := f.ReadAt(rec, off); err != nil {
			st, _ := f.Stat()
			var have int64
			if st != nil {
				have = st.Size()
			}
			return nil, &ShortFileError{Path: path, Field: "dark frames", Need: off + int64(recBytes), Have: have}
		}
		for i, s := range src {
			sum[i] += float64(binary.LittleEndian.Uint16(rec[2*s:]))
		}
	}
	dark := make([]float32, len(src))
	for i, s := range sum {
		dark[i] = float32(s / float64(n))
	}
	return dark, nil
}

// escapeGlob escapes the glob metacharacters of a literal path prefix.
func escapeGlob(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func init() {
	RegisterFormat(FormatSpec{
		Name:       "frms6",
		Extensions: []string{".frms6"},
		Detect: func(path string) bool {
			return strings.EqualFold(filepath.Ext(path), ".hdr") && isFRMS6Hdr(path)
		},
		Open: func(path string, o OpenOptions) (Dataset, error) {
			return OpenFRMS6(path, FramedOptionsFrom(o), !o.SkipFileCorrections && !o.Corrections.Active())
		},
	})
}
