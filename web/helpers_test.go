package web

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/internal/sample"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// fixture is a served folder with the sample dataset, and a folder outside it with
// a secret dataset that a symlink inside points to.
type fixture struct {
	dir, outside string
	data         []float32 // the sample, C order (ny, nx, sy, sx)
	ny, nx       int
	sy, sx       int
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	s := sample.DefaultScene
	data, err := sample.Generate(s)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{dir: t.TempDir(), outside: t.TempDir(), data: data, ny: s.NavY, nx: s.NavX, sy: s.SigY, sx: s.SigX}
	if err := array.WriteNPYFile(filepath.Join(f.dir, "sample.npy"), array.Wrap(data, s.Shape()...)); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(f.outside, "secret.npy")
	if err := array.WriteNPYFile(secret, array.Wrap(make([]float32, 2*2*8*8), 2, 2, 8, 8)); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, filepath.Join(f.dir, "link.npy")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(f.dir, "notes.txt"), []byte("not a dataset"), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// frame returns the frame at scan position (y, x).
func (f *fixture) frame(y, x int) []float32 {
	n := f.sy * f.sx
	i := (y*f.nx + x) * n
	return f.data[i : i+n]
}

// sumFrame is the sum of all frames, by a direct float64 loop.
func (f *fixture) sumFrame() []float64 {
	out := make([]float64, f.sy*f.sx)
	for y := 0; y < f.ny; y++ {
		for x := 0; x < f.nx; x++ {
			for i, v := range f.frame(y, x) {
				out[i] += float64(v)
			}
		}
	}
	return out
}

// disk is the disk virtual image ((y−cy)² + (x−cx)² ≤ r²), by a direct float64 loop.
func (f *fixture) disk(cy, cx, r float64) []float64 {
	out := make([]float64, f.ny*f.nx)
	for p := range out {
		fr := f.frame(p/f.nx, p%f.nx)
		for y := 0; y < f.sy; y++ {
			for x := 0; x < f.sx; x++ {
				dy, dx := float64(y)-cy, float64(x)-cx
				if dy*dy+dx*dx <= r*r {
					out[p] += float64(fr[y*f.sx+x])
				}
			}
		}
	}
	return out
}

// near checks got against want with a relative tolerance (of the largest |want|).
func near(t *testing.T, what string, got []float32, want []float64, rel float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	scale := 0.0
	for _, w := range want {
		scale = math.Max(scale, math.Abs(w))
	}
	for i := range got {
		if d := math.Abs(float64(got[i]) - want[i]); d > rel*scale {
			t.Fatalf("%s[%d] = %v, want %v (diff %g > %g)", what, i, got[i], want[i], d, rel*scale)
		}
	}
}

// comMagnitude is |raw_com − (cy, cx)| per scan position over the disk of radius r
// (no rotation, flip or regression), by a direct float64 loop.
func (f *fixture) comMagnitude(cy, cx, r float64) []float64 {
	out := make([]float64, f.ny*f.nx)
	for p := range out {
		fr := f.frame(p/f.nx, p%f.nx)
		var s, sy, sx float64
		for y := 0; y < f.sy; y++ {
			for x := 0; x < f.sx; x++ {
				dy, dx := float64(y)-cy, float64(x)-cx
				if dy*dy+dx*dx <= r*r {
					v := float64(fr[y*f.sx+x])
					s += v
					sy += float64(y) * v
					sx += float64(x) * v
				}
			}
		}
		if s != 0 {
			out[p] = math.Hypot(sy/s-cy, sx/s-cx)
		}
	}
	return out
}

// stdFrame is the per-pixel population standard deviation over all frames.
func (f *fixture) stdFrame() []float64 {
	n := float64(f.ny * f.nx)
	mean := f.sumFrame()
	for i := range mean {
		mean[i] /= n
	}
	out := make([]float64, len(mean))
	for y := 0; y < f.ny; y++ {
		for x := 0; x < f.nx; x++ {
			for i, v := range f.frame(y, x) {
				d := float64(v) - mean[i]
				out[i] += d * d
			}
		}
	}
	for i := range out {
		out[i] = math.Sqrt(out[i] / n)
	}
	return out
}
