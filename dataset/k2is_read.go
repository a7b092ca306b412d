package dataset

import (
	"context"
	"encoding/binary"
	"fmt"
	"runtime/debug"
	"slices"
	"sync"

	"github.com/stemflow/stemflow/array"
)

// Reading K2IS tiles: every sig box of the tiling scheme is planned once per scheme as
// pieces, each a rectangle of one block (sector, block index within the sector's frame,
// block rows and columns) and where it lands in the box. A frame of a tile is then read
// by fetching, for each sector the box touches, the span of its blocks (a slice of the
// mapping, or one pread), checking the touched blocks' headers (sync word; one frame_id
// for all of them) and unpacking the pieces' rows straight into the tile (uint16) or
// into a scratch frame that the dtype decoder converts.

// k2WholeBox is the one run of a box's unpacked scratch: all of it, from element 0.
var k2WholeBox = []int{0}

// k2Piece is one block's share of a sig box.
type k2Piece struct {
	sec, blk    int // sector, block index within the sector's frame
	r0, rows    int // block rows
	c0, c1      int // block columns [c0, c1)
	out, stride int // box element offset of (r0, c0); distance between its rows
}

// k2Plan is how to read one sig box from a frame.
type k2Plan struct {
	pieces []k2Piece
	lo, hi [k2Sectors]int // per sector the blocks [lo, hi) fetched (lo == hi: none)
	checks [][2]int       // the (sector, block) pairs whose headers are checked
	raw    int            // bytes a pread fetches per frame
}

// planK2Box plans a box given as runs of the flat (C-order) frame: run r covers
// elements runs[r] … +runLen and fills the box's elements r·runLen … in order. Runs are
// cut at rows and block columns; cuts of one block column in consecutive rows at a
// constant distance merge into one piece.
func planK2Box(g k2Geom, runs []int, runLen int) k2Plan {
	var pl k2Plan
	width := k2Sectors * g.sectorW()
	last := map[[4]int]int{}
	seen := map[[2]int]bool{}
	for s := range k2Sectors {
		pl.lo[s], pl.hi[s] = -1, -1
	}
	pos := 0
	for _, r := range runs {
		for i := r; i < r+runLen; {
			y, x := i/width, i%width
			col := x / g.blockW
			c0 := x % g.blockW
			n := min(r+runLen-i, g.blockW-c0)
			sec, bx := col/g.blocksX, col%g.blocksX
			blk := g.blocksX - 1 - bx + (y/g.blockH)*g.blocksX
			row := y % g.blockH
			out := pos + i - r
			key := [4]int{sec, blk, c0, c0 + n}
			merged := false
			if j, ok := last[key]; ok {
				pc := &pl.pieces[j]
				if pc.r0+pc.rows == row && (pc.rows == 1 && out > pc.out || pc.rows > 1 && pc.out+pc.rows*pc.stride == out) {
					if pc.rows == 1 {
						pc.stride = out - pc.out
					}
					pc.rows++
					merged = true
				}
			}
			if !merged {
				last[key] = len(pl.pieces)
				pl.pieces = append(pl.pieces, k2Piece{sec: sec, blk: blk, r0: row, rows: 1, c0: c0, c1: c0 + n, out: out})
			}
			if !seen[[2]int{sec, blk}] {
				seen[[2]int{sec, blk}] = true
				pl.checks = append(pl.checks, [2]int{sec, blk})
				if pl.lo[sec] < 0 {
					pl.lo[sec], pl.hi[sec] = blk, blk+1
				}
				pl.lo[sec] = min(pl.lo[sec], blk)
				pl.hi[sec] = max(pl.hi[sec], blk+1)
			}
			i += n
		}
		pos += runLen
	}
	for s := range k2Sectors {
		if pl.lo[s] < 0 {
			pl.lo[s], pl.hi[s] = 0, 0
		}
		pl.raw += (pl.hi[s] - pl.lo[s]) * int(g.blockBytes())
	}
	slices.SortFunc(pl.checks, func(a, b [2]int) int {
		if a[0] != b[0] {
			return a[0] - b[0]
		}
		return a[1] - b[1]
	})
	return pl
}

// k2Unpack writes the 12-bit values c0 … c0+len(dst)−1 of a packed row to dst: value c
// is bits 12c … 12c+11 of the row read as one little-endian number.
func k2Unpack(dst []uint16, row []byte, c0 int) {
	if c0 == 0 && len(dst)%16 == 0 {
		for len(dst) >= 16 {
			k2Unpack16((*[16]uint16)(dst), (*[24]byte)(row))
			dst, row = dst[16:], row[24:]
		}
		return
	}
	for i := range dst {
		c := c0 + i
		p := c >> 1 * 3
		v := uint32(row[p]) | uint32(row[p+1])<<8 | uint32(row[p+2])<<16
		dst[i] = uint16(v >> (12 * uint(c&1)) & 0xFFF)
	}
}

// k2Unpack16 unpacks 16 values from 24 bytes (three little-endian 64-bit words).
func k2Unpack16(d *[16]uint16, b *[24]byte) {
	le := binary.LittleEndian
	w0, w1, w2 := le.Uint64(b[0:]), le.Uint64(b[8:]), le.Uint64(b[16:])
	d[0] = uint16(w0 & 0xFFF)
	d[1] = uint16(w0 >> 12 & 0xFFF)
	d[2] = uint16(w0 >> 24 & 0xFFF)
	d[3] = uint16(w0 >> 36 & 0xFFF)
	d[4] = uint16(w0 >> 48 & 0xFFF)
	d[5] = uint16(w0>>60 | w1&0xFF<<4)
	d[6] = uint16(w1 >> 8 & 0xFFF)
	d[7] = uint16(w1 >> 20 & 0xFFF)
	d[8] = uint16(w1 >> 32 & 0xFFF)
	d[9] = uint16(w1 >> 44 & 0xFFF)
	d[10] = uint16(w1>>56 | w2&0xF<<8)
	d[11] = uint16(w2 >> 4 & 0xFFF)
	d[12] = uint16(w2 >> 16 & 0xFFF)
	d[13] = uint16(w2 >> 28 & 0xFFF)
	d[14] = uint16(w2 >> 40 & 0xFFF)
	d[15] = uint16(w2 >> 52 & 0xFFF)
}

// k2State is the pooled per-call scratch of k2Read.
type k2State[T elem] struct {
	readState[T]
	direct   bool // T is uint16: unpack straight into the tile
	schemeOf []int
	plans    []k2Plan
	scratch  []uint16 // one box of one frame, for T other than uint16
	spans    [k2Sectors][]byte
}

func k2StateFor[T elem](k *K2IS) (*k2State[T], *sync.Pool, error) {
	pool := poolFor(&k.pools, array.DTypeOf[T]())
	if st, ok := pool.Get().(*k2State[T]); ok {
		return st, pool, nil
	}
	dec, err := newDecoder[T](array.Uint16, false, hostBig)
	if err != nil {
		if e, ok := err.(*Error); ok {
			e.Path = k.path
		}
		return nil, nil, err
	}
	st := &k2State[T]{readState: readState[T]{dec: dec, shapes: map[[2]int]array.Shape{}}}
	st.direct = array.DTypeOf[T]() == array.Uint16
	return st, pool, nil
}

// plan makes the box plans of a scheme (once per scheme) and sizes the buffers: the
// scratch holds nscr frames of a box.
func (st *k2State[T]) plan(k *K2IS, s *TilingScheme, nscr int) {
	if !slices.Equal(st.schemeOf, s.Shape) || len(st.plans) != len(st.boxes) {
		st.schemeOf = slices.Clone(s.Shape)
		st.plans = st.plans[:0]
		for _, bp := range st.boxes {
			st.plans = append(st.plans, planK2Box(k.geom, bp.runs, bp.runLen))
		}
	}
	maxBox, maxRaw := 0, 0
	for i, bp := range st.boxes {
		maxBox = max(maxBox, bp.size)
		maxRaw = max(maxRaw, st.plans[i].raw)
	}
	if !st.direct && cap(st.scratch) < nscr*maxBox {
		st.scratch = make([]uint16, nscr*maxBox)
	}
	if k.copyIO && cap(st.raw) < maxRaw {
		st.raw = make([]byte, maxRaw)
	}
}

// frame unpacks box pl of stored frame s into dst (len = the box size).
func (st *k2State[T]) frame(k *K2IS, pl *k2Plan, s int, dst []uint16) error {
	g := &k.geom
	B := g.blockBytes()
	pos := 0
	for x := range k2Sectors {
		if pl.lo[x] == pl.hi[x] {
			continue
		}
		sec := &k.secs[x]
		off := sec.start + int64(s)*g.frameBytes() + int64(pl.lo[x])*B
		n := int64(pl.hi[x]-pl.lo[x]) * B
		if sec.sto.file == nil {
			st.spans[x] = sec.sto.data[off : off+n]
			continue
		}
		buf := st.raw[pos : pos+int(n)]
		if _, err := sec.sto.file.ReadAt(buf, off); err != nil {
			if fi, serr := sec.sto.file.Stat(); serr == nil && fi.Size() < sec.sto.size {
				return &TruncatedError{OldSize: sec.sto.size, NewSize: fi.Size()}
			}
			return fmt.Errorf("%s: reading %d bytes at offset %d: %w", sec.path, n, off, err)
		}
		st.spans[x] = buf
		pos += int(n)
	}
	var id uint32
	for i, c := range pl.checks {
		h := st.spans[c[0]][int64(c[1]-pl.lo[c[0]])*B:]
		if v := binary.BigEndian.Uint32(h); v != k2SyncWord {
			return k.blockErr(c[0], s, c[1], "block.sync", "0x%08X, want 0x%08X", v, uint32(k2SyncWord))
		}
		f := binary.BigEndian.Uint32(h[24:])
		if i == 0 {
			id = f
		} else if f != id {
			c0 := pl.checks[0]
			return k.blockErr(c[0], s, c[1], "block.frame_id", "%d, want %d as in block %d of %s (the sectors are out of step)", f, id, c0[1], k.secs[c0[0]].path)
		}
	}
	rb := g.rowBytes()
	for i := range pl.pieces {
		pc := &pl.pieces[i]
		data := st.spans[pc.sec][int64(pc.blk-pl.lo[pc.sec])*B+k2HeaderBytes:]
		w := pc.c1 - pc.c0
		if pc.c0 == 0 && w == 16 && rb == 24 { // whole rows of real blocks
			for r := range pc.rows {
				o := pc.out + r*pc.stride
				k2Unpack16((*[16]uint16)(dst[o:o+16]), (*[24]byte)(data[(pc.r0+r)*24:]))
			}
			continue
		}
		for r := range pc.rows {
			o := pc.out + r*pc.stride
			k2Unpack(dst[o:o+w], data[(pc.r0+r)*rb:], pc.c0)
		}
	}
	return nil
}

// blockErr reports a bad header of block blk of sector x in stored frame s.
func (k *K2IS) blockErr(x, s, blk int, field, format string, args ...any) error {
	sec := &k.secs[x]
	off := sec.start + int64(s)*k.geom.frameBytes() + int64(blk)*k.geom.blockBytes()
	return &Error{Path: sec.path, Field: field, Err: ErrHeader,
		Detail: fmt.Sprintf("block at offset %d (stored frame %d, nav position %d): %s", off, s, s-k.syncOffset, fmt.Sprintf(format, args...))}
}

// ReadTiles implements Dataset.ReadTiles.
func (k *K2IS) ReadTiles(ctx context.Context, p Partition, req TileRequest, fn func(t *Tile) error) error {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.closed {
		return newErr(k.path, "", ErrClosed, "read after Close")
	}
	if err := checkRequest(&k.base, p, &req); err != nil {
		return err
	}
	if k.io == IOMmap {
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	}
	switch req.DType {
	case array.Float32:
		return k2Read[float32](ctx, k, p, &req, fn)
	case array.Float64:
		return k2Read[float64](ctx, k, p, &req, fn)
	case array.Uint16:
		return k2Read[uint16](ctx, k, p, &req, fn)
	case array.Uint8:
		return k2Read[uint8](ctx, k, p, &req, fn)
	case array.Uint32:
		return k2Read[uint32](ctx, k, p, &req, fn)
	case array.Uint64:
		return k2Read[uint64](ctx, k, p, &req, fn)
	case array.Int8:
		return k2Read[int8](ctx, k, p, &req, fn)
	case array.Int16:
		return k2Read[int16](ctx, k, p, &req, fn)
	case array.Int32:
		return k2Read[int32](ctx, k, p, &req, fn)
	case array.Int64:
		return k2Read[int64](ctx, k, p, &req, fn)
	case array.Complex64:
		return k2Read[complex64](ctx, k, p, &req, fn)
	case array.Complex128:
		return k2Read[complex128](ctx, k, p, &req, fn)
	case array.Bool:
		return k2Read[bool](ctx, k, p, &req, fn)
	}
	return newErr(k.path, "dtype", ErrDType, "cannot read tiles as %v (want a numeric dtype)", req.DType)
}

func k2Read[T elem](ctx context.Context, k *K2IS, p Partition, req *TileRequest, fn func(t *Tile) error) (err error) {
	so := k.syncOffset
	lo, hi, ok := k.frameRange(p, req.ROI)
	if !ok {
		return nil
	}
	st, pool, err := k2StateFor[T](k)
	if err != nil {
		return err
	}
	defer pool.Put(st)
	if err := st.useFused(req, k.path, array.Uint16, false, hostBig); err != nil {
		return err
	}
	defer func() { st.corr = nil }()
	st.first, st.stop = lo, lo
	if k.io == IOMmap {
		defer func() {
			if r := recover(); r != nil {
				for i := range k.secs {
					s := &k.secs[i]
					if ferr := faultError(r, s.path, s.sto.data, s.sto.size); ferr != nil {
						err = &ReadError{Path: s.path, Partition: p.Index, First: st.first, Stop: st.stop, Err: ferr}
						return
					}
				}
				panic(r)
			}
		}()
	}
	scheme := &req.Scheme
	depth := scheme.DepthFor(p.Len())
	st.prepare(scheme, depth)
	// fused corrections: the block's frames are unpacked first, then converted chunk by
	// chunk across the frames so that a chunk's dark and gain values stay in cache
	nscr := 1
	if st.corr != nil {
		nscr = depth
	}
	st.plan(k, scheme, nscr)
	tile := &st.tile
	tile.Slice.Origin = st.origin

	// block emits the tiles of n frames whose first has compressed index c: stored
	// frames f0, f0+1, … (frames nil) or frames.
	block := func(c, f0 int, frames []int, n int) error {
		for bi := range st.boxes {
			if err := ctx.Err(); err != nil {
				return err
			}
			bp := st.setTile(scheme, bi, c, n)
			out := st.buf[:n*bp.size]
			for j := range n {
				s := f0 + j
				if frames != nil {
					s = frames[j]
				}
				st.first, st.stop = s-so, s-so+1
				var dst []uint16
				switch {
				case st.direct:
					dst, _ = typedView[uint16](bytesOf(out[j*bp.size : (j+1)*bp.size]))
				case st.corr != nil:
					dst = st.scratch[j*bp.size : (j+1)*bp.size]
				default:
					dst = st.scratch[:bp.size]
				}
				if err := st.frame(k, &st.plans[bi], s, dst); err != nil {
					if _, ok := err.(*Error); ok {
						return err
					}
					return &ReadError{Path: k.path, Partition: p.Index, First: s - so, Stop: s - so + 1, Err: err}
				}
				if !st.direct && st.corr == nil {
					st.dec(out[j*bp.size:(j+1)*bp.size], bytesOf(dst))
				}
			}
			if st.corr != nil {
				st.srcs = st.srcs[:0]
				for j := range n {
					st.srcs = append(st.srcs, bytesOf(st.scratch[j*bp.size:(j+1)*bp.size]))
				}
				st.fusedBlock(bi, out, bp.size, 2, st.srcs, k2WholeBox, bp.size, nil)
			}
			st.arr.Rewrap(out, st.dims...)
			tile.Data = &st.arr
			if err := fn(tile); err != nil {
				return err
			}
		}
		return nil
	}
	if req.ROI == nil {
		for b := lo; b < hi; b += depth {
			n := min(b+depth, hi) - b
			if err := block(b, b+so, nil, n); err != nil {
				return err
			}
		}
		return nil
	}
	return eachROIBlock(req.ROI, lo, hi, so, depth, &st.frames, func(c int) error {
		return block(c, 0, st.frames, len(st.frames))
	})
}
