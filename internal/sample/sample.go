package sample

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
)

// Particle is one round particle of the scene, in scan coordinates (pixels of the
// scan grid) for a 32×32 scan; other scan sizes scale the positions and sizes.
type Particle struct {
	Y, X  float64 // centre
	Sigma float64 // width of the Gaussian projected thickness profile
}

// Scene describes the synthetic dataset. DefaultScene is the one `stemflow sample`
// writes.
type Scene struct {
	NavY, NavX int // scan shape
	SigY, SigX int // detector shape

	DiskRadius    float64    // radius of the central disk, detector pixels (for a 64-pixel frame; scales with SigY)
	DiskIntensity float64    // counts per disk pixel outside any particle
	Background    float64    // mean counts per pixel outside the disk
	Noise         float64    // half-width of the uniform noise added to every pixel
	MaxShift      float64    // largest disk deflection, detector pixels (for a 64-pixel frame)
	Absorption    float64    // disk intensity factor is exp(-Absorption · thickness)
	Particles     []Particle // positions for a 32×32 scan
	Seed          uint64     // noise seed
}

// DefaultScene is a 32×32 scan of 64×64 float32 frames (16 MiB) with three particles.
var DefaultScene = Scene{
	NavY: 32, NavX: 32, SigY: 64, SigX: 64,
	DiskRadius:    10,
	DiskIntensity: 100,
	Background:    2,
	Noise:         1,
	MaxShift:      3,
	Absorption:    0.8,
	Particles: []Particle{
		{Y: 9, X: 10, Sigma: 3.5},
		{Y: 21, X: 23, Sigma: 4.5},
		{Y: 25, X: 7, Sigma: 2.5},
	},
	Seed: 20260520,
}

// ErrScene reports a scene that cannot be generated.
var ErrScene = errors.New("sample: invalid scene")

// Validate checks the shapes and parameters of s.
func (s Scene) Validate() error {
	switch {
	case s.NavY <= 0 || s.NavX <= 0:
		return fmt.Errorf("%w: nav shape %d×%d, want both > 0", ErrScene, s.NavY, s.NavX)
	case s.SigY < 4 || s.SigX < 4:
		return fmt.Errorf("%w: sig shape %d×%d, want both ≥ 4", ErrScene, s.SigY, s.SigX)
	case s.NavY*s.NavX > 1<<24 || s.SigY*s.SigX > 1<<24:
		return fmt.Errorf("%w: shape %d×%d×%d×%d too large", ErrScene, s.NavY, s.NavX, s.SigY, s.SigX)
	case s.Noise < 0 || s.Background < s.Noise:
		return fmt.Errorf("%w: noise %v must be ≥ 0 and ≤ background %v (values stay ≥ 0)", ErrScene, s.Noise, s.Background)
	}
	return nil
}

// Thickness returns the projected particle thickness at scan position (y, x) and its
// gradient (d/dy, d/dx), from the sum of the particles' Gaussian profiles (peak 1).
func (s Scene) Thickness(y, x float64) (t, dy, dx float64) {
	fy, fx := float64(s.NavY)/32, float64(s.NavX)/32
	for _, p := range s.Particles {
		py, px := p.Y*fy, p.X*fx
		sig := p.Sigma * math.Sqrt(fy*fx)
		ry, rx := y-py, x-px
		g := math.Exp(-(ry*ry + rx*rx) / (2 * sig * sig))
		t += g
		dy -= ry / (sig * sig) * g
		dx -= rx / (sig * sig) * g
	}
	return t, dy, dx
}

// DiskCentre returns the centre (detector pixels) of the disk in the frame at scan
// position (iy, ix): the frame centre (SigY/2, SigX/2) moved along the thickness
// gradient, pointing away from particle centres, by at most about MaxShift·SigY/64.
func (s Scene) DiskCentre(iy, ix int) (cy, cx float64) {
	_, dy, dx := s.Thickness(float64(iy), float64(ix))
	// for one Gaussian, |σ·∇t| peaks at exp(-1/2) ≈ 0.61 one σ from the centre
	k := -s.MaxShift / math.Exp(-0.5) * float64(s.SigY) / 64
	sig := s.meanSigma()
	return float64(s.SigY/2) + k*sig*dy, float64(s.SigX/2) + k*sig*dx
}

func (s Scene) meanSigma() float64 {
	if len(s.Particles) == 0 {
		return 1
	}
	sum := 0.0
	for _, p := range s.Particles {
		sum += p.Sigma
	}
	return sum / float64(len(s.Particles)) * math.Sqrt(float64(s.NavY*s.NavX)) / 32
}

// Frame writes the noiseless frame at scan position (iy, ix) into dst (SigY·SigX
// values, row-major): a disk with a one-pixel soft edge whose brightness drops with
// thickness, a halo of the scattered electrons, and the flat background.
func (s Scene) Frame(dst []float32, iy, ix int) {
	t, _, _ := s.Thickness(float64(iy), float64(ix))
	cy, cx := s.DiskCentre(iy, ix)
	r := s.DiskRadius * float64(s.SigY) / 64
	disk := s.DiskIntensity * math.Exp(-s.Absorption*t)
	scattered := s.DiskIntensity * (1 - math.Exp(-s.Absorption*t)) // counts that left the disk
	// The halo exp(-(d-r)/2r) outside the disk integrates to 12πr², so this
	// amplitude conserves the counts that left the disk (up to the frame edges).
	halo := scattered / 12
	for y := 0; y < s.SigY; y++ {
		for x := 0; x < s.SigX; x++ {
			d := math.Hypot(float64(y)-cy, float64(x)-cx)
			v := s.Background
			v += disk * clamp01(r+0.5-d)
			if d > r {
				v += halo * math.Exp(-(d-r)/(2*r))
			}
			dst[y*s.SigX+x] = float32(v)
		}
	}
}

func clamp01(v float64) float64 {
	return math.Max(0, math.Min(1, v))
}

// Generate returns the dataset of scene s as float32 values in C order, shape
// (NavY, NavX, SigY, SigX): Frame plus uniform noise in [-Noise, Noise) drawn from a
// PCG generator seeded with Seed, frame by frame, row by row.
func Generate(s Scene) ([]float32, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	fsize := s.SigY * s.SigX
	out := make([]float32, s.NavY*s.NavX*fsize)
	rng := rand.New(rand.NewPCG(s.Seed, s.Seed^0x9e3779b97f4a7c15))
	for iy := 0; iy < s.NavY; iy++ {
		for ix := 0; ix < s.NavX; ix++ {
			f := out[(iy*s.NavX+ix)*fsize:][:fsize]
			s.Frame(f, iy, ix)
			for i := range f {
				f[i] += float32((rng.Float64()*2 - 1) * s.Noise)
			}
		}
	}
	return out, nil
}

// Shape returns (NavY, NavX, SigY, SigX).
func (s Scene) Shape() []int { return []int{s.NavY, s.NavX, s.SigY, s.SigX} }
