package udfs

import (
	"math"
	"sync"

	"gonum.org/v1/gonum/dsp/fourier"
)

// femPlan selects the pixels of a ring for FEM: rad_in² < d² ≤ rad_out² around
// (cy, cx), the reference's disk(rad_out) minus disk(rad_in).
type femPlan struct {
	idx []int32
}

func newFEMPlan(sy, sx int, cy, cx, radIn, radOut float64) *femPlan {
	p := &femPlan{}
	for y := 0; y < sy; y++ {
		for x := 0; x < sx; x++ {
			if inDisk(y, x, cy, cx, radOut) && !inDisk(y, x, cy, cx, radIn) {
				p.idx = append(p.idx, int32(y*sx+x))
			}
		}
	}
	return p
}

// std returns the population standard deviation of the selected pixels of frame
// (two passes, float64); NaN when no pixel is selected, as numpy's std of nothing.
func femStd[T realNumber](p *femPlan, frame []T) float64 {
	if len(p.idx) == 0 {
		return math.NaN()
	}
	var s float64
	for _, i := range p.idx {
		s += float64(frame[i])
	}
	mean := s / float64(len(p.idx))
	var v float64
	for _, i := range p.idx {
		d := float64(frame[i]) - mean
		v += d * d
	}
	return math.Sqrt(v / float64(len(p.idx)))
}

// crystPlan integrates |rfft2(frame·realMask)| over a Fourier-space ring, as the
// reference's CrystallinityUDF: the ring ([d ≤ rad_out] − [d ≤ rad_in], so −1 where
// rad_in > rad_out) is centred on (sy/2, sx/2) (floats), fftshifted and cut to the
// rfft2 half plane (sx/2+1 columns); the optional real-space mask is 1 outside a disk
// of radius realRad around realCenter (y, x). Not safe for concurrent use: one per task.
type crystPlan struct {
	sy, sx, hx int
	realMask   []float64 // nil: no real-space masking
	half       []float64 // sy × hx
	rfft       *fourier.FFT
	cfft       *fourier.CmplxFFT
	row        []float64
	coef       []complex128 // sy × hx
	col, colF  []complex128
}

func newCrystPlan(sy, sx int, radIn, radOut float64, realCenter *[2]float64, realRad float64) *crystPlan {
	hx := sx/2 + 1
	p := &crystPlan{sy: sy, sx: sx, hx: hx,
		half: make([]float64, sy*hx),
		rfft: fourier.NewFFT(sx), cfft: fourier.NewCmplxFFT(sy),
		row:  make([]float64, sx),
		coef: make([]complex128, sy*hx), col: make([]complex128, sy), colF: make([]complex128, sy),
	}
	if realCenter != nil {
		p.realMask = make([]float64, sy*sx)
		for y := 0; y < sy; y++ {
			for x := 0; x < sx; x++ {
				if !inDisk(y, x, realCenter[0], realCenter[1], realRad) {
					p.realMask[y*sx+x] = 1
				}
			}
		}
	}
	cy, cx := float64(sy)*0.5, float64(sx)*0.5
	for y := 0; y < sy; y++ {
		for x := 0; x < hx; x++ {
			// fftshift: shifted[j] = m[(j − n/2) mod n] per axis.
			oy := ((y-sy/2)%sy + sy) % sy
			ox := ((x-sx/2)%sx + sx) % sx
			var v float64
			if inDisk(oy, ox, cy, cx, radOut) {
				v++
			}
			if inDisk(oy, ox, cy, cx, radIn) {
				v--
			}
			p.half[y*hx+x] = v
		}
	}
	return p
}

// crystValue returns Σ |rfft2(frame·realMask)|·half for one sy×sx frame.
func crystValue[T realNumber](p *crystPlan, frame []T) float64 {
	sx, hx := p.sx, p.hx
	for y := 0; y < p.sy; y++ {
		r := frame[y*sx : (y+1)*sx]
		if p.realMask != nil {
			m := p.realMask[y*sx : (y+1)*sx]
			for x, v := range r {
				p.row[x] = float64(v) * m[x]
			}
		} else {
			for x, v := range r {
				p.row[x] = float64(v)
			}
		}
		p.rfft.Coefficients(p.coef[y*hx:(y+1)*hx], p.row)
	}
	var total float64
	for x := 0; x < hx; x++ {
		for y := 0; y < p.sy; y++ {
			p.col[y] = p.coef[y*hx+x]
		}
		p.cfft.Coefficients(p.colF, p.col)
		for y := 0; y < p.sy; y++ {
			if w := p.half[y*hx+x]; w != 0 {
				c := p.colF[y]
				total += math.Sqrt(real(c)*real(c)+imag(c)*imag(c)) * w
			}
		}
	}
	return total
}

// logsumFrame adds log(x − min(frame) + 1) to acc for every pixel of frame. The
// argument is an integer for counting-detector data (integer dtypes, or integer
// values decoded to float32); integers up to logTableMax read math.Log's value from
// a table, bit-identical and several times faster than calling math.Log; every
// other argument goes to fastLog (within 2 ulp of math.Log, about 3× faster).
func logsumFrame[T realNumber](acc []float64, frame []T) {
	if len(frame) == 0 {
		return
	}
	mn := float64(frame[0])
	for _, v := range frame {
		mn = min(mn, float64(v))
	}
	tab := logTable()
	acc = acc[:len(frame)]
	for i, v := range frame {
		x := float64(v) - mn + 1
		if n := int64(x); float64(n) == x && uint64(n) < uint64(len(tab)) {
			acc[i] += tab[n]
		} else {
			acc[i] += fastLog(x)
		}
	}
}

// logTableMax is the largest integer whose logarithm logTable holds (the range of
// 16-bit detector data, 512 KiB of float64).
const logTableMax = 1 << 16

// logTable returns math.Log(n) for n = 0 … logTableMax (entry 0 is −Inf, never read:
// Logsum's arguments are ≥ 1), built once per process.
var logTable = sync.OnceValue(func() []float64 {
	t := make([]float64, logTableMax+1)
	for n := range t {
		t[n] = math.Log(float64(n))
	}
	return t
})
