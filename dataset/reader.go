package dataset

import (
	"context"
	"runtime/debug"
	"slices"
	"sync"

	"github.com/stemflow/stemflow/array"
)

// dense is a dataset whose frames are stored back to back in one byte slice (a memory
// mapping or a Go slice), C order, native dtype in a fixed byte order. Formats with that
// layout (memory, raw, npy) embed it and only open and close their storage.
type dense struct {
	base
	data       []byte // imageCount frames
	frameBytes int
	swap       bool
	mapped     bool         // data is a read-only mapping: turn faults into panics while reading
	release    func() error // frees the storage at Close
	mu         sync.RWMutex // read-held by ReadTiles, write-held by Close
	closed     bool
	pools      sync.Map // array.DType -> *sync.Pool of *readState[T]
}

func (d *dense) initStore(data []byte) {
	d.frameBytes = d.shape.SigSize() * d.native.ItemSize()
	d.data = data[:d.imageCount*d.frameBytes]
	d.swap = needsSwap(d.native, d.order)
}

// Close releases the storage after reads in progress have finished; reads after Close
// fail with ErrClosed. It is idempotent. Do not call it from inside a ReadTiles callback.
func (d *dense) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	d.pools = sync.Map{}
	if d.release != nil {
		return d.release()
	}
	return nil
}

// ReadTiles implements Dataset.ReadTiles for byte-backed frames.
func (d *dense) ReadTiles(ctx context.Context, p Partition, req TileRequest, fn func(t *Tile) error) error {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return newErr(d.path, "", ErrClosed, "read after Close")
	}
	if err := checkRequest(&d.base, p, &req); err != nil {
		return err
	}
	if d.mapped {
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	}
	switch req.DType {
	case array.Float32:
		return readTiles[float32](ctx, d, p, &req, fn)
	case array.Float64:
		return readTiles[float64](ctx, d, p, &req, fn)
	case array.Uint16:
		return readTiles[uint16](ctx, d, p, &req, fn)
	case array.Uint8:
		return readTiles[uint8](ctx, d, p, &req, fn)
	case array.Uint32:
		return readTiles[uint32](ctx, d, p, &req, fn)
	case array.Uint64:
		return readTiles[uint64](ctx, d, p, &req, fn)
	case array.Int8:
		return readTiles[int8](ctx, d, p, &req, fn)
	case array.Int16:
		return readTiles[int16](ctx, d, p, &req, fn)
	case array.Int32:
		return readTiles[int32](ctx, d, p, &req, fn)
	case array.Int64:
		return readTiles[int64](ctx, d, p, &req, fn)
	case array.Complex64:
		return readTiles[complex64](ctx, d, p, &req, fn)
	case array.Complex128:
		return readTiles[complex128](ctx, d, p, &req, fn)
	case array.Bool:
		return readTiles[bool](ctx, d, p, &req, fn)
	}
	return newErr(d.path, "dtype", ErrDType, "cannot read tiles as %v (want a numeric dtype)", req.DType)
}

// checkRequest validates a partition and a tile request against a dataset and fills in
// the request's defaults (native dtype).
func checkRequest(b *base, p Partition, req *TileRequest) error {
	if !req.DType.IsValid() {
		req.DType = b.native
	}
	if req.Format != array.FormatDense {
		return newErr(b.path, "format", ErrArrayFormat, "%s dataset delivers dense tiles, not %v", b.format, req.Format)
	}
	sig := b.shape.Sig()
	frames := b.shape.NavSize()
	if len(p.Slice.Origin) != 1+len(sig) || p.Slice.Shape.Len() != 1+len(sig) {
		return newErr(b.path, "partition", ErrPartition, "%v: slice %v is not a flat-nav slice of a dataset with sig %v", p, p.Slice, sig)
	}
	if p.Start() < 0 || p.Len() < 0 || p.Stop() > frames {
		return newErr(b.path, "partition", ErrPartition, "%v outside the %d nav positions", p, frames)
	}
	if req.Scheme.IsZero() {
		return newErr(b.path, "scheme", ErrTiling, "empty tiling scheme")
	}
	if !slices.Equal(req.Scheme.Sig, sig) {
		return newErr(b.path, "scheme", ErrTiling, "scheme for sig %v, dataset sig is %v", req.Scheme.Sig, sig)
	}
	if req.ROI != nil && len(req.ROI) != frames {
		return newErr(b.path, "roi", ErrROI, "roi has %d elements, the dataset %d nav positions", len(req.ROI), frames)
	}
	return nil
}

// readState is the per-call scratch of readTiles, pooled per dataset and dtype so that
// a steady stream of partitions allocates nothing per tile.
type readState[T elem] struct {
	dec    decoder[T]
	buf    []T
	scheme []int // scheme shape the caches below are for
	boxes  []boxPlan
	shapes map[[2]int]array.Shape // (box index, depth) -> tile slice shape
	frames []int                  // ROI: stored frame indices of the current block
	origin []int
	dims   []int
	arr    array.Dense[T] // the tile header, re-pointed per tile (Rewrap)
	tile   Tile
}

// boxPlan says how to copy one sig box out of a stored frame: runs of runLen elements
// starting at the element offsets in runs.
type boxPlan struct {
	dims   []int
	size   int
	runs   []int
	runLen int
}

func planBox(sig []int, box array.Slice) boxPlan {
	n := len(sig)
	dims := box.Shape.Dims()
	// j: first axis from which the box covers the signal fully on every later axis.
	j := n - 1
	for j > 0 && dims[j] == sig[j] {
		j--
	}
	runLen := 1
	for i := j; i < n; i++ {
		runLen *= dims[i]
	}
	strides := make([]int, n)
	s := 1
	for i := n - 1; i >= 0; i-- {
		strides[i] = s
		s *= sig[i]
	}
	nruns := 1
	for i := 0; i < j; i++ {
		nruns *= dims[i]
	}
	runs := make([]int, 0, nruns)
	idx := make([]int, j)
	for range nruns {
		off := box.Origin[j] * strides[j]
		for i := 0; i < j; i++ {
			off += (box.Origin[i] + idx[i]) * strides[i]
		}
		for i := n - 1; i > j; i-- {
			off += box.Origin[i] * strides[i]
		}
		runs = append(runs, off)
		for i := j - 1; i >= 0; i-- {
			idx[i]++
			if idx[i] < dims[i] {
				break
			}
			idx[i] = 0
		}
	}
	return boxPlan{dims: dims, size: prodInts(dims), runs: runs, runLen: runLen}
}

func getState[T elem](d *dense) (*readState[T], *sync.Pool, error) {
	key := array.DTypeOf[T]()
	pv, ok := d.pools.Load(key)
	if !ok {
		pv, _ = d.pools.LoadOrStore(key, &sync.Pool{})
	}
	pool := pv.(*sync.Pool)
	if st, ok := pool.Get().(*readState[T]); ok {
		return st, pool, nil
	}
	dec, err := newDecoder[T](d.native, d.swap, isBig(d.order))
	if err != nil {
		if e, ok := err.(*Error); ok {
			e.Path = d.path
		}
		return nil, nil, err
	}
	st := &readState[T]{dec: dec, shapes: map[[2]int]array.Shape{}}
	return st, pool, nil
}

// prepare sets the caches up for a scheme and a depth.
func (st *readState[T]) prepare(s *TilingScheme, depth int) {
	if !slices.Equal(st.scheme, s.Shape) || len(st.boxes) != len(s.Boxes) {
		st.scheme = slices.Clone(s.Shape)
		st.boxes = st.boxes[:0]
		for _, b := range s.Boxes {
			st.boxes = append(st.boxes, planBox(s.Sig, b))
		}
		clear(st.shapes)
	}
	maxBox := 0
	for _, b := range st.boxes {
		maxBox = max(maxBox, b.size)
	}
	if need := depth * maxBox; cap(st.buf) < need {
		st.buf = make([]T, need)
	}
	if cap(st.frames) < depth {
		st.frames = make([]int, 0, depth)
	}
	if len(st.origin) != 1+len(s.Sig) {
		st.origin = make([]int, 1+len(s.Sig))
		st.dims = make([]int, 1+len(s.Sig))
	}
}

// shape returns the cached tile slice shape for box bi and depth n.
func (st *readState[T]) shape(bi, n, sigDims int) array.Shape {
	k := [2]int{bi, n}
	if sh, ok := st.shapes[k]; ok {
		return sh
	}
	st.dims[0] = n
	copy(st.dims[1:], st.boxes[bi].dims)
	sh := array.NewShape(st.dims, sigDims)
	st.shapes[k] = sh
	return sh
}

func readTiles[T elem](ctx context.Context, d *dense, p Partition, req *TileRequest, fn func(t *Tile) error) error {
	k := d.syncOffset
	lo := max(p.Start(), -k)
	hi := min(p.Stop(), d.imageCount-k)
	if lo >= hi {
		return nil
	}
	if req.ROI != nil && countTrue(req.ROI[lo:hi]) == 0 {
		return nil
	}
	st, pool, err := getState[T](d)
	if err != nil {
		return err
	}
	defer pool.Put(st)

	scheme := &req.Scheme
	depth := scheme.DepthFor(p.Len())
	st.prepare(scheme, depth)
	sigDims := len(scheme.Sig)
	sigSize := d.shape.SigSize()
	isz := d.native.ItemSize()

	var all []T
	zeroCopy := false
	if req.ROI == nil && array.DTypeOf[T]() == d.native && !d.swap && !d.forceDecode && scheme.FullSig() {
		all, zeroCopy = typedView[T](d.data)
	}
	tile := &st.tile
	tile.Slice.Origin = st.origin

	// emit delivers the tiles of one block: n frames whose first has compressed index
	// c; frame j of the block is stored frame frameAt(j).
	emit := func(c, n int, contiguousFrom int) error {
		for bi := range st.boxes {
			if err := ctx.Err(); err != nil {
				return err
			}
			bp := &st.boxes[bi]
			st.origin[0] = c
			copy(st.origin[1:], scheme.Boxes[bi].Origin)
			tile.SchemeIdx = bi
			st.dims[0] = n
			copy(st.dims[1:], bp.dims)
			tile.Slice.Shape = st.shape(bi, n, sigDims)
			if zeroCopy {
				f0 := contiguousFrom
				st.arr.Rewrap(all[f0*sigSize:(f0+n)*sigSize], st.dims...)
			} else {
				buf := st.buf[:n*bp.size]
				if contiguousFrom >= 0 && bp.size == sigSize {
					off := contiguousFrom * d.frameBytes
					st.dec(buf, d.data[off:off+n*d.frameBytes])
				} else {
					pos := 0
					for j := range n {
						f := contiguousFrom + j
						if contiguousFrom < 0 {
							f = st.frames[j]
						}
						fb := d.data[f*d.frameBytes : (f+1)*d.frameBytes]
						if bp.size == sigSize {
							st.dec(buf[pos:pos+sigSize], fb)
							pos += sigSize
							continue
						}
						for _, r := range bp.runs {
							st.dec(buf[pos:pos+bp.runLen], fb[r*isz:(r+bp.runLen)*isz])
							pos += bp.runLen
						}
					}
				}
				st.arr.Rewrap(buf, st.dims...)
			}
			tile.Data = &st.arr
			if err := fn(tile); err != nil {
				return err
			}
		}
		return nil
	}

	if req.ROI == nil {
		for b := lo; b < hi; b += depth {
			e := min(b+depth, hi)
			if err := emit(b, e-b, b+k); err != nil {
				return err
			}
		}
		return nil
	}
	c := countTrue(req.ROI[:lo])
	st.frames = st.frames[:0]
	for i := lo; i < hi; i++ {
		if !req.ROI[i] {
			continue
		}
		st.frames = append(st.frames, i+k)
		if len(st.frames) == depth {
			if err := emit(c, depth, -1); err != nil {
				return err
			}
			c += depth
			st.frames = st.frames[:0]
		}
	}
	if n := len(st.frames); n > 0 {
		return emit(c, n, -1)
	}
	return nil
}
