package hdf5

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzChunkIndex feeds mutated bytes of a small file (two datasets written by the
// library, object headers of versions 1 and 2) to the chunk index reader: it must
// return an error or an index, never panic or hang.
func FuzzChunkIndex(f *testing.F) {
	if _, err := Available(); err != nil {
		f.Skip(err)
	}
	type seed struct {
		ohdr        uint64
		chunk, grid []int
	}
	var seeds []seed
	for _, libver := range []int32{-1, 1} {
		path := filepath.Join(f.TempDir(), "f.h5")
		w, err := create(path, libver, 0)
		if err != nil {
			f.Fatal(err)
		}
		spec := DatasetSpec{Shape: []int{70, 3, 2}, Type: Type{Kind: KindUint, Size: 2}, Chunk: []int{1, 3, 2}}
		if err := w.Dataset("/d", spec, u16s(70*3*2)); err != nil {
			f.Fatal(err)
		}
		if err := w.Close(); err != nil {
			f.Fatal(err)
		}
		file, err := Open(path)
		if err != nil {
			f.Fatal(err)
		}
		var s seed
		err = file.lib.session(func() error {
			d := file.lib.dopen(file.id, "/d", 0)
			defer file.lib.dclose(d)
			var oi oInfo
			file.lib.oGetInfo(d, &oi, oInfoBasic)
			s.ohdr = oi.addr
			return nil
		})
		file.Close()
		if err != nil || file.lib.oGetInfo == nil {
			f.Skip("no H5Oget_info2")
		}
		s.chunk, s.grid = spec.Chunk, []int{70, 1, 1}
		seeds = append(seeds, s)
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint8(len(seeds)-1))
	}
	f.Fuzz(func(t *testing.T, b []byte, which uint8) {
		s := seeds[int(which)%len(seeds)]
		chunks := make([]Chunk, 70)
		_ = readChunkIndex(bytes.NewReader(b), int64(len(b)), s.ohdr, s.chunk, s.grid, chunks)
	})
}

func TestReadSuperblockErrors(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
	}{
		{"no signature", make([]byte, 1024)},
		{"version 9", append([]byte("\x89HDF\r\n\x1a\n\x09"), make([]byte, 64)...)},
		{"address size 3", append([]byte("\x89HDF\r\n\x1a\n\x02\x03\x08"), make([]byte, 64)...)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := readSuperblock(bytes.NewReader(tc.b), int64(len(tc.b))); err == nil {
				t.Fatal("no error")
			}
		})
	}
}
