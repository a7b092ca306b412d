package dataset

import (
	"errors"
	"slices"
	"testing"
)

func TestNavMapperSpecExamples(t *testing.T) {
	// 8×8 nav, tiles of 4 frames.
	m, err := NewNavMapper([]int{8, 8}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		origin, n int
		want      []int
	}{
		{0, 4, []int{0, 0, 0, 1, 0, 2, 0, 3}},
		{32, 4, []int{4, 0, 4, 1, 4, 2, 4, 3}},
		{60, 4, []int{7, 4, 7, 5, 7, 6, 7, 7}},
		{62, 2, []int{7, 6, 7, 7}}, // sync_offset −62: the one tile
	}
	for _, c := range cases {
		if got := m.AppendCoordinates(nil, c.origin, c.n); !slices.Equal(got, c.want) {
			t.Errorf("origin %d: %v, want %v", c.origin, got, c.want)
		}
	}
	// ROI of the four corners: compressed origin 0 → (0,0),(0,7); origin 2 → (7,0),(7,7).
	roi := make([]bool, 64)
	for _, i := range []int{0, 7, 56, 63} {
		roi[i] = true
	}
	r, err := NewNavMapper([]int{8, 8}, roi)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.AppendCoordinates(nil, 0, 2); !slices.Equal(got, []int{0, 0, 0, 7}) {
		t.Errorf("roi origin 0: %v", got)
	}
	if got := r.AppendCoordinates(nil, 2, 2); !slices.Equal(got, []int{7, 0, 7, 7}) {
		t.Errorf("roi origin 2: %v", got)
	}
	if r.Count() != 4 || m.Count() != 64 || r.FlatIndex(3) != 63 || r.NavDims() != 2 {
		t.Error("Count/FlatIndex")
	}
	// 3-d nav
	m3, _ := NewNavMapper([]int{2, 3, 4}, nil)
	if got := m3.AppendCoordinates(nil, 23, 1); !slices.Equal(got, []int{1, 2, 3}) {
		t.Errorf("3-d: %v", got)
	}
	if _, err := NewNavMapper([]int{8, 8}, make([]bool, 3)); !errors.Is(err, ErrROI) {
		t.Errorf("bad roi: %v", err)
	}
	// no allocation when dst has room
	buf := make([]int, 0, 8)
	if n := testing.AllocsPerRun(10, func() { buf = m.AppendCoordinates(buf[:0], 12, 4) }); n != 0 {
		t.Errorf("%v allocs", n)
	}
}

func TestNavROI(t *testing.T) {
	roi, err := NavROI([]int{3, 4}, []int{0, 0}, []int{2, 3}, []int{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	want := make([]bool, 12)
	want[0], want[11], want[6] = true, true, true
	if !slices.Equal(roi, want) {
		t.Fatalf("%v", roi)
	}
	for _, bad := range [][]int{{3, 0}, {0, -1}, {1}} {
		if _, err := NavROI([]int{3, 4}, bad); !errors.Is(err, ErrROI) {
			t.Errorf("%v: %v", bad, err)
		}
	}
}
