package main

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stemflow/stemflow/internal/render"
)

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

// nearestT returns the position on the viridis map closest to c.
func nearestT(c color.NRGBA) float64 {
	best, bestD := 0.0, 1<<30
	for i := 0; i <= 512; i++ {
		v := render.Viridis(float64(i) / 512)
		d := sq(int(v.R)-int(c.R)) + sq(int(v.G)-int(c.G)) + sq(int(v.B)-int(c.B))
		if d < bestD {
			best, bestD = float64(i)/512, d
		}
	}
	return best
}

func sq(x int) int { return x * x }

// The README's run on the default sample gives the pictures it promises: the sum
// shows a bright disk on a dark background, the disk detector a bright field with
// dark particles, and the CoM field points away from the particle centres. This is
// the automated part of looking at them.
func TestSamplePictures(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, dir, "sample", dir)
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "run stemflow-out/sample.npy --udf sum --udf disk:cy=32,cx=32,r=12 --udf com") {
		t.Fatal("README's run command changed: update this test")
	}
	mustRun(t, dir, "run", filepath.Join(dir, "sample.npy"), "--udf", "sum", "--udf", "disk:cy=32,cx=32,r=12", "--udf", "com", "--out", "stemflow-out")
	out := filepath.Join(dir, "stemflow-out")

	sum := readPNG(t, filepath.Join(out, "sum", "intensity.png"))
	disk := readPNG(t, filepath.Join(out, "disk", "intensity.png"))
	field := readPNG(t, filepath.Join(out, "com", "field.png"))
	tests := []struct {
		name   string
		img    image.Image
		h, w   int
		r, c   int
		lo, hi float64 // expected range of the viridis position
	}{
		{"sum: disk centre bright", sum, 64, 64, 32, 32, 0.9, 1},
		{"sum: corner dark", sum, 64, 64, 2, 2, 0, 0.1},
		{"disk: particle 1 dark", disk, 32, 32, 9, 10, 0, 0.25},
		{"disk: particle 2 dark", disk, 32, 32, 21, 23, 0, 0.25},
		{"disk: empty film bright", disk, 32, 32, 0, 31, 0.85, 1},
	}
	for _, tc := range tests {
		if got := nearestT(cellColour(tc.img, tc.h, tc.w, tc.r, tc.c)); got < tc.lo || got > tc.hi {
			t.Errorf("%s: viridis position %.2f, want %.2f..%.2f", tc.name, got, tc.lo, tc.hi)
		}
	}
	// field: hue = direction. Right of particle 1 the field points +x (red), left of
	// it −x (cyan), below it +y (yellow-green: red and green, no blue).
	right := cellColour(field, 32, 32, 9, 14)
	left := cellColour(field, 32, 32, 9, 6)
	below := cellColour(field, 32, 32, 13, 10)
	// dominates reports whether channels a and b each exceed twice channel c.
	dominates := func(a, b, c uint8) bool { return int(a) > 2*int(c) && int(b) > 2*int(c) }
	if !dominates(right.R, right.R, max(right.G, right.B)) {
		t.Errorf("field right of particle 1 = %v, want red", right)
	}
	if !dominates(left.G, left.B, left.R) {
		t.Errorf("field left of particle 1 = %v, want cyan", left)
	}
	if !dominates(below.R, below.G, below.B) {
		t.Errorf("field below particle 1 = %v, want yellow-green", below)
	}
}
