package hdf5

import (
	"errors"
	"runtime"
	"sync"
	"unsafe"
)

// The C types of the HDF5 1.10+ API as purego sees them.
type (
	hid     = int64
	herr    = int32
	hsize   = uint64
	haddr   = uint64
	cstring = string
)

const (
	haddrUndef = ^uint64(0)

	accRdonly = 0
	accTrunc  = 2

	iGroup   = 2
	iDataset = 5

	tInteger  = 0
	tFloat    = 1
	tCompound = 6
	tEnum     = 8

	dCompact    = 0
	dContiguous = 1
	dChunked    = 2
	dVirtual    = 3

	lTypeHard     = 0
	lTypeSoft     = 1
	lTypeExternal = 64
)

// gInfo is H5G_info_t.
type gInfo struct {
	_      int32 // storage_type
	_      int32
	nlinks uint64
	_      int64   // max_corder
	_      [8]byte // mounted
}

// lInfo is H5L_info_t (1.10): type, corder_valid, corder, cset, union{address, val_size}.
type lInfo struct {
	typ int32
	_   [4]byte // corder_valid
	_   int64   // corder
	_   int32   // cset
	_   int32
	_   uint64 // address or val_size
}

// oInfo is H5O_info_t of 1.10 (H5O_info1_t of 1.12+) as far as the address, with room
// for the rest of the struct.
type oInfo struct {
	_    uint64 // fileno
	addr haddr
	_    [64]uint64
}

// oInfoBasic is H5O_INFO_BASIC: fileno, addr, type, rc.
const oInfoBasic = 1

// library holds the bound functions of libhdf5.
type library struct {
	path string
	mu   sync.Mutex // one session at a time (the library has its own global lock too)

	open       func() herr
	esetAuto   func(estack hid, fn, data uintptr) herr
	fopen      func(name cstring, flags uint32, fapl hid) hid
	fcreate    func(name cstring, flags uint32, fcpl, fapl hid) hid
	fclose     func(id hid) herr
	fgetName   func(obj hid, buf *byte, size uintptr) int64
	iGetFileID func(obj hid) hid
	iGetType   func(id hid) int32
	oopen      func(loc hid, name cstring, lapl hid) hid
	oclose     func(id hid) herr
	ggetInfo   func(loc hid, info *gInfo) herr
	gcreate    func(loc hid, name cstring, lcpl, gcpl, gapl hid) hid
	gclose     func(id hid) herr
	lgetName   func(loc hid, group cstring, idxType, order int32, n hsize, name *byte, size uintptr, lapl hid) int64
	lexists    func(loc hid, name cstring, lapl hid) int32
	lgetInfo   func(loc hid, name cstring, info *lInfo, lapl hid) herr
	lcreateExt func(file, obj cstring, loc hid, name cstring, lcpl, lapl hid) herr
	dopen      func(loc hid, name cstring, dapl hid) hid
	dclose     func(id hid) herr
	dcreate    func(loc hid, name cstring, typ, space, lcpl, dcpl, dapl hid) hid
	dgetSpace  func(id hid) hid
	dgetType   func(id hid) hid
	dgetPlist  func(id hid) hid
	dgetOffset func(id hid) haddr
	dgetStSize func(id hid) hsize
	dread      func(id, mtype, mspace, fspace, xfer hid, buf unsafe.Pointer) herr
	dwrite     func(id, mtype, mspace, fspace, xfer hid, buf unsafe.Pointer) herr
	dchunkInfo func(id hid, offset *hsize, mask *uint32, addr *haddr, size *hsize) herr
	oGetInfo   func(obj hid, info *oInfo, fields uint32) herr // nil when missing
	sgetNdims  func(id hid) int32
	sgetDims   func(id hid, dims, maxdims *hsize) int32
	screate    func(rank int32, dims, maxdims *hsize) hid
	sclose     func(id hid) herr
	tgetClass  func(id hid) int32
	tgetSize   func(id hid) uintptr
	tgetSign   func(id hid) int32
	tgetOrder  func(id hid) int32
	tgetNmemb  func(id hid) int32
	tgetMType  func(id hid, idx uint32) hid
	tgetMOff   func(id hid, idx uint32) uintptr
	tcreate    func(class int32, size uintptr) hid
	tinsert    func(id hid, name cstring, off uintptr, member hid) herr
	tcopy      func(id hid) hid
	tsetOrder  func(id hid, order int32) herr
	tclose     func(id hid) herr
	pcreate    func(cls hid) hid
	pclose     func(id hid) herr
	pgetLayout func(id hid) int32
	pgetChunk  func(id hid, maxNdims int32, dims *hsize) int32
	pgetNfilt  func(id hid) int32
	pgetFilter func(id hid, idx uint32, flags *uint32, nelmts *uintptr, cd *uint32, namelen uintptr, name *byte, config *uint32) int32
	pgetExtCnt func(id hid) int32
	psetChunk  func(id hid, ndims int32, dims *hsize) herr
	psetDefl   func(id hid, level uint32) herr
	psetShuf   func(id hid) herr
	psetFlet   func(id hid) herr
	psetFilter func(id hid, filter int32, flags uint32, nelmts uintptr, cd *uint32) herr
	psetLayout func(id hid, layout int32) herr
	psetLibver func(id hid, low, high int32) herr
	psetUblock func(id hid, size hsize) herr

	dcplClass hid // H5P_CLS_DATASET_CREATE_ID_g
	faplClass hid // H5P_CLS_FILE_ACCESS_ID_g
	fcplClass hid // H5P_CLS_FILE_CREATE_ID_g
	types     map[string]hid
}

var (
	libOnce sync.Once
	libVal  *library
	libErr  error
)

// ErrNoLibrary is wrapped by the error of Open and Create when the HDF5 C library could
// not be loaded; its message names the package to install.
var ErrNoLibrary = errors.New("hdf5: the HDF5 library (libhdf5) is not installed; install it with `apt-get install libhdf5-103-1` (Debian/Ubuntu; `bitshuffle` and `hdf5-filter-plugin` add the plugins h5py needs to write bitshuffle/LZ4 files), `brew install hdf5` (macOS), or set STEMFLOW_HDF5 to the library's path")

// lib returns the loaded library, loading it on first use.
func lib() (*library, error) {
	libOnce.Do(func() { libVal, libErr = load() })
	return libVal, libErr
}

// Available reports whether the HDF5 library can be loaded; err says why not.
func Available() (path string, err error) {
	l, err := lib()
	if err != nil {
		return "", err
	}
	return l.path, nil
}

// session runs fn with the library locked to one OS thread, automatic error printing
// off (the library's error settings are per thread).
func (l *library) session(fn func() error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	l.esetAuto(0, 0, 0)
	return fn()
}

// cbuf returns a NUL-terminated buffer's string.
func cstr(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
