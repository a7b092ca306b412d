package dataset

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stemflow/stemflow/array"
)

// writeFile writes b to a new file in t's temp dir.
func writeFile(t testing.TB, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// encode stores vals as dtype dt in the given byte order, element by element with
// encoding/binary (independent of the package's decoders).
func encode(vals []float64, dt array.DType, bo binary.ByteOrder) []byte {
	var out []byte
	order, ok := bo.(binary.AppendByteOrder)
	if !ok {
		order = binary.LittleEndian
	}
	for _, v := range vals {
		switch dt {
		case array.Uint8:
			out = append(out, uint8(v))
		case array.Int8:
			out = append(out, byte(int8(v)))
		case array.Uint16:
			out = order.AppendUint16(out, uint16(v))
		case array.Int16:
			out = order.AppendUint16(out, uint16(int16(v)))
		case array.Uint32:
			out = order.AppendUint32(out, uint32(v))
		case array.Int32:
			out = order.AppendUint32(out, uint32(int32(v)))
		case array.Uint64:
			out = order.AppendUint64(out, uint64(v))
		case array.Int64:
			out = order.AppendUint64(out, uint64(int64(v)))
		case array.Float32:
			out = order.AppendUint32(out, math.Float32bits(float32(v)))
		case array.Float64:
			out = order.AppendUint64(out, math.Float64bits(v))
		case array.Complex64:
			out = order.AppendUint32(out, math.Float32bits(float32(v)))
			out = order.AppendUint32(out, math.Float32bits(-1))
		default:
			panic(dt.String())
		}
	}
	return out
}

func smallVals(n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = float64((i*11)%97) + float64(i%3)
	}
	return v
}

func TestRawReassembly(t *testing.T) {
	const ny, nx, sy, sx = 6, 5, 7, 9
	vals := smallVals(ny * nx * sy * sx)
	cases := []struct {
		dtype string
		dt    array.DType
		order binary.ByteOrder
	}{
		{"<f4", array.Float32, binary.LittleEndian},
		{">f4", array.Float32, binary.BigEndian},
		{"float32", array.Float32, binary.LittleEndian},
		{"<u2", array.Uint16, binary.LittleEndian},
		{">u2", array.Uint16, binary.BigEndian},
		{"u1", array.Uint8, nil},
		{">i4", array.Int32, binary.BigEndian},
		{"<f8", array.Float64, binary.LittleEndian},
		{">u8", array.Uint64, binary.BigEndian},
	}
	for _, c := range cases {
		t.Run(c.dtype, func(t *testing.T) {
			path := writeFile(t, "data.raw", encode(vals, c.dt, c.order))
			for _, tc := range []struct {
				k  int
				io string
			}{{0, ""}, {7, ""}, {-11, ""}, {0, IORead}, {7, IORead}, {-11, IORead}} {
				k := tc.k
				ds, err := OpenRaw(path, RawOptions{NavShape: []int{ny, nx}, SigShape: []int{sy, sx}, DType: c.dtype, SyncOffset: k, IO: tc.io})
				if err != nil {
					t.Fatal(err)
				}
				if tc.io == IORead && (!ds.NeedDecode(ds.DType(), nil) || ds.Info().IO != IORead) {
					t.Error("pread dataset does not need decode")
				}
				for _, roi := range [][]bool{nil, randomROI(ny*nx, uint64(k+20))} {
					for _, ts := range [][]int{{4, sy, sx}, {3, 3, 4}} {
						sch, _ := NewTilingScheme(ts, []int{sy, sx}, MethodTile)
						r := readAll[float32](t, ds, 3, sch, roi, array.Float32)
						want := expect(vals, ny*nx, sy*sx, ny*nx, k, roi)
						if i := sameNaN(r.data, want); i >= 0 {
							t.Fatalf("k=%d io=%q ts=%v: element %d = %v, want %v", k, tc.io, ts, i, r.data[i], want[i])
						}
						if c.dt == array.Float32 {
							rn := readAll[float32](t, ds, 2, sch, roi, array.DType{})
							if i := sameNaN(rn.data, want); i >= 0 {
								t.Fatalf("native io=%q: element %d", tc.io, i)
							}
						}
						r64 := readAll[float64](t, ds, 2, sch, roi, array.Float64)
						if i := sameNaN(r64.data, want); i >= 0 {
							t.Fatalf("float64 k=%d ts=%v: element %d = %v, want %v", k, ts, i, r64.data[i], want[i])
						}
					}
				}
				if err := ds.Close(); err != nil {
					t.Fatal(err)
				}
				if err := ds.Close(); err != nil {
					t.Fatal("second close", err)
				}
			}
		})
	}
}

func TestRawNativeZeroCopyAndAutoOpen(t *testing.T) {
	vals := smallVals(4 * 16)
	path := writeFile(t, "x.bin", encode(vals, array.Float32, binary.LittleEndian))
	ds, err := Open("", path, OpenOptions{NavShape: []int{4}, SigShape: []int{4, 4}, DType: "<f4"})
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	if _, ok := ds.(*Raw); !ok {
		t.Fatalf("auto-detected %T", ds)
	}
	if ds.NeedDecode(array.Float32, nil) {
		t.Error("native float32 raw needs decode")
	}
	info := ds.Info()
	if info.Format != "raw" || info.ImageCount != 4 || info.Bytes != 256 || !strings.Contains(info.String(), "<f4") {
		t.Errorf("info %+v\n%s", info, info)
	}
	sch, _ := NewTilingScheme([]int{4, 4, 4}, []int{4, 4}, MethodTile)
	r := readAll[float32](t, ds, 1, sch, nil, array.Float32)
	if i := sameNaN(r.data, vals); i >= 0 {
		t.Fatal(i)
	}
	big, _ := OpenRaw(path, RawOptions{NavShape: []int{4}, SigShape: []int{4, 4}, DType: ">f4"})
	defer big.Close()
	if !big.NeedDecode(array.Float32, nil) {
		t.Error("big-endian raw does not need decode")
	}
}

func TestRawErrors(t *testing.T) {
	good := writeFile(t, "a.raw", make([]byte, 4*4*4*4))
	missing := filepath.Join(t.TempDir(), "nope.raw")
	dir := t.TempDir()
	cases := []struct {
		name  string
		path  string
		opts  RawOptions
		want  error
		field string
	}{
		{"missing", missing, RawOptions{NavShape: []int{4}, SigShape: []int{4, 4}, DType: "f4"}, ErrNotFound, "path"},
		{"dir", dir, RawOptions{NavShape: []int{4}, SigShape: []int{4, 4}, DType: "f4"}, ErrNotFound, "path"},
		{"dtype", good, RawOptions{NavShape: []int{4}, SigShape: []int{4, 4}, DType: "float16"}, ErrDType, "dtype"},
		{"no dtype", good, RawOptions{NavShape: []int{4}, SigShape: []int{4, 4}}, ErrDType, "dtype"},
		{"bytes dtype", good, RawOptions{NavShape: []int{4}, SigShape: []int{4, 4}, DType: "S4"}, ErrDType, "dtype"},
		{"zero nav", good, RawOptions{NavShape: []int{0}, SigShape: []int{4, 4}, DType: "f4"}, ErrShape, "nav_shape"},
		{"neg sig", good, RawOptions{NavShape: []int{4}, SigShape: []int{-4, 4}, DType: "f4"}, ErrShape, "sig_shape"},
		{"no sig", good, RawOptions{NavShape: []int{4}, DType: "f4"}, ErrShape, "sig_shape"},
		{"no nav", good, RawOptions{SigShape: []int{4}, DType: "f4"}, ErrShape, "nav_shape"},
		{"sync", good, RawOptions{NavShape: []int{4}, SigShape: []int{4, 4}, DType: "f4", SyncOffset: 4}, ErrSyncOffset, "sync_offset"},
		{"sync neg", good, RawOptions{NavShape: []int{4}, SigShape: []int{4, 4}, DType: "f4", SyncOffset: -4}, ErrSyncOffset, "sync_offset"},
		{"partitions", good, RawOptions{NavShape: []int{4}, SigShape: []int{4, 4}, DType: "f4", NumPartitions: -2}, ErrOption, "num_partitions"},
		{"io", good, RawOptions{NavShape: []int{4}, SigShape: []int{4, 4}, DType: "f4", IO: "direct"}, ErrOption, "io"},
		{"missing pread", missing, RawOptions{NavShape: []int{4}, SigShape: []int{4, 4}, DType: "f4", IO: IORead}, ErrNotFound, "path"},
	}
	for _, c := range cases {
		_, err := OpenRaw(c.path, c.opts)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: err %v, want %v", c.name, err, c.want)
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Field != c.field || e.Path != c.path {
			t.Errorf("%s: error %v does not name field %q and path", c.name, err, c.field)
		}
	}
	if _, err := OpenRaw(missing, RawOptions{NavShape: []int{4}, SigShape: []int{4, 4}, DType: "f4"}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file does not wrap fs.ErrNotExist: %v", err)
	}
	// 5 frames of 4·4 float32 need 320 bytes; the file has 256: 64 missing.
	for _, io := range []string{IOMmap, IORead} {
		_, err := OpenRaw(good, RawOptions{NavShape: []int{5}, SigShape: []int{4, 4}, DType: "<f4", IO: io})
		var se *ShortFileError
		if !errors.Is(err, ErrFileTooShort) || !errors.As(err, &se) || se.Missing() != 64 || se.Need != 320 || se.Have != 256 || se.Path != good {
			t.Fatalf("short file (%s): %v", io, err)
		}
	}
	_, err := OpenRaw(good, RawOptions{NavShape: []int{5}, SigShape: []int{4, 4}, DType: "<f4"})
	if !strings.Contains(err.Error(), "64 bytes missing") {
		t.Errorf("message %q does not say how many bytes are missing", err)
	}
	if _, err := Open("nosuchformat", good, OpenOptions{}); !errors.Is(err, ErrFormat) {
		t.Errorf("unknown format: %v", err)
	}
	if _, err := Open("", filepath.Join(dir, "x.weird"), OpenOptions{}); !errors.Is(err, ErrFormat) {
		t.Errorf("undetectable: %v", err)
	}
}

// npyBytes hand-builds an .npy file: version major.0, the given dict literal padded
// with spaces and '\n' to pad the preamble+header to a multiple of align, then data.
func npyBytes(major int, dict string, align int, data []byte) []byte {
	pre := 10
	if major >= 2 {
		pre = 12
	}
	h := dict
	for (pre+len(h)+1)%align != 0 {
		h += " "
	}
	h += "\n"
	b := []byte("\x93NUMPY")
	b = append(b, byte(major), 0)
	if major >= 2 {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(h)))
	} else {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(h)))
	}
	b = append(b, h...)
	return append(b, data...)
}

func TestNPYReassembly(t *testing.T) {
	const n, sy, sx = 12, 5, 6
	vals := smallVals(n * sy * sx)
	cases := []struct {
		name  string
		major int
		descr string
		dt    array.DType
		order binary.ByteOrder
		align int
	}{
		{"v1 <f4", 1, "<f4", array.Float32, binary.LittleEndian, 64},
		{"v2 >u2", 2, ">u2", array.Uint16, binary.BigEndian, 64},
		{"v3 <u2", 3, "<u2", array.Uint16, binary.LittleEndian, 16},
		{"v1 |u1", 1, "|u1", array.Uint8, nil, 64},
		{"v1 <f8 unaligned", 1, "<f8", array.Float64, binary.LittleEndian, 3},
		{"v1 <f4 unaligned", 1, "<f4", array.Float32, binary.LittleEndian, 7},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%d, %d, %d), }", c.descr, n, sy, sx)
			path := writeFile(t, "d.npy", npyBytes(c.major, dict, c.align, encode(vals, c.dt, c.order)))
			for _, io := range []string{IOMmap, IORead} {
				ds, err := Open("auto", path, OpenOptions{IO: io})
				if err != nil {
					t.Fatal(err)
				}
				defer ds.Close()
				if !slices.Equal(ds.Shape().Dims(), []int{n, sy, sx}) || ds.DType() != c.dt || ds.ImageCount() != n {
					t.Fatalf("shape %v dtype %v", ds.Shape(), ds.DType())
				}
				for _, ts := range [][]int{{5, sy, sx}, {4, 2, 6}, {1, 5, 1}} {
					sch, _ := NewTilingScheme(ts, []int{sy, sx}, MethodTile)
					for _, roi := range [][]bool{nil, randomROI(n, 5)} {
						r := readAll[float32](t, ds, 3, sch, roi, array.Float32)
						want := expect(vals, n, sy*sx, n, 0, roi)
						if i := sameNaN(r.data, want); i >= 0 {
							t.Fatalf("ts %v: element %d = %v, want %v", ts, i, r.data[i], want[i])
						}
					}
				}
				// native read
				sch, _ := NewTilingScheme([]int{5, sy, sx}, []int{sy, sx}, MethodTile)
				var r reassembly
				switch c.dt {
				case array.Float32:
					r = readAll[float32](t, ds, 2, sch, nil, c.dt)
				case array.Uint16:
					r = readAll[uint16](t, ds, 2, sch, nil, c.dt)
				case array.Uint8:
					r = readAll[uint8](t, ds, 2, sch, nil, c.dt)
				case array.Float64:
					r = readAll[float64](t, ds, 2, sch, nil, c.dt)
				}
				if i := sameNaN(r.data, vals); i >= 0 {
					t.Fatalf("native io=%s: element %d", io, i)
				}
			}
		})
	}
}

func TestNPYOverrides(t *testing.T) {
	vals := smallVals(4 * 6 * 8)
	dict := "{'descr': '<f4', 'fortran_order': False, 'shape': (4, 6, 8), }"
	raw := npyBytes(1, dict, 64, encode(vals, array.Float32, binary.LittleEndian))
	path := writeFile(t, "o.npy", raw)
	ds, err := OpenNPY(path, NPYOptions{NavShape: []int{2, 2}, SigShape: []int{48}})
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	if !slices.Equal(ds.Shape().Dims(), []int{2, 2, 48}) || ds.Shape().SigDims() != 1 {
		t.Fatalf("shape %v", ds.Shape())
	}
	ds3, err := OpenNPY(path, NPYOptions{SigDims: 1, NavShape: []int{10}})
	if err != nil {
		t.Fatal(err)
	}
	defer ds3.Close()
	sch, _ := NewTilingScheme([]int{3, 8}, []int{8}, MethodTile)
	r := readAll[float32](t, ds3, 2, sch, nil, array.Float32)
	if i := sameNaN(r.data, vals[:80]); i >= 0 {
		t.Fatalf("prefix nav: element %d", i)
	}
	if ds3.Header().DataOffset != int64(len(raw)-4*len(vals)) {
		t.Errorf("data offset %d", ds3.Header().DataOffset)
	}
	for _, o := range []NPYOptions{{SigShape: []int{47}}, {NavShape: []int{5}}, {SigDims: 3}, {SyncOffset: 4}, {NavShape: []int{0, 1}}} {
		if _, err := OpenNPY(path, o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}

func TestNPYErrors(t *testing.T) {
	data := make([]byte, 2*3*4*4)
	hdr := func(d string) []byte { return npyBytes(1, d, 64, data) }
	cases := []struct {
		name  string
		b     []byte
		want  error
		field string
	}{
		{"fortran", hdr("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3, 4), }"), ErrHeader, "header.fortran_order"},
		{"object", hdr("{'descr': '|O', 'fortran_order': False, 'shape': (2, 3, 4), }"), ErrDType, "header.descr"},
		{"bytes", hdr("{'descr': '|S4', 'fortran_order': False, 'shape': (2, 3, 4), }"), ErrDType, "header.descr"},
		{"unknown dtype", hdr("{'descr': '<U2', 'fortran_order': False, 'shape': (2, 3, 4), }"), ErrDType, "header.descr"},
		{"zero extent", hdr("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3, 4), }"), ErrShape, "header.shape"},
		{"too few axes", hdr("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }"), ErrShape, "sig_dims"},
		{"truncated magic", []byte("\x93NUM"), ErrHeader, "header.magic"},
		{"bad magic", []byte("\x93NUMPX\x01\x00\x10\x00{}              "), ErrHeader, "header.magic"},
		{"truncated header", hdr("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4), }")[:30], ErrHeader, "header.header"},
		{"malformed dict", hdr("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4)"), ErrHeader, ""},
		{"bad version", append([]byte("\x93NUMPY\x09\x00"), make([]byte, 60)...), ErrHeader, "header.version"},
	}
	for _, c := range cases {
		path := writeFile(t, "e.npy", c.b)
		_, err := OpenNPY(path, NPYOptions{})
		if !errors.Is(err, c.want) {
			t.Errorf("%s: err %v, want %v", c.name, err, c.want)
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Path != path || (c.field != "" && e.Field != c.field) {
			t.Errorf("%s: %v does not name the file and field %q", c.name, err, c.field)
		}
	}
	// data shorter than the header's shape: 2·3·4 float32 = 96 bytes, give 90.
	short := npyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4), }", 64, data[:90])
	path := writeFile(t, "s.npy", short)
	_, err := OpenNPY(path, NPYOptions{})
	var se *ShortFileError
	if !errors.As(err, &se) || se.Missing() != 6 {
		t.Errorf("short data: %v", err)
	}
	if _, err := OpenNPY(filepath.Join(t.TempDir(), "none.npy"), NPYOptions{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing: %v", err)
	}
}

// FuzzOpenNPY feeds arbitrary bytes as an .npy file: opening must fail with an error
// or succeed, and a successful dataset must deliver every frame.
func FuzzOpenNPY(f *testing.F) {
	f.Add(npyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4), }", 64, make([]byte, 96)))
	f.Add(npyBytes(2, "{'descr': '>u2', 'fortran_order': False, 'shape': (3, 1, 2), }", 16, make([]byte, 12)))
	f.Add(npyBytes(1, "{'descr': '<c8', 'fortran_order': False, 'shape': (1, 1, 1, 1), }", 5, make([]byte, 8)))
	f.Add([]byte("\x93NUMPY\x01\x00\x00\x00"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(dir, "f.npy")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		ds, err := OpenNPY(path, NPYOptions{})
		if err != nil {
			var e *Error
			var se *ShortFileError
			if !errors.As(err, &e) && !errors.As(err, &se) {
				t.Fatalf("untyped error %T %v", err, err)
			}
			return
		}
		defer ds.Close()
		if ds.Shape().Size() > 1<<16 {
			return
		}
		sch, err := NewTilingScheme(append([]int{3}, ds.Shape().Sig()...), ds.Shape().Sig(), MethodTile)
		if err != nil {
			t.Fatal(err)
		}
		frames := 0
		for _, p := range Partitions(ds, 2) {
			err := ds.ReadTiles(t.Context(), p, TileRequest{Scheme: sch, DType: array.Float64}, func(tl *Tile) error {
				frames += tl.Slice.Shape.Dim(0)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if frames != ds.Shape().NavSize() {
			t.Fatalf("%d frames delivered, want %d", frames, ds.Shape().NavSize())
		}
	})
}

// TestTruncatedAfterOpen: a file cut short after Open gives a *ReadError wrapping a
// *TruncatedError with the old and new size, for pread and for mmap (where the fault on
// the mapping becomes the error), never a panic or a crash.
func TestTruncatedAfterOpen(t *testing.T) {
	const n = 64
	frame := 4096 // one page per frame
	for _, io := range []string{IORead, IOMmap} {
		path := writeFile(t, "t.raw", make([]byte, n*frame))
		ds, err := OpenRaw(path, RawOptions{NavShape: []int{n}, SigShape: []int{frame}, DType: "u1", IO: io})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(path, 0); err != nil {
			t.Fatal(err)
		}
		sch, _ := NewTilingScheme([]int{8, frame}, []int{frame}, MethodTile)
		p := Partitions(ds, 1)[0]
		var sum float64
		err = ds.ReadTiles(t.Context(), p, TileRequest{Scheme: sch, DType: array.Float32}, func(tl *Tile) error {
			for _, v := range tl.Data.(*array.Dense[float32]).Data() {
				sum += float64(v)
			}
			return nil
		})
		if ioKind != IOMmap && io == IOMmap {
			continue // no mapping on this platform: the data was read at open
		}
		var re *ReadError
		var te *TruncatedError
		if !errors.Is(err, ErrTruncated) || !errors.As(err, &re) || !errors.As(err, &te) {
			t.Fatalf("%s: err %v, want a *ReadError wrapping ErrTruncated", io, err)
		}
		if re.Path != path || re.Partition != 0 || re.First != 0 || re.Stop != 8 || te.OldSize != n*int64(frame) || te.NewSize != 0 {
			t.Errorf("%s: %+v %+v, want path %s partition 0 frames [0, 8) sizes %d -> 0", io, re, te, path, n*frame)
		}
		if !IsDatasetError(err) {
			t.Errorf("%s: IsDatasetError false for %v", io, err)
		}
		want := fmt.Sprintf("dataset %s: partition 0, frames [0, 8): file shrank from %d to 0 bytes while open", path, n*frame)
		if !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: message %q, want prefix %q", io, err, want)
		}
		if err := ds.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestTruncatedDuringRead: a file shrinking while a run reads it (truncated from inside
// the tile callback) is reported with the partition and frames of the tile that faulted,
// both when the callback reads the mapping (zero-copy) and when the reader decodes it;
// other partitions before it were read fine. A panic that is not a fault on the mapping
// reaches the caller unchanged.
func TestTruncatedDuringRead(t *testing.T) {
	if ioKind != IOMmap {
		t.Skip("no memory mapping on this platform")
	}
	const n, frame = 64, 4096 // frames of one page
	cases := []struct {
		name  string
		dtype array.DType
		io    string
	}{
		{"zero-copy in callback", array.Uint8, IOMmap},
		{"decoded by reader", array.Float32, IOMmap},
		{"pread", array.Float32, IORead},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeFile(t, "t.raw", make([]byte, n*frame))
			ds, err := OpenRaw(path, RawOptions{NavShape: []int{n}, SigShape: []int{frame}, DType: "u1", IO: c.io})
			if err != nil {
				t.Fatal(err)
			}
			defer ds.Close()
			sch, _ := NewTilingScheme([]int{4, frame}, []int{frame}, MethodTile)
			parts := Partitions(ds, 2) // [0, 32), [32, 64)
			read := func(p Partition, fn func(tl *Tile) error) error {
				return ds.ReadTiles(t.Context(), p, TileRequest{Scheme: sch, DType: c.dtype}, fn)
			}
			touch := func(tl *Tile) float64 {
				var s float64
				switch a := tl.Data.(type) {
				case *array.Dense[uint8]:
					for _, v := range a.Data() {
						s += float64(v)
					}
				case *array.Dense[float32]:
					for _, v := range a.Data() {
						s += float64(v)
					}
				}
				return s
			}
			if err := read(parts[0], func(tl *Tile) error { touch(tl); return nil }); err != nil {
				t.Fatal(err)
			}
			tiles := 0
			var sum float64
			err = read(parts[1], func(tl *Tile) error {
				tiles++
				if tiles == 2 { // keep 40 frames: tiles from frame 40 on lie past the end
					if err := os.Truncate(path, 40*frame); err != nil {
						t.Fatal(err)
					}
				}
				sum += touch(tl)
				return nil
			})
			if sum != 0 {
				t.Errorf("sum %v of zeros", sum)
			}
			var re *ReadError
			var te *TruncatedError
			if !errors.As(err, &re) || !errors.As(err, &te) {
				t.Fatalf("err %v, want *ReadError wrapping *TruncatedError", err)
			}
			if re.Partition != 1 || re.First != 40 || re.Stop != 44 || te.OldSize != n*frame || te.NewSize != 40*frame {
				t.Errorf("got partition %d frames [%d, %d) sizes %d -> %d, want 1 [40, 44) %d -> %d",
					re.Partition, re.First, re.Stop, te.OldSize, te.NewSize, n*frame, 40*frame)
			}
		})
	}
	t.Run("other panics pass", func(t *testing.T) {
		path := writeFile(t, "t.raw", make([]byte, 8*frame))
		ds, err := OpenRaw(path, RawOptions{NavShape: []int{8}, SigShape: []int{frame}, DType: "u1"})
		if err != nil {
			t.Fatal(err)
		}
		defer ds.Close()
		sch, _ := NewTilingScheme([]int{4, frame}, []int{frame}, MethodTile)
		var got any
		func() {
			defer func() { got = recover() }()
			_ = ds.ReadTiles(t.Context(), Partitions(ds, 1)[0], TileRequest{Scheme: sch}, func(tl *Tile) error {
				var p *int
				return fmt.Errorf("%d", *p) // nil dereference: not an address in the mapping
			})
		}()
		if e, ok := got.(error); !ok || !strings.Contains(e.Error(), "nil pointer dereference") {
			t.Errorf("recovered %v, want the callback's nil dereference", got)
		}
	})
}

// FuzzOpenRaw: arbitrary options and file lengths give a dataset that delivers every
// in-file frame exactly once, or a typed error — never a panic.
func FuzzOpenRaw(f *testing.F) {
	f.Add("<u2", 4, 3, 5, 2, 0, 120, false)
	f.Add(">f8", 2, 2, 2, 2, -1, 64, true)
	f.Add("S3", 1, 1, 1, 1, 0, 3, false)
	f.Add("u1", 0, 1, 1, 1, 0, 0, false)
	f.Add("<f4", 100000000, 100000000, 16, 16, 0, 1024, false)
	f.Add("u1", math.MaxInt, 2, 1, 1, 0, 16, false)
	f.Add("u1", 2, 2, 1<<32, 1<<32, 0, 16, true)
	f.Add("<u2", 1<<31, 1<<31, 1<<31, 1<<31, 0, 16, false)
	f.Add("<u2", 3, -1<<62, 2, 2, 0, 16, false)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, dtype string, ny, nx, sy, sx, sync, length int, pread bool) {
		// any extents, huge and negative included: what fits the file is read, the rest
		// is a typed error (never an overflow, a panic or a huge allocation)
		if length < 0 || length > 1<<16 {
			return
		}
		path := filepath.Join(dir, "f.raw")
		if err := os.WriteFile(path, make([]byte, length), 0o644); err != nil {
			t.Fatal(err)
		}
		io := IOMmap
		if pread {
			io = IORead
		}
		ds, err := OpenRaw(path, RawOptions{NavShape: []int{ny, nx}, SigShape: []int{sy, sx}, DType: dtype, SyncOffset: sync, IO: io})
		if err != nil {
			var e *Error
			var se *ShortFileError
			if !errors.As(err, &e) && !errors.As(err, &se) {
				t.Fatalf("untyped error %T %v", err, err)
			}
			return
		}
		defer ds.Close()
		if need := ny * nx * sy * sx; need > length {
			t.Fatalf("opened %v×%v×%v×%v from %d bytes", ny, nx, sy, sx, length)
		}
		sch, err := NewTilingScheme([]int{3, min(sy, 2), sx}, []int{sy, sx}, MethodTile)
		if err != nil {
			t.Fatal(err)
		}
		seen := make([]int, ny*nx)
		for _, p := range Partitions(ds, 3) {
			err := ds.ReadTiles(t.Context(), p, TileRequest{Scheme: sch, DType: array.Float32}, func(tl *Tile) error {
				if tl.SchemeIdx == 0 {
					for j := range tl.Slice.Shape.Dim(0) {
						seen[tl.Slice.Origin[0]+j]++
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		for i, c := range seen {
			in := i+sync >= 0 && i+sync < ds.ImageCount()
			if (in && c != 1) || (!in && c != 0) {
				t.Fatalf("nav position %d delivered %d times (stored frame %d of %d)", i, c, i+sync, ds.ImageCount())
			}
		}
	})
}

// TestOversizedShapes: extents whose products overflow 64 bits (elements or bytes) are
// refused with ErrShape naming the field, never wrapped into a small size, a division
// by zero or a panic in array.NewShape (raw, npy overrides, pread and mmap).
func TestOversizedShapes(t *testing.T) {
	raw := writeFile(t, "r.raw", make([]byte, 4096))
	npy := writeFile(t, "n.npy", npyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4, 4, 8, 8), }", 64, make([]byte, 4096)))
	cases := []struct {
		name string
		open func() error
	}{
		{"raw nav 1e8×1e8", func() error {
			_, err := OpenRaw(raw, RawOptions{NavShape: []int{100000000, 100000000}, SigShape: []int{16, 16}, DType: "f4"})
			return err
		}},
		{"raw nav maxint×2", func() error {
			_, err := OpenRaw(raw, RawOptions{NavShape: []int{math.MaxInt, 2}, SigShape: []int{4, 4}, DType: "u1"})
			return err
		}},
		{"raw sig 2^32×2^32", func() error {
			_, err := OpenRaw(raw, RawOptions{NavShape: []int{1}, SigShape: []int{1 << 32, 1 << 32}, DType: "u1", IO: IORead})
			return err
		}},
		{"raw bytes overflow", func() error {
			_, err := OpenRaw(raw, RawOptions{NavShape: []int{1 << 31}, SigShape: []int{1 << 31}, DType: "f8"})
			return err
		}},
		{"npy nav maxint×2", func() error {
			_, err := OpenNPY(npy, NPYOptions{NavShape: []int{math.MaxInt, 2}})
			return err
		}},
		{"npy sig overflow", func() error {
			_, err := OpenNPY(npy, NPYOptions{SigShape: []int{1 << 32, 1 << 32}})
			return err
		}},
	}
	for _, c := range cases {
		err := c.open()
		var e *Error
		if !errors.Is(err, ErrShape) || !errors.As(err, &e) || (e.Field != "nav_shape" && e.Field != "sig_shape") {
			t.Errorf("%s: %v, want ErrShape on nav_shape or sig_shape", c.name, err)
		}
	}
}
