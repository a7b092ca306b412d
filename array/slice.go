package array

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Range is the half-open index interval [Start, Stop) along one axis.
type Range struct{ Start, Stop int }

// Len returns Stop - Start.
func (r Range) Len() int { return r.Stop - r.Start }

// Slice is an n-dimensional box: a global origin and a Shape (which carries the number of
// sig dims). len(Origin) must equal Shape.Len(). Methods never modify the receiver; they
// return new Slices that share no memory with it.
type Slice struct {
	Origin []int // global index of the box's first element, one entry per axis
	Shape  Shape // extents of the box and its number of sig dims
}

// NewSlice returns the slice with the given origin and shape, copying origin. It panics
// if len(origin) differs from shape.Len().
func NewSlice(origin []int, shape Shape) Slice {
	if len(origin) != shape.Len() {
		panic(fmt.Sprintf("array.NewSlice: origin has %d dims, shape %d", len(origin), shape.Len()))
	}
	return Slice{Origin: append([]int(nil), origin...), Shape: shape}
}

func (s Slice) check(op string) {
	if len(s.Origin) != s.Shape.Len() {
		panic(fmt.Sprintf("array.Slice.%s: origin has %d dims, shape %d", op, len(s.Origin), s.Shape.Len()))
	}
}

// Get returns one Range per axis: [origin, origin+extent).
func (s Slice) Get() []Range {
	s.check("Get")
	r := make([]Range, len(s.Origin))
	for i, o := range s.Origin {
		r[i] = Range{o, o + s.Shape.dims[i]}
	}
	return r
}

// NavRanges returns the Ranges of the navigation axes.
func (s Slice) NavRanges() []Range { return s.Get()[:s.Shape.NavDims()] }

// SigRanges returns the Ranges of the signal axes; applied to an array they index its
// trailing axes.
func (s Slice) SigRanges() []Range { return s.Get()[s.Shape.NavDims():] }

// Nav returns the navigation part of the slice (0 sig dims).
func (s Slice) Nav() Slice {
	n := s.Shape.NavDims()
	return Slice{Origin: append([]int(nil), s.Origin[:n]...), Shape: NewShape(s.Shape.dims[:n], 0)}
}

// Sig returns the signal part of the slice (all dims are sig dims).
func (s Slice) Sig() Slice {
	n := s.Shape.NavDims()
	sig := s.Shape.dims[n:]
	return Slice{Origin: append([]int(nil), s.Origin[n:]...), Shape: NewShape(sig, len(sig))}
}

// Intersection returns the box common to s and o: per axis the larger origin and the
// smaller end, extents clamped at 0. The result has s's sig dims. It panics if the
// slices have different numbers of dims.
func (s Slice) Intersection(o Slice) Slice {
	s.check("Intersection")
	if len(o.Origin) != len(s.Origin) {
		panic(fmt.Sprintf("array.Slice.Intersection: %d dims vs %d", len(s.Origin), len(o.Origin)))
	}
	origin := make([]int, len(s.Origin))
	dims := make([]int, len(s.Origin))
	for i := range s.Origin {
		start := max(s.Origin[i], o.Origin[i])
		stop := min(s.Origin[i]+s.Shape.dims[i], o.Origin[i]+o.Shape.dims[i])
		origin[i] = start
		dims[i] = max(stop-start, 0)
	}
	return Slice{Origin: origin, Shape: Shape{dims: dims, sigDims: s.Shape.sigDims}}
}

// IsNull reports whether the slice is empty: some extent is 0.
func (s Slice) IsNull() bool {
	for _, d := range s.Shape.dims {
		if d == 0 {
			return true
		}
	}
	return false
}

// Shift returns s with its origin made relative to other's origin (same shape).
func (s Slice) Shift(other Slice) Slice {
	s.check("Shift")
	if len(other.Origin) != len(s.Origin) {
		panic(fmt.Sprintf("array.Slice.Shift: %d dims vs %d", len(s.Origin), len(other.Origin)))
	}
	origin := make([]int, len(s.Origin))
	for i := range origin {
		origin[i] = s.Origin[i] - other.Origin[i]
	}
	return Slice{Origin: origin, Shape: s.Shape}
}

// ShiftBy returns s with offsets added to its origin. It panics if len(offsets) differs
// from the number of dims.
func (s Slice) ShiftBy(offsets []int) Slice {
	s.check("ShiftBy")
	if len(offsets) != len(s.Origin) {
		panic(fmt.Sprintf("array.Slice.ShiftBy: %d offsets for %d dims", len(offsets), len(s.Origin)))
	}
	origin := make([]int, len(s.Origin))
	for i := range origin {
		origin[i] = s.Origin[i] + offsets[i]
	}
	return Slice{Origin: origin, Shape: s.Shape}
}

// Subslices returns the boxes of extent tileshape that tile s, border boxes cropped to
// s, enumerated in C order over the grid of boxes (last axis fastest). Each has s's sig
// dims. A null slice has no subslices. It panics if len(tileshape) differs from the
// number of dims or an extent of tileshape is < 1.
func (s Slice) Subslices(tileshape []int) []Slice {
	s.check("Subslices")
	n := len(s.Origin)
	if len(tileshape) != n {
		panic(fmt.Sprintf("array.Slice.Subslices: tileshape has %d dims, slice %d", len(tileshape), n))
	}
	for i, t := range tileshape {
		if t < 1 {
			panic(fmt.Sprintf("array.Slice.Subslices: tileshape[%d] = %d, want >= 1", i, t))
		}
	}
	if s.IsNull() {
		return nil
	}
	counts := make([]int, n)
	total := 1
	for i := range counts {
		counts[i] = (s.Shape.dims[i] + tileshape[i] - 1) / tileshape[i]
		total *= counts[i]
	}
	out := make([]Slice, 0, total)
	idx := make([]int, n)
	store := make([]int, 2*n*total) // one allocation for every origin and extent
	for range total {
		origin := store[:n:n]
		dims := store[n : 2*n : 2*n]
		store = store[2*n:]
		for i := range n {
			off := idx[i] * tileshape[i]
			origin[i] = s.Origin[i] + off
			dims[i] = min(tileshape[i], s.Shape.dims[i]-off)
		}
		out = append(out, Slice{Origin: origin, Shape: Shape{dims: dims, sigDims: s.Shape.sigDims}})
		for i := n - 1; i >= 0; i-- {
			idx[i]++
			if idx[i] < counts[i] {
				break
			}
			idx[i] = 0
		}
	}
	return out
}

// AdjustForROI maps a slice in flat-nav coordinates (exactly one nav dim) to
// ROI-compressed coordinates: the origin becomes the number of selected positions before
// it and the nav extent the number of selected positions inside it; the sig part is
// unchanged. A nil roiFlat means "no ROI" and returns s unchanged (copied). Positions
// past the end of roiFlat count as not selected. It panics if s does not have exactly
// one nav dim.
func (s Slice) AdjustForROI(roiFlat []bool) Slice {
	s.check("AdjustForROI")
	if s.Shape.NavDims() != 1 {
		panic(fmt.Sprintf("array.Slice.AdjustForROI: need 1 flat nav dim, have %d", s.Shape.NavDims()))
	}
	out := NewSlice(s.Origin, s.Shape)
	out.Shape = NewShape(s.Shape.dims, s.Shape.sigDims)
	if roiFlat == nil {
		return out
	}
	count := func(a, b int) int {
		a, b = max(a, 0), min(b, len(roiFlat))
		c := 0
		for i := a; i < b; i++ {
			if roiFlat[i] {
				c++
			}
		}
		return c
	}
	o := s.Origin[0]
	out.Origin[0] = count(0, o)
	out.Shape.dims[0] = count(o, o+s.Shape.dims[0])
	return out
}

// FlattenNav returns the slice with its nav axes raveled (C order) into one flat nav
// axis, given the shape of the containing array: containing's first NavDims extents are
// the full nav extents (sig extents, if present, are ignored). The nav box must be
// contiguous in C order — leading nav extents 1, then any extent, then full extents —
// as partitions and tiles are. It panics if containing has fewer nav extents than s or
// the nav box is not contiguous.
func (s Slice) FlattenNav(containing []int) Slice {
	s.check("FlattenNav")
	nd := s.Shape.NavDims()
	if len(containing) < nd {
		panic(fmt.Sprintf("array.Slice.FlattenNav: containing shape %v has fewer than %d nav dims", containing, nd))
	}
	nav := s.Shape.dims[:nd]
	// contiguity: after the first axis (from the left) whose extent is not 1, every
	// later nav axis must be full and start at 0.
	seen := false
	for i := range nd {
		if seen && (nav[i] != containing[i] || s.Origin[i] != 0) {
			panic(fmt.Sprintf("array.Slice.FlattenNav: nav box %s in %v is not contiguous", s, containing[:nd]))
		}
		if nav[i] != 1 {
			seen = true
		}
	}
	flat := 0
	for i := range nd {
		flat = flat*containing[i] + s.Origin[i]
	}
	origin := append([]int{flat}, s.Origin[nd:]...)
	dims := append([]int{prod(nav)}, s.Shape.dims[nd:]...)
	return Slice{Origin: origin, Shape: Shape{dims: dims, sigDims: s.Shape.sigDims}}
}

// DiscardNav returns the slice with nav origin and nav extents set to 0, keeping the sig
// part: the key for lookups that depend only on the signal box.
func (s Slice) DiscardNav() Slice {
	s.check("DiscardNav")
	nd := s.Shape.NavDims()
	origin := append(make([]int, nd), s.Origin[nd:]...)
	dims := append(make([]int, nd), s.Shape.dims[nd:]...)
	return Slice{Origin: origin, Shape: Shape{dims: dims, sigDims: s.Shape.sigDims}}
}

// Equal reports whether both slices have the same origin and the same Shape.
func (s Slice) Equal(o Slice) bool {
	return slices.Equal(s.Origin, o.Origin) && s.Shape.Equal(o.Shape)
}

// Key returns a string that identifies the slice (origin, extents and sig dims), for use
// as a map key: a.Key() == b.Key() exactly when a.Equal(b).
func (s Slice) Key() string {
	var b strings.Builder
	for i, o := range s.Origin {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(o))
	}
	b.WriteByte('|')
	for i, d := range s.Shape.dims {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(d))
	}
	b.WriteByte('|')
	b.WriteString(strconv.Itoa(s.Shape.sigDims))
	return b.String()
}

// String formats the slice as "Slice(origin=(0, 0, 0), shape=(4, 16, 16)/2)".
func (s Slice) String() string {
	return "Slice(origin=" + tupleString(s.Origin) + ", shape=" + s.Shape.String() + ")"
}
