package udfs

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Regression selects the background-field correction CoM subtracts from its field
// (spec §11). The zero value is RegressionNone.
type Regression struct {
	kind   uint8 // 0 none, 1 mean, 2 linear, 3 explicit
	matrix [3][2]float64
}

const (
	regNone uint8 = iota
	regMean
	regLinear
	regExplicit
)

var (
	// RegressionNone applies no correction (the reference's -1).
	RegressionNone = Regression{kind: regNone}
	// RegressionMean subtracts the mean field over the valid nav positions (0).
	RegressionMean = Regression{kind: regMean}
	// RegressionLinear subtracts a least-squares plane fitted on [1, y, x] over the
	// valid nav positions (1).
	RegressionLinear = Regression{kind: regLinear}
)

// ErrInvalidRegression reports a regression order other than -1, 0 or 1.
var ErrInvalidRegression = errors.New("udfs: invalid CoM regression")

// RegressionOrder returns the regression for the reference's integer options: -1 none,
// 0 subtract the mean, 1 subtract a linear fit. Any other value fails with
// ErrInvalidRegression.
func RegressionOrder(n int) (Regression, error) {
	switch n {
	case -1:
		return RegressionNone, nil
	case 0:
		return RegressionMean, nil
	case 1:
		return RegressionLinear, nil
	}
	return Regression{}, fmt.Errorf("%w: regression %d, want -1, 0 or 1", ErrInvalidRegression, n)
}

// RegressionMatrix returns an explicit correction [[y0, x0], [dy/dy, dx/dy], [dy/dx,
// dx/dx]]: the field at nav position (y, x) has [1, y, x]·m subtracted (only the first
// row when rows 1 and 2 are zero).
func RegressionMatrix(m [3][2]float64) Regression {
	return Regression{kind: regExplicit, matrix: m}
}

// String describes the regression.
func (r Regression) String() string {
	switch r.kind {
	case regMean:
		return "mean"
	case regLinear:
		return "linear"
	case regExplicit:
		return fmt.Sprintf("explicit %v", r.matrix)
	}
	return "none"
}

// comPost holds the inputs of the CoM post-processing on the main node. All arrays
// are over the full nav grid (ny×nx, C order).
type comPost struct {
	ny, nx int
	// sums holds Σp, Σy·p, Σx·p per nav position (3 per position); NaN outside the ROI.
	sums []float64
	// valid is the damage: positions whose frames have been processed.
	valid        []bool
	cy, cx       float64
	scanRotation float64 // degrees
	flipY        bool
	regression   Regression
	// f32 asks for raw_com and raw_shifts in float32 (rawCom32, rawShifts32: the
	// float64 values rounded once) instead of float64.
	f32 bool
}

// comOut holds every CoM result over the full nav grid.
type comOut struct {
	rawCom, rawShifts, field    []float64 // 2 per position (y, x)
	rawCom32, rawShifts32       []float32 // with comPost.f32, instead of rawCom, rawShifts
	fieldY, fieldX              []float64 // the components of field
	magnitude, divergence, curl []float64
	regression                  [3][2]float64
}

// run computes the CoM results: shifts relative to (cy, cx) (zero where Σp = 0), the
// field rotated by the scan rotation after an optional y flip, the regression over the
// valid positions and its subtraction, then magnitude, divergence and curl with
// numpy.gradient semantics.
func (p *comPost) run() (comOut, error) {
	n := p.ny * p.nx
	o := comOut{
		field:      make([]float64, 2*n),
		magnitude:  make([]float64, n),
		divergence: make([]float64, n),
		curl:       make([]float64, n),
	}
	if p.f32 {
		o.rawCom32, o.rawShifts32 = make([]float32, 2*n), make([]float32, 2*n)
	} else {
		o.rawCom, o.rawShifts = make([]float64, 2*n), make([]float64, 2*n)
	}
	// transform = R(θ)·F with R = [[cos, sin], [−sin, cos]] acting on (y, x).
	th := p.scanRotation * math.Pi / 180
	c, s := math.Cos(th), math.Sin(th)
	fy := 1.0
	if p.flipY {
		fy = -1
	}
	t00, t01 := c*fy, s
	t10, t11 := -s*fy, c
	for i := 0; i < n; i++ {
		sum, sy, sx := p.sums[3*i], p.sums[3*i+1], p.sums[3*i+2]
		var dy, dx float64
		if sum != 0 { // NaN (outside the ROI) propagates
			dy = sy/sum - p.cy
			dx = sx/sum - p.cx
		}
		if p.f32 {
			o.rawShifts32[2*i], o.rawShifts32[2*i+1] = float32(dy), float32(dx)
			o.rawCom32[2*i], o.rawCom32[2*i+1] = float32(dy+p.cy), float32(dx+p.cx)
		} else {
			o.rawShifts[2*i], o.rawShifts[2*i+1] = dy, dx
			o.rawCom[2*i], o.rawCom[2*i+1] = dy+p.cy, dx+p.cx
		}
		o.field[2*i] = t00*dy + t01*dx
		o.field[2*i+1] = t10*dy + t11*dx
	}
	reg, err := p.fitRegression(o.field)
	if err != nil {
		return comOut{}, err
	}
	o.regression = reg
	lin := !allClose0(reg[1][:]) || !allClose0(reg[2][:])
	switch {
	case lin:
		for y := 0; y < p.ny; y++ {
			for x := 0; x < p.nx; x++ {
				i := y*p.nx + x
				fy, fx := float64(y), float64(x)
				o.field[2*i] -= reg[0][0] + fy*reg[1][0] + fx*reg[2][0]
				o.field[2*i+1] -= reg[0][1] + fy*reg[1][1] + fx*reg[2][1]
			}
		}
	case !allClose0(reg[0][:]):
		for i := 0; i < n; i++ {
			o.field[2*i] -= reg[0][0]
			o.field[2*i+1] -= reg[0][1]
		}
	}
	fieldY := make([]float64, n)
	fieldX := make([]float64, n)
	for i := 0; i < n; i++ {
		fieldY[i], fieldX[i] = o.field[2*i], o.field[2*i+1]
		o.magnitude[i] = math.Sqrt(fieldY[i]*fieldY[i] + fieldX[i]*fieldX[i])
	}
	// divergence = ∂fy/∂y + ∂fx/∂x, curl = ∂fy/∂x − ∂fx/∂y, each gradient computed
	// into the result or one scratch slice (fresh memory costs page faults)
	tmp := make([]float64, n)
	gradient2DInto(o.divergence, fieldY, p.ny, p.nx, 0)
	gradient2DInto(tmp, fieldX, p.ny, p.nx, 1)
	for i := range o.divergence {
		o.divergence[i] += tmp[i]
	}
	gradient2DInto(o.curl, fieldY, p.ny, p.nx, 1)
	gradient2DInto(tmp, fieldX, p.ny, p.nx, 0)
	for i := range o.curl {
		o.curl[i] -= tmp[i]
	}
	o.fieldY, o.fieldX = fieldY, fieldX
	return o, nil
}

// allClose0 is numpy.allclose(v, 0) with its default tolerances (|v| ≤ 1e-8; NaN is
// never close).
func allClose0(v []float64) bool {
	for _, x := range v {
		if !(math.Abs(x) <= 1e-8) {
			return false
		}
	}
	return true
}

// fitRegression returns the 3×2 regression matrix for field over the valid positions.
func (p *comPost) fitRegression(field []float64) ([3][2]float64, error) {
	var res [3][2]float64
	switch p.regression.kind {
	case regNone:
		return res, nil
	case regExplicit:
		return p.regression.matrix, nil
	case regMean:
		var sy, sx float64
		cnt := 0
		for i, ok := range p.valid {
			if ok {
				sy += field[2*i]
				sx += field[2*i+1]
				cnt++
			}
		}
		// The mean of nothing is NaN, as numpy's.
		res[0][0] = sy / float64(cnt)
		res[0][1] = sx / float64(cnt)
		return res, nil
	case regLinear:
		return lstsqPlane(field, p.valid, p.ny, p.nx)
	}
	return res, fmt.Errorf("%w: %v", ErrInvalidRegression, p.regression)
}

// lstsqPlane solves min ‖A·c − F‖ for c (3×2), A's rows being [1, y, x] of the valid
// positions and F's rows their field (y, x), with numpy.linalg.lstsq's minimum-norm
// solution for rank-deficient A (singular values below eps·max(m, 3)·s_max dropped).
func lstsqPlane(field []float64, valid []bool, ny, nx int) ([3][2]float64, error) {
	var res [3][2]float64
	m := 0
	for _, ok := range valid {
		if ok {
			m++
		}
	}
	if m == 0 {
		return res, nil
	}
	a := mat.NewDense(m, 3, nil)
	b := mat.NewDense(m, 2, nil)
	r := 0
	for y := 0; y < ny; y++ {
		for x := 0; x < nx; x++ {
			i := y*nx + x
			if !valid[i] {
				continue
			}
			a.Set(r, 0, 1)
			a.Set(r, 1, float64(y))
			a.Set(r, 2, float64(x))
			b.Set(r, 0, field[2*i])
			b.Set(r, 1, field[2*i+1])
			r++
		}
	}
	var svd mat.SVD
	if !svd.Factorize(a, mat.SVDThin) {
		return res, fmt.Errorf("udfs: CoM linear regression: SVD did not converge")
	}
	vals := svd.Values(nil)
	rcond := math.Nextafter(1, 2) - 1
	rcond *= float64(max(m, 3))
	rank := 0
	for _, v := range vals {
		if v > rcond*vals[0] {
			rank++
		}
	}
	if rank == 0 {
		return res, nil
	}
	var c mat.Dense
	svd.SolveTo(&c, b, rank)
	for i := 0; i < 3; i++ {
		for j := 0; j < 2; j++ {
			res[i][j] = c.At(i, j)
		}
	}
	return res, nil
}

// gradient2D returns numpy.gradient(f, axis=axis) for a ny×nx grid with unit spacing
// and edge_order 1: central differences inside, one-sided differences at the edges.
// Along an axis of length 1, where numpy raises, the derivative is 0.
func gradient2D(f []float64, ny, nx, axis int) []float64 {
	out := make([]float64, len(f))
	gradient2DInto(out, f, ny, nx, axis)
	return out
}

// gradient2DInto is gradient2D into out (len(f) values).
func gradient2DInto(out, f []float64, ny, nx, axis int) {
	n, stride, other, ostride := ny, nx, nx, 1
	if axis == 1 {
		n, stride, other, ostride = nx, 1, ny, nx
	}
	if n < 2 {
		clear(out[:len(f)])
		return
	}
	for j := 0; j < other; j++ {
		base := j * ostride
		at := func(i int) float64 { return f[base+i*stride] }
		out[base] = at(1) - at(0)
		for i := 1; i < n-1; i++ {
			out[base+i*stride] = (at(i+1) - at(i-1)) / 2
		}
		out[base+(n-1)*stride] = at(n-1) - at(n-2)
	}
}
