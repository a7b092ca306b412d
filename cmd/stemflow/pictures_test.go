package main

import (
	"fmt"
	"image"
	"image/color"
	"reflect"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/internal/render"
)

func TestSqueeze(t *testing.T) {
	tests := []struct{ in, want []int }{
		{[]int{1, 4, 1, 5}, []int{4, 5}},
		{[]int{3, 4}, []int{3, 4}},
		{[]int{1, 1}, nil},
		{[]int{2, 3, 1, 2}, []int{2, 3, 2}},
	}
	for _, tc := range tests {
		if got := render.Squeeze(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("render.Squeeze(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// cellColour is the colour of data cell (r, c) in a picture of a small array
// (magnified to at least render.DefaultMinSize, data area at offset 8).
func cellColour(img image.Image, h, w, r, c int) color.NRGBA {
	scale := (render.DefaultMinSize + max(h, w) - 1) / max(h, w)
	return color.NRGBAModel.Convert(img.At(8+c*scale+scale/2, 8+r*scale+scale/2)).(color.NRGBA)
}

func TestBufferPictures(t *testing.T) {
	// (2, 3, 1, 2): squeezes to (2, 3, 2) → two pictures; plane i holds v[..., i]
	vals := make([]float32, 12)
	for i := range vals {
		vals[i] = float32(i)
	}
	a := array.Wrap(vals, 2, 3, 1, 2)
	pics, err := bufferPictures("intensity", a, render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(pics) != 2 || pics[0].file != "intensity-0.png" || pics[1].file != "intensity-1.png" {
		t.Fatalf("pictures %v, want intensity-0.png and intensity-1.png", names(pics))
	}
	// plane 0 holds 0,2,...,10 (min 0, max 10); cell (1,2) = 10 → top colour,
	// cell (0,1) = 2 → t = 0.2. Plane 1 holds 1..11; cell (0,0) = 1 → bottom.
	checks := []struct {
		pic, r, c int
		t         float64
	}{
		{0, 1, 2, 1}, {0, 0, 1, 0.2}, {0, 0, 0, 0}, {1, 0, 0, 0}, {1, 1, 0, 0.6},
	}
	for _, ck := range checks {
		if got, want := cellColour(pics[ck.pic].img, 2, 3, ck.r, ck.c), render.Viridis(ck.t); got != want {
			t.Errorf("picture %d cell (%d,%d) = %v, want Viridis(%v) = %v", ck.pic, ck.r, ck.c, got, ck.t, want)
		}
	}

	tests := []struct {
		name string
		a    array.Array
		want []string
	}{
		{"2-D float64", array.Wrap([]float64{1, 2, 3, 4}, 2, 2), []string{"x.png"}},
		{"2-D uint16 with unit axes", array.Wrap([]uint16{1, 2, 3, 4, 5, 6}, 1, 2, 3), []string{"x.png"}},
		{"bool", array.Wrap([]bool{true, false, false, true}, 2, 2), []string{"x.png"}},
		{"complex", array.Wrap([]complex64{1, 2i, 3, 4}, 2, 2), []string{"x.png"}},
		{"1-D", array.Wrap([]float32{1, 2, 3}, 3), nil},
		{"0-d", array.Wrap([]float32{1}), nil},
		{"trailing 17", array.Zeros[float32](2, 2, 17), nil},
		{"4-D", array.Zeros[float32](2, 2, 2, 2), nil},
		{"trailing 16", array.Zeros[float32](2, 2, 16), picNames("x", 16)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pics, err := bufferPictures("x", tc.a, render.Options{MinSize: 4})
			if err != nil {
				t.Fatal(err)
			}
			if got := names(pics); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("pictures %v, want %v", got, tc.want)
			}
		})
	}

	// complex values are drawn by magnitude: |2i| = 2 sits at t = 1/3 of [1, 4]
	pics, _ = bufferPictures("z", array.Wrap([]complex64{1, 2i, 3, 4}, 2, 2), render.Options{})
	if got, want := cellColour(pics[0].img, 2, 2, 0, 1), render.Viridis(1.0/3); got != want {
		t.Errorf("complex cell = %v, want %v", got, want)
	}
}

func names(p []picture) []string {
	var out []string
	for _, x := range p {
		out = append(out, x.file)
	}
	return out
}

func picNames(base string, k int) []string {
	var out []string
	for i := 0; i < k; i++ {
		out = append(out, fmt.Sprintf("%s-%d.png", base, i))
	}
	return out
}

func TestFieldPicture(t *testing.T) {
	fy := array.Wrap([]float64{0, 1, 0, 0}, 2, 2, 1)
	fx := array.Wrap([]float64{1, 0, -1, 0}, 2, 2, 1)
	p, err := fieldPicture("field.png", fy, fx, render.Options{})
	if err != nil || p == nil {
		t.Fatalf("fieldPicture = %v, %v", p, err)
	}
	want := []color.NRGBA{{255, 0, 0, 255}, {128, 255, 0, 255}, {0, 255, 255, 255}, {0, 0, 0, 255}}
	for i, w := range want {
		if got := cellColour(p.img, 2, 2, i/2, i%2); got != w {
			t.Errorf("cell %d = %v, want %v", i, got, w)
		}
	}
	if p, err := fieldPicture("f.png", array.Zeros[float64](3), array.Zeros[float64](3), render.Options{}); p != nil || err != nil {
		t.Errorf("1-D field gave %v, %v; want nothing", p, err)
	}
}
