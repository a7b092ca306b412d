package udfs

import (
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/internal/kernels"
	"github.com/stemflow/stemflow/udf"
)

// ErrShape reports a dataset shape a built-in cannot work on (CoM needs 2 nav and 2
// signal dims; FEM and Crystallinity 2 signal dims).
var ErrShape = errors.New("udfs: unsupported dataset shape")

// ErrRadius reports a CoM ring whose inner radius is not below its outer radius.
var ErrRadius = errors.New("udfs: inner radius must be less than outer radius")

// CoM is centre-of-mass analysis (the reference's CoMUDF). Per frame it sums, over a
// disk or ring selection around (CY, CX), the intensity Σp and its first moments Σy·p
// and Σx·p in one pass (kept in the private nav buffer raw_mask_result, (3,)); the main
// node then derives, per nav position:
//
//	raw_com     (2,)  (Σy·p/Σp, Σx·p/Σp), or (CY, CX) where Σp = 0
//	raw_shifts  (2,)  raw_com − (CY, CX)
//	field       (2,)  R(scan rotation)·F·raw_shifts − regression, F = diag(−1, 1) if
//	                  FlipY, R(θ) = [[cos θ, sin θ], [−sin θ, cos θ]] on (y, x)
//	field_y, field_x, magnitude = |field|, divergence = ∂fy/∂y + ∂fx/∂x,
//	curl = ∂fy/∂x − ∂fx/∂y (numpy.gradient: central differences, one-sided at edges)
//	regression  single (3, 2) float64, the correction subtracted from field
//
// All nav results are result-only, dtype result_type(input, float32). The regression
// is fitted over the valid (processed) positions; outside the ROI the values are NaN
// before filtering. Build one with NewCoM.
type CoM struct {
	cy, cx       float64
	hasCenter    bool
	r, ri        float64
	scanRotation float64
	flipY        bool
	regression   Regression
	// plans shares the selection between the tasks of a run (set by NewCoM).
	plans *comPlans
}

// CoMOption configures NewCoM.
type CoMOption func(*CoM)

// WithCenter sets the selection centre and the reference point of the shifts (row
// cy, column cx); the default is the signal centre (sy/2, sx/2) in integers.
func WithCenter(cy, cx float64) CoMOption {
	return func(c *CoM) { c.cy, c.cx, c.hasCenter = cy, cx, true }
}

// WithRadius restricts the selection to a disk of radius r (default +Inf: the whole
// frame).
func WithRadius(r float64) CoMOption { return func(c *CoM) { c.r = r } }

// WithRing restricts the selection to the ring ri < d ≤ r.
func WithRing(ri, r float64) CoMOption { return func(c *CoM) { c.ri, c.r = ri, r } }

// WithScanRotation rotates the field by deg degrees (positive: clockwise).
func WithScanRotation(deg float64) CoMOption { return func(c *CoM) { c.scanRotation = deg } }

// WithFlipY flips the y component before the rotation.
func WithFlipY(flip bool) CoMOption { return func(c *CoM) { c.flipY = flip } }

// WithRegression sets the background correction (default RegressionNone).
func WithRegression(r Regression) CoMOption { return func(c *CoM) { c.regression = r } }

// NewCoM returns a CoM with the given options. It fails with ErrRadius when the inner
// radius is not below the outer one.
func NewCoM(opts ...CoMOption) (*CoM, error) {
	c := &CoM{r: math.Inf(1), plans: &comPlans{}}
	for _, o := range opts {
		o(c)
	}
	if !(c.ri < c.r) {
		return nil, fmt.Errorf("%w: ri %v, r %v", ErrRadius, c.ri, c.r)
	}
	if c.regression.kind > regExplicit {
		return nil, fmt.Errorf("%w: %v", ErrInvalidRegression, c.regression)
	}
	return c, nil
}

// Name returns "CoM".
func (*CoM) Name() string { return "CoM" }

// PreferredInputDType returns udf.NativeDType: uint16 frames are converted inside a
// fused SIMD moments kernel instead of being decoded into a float32 tile first. The
// buffer dtypes are the reference's (result_type(input, float32)).
func (*CoM) PreferredInputDType() array.DType { return udf.NativeDType }

const (
	comRaw = iota
	comRawCom
	comRawShifts
	comField
	comFieldY
	comFieldX
	comMagnitude
	comDivergence
	comCurl
	comRegression
)

// ResultBuffers declares raw_mask_result (private) and the result-only outputs.
func (*CoM) ResultBuffers(m *udf.Meta) []udf.BufferSpec {
	dt := array.ResultType(m.InputDType, array.Float32)
	return []udf.BufferSpec{
		udf.NavBuffer("raw_mask_result", dt, 3).OnDevice().Private(),
		udf.NavBuffer("raw_com", dt, 2).ResultOnly(),
		udf.NavBuffer("raw_shifts", dt, 2).ResultOnly(),
		// the corrected field and what derives from it are float64, as in the
		// reference (the rotation is applied in float64)
		udf.NavBuffer("field", array.Float64, 2).ResultOnly(),
		udf.NavBuffer("field_y", array.Float64).ResultOnly(),
		udf.NavBuffer("field_x", array.Float64).ResultOnly(),
		udf.NavBuffer("magnitude", array.Float64).ResultOnly(),
		udf.NavBuffer("divergence", array.Float64).ResultOnly(),
		udf.NavBuffer("curl", array.Float64).ResultOnly(),
		udf.SingleBuffer("regression", array.Float64, 3, 2).ResultOnly(),
	}
}

// center returns (cy, cx), defaulting to the integer signal centre.
func (c *CoM) center(sig []int) (float64, float64) {
	if c.hasCenter {
		return c.cy, c.cx
	}
	return float64(sig[0] / 2), float64(sig[1] / 2)
}

// comTask holds a task's view of the selection and its scratch.
type comTask struct {
	sy, sx int
	// spans[y] lists [x0, x1) intervals of selected pixels in row y (shared with
	// the plan: read only).
	spans  [][][2]int
	plan   *comPlan
	colsum []float32 // per-frame column sums (length sx)
	// kerns caches, per scheme index, the SIMD kernel for that signal box (spans
	// clipped to the box, box-local coordinates).
	kerns []*kernels.CoM
	// weights caches, per scheme index, the plan's weights of that box.
	weights []*comWeights
}

// comPlan is the selection of one CoM on one signal shape, shared by every task of
// a run: the spans and, per signal box, the weights, built once by the first task
// that needs them. Every task used to build its own, a few hundred kB of fresh
// memory (page faults) and a loop over every pixel per task.
type comPlan struct {
	sy, sx int
	spans  [][][2]int

	mu      sync.Mutex
	weights map[[4]int]*comWeights // by (oy, ox, by, bx)
}

// comPlans holds a CoM's plans by signal shape.
type comPlans struct {
	mu    sync.Mutex
	plans map[[2]int]*comPlan
}

// comChunk is the number of pixels the uint16 kernel reduces in float32 before the
// partial moments are added in float64.
const comChunk = 2048

// comWeights are a box's selection m (0/1) and m·x, m·y in frame coordinates,
// box-local layout (built only when the bounding-box kernels cannot run, rows = 0).
// Immutable once built.
type comWeights struct {
	m, mx, my []float32
	// The selection's bounding box in the box (rows r0.., columns c0.., width w8, a
	// multiple of 8) and its weights, rows × w8; rows is 0 when there is none or the
	// rounded width does not fit the box.
	r0, rows, c0, w8 int
	bm               []float32 // rows × w8 selection; nil when every weight is 1
	bxs              []float32 // w8 column coordinates (frame)
	key              [4]int    // the box: oy, ox, by, bx
}

// boxWeights returns the weights for the box of scheme index idx.
func (t *comTask) boxWeights(idx, oy, ox, by, bx int) *comWeights {
	for idx >= len(t.weights) {
		t.weights = append(t.weights, nil)
	}
	if w := t.weights[idx]; w != nil && w.key == [4]int{oy, ox, by, bx} {
		return w
	}
	w := t.plan.boxWeights(oy, ox, by, bx)
	t.weights[idx] = w
	return w
}

// boxWeights returns the weights of a box, building them on first use.
func (p *comPlan) boxWeights(oy, ox, by, bx int) *comWeights {
	key := [4]int{oy, ox, by, bx}
	p.mu.Lock()
	defer p.mu.Unlock()
	if w := p.weights[key]; w != nil {
		return w
	}
	w := &comWeights{key: key}
	// the bounding box of the selection inside the box, from the spans
	r0, r1, c0, c1 := by, 0, bx, 0
	for y := 0; y < by; y++ {
		for _, sp := range p.spans[oy+y] {
			a, b := max(sp[0], ox), min(sp[1], ox+bx)
			if a < b {
				r0, r1, c0, c1 = min(r0, y), max(r1, y+1), min(c0, a-ox), max(c1, b-ox)
			}
		}
	}
	if r1 > r0 {
		w8 := (c1 - c0 + 7) / 8 * 8
		if w8 <= bx {
			c0 = min(c0, bx-w8)
			w.r0, w.rows, w.c0, w.w8 = r0, r1-r0, c0, w8
			w.bxs = make([]float32, w8)
			for k := range w.bxs {
				w.bxs[k] = float32(ox + c0 + k)
			}
			bm := make([]float32, w.rows*w8)
			ones := true
			for r := 0; r < w.rows; r++ {
				row := bm[r*w8 : (r+1)*w8]
				for _, sp := range p.spans[oy+r0+r] {
					for x := max(sp[0], ox+c0); x < min(sp[1], ox+c0+w8); x++ {
						row[x-ox-c0] = 1
					}
				}
				for _, v := range row {
					ones = ones && v == 1
				}
			}
			if !ones {
				w.bm = bm
			}
			// else: the whole bounding box is selected (a whole frame, or a
			// disk that covers the box): the kernels skip the weights, which
			// halves what they read per pixel; 1·p = p, so the sums are
			// bit-identical.
		}
	}
	if w.rows == 0 {
		w.m, w.mx, w.my = make([]float32, by*bx), make([]float32, by*bx), make([]float32, by*bx)
		for y := 0; y < by; y++ {
			for _, sp := range p.spans[oy+y] {
				for x := max(sp[0], ox); x < min(sp[1], ox+bx); x++ {
					i := y*bx + x - ox
					w.m[i], w.mx[i], w.my[i] = 1, float32(x), float32(oy+y)
				}
			}
		}
	}
	if p.weights == nil {
		p.weights = map[[4]int]*comWeights{}
	}
	p.weights[key] = w
	return w
}

// boxKernel returns the cached kernel for the box of scheme index idx.
func (t *comTask) boxKernel(idx, oy, ox, by, bx int) *kernels.CoM {
	for idx >= len(t.kerns) {
		t.kerns = append(t.kerns, nil)
	}
	if k := t.kerns[idx]; k != nil && k.FrameLen() == by*bx {
		return k
	}
	var spans []kernels.Span
	for y := 0; y < by; y++ {
		for _, sp := range t.spans[oy+y] {
			a, b := max(sp[0], ox), min(sp[1], ox+bx)
			if a < b {
				spans = append(spans, kernels.Span{Y: y, X0: a - ox, X1: b - ox})
			}
		}
	}
	k, err := kernels.NewCoM(by, bx, spans)
	if err != nil {
		return nil // cannot happen: spans are clipped to the box
	}
	t.kerns[idx] = k
	return k
}

// TaskData validates the shape and builds the selection.
func (c *CoM) TaskData(env *udf.Env) (any, error) {
	if err := refuseComplex("CoM", env.Meta); err != nil {
		return nil, err
	}
	ds := env.Meta.DatasetShape
	sig := ds.Sig()
	if len(sig) != 2 {
		return nil, fmt.Errorf("%w: CoM needs 2 signal dims, dataset shape %v", ErrShape, ds)
	}
	if ds.NavDims() != 2 {
		return nil, fmt.Errorf("%w: CoM needs 2 nav dims, dataset shape %v", ErrShape, ds)
	}
	return c.newTask(sig[0], sig[1]), nil
}

func (c *CoM) newTask(sy, sx int) *comTask {
	p := c.plan(sy, sx)
	return &comTask{sy: sy, sx: sx, spans: p.spans, plan: p, colsum: make([]float32, sx)}
}

// plan returns the shared selection plan for sy × sx frames, building it on first
// use.
func (c *CoM) plan(sy, sx int) *comPlan {
	if c.plans == nil { // a CoM not made by NewCoM: no sharing
		return c.newPlan(sy, sx)
	}
	c.plans.mu.Lock()
	defer c.plans.mu.Unlock()
	if p := c.plans.plans[[2]int{sy, sx}]; p != nil {
		return p
	}
	p := c.newPlan(sy, sx)
	if c.plans.plans == nil {
		c.plans.plans = map[[2]int]*comPlan{}
	}
	c.plans.plans[[2]int{sy, sx}] = p
	return p
}

func (c *CoM) newPlan(sy, sx int) *comPlan {
	cy, cx := c.center([]int{sy, sx})
	ring := !(math.Abs(c.ri) <= 1e-8) // the reference's np.isclose(ri, 0)
	p := &comPlan{sy: sy, sx: sx, spans: make([][][2]int, sy)}
	for y := 0; y < sy; y++ {
		in := false
		start := 0
		for x := 0; x <= sx; x++ {
			sel := false
			if x < sx {
				sel = inDisk(y, x, cy, cx, c.r) && (!ring || !inDisk(y, x, cy, cx, c.ri))
			}
			if sel && !in {
				start, in = x, true
			} else if !sel && in {
				p.spans[y] = append(p.spans[y], [2]int{start, x})
				in = false
			}
		}
	}
	return p
}

// ProcessTile adds each frame's Σp, Σy·p, Σx·p over the tile's signal box.
func (c *CoM) ProcessTile(env *udf.Env, tile array.Array) error {
	t := env.TaskData().(*comTask)
	depth := env.Meta.Slice.Shape.Dim(0)
	box := env.Meta.SigSlice
	oy, ox := box.Origin[0], box.Origin[1]
	by, bx := box.Shape.Dim(0), box.Shape.Dim(1)
	out := env.At(comRaw)
	switch d := tile.(type) {
	case *array.Dense[float32]:
		data := tileData(d)
		if w := t.boxWeights(env.Meta.TilingSchemeIdx, oy, ox, by, bx); w.rows > 0 {
			return comBBox(w, out, data, depth, oy, bx, by*bx, comRowsF32)
		}
		if k := t.boxKernel(env.Meta.TilingSchemeIdx, oy, ox, by, bx); k != nil {
			// The fused SIMD kernel (Σp and Σx·p in one pass per span) on the box,
			// with box-local coordinates shifted back to the frame's.
			n := by * bx
			fy, fx := float64(oy), float64(ox)
			for f := 0; f < depth; f++ {
				s, sy, sxw := k.Frame(data[f*n : (f+1)*n])
				if err := addMoments(out, f, s, sy+fy*s, sxw+fx*s); err != nil {
					return err
				}
			}
			return nil
		}
		for f := 0; f < depth; f++ {
			s, sy, sxw := t.frameF32(data[f*by*bx:(f+1)*by*bx], oy, ox, by, bx)
			if err := addMoments(out, f, s, sy, sxw); err != nil {
				return err
			}
		}
		return nil
	case *array.Dense[float64]:
		return comGeneric(t, out, tileData(d), depth, oy, ox, by, bx)
	case *array.Dense[uint16]:
		// Fused: the stored uint16 values are converted inside a SIMD kernel that
		// accumulates Σm·p, Σm·x·p and Σm·y·p against the selection's weights, in
		// chunks of whole rows summed in float64.
		data := tileData(d)
		w := t.boxWeights(env.Meta.TilingSchemeIdx, oy, ox, by, bx)
		n := by * bx
		if w.rows > 0 {
			return comBBox(w, out, data, depth, oy, bx, n, comRowsU16)
		}
		chunk := max(1, comChunk/max(bx, 1)) * bx
		for f := 0; f < depth; f++ {
			fr := data[f*n : (f+1)*n]
			var s, sy, sxw float64
			for c0 := 0; c0 < n; c0 += chunk {
				c1 := min(n, c0+chunk)
				ps, px, py := moments3U16(fr[c0:c1], w.m[c0:c1], w.mx[c0:c1], w.my[c0:c1])
				s += float64(ps)
				sxw += float64(px)
				sy += float64(py)
			}
			if err := addMoments(out, f, s, sy, sxw); err != nil {
				return err
			}
		}
		return nil
	case *array.Dense[bool]:
		conv, err := array.Convert(d, array.Float32)
		if err != nil {
			return err
		}
		return c.ProcessTile(env, conv)
	case *array.Dense[int32]:
		return comGeneric(t, out, tileData(d), depth, oy, ox, by, bx)
	case *array.Dense[uint8]: // Merlin 1/6-bit
		return comGeneric(t, out, tileData(d), depth, oy, ox, by, bx)
	case *array.Dense[uint32]: // Merlin 24-bit
		return comGeneric(t, out, tileData(d), depth, oy, ox, by, bx)
	case *array.Dense[uint64]:
		return comGeneric(t, out, tileData(d), depth, oy, ox, by, bx)
	case *array.Dense[int8]:
		return comGeneric(t, out, tileData(d), depth, oy, ox, by, bx)
	case *array.Dense[int16]:
		return comGeneric(t, out, tileData(d), depth, oy, ox, by, bx)
	case *array.Dense[int64]:
		return comGeneric(t, out, tileData(d), depth, oy, ox, by, bx)
	}
	return tileTypeError("CoM", tile)
}

// frameF32 returns Σp, Σy·p, Σx·p of one frame's box (rows oy.., columns ox..).
// Each selected span of a row is summed by the SIMD row-sum kernel and added to the
// column sums by the SIMD add kernel; the moments follow from the row and column sums.
func (t *comTask) frameF32(fr []float32, oy, ox, by, bx int) (s, sy, sx float64) {
	x0b, x1b := ox, ox+bx
	colsum := t.colsum
	touched0, touched1 := t.sx, 0
	for y := 0; y < by; y++ {
		gy := oy + y
		row := fr[y*bx : (y+1)*bx]
		var rs float64
		for _, sp := range t.spans[gy] {
			a, b := max(sp[0], x0b), min(sp[1], x1b)
			if a >= b {
				continue
			}
			seg := row[a-ox : b-ox]
			rs += float64(kernels.SumF32(seg))
			kernels.AddF32(colsum[a:b], seg)
			touched0, touched1 = min(touched0, a), max(touched1, b)
		}
		s += rs
		sy += float64(gy) * rs
	}
	for x := touched0; x < touched1; x++ {
		sx += float64(x) * float64(colsum[x])
		colsum[x] = 0
	}
	return s, sy, sx
}

func comGeneric[T realNumber](t *comTask, out array.Array, data []T, depth, oy, ox, by, bx int) error {
	for f := 0; f < depth; f++ {
		fr := data[f*by*bx : (f+1)*by*bx]
		var s, sy, sx float64
		for y := 0; y < by; y++ {
			gy := oy + y
			row := fr[y*bx : (y+1)*bx]
			var rs float64
			for _, sp := range t.spans[gy] {
				a, b := max(sp[0], ox), min(sp[1], ox+bx)
				for x := a; x < b; x++ {
					v := float64(row[x-ox])
					rs += v
					sx += float64(x) * v
				}
			}
			s += rs
			sy += float64(gy) * rs
		}
		if err := addMoments(out, f, s, sy, sx); err != nil {
			return err
		}
	}
	return nil
}

// comBBox runs a fused rows kernel over the selection's bounding box of every frame
// of a tile (width rounded up to 8), in chunks of whole rows summed in float64.
func comBBox[T uint16 | float32](w *comWeights, out array.Array, data []T, depth, oy, bx, n int,
	kern func(p []T, stride, rows, cols int, y0 float32, m, xs []float32) (float32, float32, float32)) error {
	step := max(1, comChunk/w.w8)
	for f := 0; f < depth; f++ {
		fr := data[f*n : (f+1)*n]
		var s, sy, sxw float64
		for r := 0; r < w.rows; r += step {
			k := min(step, w.rows-r)
			var m []float32
			if w.bm != nil {
				m = w.bm[r*w.w8:]
			}
			ps, px, py := kern(fr[(w.r0+r)*bx+w.c0:], bx, k, w.w8, float32(oy+w.r0+r), m, w.bxs)
			s += float64(ps)
			sxw += float64(px)
			sy += float64(py)
		}
		if err := addMoments(out, f, s, sy, sxw); err != nil {
			return err
		}
	}
	return nil
}

// addMoments adds (s, sy, sx) to row f of the raw_mask_result view.
func addMoments(out array.Array, f int, s, sy, sx float64) error {
	switch o := out.(type) {
	case *array.Dense[float32]:
		v := contiguous(o)[3*f : 3*f+3]
		v[0] += float32(s)
		v[1] += float32(sy)
		v[2] += float32(sx)
	case *array.Dense[float64]:
		v := contiguous(o)[3*f : 3*f+3]
		v[0] += s
		v[1] += sy
		v[2] += sx
	default:
		return fmt.Errorf("%w: CoM raw_mask_result %v", ErrUnsupportedDType, out.DType())
	}
	return nil
}

// Results derives the CoM outputs from the merged moments.
func (c *CoM) Results(env *udf.Env) (map[string]array.Array, error) {
	m := env.Meta
	ds := m.DatasetShape
	if ds.NavDims() != 2 || ds.SigDims() != 2 {
		return nil, fmt.Errorf("%w: CoM needs 2 nav and 2 signal dims, dataset shape %v", ErrShape, ds)
	}
	nav, sig := ds.Nav(), ds.Sig()
	n := nav[0] * nav[1]
	raw, err := toF64(env.At(comRaw))
	if err != nil {
		return nil, err
	}
	roi := m.ROI
	full := raw // every position processed: raw (a fresh copy) is the full layout
	if roi != nil {
		full = make([]float64, 3*n)
		j := 0
		for i := 0; i < n; i++ {
			if !roi[i] {
				full[3*i], full[3*i+1], full[3*i+2] = math.NaN(), math.NaN(), math.NaN()
				continue
			}
			copy(full[3*i:3*i+3], raw[3*j:3*j+3])
			j++
		}
	}
	valid := m.ValidNavMask(true)
	if valid == nil {
		valid = make([]bool, n)
		for i := range valid {
			valid[i] = roi == nil || roi[i]
		}
	}
	cy, cx := c.center(sig)
	dt := env.Specs()[comRawCom].ResolvedDType()
	p := comPost{ny: nav[0], nx: nav[1], sums: full, valid: valid, cy: cy, cx: cx,
		scanRotation: c.scanRotation, flipY: c.flipY, regression: c.regression,
		f32: dt == array.Float32}
	o, err := p.run()
	if err != nil {
		return nil, err
	}
	rows := m.NavCount()
	// pick32 is pick for raw_com and raw_shifts computed in float32 (p.f32)
	pick32 := func(src []float32) array.Array {
		if roi == nil {
			return array.Wrap(src[:2*rows], rows, 2)
		}
		v := make([]float32, 0, 2*rows)
		for i := 0; i < n; i++ {
			if roi[i] {
				v = append(v, src[2*i:2*i+2]...)
			}
		}
		return array.Wrap(v, rows, 2)
	}
	pick := func(src []float64, width int, dt array.DType) (array.Array, error) {
		shape := []int{rows}
		if width > 1 {
			shape = append(shape, width)
		}
		if roi == nil && dt == array.Float64 {
			// every position, already float64: the slice is the result (each
			// source slice backs one result only)
			return array.Wrap(src[:rows*width], shape...), nil
		}
		v := make([]float64, 0, rows*width)
		for i := 0; i < n; i++ {
			if roi == nil || roi[i] {
				v = append(v, src[width*i:width*i+width]...)
			}
		}
		a := array.New(dt, shape...)
		return a, storeF64(a, v)
	}
	fy, fx := o.fieldY, o.fieldX
	res := map[string]array.Array{}
	f64 := array.Float64
	type output struct {
		name  string
		src   []float64
		width int
		dt    array.DType
	}
	var outs []output
	if p.f32 {
		res["raw_com"], res["raw_shifts"] = pick32(o.rawCom32), pick32(o.rawShifts32)
	} else {
		outs = append(outs, output{"raw_com", o.rawCom, 2, dt}, output{"raw_shifts", o.rawShifts, 2, dt})
	}
	for _, e := range append(outs, []output{
		{"field", o.field, 2, f64},
		{"field_y", fy, 1, f64}, {"field_x", fx, 1, f64}, {"magnitude", o.magnitude, 1, f64},
		{"divergence", o.divergence, 1, f64}, {"curl", o.curl, 1, f64},
	}...) {
		a, err := pick(e.src, e.width, e.dt)
		if err != nil {
			return nil, err
		}
		res[e.name] = a
	}
	reg := make([]float64, 0, 6)
	for _, r := range o.regression {
		reg = append(reg, r[0], r[1])
	}
	res["regression"] = array.Wrap(reg, 3, 2)
	return res, nil
}
