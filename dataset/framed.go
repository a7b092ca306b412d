package dataset

import (
	"context"
	"encoding/binary"
	"fmt"
	"runtime/debug"
	"slices"
	"sort"
	"sync"

	"github.com/stemflow/stemflow/array"
)

// Framed datasets: formats whose stored frames are separate records, each found by (file,
// byte offset): per-frame headers between frames (MIB, BLO, TVIPS, SEQ, FRMS6), footers
// (EMPAD), offset tables (SER), sets of files (MIB, TVIPS, DM stacks). A format file
// parses its headers, fills a FrameLayout and calls OpenFramed; the generic reader does
// the rest of the Dataset contract (overrides, sync offset, ROI, partitions, tiling, every
// read dtype, mmap or pread I/O, pooled buffers, errors naming the file).

// FrameFile is one file of a framed dataset and where its frame records lie.
type FrameFile struct {
	// Path is the file's path (named in errors and in Info.Files).
	Path string
	// Frames is the number of frame records the file holds.
	Frames int
	// Offset is the byte offset of the first frame's record; Stride the distance in
	// bytes from one record to the next (at least FrameLayout.RecordBytes; 0 with one
	// frame). They are ignored when Offsets is set.
	Offset, Stride int64
	// Offsets, for irregular layouts, holds each record's byte offset (len = Frames).
	Offsets []int64
}

// offset returns the byte offset of frame j (0 ≤ j < Frames) in the file.
func (f *FrameFile) offset(j int) int64 {
	if f.Offsets != nil {
		return f.Offsets[j]
	}
	return f.Offset + int64(j)*f.Stride
}

// FrameDecodeFunc decodes one stored record (len = FrameLayout.RecordBytes) into dst:
// the frame's prod(SigShape) values of FrameLayout.DType in the host's byte order, C
// order (len(dst) = prod(SigShape)·itemsize). An error (corrupt data) stops the read; the
// reader wraps it with the file and frame.
type FrameDecodeFunc func(dst, rec []byte) error

// FrameLayout describes a framed dataset for OpenFramed.
type FrameLayout struct {
	// Format is the format name ("mib", "empad", ...), Path the path the user opened.
	Format, Path string
	// Files are the files in frame order: stored frame 0 is the first record of
	// Files[0], and so on across the files.
	Files []FrameFile
	// RecordBytes is the number of bytes read for one frame (at its offset).
	RecordBytes int
	// DType is the native dtype of a decoded frame; ByteOrder the stored byte order of
	// records without a decoder (nil: the host's; ignored with NewDecoder).
	DType     array.DType
	ByteOrder binary.ByteOrder
	// SigShape is the stored frame's decoded signal shape (after the crop).
	SigShape []int
	// StoredShape, for a record holding a larger 2-D frame than is kept (EMPAD stores
	// 130 rows and keeps 128), is the stored (rows, cols); CropOrigin the (row, col) of
	// the kept SigShape box in it (nil: (0, 0)). nil StoredShape: no crop, the record
	// holds exactly SigShape. Not used with NewDecoder.
	StoredShape, CropOrigin []int
	// NewDecoder, if not nil, makes a decoder for bit-packed or reordered records (MIB
	// raw mode). It is called once per reading goroutine's state, so a decoder may keep
	// scratch buffers; it must not share mutable state with other decoders.
	NewDecoder func() FrameDecodeFunc
	// NavShape is the nav shape the files declare; nil means unknown (the user's
	// ShapeOptions.NavShape is then required).
	NavShape []int
	// Details are format-specific lines for Info (counter depth, where the nav shape
	// came from, ...).
	Details []InfoDetail
}

// FramedOptions are the user's options for a framed dataset.
type FramedOptions struct {
	// ShapeOptions override nav/sig shapes and set the sync offset. Nav positions past
	// the stored frames receive no data (an aborted acquisition).
	ShapeOptions
	// NumPartitions is the user's partition count; 0 = the generic rule.
	NumPartitions int
	// MaxIOSize is the I/O size for copying reads; 0 = DefaultIOSize.
	MaxIOSize int64
	// Populate pre-faults mappings at open.
	Populate bool
	// IO is the I/O method: IOMmap (default) or IORead.
	IO string
}

// FramedOptionsFrom picks the options of a framed dataset out of Open's options.
func FramedOptionsFrom(o OpenOptions) FramedOptions {
	return FramedOptions{
		ShapeOptions:  ShapeOptions{NavShape: slices.Clone(o.NavShape), SigShape: slices.Clone(o.SigShape), SyncOffset: o.SyncOffset},
		NumPartitions: o.NumPartitions, MaxIOSize: o.MaxIOSize, Populate: o.Populate, IO: o.IO,
	}
}

// Framed is a dataset of frame records located by (file, offset). Open one with
// OpenFramed from a FrameLayout.
type Framed struct {
	base
	layout   FrameLayout
	files    []framedFile
	firsts   []int // firsts[i] = first stored frame of file i; len = files+1
	runs     int   // stored elements in one record's kept frame
	storedW  int   // crop: stored row length in elements; 0 = no crop
	cropOff  int   // crop: element offset of the kept box's first element
	cropW    int   // crop: kept row length
	swap     bool
	mu       sync.RWMutex
	closed   bool
	pools    sync.Map
	contig   *dense // frames back to back in one file: the dense reader does it all
	infoFile []string
}

type framedFile struct {
	FrameFile
	sto *storage
}

var _ Dataset = (*Framed)(nil)

// OpenFramed checks a layout, opens its files (mapped, or kept open for pread) and returns
// the dataset. Every file must hold its last record; a file set whose records lie back
// to back in one file with no crop or decoder is read by the dense reader (zero-copy
// native reads). Errors name the file and field and wrap the package's sentinels.
func OpenFramed(l FrameLayout, opts FramedOptions) (*Framed, error) {
	path := l.Path
	if l.Format == "" {
		l.Format = "framed"
	}
	if len(l.Files) == 0 {
		return nil, newErr(path, "files", ErrOption, "no files in the layout")
	}
	if !l.DType.IsNumeric() {
		return nil, newErr(path, "dtype", ErrDType, "frames must have a numeric dtype, got %v", l.DType)
	}
	if err := checkExtents(path, "sig_shape", l.SigShape); err != nil {
		return nil, err
	}
	if l.RecordBytes <= 0 {
		return nil, newErr(path, "record_bytes", ErrOption, "record size %d is not positive", l.RecordBytes)
	}
	sigSize := prodInts(l.SigShape)
	isz := l.DType.ItemSize()
	f := &Framed{layout: l}
	switch {
	case l.NewDecoder != nil:
	case l.StoredShape != nil:
		if len(l.StoredShape) != 2 || len(l.SigShape) != 2 {
			return nil, newErr(path, "stored_shape", ErrShape, "a crop needs 2-D frames, stored %v, kept %v", l.StoredShape, l.SigShape)
		}
		o := l.CropOrigin
		if o == nil {
			o = []int{0, 0}
		}
		if len(o) != 2 || o[0] < 0 || o[1] < 0 || o[0]+l.SigShape[0] > l.StoredShape[0] || o[1]+l.SigShape[1] > l.StoredShape[1] {
			return nil, newErr(path, "crop_origin", ErrShape, "kept box %v at %v does not fit the stored frame %v", l.SigShape, o, l.StoredShape)
		}
		if need := prodInts(l.StoredShape) * isz; need > l.RecordBytes {
			return nil, newErr(path, "record_bytes", ErrShape, "record of %d bytes cannot hold a %v frame of %v (%d bytes)", l.RecordBytes, l.StoredShape, l.DType, need)
		}
		f.storedW = l.StoredShape[1]
		f.cropOff = o[0]*l.StoredShape[1] + o[1]
		f.cropW = l.SigShape[1]
	default:
		if need := sigSize * isz; need > l.RecordBytes {
			return nil, newErr(path, "record_bytes", ErrShape, "record of %d bytes cannot hold a %v frame of %v (%d bytes)", l.RecordBytes, l.SigShape, l.DType, need)
		}
	}
	f.firsts = make([]int, 0, len(l.Files)+1)
	count := 0
	for i := range l.Files {
		ff := &l.Files[i]
		f.firsts = append(f.firsts, count)
		if ff.Frames < 0 || ff.Offsets != nil && len(ff.Offsets) != ff.Frames {
			return nil, newErr(ff.Path, "frames", ErrHeader, "frame count %d does not match %d offsets", ff.Frames, len(ff.Offsets))
		}
		if ff.Offsets == nil && ff.Frames > 1 && ff.Stride < int64(l.RecordBytes) {
			return nil, newErr(ff.Path, "stride", ErrHeader, "frame stride %d is smaller than the record size %d", ff.Stride, l.RecordBytes)
		}
		count += ff.Frames
	}
	f.firsts = append(f.firsts, count)
	if count == 0 {
		return nil, newErr(path, "frames", ErrFileTooShort, "the files hold no frames")
	}
	shape, err := resolveShape(path, l.NavShape, l.SigShape, count, opts.ShapeOptions)
	if err != nil {
		return nil, err
	}
	if err := checkSync(path, opts.SyncOffset, count); err != nil {
		return nil, err
	}
	if opts.NumPartitions < 0 {
		return nil, newErr(path, "num_partitions", ErrOption, "num_partitions %d is negative", opts.NumPartitions)
	}
	order := l.ByteOrder
	if l.NewDecoder != nil {
		order = nil
	}
	f.base = base{
		format:        l.Format,
		path:          path,
		shape:         shape,
		native:        l.DType,
		order:         order,
		imageCount:    count,
		syncOffset:    opts.SyncOffset,
		numPartitions: opts.NumPartitions,
		maxIO:         opts.MaxIOSize,
		forceDecode:   true,
	}
	f.swap = needsSwap(l.DType, order)
	f.runs = sigSize
	// Open every file; each must hold its last record.
	f.files = make([]framedFile, 0, len(l.Files))
	for _, ff := range l.Files {
		need := int64(0)
		if ff.Frames > 0 {
			need = ff.offset(ff.Frames-1) + int64(l.RecordBytes)
			for _, o := range ff.Offsets {
				if o < 0 {
					f.closeFiles()
					return nil, newErr(ff.Path, "offsets", ErrHeader, "negative frame offset %d", o)
				}
				need = max(need, o+int64(l.RecordBytes))
			}
		}
		if ff.Offset < 0 {
			f.closeFiles()
			return nil, newErr(ff.Path, "offset", ErrHeader, "negative frame offset %d", ff.Offset)
		}
		sto, err := openStorage(ff.Path, "frames", need, opts.IO, opts.Populate)
		if err != nil {
			f.closeFiles()
			return nil, err
		}
		f.files = append(f.files, framedFile{FrameFile: ff, sto: sto})
		f.infoFile = append(f.infoFile, ff.Path)
	}
	f.io = f.files[0].sto.io
	f.copyIO = f.files[0].sto.file != nil
	if len(f.files) == 1 && l.NewDecoder == nil && l.StoredShape == nil {
		ff := f.files[0]
		if ff.Offsets == nil && (ff.Frames == 1 || ff.Stride == int64(l.RecordBytes)) && l.RecordBytes == sigSize*isz {
			d := &dense{}
			d.base = f.base
			d.forceDecode = false
			d.dataOffset = ff.Offset
			d.initFile(ff.sto)
			f.contig = d
			f.dataOffset = ff.Offset
		}
	}
	return f, nil
}

func (f *Framed) closeFiles() error {
	var first error
	for _, ff := range f.files {
		if err := ff.sto.release(); err != nil && first == nil {
			first = err
		}
	}
	f.files = nil
	return first
}

// Layout returns the layout the dataset was opened with.
func (f *Framed) Layout() FrameLayout { return f.layout }

// NeedDecode: frames back to back read like a raw file; otherwise every read copies.
func (f *Framed) NeedDecode(read array.DType, roi []bool) bool {
	if f.contig != nil {
		return f.contig.NeedDecode(read, roi)
	}
	return true
}

// Info describes the dataset, its files and the layout's details.
func (f *Framed) Info() Info {
	i := f.base.Info()
	i.Bytes = int64(f.imageCount) * int64(f.layout.RecordBytes)
	if len(f.infoFile) > 1 || len(f.infoFile) == 1 && f.infoFile[0] != f.path {
		i.Files = slices.Clone(f.infoFile)
	}
	i.Details = slices.Clone(f.layout.Details)
	if f.layout.NewDecoder != nil {
		i.ByteOrder = nil
	}
	return i
}

// Close releases the files after reads in progress have finished. It is idempotent.
func (f *Framed) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil
	}
	f.closed = true
	f.pools.Clear()
	if f.contig != nil {
		f.files = nil // the dense reader owns the one storage
		return f.contig.Close()
	}
	return f.closeFiles()
}

// locate returns the file index and offset of stored frame s.
func (f *Framed) locate(s int) (int, int64) {
	i := sort.SearchInts(f.firsts, s+1) - 1
	return i, f.files[i].offset(s - f.firsts[i])
}

// ReadTiles implements Dataset.ReadTiles.
func (f *Framed) ReadTiles(ctx context.Context, p Partition, req TileRequest, fn func(t *Tile) error) error {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if f.closed {
		return newErr(f.path, "", ErrClosed, "read after Close")
	}
	if f.contig != nil {
		return f.contig.ReadTiles(ctx, p, req, fn)
	}
	if err := checkRequest(&f.base, p, &req); err != nil {
		return err
	}
	if f.io == IOMmap {
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	}
	switch req.DType {
	case array.Float32:
		return framedRead[float32](ctx, f, p, &req, fn)
	case array.Float64:
		return framedRead[float64](ctx, f, p, &req, fn)
	case array.Uint16:
		return framedRead[uint16](ctx, f, p, &req, fn)
	case array.Uint8:
		return framedRead[uint8](ctx, f, p, &req, fn)
	case array.Uint32:
		return framedRead[uint32](ctx, f, p, &req, fn)
	case array.Uint64:
		return framedRead[uint64](ctx, f, p, &req, fn)
	case array.Int8:
		return framedRead[int8](ctx, f, p, &req, fn)
	case array.Int16:
		return framedRead[int16](ctx, f, p, &req, fn)
	case array.Int32:
		return framedRead[int32](ctx, f, p, &req, fn)
	case array.Int64:
		return framedRead[int64](ctx, f, p, &req, fn)
	case array.Complex64:
		return framedRead[complex64](ctx, f, p, &req, fn)
	case array.Complex128:
		return framedRead[complex128](ctx, f, p, &req, fn)
	case array.Bool:
		return framedRead[bool](ctx, f, p, &req, fn)
	}
	return newErr(f.path, "dtype", ErrDType, "cannot read tiles as %v (want a numeric dtype)", req.DType)
}

// srun is a run of n decoded elements read from element offset off of a frame.
type srun struct{ off, n int }

// framedState is the pooled per-call scratch of framedRead.
type framedState[T elem] struct {
	readState[T]
	frameDec FrameDecodeFunc
	recs     [][]byte // the records of the current block
	decoded  []byte   // NewDecoder: the block's decoded frames, host order
	schemeOf []int    // scheme the sruns are for
	sruns    [][]srun // per box: runs in the record's (or decoded frame's) elements
	swap     bool     // the decoder's byte swap and stored order
	big      bool
}

func framedStateFor[T elem](f *Framed) (*framedState[T], *sync.Pool, error) {
	pool := poolFor(&f.pools, array.DTypeOf[T]())
	if st, ok := pool.Get().(*framedState[T]); ok {
		return st, pool, nil
	}
	swap, big := f.swap, isBig(f.order)
	if f.layout.NewDecoder != nil {
		swap, big = false, hostBig
	}
	dec, err := newDecoder[T](f.native, swap, big)
	if err != nil {
		if e, ok := err.(*Error); ok {
			e.Path = f.path
		}
		return nil, nil, err
	}
	st := &framedState[T]{readState: readState[T]{dec: dec, shapes: map[[2]int]array.Shape{}}, swap: swap, big: big}
	if f.layout.NewDecoder != nil {
		st.frameDec = f.layout.NewDecoder()
	}
	return st, pool, nil
}

// planRuns maps every box's decoded-frame runs to runs in the record's elements
// (splitting them at stored row ends when the frame is cropped).
func (st *framedState[T]) planRuns(f *Framed, s *TilingScheme) {
	if slices.Equal(st.schemeOf, s.Shape) && len(st.sruns) == len(st.boxes) {
		return
	}
	st.schemeOf = slices.Clone(s.Shape)
	st.sruns = st.sruns[:0]
	for _, bp := range st.boxes {
		var rs []srun
		for _, r := range bp.runs {
			if f.storedW == 0 {
				rs = append(rs, srun{r, bp.runLen})
				continue
			}
			for i, end := r, r+bp.runLen; i < end; {
				row, col := i/f.cropW, i%f.cropW
				n := min(end-i, f.cropW-col)
				off := f.cropOff + row*f.storedW + col
				if k := len(rs) - 1; k >= 0 && rs[k].off+rs[k].n == off {
					rs[k].n += n
				} else {
					rs = append(rs, srun{off, n})
				}
				i += n
			}
		}
		st.sruns = append(st.sruns, rs)
	}
}

// fetch points st.recs at the records of stored frames frames[0..n) (or f0.. when
// frames is nil): slices of the mappings, or pread into st.raw (one read per run of
// frames in one file whose span is at most twice their records).
func (st *framedState[T]) fetch(f *Framed, f0, n int, frames []int) error {
	rb := f.layout.RecordBytes
	st.recs = st.recs[:0]
	frame := func(j int) int {
		if frames != nil {
			return frames[j]
		}
		return f0 + j
	}
	if f.io != IORead {
		for j := range n {
			fi, off := f.locate(frame(j))
			st.recs = append(st.recs, f.files[fi].sto.data[off:off+int64(rb)])
		}
		return nil
	}
	if need := 2 * n * rb; cap(st.raw) < need {
		st.raw = make([]byte, need)
	}
	pos := 0
	for j := 0; j < n; {
		fi, off := f.locate(frame(j))
		ff := &f.files[fi]
		// extend over following frames of the same file while the span stays small
		e := j + 1
		last := off
		for e < n {
			s := frame(e)
			if s != frame(e-1)+1 || s >= f.firsts[fi+1] {
				break
			}
			o := ff.offset(s - f.firsts[fi])
			if o < last || o+int64(rb)-off > int64(2*(e+1-j)*rb) {
				break
			}
			last = o
			e++
		}
		span := int(last + int64(rb) - off)
		if pos+span > len(st.raw) {
			// cannot happen by construction; keep it an error, not a panic
			return newErr(ff.Path, "frames", ErrHeader, "read span %d exceeds the buffer", span)
		}
		buf := st.raw[pos : pos+span]
		if _, err := ff.sto.file.ReadAt(buf, off); err != nil {
			return &Error{Path: ff.Path, Field: "data", Detail: fmt.Sprintf("reading %d bytes at offset %d (frame %d)", span, off, frame(j)), Err: err}
		}
		for k := j; k < e; k++ {
			o := off
			if k > j {
				o = ff.offset(frame(k) - f.firsts[fi])
			}
			r := int(o - off)
			st.recs = append(st.recs, buf[r:r+rb])
		}
		pos += span
		j = e
	}
	return nil
}

// decodeBlock runs the layout's decoder over the block's records.
func (st *framedState[T]) decodeBlock(f *Framed, f0 int, frames []int) error {
	fb := f.runs * f.native.ItemSize()
	n := len(st.recs)
	if cap(st.decoded) < n*fb {
		st.decoded = make([]byte, n*fb)
	}
	st.decoded = st.decoded[:n*fb]
	for j, rec := range st.recs {
		if err := st.frameDec(st.decoded[j*fb:(j+1)*fb], rec); err != nil {
			s := f0 + j
			if frames != nil {
				s = frames[j]
			}
			fi, off := f.locate(s)
			return &Error{Path: f.files[fi].Path, Field: "frame", Detail: fmt.Sprintf("decoding frame %d at offset %d", s, off), Err: err}
		}
	}
	return nil
}

func framedRead[T elem](ctx context.Context, f *Framed, p Partition, req *TileRequest, fn func(t *Tile) error) error {
	k := f.syncOffset
	lo, hi, ok := f.frameRange(p, req.ROI)
	if !ok {
		return nil
	}
	st, pool, err := framedStateFor[T](f)
	if err != nil {
		return err
	}
	defer pool.Put(st)
	if err := st.useFused(req, f.path, f.native, st.swap, st.big); err != nil {
		return err
	}
	scheme := &req.Scheme
	depth := scheme.DepthFor(p.Len())
	st.prepare(scheme, depth)
	st.planRuns(f, scheme)
	if cap(st.recs) < depth {
		st.recs = make([][]byte, 0, depth)
	}
	isz := f.native.ItemSize()
	fb := f.runs * isz
	tile := &st.tile
	tile.Slice.Origin = st.origin

	emit := func(c int) error {
		n := len(st.recs)
		for bi := range st.boxes {
			if err := ctx.Err(); err != nil {
				return err
			}
			bp := st.setTile(scheme, bi, c, n)
			buf := st.buf[:n*bp.size]
			if st.corr != nil {
				srcs := st.recs
				if st.frameDec != nil {
					st.srcs = st.srcs[:0]
					for j := range n {
						st.srcs = append(st.srcs, st.decoded[j*fb:(j+1)*fb])
					}
					srcs = st.srcs
				}
				st.fusedBlock(bi, buf, bp.size, isz, srcs, nil, 0, st.sruns[bi])
			}
			pos := 0
			for j := 0; j < n && st.corr == nil; j++ {
				var src []byte
				if st.frameDec != nil {
					src = st.decoded[j*fb : (j+1)*fb]
				} else {
					src = st.recs[j]
				}
				for _, r := range st.sruns[bi] {
					st.dec(buf[pos:pos+r.n], src[r.off*isz:(r.off+r.n)*isz])
					pos += r.n
				}
			}
			st.arr.Rewrap(buf, st.dims...)
			tile.Data = &st.arr
			if err := fn(tile); err != nil {
				return err
			}
		}
		return nil
	}
	block := func(c, f0 int, frames []int, n int) error {
		if err := st.fetch(f, f0, n, frames); err != nil {
			return err
		}
		if st.frameDec != nil {
			if err := st.decodeBlock(f, f0, frames); err != nil {
				return err
			}
		}
		return emit(c)
	}
	if req.ROI == nil {
		for b := lo; b < hi; b += depth {
			n := min(b+depth, hi) - b
			if err := block(b, b+k, nil, n); err != nil {
				return err
			}
		}
		return nil
	}
	return eachROIBlock(req.ROI, lo, hi, k, depth, &st.frames, func(c int) error {
		return block(c, 0, st.frames, len(st.frames))
	})
}
