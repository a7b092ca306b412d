package hdf5

import (
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
)

// Writer creates an HDF5 file through the library: groups, datasets (contiguous or
// chunked, with filters, in either byte order) and external links. It exists to make
// test files and small fixtures; stemflow reads with File.
type Writer struct {
	lib  *library
	id   hid
	path string
}

// Create creates (truncates) an HDF5 file for writing.
func Create(path string) (*Writer, error) {
	return create(path, -1, 0)
}

// create creates a file whose object formats are those of library version libver
// (H5F_libver_t: 1 = 1.8, 2 = 1.10) at least and at most, or the defaults for -1, with
// a user block of userblock bytes (0, or a power of 2 from 512) before the superblock.
func create(path string, libver int32, userblock int) (*Writer, error) {
	l, err := lib()
	if err != nil {
		return nil, err
	}
	w := &Writer{lib: l, path: path}
	err = l.session(func() error {
		var fapl hid
		if libver >= 0 {
			fapl = l.pcreate(l.faplClass)
			defer l.pclose(fapl)
			if l.psetLibver(fapl, libver, libver) < 0 {
				return fmt.Errorf("hdf5: %s: H5Pset_libver_bounds(%d) failed", path, libver)
			}
		}
		var fcpl hid
		if userblock > 0 {
			fcpl = l.pcreate(l.fcplClass)
			defer l.pclose(fcpl)
			if l.psetUblock(fcpl, hsize(userblock)) < 0 {
				return fmt.Errorf("hdf5: %s: H5Pset_userblock(%d) failed", path, userblock)
			}
		}
		w.id = l.fcreate(path, accTrunc, fcpl, fapl)
		if w.id < 0 {
			return fmt.Errorf("hdf5: %s: H5Fcreate failed", path)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// Close flushes and closes the file.
func (w *Writer) Close() error {
	return w.lib.session(func() error {
		if w.id <= 0 {
			return nil
		}
		r := w.lib.fclose(w.id)
		w.id = 0
		if r < 0 {
			return fmt.Errorf("hdf5: %s: H5Fclose failed", w.path)
		}
		return nil
	})
}

// Group creates the group at path and any missing parents.
func (w *Writer) Group(path string) error {
	return w.lib.session(func() error { return w.group(path) })
}

func (w *Writer) group(path string) error {
	cur := ""
	for part := range strings.SplitSeq(strings.Trim(path, "/"), "/") {
		if part == "" {
			continue
		}
		cur += "/" + part
		if w.lib.lexists(w.id, cur, 0) > 0 {
			continue
		}
		g := w.lib.gcreate(w.id, cur, 0, 0, 0)
		if g < 0 {
			return fmt.Errorf("hdf5: %s: cannot create group %q", w.path, cur)
		}
		w.lib.gclose(g)
	}
	return nil
}

// DatasetSpec says how to store a dataset.
type DatasetSpec struct {
	// Shape is the dataset's extents.
	Shape []int
	// Type is the stored element type (byte order included).
	Type Type
	// Chunk is the chunk shape; nil stores the data contiguously.
	Chunk []int
	// Filters is the filter pipeline (chunked only), in the order to apply. A filter
	// not built into the library needs its plugin installed. Params are the values
	// the filter takes from the user (for bitshuffle: block size, compression).
	Filters []Filter
}

// Dataset writes a dataset at path (parents are created): data holds every element in
// host byte order (Type.Size bytes each), which the library converts to the stored order.
func (w *Writer) Dataset(path string, spec DatasetSpec, data []byte) error {
	n := spec.Type.Size
	for _, s := range spec.Shape {
		n *= s
	}
	if n != len(data) {
		return fmt.Errorf("hdf5: %s: %q: shape %v of %v needs %d bytes, got %d", w.path, path, spec.Shape, spec.Type, n, len(data))
	}
	return w.lib.session(func() error {
		l := w.lib
		if dir := filepath.Dir(path); dir != "/" && dir != "." {
			if err := w.group(dir); err != nil {
				return err
			}
		}
		dims := make([]hsize, max(len(spec.Shape), 1))
		for i, s := range spec.Shape {
			dims[i] = hsize(s)
		}
		sp := l.screate(int32(len(spec.Shape)), &dims[0], nil)
		if sp < 0 {
			return fmt.Errorf("hdf5: %s: %q: cannot create a dataspace of %v", w.path, path, spec.Shape)
		}
		defer l.sclose(sp)
		ft, err := l.fileType(spec.Type)
		if err != nil {
			return err
		}
		defer l.tclose(ft)
		mt, err := l.memType(spec.Type)
		if err != nil {
			return err
		}
		defer l.tclose(mt)
		p := l.pcreate(l.dcplClass)
		defer l.pclose(p)
		if spec.Chunk != nil {
			cd := make([]hsize, len(spec.Chunk))
			for i, c := range spec.Chunk {
				cd[i] = hsize(c)
			}
			if l.psetChunk(p, int32(len(cd)), &cd[0]) < 0 {
				return fmt.Errorf("hdf5: %s: %q: bad chunk shape %v", w.path, path, spec.Chunk)
			}
			for _, f := range spec.Filters {
				var r herr
				switch f.ID {
				case FilterDeflate:
					r = l.psetDefl(p, f.param(0, 4))
				case FilterShuffle:
					r = l.psetShuf(p)
				case FilterFletcher32:
					r = l.psetFlet(p)
				default:
					var cd *uint32
					if len(f.Params) > 0 {
						cd = &f.Params[0]
					}
					r = l.psetFilter(p, int32(f.ID), 1, uintptr(len(f.Params)), cd) // optional: chunks it cannot shrink are stored raw
					runtime.KeepAlive(f.Params)
				}
				if r < 0 {
					return fmt.Errorf("%w: %s: %q: cannot set %v (plugin missing?)", ErrFilter, w.path, path, f)
				}
			}
		} else {
			l.psetLayout(p, dContiguous)
		}
		d := l.dcreate(w.id, path, ft, sp, 0, p, 0)
		if d < 0 {
			return fmt.Errorf("hdf5: %s: cannot create dataset %q (a filter plugin missing?)", w.path, path)
		}
		if len(data) > 0 && l.dwrite(d, mt, 0, 0, 0, ptr(&data[0])) < 0 {
			l.dclose(d)
			return fmt.Errorf("hdf5: %s: writing %q failed (a filter plugin missing?)", w.path, path)
		}
		if l.dclose(d) < 0 { // chunks are flushed here
			return fmt.Errorf("hdf5: %s: writing %q failed while flushing its chunks", w.path, path)
		}
		return nil
	})
}

// ExternalLink makes path (parents are created) an external link to the object
// target of file targetFile (a path relative to this file's folder, or absolute).
func (w *Writer) ExternalLink(path, targetFile, target string) error {
	return w.lib.session(func() error {
		if dir := filepath.Dir(path); dir != "/" && dir != "." {
			if err := w.group(dir); err != nil {
				return err
			}
		}
		if w.lib.lcreateExt(targetFile, target, w.id, path, 0, 0) < 0 {
			return fmt.Errorf("hdf5: %s: cannot create the external link %q", w.path, path)
		}
		return nil
	})
}
