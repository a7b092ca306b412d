package udf

import (
	"fmt"

	"github.com/stemflow/stemflow/array"
)

// broadcastBool expands mask to shape with numpy's broadcasting rules (trailing axes
// aligned; each mask extent 1 or equal). It wraps ErrInvalidMask when mask is not a
// dense bool array or does not broadcast.
func broadcastBool(mask array.Array, shape []int) (*array.Dense[bool], error) {
	m, ok := mask.(*array.Dense[bool])
	if !ok {
		return nil, fmt.Errorf("%w: dtype %v, want bool", ErrInvalidMask, mask.DType())
	}
	ms := m.Shape()
	if len(ms) > len(shape) {
		return nil, fmt.Errorf("%w: mask shape %v does not broadcast to %v", ErrInvalidMask, ms, shape)
	}
	pad := len(shape) - len(ms)
	for i, e := range ms {
		if e != 1 && e != shape[pad+i] {
			return nil, fmt.Errorf("%w: mask shape %v does not broadcast to %v", ErrInvalidMask, ms, shape)
		}
	}
	out := array.Zeros[bool](shape...)
	if out.Size() == 0 {
		return out, nil
	}
	mc := m.Contiguous()
	md := mc.Data()
	// strides of the mask in the padded index space (0 for broadcast axes)
	mst := make([]int, len(shape))
	s := 1
	for i := len(ms) - 1; i >= 0; i-- {
		if ms[i] != 1 {
			mst[pad+i] = s
		}
		s *= ms[i]
	}
	idx := make([]int, len(shape))
	od := out.Data()
	for k := range od {
		off := 0
		for i, j := range idx {
			off += j * mst[i]
		}
		od[k] = md[off]
		for i := len(idx) - 1; i >= 0; i-- {
			idx[i]++
			if idx[i] < shape[i] {
				break
			}
			idx[i] = 0
		}
	}
	return out, nil
}

func negate(m *array.Dense[bool]) *array.Dense[bool] {
	c := m.Copy()
	d := c.Data()
	for i := range d {
		d[i] = !d[i]
	}
	return c
}

// boundingBox returns the smallest box containing every true element of m.
func boundingBox(m *array.Dense[bool]) ([]array.Range, bool) {
	shape := m.Shape()
	lo := make([]int, len(shape))
	hi := make([]int, len(shape))
	for i := range lo {
		lo[i] = -1
	}
	found := false
	m.ForEach(func(idx []int, v bool) {
		if !v {
			return
		}
		for i, j := range idx {
			if !found || j < lo[i] {
				lo[i] = j
			}
			if !found || j+1 > hi[i] {
				hi[i] = j + 1
			}
		}
		found = true
	})
	if !found {
		return nil, false
	}
	out := make([]array.Range, len(shape))
	for i := range out {
		out[i] = array.Range{Start: lo[i], Stop: hi[i]}
	}
	return out, true
}

// innerRun returns the first run of indices along axis at which all elements over the
// other axes are true.
func innerRun(m *array.Dense[bool], axis int) (array.Range, bool) {
	shape := m.Shape()
	if axis < 0 || axis >= len(shape) {
		return array.Range{}, false
	}
	all := make([]bool, shape[axis])
	for i := range all {
		all[i] = true
	}
	m.ForEach(func(idx []int, v bool) {
		if !v {
			all[idx[axis]] = false
		}
	})
	start := -1
	for i, v := range all {
		if v && start < 0 {
			start = i
		}
		if !v && start >= 0 {
			return array.Range{Start: start, Stop: i}, true
		}
	}
	if start >= 0 {
		return array.Range{Start: start, Stop: len(all)}, true
	}
	return array.Range{}, false
}

// roiIndex returns the flat nav indices of the selected positions.
func roiIndex(roi []bool) []int {
	var idx []int
	for i, v := range roi {
		if v {
			idx = append(idx, i)
		}
	}
	return idx
}

// embedNav scatters the flat, ROI-compressed rows of raw into a new nav+extra array
// filled with fill outside the ROI.
func embedNav(raw array.Array, nav []int, roi []bool, fill any) (array.Array, error) {
	rs := raw.Shape()
	extra := rs[1:]
	navSize := 1
	for _, n := range nav {
		navSize *= n
	}
	full := array.New(raw.DType(), append([]int{navSize}, extra...)...)
	o := opsOf(full)
	if o == nil {
		return nil, fmt.Errorf("embed: unsupported dtype %v", raw.DType())
	}
	o.fill(fill)
	o.scatterRows(raw, roiIndex(roi))
	return reshapeDyn(full, append(append([]int(nil), nav...), extra...))
}

// computeData builds Data (see ResultBuffer.Data).
func (b *ResultBuffer) computeData() array.Array {
	if b.spec.Kind != KindNav || b.navShaped {
		return b.raw
	}
	nav := b.dsShape.Nav()
	extra := b.raw.Shape()[1:]
	if b.roi == nil {
		r, err := reshapeDyn(b.raw, append(append([]int(nil), nav...), extra...))
		if err != nil {
			return b.raw
		}
		return r
	}
	d, err := embedNav(b.raw, nav, b.roi, array.FillValue(b.raw.DType()))
	if err != nil {
		return b.raw
	}
	return d
}

// masks computes the raw and user-facing valid masks once.
func (b *ResultBuffer) masks() {
	b.maskOnce.Do(func() {
		rs := b.raw.Shape()
		var raw *array.Dense[bool]
		switch {
		case b.valid != nil:
			m, err := broadcastBool(b.valid, rs)
			if err != nil {
				b.maskError = err
				m = array.Zeros[bool](rs...)
			}
			raw = m
		case b.spec.Kind == KindNav && !b.navShaped:
			d := array.Wrap(append([]bool(nil), b.damage...), len(b.damage), 1)
			if len(b.damage) != rs[0] {
				d = array.Zeros[bool](rs[0], 1)
			}
			shape := append([]int{rs[0]}, rs[1:]...)
			m, _ := broadcastBool(padTo(d, len(shape)), shape)
			raw = m
		case b.spec.Kind == KindNav && b.navShaped:
			// damage in full nav shape, broadcast over extra
			full := fullDamage(b.damage, b.roi, b.dsShape.NavSize())
			nd := b.dsShape.NavDims()
			ms := append(b.dsShape.Nav(), ones(len(rs)-nd)...)
			dm, _ := reshapeDyn(array.Wrap(full, len(full)), ms)
			m, err := broadcastBool(dm, rs)
			if err != nil {
				m = array.Zeros[bool](rs...)
			}
			raw = m
		default:
			raw = array.Zeros[bool](rs...)
			raw.Fill(true)
		}
		b.rawMask = raw
		if b.spec.Kind != KindNav || b.navShaped {
			b.userMask = raw
			return
		}
		nav := b.dsShape.Nav()
		if b.roi == nil {
			r, err := raw.Reshape(append(append([]int(nil), nav...), rs[1:]...)...)
			if err == nil {
				b.userMask = r
				return
			}
		}
		u, err := embedNav(raw, nav, b.roi, false)
		if err != nil {
			b.userMask = raw
			return
		}
		b.userMask = u.(*array.Dense[bool])
	})
}

func ones(n int) []int {
	o := make([]int, n)
	for i := range o {
		o[i] = 1
	}
	return o
}

// padTo reshapes m (n,1) to (n,1,...,1) with nd axes.
func padTo(m *array.Dense[bool], nd int) *array.Dense[bool] {
	s := append([]int{m.Shape()[0]}, ones(nd-1)...)
	r, err := m.Reshape(s...)
	if err != nil {
		return m
	}
	return r
}

// fullDamage expands flat ROI-compressed damage to one entry per nav position.
func fullDamage(damage, roi []bool, navSize int) []bool {
	if roi == nil {
		out := make([]bool, navSize)
		copy(out, damage)
		return out
	}
	out := make([]bool, len(roi))
	j := 0
	for i, v := range roi {
		if v {
			if j < len(damage) {
				out[i] = damage[j]
			}
			j++
		}
	}
	return out
}
