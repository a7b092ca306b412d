package backends

import (
	"errors"
	"slices"
	"testing"

	"github.com/stemflow/stemflow/array"
)

// tileData returns a (depth, sy, sx) float32 tile with every third element non-zero.
func tileData(depth, sy, sx int, seed float32) []float32 {
	d := make([]float32, depth*sy*sx)
	for i := range d {
		if i%3 == 0 {
			d[i] = seed + float32(i)
		}
	}
	return d
}

func TestConverterFromDense(t *testing.T) {
	const depth, sy, sx = 3, 4, 5
	data := tileData(depth, sy, sx, 1)
	tile := array.Wrap(data, depth, sy, sx)
	c := NewConverter[float32]()
	c.SetTile(tile, []int{depth, sy, sx})

	d, err := c.Get(Dense)
	if err != nil || d != array.Array(tile) {
		t.Fatalf("dense from dense: %v, %v (want the tile itself)", d, err)
	}
	a, err := c.Get(CSR)
	if err != nil {
		t.Fatal(err)
	}
	m, ok := a.(*array.CSR[float32, int32])
	if !ok || m.Rows != depth || m.Cols != sy*sx {
		t.Fatalf("CSR tile: %T %v", a, a.Shape())
	}
	// Compare element by element with the source (direct indexing).
	for f := 0; f < depth; f++ {
		for p := 0; p < sy*sx; p++ {
			if m.At(f, p) != data[f*sy*sx+p] {
				t.Fatalf("CSR (%d,%d) = %v, want %v", f, p, m.At(f, p), data[f*sy*sx+p])
			}
		}
	}
	a2, _ := c.Get(CSR)
	if a2 != a {
		t.Fatal("second Get(CSR) converted again")
	}
	cc, err := c.Get(CSC)
	if err != nil {
		t.Fatal(err)
	}
	cm := cc.(*array.CSC[float32, int32])
	for f := 0; f < depth; f++ {
		for p := 0; p < sy*sx; p++ {
			if cm.At(f, p) != data[f*sy*sx+p] {
				t.Fatalf("CSC (%d,%d) wrong", f, p)
			}
		}
	}
	for _, b := range []Backend{COO, CuPy, CuPyCSR} {
		if _, err := c.Get(b); !errors.Is(err, ErrUnsupported) {
			t.Errorf("Get(%v): %v, want ErrUnsupported", b, err)
		}
	}
	if _, err := c.Get(Backend(0)); !errors.Is(err, ErrUnknownBackend) {
		t.Errorf("Get(0): %v", err)
	}
}

func TestConverterFromCSR(t *testing.T) {
	const depth, sy, sx = 4, 3, 6
	data := tileData(depth, sy, sx, 2)
	src, err := array.CSRFromDense[float32, int32](array.Wrap(data, depth, sy*sx))
	if err != nil {
		t.Fatal(err)
	}
	c := NewConverter[float32]()
	c.SetTile(src, []int{depth, sy, sx})
	d, err := c.Get(Dense)
	if err != nil {
		t.Fatal(err)
	}
	dd := d.(*array.Dense[float32])
	if !slices.Equal(dd.Shape(), []int{depth, sy, sx}) || !slices.Equal(dd.Data(), data) {
		t.Fatalf("dense from CSR: shape %v", dd.Shape())
	}
	if g, _ := c.Get(CSR); g != array.Array(src) {
		t.Fatal("CSR from CSR is not the source")
	}
	cc, _ := c.Get(CSC)
	if !slices.Equal(cc.(*array.CSC[float32, int32]).ToDense().Data(), data) {
		t.Fatal("CSC from CSR differs")
	}
	// Frames of the 2-D formats are (1, prod(sig)).
	csr, _ := c.Get(CSR)
	for i := 0; i < depth; i++ {
		for _, tile := range []array.Array{csr, cc} {
			f, err := c.Frame(tile, i)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(f.Shape(), []int{1, sy * sx}) {
				t.Fatalf("frame shape %v", f.Shape())
			}
			fd, _ := array.Densify(f)
			if !slices.Equal(fd.(*array.Dense[float32]).Data(), data[i*sy*sx:(i+1)*sy*sx]) {
				t.Fatalf("frame %d of %T differs", i, tile)
			}
		}
		f, _ := c.Frame(d, i)
		if !slices.Equal(f.Shape(), []int{sy, sx}) {
			t.Fatalf("dense frame shape %v", f.Shape())
		}
	}
	// From CSC too.
	c.SetTile(src.ToCSC(), []int{depth, sy, sx})
	r, err := c.Get(CSR)
	if err != nil || !slices.Equal(r.(*array.CSR[float32, int32]).ToDense().Data(), data) {
		t.Fatalf("CSR from CSC: %v", err)
	}
	dn, err := c.Get(Dense)
	if err != nil || !slices.Equal(dn.(*array.Dense[float32]).Data(), data) {
		t.Fatalf("dense from CSC: %v", err)
	}
	// Size mismatch between tile and shape.
	c.SetTile(src, []int{depth, sy, sx + 1})
	if _, err := c.Get(Dense); !errors.Is(err, array.ErrShape) {
		t.Fatalf("size mismatch: %v", err)
	}
}

func TestConverterSteadyStateAllocs(t *testing.T) {
	const depth, sy, sx = 8, 16, 16
	tiles := []*array.Dense[float32]{
		array.Wrap(tileData(depth, sy, sx, 1), depth, sy, sx),
		array.Wrap(tileData(depth, sy, sx, 5), depth, sy, sx),
	}
	csrTiles := make([]*array.CSR[float32, int32], 2)
	for i, d := range tiles {
		csrTiles[i], _ = array.CSRFromDense[float32, int32](array.Wrap(d.Data(), depth, sy*sx))
	}
	shape := []int{depth, sy, sx}
	c := NewConverter[float32]()
	run := func(i int) {
		c.SetTile(tiles[i%2], shape)
		_, _ = c.Get(CSR)
		_, _ = c.Get(CSC)
		_, _ = c.Get(Dense)
		c.SetTile(csrTiles[i%2], shape)
		_, _ = c.Get(Dense)
		_, _ = c.Get(CSC)
		f, _ := c.Get(CSR)
		_, _ = c.Frame(f, 3)
	}
	run(0)
	run(1)
	i := 0
	if n := testing.AllocsPerRun(50, func() { run(i); i++ }); n != 0 {
		t.Fatalf("steady-state conversions allocate %v times per tile", n)
	}
}

func TestForBuf(t *testing.T) {
	// A CSR row sum result (1, 6) into a (2, 3) buffer.
	m, _ := array.CSRFromCOO[float32, int32](1, 6, []int{0, 0}, []int{1, 5}, []float32{2, 3})
	target := array.Zeros[float32](2, 3)
	out, err := ForBuf(m, target)
	if err != nil {
		t.Fatal(err)
	}
	d := out.(*array.Dense[float32])
	if !slices.Equal(d.Shape(), []int{2, 3}) || !slices.Equal(d.Data(), []float32{0, 2, 0, 0, 0, 3}) {
		t.Fatalf("ForBuf = %v %v", d.Shape(), d.Data())
	}
	// Dense input with the target's shape comes back as is; another shape is reshaped.
	same := array.Zeros[float64](4)
	if out, _ := ForBuf(same, array.Zeros[float64](4)); out != array.Array(same) {
		t.Fatal("same-shape dense was copied")
	}
	r, err := ForBuf(array.Wrap([]int32{1, 2, 3, 4}, 4), array.Zeros[int32](2, 2))
	if err != nil || r.(*array.Dense[int32]).At(1, 0) != 3 {
		t.Fatalf("reshape: %v", err)
	}
	if _, err := ForBuf(m, array.Zeros[float32](5)); !errors.Is(err, array.ErrShape) {
		t.Fatalf("size mismatch: %v", err)
	}
	// Non-dense targets: pass-through.
	if out, _ := ForBuf(same, m); out != array.Array(same) {
		t.Fatal("non-dense target did not pass through")
	}
}

func TestNewConverterFor(t *testing.T) {
	for _, dt := range []array.DType{array.Float32, array.Float64, array.Int8, array.Int16, array.Int32, array.Int64,
		array.Uint8, array.Uint16, array.Uint32, array.Uint64, array.Complex64, array.Complex128} {
		c, err := NewConverterFor(dt)
		if err != nil {
			t.Fatalf("%v: %v", dt, err)
		}
		tile := array.New(dt, 2, 3)
		c.SetTile(tile, []int{2, 3})
		out, err := c.Get(CSR)
		if err != nil || out.DType() != dt || !slices.Equal(out.Shape(), []int{2, 3}) {
			t.Fatalf("%v: CSR tile %v %v, %v", dt, out.DType(), out.Shape(), err)
		}
	}
	for _, dt := range []array.DType{array.Bool, array.Object, array.Bytes(3)} {
		if _, err := NewConverterFor(dt); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%v: %v", dt, err)
		}
	}
}
