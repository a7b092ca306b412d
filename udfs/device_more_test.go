package udfs

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"sync/atomic"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/backends/cuda"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/udf"
)

// kernelCountingExec is the emulator counting the Pick and CSR mask kernels it runs:
// proof that a run took the device path for them.
type kernelCountingExec struct {
	cuda.Emulator
	picks, csr *atomic.Int64
}

func (k *kernelCountingExec) PickFrames(in cuda.Buf, e cuda.Elem, out cuda.Buf, off int64, nf, npix int) error {
	k.picks.Add(1)
	return k.Emulator.PickFrames(in, e, out, off, nf, npix)
}

func (k *kernelCountingExec) CSRMasks(in cuda.Buf, e cuda.Elem, p, j, v cuda.Buf, out cuda.Buf, off int64, nf, npix, nm int) error {
	k.csr.Add(1)
	return k.Emulator.CSRMasks(in, e, p, j, v, out, off, nf, npix, nm)
}

func kernelDevice(only bool, picks, csr *atomic.Int64) udf.Device {
	return udf.Device{Name: "emu:0", Only: only, Execs: []cuda.Exec{
		&kernelCountingExec{picks: picks, csr: csr}, &kernelCountingExec{picks: picks, csr: csr},
	}}
}

// TestDevicePickMatchesLoop: Pick on the (emulated) device returns the ROI-selected
// frames in flat order, byte for byte, for several stored dtypes, with and without a
// ROI, device-only and hybrid; the expected rows are taken from the data by a loop.
func TestDevicePickMatchesLoop(t *testing.T) {
	const ny, nx, sy, sx = 5, 6, 4, 7
	n, px := ny*nx, sy*sx
	u16 := randU16(n*px, 11)
	f32 := randF32(n*px, 12)
	i8 := make([]int8, n*px)
	f64v := make([]float64, n*px)
	for i := range i8 {
		i8[i] = int8(int(u16[i]) - 128)
		f64v[i] = float64(f32[i]) * 3.25
	}
	for _, d := range []struct {
		name string
		arr  array.Array
		vals func(i int) float64
	}{
		{"uint16", array.Wrap(u16, ny, nx, sy, sx), func(i int) float64 { return float64(u16[i]) }},
		{"float32", array.Wrap(f32, ny, nx, sy, sx), func(i int) float64 { return float64(f32[i]) }},
		{"int8", array.Wrap(i8, ny, nx, sy, sx), func(i int) float64 { return float64(i8[i]) }},
		{"float64", array.Wrap(f64v, ny, nx, sy, sx), func(i int) float64 { return f64v[i] }},
	} {
		for _, roi := range [][]bool{nil, randROI(n, 4)} {
			for _, only := range []bool{true, false} {
				var picks, csr atomic.Int64
				ds := memDS(t, d.arr, dataset.MemoryOptions{NumPartitions: 4})
				got := runOne(t, ds, Pick{}, udf.Options{Workers: 2, Devices: []udf.Device{kernelDevice(only, &picks, &csr)}}, roi)
				if only && picks.Load() == 0 {
					t.Fatalf("%s: device-only Pick ran no pick_frames kernel", d.name)
				}
				b := got.Get("intensity")
				if b.DType() != d.arr.DType() {
					t.Fatalf("%s: intensity dtype %v, want %v", d.name, b.DType(), d.arr.DType())
				}
				gv, shape := f64(t, b.Data())
				var want []float64
				for f := 0; f < n; f++ {
					if roi == nil || roi[f] {
						for p := 0; p < px; p++ {
							want = append(want, d.vals(f*px+p))
						}
					}
				}
				shapeIs(t, d.name+" intensity", shape, len(want)/px, sy, sx)
				closeTo(t, d.name+" intensity", gv, want, 0, 0)
			}
		}
	}
}

// TestDeviceSparseMasksMatchLoop: ApplyMasks with sparse (CSR) masks, and with dense
// masks and a float64 result, runs on the (emulated) device through csr_masks and
// equals Σ_p mask[p]·frame[p] computed by a float64 loop over the dense masks.
func TestDeviceSparseMasksMatchLoop(t *testing.T) {
	const ny, nx, sy, sx = 4, 6, 8, 10
	n, px := ny*nx, sy*sx
	sparse, dense := sparseMaskFactories(t)
	var dm [][]float64
	for _, f := range dense {
		m, err := f([]int{sy, sx})
		if err != nil {
			t.Fatal(err)
		}
		v, _ := f64(t, m)
		dm = append(dm, v)
	}
	f64Masks := make([]MaskFactory, len(dm))
	for i, v := range dm {
		f64Masks[i] = ArrayMask(array.Wrap(v, sy, sx))
	}
	u16 := randU16(n*px, 21)
	f32 := randF32(n*px, 22)
	for _, d := range []struct {
		name string
		arr  array.Array
		val  func(i int) float64
	}{
		{"uint16", array.Wrap(u16, ny, nx, sy, sx), func(i int) float64 { return float64(u16[i]) }},
		{"float32", array.Wrap(f32, ny, nx, sy, sx), func(i int) float64 { return float64(f32[i]) }},
	} {
		for _, c := range []struct {
			name  string
			u     func() udf.UDF
			dtype array.DType
			rtol  float64
		}{
			{"sparse", func() udf.UDF { return &ApplyMasks{Factories: sparse} }, array.Float32, 1e-6},
			{"sparse stack", func() udf.UDF {
				return &ApplyMasks{Stack: func([]int) (array.Array, error) {
					var v []float32
					for _, m := range dm {
						for _, x := range m {
							v = append(v, float32(x))
						}
					}
					return array.CSRFromDense[float32, int32](array.Wrap(v, len(dm), px))
				}}
			}, array.Float32, 1e-6},
			{"dense float64", func() udf.UDF { return &ApplyMasks{Factories: f64Masks} }, array.Float64, 1e-12},
		} {
			for _, roi := range [][]bool{nil, randROI(n, 6)} {
				var picks, csr atomic.Int64
				ds := memDS(t, d.arr, dataset.MemoryOptions{NumPartitions: 3})
				got := runOne(t, ds, c.u(), udf.Options{Workers: 2, Devices: []udf.Device{kernelDevice(true, &picks, &csr)}}, roi)
				if csr.Load() == 0 {
					t.Fatalf("%s/%s: ran no csr_masks kernel", d.name, c.name)
				}
				b := got.Get("intensity")
				if b.DType() != c.dtype {
					t.Fatalf("%s/%s: dtype %v, want %v", d.name, c.name, b.DType(), c.dtype)
				}
				gv, _ := f64(t, b.Data())
				want := make([]float64, 0, n*len(dm))
				for f := 0; f < n; f++ {
					for _, m := range dm {
						s := 0.0
						for p := 0; p < px; p++ {
							s += m[p] * d.val(f*px+p)
						}
						if roi != nil && !roi[f] {
							s = math.NaN()
						}
						want = append(want, s)
					}
				}
				closeTo(t, d.name+"/"+c.name, gv, want, c.rtol, 1e-9)
			}
		}
	}
}

// bigEndianDS is a dataset stored big-endian: ReadTiles (the CPU path) hands out native
// tiles, ReadRawTiles the stored bytes, built here with encoding/binary.
type bigEndianDS struct {
	dataset.Dataset
	rawReads, reads atomic.Int64
}

func (b *bigEndianDS) DefaultPartitions(workers int) int {
	return b.Dataset.(dataset.PartitionCounter).DefaultPartitions(workers)
}

func (b *bigEndianDS) ReadTiles(ctx context.Context, p dataset.Partition, req dataset.TileRequest, fn func(*dataset.Tile) error) error {
	b.reads.Add(1)
	return b.Dataset.ReadTiles(ctx, p, req, fn)
}

func (b *bigEndianDS) RawByteOrder() (binary.ByteOrder, bool) { return binary.BigEndian, true }

func (b *bigEndianDS) ReadRawTiles(ctx context.Context, p dataset.Partition, req dataset.TileRequest, fn func(*dataset.Tile, []byte) error) error {
	b.rawReads.Add(1)
	var raw []byte
	return b.Dataset.ReadTiles(ctx, p, req, func(t *dataset.Tile) error {
		raw = raw[:0]
		switch d := t.Data.(type) {
		case *array.Dense[uint16]:
			for _, v := range d.Contiguous().Data() {
				raw = binary.BigEndian.AppendUint16(raw, v)
			}
		case *array.Dense[uint32]:
			for _, v := range d.Contiguous().Data() {
				raw = binary.BigEndian.AppendUint32(raw, v)
			}
		case *array.Dense[float32]:
			for _, v := range d.Contiguous().Data() {
				raw = binary.BigEndian.AppendUint32(raw, math.Float32bits(v))
			}
		default:
			return fmt.Errorf("bigEndianDS: %T", t.Data)
		}
		return fn(&dataset.Tile{Slice: t.Slice, SchemeIdx: t.SchemeIdx}, raw)
	})
}

// swapCountingExec is the emulator counting the elements it byte-swaps.
type swapCountingExec struct {
	cuda.Emulator
	swapped *atomic.Int64
}

func (s *swapCountingExec) SwapBytes(in cuda.Buf, e cuda.Elem, out cuda.Buf, n int) error {
	s.swapped.Add(int64(n))
	return s.Emulator.SwapBytes(in, e, out, n)
}

// TestDeviceBigEndianRaw: a big-endian dataset's frames go to the device as stored
// and are decoded there (swap_bytes): device-only runs read only raw tiles, swap every
// selected frame's elements once, and give the results of a direct loop over the
// native values (MIB U16 and U32, float32 ">f4"), with and without a ROI and with the
// device cache (the cache keeps the decoded frames: a second run swaps nothing).
func TestDeviceBigEndianRaw(t *testing.T) {
	const ny, nx, sy, sx = 4, 5, 6, 7
	n, px := ny*nx, sy*sx
	u16 := randU16(n*px, 31)
	u32 := make([]uint32, n*px)
	f32 := randF32(n*px, 32)
	for i := range u32 {
		u32[i] = uint32(u16[i])<<12 | uint32(i)
	}
	for _, d := range []struct {
		name string
		arr  array.Array
		val  func(i int) float64
	}{
		{"uint16", array.Wrap(u16, ny, nx, sy, sx), func(i int) float64 { return float64(u16[i]) }},
		{"uint32", array.Wrap(u32, ny, nx, sy, sx), func(i int) float64 { return float64(u32[i]) }},
		{"float32", array.Wrap(f32, ny, nx, sy, sx), func(i int) float64 { return float64(f32[i]) }},
	} {
		for _, roi := range [][]bool{nil, randROI(n, 7)} {
			ds := &bigEndianDS{Dataset: memDS(t, d.arr, dataset.MemoryOptions{NumPartitions: 3})}
			var swapped atomic.Int64
			cache := &udf.DeviceCache{}
			dev := udf.Device{Name: "emu:0", Only: true, Cache: cache, Execs: []cuda.Exec{
				&swapCountingExec{swapped: &swapped}, &swapCountingExec{swapped: &swapped}}}
			sel := 0
			for f := 0; f < n; f++ {
				if roi == nil || roi[f] {
					sel++
				}
			}
			for pass := range 2 {
				before := swapped.Load()
				res, err := udf.Run(context.Background(), ds, []udf.UDF{Sum{}, Pick{}}, udf.Options{Workers: 2, Devices: []udf.Device{dev},
					ROI: roiArray(roi)})
				if err != nil {
					t.Fatal(err)
				}
				if ds.reads.Load() != 0 {
					t.Fatalf("%s: the device-only run read %d partitions decoded on the host", d.name, ds.reads.Load())
				}
				want := int64(sel * px)
				if pass == 1 {
					want = 0 // served from the cache, decoded already
				}
				if got := swapped.Load() - before; got != want {
					t.Fatalf("%s pass %d: %d elements swapped on the device, want %d", d.name, pass, got, want)
				}
				sum := make([]float64, px)
				var picked []float64
				for f := 0; f < n; f++ {
					if roi == nil || roi[f] {
						for p := 0; p < px; p++ {
							sum[p] += d.val(f*px + p)
							picked = append(picked, d.val(f*px+p))
						}
					}
				}
				gs, _ := f64(t, res[0].Get("intensity").Data())
				closeTo(t, d.name+" sum", gs, sum, 1e-6, 1e-9)
				gp, _ := f64(t, res[1].Get("intensity").Data())
				closeTo(t, d.name+" pick", gp, picked, 0, 0)
			}
			if err := cache.Clear(); err != nil {
				t.Fatal(err)
			}
			// On a GPU: the same raw upload and swap_bytes on the device, compared
			// with the CPU path.
			if real, ok := realDevice(t, true); ok {
				got, err := udf.Run(context.Background(), ds, []udf.UDF{Sum{}, Pick{}}, udf.Options{Workers: 2, Devices: []udf.Device{real}, ROI: roiArray(roi)})
				if err != nil {
					t.Fatal(err)
				}
				want, err := udf.Run(context.Background(), ds.Dataset, []udf.UDF{Sum{}, Pick{}}, udf.Options{Workers: 2, ROI: roiArray(roi)})
				if err != nil {
					t.Fatal(err)
				}
				for i, name := range []string{"sum", "pick"} {
					gv, _ := f64(t, got[i].Get("intensity").Data())
					wv, _ := f64(t, want[i].Get("intensity").Data())
					closeTo(t, d.name+" GPU "+name, gv, wv, 1e-6, 1e-9)
				}
			}
		}
	}
}

func roiArray(roi []bool) array.Array {
	if roi == nil {
		return nil
	}
	return array.Wrap(append([]bool(nil), roi...), len(roi))
}
