package udfs

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/backends/cuda"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/udf"
)

// countingExec is the CPU emulator counting the tiles uploaded to it.
type countingExec struct {
	cuda.Emulator
	tiles *atomic.Int64
}

func (c *countingExec) CopyIn(b cuda.Buf, off int64, src []byte) error {
	c.tiles.Add(1)
	return c.Emulator.CopyIn(b, off, src)
}

// emuDevice is a fake device of two slots backed by the emulator.
func emuDevice(only bool, tiles *atomic.Int64) udf.Device {
	return udf.Device{Name: "emu:0", Only: only, Execs: []cuda.Exec{
		&countingExec{Emulator: cuda.Emulator{Label: "emu/0"}, tiles: tiles},
		&countingExec{Emulator: cuda.Emulator{Label: "emu/1"}, tiles: tiles},
	}}
}

// realDevice returns device 0 with two CUDA streams, or false without a GPU.
func realDevice(t *testing.T, only bool) (udf.Device, bool) {
	if !cuda.Available() {
		return udf.Device{}, false
	}
	ds, _ := cuda.Devices()
	d := udf.Device{Name: "cuda:0", Only: only}
	for range 2 {
		x, err := cuda.NewStreamExec(ds[0])
		if err != nil {
			t.Fatalf("NewStreamExec: %v", err)
		}
		t.Cleanup(func() { _ = x.Close() })
		d.Execs = append(d.Execs, x)
	}
	return d, true
}

// TestDevicePathMatchesCPU runs every built-in with a device path through the engine
// on an emulated device, and on GPU 0 when there is one (device lanes only, and hybrid with the CPU workers), with and
// without a ROI, on uint16 and float32 data, and compares every result buffer with the
// CPU-only run: integer input exactly (sums below 2⁵³), float32 input within float32
// rounding of the CPU path's accumulation.
func TestDevicePathMatchesCPU(t *testing.T) {
	const ny, nx, sy, sx = 6, 7, 8, 9
	n, px := ny*nx, sy*sx
	u16 := randU16(n*px, 3)
	f32 := randF32(n*px, 4)
	datasets := []struct {
		name string
		arr  array.Array
		rtol float64
	}{
		{"uint16", array.Wrap(u16, ny, nx, sy, sx), 0},
		{"float32", array.Wrap(f32, ny, nx, sy, sx), 2e-6},
	}
	com, err := NewCoM(WithRadius(3))
	if err != nil {
		t.Fatal(err)
	}
	builtins := []struct {
		name string
		u    func() udf.UDF
		rtol float64 // extra tolerance of this UDF on top of the data's
		atol float64 // absolute tolerance for float input (CoM's shifts are differences of coordinates)
	}{
		{"sum", func() udf.UDF { return Sum{} }, 0, 0},
		{"sumsig", func() udf.UDF { return SumSig{} }, 0, 0},
		{"stddev", func() udf.UDF { return StdDev{} }, 1e-9, 0},
		{"com", func() udf.UDF { return com }, 1e-6, 1e-5},
		{"logsum", func() udf.UDF { return Logsum{} }, 1e-6, 0},
		{"fem", func() udf.UDF { return FEM{Center: [2]float64{4, 4}, RadIn: 1, RadOut: 3} }, 1e-5, 0},
		{"masks", func() udf.UDF {
			return &ApplyMasks{Factories: []MaskFactory{DiskMask(4, 4, 3), RingMask(4, 4, 4, 2)}}
		}, 1e-6, 0},
		{"sparse masks", func() udf.UDF {
			return &ApplyMasks{Factories: []MaskFactory{csrMask(DiskMask(4, 4, 3)), csrMask(RingMask(4, 4, 4, 2))}}
		}, 1e-6, 0},
		{"pick", func() udf.UDF { return Pick{} }, 0, 0},
	}
	for _, d := range datasets {
		for _, b := range builtins {
			for _, roiSeed := range []uint64{0, 9} {
				var roi []bool
				if roiSeed != 0 {
					roi = randROI(n, roiSeed)
				}
				ds := memDS(t, d.arr, dataset.MemoryOptions{NumPartitions: 5})
				want := runOne(t, ds, b.u(), udf.Options{Workers: 2}, roi)
				for _, only := range []bool{true, false} {
					name := d.name + "/" + b.name
					if roi != nil {
						name += "/roi"
					}
					if only {
						name += "/device-only"
					} else {
						name += "/hybrid"
					}
					t.Run(name, func(t *testing.T) {
						var tiles atomic.Int64
						devs := []udf.Device{emuDevice(only, &tiles)}
						if real, ok := realDevice(t, only); ok {
							devs = []udf.Device{real}
						}
						got := runOne(t, ds, b.u(), udf.Options{Workers: 2, Devices: devs}, roi)
						if only && tiles.Load() == 0 && devs[0].Name == "emu:0" {
							t.Fatal("device-only run uploaded no tile: the device path did not run")
						}
						for _, name := range want.Names() {
							wb, gb := want.Get(name), got.Get(name)
							if gb == nil {
								t.Fatalf("buffer %s missing", name)
							}
							if wb.DType() != gb.DType() {
								t.Fatalf("%s dtype %v, want %v", name, gb.DType(), wb.DType())
							}
							if wb.DType().Kind() == array.KindBool {
								continue
							}
							wv, _ := f64(t, wb.Data())
							gv, gs := f64(t, gb.Data())
							shapeIs(t, name, gs, wb.Data().Shape()...)
							atol := 1e-9
							if d.rtol != 0 {
								atol = max(atol, b.atol)
							}
							closeTo(t, name, gv, wv, d.rtol+b.rtol, atol)
						}
					})
				}
			}
		}
	}
}

// TestDevicePathFallsBack: shifted masks have no device path; the device lane then
// runs the task on the CPU path and the result is the CPU run's.
func TestDevicePathFallsBack(t *testing.T) {
	const ny, nx, sy, sx = 4, 5, 8, 8
	arr := array.Wrap(randF32(ny*nx*sy*sx, 5), ny, nx, sy, sx)
	ds := memDS(t, arr, dataset.MemoryOptions{NumPartitions: 3})
	shifted := func() udf.UDF {
		return &ApplyMasks{Factories: []MaskFactory{DiskMask(4, 4, 3)}, Shift: &[2]int{1, -1}}
	}
	want := runOne(t, ds, shifted(), udf.Options{Workers: 2}, nil)
	var tiles atomic.Int64
	got := runOne(t, ds, shifted(), udf.Options{Workers: 2, Devices: []udf.Device{emuDevice(true, &tiles)}}, nil)
	if tiles.Load() != 0 {
		t.Errorf("shifted masks uploaded %d tiles: expected the CPU path", tiles.Load())
	}
	wv, _ := f64(t, want.Get("intensity").Data())
	gv, _ := f64(t, got.Get("intensity").Data())
	closeTo(t, "intensity", gv, wv, 0, 0)
}

func TestDeviceOptionErrors(t *testing.T) {
	ds := memDS(t, array.Wrap(randF32(4*16, 1), 2, 2, 4, 4), dataset.MemoryOptions{})
	for _, devs := range [][]udf.Device{
		{{Name: "", Execs: []cuda.Exec{&cuda.Emulator{}}}},
		{{Name: "a"}},
		{{Name: "a", Execs: []cuda.Exec{&cuda.Emulator{}}}, {Name: "a", Execs: []cuda.Exec{&cuda.Emulator{}}}},
	} {
		if _, err := udf.RunOne(t.Context(), ds, Sum{}, udf.Options{Devices: devs}); err == nil {
			t.Errorf("devices %+v accepted", devs)
		}
	}
}

// readCounting is a dataset counting the partitions it reads.
type readCounting struct {
	dataset.Dataset
	reads atomic.Int64
}

// DefaultPartitions forwards the memory dataset's partition count.
func (r *readCounting) DefaultPartitions(workers int) int {
	return r.Dataset.(dataset.PartitionCounter).DefaultPartitions(workers)
}

func (r *readCounting) ReadTiles(ctx context.Context, p dataset.Partition, req dataset.TileRequest, fn func(*dataset.Tile) error) error {
	r.reads.Add(1)
	return r.Dataset.ReadTiles(ctx, p, req, fn)
}

// TestDeviceCache: a second run over the same dataset and dtype is served from device
// memory (nothing read, no tile uploaded) with the same result, also for another UDF
// and for a ROI (its frames gathered out of the cached partitions); a run with a ROI
// fills ROI entries that a run without one cannot use; a limit evicts; Clear frees
// everything the cache held.
func TestDeviceCache(t *testing.T) {
	const ny, nx, sy, sx = 6, 7, 8, 9
	n, px := ny*nx, sy*sx
	arr := array.Wrap(randU16(n*px, 8), ny, nx, sy, sx)
	ds := &readCounting{Dataset: memDS(t, arr, dataset.MemoryOptions{NumPartitions: 5})}
	var tiles atomic.Int64
	dev := emuDevice(true, &tiles)
	dev.Cache = &udf.DeviceCache{}
	opts := udf.Options{Workers: 2, Devices: []udf.Device{dev}}
	com, err := NewCoM(WithRadius(3))
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, u udf.UDF, roi []bool, wantReads bool) {
		t.Helper()
		before, uploads := ds.reads.Load(), tiles.Load()
		got := runOne(t, ds, u, opts, roi)
		reads := ds.reads.Load() - before
		want := runOne(t, ds.Dataset, u, udf.Options{Workers: 2}, roi)
		if (reads > 0) != wantReads {
			t.Fatalf("%s: %d partitions read, want reads %v", name, reads, wantReads)
		}
		if _, ok := u.(Sum); ok && !wantReads && tiles.Load() != uploads && roi == nil {
			t.Fatalf("%s: served from the cache but uploaded %d times", name, tiles.Load()-uploads)
		}
		for _, b := range want.Names() {
			wv, _ := f64(t, want.Get(b).Data())
			gv, _ := f64(t, got.Get(b).Data())
			closeTo(t, name+" "+b, gv, wv, 1e-9, 1e-9)
		}
	}
	check("first sum", Sum{}, nil, true)
	if b, parts := dev.Cache.Used(); parts != 5 || b != int64(n*px*2) {
		t.Fatalf("cache holds %d partitions, %d bytes; want 5, %d", parts, b, n*px*2)
	}
	check("cached sum", Sum{}, nil, false)
	check("cached sumsig", SumSig{}, nil, false) // another UDF, same data and dtype
	check("cached com", com, nil, false)
	if hits, misses := dev.Cache.Stats(); hits != 15 || misses != 5 {
		t.Errorf("stats: %d hits, %d misses; want 15, 5", hits, misses)
	}
	roi := randROI(n, 3)
	check("roi gathered from the cache", Sum{}, roi, false)
	check("roi gathered, pick", Pick{}, roi, false)
	check("roi gathered, com", com, roi, false)
	pick := make([]bool, n) // one frame, as the CLI's pick specs
	pick[17] = true
	check("one-frame pick gathered", Pick{}, pick, false)
	if b, parts := dev.Cache.Used(); parts != 5 || b != int64(n*px*2) {
		t.Fatalf("after the ROI runs the cache holds %d partitions, %d bytes; want 5, %d", parts, b, n*px*2)
	}
	// A cache filled by a ROI run serves that ROI, not a run without one.
	whole := dev.Cache
	dev.Cache = &udf.DeviceCache{}
	opts.Devices = []udf.Device{dev}
	check("roi fills", Sum{}, roi, true)
	check("roi hit", Sum{}, roi, false)
	check("no roi misses roi entries", Sum{}, nil, true)
	roiCache := dev.Cache
	// A limit of one partition's worth keeps evicting.
	small := &udf.DeviceCache{Limit: int64(9 * px * 2)}
	dev.Cache = small
	opts.Devices = []udf.Device{dev}
	check("limited", Sum{}, nil, true)
	if b, _ := small.Used(); b > small.Limit {
		t.Errorf("limited cache holds %d bytes > limit %d", b, small.Limit)
	}
	for _, c := range []*udf.DeviceCache{whole, roiCache, small} {
		if err := c.Clear(); err != nil {
			t.Fatal(err)
		}
	}
	var total int64
	for _, x := range dev.Execs {
		total += x.(*countingExec).Allocated.Load()
	}
	if total != 0 {
		t.Errorf("%d bytes still allocated on the emulated device after the runs and Clear", total)
	}
}

// csrMask turns a float32 dense mask factory into a CSR one.
func csrMask(f MaskFactory) MaskFactory {
	return func(sig []int) (array.Array, error) {
		m, err := f(sig)
		if err != nil {
			return nil, err
		}
		return array.CSRFromDense[float32, int32](m.(*array.Dense[float32]))
	}
}
