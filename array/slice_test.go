package array

import (
	"reflect"
	"testing"
)

func sl(origin, dims []int, sigDims int) Slice { return NewSlice(origin, NewShape(dims, sigDims)) }

func TestSliceGet(t *testing.T) {
	s := sl([]int{2, 0, 1, 3}, []int{3, 4, 5, 6}, 2)
	if got, want := s.Get(), []Range{{2, 5}, {0, 4}, {1, 6}, {3, 9}}; !reflect.DeepEqual(got, want) {
		t.Errorf("Get = %v", got)
	}
	if got, want := s.NavRanges(), []Range{{2, 5}, {0, 4}}; !reflect.DeepEqual(got, want) {
		t.Errorf("NavRanges = %v", got)
	}
	if got, want := s.SigRanges(), []Range{{1, 6}, {3, 9}}; !reflect.DeepEqual(got, want) {
		t.Errorf("SigRanges = %v", got)
	}
	if n := s.Nav(); !n.Equal(sl([]int{2, 0}, []int{3, 4}, 0)) {
		t.Errorf("Nav = %v", n)
	}
	if g := s.Sig(); !g.Equal(sl([]int{1, 3}, []int{5, 6}, 2)) {
		t.Errorf("Sig = %v", g)
	}
}

func TestSliceIntersection(t *testing.T) {
	tests := []struct {
		name string
		a, b Slice
		want Slice
		null bool
	}{
		{"overlap", sl([]int{0, 0}, []int{4, 4}, 1), sl([]int{2, 1}, []int{4, 2}, 1), sl([]int{2, 1}, []int{2, 2}, 1), false},
		{"contained", sl([]int{0, 0}, []int{10, 10}, 1), sl([]int{3, 4}, []int{2, 2}, 1), sl([]int{3, 4}, []int{2, 2}, 1), false},
		{"disjoint", sl([]int{0, 0}, []int{2, 2}, 1), sl([]int{5, 0}, []int{2, 2}, 1), sl([]int{5, 0}, []int{0, 2}, 1), true},
		{"touching", sl([]int{0}, []int{3}, 0), sl([]int{3}, []int{3}, 0), sl([]int{3}, []int{0}, 0), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.a.Intersection(tc.b)
			if !got.Equal(tc.want) || got.IsNull() != tc.null {
				t.Errorf("got %v (null %v), want %v (null %v)", got, got.IsNull(), tc.want, tc.null)
			}
		})
	}
}

func TestSliceShift(t *testing.T) {
	s := sl([]int{10, 2, 3}, []int{4, 5, 6}, 2)
	p := sl([]int{8, 0, 0}, []int{20, 5, 6}, 2)
	if got := s.Shift(p); !got.Equal(sl([]int{2, 2, 3}, []int{4, 5, 6}, 2)) {
		t.Errorf("Shift = %v", got)
	}
	if got := s.ShiftBy([]int{-10, 1, 0}); !got.Equal(sl([]int{0, 3, 3}, []int{4, 5, 6}, 2)) {
		t.Errorf("ShiftBy = %v", got)
	}
	if s.Origin[0] != 10 {
		t.Error("receiver modified")
	}
}

func TestSliceSubslices(t *testing.T) {
	tests := []struct {
		name string
		s    Slice
		tile []int
		want []Slice
	}{
		{
			"2d cropped C order",
			sl([]int{1, 10}, []int{3, 5}, 1), []int{2, 2},
			[]Slice{
				sl([]int{1, 10}, []int{2, 2}, 1), sl([]int{1, 12}, []int{2, 2}, 1), sl([]int{1, 14}, []int{2, 1}, 1),
				sl([]int{3, 10}, []int{1, 2}, 1), sl([]int{3, 12}, []int{1, 2}, 1), sl([]int{3, 14}, []int{1, 1}, 1),
			},
		},
		{
			"3d partition into tiles",
			sl([]int{4, 0, 0}, []int{5, 4, 4}, 2), []int{3, 4, 2},
			[]Slice{
				sl([]int{4, 0, 0}, []int{3, 4, 2}, 2), sl([]int{4, 0, 2}, []int{3, 4, 2}, 2),
				sl([]int{7, 0, 0}, []int{2, 4, 2}, 2), sl([]int{7, 0, 2}, []int{2, 4, 2}, 2),
			},
		},
		{"exact", sl([]int{0}, []int{4}, 0), []int{4}, []Slice{sl([]int{0}, []int{4}, 0)}},
		{"bigger tile", sl([]int{0, 0}, []int{2, 3}, 1), []int{5, 5}, []Slice{sl([]int{0, 0}, []int{2, 3}, 1)}},
		{"null", sl([]int{0, 0}, []int{0, 3}, 1), []int{1, 1}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.s.Subslices(tc.tile)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d subslices %v, want %d", len(got), got, len(tc.want))
			}
			for i := range got {
				if !got[i].Equal(tc.want[i]) {
					t.Errorf("[%d] = %v, want %v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestSliceAdjustForROI(t *testing.T) {
	//          0     1     2      3     4     5      6     7
	roi := []bool{true, false, true, true, false, false, true, true}
	tests := []struct {
		name string
		s    Slice
		roi  []bool
		want Slice
	}{
		{"nil roi", sl([]int{2, 0, 0}, []int{3, 4, 4}, 2), nil, sl([]int{2, 0, 0}, []int{3, 4, 4}, 2)},
		{"first part", sl([]int{0, 0, 0}, []int{4, 4, 4}, 2), roi, sl([]int{0, 0, 0}, []int{3, 4, 4}, 2)},
		{"second part", sl([]int{4, 0, 0}, []int{4, 4, 4}, 2), roi, sl([]int{3, 0, 0}, []int{2, 4, 4}, 2)},
		{"empty part", sl([]int{4, 1, 2}, []int{2, 3, 2}, 2), roi, sl([]int{3, 1, 2}, []int{0, 3, 2}, 2)},
		{"middle", sl([]int{1, 0}, []int{3, 7}, 1), roi, sl([]int{1, 0}, []int{2, 7}, 1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.s.AdjustForROI(tc.roi); !got.Equal(tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSliceFlattenNav(t *testing.T) {
	containing := []int{4, 5, 16, 16}
	tests := []struct {
		name string
		s    Slice
		want Slice
	}{
		{"full rows", sl([]int{1, 0, 0, 0}, []int{2, 5, 16, 16}, 2), sl([]int{5, 0, 0}, []int{10, 16, 16}, 2)},
		{"part of a row", sl([]int{2, 1, 0, 8}, []int{1, 3, 16, 8}, 2), sl([]int{11, 0, 8}, []int{3, 16, 8}, 2)},
		{"single frame", sl([]int{3, 4, 0, 0}, []int{1, 1, 16, 16}, 2), sl([]int{19, 0, 0}, []int{1, 16, 16}, 2)},
		{"nav shape only", sl([]int{0, 0, 0, 0}, []int{4, 5, 16, 16}, 2), sl([]int{0, 0, 0}, []int{20, 16, 16}, 2)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.s.FlattenNav(containing); !got.Equal(tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			if got := tc.s.FlattenNav(containing[:2]); !got.Equal(tc.want) {
				t.Errorf("nav-only containing: got %v, want %v", got, tc.want)
			}
		})
	}
	defer func() {
		if recover() == nil {
			t.Error("non-contiguous nav box did not panic")
		}
	}()
	sl([]int{0, 1, 0, 0}, []int{2, 2, 16, 16}, 2).FlattenNav(containing)
}

func TestSliceDiscardNavKeyString(t *testing.T) {
	s := sl([]int{3, 4, 1, 2}, []int{2, 2, 5, 6}, 2)
	if got := s.DiscardNav(); !got.Equal(sl([]int{0, 0, 1, 2}, []int{0, 0, 5, 6}, 2)) {
		t.Errorf("DiscardNav = %v", got)
	}
	if s.Key() != "3,4,1,2|2,2,5,6|2" {
		t.Errorf("Key = %q", s.Key())
	}
	other := sl([]int{3, 4, 1, 2}, []int{2, 2, 5, 6}, 1)
	if s.Key() == other.Key() || s.Equal(other) {
		t.Error("sig dims ignored by Key/Equal")
	}
	if s.String() != "Slice(origin=(3, 4, 1, 2), shape=(2, 2, 5, 6)/2)" {
		t.Errorf("String = %q", s.String())
	}
	m := map[string]int{s.Key(): 1}
	if m[sl([]int{3, 4, 1, 2}, []int{2, 2, 5, 6}, 2).Key()] != 1 {
		t.Error("equal slices have different keys")
	}
}
