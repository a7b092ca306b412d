package udf

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
)

// mask returns a flat bool slice of length n true exactly at the given flat indices.
func mask(n int, at ...int) []bool {
	m := make([]bool, n)
	for _, i := range at {
		m[i] = true
	}
	return m
}

func not(b []bool) []bool {
	out := make([]bool, len(b))
	for i, v := range b {
		out[i] = !v
	}
	return out
}

func TestROIFromCoords(t *testing.T) {
	tests := []struct {
		name    string
		nav     []int
		coords  []int
		want    []bool // flat C order; nil: an error is expected
		errText string
	}{
		{"2-d", []int{3, 4}, []int{1, 2}, mask(12, 6), ""},
		{"origin", []int{3, 4}, []int{0, 0}, mask(12, 0), ""},
		{"last", []int{3, 4}, []int{2, 3}, mask(12, 11), ""},
		{"negative", []int{3, 4}, []int{-1, -4}, mask(12, 8), ""},
		{"1-d", []int{5}, []int{4}, mask(5, 4), ""},
		{"3-d", []int{2, 3, 4}, []int{1, 0, 2}, mask(24, 14), ""},
		{"too few", []int{3, 4}, []int{1}, nil, "1 indices"},
		{"too many", []int{3, 4}, []int{1, 1, 1}, nil, "3 indices"},
		{"past the end", []int{3, 4}, []int{3, 0}, nil, "axis 0 of extent 3"},
		{"below -n", []int{3, 4}, []int{0, -5}, nil, "axis 1 of extent 4"},
		{"empty axis", []int{0, 4}, []int{0, 0}, nil, "axis 0 of extent 0"},
		{"negative extent", []int{-1}, []int{0}, nil, "extent -1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			roi, err := ROIFromCoords(tc.nav, tc.coords...)
			if tc.want == nil {
				if !errors.Is(err, ErrROI) || !strings.Contains(err.Error(), tc.errText) {
					t.Fatalf("err = %v, want ErrROI mentioning %q", err, tc.errText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(roi.Shape(), tc.nav) || !slices.Equal(roi.Data(), tc.want) {
				t.Fatalf("roi %v %v, want %v %v", roi.Shape(), roi.Data(), tc.nav, tc.want)
			}
		})
	}
}

func TestROIFromPairs(t *testing.T) {
	nav := []int{3, 4}
	tests := []struct {
		name    string
		pairs   []ROIPair
		want    []bool
		errText string
	}{
		{"select two", []ROIPair{{[]int{0, 1}, true}, {[]int{2, 3}, true}}, mask(12, 1, 11), ""},
		{"exclude two", []ROIPair{{[]int{0, 1}, false}, {[]int{-1, -1}, false}}, not(mask(12, 1, 11)), ""},
		{"repeated", []ROIPair{{[]int{1, 1}, true}, {[]int{1, 1}, true}}, mask(12, 5), ""},
		{"mixed", []ROIPair{{[]int{0, 0}, true}, {[]int{1, 1}, true}, {[]int{2, 2}, false}}, nil, "pair 2"},
		{"none", nil, nil, "no (coords, value) pairs"},
		{"bad coords", []ROIPair{{[]int{0, 0}, true}, {[]int{0, 4}, true}}, nil, "pair 1"},
		{"wrong rank", []ROIPair{{[]int{0}, false}}, nil, "pair 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			roi, err := ROIFromPairs(nav, tc.pairs...)
			if tc.want == nil {
				if !errors.Is(err, ErrROI) || !strings.Contains(err.Error(), tc.errText) {
					t.Fatalf("err = %v, want ErrROI mentioning %q", err, tc.errText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(roi.Shape(), nav) || !slices.Equal(roi.Data(), tc.want) {
				t.Fatalf("roi %v %v, want %v", roi.Shape(), roi.Data(), tc.want)
			}
		})
	}
}

func TestROIFromArray(t *testing.T) {
	csr, err := array.NewCSR[float32, int32](2, 3, []int32{0, 2, 3}, []int32{0, 2, 1}, []float32{1, 0, -2})
	if err != nil {
		t.Fatal(err)
	}
	strided := array.Wrap([]bool{true, false, false, true, true, false}, 2, 3).Slice(array.Range{Start: 0, Stop: 2}, array.Range{Start: 1, Stop: 3})
	tests := []struct {
		name  string
		in    array.Array
		shape []int
		want  []bool // nil: error
	}{
		{"bool copy", array.Wrap([]bool{true, false, true}, 3), []int{3}, []bool{true, false, true}},
		{"strided bool", strided, []int{2, 2}, []bool{false, false, true, false}},
		{"int32", array.Wrap([]int32{0, 3, -1, 0}, 2, 2), []int{2, 2}, []bool{false, true, true, false}},
		{"uint8", array.Wrap([]uint8{0, 255}, 2), []int{2}, []bool{false, true}},
		{"float64 NaN and -0", array.Wrap([]float64{math.NaN(), math.Copysign(0, -1), 0.5, 0}, 4), []int{4}, []bool{true, false, true, false}},
		{"complex64", array.Wrap([]complex64{0, 1i}, 2), []int{2}, []bool{false, true}},
		{"csr with an explicit zero", csr, []int{2, 3}, []bool{true, false, false, false, true, false}},
		{"bytes", array.WrapBytes(2, []string{"a", ""}, 2), nil, nil},
		{"object", array.Wrap([]any{1, 0}, 2), nil, nil},
		{"nil", nil, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			roi, err := ROIFromArray(tc.in)
			if tc.want == nil {
				if !errors.Is(err, ErrROI) {
					t.Fatalf("err = %v, want ErrROI", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(roi.Shape(), tc.shape) || !slices.Equal(roi.Copy().Data(), tc.want) {
				t.Fatalf("roi %v %v, want %v %v", roi.Shape(), roi.Copy().Data(), tc.shape, tc.want)
			}
		})
	}
	// the result is a copy
	src := array.Wrap([]bool{true, false}, 2)
	roi, _ := ROIFromArray(src)
	src.Data()[1] = true
	if roi.Data()[1] {
		t.Error("ROIFromArray shares memory with its input")
	}
}

// TestROIHelpersInRuns: ROIs built by the helpers select exactly the frames they name.
func TestROIHelpersInRuns(t *testing.T) {
	ds := memDS(t, testData(4, 5, 3, 3), dataset.MemoryOptions{NumPartitions: 3})
	nav := ds.Shape().Nav()
	one, err := ROIFromCoords(nav, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	excl, err := ROIFromPairs(nav, ROIPair{[]int{0, 0}, false}, ROIPair{[]int{3, 4}, false}, ROIPair{[]int{1, 2}, false})
	if err != nil {
		t.Fatal(err)
	}
	fromInts, err := ROIFromArray(array.Wrap([]int8{0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3}, 20))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		roi  *array.Dense[bool]
		want int64
	}{{"coords", one, 1}, {"pairs", excl, 17}, {"array", fromInts, 3}} {
		var n atomic.Int64
		if _, err := RunOne(context.Background(), ds, frameCounter{frames: &n, parts: &partSet{}}, Options{ROI: tc.roi, Workers: 2}); err != nil {
			t.Fatal(err)
		}
		if n.Load() != tc.want {
			t.Errorf("%s: %d frames processed, want %d", tc.name, n.Load(), tc.want)
		}
	}
	// a numeric array passed directly is refused with a hint
	_, err = RunOne(context.Background(), ds, pixelSumFrame{}, Options{ROI: array.Zeros[int8](20)})
	if !errors.Is(err, ErrROIShape) || !strings.Contains(err.Error(), "ROIFromArray") {
		t.Errorf("numeric ROI: %v", err)
	}
}

// FuzzROIFromCoords: any nav shape and coordinates give either an error wrapping
// ErrROI or a mask with exactly one position set, at the flat index computed here.
func FuzzROIFromCoords(f *testing.F) {
	f.Add(int8(3), int8(4), int8(1), int8(2), true)
	f.Add(int8(0), int8(4), int8(0), int8(0), true)
	f.Add(int8(5), int8(1), int8(-5), int8(0), false)
	f.Fuzz(func(t *testing.T, n0, n1, c0, c1 int8, twoD bool) {
		nav := []int{int(n0), int(n1)}
		coords := []int{int(c0), int(c1)}
		if !twoD {
			nav, coords = nav[:1], coords[:1]
		}
		roi, err := ROIFromCoords(nav, coords...)
		if err != nil {
			if !errors.Is(err, ErrROI) {
				t.Fatalf("error %v does not wrap ErrROI", err)
			}
			return
		}
		flat := 0
		for a := range nav {
			if nav[a] <= 0 || coords[a] < -nav[a] || coords[a] >= nav[a] {
				t.Fatalf("nav %v coords %v accepted", nav, coords)
			}
			c := coords[a]
			if c < 0 {
				c += nav[a]
			}
			flat = flat*nav[a] + c
		}
		for i, v := range roi.Data() {
			if v != (i == flat) {
				t.Fatalf("nav %v coords %v: position %d is %v", nav, coords, i, v)
			}
		}
	})
}
