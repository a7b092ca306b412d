package dataset

import (
	"errors"
	"io/fs"
	"os"
	"sync"
)

// mapping is an open, read-only mapped file shared by the file formats.
type mapping struct {
	mu   sync.Mutex
	data []byte
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
		return &mapping{}, 0, nil
	}
	b, err := mapFile(f, size, populate)
	if err != nil {
		return nil, size, &Error{Path: path, Detail: "mmap failed", Err: err}
	}
	return &mapping{data: b}, size, nil
}

func openErr(path string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return &Error{Path: path, Field: "path", Detail: "no such file", Err: errors.Join(ErrNotFound, err)}
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
