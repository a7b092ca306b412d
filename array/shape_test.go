package array

import (
	"reflect"
	"slices"
	"testing"
)

func TestShape(t *testing.T) {
	tests := []struct {
		name                   string
		dims                   []int
		sig                    int
		nav, sigd              []int
		size, navSize, sigSize int
		flatNav, flatSig       []int
		flatSigDims            int
		str                    string
	}{
		{"4d", []int{4, 5, 16, 17}, 2, []int{4, 5}, []int{16, 17}, 4 * 5 * 16 * 17, 20, 272, []int{20, 16, 17}, []int{4, 5, 272}, 1, "(4, 5, 16, 17)/2"},
		{"3d", []int{7, 3, 2}, 2, []int{7}, []int{3, 2}, 42, 7, 6, []int{7, 3, 2}, []int{7, 6}, 1, "(7, 3, 2)/2"},
		{"spectra", []int{2, 3, 100}, 1, []int{2, 3}, []int{100}, 600, 6, 100, []int{6, 100}, []int{2, 3, 100}, 1, "(2, 3, 100)/1"},
		{"quirk empty", nil, 0, []int{}, []int{}, 0, 0, 0, []int{1}, []int{1}, 1, "()/0"},
		{"nav only", []int{5}, 0, []int{5}, []int{}, 5, 5, 0, []int{5}, []int{5, 1}, 1, "(5,)/0"},
		{"zero extent", []int{0, 3}, 1, []int{0}, []int{3}, 0, 0, 3, []int{0, 3}, []int{0, 3}, 1, "(0, 3)/1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewShape(tc.dims, tc.sig)
			if !slices.Equal(s.Nav(), tc.nav) || !slices.Equal(s.Sig(), tc.sigd) {
				t.Errorf("nav %v sig %v", s.Nav(), s.Sig())
			}
			if s.Size() != tc.size || s.NavSize() != tc.navSize || s.SigSize() != tc.sigSize {
				t.Errorf("size %d nav %d sig %d", s.Size(), s.NavSize(), s.SigSize())
			}
			if s.NavDims() != len(tc.nav) || s.SigDims() != tc.sig || s.Len() != len(tc.dims) {
				t.Errorf("navdims %d sigdims %d", s.NavDims(), s.SigDims())
			}
			fn := s.FlattenNav()
			if !reflect.DeepEqual(fn.Dims(), tc.flatNav) || fn.SigDims() != tc.sig {
				t.Errorf("FlattenNav = %v", fn)
			}
			fs := s.FlattenSig()
			if !reflect.DeepEqual(fs.Dims(), tc.flatSig) || fs.SigDims() != tc.flatSigDims {
				t.Errorf("FlattenSig = %v", fs)
			}
			if s.String() != tc.str {
				t.Errorf("String = %q, want %q", s.String(), tc.str)
			}
		})
	}
}

func TestShapeEqualAndImmutability(t *testing.T) {
	dims := []int{2, 3, 4}
	a := NewShape(dims, 1)
	dims[0] = 99
	if a.Dim(0) != 2 {
		t.Fatal("NewShape did not copy dims")
	}
	d := a.Dims()
	d[1] = 99
	if a.Dim(1) != 3 {
		t.Fatal("Dims returned internal storage")
	}
	tests := []struct {
		b    Shape
		want bool
	}{
		{NewShape([]int{2, 3, 4}, 1), true},
		{NewShape([]int{2, 3, 4}, 2), false},
		{NewShape([]int{2, 3, 5}, 1), false},
		{NewShape([]int{2, 3}, 1), false},
	}
	for _, tc := range tests {
		if a.Equal(tc.b) != tc.want {
			t.Errorf("%v.Equal(%v) != %v", a, tc.b, tc.want)
		}
	}
	if got := a.AppendSig(5, 6); !got.Equal(NewShape([]int{2, 3, 4, 5, 6}, 3)) {
		t.Errorf("AppendSig = %v", got)
	}
	if got := a.PrependNav(7); !got.Equal(NewShape([]int{7, 2, 3, 4}, 1)) {
		t.Errorf("PrependNav = %v", got)
	}
}

func TestNewShapePanics(t *testing.T) {
	for _, tc := range []struct {
		dims []int
		sig  int
	}{{[]int{1, 2}, 3}, {[]int{1}, -1}, {[]int{-1, 2}, 1}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewShape(%v, %d) did not panic", tc.dims, tc.sig)
				}
			}()
			NewShape(tc.dims, tc.sig)
		}()
	}
}
