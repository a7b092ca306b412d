package dataset_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/backends"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/udf"
	"github.com/stemflow/stemflow/udfs"
)

// writeRawCSR writes indptr, indices and data files and the TOML descriptor for the
// dense matrix d (frames × px) with the given dtype strings, and returns the TOML's
// path. Only the dtypes the tests use are supported: indptr/indices "<i4", ">i4",
// "<u8", ">u8", "<i8"; data "<i4", ">i4", "<f4", ">f4".
func writeRawCSR(t testing.TB, dir string, nav, sig []int, d []float64, indptrDT, indicesDT, dataDT string) string {
	t.Helper()
	px := 1
	for _, s := range sig {
		px *= s
	}
	frames := len(d) / px
	var indptr, indices []byte
	var data []byte
	putInt := func(b []byte, dt string, v int64) []byte {
		order := binary.AppendByteOrder(binary.LittleEndian)
		if dt[0] == '>' {
			order = binary.BigEndian
		}
		switch dt[1:] {
		case "i4":
			return order.AppendUint32(b, uint32(int32(v)))
		case "u8", "i8":
			return order.AppendUint64(b, uint64(v))
		}
		t.Fatalf("writeRawCSR: integer dtype %q", dt)
		return nil
	}
	putVal := func(b []byte, dt string, v float64) []byte {
		order := binary.AppendByteOrder(binary.LittleEndian)
		if dt[0] == '>' {
			order = binary.BigEndian
		}
		switch dt[1:] {
		case "i4":
			return order.AppendUint32(b, uint32(int32(v)))
		case "f4":
			return order.AppendUint32(b, math.Float32bits(float32(v)))
		}
		t.Fatalf("writeRawCSR: value dtype %q", dt)
		return nil
	}
	nnz := int64(0)
	indptr = putInt(indptr, indptrDT, 0)
	for f := 0; f < frames; f++ {
		for p, v := range d[f*px : (f+1)*px] {
			if v != 0 {
				indices = putInt(indices, indicesDT, int64(p))
				data = putVal(data, dataDT, v)
				nnz++
			}
		}
		indptr = putInt(indptr, indptrDT, nnz)
	}
	for name, b := range map[string][]byte{"indptr.raw": indptr, "coords.raw": indices, "values.raw": data} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	toml := fmt.Sprintf(`[params]
filetype = "raw_csr"
nav_shape = %s
sig_shape = %s

[raw_csr]
indptr_file = "indptr.raw"
indptr_dtype = %q
indices_file = "coords.raw"
indices_dtype = %q
data_file = "values.raw"
data_dtype = %q
`, tomlInts(nav), tomlInts(sig), indptrDT, indicesDT, dataDT)
	path := filepath.Join(dir, "sparse.toml")
	if err := os.WriteFile(path, []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func tomlInts(v []int) string {
	s := "["
	for i, x := range v {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprint(x)
	}
	return s + "]"
}

// mkRandom mimics the reference's _mk_random: mostly 0/1 values (here about 70 %
// zeros so that the matrix is sparse) with two large outliers.
func mkRandom(rng *rand.Rand, n int) []float64 {
	d := make([]float64, n)
	for i := range d {
		if rng.IntN(10) < 3 {
			d[i] = 1
		}
	}
	d[rng.IntN(n)] = 4711
	d[rng.IntN(n)] = 12345
	return d
}

// TestScenario30_RawCSR is reference scenario 30: a (13, 17, 24, 19) raw_csr dataset with
// int32 data in native and big-endian byte order and a uint64 indptr, a random ROI and
// 129 partitions; Sum equals the sum over the selected frames and SumSig the sum of
// each selected frame, both computed here by direct loops over the dense matrix.
func TestScenario30_RawCSR(t *testing.T) {
	nav, sig := []int{13, 17}, []int{24, 19}
	frames, px := 13*17, 24*19
	for _, dataDT := range []string{"<i4", ">i4"} {
		t.Run(dataDT, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(30, uint64(dataDT[0])))
			d := mkRandom(rng, frames*px)
			path := writeRawCSR(t, t.TempDir(), nav, sig, d, "<u8", "<i4", dataDT)
			ds, err := dataset.OpenRawCSR(path, dataset.RawCSROptions{NumPartitions: 129, Strict: true})
			if err != nil {
				t.Fatal(err)
			}
			defer ds.Close()
			if ds.DType() != array.Int32 {
				t.Fatalf("native dtype %v, want int32", ds.DType())
			}
			roi := array.Zeros[bool](nav...)
			rd := roi.Data()
			for i := range rd {
				rd[i] = rng.IntN(2) == 0
			}
			// direct loops
			wantSum := make([]float64, px)
			var wantSig []float64
			for f := 0; f < frames; f++ {
				if !rd[f] {
					continue
				}
				s := 0.0
				for p, v := range d[f*px : (f+1)*px] {
					wantSum[p] += v
					s += v
				}
				wantSig = append(wantSig, s)
			}
			rs, err := udf.Run(context.Background(), ds, []udf.UDF{udfs.Sum{}, udfs.SumSig{}}, udf.Options{ROI: roi, Workers: 2})
			if err != nil {
				t.Fatal(err)
			}
			sum := rs[0].Get("intensity").Data()
			if got := sum.Shape(); !equalInts(got, sig) {
				t.Fatalf("Sum shape %v, want %v", got, sig)
			}
			assertClose(t, "Sum", sum, wantSum, 0)
			sumsig := rs[1].Get("intensity").RawData()
			assertClose(t, "SumSig", sumsig, wantSig, 0)
			full := rs[1].Get("intensity").Data()
			if got := full.Shape(); !equalInts(got, nav) {
				t.Fatalf("SumSig data shape %v, want %v", got, nav)
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// assertClose compares a dense result with want element by element (C order) within
// a relative tolerance tol (0: exact).
func assertClose(t *testing.T, name string, got array.Array, want []float64, tol float64) {
	t.Helper()
	d, err := array.Convert(got, array.Float64)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	g := d.(*array.Dense[float64]).Contiguous().Data()
	if len(g) != len(want) {
		t.Fatalf("%s: %d values, want %d", name, len(g), len(want))
	}
	bad := 0
	for i, w := range want {
		if diff := math.Abs(g[i] - w); diff > tol*math.Max(1, math.Abs(w)) || math.IsNaN(g[i]) != math.IsNaN(w) {
			if bad < 5 {
				t.Errorf("%s[%d] = %v, want %v", name, i, g[i], w)
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d values differ", name, bad, len(want))
	}
}

// TestRawCSRBuiltinsVsDense runs every built-in over a raw_csr dataset and over the
// same data densified in a memory dataset: the sparse-capable ones (Sum, SumSig,
// Logsum, Pick, ApplyMasks) receive CSR tiles, StdDev and CoM dense tiles converted by
// the plan; the results agree.
func TestRawCSRBuiltinsVsDense(t *testing.T) {
	nav, sig := []int{6, 7}, []int{12, 10}
	frames, px := 42, 120
	rng := rand.New(rand.NewPCG(1, 2))
	d := mkRandom(rng, frames*px)
	for i := range d {
		if d[i] != 0 {
			d[i] += float64(rng.IntN(5)) // some variety
		}
	}
	path := writeRawCSR(t, t.TempDir(), nav, sig, d, "<i4", ">i4", "<f4")
	sparse, err := dataset.OpenRawCSR(path, dataset.RawCSROptions{NumPartitions: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer sparse.Close()
	f32 := make([]float32, len(d))
	for i, v := range d {
		f32[i] = float32(v)
	}
	dense, err := dataset.NewMemory(array.Wrap(f32, append(append([]int{}, nav...), sig...)...), dataset.MemoryOptions{NumPartitions: 5})
	if err != nil {
		t.Fatal(err)
	}
	roi := array.Zeros[bool](nav...)
	for i := range roi.Data() {
		roi.Data()[i] = i%3 != 1
	}
	com, err := udfs.NewCoM()
	if err != nil {
		t.Fatal(err)
	}
	mk := func() []udf.UDF {
		return []udf.UDF{
			udfs.Sum{}, udfs.SumSig{}, udfs.Logsum{}, udfs.Pick{},
			&udfs.ApplyMasks{Factories: []udfs.MaskFactory{udfs.DiskMask(5, 4, 3), udfs.RingMask(6, 5, 5, 2)}},
			udfs.StdDev{}, com,
			backendProbe{},
		}
	}
	for _, opts := range []udf.Options{{Workers: 2}, {Workers: 2, ROI: roi}} {
		want, err := udf.Run(context.Background(), dense, mk(), opts)
		if err != nil {
			t.Fatal(err)
		}
		got, err := udf.Run(context.Background(), sparse, mk(), opts)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			for _, name := range want[i].Names() {
				w, g := want[i].Get(name), got[i].Get(name)
				if name == "backends" {
					continue
				}
				wv, err := array.Convert(w.RawData(), array.Float64)
				if err != nil {
					t.Fatalf("udf %d %s: %v", i, name, err)
				}
				assertClose(t, fmt.Sprintf("udf %d %s roi=%v", i, name, opts.ROI != nil), g.RawData(), wv.(*array.Dense[float64]).Contiguous().Data(), 1e-5)
			}
		}
		// The probe lists every CPU backend: on raw_csr it sees CSR tiles.
		b := got[len(got)-1].Get("backends").RawData().(*array.Dense[int64]).Data()
		if b[0] != int64(backends.CSR) {
			t.Errorf("probe saw backend %v, want CSR", backends.Backend(b[0]))
		}
	}
}

// backendProbe records the array backend of its tiles (as a number) in a single
// buffer, and checks that the tile's format matches.
type backendProbe struct{}

func (backendProbe) ResultBuffers(*udf.Meta) []udf.BufferSpec {
	return []udf.BufferSpec{udf.SingleBuffer("backends", array.Int64)}
}

func (backendProbe) Backends() []backends.Backend {
	return []backends.Backend{backends.CSR, backends.CSC, backends.Dense}
}

func (backendProbe) ProcessTile(env *udf.Env, tile array.Array) error {
	want, _ := env.Meta.ArrayBackend.Format()
	if tile.Format() != want {
		return fmt.Errorf("backend %v, tile format %v", env.Meta.ArrayBackend, tile.Format())
	}
	env.At(0).(*array.Dense[int64]).Data()[0] = int64(env.Meta.ArrayBackend)
	return nil
}

func (backendProbe) Merge(dest, src *udf.Views, _ *udf.Meta) error {
	dest.At(0).(*array.Dense[int64]).Data()[0] = src.At(0).(*array.Dense[int64]).Data()[0]
	return nil
}

// TestMemoryCSRTiles checks the memory dataset's sparse tiles (MemoryOptions.
// ArrayFormats): every CSR and CSC tile of a sig-boxed scheme, with and without ROI,
// holds exactly the array's values of its frames and box (compared by direct
// indexing), and the option's errors.
func TestMemoryCSRTiles(t *testing.T) {
	nav, sig := []int{3, 5}, []int{6, 4}
	rng := rand.New(rand.NewPCG(7, 7))
	d := mkRandom(rng, 15*24)
	arr := array.Zeros[float64](append(append([]int{}, nav...), sig...)...)
	copy(arr.Data(), d)
	scheme, err := dataset.NewTilingScheme([]int{4, 3, 4}, sig, dataset.MethodTile)
	if err != nil {
		t.Fatal(err)
	}
	roi := make([]bool, 15)
	for i := range roi {
		roi[i] = i%4 != 2
	}
	for _, f := range []array.Format{array.FormatCSR, array.FormatCSC} {
		ds, err := dataset.NewMemory(arr, dataset.MemoryOptions{ArrayFormats: []array.Format{f}})
		if err != nil {
			t.Fatal(err)
		}
		if got := ds.Formats(); len(got) != 1 || got[0] != f {
			t.Fatalf("Formats %v", got)
		}
		for _, r := range [][]bool{nil, roi} {
			var frames []int // compressed index → frame
			for i := 0; i < 15; i++ {
				if r == nil || r[i] {
					frames = append(frames, i)
				}
			}
			seen := 0
			for _, p := range dataset.Partitions(ds, 2) {
				err := ds.ReadTiles(context.Background(), p, dataset.TileRequest{Scheme: scheme, ROI: r, DType: array.Float32, Format: f}, func(tile *dataset.Tile) error {
					if tile.Data.Format() != f {
						return fmt.Errorf("tile format %v", tile.Data.Format())
					}
					dd, err := array.Densify(tile.Data)
					if err != nil {
						return err
					}
					g := dd.(*array.Dense[float32]).Data()
					sl := tile.Slice
					depth, by, bx := sl.Shape.Dim(0), sl.Shape.Dim(1), sl.Shape.Dim(2)
					if sh := tile.Data.Shape(); sh[0] != depth || sh[1] != by*bx {
						return fmt.Errorf("tile shape %v for slice %v", sh, sl)
					}
					for k := 0; k < depth; k++ {
						fr := frames[sl.Origin[0]+k]
						for y := 0; y < by; y++ {
							for x := 0; x < bx; x++ {
								w := d[fr*24+(sl.Origin[1]+y)*4+sl.Origin[2]+x]
								if got := g[k*by*bx+y*bx+x]; float64(got) != w {
									return fmt.Errorf("frame %d pixel (%d, %d): %v, want %v", fr, sl.Origin[1]+y, sl.Origin[2]+x, got, w)
								}
								seen++
							}
						}
					}
					return nil
				})
				if err != nil {
					t.Fatalf("%v roi=%v: %v", f, r != nil, err)
				}
			}
			if seen != len(frames)*24 {
				t.Errorf("%v roi=%v: %d pixels seen, want %d", f, r != nil, seen, len(frames)*24)
			}
		}
		// dense is not offered
		err = ds.ReadTiles(context.Background(), dataset.Partitions(ds, 1)[0], dataset.TileRequest{Scheme: scheme}, func(*dataset.Tile) error { return nil })
		if !errors.Is(err, dataset.ErrArrayFormat) {
			t.Errorf("dense request: err %v, want ErrArrayFormat", err)
		}
	}
	bad := []struct {
		name string
		fs   []array.Format
		want error
	}{
		{"empty", []array.Format{}, dataset.ErrOption},
		{"twice", []array.Format{array.FormatCSR, array.FormatCSR}, dataset.ErrOption},
		{"unknown", []array.Format{array.Format(99)}, dataset.ErrArrayFormat},
	}
	for _, b := range bad {
		if _, err := dataset.NewMemory(arr, dataset.MemoryOptions{ArrayFormats: b.fs}); !errors.Is(err, b.want) {
			t.Errorf("%s: err %v, want %v", b.name, err, b.want)
		}
	}
	bs, err := dataset.NewMemory(array.Zeros[bool](2, 2, 2), dataset.MemoryOptions{ArrayFormats: []array.Format{array.FormatCSR}})
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := dataset.NewTilingScheme([]int{1, 2, 2}, []int{2, 2}, dataset.MethodTile)
	if err := bs.ReadTiles(context.Background(), dataset.Partitions(bs, 1)[0], dataset.TileRequest{Scheme: s2, Format: array.FormatCSR}, func(*dataset.Tile) error { return nil }); !errors.Is(err, dataset.ErrDType) {
		t.Errorf("bool CSR: err %v, want ErrDType", err)
	}
}
