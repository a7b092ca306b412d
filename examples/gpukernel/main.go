// Command gpukernel runs a user UDF whose device side is the user's own CUDA C kernel
// (like CuPy's RawKernel), compiled at run time by NVRTC: the per-pixel sum of squared
// intensities of the sample scan. On a machine without a GPU the kernel's Go twin runs
// on the CPU emulator instead, through the same engine path, so the example runs
// everywhere; it checks the result against the UDF's CPU path either way.
//
//	go run ./examples/gpukernel
package main

import (
	"context"
	"fmt"
	"log"
	"math"
	"unsafe"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/backends/cuda"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/internal/sample"
	"github.com/stemflow/stemflow/udf"
)

// squares is the device kernel: acc[p] += Σ_f in[f,p]², one thread per pixel.
var squares = &cuda.Kernel{
	Name: "square_sum",
	Source: `extern "C" __global__ void square_sum(const float* in, double* acc, long long nf, long long npix) {
    for (long long p = blockIdx.x * (long long)blockDim.x + threadIdx.x; p < npix; p += (long long)gridDim.x * blockDim.x) {
        double s = 0;
        for (long long f = 0; f < nf; f++) { double v = in[f * npix + p]; s += v * v; }
        acc[p] += s;
    }
}`,
	// Emulate is the same computation in Go, for the CPU emulator.
	Emulate: func(_, _ cuda.Dim3, args []any) error {
		in, acc := cuda.HostBytes(args[0].(cuda.Buf)), cuda.HostBytes(args[1].(cuda.Buf))
		nf, npix := int(args[2].(int64)), int(args[3].(int64))
		x := unsafe.Slice((*float32)(unsafe.Pointer(&in[0])), nf*npix)
		a := unsafe.Slice((*float64)(unsafe.Pointer(&acc[0])), npix)
		for p := range npix {
			s := 0.0
			for f := range nf {
				v := float64(x[f*npix+p])
				s += v * v
			}
			a[p] += s
		}
		return nil
	},
}

// SquareSum sums the squares of every pixel over all frames: "squares" (sig, float64).
type SquareSum struct{}

// squaresBuf is SquareSum's buffer.
var squaresBuf = udf.SigBuf[float64]("squares")

// ResultBuffers declares squares.
func (SquareSum) ResultBuffers(*udf.Meta) []udf.BufferSpec { return udf.Declare(squaresBuf) }

// PreferredInputDType asks for float32 tiles (the kernel's input type).
func (SquareSum) PreferredInputDType() array.DType { return array.Float32 }

// ProcessFrame is the CPU path.
func (SquareSum) ProcessFrame(env *udf.Env, frame array.Array) error {
	in, err := udf.Input[float32](frame)
	if err != nil {
		return err
	}
	acc := squaresBuf.View(env)
	a, v := acc.Data()[acc.Offset():], in.Contiguous().Data()
	for i, x := range v {
		a[i] += float64(x) * float64(x)
	}
	return nil
}

// Merge adds partitions.
func (SquareSum) Merge(dest, src *udf.Views, _ *udf.Meta) error { return udf.MergeAdd(dest, src) }

// NewDeviceTask is the device path: a float64 accumulator on the device.
func (SquareSum) NewDeviceTask(env *udf.Env, x cuda.Exec) (udf.DeviceTask, error) {
	npix := env.Meta.DatasetShape.SigSize()
	acc, err := x.Alloc(8 * int64(npix))
	if err != nil {
		return nil, err
	}
	return &squareTask{x: x, acc: acc, npix: npix}, x.Zero(acc, 0, acc.Size())
}

type squareTask struct {
	x    cuda.Exec
	acc  cuda.Buf
	npix int
}

func (t *squareTask) ProcessDeviceTile(_ *udf.Env, d *udf.DeviceTile) error {
	if d.Elem != cuda.F32 {
		return fmt.Errorf("square_sum takes float32 tiles, got %v", d.Elem)
	}
	grid := cuda.Dim3{X: uint32((t.npix + 255) / 256), Y: 1, Z: 1}
	return t.x.Launch(squares, grid, cuda.Dim3{X: 256, Y: 1, Z: 1}, 0, d.Data, t.acc, int64(d.Frames), int64(d.Pixels))
}

func (t *squareTask) Finish(env *udf.Env) error {
	raw := make([]byte, 8*t.npix)
	if err := t.x.CopyOut(raw, t.acc, 0); err != nil {
		return err
	}
	if err := t.x.Sync(); err != nil {
		return err
	}
	acc := squaresBuf.View(env)
	a := acc.Data()[acc.Offset():]
	for i, v := range unsafe.Slice((*float64)(unsafe.Pointer(&raw[0])), t.npix) {
		a[i] += v
	}
	return nil
}

func (t *squareTask) Release() error { return t.x.Free(t.acc) }

func main() {
	data, err := sample.Generate(sample.DefaultScene)
	if err != nil {
		log.Fatal(err)
	}
	ds, err := dataset.NewMemory(array.Wrap(data, sample.DefaultScene.Shape()...), dataset.MemoryOptions{})
	if err != nil {
		log.Fatal(err)
	}
	// A GPU when there is one, else the CPU emulator: one queue each for two slots.
	var execs []cuda.Exec
	where := "the CPU emulator (no GPU found)"
	if devs, err := cuda.Devices(); err == nil && len(devs) > 0 {
		for range 2 {
			x, err := cuda.NewStreamExec(devs[0])
			if err != nil {
				log.Fatal(err)
			}
			defer x.Close()
			execs = append(execs, x)
		}
		where = devs[0].String()
	} else {
		execs = []cuda.Exec{&cuda.Emulator{}, &cuda.Emulator{}}
	}
	ctx := context.Background()
	dev := udf.Device{Name: "gpu", Execs: execs, Only: true}
	gpu, err := udf.RunOne(ctx, ds, SquareSum{}, udf.Options{Devices: []udf.Device{dev}})
	if err != nil {
		log.Fatal(err)
	}
	cpu, err := udf.RunOne(ctx, ds, SquareSum{}, udf.Options{})
	if err != nil {
		log.Fatal(err)
	}
	g, err := squaresBuf.Get(gpu)
	if err != nil {
		log.Fatal(err)
	}
	c, err := squaresBuf.Get(cpu)
	if err != nil {
		log.Fatal(err)
	}
	worst := 0.0
	for i, v := range c.Contiguous().Data() {
		worst = max(worst, math.Abs(g.Contiguous().Data()[i]-v)/max(1, math.Abs(v)))
	}
	fmt.Printf("square sums on %s: %d pixels, max relative difference to the CPU path %.1e\n", where, c.Size(), worst)
	if worst > 1e-9 {
		log.Fatal("device and CPU results differ")
	}
}
