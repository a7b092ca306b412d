package dataset

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"

	"github.com/stemflow/stemflow/array"
)

// ramp returns n float32 values v[i] = (i*7) % 13 + i/1000 (distinct enough to catch
// misplaced elements).
func ramp(n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32((i*7)%13) + float32(i)/1000
	}
	return v
}

// reassembly is the result of reading every tile of every partition back into a flat
// (nav, sig) float64 array indexed by nav position, NaN where no tile wrote.
type reassembly struct {
	data    []float64
	depths  map[int]bool
	boxes   map[[4]int]bool
	ntiles  int
	written []int // times each element was written
}

// readAll reads all partitions of ds with the scheme and ROI and scatters the tiles,
// using sel (compressed index → nav index) computed by the test.
func readAll[T elem](t *testing.T, ds Dataset, nparts int, scheme TilingScheme, roi []bool, dt array.DType) reassembly {
	t.Helper()
	shape := ds.Shape()
	nav, sig := shape.NavSize(), shape.SigSize()
	sigDims := shape.Sig()
	var sel []int
	for i := range nav {
		if roi == nil || roi[i] {
			sel = append(sel, i)
		}
	}
	r := reassembly{data: make([]float64, nav*sig), depths: map[int]bool{}, boxes: map[[4]int]bool{}, written: make([]int, nav*sig)}
	for i := range r.data {
		r.data[i] = math.NaN()
	}
	for _, p := range Partitions(ds, nparts) {
		lastC := -1
		err := ds.ReadTiles(context.Background(), p, TileRequest{Scheme: scheme, ROI: roi, DType: dt}, func(tl *Tile) error {
			d, ok := tl.Data.(*array.Dense[T])
			if !ok {
				t.Fatalf("tile data %T", tl.Data)
			}
			if !d.IsContiguous() {
				t.Fatal("tile not contiguous")
			}
			if !slices.Equal(d.Shape(), tl.Slice.Shape.Dims()) {
				t.Fatalf("data shape %v, slice %v", d.Shape(), tl.Slice)
			}
			box := scheme.Box(tl.SchemeIdx)
			if !slices.Equal(tl.Slice.Origin[1:], box.Origin) || !slices.Equal(tl.Slice.Shape.Dims()[1:], box.Shape.Dims()) {
				t.Fatalf("slice %v does not match box %d %v", tl.Slice, tl.SchemeIdx, box)
			}
			c0 := tl.Slice.Origin[0]
			if c0 < lastC {
				t.Fatalf("tile origin %d after %d: blocks out of order", c0, lastC)
			}
			lastC = c0
			n := tl.Slice.Shape.Dim(0)
			r.depths[n] = true
			bd := box.Shape.Dims()
			r.boxes[[4]int{box.Origin[0], box.Origin[len(bd)-1], bd[0], bd[len(bd)-1]}] = true
			r.ntiles++
			vals := d.Data()
			// walk the box in C order
			k := 0
			for j := range n {
				navIdx := sel[c0+j]
				forEachBox(sigDims, box, func(off int) {
					idx := navIdx*sig + off
					r.data[idx] = toF64(vals[k])
					r.written[idx]++
					k++
				})
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func toF64[T elem](v T) float64 {
	switch x := any(v).(type) {
	case bool:
		if x {
			return 1
		}
		return 0
	case complex64:
		return float64(real(x))
	case complex128:
		return real(x)
	case int8:
		return float64(x)
	case int16:
		return float64(x)
	case int32:
		return float64(x)
	case int64:
		return float64(x)
	case uint8:
		return float64(x)
	case uint16:
		return float64(x)
	case uint32:
		return float64(x)
	case uint64:
		return float64(x)
	case float32:
		return float64(x)
	case float64:
		return x
	}
	panic("type")
}

// forEachBox calls f with the flat sig offset of every element of box, C order.
func forEachBox(sig []int, box array.Slice, f func(off int)) {
	dims := box.Shape.Dims()
	idx := make([]int, len(dims))
	total := prodInts(dims)
	for range total {
		off := 0
		for i := range dims {
			off = off*sig[i] + box.Origin[i] + idx[i]
		}
		f(off)
		for i := len(dims) - 1; i >= 0; i-- {
			idx[i]++
			if idx[i] < dims[i] {
				break
			}
			idx[i] = 0
		}
	}
}

// expect returns the expected reassembly: nav position i holds source frame i+k when it
// is stored and selected, NaN otherwise.
func expect(src []float64, nav, sig, imageCount, k int, roi []bool) []float64 {
	out := make([]float64, nav*sig)
	for i := range nav {
		f := i + k
		ok := f >= 0 && f < imageCount && (roi == nil || roi[i])
		for s := range sig {
			if ok {
				out[i*sig+s] = src[f*sig+s]
			} else {
				out[i*sig+s] = math.NaN()
			}
		}
	}
	return out
}

func sameNaN(a, b []float64) int {
	for i := range a {
		if a[i] != b[i] && !(math.IsNaN(a[i]) && math.IsNaN(b[i])) {
			return i
		}
	}
	return -1
}

func f64s(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

func randomROI(n int, seed uint64) []bool {
	rng := rand.New(rand.NewPCG(seed, 1))
	roi := make([]bool, n)
	for i := range roi {
		roi[i] = rng.IntN(3) == 0
	}
	return roi
}

func TestMemoryReassembly(t *testing.T) {
	const ny, nx, sy, sx = 16, 16, 24, 24
	src := ramp(ny * nx * sy * sx)
	arr := array.Wrap(src, ny, nx, sy, sx)
	cases := []struct {
		name      string
		tileshape []int
		parts     int
		roi       []bool
		sync      int
		force     bool
		depths    []int
		boxes     int
	}{
		{"sigtiles", []int{7, 7, 7}, 2, nil, 0, false, []int{7, 2}, 16},
		{"fullframes", []int{7, 24, 24}, 2, nil, 0, false, []int{7, 2}, 1},
		{"fullframes-forced", []int{7, 24, 24}, 3, nil, 0, true, nil, 1},
		{"rows", []int{5, 3, 24}, 4, nil, 0, false, nil, 8},
		{"roi", []int{3, 7, 24}, 4, randomROI(256, 1), 0, false, nil, 4},
		{"roi-empty", []int{3, 24, 24}, 4, make([]bool, 256), 0, false, nil, 0},
		{"sync+", []int{7, 7, 7}, 3, nil, 100, false, nil, 16},
		{"sync-", []int{7, 24, 24}, 3, nil, -100, false, nil, 1},
		{"sync-roi", []int{4, 13, 5}, 5, randomROI(256, 2), 37, false, nil, 10},
		{"sync-neg-roi", []int{4, 24, 24}, 5, randomROI(256, 3), -37, false, nil, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ds, err := NewMemory(arr, MemoryOptions{TileShape: c.tileshape, NumPartitions: c.parts, SyncOffset: c.sync, ForceNeedDecode: c.force})
			if err != nil {
				t.Fatal(err)
			}
			sch, err := NewTilingScheme(c.tileshape, []int{sy, sx}, MethodTile)
			if err != nil {
				t.Fatal(err)
			}
			r := readAll[float32](t, ds, c.parts, sch, c.roi, array.Float32)
			want := expect(f64s(src), ny*nx, sy*sx, ny*nx, c.sync, c.roi)
			if i := sameNaN(r.data, want); i >= 0 {
				t.Fatalf("element %d: got %v want %v", i, r.data[i], want[i])
			}
			for i, w := range r.written {
				if w > 1 {
					t.Fatalf("element %d written %d times", i, w)
				}
			}
			if c.depths != nil {
				var got []int
				for d := range r.depths {
					got = append(got, d)
				}
				slices.Sort(got)
				w := slices.Clone(c.depths)
				slices.Sort(w)
				if !slices.Equal(got, w) {
					t.Errorf("depths %v, want %v", got, w)
				}
			}
			if len(r.boxes) != c.boxes {
				t.Errorf("%d distinct boxes, want %d", len(r.boxes), c.boxes)
			}
		})
	}
}

// TestTileOrder checks the tile order: all sig boxes of a block before the next block.
func TestTileOrder(t *testing.T) {
	ds, _ := NewMemory(array.Wrap(ramp(10*4*4), 10, 4, 4), MemoryOptions{NumPartitions: 1})
	sch, _ := NewTilingScheme([]int{4, 2, 4}, []int{4, 4}, MethodTile)
	var got [][2]int
	p := Partitions(ds, 1)[0]
	err := ds.ReadTiles(context.Background(), p, TileRequest{Scheme: sch}, func(tl *Tile) error {
		got = append(got, [2]int{tl.Slice.Origin[0], tl.SchemeIdx})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := [][2]int{{0, 0}, {0, 1}, {4, 0}, {4, 1}, {8, 0}, {8, 1}}
	if !slices.Equal(got, want) {
		t.Fatalf("order %v, want %v", got, want)
	}
}

func TestSyncOffsetSpecExample(t *testing.T) {
	// scenario 13: 64 frames, 2 partitions, depth 4.
	src := ramp(64 * 2 * 2)
	for _, c := range []struct {
		k         int
		wantTiles [][2]int // (origin, depth)
	}{
		{62, [][2]int{{0, 2}}},
		{-62, [][2]int{{62, 2}}},
	} {
		ds, err := NewMemory(array.Wrap(src, 8, 8, 2, 2), MemoryOptions{SyncOffset: c.k})
		if err != nil {
			t.Fatal(err)
		}
		sch, _ := NewTilingScheme([]int{4, 2, 2}, []int{2, 2}, MethodTile)
		var got [][2]int
		ps := Partitions(ds, 2)
		for _, p := range ps {
			err := ds.ReadTiles(context.Background(), p, TileRequest{Scheme: sch}, func(tl *Tile) error {
				got = append(got, [2]int{tl.Slice.Origin[0], tl.Slice.Shape.Dim(0)})
				d := tl.Data.(*array.Dense[float32]).Data()
				f0 := tl.Slice.Origin[0] + c.k
				for j, v := range d {
					if v != src[f0*4+j] {
						t.Fatalf("k=%d: element %d = %v, want %v", c.k, j, v, src[f0*4+j])
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if !slices.Equal(got, c.wantTiles) {
			t.Errorf("k=%d: tiles %v, want %v", c.k, got, c.wantTiles)
		}
		if ps[0].StartFrame != c.k || ps[1].StartFrame != 32+c.k {
			t.Errorf("start frames %d %d", ps[0].StartFrame, ps[1].StartFrame)
		}
	}
}

func TestZeroCopyAndDecode(t *testing.T) {
	src := ramp(8 * 4 * 4)
	ds, _ := NewMemory(array.Wrap(src, 8, 4, 4), MemoryOptions{})
	sch, _ := NewTilingScheme([]int{8, 4, 4}, []int{4, 4}, MethodTile)
	p := Partitions(ds, 1)[0]
	var ptr unsafe.Pointer
	_ = ds.ReadTiles(context.Background(), p, TileRequest{Scheme: sch}, func(tl *Tile) error {
		ptr = unsafe.Pointer(&tl.Data.(*array.Dense[float32]).Data()[0])
		return nil
	})
	if ptr != unsafe.Pointer(&src[0]) {
		t.Error("float32 full-frame read is not zero-copy")
	}
	if ds.NeedDecode(array.Float32, nil) || !ds.NeedDecode(array.Float64, nil) || !ds.NeedDecode(array.Float32, []bool{true}) {
		t.Error("NeedDecode")
	}
	// float64 read: values exact.
	r := readAll[float64](t, ds, 1, sch, nil, array.Float64)
	if i := sameNaN(r.data, f64s(src)); i >= 0 {
		t.Fatalf("float64 read element %d", i)
	}
}

func TestDTypeMatrix(t *testing.T) {
	// every stored numeric dtype read as float32, float64, its own dtype and int64.
	const n, s = 6, 5
	vals := make([]float64, n*s)
	for i := range vals {
		vals[i] = float64((i * 5) % 17)
	}
	mk := func(dt array.DType) array.Array {
		a := array.New(dt, n, s)
		switch d := a.(type) {
		case *array.Dense[bool]:
			for i := range vals {
				d.Data()[i] = vals[i] != 0
			}
		case *array.Dense[int8]:
			fill(d.Data(), vals)
		case *array.Dense[int16]:
			fill(d.Data(), vals)
		case *array.Dense[int32]:
			fill(d.Data(), vals)
		case *array.Dense[int64]:
			fill(d.Data(), vals)
		case *array.Dense[uint8]:
			fill(d.Data(), vals)
		case *array.Dense[uint16]:
			fill(d.Data(), vals)
		case *array.Dense[uint32]:
			fill(d.Data(), vals)
		case *array.Dense[uint64]:
			fill(d.Data(), vals)
		case *array.Dense[float32]:
			fill(d.Data(), vals)
		case *array.Dense[float64]:
			fill(d.Data(), vals)
		case *array.Dense[complex64]:
			for i := range vals {
				d.Data()[i] = complex(float32(vals[i]), 3)
			}
		case *array.Dense[complex128]:
			for i := range vals {
				d.Data()[i] = complex(vals[i], 3)
			}
		}
		return a
	}
	stored := []array.DType{array.Bool, array.Int8, array.Int16, array.Int32, array.Int64, array.Uint8, array.Uint16,
		array.Uint32, array.Uint64, array.Float32, array.Float64, array.Complex64, array.Complex128}
	for _, sdt := range stored {
		ds, err := NewMemory(mk(sdt), MemoryOptions{SigDims: 1})
		if err != nil {
			t.Fatal(sdt, err)
		}
		want := vals
		if sdt == array.Bool {
			want = make([]float64, len(vals))
			for i, v := range vals {
				if v != 0 {
					want[i] = 1
				}
			}
		}
		sch, _ := NewTilingScheme([]int{4, 2}, []int{s}, MethodTile)
		check := func(name string, r reassembly) {
			if i := sameNaN(r.data, want); i >= 0 {
				t.Errorf("%v as %s: element %d = %v, want %v", sdt, name, i, r.data[i], want[i])
			}
		}
		check("float32", readAll[float32](t, ds, 2, sch, nil, array.Float32))
		check("float64", readAll[float64](t, ds, 2, sch, nil, array.Float64))
		check("int64", readAll[int64](t, ds, 2, sch, nil, array.Int64))
		check("complex128", readAll[complex128](t, ds, 2, sch, nil, array.Complex128))
		check("native", readNative(t, ds, sch))
	}
}

func readNative(t *testing.T, ds Dataset, sch TilingScheme) reassembly {
	switch ds.DType() {
	case array.Bool:
		return readAll[bool](t, ds, 2, sch, nil, array.DType{})
	case array.Int8:
		return readAll[int8](t, ds, 2, sch, nil, array.DType{})
	case array.Int16:
		return readAll[int16](t, ds, 2, sch, nil, array.DType{})
	case array.Int32:
		return readAll[int32](t, ds, 2, sch, nil, array.DType{})
	case array.Int64:
		return readAll[int64](t, ds, 2, sch, nil, array.DType{})
	case array.Uint8:
		return readAll[uint8](t, ds, 2, sch, nil, array.DType{})
	case array.Uint16:
		return readAll[uint16](t, ds, 2, sch, nil, array.DType{})
	case array.Uint32:
		return readAll[uint32](t, ds, 2, sch, nil, array.DType{})
	case array.Uint64:
		return readAll[uint64](t, ds, 2, sch, nil, array.DType{})
	case array.Float32:
		return readAll[float32](t, ds, 2, sch, nil, array.DType{})
	case array.Float64:
		return readAll[float64](t, ds, 2, sch, nil, array.DType{})
	case array.Complex64:
		return readAll[complex64](t, ds, 2, sch, nil, array.DType{})
	case array.Complex128:
		return readAll[complex128](t, ds, 2, sch, nil, array.DType{})
	}
	t.Fatal("dtype")
	return reassembly{}
}

func fill[T realT](dst []T, v []float64) {
	for i := range dst {
		dst[i] = T(v[i])
	}
}

func TestMemoryErrors(t *testing.T) {
	a := array.Wrap(ramp(4*4*3*3), 4, 4, 3, 3)
	cases := []struct {
		name string
		opts MemoryOptions
		want error
	}{
		{"sig size", MemoryOptions{SigShape: []int{10}}, ErrSigSize},
		{"sig zero", MemoryOptions{SigShape: []int{9, 0}}, ErrShape},
		{"nav negative", MemoryOptions{NavShape: []int{-4, 4}}, ErrShape},
		{"nav too big", MemoryOptions{NavShape: []int{17}}, ErrShape},
		{"sync high", MemoryOptions{SyncOffset: 16}, ErrSyncOffset},
		{"sync low", MemoryOptions{SyncOffset: -16}, ErrSyncOffset},
		{"sigdims", MemoryOptions{SigDims: 4}, ErrShape},
		{"tileshape axes", MemoryOptions{TileShape: []int{1, 3}}, ErrOption},
		{"tileshape big", MemoryOptions{TileShape: []int{1, 4, 3}}, ErrOption},
		{"base zero", MemoryOptions{BaseShape: []int{1, 0, 3}}, ErrOption},
		{"partitions", MemoryOptions{NumPartitions: -1}, ErrOption},
	}
	for _, c := range cases {
		if _, err := NewMemory(a, c.opts); !errors.Is(err, c.want) {
			t.Errorf("%s: err %v, want %v", c.name, err, c.want)
		}
	}
	if _, err := NewMemory(array.Wrap([]string{"a"}, 1, 1, 1), MemoryOptions{}); !errors.Is(err, ErrDType) {
		t.Errorf("string array: %v", err)
	}
	if _, err := NewMemoryZeros([]int{2, 0, 3}, array.Float32, MemoryOptions{}); !errors.Is(err, ErrShape) {
		t.Errorf("zero extent: %v", err)
	}
	// overrides that fit
	ds, err := NewMemory(a, MemoryOptions{NavShape: []int{2, 3}, SigShape: []int{9}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ds.Shape().Dims(), []int{2, 3, 9}) || ds.Shape().SigDims() != 1 || ds.ImageCount() != 16 {
		t.Errorf("override shape %v image count %d", ds.Shape(), ds.ImageCount())
	}
}

func TestReadTilesErrors(t *testing.T) {
	ds, _ := NewMemory(array.Wrap(ramp(4*3*3), 4, 3, 3), MemoryOptions{})
	sch, _ := NewTilingScheme([]int{2, 3, 3}, []int{3, 3}, MethodTile)
	other, _ := NewTilingScheme([]int{2, 2, 2}, []int{2, 2}, MethodTile)
	p := Partitions(ds, 1)[0]
	ctx := context.Background()
	nop := func(*Tile) error { return nil }
	bigP := MakePartitions(array.NewShape([]int{8, 3, 3}, 2), 0, 1)[0]
	cases := []struct {
		name string
		p    Partition
		req  TileRequest
		want error
	}{
		{"no scheme", p, TileRequest{}, ErrTiling},
		{"other sig", p, TileRequest{Scheme: other}, ErrTiling},
		{"roi len", p, TileRequest{Scheme: sch, ROI: []bool{true}}, ErrROI},
		{"csr", p, TileRequest{Scheme: sch, Format: array.FormatCSR}, ErrArrayFormat},
		{"string dtype", p, TileRequest{Scheme: sch, DType: array.Bytes(2)}, ErrDType},
		{"partition", bigP, TileRequest{Scheme: sch}, ErrPartition},
		{"partition sig", MakePartitions(array.NewShape([]int{4, 3, 2}, 2), 0, 1)[0], TileRequest{Scheme: sch}, ErrPartition},
		{"partition zero", Partition{}, TileRequest{Scheme: sch}, ErrPartition},
	}
	for _, c := range cases {
		if err := ds.ReadTiles(ctx, c.p, c.req, nop); !errors.Is(err, c.want) {
			t.Errorf("%s: err %v, want %v", c.name, err, c.want)
		}
	}
	stop := errors.New("stop")
	if err := ds.ReadTiles(ctx, p, TileRequest{Scheme: sch}, func(*Tile) error { return stop }); err != stop {
		t.Errorf("callback error: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := ds.ReadTiles(cctx, p, TileRequest{Scheme: sch}, nop); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	_ = ds.Close()
	if err := ds.ReadTiles(ctx, p, TileRequest{Scheme: sch}, nop); !errors.Is(err, ErrClosed) {
		t.Errorf("closed: %v", err)
	}
}

// TestReadTilesAllocs checks that the number of allocations of a ReadTiles call does not
// grow with the number of tiles (zero allocation per tile in steady state).
func TestReadTilesAllocs(t *testing.T) {
	if testing.CoverMode() != "" || raceEnabled {
		t.Skip("coverage and race instrumentation change allocation counts")
	}
	ds, _ := NewMemory(array.Wrap(ramp(64*8*8), 64, 8, 8), MemoryOptions{})
	p := Partitions(ds, 1)[0]
	ctx := context.Background()
	roi := randomROI(64, 9)
	for _, c := range []struct {
		name string
		ts   []int
		dt   array.DType
		roi  []bool
	}{
		{"zero-copy frames", []int{1, 8, 8}, array.Float32, nil},
		{"decode boxes", []int{1, 4, 4}, array.Float64, nil},
		{"copy boxes", []int{3, 4, 8}, array.Float32, nil},
		{"roi", []int{2, 8, 2}, array.Float32, roi},
	} {
		sch, _ := NewTilingScheme(c.ts, []int{8, 8}, MethodTile)
		req := TileRequest{Scheme: sch, DType: c.dt, ROI: c.roi}
		tiles := 0
		fn := func(*Tile) error { tiles++; return nil }
		_ = ds.ReadTiles(ctx, p, req, fn) // warm the pool
		allocs := testing.AllocsPerRun(20, func() { _ = ds.ReadTiles(ctx, p, req, fn) })
		if tiles < 40 || allocs > 2 {
			t.Errorf("%s: %v allocs per ReadTiles of %d tiles", c.name, allocs, tiles/21)
		}
	}
}
