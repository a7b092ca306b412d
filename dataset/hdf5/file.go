package hdf5

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// File is an HDF5 file opened read-only for metadata. It is safe for concurrent use
// (calls are serialised); the data itself is read by the caller from the offsets it
// reports, without the library.
type File struct {
	lib  *library
	id   hid
	path string
}

// Open opens an HDF5 file for reading its metadata. Errors wrap ErrNoLibrary when the
// library is missing, ErrNotHDF5 when the file is not HDF5.
func Open(path string) (*File, error) {
	l, err := lib()
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	f := &File{lib: l, path: abs}
	err = l.session(func() error {
		f.id = l.fopen(abs, accRdonly, 0)
		if f.id < 0 {
			return fmt.Errorf("%w: %s: H5Fopen failed", ErrNotHDF5, path)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

// Path returns the absolute path the file was opened with.
func (f *File) Path() string { return f.path }

// Close closes the file; it is idempotent.
func (f *File) Close() error {
	return f.lib.session(func() error {
		if f.id <= 0 {
			return nil
		}
		r := f.lib.fclose(f.id)
		f.id = 0
		if r < 0 {
			return fmt.Errorf("hdf5: %s: H5Fclose failed", f.path)
		}
		return nil
	})
}

// ObjectKind is what a path in a file names.
type ObjectKind int

// Object kinds.
const (
	KindMissing ObjectKind = iota
	KindGroup
	KindDataset
	KindOther
)

// Kind returns what path names, following soft and external links (KindMissing also
// when an external link's target file cannot be opened).
func (f *File) Kind(path string) ObjectKind {
	var k ObjectKind
	_ = f.lib.session(func() error {
		k = f.kind(path)
		return nil
	})
	return k
}

func (f *File) kind(path string) ObjectKind {
	if !f.exists(path) {
		return KindMissing
	}
	o := f.lib.oopen(f.id, path, 0)
	if o < 0 {
		return KindMissing
	}
	defer f.lib.oclose(o)
	switch f.lib.iGetType(o) {
	case iGroup:
		return KindGroup
	case iDataset:
		return KindDataset
	}
	return KindOther
}

// exists checks every component of path (H5Lexists needs its parents to exist).
func (f *File) exists(path string) bool {
	p := strings.Trim(path, "/")
	if p == "" {
		return true
	}
	cur := ""
	for part := range strings.SplitSeq(p, "/") {
		cur += "/" + part
		if f.lib.lexists(f.id, cur, 0) <= 0 {
			return false
		}
	}
	return true
}

// Link describes one link of a group.
type Link struct {
	Name string
	// External is true for an external link (to an object of another file).
	External bool
	// Soft is true for a soft link (an alias by path in the same file).
	Soft bool
}

// Links returns the links of the group at path, in name order.
func (f *File) Links(path string) ([]Link, error) {
	var out []Link
	err := f.lib.session(func() error {
		var err error
		out, err = f.links(path)
		return err
	})
	return out, err
}

func (f *File) links(path string) ([]Link, error) {
	g := f.lib.oopen(f.id, path, 0)
	if g < 0 {
		return nil, fmt.Errorf("hdf5: %s: cannot open group %q", f.path, path)
	}
	defer f.lib.oclose(g)
	var gi gInfo
	if f.lib.ggetInfo(g, &gi) < 0 {
		return nil, fmt.Errorf("hdf5: %s: %q is not a group", f.path, path)
	}
	out := make([]Link, 0, gi.nlinks)
	buf := make([]byte, 1024)
	for i := range gi.nlinks {
		n := f.lib.lgetName(g, ".", 0, 0, i, &buf[0], uintptr(len(buf)), 0)
		if n < 0 {
			return nil, fmt.Errorf("hdf5: %s: cannot read link %d of %q", f.path, i, path)
		}
		if int(n) >= len(buf) {
			buf = make([]byte, n+1)
			if f.lib.lgetName(g, ".", 0, 0, i, &buf[0], uintptr(len(buf)), 0) < 0 {
				return nil, fmt.Errorf("hdf5: %s: cannot read link %d of %q", f.path, i, path)
			}
		}
		name := cstr(buf)
		var li lInfo
		l := Link{Name: name}
		if f.lib.lgetInfo(g, name, &li, 0) >= 0 {
			l.External = li.typ == lTypeExternal
			l.Soft = li.typ == lTypeSoft
		}
		out = append(out, l)
	}
	return out, nil
}

// Walk returns the paths of every dataset reachable from the root, following hard and
// external links (soft links are skipped: they alias objects found elsewhere), in
// depth-first name order. Objects that cannot be opened (an external link to a missing
// file) are skipped.
func (f *File) Walk() ([]string, error) {
	var out []string
	err := f.lib.session(func() error {
		return f.walk("/", 0, &out)
	})
	return out, err
}

func (f *File) walk(path string, depth int, out *[]string) error {
	if depth > 32 {
		return nil
	}
	links, err := f.links(path)
	if err != nil {
		return err
	}
	for _, l := range links {
		if l.Soft {
			continue
		}
		p := strings.TrimSuffix(path, "/") + "/" + l.Name
		switch f.kind(p) {
		case KindGroup:
			if err := f.walk(p, depth+1, out); err != nil {
				return err
			}
		case KindDataset:
			*out = append(*out, p)
		}
	}
	return nil
}

// Layout is a dataset's storage layout.
type Layout int

// Storage layouts.
const (
	LayoutCompact Layout = iota
	LayoutContiguous
	LayoutChunked
	LayoutVirtual
)

// String returns "compact", "contiguous", "chunked" or "virtual".
func (l Layout) String() string {
	switch l {
	case LayoutCompact:
		return "compact"
	case LayoutContiguous:
		return "contiguous"
	case LayoutChunked:
		return "chunked"
	case LayoutVirtual:
		return "virtual"
	}
	return fmt.Sprintf("Layout(%d)", int(l))
}

// Chunk is one entry of a chunked dataset's index.
type Chunk struct {
	// Addr is the chunk's byte offset in the file, or -1 when the chunk was never
	// written (it reads as the fill value, zero).
	Addr int64
	// Size is the stored (filtered) size in bytes.
	Size uint32
	// Mask has bit i set when filter i was skipped for this chunk.
	Mask uint32
}

// Info is a dataset's metadata.
type Info struct {
	// Path is the dataset's path in the file it was opened from.
	Path string
	// File is the absolute path of the file holding the dataset's data (another file
	// when Path crosses an external link).
	File string
	// Shape is the dataset's extents.
	Shape []int
	// Type is the element type.
	Type Type
	// Layout is the storage layout.
	Layout Layout
	// Chunk is the chunk shape (chunked layout only).
	Chunk []int
	// Filters is the filter pipeline, in the order applied when writing.
	Filters []Filter
	// Offset is the file offset of contiguous data (-1 when not allocated).
	Offset int64
	// StorageSize is the number of bytes the data takes in the file.
	StorageSize int64
	// Chunks is the chunk index of a chunked dataset (when requested), C order over
	// the grid of chunks (ceil(Shape[i]/Chunk[i]) along axis i).
	Chunks []Chunk
	// Index says how Chunks was read: IndexFromFile or IndexFromLibrary.
	Index string
}

// How a chunk index was read (Info.Index).
const (
	// IndexFromFile: the version 1 B-tree walked from the file's bytes.
	IndexFromFile = "B-tree read from the file"
	// IndexFromLibrary: one library lookup per chunk (other index kinds).
	IndexFromLibrary = "library lookup per chunk"
)

// ChunkGrid returns the number of chunks along each axis.
func (in *Info) ChunkGrid() []int {
	g := make([]int, len(in.Shape))
	for i := range g {
		g[i] = (in.Shape[i] + in.Chunk[i] - 1) / in.Chunk[i]
	}
	return g
}

// Dataset returns the metadata of the dataset at path; with index true it also reads
// the chunk index (one library call per chunk).
func (f *File) Dataset(path string, index bool) (*Info, error) {
	var in *Info
	err := f.lib.session(func() error {
		var err error
		in, err = f.dataset(path, index)
		return err
	})
	return in, err
}

func (f *File) dataset(path string, index bool) (*Info, error) {
	l := f.lib
	if k := f.kind(path); k != KindDataset {
		what := "does not exist (or is an external link to a missing file)"
		if k == KindGroup {
			what = "is a group, not a dataset"
		} else if k == KindOther {
			what = "is not a dataset"
		}
		return nil, fmt.Errorf("%w: %s: %q %s", ErrNotDataset, f.path, path, what)
	}
	d := l.dopen(f.id, path, 0)
	if d < 0 {
		return nil, fmt.Errorf("%w: %s: cannot open dataset %q", ErrNotDataset, f.path, path)
	}
	defer l.dclose(d)
	in := &Info{Path: path, File: f.path, Offset: -1}
	if fid := l.iGetFileID(d); fid >= 0 {
		buf := make([]byte, 4096)
		if n := l.fgetName(fid, &buf[0], uintptr(len(buf))); n > 0 {
			name := cstr(buf)
			if !filepath.IsAbs(name) {
				if a, err := filepath.Abs(name); err == nil {
					name = a
				}
			}
			in.File = name
		}
		l.fclose(fid)
	}
	sp := l.dgetSpace(d)
	if sp < 0 {
		return nil, fmt.Errorf("%w: %s: %q: cannot read the dataspace", ErrNotDataset, f.path, path)
	}
	nd := l.sgetNdims(sp)
	if nd < 0 || nd > 32 {
		l.sclose(sp)
		return nil, fmt.Errorf("%w: %s: %q: rank %d", ErrNotDataset, f.path, path, nd)
	}
	dims := make([]hsize, max(nd, 1))
	l.sgetDims(sp, &dims[0], nil)
	l.sclose(sp)
	in.Shape = make([]int, nd)
	for i := range in.Shape {
		in.Shape[i] = int(dims[i])
	}
	t := l.dgetType(d)
	typ, terr := l.typeOf(t)
	l.tclose(t)
	in.Type = typ
	p := l.dgetPlist(d)
	if p < 0 {
		return nil, fmt.Errorf("%w: %s: %q: cannot read the creation properties", ErrNotDataset, f.path, path)
	}
	defer l.pclose(p)
	in.Layout = Layout(l.pgetLayout(p))
	if l.pgetExtCnt(p) > 0 {
		return nil, fmt.Errorf("%w: %s: %q stores its data in external raw files, which is not supported", ErrLayout, f.path, path)
	}
	in.StorageSize = int64(l.dgetStSize(d))
	nf := l.pgetNfilt(p)
	for i := range max(nf, 0) {
		var flags, config uint32
		cd := make([]uint32, 32)
		n := uintptr(len(cd))
		name := make([]byte, 256)
		id := l.pgetFilter(p, uint32(i), &flags, &n, &cd[0], uintptr(len(name)), &name[0], &config)
		if id < 0 {
			return nil, fmt.Errorf("%w: %s: %q: cannot read filter %d", ErrFilter, f.path, path, i)
		}
		in.Filters = append(in.Filters, Filter{ID: int(id), Name: cstr(name), Params: slices.Clone(cd[:min(int(n), len(cd))])})
	}
	switch in.Layout {
	case LayoutContiguous:
		if a := l.dgetOffset(d); a != haddrUndef {
			in.Offset = int64(a)
		}
	case LayoutChunked:
		cd := make([]hsize, max(nd, 1))
		if l.pgetChunk(p, nd, &cd[0]) != nd {
			return nil, fmt.Errorf("%w: %s: %q: cannot read the chunk shape", ErrLayout, f.path, path)
		}
		in.Chunk = make([]int, nd)
		for i := range in.Chunk {
			in.Chunk[i] = int(cd[i])
			if in.Chunk[i] <= 0 {
				return nil, fmt.Errorf("%w: %s: %q: chunk shape %v", ErrLayout, f.path, path, cd)
			}
		}
		if index {
			base := fileBase(in.File)
			if l.indexFromFile(d, in, base) {
				in.Index = IndexFromFile
			} else if err := l.indexChunks(d, in, base); err != nil {
				return nil, fmt.Errorf("%s: %q: %w", f.path, path, err)
			} else {
				in.Index = IndexFromLibrary
			}
		}
	}
	if terr != nil {
		return in, fmt.Errorf("%s: %q: %w", f.path, path, terr)
	}
	return in, nil
}

// fileBase returns the file offset that the addresses of the file at path are relative
// to: the superblock's place, after a user block (0 when it cannot be read).
func fileBase(path string) int64 {
	fh, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return 0
	}
	g, err := readSuperblock(fh, st.Size())
	if err != nil {
		return 0
	}
	return g.base
}

// indexFromFile reads the chunk index from the file when it is a version 1 B-tree, and
// checks the first, middle and last chunks against the library's lookup (whose
// addresses are relative to base); false (Chunks left nil) when it cannot or they
// differ, for the caller to use indexChunks.
func (l *library) indexFromFile(d hid, in *Info, base int64) bool {
	if l.oGetInfo == nil {
		return false
	}
	var oi oInfo
	if l.oGetInfo(d, &oi, oInfoBasic) < 0 || oi.addr == haddrUndef {
		return false
	}
	fh, err := os.Open(in.File)
	if err != nil {
		return false
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return false
	}
	grid := in.ChunkGrid()
	n := 1
	for _, g := range grid {
		n *= g
	}
	chunks := make([]Chunk, n)
	if err := readChunkIndex(fh, st.Size(), oi.addr, in.Chunk, grid, chunks); err != nil {
		return false
	}
	for _, c := range []int{0, n / 2, n - 1} {
		want, err := l.chunkAt(d, in, grid, c, base)
		if err != nil || want != chunks[c] {
			return false
		}
	}
	in.Chunks = chunks
	return true
}

// chunkAt looks chunk c (C order over grid) up in the library; base is added to its
// address.
func (l *library) chunkAt(d hid, in *Info, grid []int, c int, base int64) (Chunk, error) {
	nd := len(grid)
	off := make([]hsize, max(nd, 1))
	for i := nd - 1; i >= 0; i-- {
		off[i] = hsize(c % grid[i] * in.Chunk[i])
		c /= grid[i]
	}
	var mask uint32
	var addr haddr
	var size hsize
	if l.dchunkInfo(d, &off[0], &mask, &addr, &size) < 0 {
		return Chunk{}, fmt.Errorf("%w: cannot look up the chunk at %v", ErrLayout, off)
	}
	ch := Chunk{Addr: -1, Size: uint32(size), Mask: mask}
	if addr != haddrUndef && size > 0 {
		ch.Addr = int64(addr) + base
	}
	return ch, nil
}

// indexChunks looks every chunk of the grid up by its coordinates; base (the file's
// user block size) is added to the library's addresses, which are relative to it.
func (l *library) indexChunks(d hid, in *Info, base int64) error {
	grid := in.ChunkGrid()
	n := 1
	for _, g := range grid {
		n *= g
	}
	in.Chunks = make([]Chunk, n)
	nd := len(grid)
	idx := make([]int, nd)
	off := make([]hsize, max(nd, 1))
	for c := range n {
		for i := range nd {
			off[i] = hsize(idx[i] * in.Chunk[i])
		}
		var mask uint32
		var addr haddr
		var size hsize
		if l.dchunkInfo(d, &off[0], &mask, &addr, &size) < 0 {
			return fmt.Errorf("%w: cannot look up the chunk at %v", ErrLayout, off)
		}
		ch := Chunk{Addr: -1, Size: uint32(size), Mask: mask}
		if addr != haddrUndef && size > 0 {
			ch.Addr = int64(addr) + base
		}
		in.Chunks[c] = ch
		for i := nd - 1; i >= 0; i-- {
			idx[i]++
			if idx[i] < grid[i] {
				break
			}
			idx[i] = 0
		}
	}
	return nil
}

// typeOf describes an HDF5 datatype.
func (l *library) typeOf(t hid) (Type, error) {
	if t < 0 {
		return Type{}, fmt.Errorf("%w: cannot read the datatype", ErrType)
	}
	size := int(l.tgetSize(t))
	switch c := l.tgetClass(t); c {
	case tInteger:
		k := KindUint
		if l.tgetSign(t) == 1 {
			k = KindInt
		}
		return Type{Kind: k, Size: size, BigEndian: l.tgetOrder(t) == 1}, nil
	case tFloat:
		return Type{Kind: KindFloat, Size: size, BigEndian: l.tgetOrder(t) == 1}, nil
	case tEnum:
		if size == 1 && l.tgetNmemb(t) == 2 { // h5py's bool
			return Type{Kind: KindBool, Size: 1}, nil
		}
		return Type{Size: size}, fmt.Errorf("%w: enum of %d bytes (only h5py's bool enum is read)", ErrType, size)
	case tCompound:
		if l.tgetNmemb(t) == 2 {
			r, i := l.tgetMType(t, 0), l.tgetMType(t, 1)
			defer l.tclose(r)
			defer l.tclose(i)
			if l.tgetClass(r) == tFloat && l.tgetClass(i) == tFloat && int(l.tgetSize(r))*2 == size &&
				int(l.tgetSize(i))*2 == size && l.tgetMOff(t, 0) == 0 && int(l.tgetMOff(t, 1)) == size/2 &&
				l.tgetOrder(r) == l.tgetOrder(i) {
				return Type{Kind: KindComplex, Size: size, BigEndian: l.tgetOrder(r) == 1}, nil
			}
		}
		return Type{Size: size}, fmt.Errorf("%w: compound type of %d bytes (only complex numbers as two floats are read)", ErrType, size)
	default:
		return Type{Size: size}, fmt.Errorf("%w: datatype class %d is not numeric", ErrType, c)
	}
}

// ReadInt reads a scalar (or one-element) integer or float dataset as int64, for
// metadata such as a detector's image count.
func (f *File) ReadInt(path string) (int64, error) {
	var v int64
	err := f.lib.session(func() error {
		in, err := f.dataset(path, false)
		if err != nil {
			return err
		}
		n := 1
		for _, s := range in.Shape {
			n *= s
		}
		if n != 1 {
			return fmt.Errorf("%w: %s: %q has %d elements, want a scalar", ErrType, f.path, path, n)
		}
		d := f.lib.dopen(f.id, path, 0)
		if d < 0 {
			return fmt.Errorf("%w: %s: cannot open %q", ErrNotDataset, f.path, path)
		}
		defer f.lib.dclose(d)
		if in.Type.Kind == KindFloat {
			var x float64
			if f.lib.dread(d, f.lib.types["NATIVE_DOUBLE"], 0, 0, 0, ptr(&x)) < 0 {
				return fmt.Errorf("%w: %s: cannot read %q", ErrType, f.path, path)
			}
			v = int64(x)
			return nil
		}
		if f.lib.dread(d, f.lib.types["NATIVE_INT64"], 0, 0, 0, ptr(&v)) < 0 {
			return fmt.Errorf("%w: %s: cannot read %q as an integer", ErrType, f.path, path)
		}
		return nil
	})
	return v, err
}

// ReadAll reads a whole dataset (compact or small ones) into dst, which must hold
// exactly its elements in the native type of t (Type.Size bytes each, host order).
func (f *File) ReadAll(path string, dst []byte) error {
	return f.lib.session(func() error {
		in, err := f.dataset(path, false)
		if err != nil {
			return err
		}
		n := in.Type.Size
		for _, s := range in.Shape {
			n *= s
		}
		if n != len(dst) {
			return fmt.Errorf("hdf5: %s: %q holds %d bytes, the buffer %d", f.path, path, n, len(dst))
		}
		mt, err := f.lib.memType(in.Type)
		if err != nil {
			return err
		}
		defer f.lib.tclose(mt)
		d := f.lib.dopen(f.id, path, 0)
		if d < 0 {
			return fmt.Errorf("%w: %s: cannot open %q", ErrNotDataset, f.path, path)
		}
		defer f.lib.dclose(d)
		if n == 0 {
			return nil
		}
		if f.lib.dread(d, mt, 0, 0, 0, ptr(&dst[0])) < 0 {
			return fmt.Errorf("hdf5: %s: H5Dread of %q failed", f.path, path)
		}
		return nil
	})
}
