package dataset

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stemflow/stemflow/array"
)

// csrSource is a dense test dataset and its CSR triple, built by direct loops.
type csrSource struct {
	nav, sig []int
	frames   int
	px       int
	dense    []int32 // frames × px
	indptr   []int64
	indices  []int64
	values   []int32
}

// makeCSRSource returns random sparse int32 frames: about 10 % of the pixels set to
// small values, plus two large outliers, like the reference's test data.
func makeCSRSource(seed uint64, nav, sig []int) *csrSource {
	rng := rand.New(rand.NewPCG(seed, 99))
	s := &csrSource{nav: nav, sig: sig, frames: prodInts(nav), px: prodInts(sig)}
	s.dense = make([]int32, s.frames*s.px)
	for i := range s.dense {
		if rng.IntN(10) == 0 {
			s.dense[i] = int32(1 + rng.IntN(4))
		}
	}
	s.dense[rng.IntN(len(s.dense))] = 100000
	s.dense[rng.IntN(len(s.dense))] = -70000
	s.compress()
	return s
}

// compress builds the CSR triple of s.dense by direct loops.
func (s *csrSource) compress() {
	s.indptr, s.indices, s.values = []int64{0}, nil, nil
	for f := 0; f < s.frames; f++ {
		for p := 0; p < s.px; p++ {
			if v := s.dense[f*s.px+p]; v != 0 {
				s.indices = append(s.indices, int64(p))
				s.values = append(s.values, v)
			}
		}
		s.indptr = append(s.indptr, int64(len(s.indices)))
	}
}

// encodeInts writes integers in the given numpy dtype string ("<i4", ">u8", ...).
func encodeInts(t testing.TB, vals []int64, dtype string) []byte {
	dt, order, err := array.ParseDType(dtype)
	if err != nil {
		t.Fatal(err)
	}
	if order == nil {
		order = binary.LittleEndian
	}
	sz := dt.ItemSize()
	out := make([]byte, len(vals)*sz)
	for i, v := range vals {
		b := out[i*sz:]
		switch sz {
		case 1:
			b[0] = byte(v)
		case 2:
			order.PutUint16(b, uint16(v))
		case 4:
			order.PutUint32(b, uint32(v))
		case 8:
			order.PutUint64(b, uint64(v))
		}
	}
	return out
}

func encodeValues(t testing.TB, vals []int32, dtype string) []byte {
	switch dtype {
	case "<f4", ">f4":
		var order binary.ByteOrder = binary.LittleEndian
		if dtype[0] == '>' {
			order = binary.BigEndian
		}
		out := make([]byte, 4*len(vals))
		for i, v := range vals {
			order.PutUint32(out[4*i:], math.Float32bits(float32(v)))
		}
		return out
	}
	wide := make([]int64, len(vals))
	for i, v := range vals {
		wide[i] = int64(v)
	}
	return encodeInts(t, wide, dtype)
}

type csrLayout struct {
	indptr, indices, data string // dtype strings
	filetype, section     string // defaults raw_csr
}

// writeRawCSR writes the triple and a descriptor into dir and returns the TOML path.
func writeRawCSR(t testing.TB, dir string, s *csrSource, l csrLayout) string {
	if l.filetype == "" {
		l.filetype = "raw_csr"
	}
	if l.section == "" {
		l.section = l.filetype
	}
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "sub"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "sub", "indptr.raw"), encodeInts(t, s.indptr, l.indptr), 0o644))
	must(os.WriteFile(filepath.Join(dir, "sub", "coords.raw"), encodeInts(t, s.indices, l.indices), 0o644))
	must(os.WriteFile(filepath.Join(dir, "sub", "values.raw"), encodeValues(t, s.values, l.data), 0o644))
	desc := fmt.Sprintf(`[params]
filetype = %q
nav_shape = %s
sig_shape = %s

[%s]
indptr_file = "sub/indptr.raw"
indptr_dtype = %q
indices_file = "sub/coords.raw"
indices_dtype = %q
data_file = "sub/values.raw"
data_dtype = %q
`, l.filetype, tomlInts(s.nav), tomlInts(s.sig), l.section, l.indptr, l.indices, l.data)
	p := filepath.Join(dir, "sparse.toml")
	must(os.WriteFile(p, []byte(desc), 0o644))
	return p
}

func tomlInts(v []int) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = fmt.Sprint(x)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// readAllCSR reads every tile of every partition of ds as CSR tiles of dtype T, densifies
// them and scatters them by tile slice into a (count, px) array, where count is the
// number of (ROI-compressed) frames. It also checks tile invariants.
func readAllCSR[T array.SparseValue](t *testing.T, ds Dataset, nparts, depth int, roi []bool) ([]T, int) {
	t.Helper()
	sig := ds.Shape().Sig()
	px := prodInts(sig)
	count := ds.Shape().NavSize()
	if roi != nil {
		count = countTrue(roi)
	}
	out := make([]T, count*px)
	seen := make([]int, count)
	scheme, err := NewTilingScheme(append([]int{depth}, sig...), sig, MethodTile)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range Partitions(ds, nparts) {
		err := ds.ReadTiles(context.Background(), p, TileRequest{Scheme: scheme, ROI: roi, DType: array.DTypeOf[T](), Format: array.FormatCSR}, func(tile *Tile) error {
			m, ok := tile.Data.(*array.CSR[T, int32])
			if !ok {
				return fmt.Errorf("tile data is %T", tile.Data)
			}
			if err := m.Validate(); err != nil {
				return err
			}
			n := tile.Slice.Shape.Dim(0)
			if m.Rows != n || m.Cols != px || n > depth || tile.SchemeIdx != 0 {
				return fmt.Errorf("tile %v: CSR %d×%d, depth %d", tile.Slice, m.Rows, m.Cols, depth)
			}
			if !slices.Equal(tile.Slice.Shape.Dims()[1:], sig) || tile.Slice.Shape.SigDims() != len(sig) {
				return fmt.Errorf("tile slice %v does not cover the whole frame", tile.Slice)
			}
			o := tile.Slice.Origin[0]
			if err := m.DensifyRaw(out[o*px : (o+n)*px]); err != nil {
				return err
			}
			for j := o; j < o+n; j++ {
				seen[j]++
			}
			return nil
		})
		if err != nil {
			t.Fatalf("%v: %v", p, err)
		}
	}
	return out, count
}

func TestScenario30_RawCSR(t *testing.T) {
	src := makeCSRSource(30, []int{13, 17}, []int{24, 19})
	layouts := map[string]csrLayout{
		"native":        {indptr: "<i4", indices: "<i4", data: "<i4"},
		"big-endian":    {indptr: ">i4", indices: ">i4", data: ">i4"},
		"uint64 indptr": {indptr: "<u8", indices: "<i4", data: "<i4"},
		"float data":    {indptr: "<i8", indices: "<u2", data: ">f4"},
	}
	for name, l := range layouts {
		t.Run(name, func(t *testing.T) {
			path := writeRawCSR(t, t.TempDir(), src, l)
			ds, err := Open("", path, OpenOptions{}) // auto-detected by .toml
			if err != nil {
				t.Fatal(err)
			}
			defer ds.Close()
			if got := ds.Shape().Dims(); !slices.Equal(got, []int{13, 17, 24, 19}) {
				t.Fatalf("shape %v", got)
			}
			if ds.ImageCount() != 13*17 || !slices.Equal(ds.Formats(), []array.Format{array.FormatCSR}) {
				t.Fatalf("image count %d formats %v", ds.ImageCount(), ds.Formats())
			}
			// Every tile, as float32 and as int32, densified, equals the source.
			for _, depth := range []int{1, 7, 300} {
				got, _ := readAllCSR[float32](t, ds, 4, depth, nil)
				for i, v := range got {
					if v != float32(src.dense[i]) {
						t.Fatalf("depth %d float32: element %d = %v, want %v", depth, i, v, src.dense[i])
					}
				}
			}
			gotI, _ := readAllCSR[int32](t, ds, 3, 11, nil)
			if !slices.Equal(gotI, src.dense) {
				t.Fatal("int32 tiles differ from the source")
			}
			// Random ROI: compressed frames = the selected source frames.
			rng := rand.New(rand.NewPCG(7, 30))
			roi := make([]bool, src.frames)
			var want []int32
			for i := range roi {
				roi[i] = rng.IntN(2) == 0
				if roi[i] {
					want = append(want, src.dense[i*src.px:(i+1)*src.px]...)
				}
			}
			gotR, count := readAllCSR[int32](t, ds, 5, 6, roi)
			if count != countTrue(roi) || !slices.Equal(gotR, want) {
				t.Fatal("ROI tiles differ from the selected source frames")
			}
			// Sums over the densified tiles equal the source sums (SumUDF / SumSigUDF).
			sum0 := make([]float64, src.px)
			sum1 := make([]float64, src.frames)
			for f := 0; f < src.frames; f++ {
				for p := 0; p < src.px; p++ {
					sum0[p] += float64(src.dense[f*src.px+p])
					sum1[f] += float64(src.dense[f*src.px+p])
				}
			}
			got64, _ := readAllCSR[float64](t, ds, 2, 32, nil)
			m, _ := array.CSRFromDense[float64, int32](array.Wrap(got64, src.frames, src.px))
			if !slices.Equal(m.SumAxis0(nil), sum0) || !slices.Equal(m.SumAxis1(nil), sum1) {
				t.Fatal("sums differ")
			}
		})
	}
	t.Run("num_partitions", func(t *testing.T) {
		path := writeRawCSR(t, t.TempDir(), src, layouts["native"])
		ds, err := Open("raw_csr", path, OpenOptions{NumPartitions: 129})
		if err != nil {
			t.Fatal(err)
		}
		defer ds.Close()
		n := NumPartitions(ds, 2, 0)
		if parts := Partitions(ds, n); n != 129 || len(parts) != 129 {
			t.Fatalf("num_partitions=129 gives %d / %d partitions", n, len(parts))
		}
		got, _ := readAllCSR[int32](t, ds, 129, 4, nil)
		if !slices.Equal(got, src.dense) {
			t.Fatal("tiles of 129 partitions differ")
		}
	})
}

func TestRawCSRShapeOverridesAndSyncOffset(t *testing.T) {
	src := makeCSRSource(5, []int{6, 5}, []int{4, 3})
	path := writeRawCSR(t, t.TempDir(), src, csrLayout{indptr: "<i4", indices: "<i4", data: "<f4"})
	// Flat nav and sig: same frames.
	ds, err := OpenRawCSR(path, RawCSROptions{NavShape: []int{30}, SigShape: []int{12}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ds.Shape().Dims(), []int{30, 12}) || ds.Shape().SigDims() != 1 {
		t.Fatalf("shape %v", ds.Shape())
	}
	got, _ := readAllCSR[int32](t, ds, 2, 4, nil)
	if !slices.Equal(got, src.dense) {
		t.Fatal("flat overrides change the data")
	}
	// Other tile dtypes from float32 storage (element-wise conversion).
	got64, _ := readAllCSR[int64](t, ds, 2, 4, nil)
	gotC, _ := readAllCSR[complex64](t, ds, 1, 30, nil)
	for i, v := range src.dense {
		if got64[i] != int64(v) || gotC[i] != complex(float32(v), 0) {
			t.Fatalf("element %d: int64 %v complex64 %v, want %v", i, got64[i], gotC[i], v)
		}
	}
	ds.Close()
	// Sync offsets: nav position i shows stored frame i+k; others stay empty.
	for _, k := range []int{3, -4, 29, -29} {
		ds, err := OpenRawCSR(path, RawCSROptions{SyncOffset: k})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := readAllCSR[int32](t, ds, 3, 4, nil)
		for i := 0; i < 30; i++ {
			for p := 0; p < 12; p++ {
				var want int32
				if f := i + k; f >= 0 && f < 30 {
					want = src.dense[f*12+p]
				}
				if got[i*12+p] != want {
					t.Fatalf("k=%d: nav %d px %d = %v, want %v", k, i, p, got[i*12+p], want)
				}
			}
		}
		ds.Close()
	}
	// A nav prefix.
	ds, err = OpenRawCSR(path, RawCSROptions{NavShape: []int{2, 5}})
	if err != nil {
		t.Fatal(err)
	}
	got, _ = readAllCSR[int32](t, ds, 1, 3, nil)
	if !slices.Equal(got, src.dense[:10*12]) {
		t.Fatal("nav prefix differs")
	}
	if ds.MaxIOSize() != RawCSRMaxIOSize || !ds.NeedDecode(array.Float32, nil) {
		t.Fatal("I/O size or decode flag")
	}
	if ts := ds.AdjustTileShape([]int{8, 2, 3}, nil); !slices.Equal(ts, []int{8, 4, 3}) {
		t.Fatalf("AdjustTileShape %v", ts)
	}
	if bs := ds.BaseShape(); !slices.Equal(bs, []int{1, 4, 3}) {
		t.Fatalf("BaseShape %v", bs)
	}
	if info := ds.Info(); info.Format != "raw_csr" || info.DType != array.Float32 || info.Bytes != int64(31*4+2*4*len(src.values)) {
		t.Fatalf("Info %+v", info)
	}
	ds.Close()
	scheme, _ := NewTilingScheme([]int{2, 4, 3}, []int{4, 3}, MethodTile)
	err = ds.ReadTiles(context.Background(), Partitions(ds, 1)[0], TileRequest{Scheme: scheme, Format: array.FormatCSR}, func(*Tile) error { return nil })
	if !errors.Is(err, ErrClosed) {
		t.Fatalf("read after close: %v", err)
	}
}

func TestRawCSRReadErrors(t *testing.T) {
	src := makeCSRSource(6, []int{4}, []int{4, 4})
	path := writeRawCSR(t, t.TempDir(), src, csrLayout{indptr: "<i4", indices: "<i4", data: "<i4"})
	ds, err := OpenRawCSR(path, RawCSROptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	p := Partitions(ds, 1)[0]
	full, _ := NewTilingScheme([]int{2, 4, 4}, []int{4, 4}, MethodTile)
	boxes, _ := NewTilingScheme([]int{2, 2, 4}, []int{4, 4}, MethodTile)
	noop := func(*Tile) error { return nil }
	cases := map[string]struct {
		req  TileRequest
		want error
	}{
		"dense format": {TileRequest{Scheme: full, Format: array.FormatDense}, ErrArrayFormat},
		"sig boxes":    {TileRequest{Scheme: boxes, Format: array.FormatCSR}, ErrTiling},
		"bool dtype":   {TileRequest{Scheme: full, Format: array.FormatCSR, DType: array.Bool}, ErrDType},
		"roi length":   {TileRequest{Scheme: full, Format: array.FormatCSR, ROI: make([]bool, 3)}, ErrROI},
	}
	for name, tc := range cases {
		if err := ds.ReadTiles(context.Background(), p, tc.req, noop); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	// Callback errors and cancellation stop the iteration.
	stop := errors.New("stop")
	n := 0
	err = ds.ReadTiles(context.Background(), p, TileRequest{Scheme: full, Format: array.FormatCSR}, func(*Tile) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("callback error: %v after %d tiles", err, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := ds.ReadTiles(ctx, p, TileRequest{Scheme: full, Format: array.FormatCSR}, noop); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestRawCSRSteadyStateAllocs(t *testing.T) {
	if rawCSRRace {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	src := makeCSRSource(8, []int{64}, []int{16, 16})
	path := writeRawCSR(t, t.TempDir(), src, csrLayout{indptr: "<i8", indices: "<i4", data: "<u2"})
	ds, err := OpenRawCSR(path, RawCSROptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	p := Partitions(ds, 1)[0]
	one, _ := NewTilingScheme([]int{1, 16, 16}, []int{16, 16}, MethodTile)
	all, _ := NewTilingScheme([]int{64, 16, 16}, []int{16, 16}, MethodTile)
	roi := make([]bool, 64)
	for i := range roi {
		roi[i] = i%3 != 0
	}
	var sum float32
	allocs := func(scheme TilingScheme, r []bool) float64 {
		req := TileRequest{Scheme: scheme, Format: array.FormatCSR, DType: array.Float32, ROI: r}
		read := func() {
			_ = ds.ReadTiles(context.Background(), p, req, func(tile *Tile) error {
				sum += tile.Data.(*array.CSR[float32, int32]).Sum()
				return nil
			})
		}
		read()
		return testing.AllocsPerRun(10, read)
	}
	for _, r := range [][]bool{nil, roi} {
		// 64 (or 42) one-frame tiles cost no more allocations than one big tile: the
		// per-call overhead is constant and the per-tile cost zero.
		if a1, a64 := allocs(one, r), allocs(all, r); a1 != a64 || a1 > 8 {
			t.Errorf("ROI %v: %v allocations per call with 1-frame tiles, %v with one tile", r != nil, a1, a64)
		}
	}
}

func TestRawCSROpenErrors(t *testing.T) {
	src := makeCSRSource(9, []int{3}, []int{2, 2})
	src.dense[len(src.dense)-1] = 5 // the last frame has an entry
	src.compress()
	good := csrLayout{indptr: "<i4", indices: "<i4", data: "<f4"}
	type mut func(t *testing.T, dir, toml string)
	rewrite := func(old, new string) mut {
		return func(t *testing.T, dir, p string) {
			b, _ := os.ReadFile(p)
			if !strings.Contains(string(b), old) {
				t.Fatalf("descriptor lacks %q", old)
			}
			_ = os.WriteFile(p, []byte(strings.Replace(string(b), old, new, 1)), 0o644)
		}
	}
	file := func(name string, b []byte) mut {
		return func(t *testing.T, dir, p string) {
			_ = os.WriteFile(filepath.Join(dir, "sub", name), b, 0o644)
		}
	}
	// noFrames stores zero frames: indptr [0] and no entries.
	noFrames := func(t *testing.T, dir, p string) {
		file("indptr.raw", encodeInts(t, []int64{0}, "<i4"))(t, dir, p)
		file("coords.raw", nil)(t, dir, p)
		file("values.raw", nil)(t, dir, p)
	}
	tests := []struct {
		name   string
		layout csrLayout
		mutate mut
		opts   RawCSROptions
		want   error
		field  string
	}{
		{"toml syntax", good, rewrite("[params]", "[params"), RawCSROptions{}, ErrHeader, "toml"},
		{"no params", good, rewrite("[params]", "[parms]"), RawCSROptions{}, ErrHeader, "params"},
		{"other filetype", good, rewrite(`filetype = "raw_csr"`, `filetype = "raw"`), RawCSROptions{}, ErrFormat, "params.filetype"},
		{"section under exact filetype", csrLayout{indptr: "<i4", indices: "<i4", data: "<f4", filetype: "RAW_CSR", section: "raw_csr"}, nil, RawCSROptions{}, ErrHeader, "RAW_CSR"},
		{"nav_shape not ints", good, rewrite("nav_shape = [3]", `nav_shape = ["a"]`), RawCSROptions{}, ErrHeader, "params.nav_shape"},
		{"nav_shape zero", good, rewrite("nav_shape = [3]", "nav_shape = [0]"), RawCSROptions{}, ErrShape, "params.nav_shape"},
		{"missing data_file", good, rewrite(`data_file = "sub/values.raw"`, ""), RawCSROptions{}, ErrHeader, "raw_csr.data_file"},
		{"bad dtype", good, rewrite(`data_dtype = "<f4"`, `data_dtype = "<f2"`), RawCSROptions{}, ErrDType, "raw_csr.data_dtype"},
		{"float indices", good, rewrite(`indices_dtype = "<i4"`, `indices_dtype = "<f4"`), RawCSROptions{}, ErrDType, "raw_csr.indices_dtype"},
		{"missing file", good, rewrite(`"sub/coords.raw"`, `"sub/nope.raw"`), RawCSROptions{}, ErrNotFound, "path"},
		{"indices vs data", good, file("coords.raw", encodeInts(t, []int64{0, 1}, "<i4")), RawCSROptions{}, ErrCSRData, "raw_csr.indices_file"},
		{"ragged data", good, file("values.raw", []byte{1, 2, 3}), RawCSROptions{}, ErrCSRData, "raw_csr.data_file"},
		{"indptr decreasing", good, file("indptr.raw", encodeInts(t, []int64{0, 2, 1, 1}, "<i4")), RawCSROptions{}, ErrCSRData, "raw_csr.indptr_file"},
		{"indptr beyond", good, file("indptr.raw", encodeInts(t, append(src.indptr[:3:3], 1000), "<i4")), RawCSROptions{}, ErrCSRData, "raw_csr.indptr_file"},
		{"strict: indptr short end", good, file("indptr.raw", encodeInts(t, append(src.indptr[:3:3], src.indptr[2]), "<i4")), RawCSROptions{Strict: true}, ErrCSRData, "raw_csr.indptr_file"},
		{"strict: index range", good, file("coords.raw", encodeInts(t, append(slices.Clone(src.indices[:len(src.indices)-1]), 4), "<i4")), RawCSROptions{Strict: true}, ErrCSRData, "raw_csr.indices_file"},
		{"sig override size", good, nil, RawCSROptions{SigShape: []int{5}}, ErrSigSize, "sig_shape"},
		{"sync offset", good, nil, RawCSROptions{SyncOffset: 3}, ErrSyncOffset, "sync_offset"},
		{"negative partitions", good, nil, RawCSROptions{NumPartitions: -1}, ErrOption, "num_partitions"},
		{"sync offset, no stored frames", good, noFrames, RawCSROptions{SyncOffset: 1}, ErrSyncOffset, "sync_offset"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := writeRawCSR(t, dir, src, tc.layout)
			if tc.mutate != nil {
				tc.mutate(t, dir, p)
			}
			ds, err := OpenRawCSR(p, tc.opts)
			if err == nil {
				ds.Close()
				t.Fatal("no error")
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			var de *Error
			if !errors.As(err, &de) || de.Field != tc.field || de.Path == "" {
				t.Fatalf("err = %#v, want an *Error with field %q and a path", err, tc.field)
			}
		})
	}
	// The non-strict open accepts what only strict mode rejects.
	dir := t.TempDir()
	p := writeRawCSR(t, dir, src, good)
	_ = os.WriteFile(filepath.Join(dir, "sub", "indptr.raw"), encodeInts(t, append(src.indptr[:3:3], src.indptr[2]), "<i4"), 0o644)
	ds, err := OpenRawCSR(p, RawCSROptions{})
	if err != nil {
		t.Fatalf("non-strict open: %v", err)
	}
	ds.Close()
	// Zero stored frames cannot fill any nav_shape: an error naming the descriptor's
	// nav_shape and the indptr file (it used to open as all-blank frames).
	dir = t.TempDir()
	p = writeRawCSR(t, dir, src, good)
	noFrames(t, dir, p)
	if ds, err := OpenRawCSR(p, RawCSROptions{}); err == nil {
		ds.Close()
		t.Fatal("no stored frames: opened")
	} else if de := (*Error)(nil); !errors.Is(err, ErrShape) || !errors.As(err, &de) || de.Field != "params.nav_shape" || !strings.Contains(err.Error(), "holds 0 frames") {
		t.Fatalf("no stored frames: %v, want ErrShape on params.nav_shape", err)
	}
	// An upper-case filetype with its exactly named section is accepted.
	p = writeRawCSR(t, t.TempDir(), src, csrLayout{indptr: "<i4", indices: "<i4", data: "<f4", filetype: "RAW_CSR"})
	if ds, err := OpenRawCSR(p, RawCSROptions{}); err != nil {
		t.Fatalf("RAW_CSR filetype: %v", err)
	} else {
		ds.Close()
	}
}

func TestRawCSRDetect(t *testing.T) {
	src := makeCSRSource(10, []int{2}, []int{3})
	dir := t.TempDir()
	p := writeRawCSR(t, dir, src, csrLayout{indptr: "<i4", indices: "<i4", data: "<f4"})
	other := filepath.Join(dir, "descriptor.txt")
	b, _ := os.ReadFile(p)
	_ = os.WriteFile(other, b, 0o644)
	if name, err := DetectFormat(other); err != nil || name != "raw_csr" {
		t.Fatalf("detect .txt descriptor: %q, %v", name, err)
	}
	junk := filepath.Join(dir, "junk.txt")
	_ = os.WriteFile(junk, []byte("stuff,in,here"), 0o644)
	if detectRawCSR(junk) || detectRawCSR(filepath.Join(dir, "sub", "values.raw")) || detectRawCSR(dir) {
		t.Fatal("detected a non-descriptor")
	}
	if name, err := DetectFormat(p); err != nil || name != "raw_csr" {
		t.Fatalf("detect .toml: %q, %v", name, err)
	}
}

// FuzzRawCSRDescriptor feeds arbitrary descriptor text and file contents through the
// parser and the validation: errors must be typed, never panics; accepted strict
// triples must form valid CSR matrices.
func FuzzRawCSRDescriptor(f *testing.F) {
	f.Add("[params]\nfiletype = \"raw_csr\"\nnav_shape = [2]\nsig_shape = [3]\n[raw_csr]\nindptr_file = \"a\"\nindptr_dtype = \"<i4\"\nindices_file = \"b\"\nindices_dtype = \"<i4\"\ndata_file = \"c\"\ndata_dtype = \"<f4\"\n",
		[]byte{0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0}, []byte{2, 0, 0, 0, 0, 0, 0, 0}, []byte{0, 0, 128, 63, 0, 0, 0, 64})
	f.Add("[params]\nfiletype = \"RAW_CSR\"\nnav_shape = [1]\nsig_shape = [2, 2]\n[RAW_CSR]\nindptr_file = \"/x\"\nindptr_dtype = \">u8\"\nindices_file = \"y\"\nindices_dtype = \"|u1\"\ndata_file = \"z\"\ndata_dtype = \">c8\"\n",
		make([]byte, 16), []byte{}, []byte{})
	f.Add("[params\n", []byte{}, []byte{}, []byte{})
	f.Fuzz(func(t *testing.T, desc string, ptr, idx, dat []byte) {
		d, err := ParseRawCSRDescriptor("/fuzz/d.toml", []byte(desc))
		if err != nil {
			var de *Error
			if !errors.As(err, &de) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if prodInts(d.SigShape) > 1<<20 {
			return
		}
		for _, strict := range []bool{false, true} {
			indptr, err := validateRawCSR(d, ptr, idx, dat, strict)
			if err != nil {
				if !errors.Is(err, ErrCSRData) {
					t.Fatalf("validation error %v does not wrap ErrCSRData", err)
				}
				continue
			}
			if !strict {
				continue
			}
			ip := make([]int64, len(indptr))
			copy(ip, indptr)
			n := len(idx) / d.IndicesDType.ItemSize()
			ix := make([]int64, n)
			decoded := make([]int32, n)
			if j, v := decodeIndices(decoded, idx, d.IndicesDType, isBig(d.IndicesOrder), prodInts(d.SigShape)); j >= 0 {
				t.Fatalf("strictly validated index %d is %d", j, v)
			}
			for i, v := range decoded {
				ix[i] = int64(v)
			}
			vals := make([]float64, n)
			if _, err := array.NewCSR(len(ip)-1, prodInts(d.SigShape), ip, ix, vals); err != nil {
				t.Fatalf("strictly validated triple is not a CSR matrix: %v", err)
			}
		}
	})
}

func TestRawCSRNegotiation(t *testing.T) {
	src := makeCSRSource(31, []int{13, 17}, []int{24, 19})
	path := writeRawCSR(t, t.TempDir(), src, csrLayout{indptr: "<i4", indices: "<i4", data: "<i4"})
	ds, err := OpenRawCSR(path, RawCSROptions{MaxIOSize: 64 * 24 * 19 * 4})
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	for _, prefs := range [][]TilingPrefs{
		{{Method: MethodTile}},
		{{Method: MethodTile, Depth: 4, TotalSize: BestFit}},
		{{Method: MethodFrame}},
		{{Method: MethodPartition}},
	} {
		in := NegotiationFor(ds, prefs, array.Float32, nil, 2)
		s, err := Negotiate(in)
		if err != nil {
			t.Fatalf("%v: %v", prefs, err)
		}
		// Whole frames always; depth bounded by the partition and the I/O size.
		if !s.FullSig() || s.Depth < 1 || s.Depth > 111 {
			t.Errorf("%v: scheme %v", prefs, s)
		}
		if prefs[0].Method == MethodTile && s.Depth > 64 {
			t.Errorf("%v: depth %d exceeds the I/O size of 64 frames", prefs, s.Depth)
		}
	}
}

func TestRawCSRROIWithSyncOffset(t *testing.T) {
	src := makeCSRSource(12, []int{5, 6}, []int{3, 3})
	path := writeRawCSR(t, t.TempDir(), src, csrLayout{indptr: "<u8", indices: ">i4", data: "<i8"})
	rng := rand.New(rand.NewPCG(12, 12))
	for _, k := range []int{-7, 0, 5} {
		ds, err := OpenRawCSR(path, RawCSROptions{SyncOffset: k, Strict: true})
		if err != nil {
			t.Fatal(err)
		}
		roi := make([]bool, 30)
		var want []int32
		for i := range roi {
			roi[i] = rng.IntN(3) != 0
			if !roi[i] {
				continue
			}
			if f := i + k; f >= 0 && f < 30 {
				want = append(want, src.dense[f*9:(f+1)*9]...)
			} else {
				want = append(want, make([]int32, 9)...)
			}
		}
		got, n := readAllCSR[int32](t, ds, 4, 3, roi)
		if n != countTrue(roi) || !slices.Equal(got, want) {
			t.Fatalf("k=%d: ROI tiles differ", k)
		}
		ds.Close()
	}
}

// TestRawCSRBadIndexAtRead: a non-strict open accepts a column index >= the frame size
// (or negative); building the tile that holds it fails with a *ReadError wrapping
// ErrCSRData that names the indices file, the stored frame and the bad value — for the
// zero-copy int32 path, the decoding paths (other index dtypes) and the ROI gather path.
func TestRawCSRBadIndexAtRead(t *testing.T) {
	cases := []struct {
		name    string
		indices string
		bad     int64
		roi     bool
	}{
		{"int32 view", "<i4", 16, false},
		{"int32 view, negative", "<i4", -3, false},
		{"big-endian int32", ">i4", 808464432, false},
		{"uint16", "<u2", 17, false},
		{"int64", "<i8", 1 << 40, false},
		{"uint8", "|u1", 200, false},
		{"roi gather", "<i4", 99, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := makeCSRSource(7, []int{8}, []int{4, 4})
			// the first stored entry of frame 5 (it has entries: make sure)
			src.dense[5*16+3] = 9
			src.compress()
			e := src.indptr[5]
			src.indices[e] = c.bad
			dir := t.TempDir()
			path := writeRawCSR(t, dir, src, csrLayout{indptr: "<i8", indices: c.indices, data: "<i4"})
			if _, err := OpenRawCSR(path, RawCSROptions{Strict: true}); !errors.Is(err, ErrCSRData) {
				t.Fatalf("strict open: %v, want ErrCSRData", err)
			}
			ds, err := OpenRawCSR(path, RawCSROptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer ds.Close()
			sch, _ := NewTilingScheme([]int{2, 4, 4}, []int{4, 4}, MethodTile)
			var roi []bool
			if c.roi {
				roi = []bool{true, false, true, false, true, true, false, true}
			}
			parts := Partitions(ds, 2) // [0, 4), [4, 8)
			if err := ds.ReadTiles(t.Context(), parts[0], TileRequest{Scheme: sch, Format: array.FormatCSR, ROI: roi}, func(*Tile) error { return nil }); err != nil {
				t.Fatalf("partition 0 holds no bad index: %v", err)
			}
			tiles := 0
			err = ds.ReadTiles(t.Context(), parts[1], TileRequest{Scheme: sch, Format: array.FormatCSR, ROI: roi}, func(*Tile) error { tiles++; return nil })
			var re *ReadError
			var de *Error
			if !errors.Is(err, ErrCSRData) || !errors.As(err, &re) || !errors.As(err, &de) {
				t.Fatalf("err %v, want a *ReadError wrapping ErrCSRData", err)
			}
			idxFile := filepath.Join(dir, "sub", "coords.raw")
			if re.Path != idxFile || re.Partition != 1 || de.Field != "raw_csr.indices_file" {
				t.Errorf("%+v / %+v, want path %s partition 1", re, de, idxFile)
			}
			wantFrames := [2]int{4, 6}
			if c.roi {
				wantFrames = [2]int{4, 6} // frames 4 and 5 are selected: the first gathered tile
			}
			if re.First != wantFrames[0] || re.Stop != wantFrames[1] || tiles != 0 {
				t.Errorf("frames [%d, %d) after %d tiles, want %v after 0", re.First, re.Stop, tiles, wantFrames)
			}
			want := fmt.Sprintf("frame 5 (nav position 5): stored entry %d is %d, want 0 <= index < 16", e, c.bad)
			if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), idxFile) {
				t.Errorf("message %q lacks %q", err, want)
			}
		})
	}
}

// TestRawCSRNavLargerThanStored: a nav_shape (descriptor or override) with more positions
// than indptr describes frames is refused before anything is allocated from it, unless a
// negative sync offset inserts exactly the missing blank positions.
func TestRawCSRNavLargerThanStored(t *testing.T) {
	src := makeCSRSource(8, []int{4, 4}, []int{3, 3})
	path := writeRawCSR(t, t.TempDir(), src, csrLayout{indptr: "<i4", indices: "<i4", data: "<i4"})
	cases := []struct {
		name  string
		opts  RawCSROptions
		field string // "" = opens
	}{
		{"stored", RawCSROptions{}, ""},
		{"prefix", RawCSROptions{NavShape: []int{3, 5}}, ""},
		{"one more", RawCSROptions{NavShape: []int{17}}, "nav_shape"},
		{"huge", RawCSROptions{NavShape: []int{100000, 100000}}, "nav_shape"},
		{"sync explains", RawCSROptions{NavShape: []int{19}, SyncOffset: -3}, ""},
		{"sync too small", RawCSROptions{NavShape: []int{20}, SyncOffset: -3}, "nav_shape"},
		{"positive sync", RawCSROptions{NavShape: []int{17}, SyncOffset: 1}, "nav_shape"},
	}
	for _, c := range cases {
		ds, err := OpenRawCSR(path, c.opts)
		if c.field == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
				continue
			}
			ds.Close()
			continue
		}
		var de *Error
		if !errors.Is(err, ErrShape) || !errors.As(err, &de) || de.Field != c.field {
			t.Errorf("%s: %v, want ErrShape on %s", c.name, err, c.field)
		}
	}
	// A short indptr under the descriptor's nav_shape.
	dir := t.TempDir()
	p := writeRawCSR(t, dir, src, csrLayout{indptr: "<i4", indices: "<i4", data: "<i4"})
	if err := os.WriteFile(filepath.Join(dir, "sub", "indptr.raw"), encodeInts(t, src.indptr[:11], "<i4"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := OpenRawCSR(p, RawCSROptions{})
	if de := (*Error)(nil); !errors.Is(err, ErrShape) || !errors.As(err, &de) || de.Field != "params.nav_shape" || !strings.Contains(err.Error(), "holds 10 frames (indptr has 11 entries)") {
		t.Errorf("short indptr: %v", err)
	}
}
