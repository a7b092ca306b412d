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
	flag.Parse()
	if err := run(*frames, *side, *reps, *streams); err != nil {
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

func run(frames, side, reps, streams int) error {
	devs, err := cuda.Devices()
	if err == nil && len(devs) == 0 {
		err = cuda.LoadError()
	}
	if err != nil {
		fmt.Println("no usable CUDA GPU:", err)
		return nil
	}
	v, _ := cuda.DriverVersion()
	fmt.Printf("# stemflow GPU check: %v, driver %d, %d CPUs\n\n", devs[0], v, runtime.NumCPU())
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
	x, err := cuda.NewStreamExec(devs[0])
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
	for _, b := range []cuda.Buf{acc, out, mask, f32} {
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
		ud := udf.Device{Name: fmt.Sprintf("cuda:%d", d.Ordinal)}
		for range streams {
			sx, err := cuda.NewStreamExec(d)
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
		diff := maxRelDiff(res[0][0], res[1][0])
		fmt.Printf("| %s | %.1f | %.1f | %.1f | %.2f | %.1e |\n", b.name, gbps(bytes, dur[0]), gbps(bytes, dur[1]), gbps(bytes, dur[2]),
			dur[0].Seconds()/dur[2].Seconds(), diff)
	}

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
