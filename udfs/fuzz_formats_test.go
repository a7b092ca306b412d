package udfs

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/udf"
)

var fuzzDTypes = []string{"<u1", "<i1", "<u2", ">u2", "<i2", "<u4", "<i4", "<u8", "<i8", "<f4", ">f4", "<f8", "<c8", "<c16", "|b1"}

// writeFuzzDataset writes a small dataset of the given format from fuzz bytes: shape
// and dtype from the first bytes, the rest as stored data (raw, npy) or as the indptr,
// indices and data files of a raw_csr triple (arbitrary, often invalid, sparse data).
// It returns the path and the options to open it with, as the command line would.
func writeFuzzDataset(dir string, format byte, b []byte) (string, string, dataset.OpenOptions) {
	at := func(i int) int {
		if i < len(b) {
			return int(b[i])
		}
		return 0
	}
	ny, nx, sy, sx := 1+at(0)%3, 1+at(1)%3, 1+at(2)%5, 1+at(3)%5
	dt := fuzzDTypes[at(4)%len(fuzzDTypes)]
	sync := at(5)%5 - 2
	rest := []byte{}
	if len(b) > 6 {
		rest = b[6:]
	}
	opts := dataset.OpenOptions{NavShape: []int{ny, nx}, SigShape: []int{sy, sx}, SyncOffset: sync}
	switch format % 3 {
	case 0: // raw
		p := filepath.Join(dir, "f.raw")
		_ = os.WriteFile(p, rest, 0o644)
		opts.DType = dt
		return "raw", p, opts
	case 1: // npy, shape in the header
		p := filepath.Join(dir, "f.npy")
		dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%d, %d, %d, %d), }", dt, ny, nx, sy, sx)
		h := dict
		for (10+len(h)+1)%64 != 0 {
			h += " "
		}
		h += "\n"
		out := append([]byte("\x93NUMPY\x01\x00"), byte(len(h)), byte(len(h)>>8))
		out = append(append(out, h...), rest...)
		_ = os.WriteFile(p, out, 0o644)
		return "npy", p, dataset.OpenOptions{SyncOffset: sync}
	}
	// raw_csr: indptr of nav+1 entries cut from the data (made non-decreasing or
	// not), indices and values from what follows
	n := ny * nx
	var indptr []byte
	acc := uint32(0)
	for i := 0; i <= n; i++ {
		if i > 0 {
			acc += uint32(at(6+i) % 4)
		}
		indptr = binary.LittleEndian.AppendUint32(indptr, acc)
	}
	var idx, val []byte
	for k := 0; k < int(acc); k++ {
		idx = binary.LittleEndian.AppendUint32(idx, uint32(at(20+2*k))*uint32(1+at(21+2*k)%3)) // may exceed sy*sx
		val = binary.LittleEndian.AppendUint32(val, uint32(at(40+k)))
	}
	_ = os.WriteFile(filepath.Join(dir, "indptr.raw"), indptr, 0o644)
	_ = os.WriteFile(filepath.Join(dir, "indices.raw"), idx, 0o644)
	_ = os.WriteFile(filepath.Join(dir, "data.raw"), val, 0o644)
	navShape := fmt.Sprintf("[%d, %d]", ny, nx+at(6)%2) // sometimes longer than indptr
	desc := fmt.Sprintf(`[params]
filetype = "raw_csr"
nav_shape = %s
sig_shape = [%d, %d]

[raw_csr]
indptr_file = "indptr.raw"
indptr_dtype = "<u4"
indices_file = "indices.raw"
indices_dtype = "<u4"
data_file = "data.raw"
data_dtype = "<u4"
`, navShape, sy, sx)
	p := filepath.Join(dir, "f.toml")
	_ = os.WriteFile(p, []byte(desc), 0o644)
	return "raw_csr", p, dataset.OpenOptions{SyncOffset: sync}
}

// FuzzBuiltinsOnFiles runs every built-in on small random raw, npy and raw_csr files
// opened as the command line opens them: each run gives a result or an error, never a
// panic (recovered by the engine as a *udf.PanicError) or a crash.
func FuzzBuiltinsOnFiles(f *testing.F) {
	f.Add(byte(0), []byte{2, 2, 3, 3, 9, 2, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13})
	f.Add(byte(1), []byte{1, 0, 4, 4, 2, 2, 200, 100, 50})
	f.Add(byte(2), []byte{2, 2, 2, 2, 0, 2, 1, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 255, 2, 7})
	f.Add(byte(2), []byte{0, 0, 0, 0, 0, 2, 0, 1, 1})
	f.Add(byte(0), []byte{1, 1, 1, 1, 12, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	mk := builtins(f)
	f.Fuzz(func(t *testing.T, format byte, b []byte) {
		if len(b) > 1<<12 {
			return
		}
		dir := t.TempDir()
		name, path, opts := writeFuzzDataset(dir, format, b)
		ds, err := dataset.Open(name, path, opts)
		if err != nil {
			if !dataset.IsDatasetError(err) {
				t.Fatalf("open %s: untyped error %T %v", name, err, err)
			}
			return
		}
		defer ds.Close()
		for un, u := range mk {
			if un == "noop" {
				continue
			}
			_, err := udf.RunOne(context.Background(), ds, u(), udf.Options{Inline: true})
			var pe *udf.PanicError
			if errors.As(err, &pe) {
				t.Fatalf("%s on %s %v %v: panic: %v\n%s", un, name, ds.Shape(), ds.DType(), pe.Value, pe.Stack)
			}
		}
	})
}
