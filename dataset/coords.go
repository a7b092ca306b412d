package dataset

// NavMapper maps flat-nav (or ROI-compressed) frame indices to true nav coordinates
// (the reference's coordinates). Make one per run; it is immutable and safe for concurrent
// use. Tile and partition slices already account for the sync offset, so coordinates
// are those of nav positions, not of stored frames.
type NavMapper struct {
	nav     []int
	strides []int
	sel     []int // ROI: flat index of every selected position, in order; nil = no ROI
}

// NewNavMapper returns the mapper for a nav shape and a flat ROI (nil for none; its
// length must be the nav size, else ErrROI).
func NewNavMapper(navShape []int, roi []bool) (*NavMapper, error) {
	n := prodInts(navShape)
	m := &NavMapper{nav: append([]int(nil), navShape...), strides: make([]int, len(navShape))}
	s := 1
	for i := len(navShape) - 1; i >= 0; i-- {
		m.strides[i] = s
		s *= navShape[i]
	}
	if roi != nil {
		if len(roi) != n {
			return nil, newErr("", "roi", ErrROI, "roi has %d elements, nav shape %v has %d", len(roi), navShape, n)
		}
		m.sel = make([]int, 0, countTrue(roi))
		for i, v := range roi {
			if v {
				m.sel = append(m.sel, i)
			}
		}
	}
	return m, nil
}

// NavDims returns the number of nav axes.
func (m *NavMapper) NavDims() int { return len(m.nav) }

// Count returns the number of frames in the mapper's coordinate space (nav size, or
// the number of selected positions with a ROI).
func (m *NavMapper) Count() int {
	if m.sel != nil {
		return len(m.sel)
	}
	return prodInts(m.nav)
}

// FlatIndex returns the flat nav index of frame i (compressed with a ROI).
func (m *NavMapper) FlatIndex(i int) int {
	if m.sel != nil {
		return m.sel[i]
	}
	return i
}

// AppendCoordinates appends the nav coordinates of the n frames starting at
// (compressed) index origin to dst, row by row (n·NavDims values), and returns it. It
// allocates only when dst is too small.
func (m *NavMapper) AppendCoordinates(dst []int, origin, n int) []int {
	for j := range n {
		f := m.FlatIndex(origin + j)
		for i, s := range m.strides {
			dst = append(dst, (f/s)%m.nav[i])
		}
	}
	return dst
}

// NavROI returns a flat ROI over a nav shape with the given positions selected (each a
// full nav coordinate), the reference's ds.roi[...] helper. An out-of-range or
// wrong-length position is an error wrapping ErrROI.
func NavROI(navShape []int, positions ...[]int) ([]bool, error) {
	roi := make([]bool, prodInts(navShape))
	for _, pos := range positions {
		if len(pos) != len(navShape) {
			return nil, newErr("", "roi", ErrROI, "position %v has %d coordinates, nav shape %v has %d axes", pos, len(pos), navShape, len(navShape))
		}
		f := 0
		for i, c := range pos {
			if c < 0 || c >= navShape[i] {
				return nil, newErr("", "roi", ErrROI, "position %v outside nav shape %v", pos, navShape)
			}
			f = f*navShape[i] + c
		}
		roi[f] = true
	}
	return roi, nil
}
