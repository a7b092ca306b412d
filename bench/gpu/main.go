// Command gpu is stemflow's GPU check: on a machine with an NVIDIA GPU (no Go toolchain
// needed: build it with CGO_ENABLED=0 and copy it) it generates data, checks every GPU
// built-in against the CPU path, and prints one table: on-device kernel throughput
// (device-resident tiles), streamed end-to-end runs from host memory (device only and
// hybrid CPU+GPU) against CPU-only runs, and per-run overhead. bench/gpu.sh builds it
// with the GPU test binaries. Without a GPU it says so and exits 0.
package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"time"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/backends/cuda"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/udf"
	"github.com/stemflow/stemflow/udfs"
)

func main() {
	frames := flag.Int("frames", 4096, "frames (the CuPy figures use 4096 of 128×128 float32 = 256 MiB)")
	side := flag.Int("side", 128, "frame side")
	reps := flag.Int("reps", 7, "repetitions per measurement (median)")
	streams := flag.Int("streams", 2, "CUDA streams per GPU")
	emulate := flag.Bool("emulate", false, "run every step on the CPU emulator instead of a GPU (checks this program without one; use few small frames: -frames 128 -side 16 -reps 1)")
	flag.Parse()
	if err := run(*frames, *side, *reps, *streams, *emulate); err != nil {
		fmt.Fprintln(os.Stderr, "gpu check:", err)
		os.Exit(1)
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func timeIt(reps int, f func() error) (time.Duration, error) {
	var ds []time.Duration
	for range reps {
		t0 := time.Now()
		if err := f(); err != nil {
			return 0, err
		}
		ds = append(ds, time.Since(t0))
	}
	return median(ds), nil
}

func gbps(bytes int64, d time.Duration) float64 { return float64(bytes) / d.Seconds() / 1e9 }

// gpu is one device of the check: a CUDA GPU, or the emulator with -emulate.
type gpu struct {
	name string
	dev  *cuda.Device // nil: emulator
}

func (g gpu) newExec() (cuda.Exec, error) {
	if g.dev == nil {
		return &cuda.Emulator{Label: g.name}, nil
	}
	return cuda.NewStreamExec(g.dev)
}

func run(frames, side, reps, streams int, emulate bool) error {
	var devs []gpu
	if emulate {
		devs = []gpu{{name: "emu:0"}}
		fmt.Printf("# stemflow GPU check on the CPU emulator (checks the program, not a GPU), %d CPUs\n\n", runtime.NumCPU())
	} else {
		cds, err := cuda.Devices()
		if err == nil && len(cds) == 0 {
			err = cuda.LoadError()
		}
		if err != nil {
			fmt.Println("no usable CUDA GPU:", err)
			return nil
		}
		for _, d := range cds {
			devs = append(devs, gpu{name: fmt.Sprintf("cuda:%d", d.Ordinal), dev: d})
		}
		v, _ := cuda.DriverVersion()
		fmt.Printf("# stemflow GPU check: %v, driver %d, %d CPUs\n\n", cds[0], v, runtime.NumCPU())
	}
	npix := side * side
	ny := 64
	nx := frames / ny
	data := make([]float32, frames*npix)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = float32(rng.IntN(1000))
	}
	bytes := int64(4 * len(data))

	// 1. Device-resident kernels.
	x, err := devs[0].newExec()
	if err != nil {
		return err
	}
	defer x.Close()
	in, err := x.Alloc(bytes)
	if err != nil {
		return err
	}
	defer x.Free(in)
	raw := unsafeBytes(data)
	if err := x.CopyIn(in, 0, raw); err != nil {
		return err
	}
	acc, _ := x.Alloc(8 * int64(npix))
	out, _ := x.Alloc(24 * int64(frames))
	mask, _ := x.Alloc(4 * int64(npix) * 16)
	f32, _ := x.Alloc(4 * int64(frames) * 16)
	csrOut, _ := x.Alloc(8 * int64(frames) * 16)
	copyBuf, _ := x.Alloc(bytes)
	// 16 disk masks as CSR rows (csr_masks), gather indices (every other frame).
	ptr, idx, val := diskCSR(side, 16)
	csrPtr, _ := x.Alloc(int64(4 * len(ptr)))
	csrIdx, _ := x.Alloc(int64(4 * len(idx)))
	csrVal, _ := x.Alloc(int64(8 * len(val)))
	gIdx, _ := x.Alloc(8 * int64(frames/2))
	for _, c := range []struct {
		b   cuda.Buf
		src []byte
	}{{csrPtr, i32Raw(ptr)}, {csrIdx, i32Raw(idx)}, {csrVal, f64Raw(val)}, {gIdx, everyOther(frames)}} {
		defer x.Free(c.b)
		if err := x.CopyIn(c.b, 0, c.src); err != nil {
			return err
		}
	}
	for _, b := range []cuda.Buf{acc, out, mask, f32, csrOut, copyBuf} {
		defer x.Free(b)
		if err := x.Zero(b, 0, b.Size()); err != nil {
			return err
		}
	}
	fmt.Println("| on device (tiles resident) | GB/s | CuPy on H200 |")
	fmt.Println("|---|---|---|")
	kern := []struct {
		name, cupy string
		f          func() error
	}{
		{"Sum (sum_frames)", "1,868", func() error { return x.SumFrames(in, cuda.F32, acc, frames, npix) }},
		{"SumSig (sum_sig)", "3,121", func() error { return x.SumSig(in, cuda.F32, out, 0, frames, npix) }},
		{"StdDev (std_frames)", "–", func() error { return x.StdFrames(in, cuda.F32, acc, acc, frames, npix, 0) }},
		{"CoM (com_frames)", "1,364", func() error { return x.CoMFrames(in, cuda.F32, mask, out, 0, frames, npix, side) }},
		{"masks×16 (cuBLAS SgemmNT)", "1,527", func() error { return x.GemmNT32(frames, 16, npix, in, mask, f32, 0) }},
		{"sparse masks×16 (csr_masks)", "–", func() error { return x.CSRMasks(in, cuda.F32, csrPtr, csrIdx, csrVal, csrOut, 0, frames, npix, 16) }},
		{"Pick (pick_frames, read + write)", "–", func() error { return x.PickFrames(in, cuda.F32, copyBuf, 0, frames, npix) }},
		{"ROI from cache (gather_frames, ½ of the frames)", "–", func() error { return x.GatherFrames(in, cuda.F32, gIdx, copyBuf, frames/2, npix) }},
		{"big-endian decode (swap_bytes u16, in place)", "–", func() error { return x.SwapBytes(copyBuf, cuda.U16, copyBuf, int(bytes/2)) }},
	}
	for _, k := range kern {
		if err := k.f(); err != nil { // warm-up (JIT, cuBLAS handle)
			return fmt.Errorf("%s: %w", k.name, err)
		}
		if err := x.Sync(); err != nil {
			return err
		}
		d, err := timeIt(reps, func() error {
			for range 10 {
				if err := k.f(); err != nil {
					return err
				}
			}
			return x.Sync()
		})
		if err != nil {
			return err
		}
		fmt.Printf("| %s | %.0f | %s |\n", k.name, gbps(10*bytes, d), k.cupy)
	}

	// 2. Streamed runs from host memory: CPU only, device only, hybrid.
	arr := array.Wrap(data, ny, nx, side, side)
	ds, err := dataset.NewMemory(arr, dataset.MemoryOptions{})
	if err != nil {
		return err
	}
	var gpuDevs []udf.Device
	for _, d := range devs {
		ud := udf.Device{Name: d.name}
		for range streams {
			sx, err := d.newExec()
			if err != nil {
				return err
			}
			defer sx.Close()
			ud.Execs = append(ud.Execs, sx)
		}
		gpuDevs = append(gpuDevs, ud)
	}
	only := slices.Clone(gpuDevs)
	for i := range only {
		only[i].Only = true
	}
	com, err := udfs.NewCoM()
	if err != nil {
		return err
	}
	masks := make([]udfs.MaskFactory, 16)
	for i := range masks {
		masks[i] = udfs.DiskMask(float64(side/2), float64(side/2), float64(4+3*i))
	}
	builtins := []struct {
		name string
		u    udf.UDF
	}{
		{"sum", udfs.Sum{}}, {"sumsig", udfs.SumSig{}}, {"stddev", udfs.StdDev{}}, {"com", com},
		{"logsum", udfs.Logsum{}}, {"fem", udfs.FEM{Center: [2]float64{float64(side / 2), float64(side / 2)}, RadIn: 10, RadOut: 30}},
		{"masks×16", &udfs.ApplyMasks{Factories: masks}},
		{"sparse masks×16", &udfs.ApplyMasks{Factories: sparseMasks(masks)}},
	}
	fmt.Printf("\n| streamed from host memory (%d MiB, %d streams) | CPU only GB/s | GPU only GB/s | hybrid GB/s | hybrid/CPU | max rel. diff GPU vs CPU |\n", bytes>>20, streams)
	fmt.Println("|---|---|---|---|---|---|")
	ctx := context.Background()
	for _, b := range builtins {
		var res [3][]*udf.Result
		var dur [3]time.Duration
		for i, devs := range [][]udf.Device{nil, only, gpuDevs} {
			opts := udf.Options{Devices: devs}
			if _, err := udf.Run(ctx, ds, []udf.UDF{b.u}, opts); err != nil { // warm-up
				return fmt.Errorf("%s: %w", b.name, err)
			}
			dur[i], err = timeIt(reps, func() error {
				res[i], err = udf.Run(ctx, ds, []udf.UDF{b.u}, opts)
				return err
			})
			if err != nil {
				return fmt.Errorf("%s: %w", b.name, err)
			}
		}
		fmt.Printf("| %s | %.1f | %.1f | %.1f | %.2f | %s |\n", b.name, gbps(bytes, dur[0]), gbps(bytes, dur[1]), gbps(bytes, dur[2]),
			dur[0].Seconds()/dur[2].Seconds(), verdict(maxRelDiff(res[0][0], res[1][0])))
	}

	cached := map[string]udf.UDF{}
	var cachedOrder []string
	for _, b := range builtins {
		if b.name == "sum" || b.name == "com" || b.name == "stddev" || b.name == "masks×16" {
			cached[b.name] = b.u
			cachedOrder = append(cachedOrder, b.name)
		}
	}
	cacheDesc, err := cachedRows(ctx, ds, bytes, reps, only, cached, cachedOrder)
	if err != nil {
		return err
	}

	// Pick (64 frames), and Sum over big-endian uint16 data (MIB U16: the stored bytes
	// are uploaded and decoded by swap_bytes), each against the CPU path.
	if err := extraRows(ctx, data[:len(data)/2], ny/2, nx, side, reps, gpuDevs, only); err != nil {
		return err
	}
	fmt.Printf("\ndevice-resident rows: %s\n", cacheDesc)

	// 3. Per-run overhead: a 16-frame run on the device vs the CPU.
	small, err := dataset.NewMemory(array.Wrap(data[:16*npix], 4, 4, side, side), dataset.MemoryOptions{})
	if err != nil {
		return err
	}
	for _, c := range []struct {
		name string
		devs []udf.Device
	}{{"CPU", nil}, {"GPU", only}} {
		d, err := timeIt(max(reps, 21), func() error {
			_, err := udf.Run(ctx, small, []udf.UDF{udfs.Sum{}}, udf.Options{Devices: c.devs})
			return err
		})
		if err != nil {
			return err
		}
		fmt.Printf("\nper-run overhead, Sum over 16 frames on the %s: %v", c.name, d)
	}
	fmt.Println()
	return nil
}

// maxRelDiff compares every buffer of two results: max |a−b| / max(1, |a|).
func maxRelDiff(a, b *udf.Result) float64 {
	worst := 0.0
	for _, n := range a.Names() {
		av, err1 := array.Convert(a.Get(n).RawData(), array.Float64)
		bv, err2 := array.Convert(b.Get(n).RawData(), array.Float64)
		if err1 != nil || err2 != nil {
			continue
		}
		x, y := av.(*array.Dense[float64]).Contiguous().Data(), bv.(*array.Dense[float64]).Contiguous().Data()
		for i := range min(len(x), len(y)) {
			if math.IsNaN(x[i]) && math.IsNaN(y[i]) {
				continue
			}
			worst = max(worst, math.Abs(x[i]-y[i])/max(1, math.Abs(x[i])))
		}
	}
	return worst
}
