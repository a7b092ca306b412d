// Command templatematch finds diffraction peaks by template matching on sparse data,
// after the seed's "real-world example" (LiberTEM-blobfinder's SparseCorrelationUDF):
// each tile is log-scaled and multiplied with a sparse stack of shifted templates held
// in a udf.MaskContainer in task data (one disk template per expected peak and per
// shift in a small search window), the products are added to a correlation buffer,
// and Postprocess turns each frame's correlation maps into peak positions, sub-pixel
// refined positions and heights in extra result buffers.
//
// It runs on generated event-like data (mostly zeros, a few bright disks per frame at
// slightly shifted positions) held in a memory dataset that hands out CSR tiles:
//
//	go run ./examples/templatematch
package main

import (
	"context"
	"fmt"
	"log"
	"math"
	"math/rand/v2"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/backends"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/udf"
)

// TemplateMatch correlates every frame with disk templates of radius Radius centred
// at each expected peak position shifted by (dy, dx), |dy|, |dx| ≤ Steps, and reports
// per frame and peak the best position.
//
// Buffers (all kind nav): corr (float32, extra (peaks·(2·Steps+1)²,)), the
// correlation maps; centers (int32, extra (peaks, 2)), the best (y, x); refineds
// (float32, extra (peaks, 2)), the best position refined by a parabola through the
// neighbouring correlations; heights (float32, extra (peaks,)), the best correlation.
type TemplateMatch struct {
	Peaks  [][2]int // expected peak positions (y, x)
	Steps  int      // search window half-width in pixels
	Radius float64  // template disk radius
}

// window returns the number of shifts per peak, (2·Steps+1)².
func (u TemplateMatch) window() int { w := 2*u.Steps + 1; return w * w }

// TemplateMatch's buffers; their extra shapes depend on the parameters and are set
// in ResultBuffers.
var (
	corrBuf     = udf.NavBuf[float32]("corr")
	centersBuf  = udf.NavBuf[int32]("centers")
	refinedsBuf = udf.NavBuf[float32]("refineds")
	heightsBuf  = udf.NavBuf[float32]("heights")
)

// ResultBuffers declares corr, centers, refineds and heights.
func (u TemplateMatch) ResultBuffers(*udf.Meta) []udf.BufferSpec {
	np := len(u.Peaks)
	return udf.Declare(corrBuf.WithExtra(np*u.window()), centersBuf.WithExtra(np, 2),
		refinedsBuf.WithExtra(np, 2), heightsBuf.WithExtra(np))
}

// Backends lists CSR first: sparse tiles are multiplied without densifying them.
func (TemplateMatch) Backends() []backends.Backend {
	return []backends.Backend{backends.CSR, backends.Dense}
}

// task is the per-task state: the template stack and log-scaling scratch.
type task struct {
	masks    *udf.MaskContainer
	logCSR   array.CSR[float32, int32]
	logDense *array.Dense[float32]
}

// TaskData builds the sparse template stack (computed once per task, on first use).
func (u TemplateMatch) TaskData(env *udf.Env) (any, error) {
	sig := env.Meta.DatasetShape.Sig()
	if len(sig) != 2 {
		return nil, fmt.Errorf("templatematch needs 2 signal dims, got %v", sig)
	}
	stack := func(sig []int) (array.Array, error) { return u.templates(sig[0], sig[1]) }
	return &task{masks: udf.NewMaskStack(stack, array.Float32).WithSigShape(sig)}, nil
}

// templates returns the stack (peaks·window, sy·sx) as CSR: mask k = p·window + s is
// a disk at peak p shifted by shift s (row-major over dy, dx).
func (u TemplateMatch) templates(sy, sx int) (*array.CSR[float32, int32], error) {
	var rows, cols []int
	var vals []float32
	k := 0
	r := int(math.Ceil(u.Radius))
	for _, p := range u.Peaks {
		for dy := -u.Steps; dy <= u.Steps; dy++ {
			for dx := -u.Steps; dx <= u.Steps; dx++ {
				cy, cx := p[0]+dy, p[1]+dx
				for y := cy - r; y <= cy+r; y++ {
					for x := cx - r; x <= cx+r; x++ {
						d2 := float64((y-cy)*(y-cy) + (x-cx)*(x-cx))
						if y < 0 || y >= sy || x < 0 || x >= sx || d2 > u.Radius*u.Radius {
							continue
						}
						rows, cols, vals = append(rows, k), append(cols, y*sx+x), append(vals, 1)
					}
				}
				k++
			}
		}
	}
	return array.CSRFromCOO[float32, int32](k, sy*sx, rows, cols, vals)
}

// ProcessTile adds log(tile − min + 1) · templatesᵀ to the tile's correlation rows.
func (u TemplateMatch) ProcessTile(env *udf.Env, tile array.Array) error {
	t := env.TaskData().(*task)
	cut, err := t.masks.Get(env.Meta.SigSlice, false) // CSR (masks, box pixels)
	if err != nil {
		return err
	}
	m := cut.(*array.CSR[float32, int32])
	corr := corrBuf.View(env) // (frames of the tile, masks)
	switch d := tile.(type) {
	case *array.CSR[float32, int32]:
		// Non-negative frames stay sparse under log scaling.
		if err := array.LogScaleCSRInto(&t.logCSR, d); err == nil {
			return array.MulAddCSRCSRT(corr, &t.logCSR, m)
		}
		ld := t.scratch(d.Rows, d.Cols)
		if err := array.LogScaleInto(ld, d); err != nil {
			return err
		}
		return array.MulAddDenseCSRT(corr, ld, m)
	case *array.Dense[float32]:
		rows := d.Dim(0)
		ld := t.scratch(rows, d.Size()/max(rows, 1))
		src, dst := d.Contiguous().Data()[:d.Size()], ld.Data()
		px := ld.Dim(1)
		for f := 0; f < rows; f++ {
			row := src[f*px : (f+1)*px]
			mn := row[0]
			for _, v := range row {
				mn = min(mn, v)
			}
			for i, v := range row {
				dst[f*px+i] = float32(math.Log(float64(v-mn) + 1))
			}
		}
		return array.MulAddDenseCSRT(corr, ld, m)
	}
	return fmt.Errorf("templatematch: tile %T", tile)
}

func (t *task) scratch(rows, cols int) *array.Dense[float32] {
	if t.logDense == nil || t.logDense.Dim(0) != rows || t.logDense.Dim(1) != cols {
		t.logDense = array.Zeros[float32](rows, cols)
	}
	return t.logDense
}

// Postprocess evaluates the partition's correlation maps: per frame and peak the
// shift with the highest correlation, its parabola-refined position and height.
func (u TemplateMatch) Postprocess(env *udf.Env) error {
	corr := corrBuf.View(env).Data()
	centers := centersBuf.View(env).Data()
	refineds := refinedsBuf.View(env).Data()
	heights := heightsBuf.View(env).Data()
	np, win, w := len(u.Peaks), u.window(), 2*u.Steps+1
	frames := len(heights) / max(np, 1)
	for f := 0; f < frames; f++ {
		for p, peak := range u.Peaks {
			cm := corr[(f*np+p)*win : (f*np+p+1)*win] // (w, w) map over (dy, dx)
			best := 0
			for s, v := range cm {
				if v > cm[best] {
					best = s
				}
			}
			by, bx := best/w, best%w
			at := func(y, x int) float32 { return cm[y*w+x] }
			ry := refine(by, w, func(y int) float32 { return at(y, bx) })
			rx := refine(bx, w, func(x int) float32 { return at(by, x) })
			o := f*np + p
			centers[2*o] = int32(peak[0] + by - u.Steps)
			centers[2*o+1] = int32(peak[1] + bx - u.Steps)
			refineds[2*o] = float32(peak[0]-u.Steps) + ry
			refineds[2*o+1] = float32(peak[1]-u.Steps) + rx
			heights[o] = cm[best]
		}
	}
	return nil
}

// refine returns i plus the offset of the vertex of the parabola through the values
// at i−1, i, i+1 (i itself at the window's edge or on a flat top).
func refine(i, n int, v func(int) float32) float32 {
	if i == 0 || i == n-1 {
		return float32(i)
	}
	a, b, c := v(i-1), v(i), v(i+1)
	den := a - 2*b + c
	if den == 0 {
		return float32(i)
	}
	return float32(i) + 0.5*(a-c)/den
}

// Planted describes generated data: per frame the true peak positions.
type Planted struct {
	Nav, Sig []int
	Peaks    [][2]int   // lattice positions (the UDF's expected peaks)
	True     [][][2]int // [frame][peak] actual positions
}

// generate returns event-like frames (about 3 % single counts) with a bright disk of
// radius 3 at each lattice peak, shifted per frame by up to ±1 pixel.
func generate(seed uint64) (*array.Dense[float32], Planted) {
	nav, sig := []int{6, 8}, []int{64, 64}
	pl := Planted{Nav: nav, Sig: sig}
	for _, y := range []int{16, 32, 48} {
		for _, x := range []int{16, 32, 48} {
			pl.Peaks = append(pl.Peaks, [2]int{y, x})
		}
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	frames, sy, sx := nav[0]*nav[1], sig[0], sig[1]
	data := make([]float32, frames*sy*sx)
	for f := 0; f < frames; f++ {
		fr := data[f*sy*sx : (f+1)*sy*sx]
		for i := range fr {
			if rng.IntN(33) == 0 {
				fr[i] = 1
			}
		}
		var truth [][2]int
		for _, p := range pl.Peaks {
			cy, cx := p[0]+rng.IntN(3)-1, p[1]+rng.IntN(3)-1
			truth = append(truth, [2]int{cy, cx})
			for y := cy - 3; y <= cy+3; y++ {
				for x := cx - 3; x <= cx+3; x++ {
					d := math.Hypot(float64(y-cy), float64(x-cx))
					if d <= 3 {
						fr[y*sx+x] = float32(40 + 20*(3-d)) // brighter in the middle
					}
				}
			}
		}
		pl.True = append(pl.True, truth)
	}
	return array.Wrap(data, append(append([]int{}, nav...), sig...)...), pl
}

// run runs TemplateMatch over the data in a memory dataset that hands out CSR tiles.
func run(ctx context.Context, data *array.Dense[float32], pl Planted) (*udf.Result, error) {
	ds, err := dataset.NewMemory(data, dataset.MemoryOptions{NumPartitions: 4, ArrayFormats: []array.Format{array.FormatCSR}})
	if err != nil {
		return nil, err
	}
	u := TemplateMatch{Peaks: pl.Peaks, Steps: 2, Radius: 3}
	return udf.RunOne(ctx, ds, u, udf.Options{})
}

func main() {
	data, pl := generate(1)
	res, err := run(context.Background(), data, pl)
	if err != nil {
		log.Fatal(err)
	}
	centers, refineds, heights, err := rawResults(res)
	if err != nil {
		log.Fatal(err)
	}
	np := len(pl.Peaks)
	found := 0
	for f, truth := range pl.True {
		for p, tp := range truth {
			o := f*np + p
			if int(centers[2*o]) == tp[0] && int(centers[2*o+1]) == tp[1] {
				found++
			}
		}
	}
	fmt.Printf("%d frames × %d peaks: %d of %d planted peaks found at their exact position\n", len(pl.True), np, found, len(pl.True)*np)
	fmt.Println("frame 0:")
	for p := 0; p < np; p++ {
		fmt.Printf("  peak %v: center %v refined (%.2f, %.2f) height %.1f (planted %v)\n",
			pl.Peaks[p], centers[2*p:2*p+2], refineds[2*p], refineds[2*p+1], heights[p], pl.True[0][p])
	}
}

// rawResults returns the flat data of centers, refineds and heights.
func rawResults(res *udf.Result) (centers []int32, refineds, heights []float32, err error) {
	c, err := centersBuf.GetRaw(res)
	if err != nil {
		return nil, nil, nil, err
	}
	r, err := refinedsBuf.GetRaw(res)
	if err != nil {
		return nil, nil, nil, err
	}
	h, err := heightsBuf.GetRaw(res)
	if err != nil {
		return nil, nil, nil, err
	}
	return c.Contiguous().Data(), r.Contiguous().Data(), h.Contiguous().Data(), nil
}
