package dataset

// The raw_csr format: a sparse CSR matrix of shape (image_count,
// prod(sig)) stored as three headerless files — indptr, indices, data — described by a
// TOML file:
//
//	[params]
//	filetype = "raw_csr"
//	nav_shape = [13, 17]
//	sig_shape = [24, 19]
//
//	[raw_csr]
//	indptr_file = "indptr.raw"
//	indptr_dtype = "<i4"
//	indices_file = "coords.raw"
//	indices_dtype = "<i4"
//	data_file = "values.raw"
//	data_dtype = "<f4"
//
// Row i (stored frame i) holds the entries at positions [indptr[i], indptr[i+1]) of
// indices (flat sig pixel, C order) and data. Tiles are whole frames in CSR form.

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/BurntSushi/toml"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/internal/kernels"
)

// ErrCSRData is wrapped by errors about raw_csr files whose contents do not form a CSR
// matrix: lengths that do not fit (indices vs. data, indptr vs. stored entries), an
// indptr that decreases, column indices outside the frame.
var ErrCSRData = errors.New("invalid raw_csr data")

// RawCSRMaxIOSize is the raw_csr dataset's I/O size: 20 MiB.
const RawCSRMaxIOSize = 20 << 20

// rawCSRDetectLimit is the largest file Detect parses as a TOML descriptor.
const rawCSRDetectLimit = 1 << 20

// RawCSROptions are the options of OpenRawCSR.
type RawCSROptions struct {
	// NavShape and SigShape override the descriptor's shapes (SigShape must keep the
	// frame size; NavShape may select a prefix of the frames, and extend past them only
	// by the blank positions a negative SyncOffset inserts).
	NavShape []int
	SigShape []int
	// SyncOffset is the sync offset k, -image_count < k < image_count.
	SyncOffset int
	// NumPartitions is the user's partition count; 0 = the generic rule.
	NumPartitions int
	// MaxIOSize overrides the 20 MiB I/O size; 0 = RawCSRMaxIOSize.
	MaxIOSize int64
	// Populate pre-faults the mappings at open (see OpenOptions.Populate).
	Populate bool
	// Strict also checks, at open, that every column index lies in [0, prod(sig)) and
	// that indptr ends exactly at the number of stored entries. Without it only the
	// lengths and a non-decreasing indptr within the files are checked at open, and the
	// column indices are checked as tiles are built (one compare per stored entry): a
	// bad one fails the read with a *ReadError wrapping ErrCSRData.
	Strict bool
}

// RawCSRDescriptor is a parsed raw_csr TOML descriptor with file paths resolved
// against the TOML's directory.
type RawCSRDescriptor struct {
	// Shapes of the dataset: nav extents, then the extents of one frame.
	NavShape, SigShape []int
	// Paths of the three arrays, resolved against the TOML's directory.
	IndptrFile, IndicesFile, DataFile string
	// Element types of the three arrays.
	IndptrDType, IndicesDType, DataDType array.DType
	// Byte orders as parsed (nil: not stated, the host's order).
	IndptrOrder, IndicesOrder, DataOrder binary.ByteOrder
}

// ParseRawCSRDescriptor parses the TOML descriptor content of the file at path (path
// is used to resolve relative file names and in errors). params.filetype is compared
// case-insensitively with "raw_csr" and the file section is looked up under that exact
// string, as the reference does. Errors are *Error values naming path and the field,
// wrapping ErrHeader (syntax, missing or mistyped fields), ErrFormat (another
// filetype), ErrDType or ErrShape.
func ParseRawCSRDescriptor(path string, content []byte) (*RawCSRDescriptor, error) {
	var doc map[string]any
	if _, err := toml.NewDecoder(bytes.NewReader(content)).Decode(&doc); err != nil {
		return nil, &Error{Path: path, Field: "toml", Detail: err.Error(), Err: ErrHeader}
	}
	params, ok := doc["params"].(map[string]any)
	if !ok {
		return nil, newErr(path, "params", ErrHeader, "no [params] table")
	}
	ft, ok := params["filetype"].(string)
	if !ok {
		return nil, newErr(path, "params.filetype", ErrHeader, "missing or not a string (want \"raw_csr\")")
	}
	if strings.ToLower(ft) != "raw_csr" {
		return nil, newErr(path, "params.filetype", ErrFormat, "is %q, want \"raw_csr\"", ft)
	}
	d := &RawCSRDescriptor{}
	var err error
	if d.NavShape, err = tomlShape(path, "params.nav_shape", params["nav_shape"]); err != nil {
		return nil, err
	}
	if d.SigShape, err = tomlShape(path, "params.sig_shape", params["sig_shape"]); err != nil {
		return nil, err
	}
	sec, ok := doc[ft].(map[string]any)
	if !ok {
		return nil, newErr(path, ft, ErrHeader, "no [%s] table", ft)
	}
	dir := filepath.Dir(path)
	file := func(key string) (string, error) {
		s, ok := sec[key].(string)
		if !ok || s == "" {
			return "", newErr(path, ft+"."+key, ErrHeader, "missing or not a non-empty string")
		}
		if !filepath.IsAbs(s) {
			s = filepath.Join(dir, s)
		}
		return s, nil
	}
	dtype := func(key string, integer bool) (array.DType, binary.ByteOrder, error) {
		s, ok := sec[key].(string)
		if !ok {
			return array.DType{}, nil, newErr(path, ft+"."+key, ErrHeader, "missing or not a string (e.g. \"<i4\")")
		}
		dt, order, err := array.ParseDType(s)
		if err != nil {
			return array.DType{}, nil, &Error{Path: path, Field: ft + "." + key, Detail: err.Error(), Err: ErrDType}
		}
		if integer && dt.Kind() != array.KindInt && dt.Kind() != array.KindUint {
			return array.DType{}, nil, newErr(path, ft+"."+key, ErrDType, "%q is not an integer dtype", s)
		}
		if !integer && (!dt.IsNumeric() || dt.Kind() == array.KindBool) {
			return array.DType{}, nil, newErr(path, ft+"."+key, ErrDType, "%q is not a numeric (non-bool) dtype", s)
		}
		return dt, order, nil
	}
	if d.IndptrFile, err = file("indptr_file"); err != nil {
		return nil, err
	}
	if d.IndicesFile, err = file("indices_file"); err != nil {
		return nil, err
	}
	if d.DataFile, err = file("data_file"); err != nil {
		return nil, err
	}
	if d.IndptrDType, d.IndptrOrder, err = dtype("indptr_dtype", true); err != nil {
		return nil, err
	}
	if d.IndicesDType, d.IndicesOrder, err = dtype("indices_dtype", true); err != nil {
		return nil, err
	}
	if d.DataDType, d.DataOrder, err = dtype("data_dtype", false); err != nil {
		return nil, err
	}
	return d, nil
}

// tomlShape reads a TOML array of positive integers.
func tomlShape(path, field string, v any) ([]int, error) {
	arr, ok := v.([]any)
	if !ok {
		return nil, newErr(path, field, ErrHeader, "missing or not an array of integers")
	}
	out := make([]int, len(arr))
	for i, x := range arr {
		n, ok := x.(int64)
		if !ok {
			return nil, newErr(path, field, ErrHeader, "element %d (%v) is not an integer", i, x)
		}
		if n <= 0 || n > math.MaxInt32 {
			return nil, newErr(path, field, ErrShape, "element %d is %d, want a positive extent", i, n)
		}
		out[i] = int(n)
	}
	if len(out) == 0 {
		return nil, newErr(path, field, ErrShape, "no extents given")
	}
	return out, nil
}

// RawCSR is a raw_csr dataset. Its tiles are *array.CSR[T, int32] of shape
// (depth, prod(sig)) holding whole frames (rows re-based), with T the requested dtype.
// Without a ROI and when the stored data already has dtype T in the host's byte order
// (and the indices are host-order int32), a tile's Indices and Data are views into the
// mapped files; otherwise they are decoded into buffers reused across tiles.
type RawCSR struct {
	base
	desc    RawCSRDescriptor
	indptr  []int64 // image_count+1 entries
	indices []byte  // mapped file
	data    []byte  // mapped file
	maps    []*mapping
	closed  atomic.Bool
	pools   sync.Map // array.DType -> *sync.Pool of csrState[T]
}

var _ Dataset = (*RawCSR)(nil)

// OpenRawCSR opens the raw_csr dataset described by the TOML file at path. Errors are
// *Error values naming the file and field (wrapping ErrNotFound, ErrHeader, ErrDType,
// ErrShape, ErrSigSize, ErrSyncOffset, ErrOption or ErrCSRData).
func OpenRawCSR(path string, opts RawCSROptions) (*RawCSR, error) {
	content, err := os.ReadFile(path)
	if err != nil {
		return nil, openErr(path, err)
	}
	desc, err := ParseRawCSRDescriptor(path, content)
	if err != nil {
		return nil, err
	}
	if opts.NumPartitions < 0 {
		return nil, newErr(path, "num_partitions", ErrOption, "num_partitions %d is negative", opts.NumPartitions)
	}
	if opts.MaxIOSize < 0 {
		return nil, newErr(path, "max_io_size", ErrOption, "max_io_size %d is negative", opts.MaxIOSize)
	}
	ds := &RawCSR{desc: *desc}
	ok := false
	defer func() {
		if !ok {
			_ = ds.Close()
		}
	}()
	mapAll := func(p, field string) ([]byte, error) {
		m, _, err := openMapped(p, field, 0, opts.Populate)
		if err != nil {
			return nil, err
		}
		ds.maps = append(ds.maps, m)
		return m.data, nil
	}
	ptrBytes, err := mapAll(desc.IndptrFile, "raw_csr.indptr_file")
	if err != nil {
		return nil, err
	}
	ds.indices, err = mapAll(desc.IndicesFile, "raw_csr.indices_file")
	if err != nil {
		return nil, err
	}
	ds.data, err = mapAll(desc.DataFile, "raw_csr.data_file")
	if err != nil {
		return nil, err
	}
	ds.indptr, err = validateRawCSR(desc, ptrBytes, ds.indices, ds.data, opts.Strict)
	if err != nil {
		return nil, err
	}
	imageCount := len(ds.indptr) - 1
	shape, err := resolveShape(path, desc.NavShape, desc.SigShape, imageCount, ShapeOptions{
		NavShape: opts.NavShape, SigShape: opts.SigShape, SyncOffset: opts.SyncOffset,
	})
	if err != nil {
		return nil, err
	}
	if err := checkSync(path, opts.SyncOffset, imageCount); err != nil {
		return nil, err
	}
	// Nav positions past the stored frames are blank; only the |k| positions a negative
	// sync offset inserts may be (a longer nav_shape is a wrong shape or a short indptr).
	if room := imageCount + max(0, -opts.SyncOffset); shape.NavSize() > room {
		field := "nav_shape"
		if opts.NavShape == nil {
			field = "params.nav_shape"
		}
		return nil, newErr(path, field, ErrShape, "nav_shape %v has %d positions, %s holds %d frames (indptr has %d entries)%s",
			shape.Nav(), shape.NavSize(), desc.IndptrFile, imageCount, imageCount+1, syncNote(opts.SyncOffset))
	}
	maxIO := opts.MaxIOSize
	if maxIO == 0 {
		maxIO = RawCSRMaxIOSize
	}
	ds.base = base{
		format:        "raw_csr",
		path:          path,
		shape:         shape,
		native:        desc.DataDType,
		order:         desc.DataOrder,
		imageCount:    imageCount,
		syncOffset:    opts.SyncOffset,
		numPartitions: opts.NumPartitions,
		maxIO:         maxIO,
		io:            ioKind,
	}
	ok = true
	return ds, nil
}

func syncNote(k int) string {
	if k < 0 {
		return fmt.Sprintf(" plus %d blank positions from sync_offset %d", -k, k)
	}
	return ""
}

// validateRawCSR decodes indptr and checks the lengths of the three files (and, when
// strict, the index ranges and the end of indptr). It returns indptr as int64.
func validateRawCSR(d *RawCSRDescriptor, ptr, indices, data []byte, strict bool) ([]int64, error) {
	pisz, iisz, disz := d.IndptrDType.ItemSize(), d.IndicesDType.ItemSize(), d.DataDType.ItemSize()
	if len(ptr)%pisz != 0 {
		return nil, newErr(d.IndptrFile, "raw_csr.indptr_file", ErrCSRData, "%d bytes is not a whole number of %v entries", len(ptr), d.IndptrDType)
	}
	if len(ptr) < pisz {
		return nil, newErr(d.IndptrFile, "raw_csr.indptr_file", ErrCSRData, "empty; want image_count+1 entries")
	}
	if len(indices)%iisz != 0 {
		return nil, newErr(d.IndicesFile, "raw_csr.indices_file", ErrCSRData, "%d bytes is not a whole number of %v entries", len(indices), d.IndicesDType)
	}
	if len(data)%disz != 0 {
		return nil, newErr(d.DataFile, "raw_csr.data_file", ErrCSRData, "%d bytes is not a whole number of %v entries", len(data), d.DataDType)
	}
	nIdx, nData := len(indices)/iisz, len(data)/disz
	if nIdx != nData {
		return nil, newErr(d.IndicesFile, "raw_csr.indices_file", ErrCSRData, "holds %d entries, the data file %s holds %d; want equal", nIdx, d.DataFile, nData)
	}
	n := len(ptr) / pisz
	indptr := make([]int64, n)
	big := isBig(d.IndptrOrder)
	for i := range indptr {
		v, ok := readInt(ptr[i*pisz:(i+1)*pisz], d.IndptrDType, big)
		if !ok {
			return nil, newErr(d.IndptrFile, "raw_csr.indptr_file", ErrCSRData, "entry %d does not fit int64", i)
		}
		indptr[i] = v
	}
	if indptr[0] < 0 {
		return nil, newErr(d.IndptrFile, "raw_csr.indptr_file", ErrCSRData, "entry 0 is %d, want >= 0", indptr[0])
	}
	for i := 1; i < n; i++ {
		if indptr[i] < indptr[i-1] {
			return nil, newErr(d.IndptrFile, "raw_csr.indptr_file", ErrCSRData, "decreases at entry %d (%d after %d); want non-decreasing", i, indptr[i], indptr[i-1])
		}
	}
	if last := indptr[n-1]; last > int64(nIdx) {
		return nil, newErr(d.IndptrFile, "raw_csr.indptr_file", ErrCSRData, "last entry %d exceeds the %d stored entries of %s", last, nIdx, d.IndicesFile)
	}
	if strict {
		if last := indptr[n-1]; last != int64(nIdx) {
			return nil, newErr(d.IndptrFile, "raw_csr.indptr_file", ErrCSRData, "last entry %d, want %d (the number of stored entries)", last, nIdx)
		}
		sig := int64(prodInts(d.SigShape))
		ibig := isBig(d.IndicesOrder)
		for k := 0; k < nIdx; k++ {
			v, ok := readInt(indices[k*iisz:(k+1)*iisz], d.IndicesDType, ibig)
			if !ok || v < 0 || v >= sig {
				return nil, newErr(d.IndicesFile, "raw_csr.indices_file", ErrCSRData, "entry %d is %d, want 0 <= index < %d (prod(sig_shape))", k, v, sig)
			}
		}
	}
	return indptr, nil
}

// readInt reads one stored integer; ok is false for uint64 values beyond int64.
func readInt(b []byte, dt array.DType, big bool) (int64, bool) {
	var order binary.ByteOrder = binary.LittleEndian
	if big {
		order = binary.BigEndian
	}
	signed := dt.Kind() == array.KindInt
	switch len(b) {
	case 1:
		if signed {
			return int64(int8(b[0])), true
		}
		return int64(b[0]), true
	case 2:
		if signed {
			return int64(int16(order.Uint16(b))), true
		}
		return int64(order.Uint16(b)), true
	case 4:
		if signed {
			return int64(int32(order.Uint32(b))), true
		}
		return int64(order.Uint32(b)), true
	default:
		u := order.Uint64(b)
		if !signed && u > math.MaxInt64 {
			return 0, false
		}
		return int64(u), true
	}
}

// Formats returns CSR only: raw_csr tiles are sparse.
func (d *RawCSR) Formats() []array.Format { return []array.Format{array.FormatCSR} }

// BaseShape is (1,)+sig: tiles are whole frames.
func (d *RawCSR) BaseShape() []int { return append([]int{1}, d.shape.Sig()...) }

// AdjustTileShape forces whole frames: (depth,)+sig.
func (d *RawCSR) AdjustTileShape(tileshape []int, roi []bool) []int {
	depth := 1
	if len(tileshape) > 0 {
		depth = max(1, tileshape[0])
	}
	return append([]int{depth}, d.shape.Sig()...)
}

// NeedDecode is always true: tiles are assembled per read (at least indptr is re-based),
// so negotiation caps them at the I/O size.
func (d *RawCSR) NeedDecode(read array.DType, roi []bool) bool { return true }

// Descriptor returns the parsed descriptor.
func (d *RawCSR) Descriptor() RawCSRDescriptor { return d.desc }

// Info describes the dataset; Bytes is the stored size of the three files.
func (d *RawCSR) Info() Info {
	i := d.base.Info()
	i.Bytes = int64(len(d.indptr))*int64(d.desc.IndptrDType.ItemSize()) + int64(len(d.indices)) + int64(len(d.data))
	return i
}

// Close unmaps the files. It is idempotent.
func (d *RawCSR) Close() error {
	d.closed.Store(true)
	var errs []error
	for _, m := range d.maps {
		if err := m.close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ReadTiles implements Dataset.ReadTiles: req.Format must be array.FormatCSR and the
// scheme must have one sig box covering the whole frame. Tile.Data is an
// *array.CSR[T, int32] (T the requested dtype: any numeric dtype but bool).
func (d *RawCSR) ReadTiles(ctx context.Context, p Partition, req TileRequest, fn func(t *Tile) error) error {
	if d.closed.Load() {
		return newErr(d.path, "", ErrClosed, "read after Close")
	}
	if req.Format != array.FormatCSR {
		return newErr(d.path, "format", ErrArrayFormat, "raw_csr delivers CSR tiles, not %v", req.Format)
	}
	r := req
	r.Format = array.FormatDense // checkRequest knows dense datasets; the rest applies
	if err := checkRequest(&d.base, p, &r); err != nil {
		return err
	}
	req.DType = r.DType
	if !req.Scheme.FullSig() {
		return newErr(d.path, "scheme", ErrTiling, "raw_csr tiles are whole frames; scheme %v has sig boxes", req.Scheme)
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	switch req.DType {
	case array.Float32:
		return readCSRTiles[float32](ctx, d, p, &req, fn)
	case array.Float64:
		return readCSRTiles[float64](ctx, d, p, &req, fn)
	case array.Int8:
		return readCSRTiles[int8](ctx, d, p, &req, fn)
	case array.Int16:
		return readCSRTiles[int16](ctx, d, p, &req, fn)
	case array.Int32:
		return readCSRTiles[int32](ctx, d, p, &req, fn)
	case array.Int64:
		return readCSRTiles[int64](ctx, d, p, &req, fn)
	case array.Uint8:
		return readCSRTiles[uint8](ctx, d, p, &req, fn)
	case array.Uint16:
		return readCSRTiles[uint16](ctx, d, p, &req, fn)
	case array.Uint32:
		return readCSRTiles[uint32](ctx, d, p, &req, fn)
	case array.Uint64:
		return readCSRTiles[uint64](ctx, d, p, &req, fn)
	case array.Complex64:
		return readCSRTiles[complex64](ctx, d, p, &req, fn)
	case array.Complex128:
		return readCSRTiles[complex128](ctx, d, p, &req, fn)
	}
	return newErr(d.path, "dtype", ErrDType, "cannot read raw_csr tiles as %v (want a numeric, non-bool dtype)", req.DType)
}

// csrState is the per-call scratch of readCSRTiles, pooled per dataset and dtype.
type csrState[T array.SparseValue] struct {
	tile    Tile
	csr     array.CSR[T, int32]
	idx     []int32
	val     []T
	origin  []int
	shapes  map[int]array.Shape
	rows    []int
	decoder func(dst []T, src []byte) error
}

func (st *csrState[T]) shape(n int, sig []int) array.Shape {
	if s, ok := st.shapes[n]; ok {
		return s
	}
	s := array.NewShape(append([]int{n}, sig...), len(sig))
	st.shapes[n] = s
	return s
}

func readCSRTiles[T array.SparseValue](ctx context.Context, d *RawCSR, p Partition, req *TileRequest, fn func(t *Tile) error) (err error) {
	k := d.syncOffset
	lo, hi, ok := d.frameRange(p, req.ROI)
	if !ok {
		return nil
	}
	dt := array.DTypeOf[T]()
	pool := poolFor(&d.pools, dt)
	st, _ := pool.Get().(*csrState[T])
	if st == nil {
		st = &csrState[T]{shapes: map[int]array.Shape{}}
		st.decoder = valueDecoder[T](d.desc.DataDType, isBig(d.desc.DataOrder))
	}
	defer pool.Put(st)
	// rows [r0, r1) (stored frames) of the tile being built, for errors
	var r0, r1 int
	readErr := func(path string, cause error) error {
		return &ReadError{Path: path, Partition: p.Index, First: r0 - k, Stop: r1 - k, Err: cause}
	}
	// A fault on one of the mappings (a file shrank) is the file's, not fn's.
	defer func() {
		if r := recover(); r != nil {
			for _, m := range d.maps {
				if ferr := faultError(r, m.path, m.data, m.size); ferr != nil {
					err = readErr(m.path, ferr)
					return
				}
			}
			panic(r)
		}
	}()
	// badIndex reports stored entry e (absolute), holding v, as out of range.
	badIndex := func(e int64, v int64) error {
		row, _ := slices.BinarySearch(d.indptr, e+1)
		row-- // indptr[row] <= e < indptr[row+1]
		return readErr(d.desc.IndicesFile, newErr(d.desc.IndicesFile, "raw_csr.indices_file", ErrCSRData,
			"frame %d (nav position %d): stored entry %d is %d, want 0 <= index < %d (prod(sig_shape))", row, row-k, e, v, d.shape.SigSize()))
	}

	sig := d.shape.Sig()
	sigSize := d.shape.SigSize()
	depth := req.Scheme.DepthFor(p.Len())
	st.origin = growVals(st.origin, 1+len(sig))
	clear(st.origin)
	tile := &st.tile
	tile.SchemeIdx = 0
	tile.Data = &st.csr
	iisz, disz := d.desc.IndicesDType.ItemSize(), d.desc.DataDType.ItemSize()
	idxZero := d.desc.IndicesDType == array.Int32 && !needsSwap(array.Int32, d.desc.IndicesOrder)
	valZero := dt == d.desc.DataDType && !needsSwap(dt, d.desc.DataOrder)
	ibig := isBig(d.desc.IndicesOrder)

	// emit delivers one tile: the stored rows of st.rows, or (rows == nil) the
	// contiguous stored rows [r0, r1); c is the compressed index of its first frame.
	emit := func(c, a0, a1 int, gather bool) error {
		r0, r1 = a0, a1
		if gather {
			r0, r1 = st.rows[0], st.rows[len(st.rows)-1]+1
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		m := &st.csr
		n := a1 - a0
		if gather {
			n = len(st.rows)
		}
		m.Rows, m.Cols = n, sigSize
		m.Indptr = growVals(m.Indptr, n+1)
		var nnz int64
		m.Indptr[0] = 0
		for j := 0; j < n; j++ {
			r := a0 + j
			if gather {
				r = st.rows[j]
			}
			nnz += d.indptr[r+1] - d.indptr[r]
			if nnz > math.MaxInt32 {
				return newErr(d.path, "tile", ErrCSRData, "a tile of %d frames holds more than 2^31-1 entries; use smaller tiles", n)
			}
			m.Indptr[j+1] = int32(nnz)
		}
		// Indices and data: views when contiguous and stored as requested.
		if !gather {
			a, z := d.indptr[a0], d.indptr[a1]
			if idxZero {
				if v, ok := typedView[int32](d.indices[a*4 : z*4]); ok {
					if j := firstOutside(v, sigSize); j >= 0 {
						return badIndex(a+int64(j), int64(v[j]))
					}
					m.Indices = v
				} else {
					idxZero = false
				}
			}
			if !idxZero {
				st.idx = growVals(st.idx, int(z-a))
				if j, v := decodeIndices(st.idx, d.indices[a*int64(iisz):z*int64(iisz)], d.desc.IndicesDType, ibig, sigSize); j >= 0 {
					return badIndex(a+int64(j), v)
				}
				m.Indices = st.idx
			}
			if valZero {
				if v, ok := typedView[T](d.data[a*int64(disz) : z*int64(disz)]); ok {
					m.Data = v
				} else {
					valZero = false
				}
			}
			if !valZero {
				st.val = growVals(st.val, int(z-a))
				if err := st.decoder(st.val, d.data[a*int64(disz):z*int64(disz)]); err != nil {
					return &Error{Path: d.desc.DataFile, Field: "raw_csr.data_dtype", Detail: err.Error(), Err: ErrDType}
				}
				m.Data = st.val
			}
		} else {
			st.idx = growVals(st.idx, int(nnz))
			st.val = growVals(st.val, int(nnz))
			pos := 0
			for _, r := range st.rows {
				a, z := d.indptr[r], d.indptr[r+1]
				cnt := int(z - a)
				if j, v := decodeIndices(st.idx[pos:pos+cnt], d.indices[a*int64(iisz):z*int64(iisz)], d.desc.IndicesDType, ibig, sigSize); j >= 0 {
					return badIndex(a+int64(j), v)
				}
				if err := st.decoder(st.val[pos:pos+cnt], d.data[a*int64(disz):z*int64(disz)]); err != nil {
					return &Error{Path: d.desc.DataFile, Field: "raw_csr.data_dtype", Detail: err.Error(), Err: ErrDType}
				}
				pos += cnt
			}
			m.Indices = st.idx
			m.Data = st.val
		}
		st.origin[0] = c
		tile.Slice.Origin = st.origin
		tile.Slice.Shape = st.shape(n, sig)
		return fn(tile)
	}

	if req.ROI == nil {
		for b := lo; b < hi; b += depth {
			e := min(b+depth, hi)
			if err := emit(b, b+k, e+k, false); err != nil {
				return err
			}
		}
		return nil
	}
	c := countTrue(req.ROI[:lo])
	st.rows = st.rows[:0]
	for i := lo; i < hi; i++ {
		if !req.ROI[i] {
			continue
		}
		st.rows = append(st.rows, i+k)
		if len(st.rows) == depth {
			if err := emit(c, 0, 0, true); err != nil {
				return err
			}
			c += depth
			st.rows = st.rows[:0]
		}
	}
	if len(st.rows) > 0 {
		return emit(c, 0, 0, true)
	}
	return nil
}

// growVals returns s resliced to length n, or a new slice with a quarter of headroom
// when s lacks the capacity (the contents are not kept).
func growVals[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n, n+n/4)
}

// decodeIndices converts stored integer indices to int32, checking each against
// [0, limit) on the way (one compare per entry). It returns the position and stored value
// of the first index outside, or -1.
func decodeIndices(dst []int32, src []byte, dt array.DType, big bool, limit int) (int, int64) {
	isz := dt.ItemSize()
	if isz == 4 {
		var order binary.ByteOrder = binary.LittleEndian
		if big {
			order = binary.BigEndian
		}
		lim := uint32(min(limit, math.MaxInt32))
		for i := range dst {
			u := order.Uint32(src[4*i:])
			if u >= lim { // negative int32 values are >= 2^31 as uint32
				if dt.Kind() == array.KindInt {
					return i, int64(int32(u))
				}
				return i, int64(u)
			}
			dst[i] = int32(u)
		}
		return -1, 0
	}
	for i := range dst {
		v, ok := readInt(src[i*isz:(i+1)*isz], dt, big)
		if !ok {
			return i, -1 // a uint64 beyond int64
		}
		if v < 0 || v >= int64(limit) || v > math.MaxInt32 {
			return i, v
		}
		dst[i] = int32(v)
	}
	return -1, 0
}

// firstOutside returns the position of the first index outside [0, limit), or -1.
func firstOutside(idx []int32, limit int) int {
	lim := uint32(min(limit, math.MaxInt32))
	for i, v := range idx {
		if uint32(v) >= lim {
			return i
		}
	}
	return -1
}

// valueDecoder returns the conversion from stored values of dtype from (big-endian if
// big) to T: the SIMD kernels for float32 and float64 targets from real dtypes, a plain
// copy (with byte swap) for equal dtypes, and an element-wise conversion otherwise
// (integers beyond 2^53 may round on the way through float64).
func valueDecoder[T array.SparseValue](from array.DType, big bool) func(dst []T, src []byte) error {
	to := array.DTypeOf[T]()
	if from.Kind() != array.KindComplex {
		switch to {
		case array.Float32:
			return func(dst []T, src []byte) error {
				return kernels.DecodeF32(any(dst).([]float32), src, from, big)
			}
		case array.Float64:
			return func(dst []T, src []byte) error {
				return kernels.DecodeF64(any(dst).([]float64), src, from, big)
			}
		}
	}
	isz := from.ItemSize()
	if to == from {
		swap := big != hostBig && isz > 1
		w := wordSize(from)
		return func(dst []T, src []byte) error {
			if len(src) != len(dst)*isz {
				return fmt.Errorf("decode %d values from %d bytes of %v", len(dst), len(src), from)
			}
			b := bytesOf(dst)
			copy(b, src)
			if swap {
				swapInPlace(b, w)
			}
			return nil
		}
	}
	return func(dst []T, src []byte) error {
		if len(src) != len(dst)*isz {
			return fmt.Errorf("decode %d values from %d bytes of %v", len(dst), len(src), from)
		}
		for i := range dst {
			b := src[i*isz : (i+1)*isz]
			switch from.Kind() {
			case array.KindInt, array.KindUint:
				v, ok := readInt(b, from, big)
				if !ok { // uint64 beyond int64
					var order binary.ByteOrder = binary.LittleEndian
					if big {
						order = binary.BigEndian
					}
					dst[i] = fromFloat[T](float64(order.Uint64(b)))
					continue
				}
				dst[i] = fromInt[T](v)
			case array.KindFloat:
				dst[i] = fromFloat[T](readFloat(b, big))
			case array.KindComplex:
				h := isz / 2
				dst[i] = fromComplex[T](complex(readFloat(b[:h], big), readFloat(b[h:], big)))
			default:
				return fmt.Errorf("cannot convert %v to %v", from, to)
			}
		}
		return nil
	}
}

func readFloat(b []byte, big bool) float64 {
	var order binary.ByteOrder = binary.LittleEndian
	if big {
		order = binary.BigEndian
	}
	if len(b) == 4 {
		return float64(math.Float32frombits(order.Uint32(b)))
	}
	return math.Float64frombits(order.Uint64(b))
}

func fromInt[T array.SparseValue](v int64) T {
	var z T
	switch p := any(&z).(type) {
	case *int8:
		*p = int8(v)
	case *int16:
		*p = int16(v)
	case *int32:
		*p = int32(v)
	case *int64:
		*p = v
	case *uint8:
		*p = uint8(v)
	case *uint16:
		*p = uint16(v)
	case *uint32:
		*p = uint32(v)
	case *uint64:
		*p = uint64(v)
	default:
		return fromFloat[T](float64(v))
	}
	return z
}

func fromFloat[T array.SparseValue](v float64) T {
	return fromComplex[T](complex(v, 0))
}

// fromComplex converts with numpy's casting: complex → real drops the imaginary part,
// float → int truncates toward zero.
func fromComplex[T array.SparseValue](c complex128) T {
	var z T
	v := real(c)
	switch p := any(&z).(type) {
	case *int8:
		*p = int8(v)
	case *int16:
		*p = int16(v)
	case *int32:
		*p = int32(v)
	case *int64:
		*p = int64(v)
	case *uint8:
		*p = uint8(v)
	case *uint16:
		*p = uint16(v)
	case *uint32:
		*p = uint32(v)
	case *uint64:
		*p = uint64(v)
	case *float32:
		*p = float32(v)
	case *float64:
		*p = v
	case *complex64:
		*p = complex64(c)
	case *complex128:
		*p = c
	}
	return z
}

// detectRawCSR reports whether path is a small TOML file describing a raw_csr dataset.
func detectRawCSR(path string) bool {
	st, err := os.Stat(path)
	if err != nil || st.IsDir() || st.Size() >= rawCSRDetectLimit {
		return false
	}
	content, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	_, err = ParseRawCSRDescriptor(path, content)
	return err == nil
}

func init() {
	RegisterFormat(FormatSpec{
		Name:       "raw_csr",
		Extensions: []string{".toml"},
		Detect:     detectRawCSR,
		Open: func(path string, o OpenOptions) (Dataset, error) {
			return OpenRawCSR(path, RawCSROptions{
				NavShape: slices.Clone(o.NavShape), SigShape: slices.Clone(o.SigShape),
				SyncOffset: o.SyncOffset, NumPartitions: o.NumPartitions, MaxIOSize: o.MaxIOSize,
				Populate: o.Populate,
			})
		},
	})
}
