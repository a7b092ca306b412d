package dataset

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"slices"
	"sync"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/internal/hugemem"
)

// dense is a dataset whose frames are stored back to back in one byte slice (a memory
// mapping or a Go slice), C order, native dtype in a fixed byte order. Formats with that
// layout (memory, raw, npy) embed it and only open and close their storage.
type dense struct {
	base
	data       []byte // imageCount frames
	frameBytes int
	swap       bool
	file       *os.File     // pread I/O: frames are read from here at dataOffset, not from data
	mapped     []byte       // the whole mapping (nil with pread): faults inside it are the file's
	stored     array.DType  // storage-only dtype of the bytes (float16, decoded to native float32); zero: native
	size       int64        // file size at open
	release    func() error // frees the storage at Close
	mu         sync.RWMutex // read-held by ReadTiles, write-held by Close
	closed     bool
	pools      sync.Map // array.DType -> *sync.Pool of *readState[T]
}

func (d *dense) initStore(data []byte) {
	d.frameBytes = d.shape.SigSize() * d.storedDType().ItemSize()
	if data != nil {
		d.data = data[:d.imageCount*d.frameBytes]
	}
	d.swap = needsSwap(d.storedDType(), d.order)
}

// storedDType is the dtype of the stored bytes: the native dtype, or a storage-only
// dtype (float16) that tiles never have.
func (d *dense) storedDType() array.DType {
	if d.stored.IsValid() {
		return d.stored
	}
	return d.native
}

// initFile makes the opened file sto the storage of d, its frames starting at
// d.dataOffset: mapped (read from data) or kept open for pread (NeedDecode is then
// always true). Close releases it.
func (d *dense) initFile(sto *storage) {
	d.io = sto.io
	d.copyIO = sto.file != nil
	d.file = sto.file
	d.release = sto.release
	d.size = sto.size
	if sto.io == IOMmap {
		d.mapped = sto.data
	}
	var data []byte
	if sto.data != nil {
		data = sto.data[d.dataOffset:]
	}
	d.initStore(data)
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
	d.pools.Clear()
	if d.release != nil {
		return d.release()
	}
	return nil
}

// DirectFrames implements DirectFramer: with pread I/O, whole frames of the stored
// dtype in host order, without a ROI, are read straight into the tile buffer.
func (d *dense) DirectFrames(read array.DType, roi []bool) bool {
	if !read.IsValid() {
		read = d.native
	}
	return d.file != nil && roi == nil && read == d.storedDType() && !d.swap && !d.forceDecode
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
	if d.io == IOMmap { // a read-only mapping: turn faults into panics while reading
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
	frames := b.shape.NavSize()
	nd, sd := b.shape.NavDims(), b.shape.SigDims()
	sigOK := len(p.Slice.Origin) == 1+sd && p.Slice.Shape.Len() == 1+sd
	for i := 0; sigOK && i < sd; i++ {
		sigOK = p.Slice.Shape.Dim(1+i) == b.shape.Dim(nd+i)
	}
	if !sigOK {
		return newErr(b.path, "partition", ErrPartition, "partition %d: slice %v is not a flat-nav slice of a dataset with sig %v", p.Index, p.Slice, b.shape.Sig())
	}
	if p.Start() < 0 || p.Len() < 0 || p.Stop() > frames {
		return newErr(b.path, "partition", ErrPartition, "%v outside the %d nav positions", p, frames)
	}
	if req.Scheme.IsZero() {
		return newErr(b.path, "scheme", ErrTiling, "empty tiling scheme")
	}
	schemeOK := len(req.Scheme.Sig) == sd
	for i := 0; schemeOK && i < sd; i++ {
		schemeOK = req.Scheme.Sig[i] == b.shape.Dim(nd+i)
	}
	if !schemeOK {
		return newErr(b.path, "scheme", ErrTiling, "scheme for sig %v, dataset sig is %v", req.Scheme.Sig, b.shape.Sig())
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
	first  int                    // nav positions [first, stop) of the block being read
	stop   int
	raw    []byte // pread I/O: the stored bytes of the current block
	origin []int
	dims   []int
	arr    array.Dense[T] // the tile header, re-pointed per tile (Rewrap)
	tile   Tile
	cdec   func(dst []T, src []byte, dark, gain []T) // corrected decoder, made on first use
	corr   *fusedCorr[T]                             // this call's fused corrections, or nil
	srcs   [][]byte                                  // corrections: the block's frames
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

// poolFor returns the pool kept under dtype dt in pools, adding an empty one on first
// use; later calls allocate nothing.
func poolFor(pools *sync.Map, dt array.DType) *sync.Pool {
	pv, ok := pools.Load(dt)
	if !ok {
		pv, _ = pools.LoadOrStore(dt, &sync.Pool{})
	}
	return pv.(*sync.Pool)
}

func getState[T elem](d *dense) (*readState[T], *sync.Pool, error) {
	pool := poolFor(&d.pools, array.DTypeOf[T]())
	if st, ok := pool.Get().(*readState[T]); ok {
		return st, pool, nil
	}
	dec, err := newDecoder[T](d.storedDType(), d.swap, isBig(d.order))
	if err != nil {
		if e, ok := err.(*Error); ok {
			e.Path = d.path
		}
		return nil, nil, err
	}
	st := &readState[T]{dec: dec, shapes: map[[2]int]array.Shape{}}
	return st, pool, nil
}

// prepare sets the caches and the tile buffer up for a scheme and a depth.
func (st *readState[T]) prepare(s *TilingScheme, depth int) {
	st.prepareScheme(s, depth)
	st.growBuf(depth)
}

// prepareScheme is prepare without the tile buffer (see growBuf).
func (st *readState[T]) prepareScheme(s *TilingScheme, depth int) {
	if !slices.Equal(st.scheme, s.Shape) || len(st.boxes) != len(s.Boxes) {
		st.scheme = slices.Clone(s.Shape)
		st.boxes = st.boxes[:0]
		for _, b := range s.Boxes {
			st.boxes = append(st.boxes, planBox(s.Sig, b))
		}
		clear(st.shapes)
	}
	if cap(st.frames) < depth {
		st.frames = make([]int, 0, depth)
	}
	if len(st.origin) != 1+len(s.Sig) {
		st.origin = make([]int, 1+len(s.Sig))
		st.dims = make([]int, 1+len(s.Sig))
	}
}

// growBuf makes st.buf hold a block of depth frames of the largest sig box. Only
// reads that copy call it: zero-copy tiles (views of a mapping or of memory, often a
// whole partition deep) need no buffer, and allocating one anyway cost a partition-
// sized allocation, zeroed, whenever a pooled state was new.
func (st *readState[T]) growBuf(depth int) {
	maxBox := 0
	for _, b := range st.boxes {
		maxBox = max(maxBox, b.size)
	}
	if need := depth * maxBox; cap(st.buf) < need {
		st.buf = hugemem.Make[T](need)
	}
}

// shape returns the cached tile slice shape for box bi and depth n.
// setTile points the tile header at sig box bi of a block of n frames whose first has
// ROI-compressed index c, and returns the box's plan.
func (st *readState[T]) setTile(scheme *TilingScheme, bi, c, n int) *boxPlan {
	bp := &st.boxes[bi]
	st.origin[0] = c
	copy(st.origin[1:], scheme.Boxes[bi].Origin)
	st.tile.SchemeIdx = bi
	st.dims[0] = n
	copy(st.dims[1:], bp.dims)
	st.tile.Slice.Shape = st.shape(bi, n, len(scheme.Sig))
	return bp
}

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

func readTiles[T elem](ctx context.Context, d *dense, p Partition, req *TileRequest, fn func(t *Tile) error) (err error) {
	k := d.syncOffset
	lo, hi, ok := d.frameRange(p, req.ROI)
	if !ok {
		return nil
	}
	st, pool, err := getState[T](d)
	if err != nil {
		return err
	}
	defer pool.Put(st)
	if err := st.useFused(req, d.path, d.storedDType(), d.swap, isBig(d.order)); err != nil {
		return err
	}
	st.first, st.stop = lo, lo
	if d.mapped != nil {
		// A fault on the mapping (the file shrank, or the device failed) while decoding
		// or inside fn is the file's fault: return it as a *ReadError. Other panics
		// continue unchanged (their stack intact).
		defer func() {
			if r := recover(); r != nil {
				if ferr := faultError(r, d.path, d.mapped, d.size); ferr != nil {
					err = &ReadError{Path: d.path, Partition: p.Index, First: st.first, Stop: st.stop, Err: ferr}
					return
				}
				panic(r)
			}
		}()
	}

	scheme := &req.Scheme
	depth := scheme.DepthFor(p.Len())
	st.prepareScheme(scheme, depth)
	sigSize := d.shape.SigSize()
	isz := d.storedDType().ItemSize()
	fbytes := d.frameBytes
	sameType := array.DTypeOf[T]() == d.storedDType() && !d.swap && !d.forceDecode

	// Whole native frames in order need no decoding: a view of the mapping (zeroCopy)
	// or, with pread, a read straight into the tile buffer (direct).
	asStored := req.ROI == nil && sameType && scheme.FullSig() && st.corr == nil
	var all []T
	zeroCopy := false
	if d.file == nil && asStored {
		all, zeroCopy = typedView[T](d.data)
	}
	direct := d.file != nil && asStored
	if !zeroCopy {
		st.growBuf(depth)
	}
	if d.file != nil && !direct && cap(st.raw) < depth*fbytes {
		st.raw = hugemem.Make[byte](depth * fbytes) // the read buffer decoding copies from
	}
	tile := &st.tile
	tile.Slice.Origin = st.origin

	// emit delivers the tiles of one block: n frames whose first has compressed index
	// c. The frames are stored frames f0... (no ROI), or st.frames. blk holds the n
	// frames back to back, or is nil (ROI on a mapping: frames from d.data).
	emit := func(c, n, f0 int, blk []byte) error {
		for bi := range st.boxes {
			if err := ctx.Err(); err != nil {
				return err
			}
			bp := st.setTile(scheme, bi, c, n)
			switch {
			case zeroCopy:
				st.arr.Rewrap(all[f0*sigSize:(f0+n)*sigSize], st.dims...)
			case direct:
				st.arr.Rewrap(st.buf[:n*sigSize], st.dims...)
			default:
				buf := st.buf[:n*bp.size]
				switch {
				case st.corr != nil:
					st.srcs = st.srcs[:0]
					for j := range n {
						if blk != nil {
							st.srcs = append(st.srcs, blk[j*fbytes:(j+1)*fbytes])
						} else {
							f := st.frames[j]
							st.srcs = append(st.srcs, d.data[f*fbytes:(f+1)*fbytes])
						}
					}
					st.fusedBlock(bi, buf, bp.size, isz, st.srcs, bp.runs, bp.runLen, nil)
				case blk != nil && bp.size == sigSize:
					st.dec(buf, blk[:n*fbytes])
				default:
					pos := 0
					for j := range n {
						var fb []byte
						if blk != nil {
							fb = blk[j*fbytes : (j+1)*fbytes]
						} else {
							f := st.frames[j]
							fb = d.data[f*fbytes : (f+1)*fbytes]
						}
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
			n, f0 := e-b, b+k
			st.first, st.stop = b, e
			var blk []byte
			switch {
			case d.file == nil:
				blk = d.data[f0*fbytes : (f0+n)*fbytes]
			case direct:
				if err := d.readFrames(bytesOf(st.buf[:n*sigSize]), f0); err != nil {
					return &ReadError{Path: d.path, Partition: p.Index, First: b, Stop: e, Err: err}
				}
			default:
				blk = st.raw[:n*fbytes]
				if err := d.readFrames(blk, f0); err != nil {
					return &ReadError{Path: d.path, Partition: p.Index, First: b, Stop: e, Err: err}
				}
			}
			if err := emit(b, n, f0, blk); err != nil {
				return err
			}
		}
		return nil
	}
	flush := func(c int) error {
		n := len(st.frames)
		st.first, st.stop = st.frames[0]-k, st.frames[n-1]-k+1
		var blk []byte
		if d.file != nil {
			blk = st.raw[:n*fbytes]
			// one read per run of consecutive stored frames
			for j := 0; j < n; {
				e := j + 1
				for e < n && st.frames[e] == st.frames[e-1]+1 {
					e++
				}
				if err := d.readFrames(blk[j*fbytes:e*fbytes], st.frames[j]); err != nil {
					return &ReadError{Path: d.path, Partition: p.Index, First: st.frames[j] - k, Stop: st.frames[e-1] - k + 1, Err: err}
				}
				j = e
			}
		}
		return emit(c, n, -1, blk)
	}
	return eachROIBlock(req.ROI, lo, hi, k, depth, &st.frames, flush)
}

// eachROIBlock fills *frames with the stored frame indices (nav index + k) of the nav
// positions in [lo, hi) that roi selects (nil: all), at most depth at a time, and calls
// flush after each block with the ROI-compressed index of the block's first frame. The
// blocking loop of every reader: *frames is the reader's pooled buffer (cap ≥ depth).
func eachROIBlock(roi []bool, lo, hi, k, depth int, frames *[]int, flush func(c int) error) error {
	c := lo
	if roi != nil {
		c = countTrue(roi[:lo])
	}
	*frames = (*frames)[:0]
	for i := lo; i < hi; i++ {
		if roi != nil && !roi[i] {
			continue
		}
		*frames = append(*frames, i+k)
		if len(*frames) == depth {
			if err := flush(c); err != nil {
				return err
			}
			c += depth
			*frames = (*frames)[:0]
		}
	}
	if len(*frames) > 0 {
		return flush(c)
	}
	return nil
}

// readFrames fills dst with whole stored frames starting at frame f (pread I/O). A short
// read of a file that shrank since Open is a *TruncatedError.
func (d *dense) readFrames(dst []byte, f int) error {
	off := d.dataOffset + int64(f)*int64(d.frameBytes)
	if _, err := d.file.ReadAt(dst, off); err != nil {
		if st, serr := d.file.Stat(); serr == nil && st.Size() < d.size {
			return &TruncatedError{OldSize: d.size, NewSize: st.Size()}
		}
		return fmt.Errorf("reading %d bytes at offset %d: %w", len(dst), off, err)
	}
	return nil
}
