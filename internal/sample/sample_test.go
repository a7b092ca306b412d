package sample

import (
	"errors"
	"math"
	"testing"
)

func TestGenerateShapeAndDeterminism(t *testing.T) {
	s := DefaultScene
	if got := s.Shape(); len(got) != 4 || got[0] != 32 || got[1] != 32 || got[2] != 64 || got[3] != 64 {
		t.Fatalf("Shape = %v, want [32 32 64 64]", got)
	}
	a, err := Generate(s)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 32*32*64*64 {
		t.Fatalf("len = %d, want %d", len(a), 32*32*64*64)
	}
	b, _ := Generate(s)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("two runs differ at %d: %v vs %v", i, a[i], b[i])
		}
	}
	s.Seed++
	c, _ := Generate(s)
	same := 0
	for i := range a {
		if a[i] == c[i] {
			same++
		}
	}
	if same > len(a)/100 {
		t.Errorf("another seed left %d of %d values unchanged", same, len(a))
	}
	for i, v := range a {
		if !(v >= 0) || math.IsInf(float64(v), 0) {
			t.Fatalf("value %d = %v, want finite and ≥ 0", i, v)
		}
	}
}

// The noise is uniform in [-Noise, Noise): the difference from the noiseless frame
// stays inside it and averages to about zero.
func TestNoiseBounds(t *testing.T) {
	s := DefaultScene
	d, _ := Generate(s)
	fs := s.SigY * s.SigX
	clean := make([]float32, fs)
	var sum float64
	for _, pos := range [][2]int{{0, 0}, {9, 10}, {31, 31}} {
		n := pos[0]*s.NavX + pos[1]
		s.Frame(clean, pos[0], pos[1])
		for p := 0; p < fs; p++ {
			diff := float64(d[n*fs+p] - clean[p])
			if math.Abs(diff) > s.Noise+1e-4 {
				t.Fatalf("frame %v pixel %d: noise %v outside ±%v", pos, p, diff, s.Noise)
			}
			sum += diff
		}
	}
	if mean := sum / float64(3*fs); math.Abs(mean) > 0.02 {
		t.Errorf("mean noise %v, want ≈ 0", mean)
	}
}

// Thickness's analytic gradient against central differences.
func TestThicknessGradient(t *testing.T) {
	s := DefaultScene
	const h = 1e-5
	for _, p := range [][2]float64{{9, 10}, {12, 14}, {20.5, 3}, {0, 31}, {25, 9}} {
		_, dy, dx := s.Thickness(p[0], p[1])
		ty1, _, _ := s.Thickness(p[0]+h, p[1])
		ty0, _, _ := s.Thickness(p[0]-h, p[1])
		tx1, _, _ := s.Thickness(p[0], p[1]+h)
		tx0, _, _ := s.Thickness(p[0], p[1]-h)
		if ny := (ty1 - ty0) / (2 * h); math.Abs(ny-dy) > 1e-6 {
			t.Errorf("d/dy at %v = %v, numeric %v", p, dy, ny)
		}
		if nx := (tx1 - tx0) / (2 * h); math.Abs(nx-dx) > 1e-6 {
			t.Errorf("d/dx at %v = %v, numeric %v", p, dx, nx)
		}
	}
	if th, _, _ := s.Thickness(9, 10); th < 1 || th > 1.01 {
		t.Errorf("thickness at particle centre = %v, want ≈ 1", th)
	}
}

// discCentroid finds the disk in a noiseless frame independently of DiskCentre:
// the mean position of the pixels brighter than the background by half the disk.
func discCentroid(f []float32, sy, sx int, thresh float32) (cy, cx float64, n int) {
	for y := 0; y < sy; y++ {
		for x := 0; x < sx; x++ {
			if f[y*sx+x] > thresh {
				cy += float64(y)
				cx += float64(x)
				n++
			}
		}
	}
	return cy / float64(n), cx / float64(n), n
}

func TestDiskMovesAwayFromParticles(t *testing.T) {
	s := DefaultScene
	f := make([]float32, s.SigY*s.SigX)
	tests := []struct {
		name   string
		iy, ix int
		// expected sign of the shift (y, x); 0 means |shift| < 0.25 px
		sy, sx int
	}{
		{"far from particles", 0, 31, 0, 0},
		{"on a particle centre", 9, 10, 0, 0},
		{"right of particle 1", 9, 14, 0, 1},
		{"left of particle 1", 9, 6, 0, -1},
		{"above particle 1", 5, 10, -1, 0},
		{"below particle 2", 26, 23, 1, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s.Frame(f, tc.iy, tc.ix)
			th, _, _ := s.Thickness(float64(tc.iy), float64(tc.ix))
			thresh := float32(s.Background + s.DiskIntensity*math.Exp(-s.Absorption*th)/2)
			cy, cx, n := discCentroid(f, s.SigY, s.SigX, thresh)
			area := math.Pi * s.DiskRadius * s.DiskRadius
			if math.Abs(float64(n)-area) > 0.15*area {
				t.Errorf("disk has %d bright pixels, want ≈ %.0f", n, area)
			}
			wy, wx := s.DiskCentre(tc.iy, tc.ix)
			if math.Abs(cy-wy) > 0.3 || math.Abs(cx-wx) > 0.3 {
				t.Errorf("disk centroid (%.2f, %.2f), DiskCentre (%.2f, %.2f)", cy, cx, wy, wx)
			}
			check := func(axis string, shift float64, sign int) {
				switch {
				case sign == 0 && math.Abs(shift) > 0.25,
					sign > 0 && shift < 0.5,
					sign < 0 && shift > -0.5:
					t.Errorf("%s shift %.2f, want sign %d", axis, shift, sign)
				}
			}
			check("y", cy-32, tc.sy)
			check("x", cx-32, tc.sx)
			if math.Hypot(cy-32, cx-32) > s.MaxShift+0.5 {
				t.Errorf("shift %.2f beyond MaxShift %v", math.Hypot(cy-32, cx-32), s.MaxShift)
			}
		})
	}
}

// A disk virtual detector gives a bright-field image: darker on particles.
func TestBrightFieldContrast(t *testing.T) {
	s := DefaultScene
	f := make([]float32, s.SigY*s.SigX)
	bf := func(iy, ix int) float64 {
		s.Frame(f, iy, ix)
		sum := 0.0
		for y := 0; y < s.SigY; y++ {
			for x := 0; x < s.SigX; x++ {
				if math.Hypot(float64(y-32), float64(x-32)) <= 14 {
					sum += float64(f[y*s.SigX+x])
				}
			}
		}
		return sum
	}
	out, in := bf(0, 31), bf(21, 23)
	if in > 0.6*out {
		t.Errorf("bright field on particle %v, off particle %v: want < 60 %%", in, out)
	}
}

func TestScaledScene(t *testing.T) {
	s := DefaultScene
	s.NavY, s.NavX, s.SigY, s.SigX = 64, 48, 128, 128
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	// the first particle sits at (9·2, 10·1.5) and the disk centre is unmoved there
	cy, cx := s.DiskCentre(18, 15)
	if math.Abs(cy-64) > 0.3 || math.Abs(cx-64) > 0.3 {
		t.Errorf("disk centre on the scaled particle (%.2f, %.2f), want (64, 64)", cy, cx)
	}
}

func TestValidate(t *testing.T) {
	mod := func(f func(*Scene)) Scene { s := DefaultScene; f(&s); return s }
	tests := []struct {
		name string
		s    Scene
	}{
		{"zero nav", mod(func(s *Scene) { s.NavY = 0 })},
		{"negative nav", mod(func(s *Scene) { s.NavX = -1 })},
		{"tiny sig", mod(func(s *Scene) { s.SigY = 3 })},
		{"huge", mod(func(s *Scene) { s.NavY, s.NavX = 1<<13, 1<<12 })},
		{"negative noise", mod(func(s *Scene) { s.Noise = -1 })},
		{"noise above background", mod(func(s *Scene) { s.Noise = 3 })},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Generate(tc.s); !errors.Is(err, ErrScene) {
				t.Errorf("err = %v, want ErrScene", err)
			}
		})
	}
}
