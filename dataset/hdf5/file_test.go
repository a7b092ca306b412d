package hdf5

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// needLib skips the test when libhdf5 cannot be loaded.
func needLib(t testing.TB) {
	t.Helper()
	if _, err := Available(); err != nil {
		t.Skipf("libhdf5 not installed (apt-get install libhdf5-103-1): %v", err)
	}
}

// havePlugin reports whether the filter plugin file exists in Debian's plugin folder.
func havePlugin(name string) bool {
	for _, d := range []string{"/usr/lib/x86_64-linux-gnu/hdf5/serial/plugins", "/usr/lib/aarch64-linux-gnu/hdf5/serial/plugins", os.Getenv("HDF5_PLUGIN_PATH")} {
		if _, err := os.Stat(filepath.Join(d, name)); d != "" && err == nil {
			return true
		}
	}
	return false
}

// u16s returns n uint16 values (i%13)·1000 + i/50 as little-endian bytes (host order
// on the machines this runs on): repetitive enough for every compressor.
func u16s(n int) []byte {
	b := make([]byte, 2*n)
	for i := range n {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(i%13*1000+i/50))
	}
	return b
}

// readChunk reads and decodes chunk c of in, independently of any dataset code.
func readChunk(t *testing.T, in *Info, c int) []byte {
	t.Helper()
	ch := in.Chunks[c]
	f, err := os.Open(in.File)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, ch.Size)
	if _, err := f.ReadAt(buf, ch.Addr); err != nil {
		t.Fatal(err)
	}
	n := in.Type.Size
	for _, s := range in.Chunk {
		n *= s
	}
	var d Decoder
	out, err := d.DecodeChunk(buf, in.Filters, ch.Mask, n, in.Type.Size)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestWriteAndIndex(t *testing.T) {
	needLib(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "a.h5")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	data := u16s(4 * 6 * 8)
	u2 := Type{Kind: KindUint, Size: 2}
	type spec struct {
		name string
		DatasetSpec
		plugin string
	}
	specs := []spec{
		{"/contig", DatasetSpec{Shape: []int{4, 6, 8}, Type: u2}, ""},
		{"/g/gzip", DatasetSpec{Shape: []int{4, 6, 8}, Type: u2, Chunk: []int{1, 6, 8}, Filters: []Filter{{ID: FilterDeflate, Params: []uint32{4}}}}, ""},
		{"/g/shuf", DatasetSpec{Shape: []int{4, 6, 8}, Type: u2, Chunk: []int{2, 3, 8}, Filters: []Filter{{ID: FilterShuffle}, {ID: FilterDeflate, Params: []uint32{1}}}}, ""},
		{"/g/lzf", DatasetSpec{Shape: []int{4, 6, 8}, Type: u2, Chunk: []int{1, 6, 8}, Filters: []Filter{{ID: FilterLZF}}}, "libh5LZF.so"},
		{"/g/lz4", DatasetSpec{Shape: []int{4, 6, 8}, Type: u2, Chunk: []int{1, 6, 8}, Filters: []Filter{{ID: FilterLZ4}}}, "libh5lz4.so"},
		{"/g/bslz4", DatasetSpec{Shape: []int{4, 6, 8}, Type: u2, Chunk: []int{1, 6, 8}, Filters: []Filter{{ID: FilterBitshuffle, Params: []uint32{0, 2}}}}, "libh5bshuf.so"},
		{"/g/bs", DatasetSpec{Shape: []int{4, 6, 8}, Type: u2, Chunk: []int{1, 6, 8}, Filters: []Filter{{ID: FilterBitshuffle, Params: []uint32{0, 0}}}}, "libh5bshuf.so"},
	}
	var written []spec
	for _, s := range specs {
		if s.plugin != "" && !havePlugin(s.plugin) {
			t.Logf("%s: plugin %s missing (apt-get install bitshuffle hdf5-filter-plugin); not written", s.name, s.plugin)
			continue
		}
		if err := w.Dataset(s.name, s.DatasetSpec, data); err != nil {
			t.Fatal(err)
		}
		written = append(written, s)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	paths, err := f.Walk()
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, s := range written {
		want = append(want, s.name)
	}
	slices.Sort(want)
	if !slices.Equal(paths, want) {
		t.Fatalf("Walk = %v, want %v", paths, want)
	}
	for _, s := range written {
		t.Run(s.name, func(t *testing.T) {
			in, err := f.Dataset(s.name, true)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(in.Shape, s.Shape) || in.Type != u2 {
				t.Fatalf("shape %v type %v, want %v %v", in.Shape, in.Type, s.Shape, u2)
			}
			if s.Chunk == nil {
				if in.Layout != LayoutContiguous || in.Offset < 0 {
					t.Fatalf("layout %v offset %d", in.Layout, in.Offset)
				}
				got := make([]byte, len(data))
				fh, _ := os.Open(path)
				defer fh.Close()
				fh.ReadAt(got, in.Offset)
				if !slices.Equal(got, data) {
					t.Fatal("contiguous bytes differ")
				}
				return
			}
			if in.Layout != LayoutChunked || !slices.Equal(in.Chunk, s.Chunk) || len(in.Filters) != len(s.Filters) {
				t.Fatalf("layout %v chunk %v filters %v", in.Layout, in.Chunk, in.Filters)
			}
			// reassemble the dataset from its chunks (C-order grid) and compare
			grid := in.ChunkGrid()
			got := make([]byte, len(data))
			c := 0
			for g0 := range grid[0] {
				for g1 := range grid[1] {
					for g2 := range grid[2] {
						ch := readChunk(t, in, c)
						c++
						for i := range s.Chunk[0] {
							for j := range s.Chunk[1] {
								for k := range s.Chunk[2] {
									a, b, e := g0*s.Chunk[0]+i, g1*s.Chunk[1]+j, g2*s.Chunk[2]+k
									if a >= 4 || b >= 6 || e >= 8 {
										continue
									}
									src := ((i*s.Chunk[1]+j)*s.Chunk[2] + k) * 2
									dst := ((a*6+b)*8 + e) * 2
									copy(got[dst:dst+2], ch[src:src+2])
								}
							}
						}
					}
				}
			}
			if !slices.Equal(got, data) {
				t.Fatal("data reassembled from chunks differs")
			}
		})
	}
	if _, err := f.Dataset("/nope", false); !errors.Is(err, ErrNotDataset) {
		t.Fatalf("missing dataset: %v", err)
	}
	if _, err := f.Dataset("/g", false); !errors.Is(err, ErrNotDataset) {
		t.Fatalf("group: %v", err)
	}
}

func TestOpenNotHDF5(t *testing.T) {
	needLib(t)
	p := filepath.Join(t.TempDir(), "x.h5")
	os.WriteFile(p, []byte("not an hdf5 file at all"), 0o644)
	if _, err := Open(p); !errors.Is(err, ErrNotHDF5) {
		t.Fatalf("err = %v, want ErrNotHDF5", err)
	}
}

// TestChunkIndexFromFile checks the chunk index read from the file's B-tree against the
// library's lookup of every chunk, for trees of several levels, edge chunks, object
// headers of versions 1 (default) and 2 (1.8 formats), a file with a user block (the
// library's addresses are relative to the superblock), and the fallback to the library
// for the 1.10 formats' array indexes; the chunks' bytes must decode to the data.
func TestChunkIndexFromFile(t *testing.T) {
	needLib(t)
	u2 := Type{Kind: KindUint, Size: 2}
	gz := []Filter{{ID: FilterDeflate, Params: []uint32{1}}}
	specs := []struct {
		name string
		spec DatasetSpec
	}{
		{"/frames", DatasetSpec{Shape: []int{300, 4, 4}, Type: u2, Chunk: []int{1, 4, 4}, Filters: gz}},
		{"/deep/odd", DatasetSpec{Shape: []int{7, 9, 5, 6}, Type: u2, Chunk: []int{2, 2, 5, 4}}},
		{"/many", DatasetSpec{Shape: []int{1500, 2}, Type: u2, Chunk: []int{1, 2}}},
	}
	for _, lv := range []struct {
		name      string
		libver    int32
		userblock int
		index     string
	}{{"default", -1, 0, IndexFromFile}, {"1.8", 1, 0, IndexFromFile}, {"user block", -1, 1024, IndexFromFile}, {"1.10", 2, 512, IndexFromLibrary}} {
		t.Run(lv.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "i.h5")
			w, err := create(path, lv.libver, lv.userblock)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range specs {
				n := s.spec.Type.Size
				for _, d := range s.spec.Shape {
					n *= d
				}
				if err := w.Dataset(s.name, s.spec, u16s(n/2)); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			f, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			for _, s := range specs {
				in, err := f.Dataset(s.name, true)
				if err != nil {
					t.Fatal(err)
				}
				if in.Index != lv.index {
					t.Fatalf("%s: index read by %q, want %q", s.name, in.Index, lv.index)
				}
				// every chunk looked up by the library
				want := &Info{Shape: in.Shape, Chunk: in.Chunk}
				err = f.lib.session(func() error {
					d := f.lib.dopen(f.id, s.name, 0)
					defer f.lib.dclose(d)
					return f.lib.indexChunks(d, want, int64(lv.userblock))
				})
				if err != nil {
					t.Fatal(err)
				}
				if len(in.Chunks) != len(want.Chunks) {
					t.Fatalf("%s: %d chunks, want %d", s.name, len(in.Chunks), len(want.Chunks))
				}
				for c := range want.Chunks {
					if in.Chunks[c] != want.Chunks[c] {
						t.Fatalf("%s: chunk %d = %+v, want %+v", s.name, c, in.Chunks[c], want.Chunks[c])
					}
				}
				// the first chunk of /frames holds values 0..15 (u16s), gzip-compressed
				if s.name == "/frames" {
					if got := readChunk(t, in, 0); !slices.Equal(got, u16s(16)) {
						t.Fatalf("/frames chunk 0 decodes to %v, want %v", got, u16s(16))
					}
				}
			}
		})
	}
}
