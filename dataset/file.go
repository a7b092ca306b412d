package dataset

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"runtime"
	"sync"
)

// mapping is an open, read-only mapped file shared by the file formats.
type mapping struct {
	mu   sync.Mutex
	data []byte
	path string
	size int64 // file size at open
}

// openMapped opens path, checks it holds at least need bytes (field names the option
// that sets the need) and maps it.
func openMapped(path, field string, need int64, populate bool) (*mapping, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, openErr(path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, 0, &Error{Path: path, Detail: "stat failed", Err: err}
	}
	if st.IsDir() {
		return nil, 0, newErr(path, "path", ErrNotFound, "is a directory, not a file")
	}
	size := st.Size()
	if size < need {
		return nil, size, &ShortFileError{Path: path, Field: field, Need: need, Have: size}
	}
	if size == 0 {
		return &mapping{path: path}, 0, nil
	}
	b, err := mapFile(f, size, populate)
	if err != nil {
		return nil, size, &Error{Path: path, Detail: "mmap failed", Err: err}
	}
	return &mapping{data: b, path: path, size: size}, size, nil
}

// IO methods for file formats.
const (
	// IOMmap maps the file read-only; native reads of whole frames are zero-copy.
	IOMmap = "mmap"
	// IORead reads tiles with pread into reused buffers: every read copies, so
	// negotiation caps tiles at the I/O size, but no page tables are set up (cheaper for
	// a one-shot pass over a file that needs decoding anyway).
	IORead = "pread"
	// IOAuto chooses one of the two (and whether to populate a mapping) per file at
	// open, by the rule of ChooseIO.
	IOAuto = "auto"
)

// storage is an opened file: either mapped (data) or kept open for pread (file).
type storage struct {
	data    []byte
	file    *os.File
	size    int64
	release func() error
	io      string
}

// openStorage opens path for the given I/O method ("" = IOMmap), checking it holds at
// least need bytes.
func openStorage(path, field string, need int64, method string, populate bool) (*storage, error) {
	if method == IOAuto {
		method, populate = ChooseIO(0)
	}
	switch method {
	case "", IOMmap:
		m, size, err := openMapped(path, field, need, populate)
		if err != nil {
			return nil, err
		}
		return &storage{data: m.data, size: size, release: m.close, io: ioKind}, nil
	case IORead:
	default:
		return nil, newErr(path, "io", ErrOption, "unknown I/O method %q (want %q, %q or %q)", method, IOMmap, IORead, IOAuto)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, openErr(path, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, &Error{Path: path, Detail: "stat failed", Err: err}
	}
	if st.IsDir() {
		f.Close()
		return nil, newErr(path, "path", ErrNotFound, "is a directory, not a file")
	}
	if st.Size() < need {
		f.Close()
		return nil, &ShortFileError{Path: path, Field: field, Need: need, Have: st.Size()}
	}
	return &storage{file: f, size: st.Size(), release: f.Close, io: IORead}, nil
}

func openErr(path string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		// one line: ErrNotFound and the *fs.PathError both match, the message says it once
		return &Error{Path: path, Field: "path", Detail: "no such file", Err: notFound{err}}
	}
	return &Error{Path: path, Field: "path", Detail: "cannot open", Err: err}
}

func (m *mapping) close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.data == nil {
		return nil
	}
	err := unmapFile(m.data)
	m.data = nil
	return err
}

// ioMmapMinCPUs is the CPU count from which IOAuto maps files: see ChooseIO.
const ioMmapMinCPUs = 8

// ChooseIO is the rule of IOAuto: the I/O method (and whether to populate a mapping)
// for one pass over a file in the page cache by cpus goroutines (0 = GOMAXPROCS).
//
// The first pass over a freshly mapped file pays a page fault per few pages; faults
// run in parallel on every core that reads, while pread's copy is bound by one
// machine's memory bandwidth. Measured, whole process, 256 MiB float32 file: on 2
// cores mmap's first pass ran at 2.2 GB/s, pread at 4.1, MAP_POPULATE at 4.6 (and
// pread won for StdDev, 0.65 s against 1.2 s for mmap, populate in between); on 16
// cores mmap reached 52 GB/s and pread 21. So: pread below 8 CPUs, mmap (no
// populate: it is serial, at open) from 8. Repeated passes over one opened dataset
// (the Go API) keep their mapping and want IOMmap, the default of Open.
func ChooseIO(cpus int) (method string, populate bool) {
	if cpus <= 0 {
		cpus = runtime.GOMAXPROCS(0)
	}
	if cpus >= ioMmapMinCPUs {
		return IOMmap, false
	}
	return IORead, false
}

// notFound wraps the operating system's error for a missing file so that it matches
// both ErrNotFound and fs.ErrNotExist, formatted on one line as ErrNotFound's text.
type notFound struct{ cause error }

func (e notFound) Error() string   { return ErrNotFound.Error() }
func (e notFound) Unwrap() []error { return []error{ErrNotFound, e.cause} }

// readPrefix returns the first min(size, limit) bytes of the file at path (a header to
// parse) and the file's size.
func readPrefix(path string, limit int64) ([]byte, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, openErr(path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, 0, &Error{Path: path, Detail: "stat failed", Err: err}
	}
	b := make([]byte, min(st.Size(), limit))
	if _, err := f.ReadAt(b, 0); err != nil && err != io.EOF {
		return nil, 0, &Error{Path: path, Field: "header", Detail: "read failed", Err: err}
	}
	return b, st.Size(), nil
}
