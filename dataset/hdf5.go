package dataset

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset/hdf5"
)

// HDF5Options configure an HDF5 dataset.
type HDF5Options struct {
	// DSPath is the path of the dataset in the file ("/entry/data/data"). Empty picks
	// DECTRIS's stacked /entry/data/data_NNNNNN links when present, else the largest
	// dataset with at least 3 axes. A group of data_NNNNNN links is stacked too.
	DSPath string
	// SigDims is the number of trailing axes that form a frame; 0 means 2.
	SigDims int
	// NavShape / SigShape override the nav and sig extents.
	NavShape []int
	SigShape []int
	// SyncOffset is the sync offset k, -image_count < k < image_count.
	SyncOffset int
	// NumPartitions is the user's partition count; 0 = the generic rule.
	NumPartitions int
	// MaxIOSize is the I/O size for copying reads; 0 = DefaultIOSize.
	MaxIOSize int64
	// Populate pre-faults the mapping of contiguous data at open.
	Populate bool
	// IO is the I/O method of contiguous data: IOMmap (default) or IORead. Chunked
	// data is always read with pread.
	IO string
}

// OpenHDF5 opens a numeric dataset of an HDF5 file. The HDF5 library (loaded at run
// time) reads only the metadata and the chunk index; contiguous data is then mapped
// like a raw file, chunks are pread and decoded in Go (gzip, shuffle, LZF, LZ4,
// bitshuffle+LZ4, zstd) on every reading goroutine without a lock. Errors wrap
// hdf5.ErrNoLibrary when the library is missing (its message names the package).
func OpenHDF5(path string, opts HDF5Options) (Dataset, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, openErr(path, err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	f, err := hdf5.Open(path)
	if err != nil {
		if errors.Is(err, hdf5.ErrNoLibrary) {
			return nil, &Error{Path: path, Field: "library", Detail: "cannot read HDF5", Err: errors.Join(ErrFormat, err)}
		}
		return nil, &Error{Path: path, Field: "header", Detail: err.Error(), Err: ErrHeader}
	}
	defer f.Close()
	sigDims := opts.SigDims
	if sigDims == 0 {
		sigDims = 2
	}
	if opts.NumPartitions < 0 {
		return nil, newErr(path, "num_partitions", ErrOption, "num_partitions %d is negative", opts.NumPartitions)
	}
	sel, err := selectHDF5(f, opts.DSPath)
	if err != nil {
		return nil, err
	}
	var infos []*hdf5.Info
	for _, p := range sel.paths {
		in, err := f.Dataset(p, true)
		if err != nil {
			field := "ds_path"
			sentinel := ErrFormat
			if errors.Is(err, hdf5.ErrType) {
				field, sentinel = "dtype", ErrDType
			}
			return nil, &Error{Path: path, Field: field, Detail: err.Error(), Err: sentinel}
		}
		infos = append(infos, in)
	}
	first := infos[0]
	dt, order, err := hdf5DType(first.Type)
	if err != nil {
		return nil, &Error{Path: path, Field: "dtype", Detail: fmt.Sprintf("%s: %v", first.Path, err), Err: ErrDType}
	}
	if len(first.Shape) <= sigDims {
		return nil, newErr(path, "sig_dims", ErrShape, "dataset %s has shape %v: sig_dims %d needs more than %d axes", first.Path, first.Shape, sigDims, sigDims)
	}
	storedSig := first.Shape[len(first.Shape)-sigDims:]
	imageCount := 0
	for _, in := range infos {
		if in.Type != first.Type || !slices.Equal(in.Shape[len(in.Shape)-sigDims:], storedSig) || len(in.Shape) <= sigDims {
			return nil, newErr(path, "ds_path", ErrShape, "stacked dataset %s has shape %v of %v, the first (%s) %v of %v", in.Path, in.Shape, in.Type, first.Path, first.Shape, first.Type)
		}
		if err := hdf5.CheckFilters(in.Filters); err != nil {
			return nil, &Error{Path: path, Field: "filters", Detail: fmt.Sprintf("%s: %v", in.Path, err), Err: ErrFormat}
		}
		switch in.Layout {
		case hdf5.LayoutContiguous, hdf5.LayoutChunked:
		default:
			return nil, newErr(path, "layout", ErrFormat, "dataset %s has %v layout; only contiguous and chunked datasets are read", in.Path, in.Layout)
		}
		imageCount += prodInts(in.Shape[:len(in.Shape)-sigDims])
	}
	storedNav := first.Shape[:len(first.Shape)-sigDims]
	navSource := "dataset shape"
	if len(infos) > 1 {
		storedNav = []int{imageCount}
		navSource = "frame count of the stacked datasets"
		if opts.NavShape == nil {
			if nav, src := arinaNav(f, imageCount); nav != nil {
				storedNav, navSource = nav, src
			}
		}
	}
	if opts.NavShape != nil {
		navSource = "nav_shape option"
	}
	shape, err := resolveShape(path, storedNav, storedSig, imageCount, ShapeOptions{NavShape: opts.NavShape, SigShape: opts.SigShape})
	if err != nil {
		return nil, err
	}
	if err := checkSync(path, opts.SyncOffset, imageCount); err != nil {
		return nil, err
	}
	b := base{
		format:        "hdf5",
		path:          path,
		shape:         shape,
		native:        dt,
		order:         order,
		imageCount:    imageCount,
		syncOffset:    opts.SyncOffset,
		numPartitions: opts.NumPartitions,
		maxIO:         opts.MaxIOSize,
	}
	details := []InfoDetail{{"hdf5 dataset", sel.describe(first)}}
	if len(infos) > 1 {
		details = append(details, InfoDetail{"stacked", fmt.Sprintf("%d datasets (%s … %s) via %s", len(infos), infos[0].Path, infos[len(infos)-1].Path, sel.how)})
	} else if sel.how != "" {
		details = append(details, InfoDetail{"chosen", sel.how})
	}
	details = append(details, InfoDetail{"nav shape", fmt.Sprintf("%v from the %s", shape.Nav(), navSource)})
	if first.Index != "" {
		n := 0
		for _, in := range infos {
			n += len(in.Chunks)
		}
		details = append(details, InfoDetail{"chunk index", fmt.Sprintf("%d chunks, %s", n, first.Index)})
	}

	if len(infos) == 1 && first.Layout == hdf5.LayoutContiguous {
		if first.Offset < 0 {
			return nil, newErr(path, "data", ErrFileTooShort, "dataset %s has no data written (unallocated contiguous storage)", first.Path)
		}
		frameBytes := int64(prodInts(storedSig)) * int64(dt.ItemSize())
		sto, err := openStorage(first.File, "data", first.Offset+int64(imageCount)*frameBytes, opts.IO, opts.Populate)
		if err != nil {
			return nil, err
		}
		c := &hdf5Contig{details: details}
		if first.File != abs {
			c.files = []string{first.File}
		}
		c.base = b
		c.dataOffset = first.Offset
		align := int64(min(dt.ItemSize(), 8))
		c.forceDecode = first.Offset%align != 0
		c.initFile(sto)
		return c, nil
	}
	return newHDF5Chunked(b, abs, infos, sigDims, details)
}

// hdf5DType maps an HDF5 element type to a dtype and byte order.
func hdf5DType(t hdf5.Type) (array.DType, binary.ByteOrder, error) {
	dt, _, err := array.ParseDType(fmt.Sprintf("%c%d", t.Kind, t.Size))
	if err != nil || !dt.IsNumeric() {
		return array.DType{}, nil, fmt.Errorf("element type %v is not a supported number", t)
	}
	var order binary.ByteOrder = binary.LittleEndian
	if t.BigEndian {
		order = binary.BigEndian
	}
	return dt, order, nil
}

// hdf5Selection is the dataset (or stack of datasets) chosen in a file.
type hdf5Selection struct {
	paths []string
	how   string // how it was chosen, for Info
}

func (s hdf5Selection) describe(in *hdf5.Info) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %v %v %s", in.Path, in.Shape, in.Type, in.Layout)
	if in.Layout == hdf5.LayoutChunked {
		fmt.Fprintf(&b, " %v", in.Chunk)
	}
	if len(in.Filters) > 0 {
		var fs []string
		for _, f := range in.Filters {
			fs = append(fs, f.String())
		}
		fmt.Fprintf(&b, ", filters %s", strings.Join(fs, ", "))
	}
	return b.String()
}

// arinaLink matches the name of an Arina master file's link to a data file. It is
// compiled at first use, not while every stemflow process starts.
var arinaLink = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^data_(\d{6})$`) })

// stackedLinks returns the data_NNNNNN members of group g in number order.
func stackedLinks(f *hdf5.File, g string) []string {
	links, err := f.Links(g)
	if err != nil {
		return nil
	}
	type item struct {
		n    int
		path string
	}
	var items []item
	for _, l := range links {
		m := arinaLink().FindStringSubmatch(l.Name)
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[1])
		p := strings.TrimSuffix(g, "/") + "/" + l.Name
		if f.Kind(p) != hdf5.KindDataset {
			continue // an external link to a missing file is left out here and reported below
		}
		items = append(items, item{n, p})
	}
	sort.Slice(items, func(i, j int) bool { return items[i].n < items[j].n })
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.path
	}
	return out
}

// missingLinks lists data_NNNNNN links of g whose target cannot be opened.
func missingLinks(f *hdf5.File, g string) []string {
	links, _ := f.Links(g)
	var out []string
	for _, l := range links {
		p := strings.TrimSuffix(g, "/") + "/" + l.Name
		if arinaLink().MatchString(l.Name) && f.Kind(p) != hdf5.KindDataset {
			out = append(out, p)
		}
	}
	return out
}

func selectHDF5(f *hdf5.File, dsPath string) (hdf5Selection, error) {
	path := f.Path()
	if dsPath != "" {
		if !strings.HasPrefix(dsPath, "/") {
			dsPath = "/" + dsPath
		}
		switch f.Kind(dsPath) {
		case hdf5.KindDataset:
			return hdf5Selection{paths: []string{dsPath}, how: "ds_path option"}, nil
		case hdf5.KindGroup:
			if miss := missingLinks(f, dsPath); len(miss) > 0 {
				return hdf5Selection{}, newErr(path, "ds_path", ErrNotFound, "external links %v of group %s point to missing files", miss, dsPath)
			}
			if s := stackedLinks(f, dsPath); len(s) > 0 {
				return hdf5Selection{paths: s, how: "ds_path group " + dsPath}, nil
			}
			return hdf5Selection{}, newErr(path, "ds_path", ErrShape, "%s is a group without data_NNNNNN datasets; name a dataset (%s)", dsPath, listDatasets(f))
		}
		return hdf5Selection{}, newErr(path, "ds_path", ErrNotFound, "no dataset %s in the file (datasets: %s)", dsPath, listDatasets(f))
	}
	if f.Kind("/entry/data") == hdf5.KindGroup {
		if miss := missingLinks(f, "/entry/data"); len(miss) > 0 {
			return hdf5Selection{}, newErr(path, "ds_path", ErrNotFound, "DECTRIS master file: external links %v point to missing files (the data files must sit beside the master file)", miss)
		}
		if s := stackedLinks(f, "/entry/data"); len(s) > 0 {
			return hdf5Selection{paths: s, how: "DECTRIS master file: /entry/data/data_NNNNNN links"}, nil
		}
	}
	all, err := f.Walk()
	if err != nil {
		return hdf5Selection{}, &Error{Path: path, Field: "ds_path", Detail: err.Error(), Err: ErrHeader}
	}
	best, bestSize := "", -1
	for _, p := range all {
		in, err := f.Dataset(p, false)
		if err != nil || len(in.Shape) < 3 {
			continue
		}
		if n := prodInts(in.Shape); n > bestSize {
			best, bestSize = p, n
		}
	}
	if best == "" {
		return hdf5Selection{}, newErr(path, "ds_path", ErrShape, "no dataset with at least 3 axes; name one with ds_path (datasets: %s)", listDatasets(f))
	}
	return hdf5Selection{paths: []string{best}, how: "the largest dataset with at least 3 axes"}, nil
}

// listDatasets lists the file's datasets with their shapes, for error messages.
func listDatasets(f *hdf5.File) string {
	all, _ := f.Walk()
	if len(all) == 0 {
		return "none"
	}
	var out []string
	for i, p := range all {
		if i == 20 {
			out = append(out, fmt.Sprintf("… %d more", len(all)-20))
			break
		}
		if in, err := f.Dataset(p, false); err == nil {
			out = append(out, fmt.Sprintf("%s %v", p, in.Shape))
		}
	}
	return strings.Join(out, ", ")
}

// arinaNav reads a 2-D scan shape from DECTRIS detector metadata: ntrigger triggers of
// nimages images each, when both exceed 1 and account for every frame.
func arinaNav(f *hdf5.File, frames int) ([]int, string) {
	const spec = "/entry/instrument/detector/detectorSpecific/"
	nt, err1 := f.ReadInt(spec + "ntrigger")
	ni, err2 := f.ReadInt(spec + "nimages")
	if err1 != nil || err2 != nil || nt <= 1 || ni <= 1 || nt*ni != int64(frames) {
		return nil, ""
	}
	return []int{int(nt), int(ni)}, "detector metadata (ntrigger × nimages)"
}

// hdf5Contig is a single contiguous HDF5 dataset: a raw byte range read like a raw file.
type hdf5Contig struct {
	dense
	details []InfoDetail
	files   []string
}

// Info describes the dataset, naming the HDF5 dataset read.
func (c *hdf5Contig) Info() Info {
	i := c.dense.Info()
	i.Details = c.details
	i.Files = c.files
	return i
}

// h5source is one HDF5 dataset of a (possibly stacked) chunked dataset.
type h5source struct {
	info      *hdf5.Info
	file      *os.File
	start     int   // first stored frame of the stack
	frames    int   // frames it holds
	nav       []int // its nav extents
	chunkNav  []int // chunk extents on the nav axes
	chunkSig  []int // chunk extents on the sig axes
	grid      []int // chunks along every axis
	gridStr   []int // C-order strides of the grid
	chunkStr  []int // C-order element strides inside a chunk, nav and sig axes
	chunkLen  int   // elements of one chunk
	contig    bool  // contiguous storage seen as one-frame chunks
	contigOff int64
	navOne    bool // every chunk holds one frame
}

// chunk returns the index entry of chunk c (a contiguous source computes it).
func (s *h5source) chunk(c, frameBytes int) hdf5.Chunk {
	if s.contig {
		return hdf5.Chunk{Addr: s.contigOff + int64(c)*int64(frameBytes), Size: uint32(frameBytes)}
	}
	return s.info.Chunks[c]
}

// hdf5Chunked reads chunked datasets (and stacks of datasets): every reader preads the
// chunks its tiles touch and decodes them itself, keeping the latest decoded chunks in
// a small per-reader cache.
type hdf5Chunked struct {
	base
	srcs     []*h5source
	sigDims  int
	details  []InfoDetail
	files    []string
	cacheCap int // decoded chunks a reader keeps
	// stored is the stored frame as a box; sigOverride is set when a sig_shape
	// override changes the frame's axes (boxes are then cut from whole frames)
	stored      array.Slice
	sigOverride bool
	mu          sync.RWMutex
	closed      bool
	pools       sync.Map
}

// chunkCacheBytes bounds the decoded chunks one reader keeps.
const chunkCacheBytes = 32 << 20

func newHDF5Chunked(b base, abs string, infos []*hdf5.Info, sigDims int, details []InfoDetail) (*hdf5Chunked, error) {
	d := &hdf5Chunked{base: b, sigDims: sigDims, details: details}
	d.base.forceDecode = true
	isz := b.native.ItemSize()
	start := 0
	maxChunk := 0
	seen := map[string]*os.File{}
	for _, in := range infos {
		nd := len(in.Shape)
		s := &h5source{info: in, start: start, nav: in.Shape[:nd-sigDims]}
		s.frames = prodInts(s.nav)
		chunk := in.Chunk
		if in.Layout == hdf5.LayoutContiguous {
			if in.Offset < 0 {
				d.closeFiles(seen)
				return nil, newErr(b.path, "data", ErrFileTooShort, "dataset %s has no data written", in.Path)
			}
			s.contig, s.contigOff = true, in.Offset
			chunk = make([]int, nd)
			for i := range chunk {
				chunk[i] = 1
			}
			copy(chunk[nd-sigDims:], in.Shape[nd-sigDims:])
		}
		s.chunkNav, s.chunkSig = chunk[:nd-sigDims], chunk[nd-sigDims:]
		s.navOne = prodInts(s.chunkNav) == 1
		s.grid = make([]int, nd)
		for i := range s.grid {
			s.grid[i] = (in.Shape[i] + chunk[i] - 1) / chunk[i]
		}
		s.gridStr = cStrides(s.grid)
		s.chunkStr = cStrides(chunk)
		s.chunkLen = prodInts(chunk)
		maxChunk = max(maxChunk, s.chunkLen*isz)
		fh, ok := seen[in.File]
		if !ok {
			var err error
			fh, err = os.Open(in.File)
			if err != nil {
				d.closeFiles(seen)
				return nil, openErr(in.File, err)
			}
			seen[in.File] = fh
			if in.File != abs {
				d.files = append(d.files, in.File)
			}
		}
		s.file = fh
		// every chunk must lie inside its file
		st, err := fh.Stat()
		if err == nil && !s.contig {
			for c, ch := range in.Chunks {
				if ch.Addr >= 0 && ch.Addr+int64(ch.Size) > st.Size() {
					d.closeFiles(seen)
					return nil, &ShortFileError{Path: in.File, Field: fmt.Sprintf("chunk %d of %s", c, in.Path), Need: ch.Addr + int64(ch.Size), Have: st.Size()}
				}
			}
		} else if err == nil && s.contig && s.contigOff+int64(s.frames*prodInts(s.chunkSig)*isz) > st.Size() {
			d.closeFiles(seen)
			return nil, &ShortFileError{Path: in.File, Field: in.Path, Need: s.contigOff + int64(s.frames*prodInts(s.chunkSig)*isz), Have: st.Size()}
		}
		d.srcs = append(d.srcs, s)
		start += s.frames
	}
	d.cacheCap = max(4, min(256, chunkCacheBytes/max(1, maxChunk)))
	storedSig := infos[0].Shape[len(infos[0].Shape)-sigDims:]
	d.stored = array.Slice{Origin: make([]int, sigDims), Shape: array.NewShape(storedSig, sigDims)}
	d.sigOverride = !slices.Equal(storedSig, b.shape.Sig())
	// tiles aligned to the chunks' sig extents
	sig := b.shape.Sig()
	first := d.srcs[0]
	if slices.Equal(first.info.Shape[len(first.info.Shape)-sigDims:], sig) {
		bs := make([]int, 1+len(sig))
		bs[0] = 1
		for i := range sig {
			bs[1+i] = min(first.chunkSig[i], sig[i])
		}
		d.baseShape = bs
	}
	return d, nil
}

func (d *hdf5Chunked) closeFiles(m map[string]*os.File) {
	for _, f := range m {
		f.Close()
	}
}

func cStrides(dims []int) []int {
	s := make([]int, len(dims))
	v := 1
	for i := len(dims) - 1; i >= 0; i-- {
		s[i] = v
		v *= dims[i]
	}
	return s
}

// Info describes the dataset, naming the HDF5 datasets and files read.
func (d *hdf5Chunked) Info() Info {
	i := d.base.Info()
	i.IO = "pread + decode per chunk"
	i.Details = d.details
	i.Files = d.files
	var stored int64
	for _, s := range d.srcs {
		stored += s.info.StorageSize
	}
	i.Details = append(slices.Clone(i.Details), InfoDetail{"stored bytes", strconv.FormatInt(stored, 10)})
	return i
}

// AdjustTileShape keeps the chunks one block of tiles touches within the reader's
// chunk cache when the tiles cut frames into several sig boxes.
func (d *hdf5Chunked) AdjustTileShape(tileshape []int, roi []bool) []int {
	sig := d.shape.Sig()
	if slices.Equal(tileshape[1:], sig) || d.baseShape == nil {
		return tileshape
	}
	sigChunks := 1
	for i, v := range sig {
		sigChunks *= (v + d.baseShape[1+i] - 1) / d.baseShape[1+i]
	}
	navChunk := max(1, prodInts(d.srcs[0].chunkNav))
	if per := (tileshape[0]/navChunk + 2) * sigChunks; per > d.cacheCap {
		out := slices.Clone(tileshape)
		out[0] = max(1, (d.cacheCap/sigChunks-2)*navChunk)
		return out
	}
	return tileshape
}

// Close closes the files after reads in progress have finished; it is idempotent.
func (d *hdf5Chunked) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	d.pools.Clear()
	var errs []error
	seen := map[*os.File]bool{}
	for _, s := range d.srcs {
		if !seen[s.file] {
			seen[s.file] = true
			errs = append(errs, s.file.Close())
		}
	}
	return errors.Join(errs...)
}

// ReadTiles implements Dataset.ReadTiles.
func (d *hdf5Chunked) ReadTiles(ctx context.Context, p Partition, req TileRequest, fn func(t *Tile) error) error {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return newErr(d.path, "", ErrClosed, "read after Close")
	}
	if err := checkRequest(&d.base, p, &req); err != nil {
		return err
	}
	switch req.DType {
	case array.Float32:
		return h5ReadTiles[float32](ctx, d, p, &req, fn)
	case array.Float64:
		return h5ReadTiles[float64](ctx, d, p, &req, fn)
	case array.Uint16:
		return h5ReadTiles[uint16](ctx, d, p, &req, fn)
	case array.Uint8:
		return h5ReadTiles[uint8](ctx, d, p, &req, fn)
	case array.Uint32:
		return h5ReadTiles[uint32](ctx, d, p, &req, fn)
	case array.Uint64:
		return h5ReadTiles[uint64](ctx, d, p, &req, fn)
	case array.Int8:
		return h5ReadTiles[int8](ctx, d, p, &req, fn)
	case array.Int16:
		return h5ReadTiles[int16](ctx, d, p, &req, fn)
	case array.Int32:
		return h5ReadTiles[int32](ctx, d, p, &req, fn)
	case array.Int64:
		return h5ReadTiles[int64](ctx, d, p, &req, fn)
	case array.Complex64:
		return h5ReadTiles[complex64](ctx, d, p, &req, fn)
	case array.Complex128:
		return h5ReadTiles[complex128](ctx, d, p, &req, fn)
	case array.Bool:
		return h5ReadTiles[bool](ctx, d, p, &req, fn)
	}
	return newErr(d.path, "dtype", ErrDType, "cannot read tiles as %v (want a numeric dtype)", req.DType)
}

// h5cached is one decoded chunk kept by a reader.
type h5cached struct {
	src, chunk int
	data       []byte
	stamp      uint64
}

// h5State is the pooled per-call scratch of a chunked reader.
type h5State[T elem] struct {
	dec    decoder[T]
	direct bool // T is the stored type in host order: chunks decode straight into tiles
	chunkD hdf5.Decoder
	raw    []byte
	once   []byte // a chunk read once (not cached)
	cache  []h5cached
	clock  uint64
	buf    []T
	frames []int
	origin []int
	dims   []int
	navIdx []int
	lo, hi []int // intersection of a chunk with the box, sig coordinates
	cidx   []int // sig chunk index being visited
	clo    []int // first and last sig chunk index the box touches
	chi    []int
	row    []int
	boxStr []int
	fStr   []int // strides of the box fillFrame fills (the stored frame with a sig override)
	scheme []int
	plans  []boxPlan // sig override: runs of every box in a whole frame
	frame  []T       // sig override: one whole decoded frame
	shapes map[[2]int]array.Shape
	arr    array.Dense[T]
	tile   Tile
	cdec   func(dst []T, src []byte, dark, gain []T) // corrected decoder, made on first use
	corr   *fusedCorr[T]                             // this call's fused corrections, or nil
	dk, gn []T                                       // the box's dark and gain while fused
}

func h5GetState[T elem](d *hdf5Chunked) (*h5State[T], *sync.Pool, error) {
	pool := poolFor(&d.pools, array.DTypeOf[T]())
	if st, ok := pool.Get().(*h5State[T]); ok {
		return st, pool, nil
	}
	dec, err := newDecoder[T](d.native, needsSwap(d.native, d.order), isBig(d.order))
	if err != nil {
		if e, ok := err.(*Error); ok {
			e.Path = d.path
		}
		return nil, nil, err
	}
	n, ts := d.sigDims, d.shape.SigDims()
	st := &h5State[T]{dec: dec, shapes: map[[2]int]array.Shape{},
		origin: make([]int, 1+ts), dims: make([]int, 1+ts), boxStr: make([]int, ts), fStr: make([]int, n), lo: make([]int, n), hi: make([]int, n),
		cidx: make([]int, n), clo: make([]int, n), chi: make([]int, n), row: make([]int, n)}
	maxNav := 0
	for _, s := range d.srcs {
		maxNav = max(maxNav, len(s.nav))
	}
	st.navIdx = make([]int, maxNav)
	st.cache = make([]h5cached, 0, d.cacheCap)
	st.direct = array.DTypeOf[T]() == d.native && !needsSwap(d.native, d.order)
	return st, pool, nil
}

// source returns the source holding stored frame f.
func (d *hdf5Chunked) source(f int) *h5source {
	if len(d.srcs) == 1 {
		return d.srcs[0]
	}
	i := sort.Search(len(d.srcs), func(i int) bool { return d.srcs[i].start+d.srcs[i].frames > f })
	return d.srcs[i]
}

// decoded returns the decoded bytes of chunk c of source si, from the cache or read
// and decoded now.
func (st *h5State[T]) decoded(d *hdf5Chunked, si int, s *h5source, c int) ([]byte, error) {
	st.clock++
	for i := range st.cache {
		e := &st.cache[i]
		if e.src == si && e.chunk == c {
			e.stamp = st.clock
			return e.data, nil
		}
	}
	isz := d.native.ItemSize()
	n := s.chunkLen * isz
	// pick a free slot or the least recently used one
	var e *h5cached
	if len(st.cache) < cap(st.cache) {
		st.cache = append(st.cache, h5cached{data: make([]byte, n)})
		e = &st.cache[len(st.cache)-1]
	} else {
		e = &st.cache[0]
		for i := range st.cache {
			if st.cache[i].stamp < e.stamp {
				e = &st.cache[i]
			}
		}
	}
	e.src, e.chunk, e.stamp = -1, -1, st.clock
	if cap(e.data) < n {
		e.data = make([]byte, n)
	}
	e.data = e.data[:n]
	if err := st.readChunk(d, s, c, e.data); err != nil {
		return nil, err
	}
	e.src, e.chunk = si, c
	return e.data, nil
}

// readChunk preads chunk c of source s and decodes it into out (the chunk's decoded
// size); a chunk never written reads as zeros.
func (st *h5State[T]) readChunk(d *hdf5Chunked, s *h5source, c int, out []byte) error {
	isz := d.native.ItemSize()
	ch := s.chunk(c, prodInts(s.chunkSig)*isz)
	if ch.Addr < 0 {
		clear(out)
		return nil
	}
	raw := out
	if !s.contig || int(ch.Size) != len(out) {
		if cap(st.raw) < int(ch.Size) {
			st.raw = make([]byte, ch.Size)
		}
		raw = st.raw[:ch.Size]
	}
	if _, err := s.file.ReadAt(raw, ch.Addr); err != nil {
		return &Error{Path: s.info.File, Field: s.info.Path, Detail: fmt.Sprintf("reading chunk %d (%d bytes at offset %d)", c, ch.Size, ch.Addr), Err: err}
	}
	if s.contig { // a frame of contiguous storage, read in place above
		if len(raw) != len(out) {
			return &Error{Path: s.info.File, Field: s.info.Path, Detail: fmt.Sprintf("frame %d is %d bytes, want %d", c, len(raw), len(out)), Err: ErrHeader}
		}
		return nil
	}
	if err := st.chunkD.DecodeChunkInto(out, raw, s.info.Filters, ch.Mask, isz); err != nil {
		return &Error{Path: s.info.File, Field: s.info.Path, Detail: fmt.Sprintf("chunk %d at offset %d", c, ch.Addr), Err: errors.Join(ErrHeader, err)}
	}
	return nil
}

func h5ReadTiles[T elem](ctx context.Context, d *hdf5Chunked, p Partition, req *TileRequest, fn func(t *Tile) error) error {
	k := d.syncOffset
	lo, hi, ok := d.frameRange(p, req.ROI)
	if !ok {
		return nil
	}
	st, pool, err := h5GetState[T](d)
	if err != nil {
		return err
	}
	defer pool.Put(st)
	st.corr, err = bindFused(req, d.path, d.native, needsSwap(d.native, d.order), isBig(d.order), st.dec, &st.cdec)
	if err != nil {
		return err
	}
	defer func() { st.corr, st.dk, st.gn = nil, nil, nil }()
	scheme := &req.Scheme
	depth := scheme.DepthFor(p.Len())
	sig := scheme.Sig
	n := len(sig)
	maxBox := 0
	for _, b := range scheme.Boxes {
		maxBox = max(maxBox, prodInts(b.Shape.Dims()))
	}
	if !slices.Equal(st.scheme, scheme.Shape) || len(st.plans) != len(scheme.Boxes) {
		st.scheme = slices.Clone(scheme.Shape)
		clear(st.shapes)
		st.plans = st.plans[:0]
		if d.sigOverride {
			for _, b := range scheme.Boxes {
				st.plans = append(st.plans, planBox(sig, b))
			}
		}
	}
	if d.sigOverride && len(st.frame) < d.shape.SigSize() {
		st.frame = make([]T, d.shape.SigSize())
	}
	if need := depth * maxBox; cap(st.buf) < need {
		st.buf = make([]T, need)
	}
	if cap(st.frames) < depth {
		st.frames = make([]int, 0, depth)
	}
	tile := &st.tile
	tile.Slice.Origin = st.origin
	isz := d.native.ItemSize()

	emit := func(c int) error {
		nf := len(st.frames)
		for bi := range scheme.Boxes {
			if err := ctx.Err(); err != nil {
				return err
			}
			box := scheme.Boxes[bi]
			bsize := 1
			for a := n - 1; a >= 0; a-- {
				st.boxStr[a] = bsize
				bsize *= box.Shape.Dim(a)
			}
			buf := st.buf[:nf*bsize]
			// fused: (v − dark)·gain while decoding, unless the signal shape is overridden
			st.dk, st.gn = nil, nil
			if st.corr != nil && !st.corr.patchOnly && !d.sigOverride {
				st.dk, st.gn = st.corr.dark[bi], st.corr.gain[bi]
			}
			for j, f := range st.frames {
				if d.sigOverride {
					if err := st.fillFrame(d, f, d.stored, st.frame, isz); err != nil {
						return err
					}
					bp := &st.plans[bi]
					pos := j * bsize
					for _, r := range bp.runs {
						copy(buf[pos:pos+bp.runLen], st.frame[r:r+bp.runLen])
						pos += bp.runLen
					}
					continue
				}
				if err := st.fillFrame(d, f, box, buf[j*bsize:(j+1)*bsize], isz); err != nil {
					return err
				}
				if st.corr != nil {
					repairFrame(st.corr, bi, buf[j*bsize:(j+1)*bsize])
				}
			}
			if st.corr != nil && d.sigOverride {
				correctFrames(st.corr, bi, buf, bsize)
			}
			st.origin[0] = c
			copy(st.origin[1:], box.Origin)
			st.dims[0] = nf
			for a := range n {
				st.dims[1+a] = box.Shape.Dim(a)
			}
			key := [2]int{bi, nf}
			sh, ok := st.shapes[key]
			if !ok {
				sh = array.NewShape(st.dims, n)
				st.shapes[key] = sh
			}
			tile.Slice.Shape = sh
			tile.SchemeIdx = bi
			st.arr.Rewrap(buf, st.dims...)
			tile.Data = &st.arr
			if err := fn(tile); err != nil {
				return err
			}
		}
		return nil
	}
	return eachROIBlock(req.ROI, lo, hi, k, depth, &st.frames, emit)
}

// fillFrame decodes the part of stored frame f inside box into dst (box-shaped, C
// order), chunk by chunk.
func (st *h5State[T]) fillFrame(d *hdf5Chunked, f int, box array.Slice, dst []T, isz int) error {
	s := d.source(f)
	si := slices.Index(d.srcs, s)
	lf := f - s.start
	nnav := len(s.nav)
	nav := st.navIdx[:nnav]
	for i := nnav - 1; i >= 0; i-- {
		nav[i] = lf % s.nav[i]
		lf /= s.nav[i]
	}
	// chunk grid index and element offset inside the chunk from the nav axes
	gridBase, inChunk := 0, 0
	for i := range nnav {
		gridBase += nav[i] / s.chunkNav[i] * s.gridStr[i]
		inChunk += nav[i] % s.chunkNav[i] * s.chunkStr[i]
	}
	n := len(s.chunkSig)
	for a, str := n-1, 1; a >= 0; a-- {
		st.fStr[a] = str
		str *= box.Shape.Dim(a)
	}
	// sig chunks the box touches
	for a := range n {
		o := box.Origin[a]
		st.clo[a] = o / s.chunkSig[a]
		st.chi[a] = (o + box.Shape.Dim(a) - 1) / s.chunkSig[a]
		st.cidx[a] = st.clo[a]
	}
	sigStr := s.gridStr[nnav:]
	cStr := s.chunkStr[nnav:]
	for {
		g := gridBase
		for a := range n {
			g += st.cidx[a] * sigStr[a]
		}
		// intersection of this chunk with the box; whole: the box holds all of the
		// chunk's part of the frame, full: and nothing else
		full, whole := true, true
		for a := range n {
			co := st.cidx[a] * s.chunkSig[a]
			end := min(co+s.chunkSig[a], d.stored.Shape.Dim(a))
			st.lo[a] = max(box.Origin[a], co)
			st.hi[a] = min(box.Origin[a]+box.Shape.Dim(a), end)
			whole = whole && st.lo[a] == co && st.hi[a] == end
			full = full && st.lo[a] == co && st.hi[a]-st.lo[a] == s.chunkSig[a] && st.lo[a] == box.Origin[a] && st.hi[a]-st.lo[a] == box.Shape.Dim(a)
		}
		var data []byte
		var err error
		switch {
		case whole && s.navOne && !d.sigOverride && full && st.direct && st.dk == nil:
			// no other box or frame needs this chunk, and it is exactly the box
			if err := st.readChunk(d, s, g, bytesOf(dst)); err != nil {
				return err
			}
			if st.nextChunk(n) {
				continue
			}
			return nil
		case whole && s.navOne && !d.sigOverride:
			// read once: decode into scratch instead of a cache slot
			sz := s.chunkLen * isz
			if cap(st.once) < sz {
				st.once = make([]byte, sz)
			}
			data = st.once[:sz]
			err = st.readChunk(d, s, g, data)
		default:
			data, err = st.decoded(d, si, s, g)
		}
		if err != nil {
			return err
		}
		if full { // the chunk's part of this frame is exactly the box
			sz := len(dst)
			st.decodeAt(dst, data[inChunk*isz:(inChunk+sz)*isz], 0)
		} else {
			copy(st.row, st.lo)
			runLen := st.hi[n-1] - st.lo[n-1]
			for {
				so, do := inChunk, 0
				for a := range n {
					so += (st.row[a] - st.cidx[a]*s.chunkSig[a]) * cStr[a]
					do += (st.row[a] - box.Origin[a]) * st.fStr[a]
				}
				st.decodeAt(dst[do:do+runLen], data[so*isz:(so+runLen)*isz], do)
				a := n - 2
				for ; a >= 0; a-- {
					st.row[a]++
					if st.row[a] < st.hi[a] {
						break
					}
					st.row[a] = st.lo[a]
				}
				if a < 0 {
					break
				}
			}
		}
		if !st.nextChunk(n) {
			return nil
		}
	}
}

// decodeAt decodes src into dst, elements do … of the box; while fused it computes
// (v − dark)·gain with the box's dark and gain values in the same pass.
func (st *h5State[T]) decodeAt(dst []T, src []byte, do int) {
	if st.dk == nil {
		st.dec(dst, src)
		return
	}
	st.cdec(dst, src, st.dk[do:do+len(dst)], st.gn[do:do+len(dst)])
}

// nextChunk steps st.cidx to the next sig chunk of the box (C order); false when done.
func (st *h5State[T]) nextChunk(n int) bool {
	for a := n - 1; a >= 0; a-- {
		st.cidx[a]++
		if st.cidx[a] <= st.chi[a] {
			return true
		}
		st.cidx[a] = st.clo[a]
	}
	return false
}

func init() {
	RegisterFormat(FormatSpec{
		Name:       "hdf5",
		Extensions: []string{".h5", ".hdf5", ".hdf", ".nxs"},
		Detect:     isHDF5,
		Open: func(path string, o OpenOptions) (Dataset, error) {
			return OpenHDF5(path, HDF5Options{
				DSPath: o.DSPath, SigDims: o.SigDims, NavShape: slices.Clone(o.NavShape), SigShape: slices.Clone(o.SigShape),
				SyncOffset: o.SyncOffset, NumPartitions: o.NumPartitions, MaxIOSize: o.MaxIOSize, Populate: o.Populate, IO: o.IO,
			})
		},
	})
}

// hdf5Signature is the HDF5 superblock signature, found at offset 0, 512, 1024, ...
var hdf5Signature = []byte("\x89HDF\r\n\x1a\n")

// isHDF5 reports whether path starts with the HDF5 signature (at offset 0 or 512).
func isHDF5(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	buf := make([]byte, 8)
	for _, off := range []int64{0, 512, 1024, 2048} {
		if _, err := f.ReadAt(buf, off); err != nil {
			return false
		}
		if string(buf) == string(hdf5Signature) {
			return true
		}
	}
	return false
}
