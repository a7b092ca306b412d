package dataset

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset/hdf5"
)

func needHDF5(t testing.TB) {
	t.Helper()
	if _, err := hdf5.Available(); err != nil {
		t.Skipf("libhdf5 not installed (apt-get install libhdf5-103-1): %v", err)
	}
}

func hdf5Plugin(name string) bool {
	for _, d := range []string{"/usr/lib/x86_64-linux-gnu/hdf5/serial/plugins", "/usr/lib/aarch64-linux-gnu/hdf5/serial/plugins"} {
		if _, err := os.Stat(filepath.Join(d, name)); err == nil {
			return true
		}
	}
	return false
}

// h5val is the value stored at flat frame f, flat sig index i: a closed form the tests
// compare against.
func h5val(f, i int) float64 { return float64((f*131 + i*7) % 127) }

// h5bytes encodes frames×sig values of h5val as t in host order (little-endian).
func h5bytes(t hdf5.Type, frames, sig int) []byte {
	out := make([]byte, 0, frames*sig*t.Size)
	for f := range frames {
		for i := range sig {
			v := h5val(f, i)
			switch {
			case t.Kind == hdf5.KindFloat && t.Size == 4:
				out = binary.LittleEndian.AppendUint32(out, math.Float32bits(float32(v)))
			case t.Kind == hdf5.KindFloat && t.Size == 8:
				out = binary.LittleEndian.AppendUint64(out, math.Float64bits(v))
			case t.Kind == hdf5.KindComplex && t.Size == 8:
				out = binary.LittleEndian.AppendUint32(out, math.Float32bits(float32(v)))
				out = binary.LittleEndian.AppendUint32(out, math.Float32bits(-1))
			case t.Size == 1:
				out = append(out, byte(v))
			case t.Size == 2:
				out = binary.LittleEndian.AppendUint16(out, uint16(v))
			case t.Size == 4:
				out = binary.LittleEndian.AppendUint32(out, uint32(v))
			case t.Size == 8:
				out = binary.LittleEndian.AppendUint64(out, uint64(v))
			}
		}
	}
	return out
}

type h5ds struct {
	path string
	spec hdf5.DatasetSpec
}

// writeH5 writes the datasets to a new file under dir.
func writeH5(t testing.TB, path string, sigDims int, dss ...h5ds) {
	t.Helper()
	w, err := hdf5.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dss {
		nd := len(d.spec.Shape)
		frames := prodInts(d.spec.Shape[:nd-sigDims])
		sig := prodInts(d.spec.Shape[nd-sigDims:])
		if err := w.Dataset(d.path, d.spec, h5bytes(d.spec.Type, frames, sig)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// h5collect reads every tile of ds as float64 and returns a map from stored frame (nav
// position + sync offset, ROI-selected) to its frame (flat sig), checking tile
// geometry on the way.
func h5collect(t *testing.T, ds Dataset, tileshape []int, roi []bool, parts int) map[int][]float64 {
	t.Helper()
	return h5collectAs(t, ds, tileshape, roi, parts, array.Float64)
}

// tileFloat64 returns the values of a dense tile of a real dtype as float64.
func tileFloat64(t *testing.T, a array.Array) []float64 {
	t.Helper()
	conv := func(n int, at func(int) float64) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = at(i)
		}
		return out
	}
	switch a := a.(type) {
	case *array.Dense[float64]:
		return a.Data()
	case *array.Dense[float32]:
		d := a.Data()
		return conv(len(d), func(i int) float64 { return float64(d[i]) })
	case *array.Dense[uint16]:
		d := a.Data()
		return conv(len(d), func(i int) float64 { return float64(d[i]) })
	case *array.Dense[uint32]:
		d := a.Data()
		return conv(len(d), func(i int) float64 { return float64(d[i]) })
	case *array.Dense[int8]:
		d := a.Data()
		return conv(len(d), func(i int) float64 { return float64(d[i]) })
	case *array.Dense[int32]:
		d := a.Data()
		return conv(len(d), func(i int) float64 { return float64(d[i]) })
	}
	t.Fatalf("tile of %T", a)
	return nil
}

// h5collectAs is h5collect reading the tiles as dtype.
func h5collectAs(t *testing.T, ds Dataset, tileshape []int, roi []bool, parts int, dtype array.DType) map[int][]float64 {
	t.Helper()
	sig := ds.Shape().Sig()
	scheme, err := NewTilingScheme(tileshape, sig, MethodTile)
	if err != nil {
		t.Fatal(err)
	}
	sigSize := prodInts(sig)
	var sel []int // compressed index -> nav position
	for i := range ds.Shape().NavSize() {
		if roi == nil || roi[i] {
			sel = append(sel, i)
		}
	}
	out := map[int][]float64{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, parts)
	for _, p := range Partitions(ds, parts) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := ds.ReadTiles(context.Background(), p, TileRequest{Scheme: scheme, ROI: roi, DType: dtype}, func(tl *Tile) error {
				data := tileFloat64(t, tl.Data)
				dims := tl.Slice.Shape.Dims()
				box := dims[1:]
				bsize := prodInts(box)
				mu.Lock()
				defer mu.Unlock()
				for j := range dims[0] {
					pos := sel[tl.Slice.Origin[0]+j]
					f := pos + ds.SyncOffset()
					fr := out[f]
					if fr == nil {
						fr = make([]float64, sigSize)
						for i := range fr {
							fr[i] = math.NaN()
						}
						out[f] = fr
					}
					// scatter the box back into the frame
					idx := make([]int, len(box))
					for e := range bsize {
						r := e
						for a := len(box) - 1; a >= 0; a-- {
							idx[a] = r % box[a]
							r /= box[a]
						}
						fi := 0
						for a := range box {
							fi = fi*sig[a] + tl.Slice.Origin[1+a] + idx[a]
						}
						fr[fi] = data[j*bsize+e]
					}
				}
				return nil
			})
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return out
}

// h5check compares collected frames with h5val for the expected stored frames.
func h5check(t *testing.T, got map[int][]float64, frames []int, sigSize int) {
	t.Helper()
	if len(got) != len(frames) {
		t.Fatalf("got %d frames, want %d", len(got), len(frames))
	}
	for _, f := range frames {
		fr, ok := got[f]
		if !ok {
			t.Fatalf("frame %d missing", f)
		}
		for i := range sigSize {
			if fr[i] != h5val(f, i) {
				t.Fatalf("frame %d element %d = %v, want %v", f, i, fr[i], h5val(f, i))
			}
		}
	}
}

func seq(lo, hi int) []int {
	var s []int
	for i := lo; i < hi; i++ {
		s = append(s, i)
	}
	return s
}

func TestHDF5Layouts(t *testing.T) {
	needHDF5(t)
	u2 := hdf5.Type{Kind: hdf5.KindUint, Size: 2}
	tests := []struct {
		name   string
		spec   hdf5.DatasetSpec
		plugin string
	}{
		{"contiguous u2", hdf5.DatasetSpec{Shape: []int{3, 5, 8, 7}, Type: u2}, ""},
		{"contiguous >f4", hdf5.DatasetSpec{Shape: []int{3, 5, 8, 7}, Type: hdf5.Type{Kind: hdf5.KindFloat, Size: 4, BigEndian: true}}, ""},
		{"contiguous i1", hdf5.DatasetSpec{Shape: []int{15, 8, 7}, Type: hdf5.Type{Kind: hdf5.KindInt, Size: 1}}, ""},
		{"gzip frame chunks", hdf5.DatasetSpec{Shape: []int{3, 5, 8, 7}, Type: u2, Chunk: []int{1, 1, 8, 7}, Filters: []hdf5.Filter{{ID: hdf5.FilterDeflate, Params: []uint32{4}}}}, ""},
		{"gzip odd chunks", hdf5.DatasetSpec{Shape: []int{3, 5, 8, 7}, Type: u2, Chunk: []int{2, 2, 3, 4}, Filters: []hdf5.Filter{{ID: hdf5.FilterDeflate, Params: []uint32{1}}}}, ""},
		{"shuffle+gzip >i4", hdf5.DatasetSpec{Shape: []int{3, 5, 8, 7}, Type: hdf5.Type{Kind: hdf5.KindInt, Size: 4, BigEndian: true}, Chunk: []int{1, 5, 8, 7}, Filters: []hdf5.Filter{{ID: hdf5.FilterShuffle}, {ID: hdf5.FilterDeflate}}}, ""},
		{"fletcher32 f8", hdf5.DatasetSpec{Shape: []int{15, 8, 7}, Type: hdf5.Type{Kind: hdf5.KindFloat, Size: 8}, Chunk: []int{4, 8, 7}, Filters: []hdf5.Filter{{ID: hdf5.FilterFletcher32}}}, ""},
		{"uncompressed chunks c8", hdf5.DatasetSpec{Shape: []int{15, 8, 7}, Type: hdf5.Type{Kind: hdf5.KindComplex, Size: 8}, Chunk: []int{3, 4, 7}}, ""},
		{"lzf", hdf5.DatasetSpec{Shape: []int{15, 8, 7}, Type: u2, Chunk: []int{1, 8, 7}, Filters: []hdf5.Filter{{ID: hdf5.FilterLZF}}}, "libh5LZF.so"},
		{"lz4", hdf5.DatasetSpec{Shape: []int{15, 8, 7}, Type: u2, Chunk: []int{1, 8, 7}, Filters: []hdf5.Filter{{ID: hdf5.FilterLZ4}}}, "libh5lz4.so"},
		{"bitshuffle+lz4 u4", hdf5.DatasetSpec{Shape: []int{15, 8, 7}, Type: hdf5.Type{Kind: hdf5.KindUint, Size: 4}, Chunk: []int{1, 8, 7}, Filters: []hdf5.Filter{{ID: hdf5.FilterBitshuffle, Params: []uint32{0, 2}}}}, "libh5bshuf.so"},
		{"bitshuffle+lz4 u2 multi-frame", hdf5.DatasetSpec{Shape: []int{3, 5, 8, 7}, Type: u2, Chunk: []int{1, 3, 8, 7}, Filters: []hdf5.Filter{{ID: hdf5.FilterBitshuffle, Params: []uint32{0, 2}}}}, "libh5bshuf.so"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.plugin != "" && !hdf5Plugin(tc.plugin) {
				t.Skipf("HDF5 plugin %s not installed (apt-get install bitshuffle hdf5-filter-plugin)", tc.plugin)
			}
			path := filepath.Join(t.TempDir(), "d.h5")
			writeH5(t, path, 2, h5ds{"/g/data", tc.spec})
			ds, err := Open("", path, OpenOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer ds.Close()
			if !slices.Equal(ds.Shape().Dims(), tc.spec.Shape) {
				t.Fatalf("shape %v, want %v", ds.Shape().Dims(), tc.spec.Shape)
			}
			frames := ds.Shape().NavSize()
			sig := ds.Shape().Sig()
			all := seq(0, frames)
			// whole frames, 3 partitions
			h5check(t, h5collect(t, ds, append([]int{4}, sig...), nil, 3), all, prodInts(sig))
			// sig boxes that cut chunks, depth 3
			h5check(t, h5collect(t, ds, []int{3, 3, 4}, nil, 2), all, prodInts(sig))
			// ROI of every third position
			roi := make([]bool, frames)
			var want []int
			for i := range roi {
				roi[i] = i%3 == 1
				if roi[i] {
					want = append(want, i)
				}
			}
			h5check(t, h5collect(t, ds, []int{2, 8, 7}, roi, 2), want, prodInts(sig))
			if ds.DType().Kind() != array.KindComplex {
				// the stored dtype: whole chunks decode straight into the tiles
				h5check(t, h5collectAs(t, ds, append([]int{4}, sig...), nil, 3, ds.DType()), all, prodInts(sig))
				h5check(t, h5collectAs(t, ds, []int{3, 3, 4}, nil, 2, ds.DType()), all, prodInts(sig))
			}
			info := ds.Info()
			if info.Format != "hdf5" || !strings.Contains(fmt.Sprint(info.Details), "/g/data") {
				t.Fatalf("info %+v", info)
			}
		})
	}
}

func TestHDF5OptionsAndSelection(t *testing.T) {
	needHDF5(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "sel.h5")
	u2 := hdf5.Type{Kind: hdf5.KindUint, Size: 2}
	gz := []hdf5.Filter{{ID: hdf5.FilterDeflate}}
	writeH5(t, path, 2,
		h5ds{"/small", hdf5.DatasetSpec{Shape: []int{4, 8, 7}, Type: u2}},
		h5ds{"/deep/big", hdf5.DatasetSpec{Shape: []int{4, 5, 8, 7}, Type: u2, Chunk: []int{1, 2, 8, 7}, Filters: gz}},
		h5ds{"/flat", hdf5.DatasetSpec{Shape: []int{100, 100}, Type: u2}},
	)
	t.Run("largest 3-D or more", func(t *testing.T) {
		ds, err := OpenHDF5(path, HDF5Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer ds.Close()
		if !slices.Equal(ds.Shape().Dims(), []int{4, 5, 8, 7}) || !strings.Contains(ds.Info().String(), "/deep/big") {
			t.Fatalf("chose %v\n%s", ds.Shape(), ds.Info())
		}
	})
	t.Run("ds_path", func(t *testing.T) {
		ds, err := Open("hdf5", path, OpenOptions{DSPath: "small"})
		if err != nil {
			t.Fatal(err)
		}
		defer ds.Close()
		if !slices.Equal(ds.Shape().Dims(), []int{4, 8, 7}) {
			t.Fatalf("shape %v", ds.Shape())
		}
	})
	t.Run("sync offset and nav override", func(t *testing.T) {
		for _, k := range []int{3, -2} {
			ds, err := OpenHDF5(path, HDF5Options{NavShape: []int{4, 4}, SyncOffset: k})
			if err != nil {
				t.Fatal(err)
			}
			got := h5collect(t, ds, []int{3, 8, 7}, nil, 2)
			var want []int
			for i := range 16 {
				if f := i + k; f >= 0 && f < 20 {
					want = append(want, f)
				}
			}
			h5check(t, got, want, 56)
			ds.Close()
		}
	})
	t.Run("sig override", func(t *testing.T) {
		ds, err := OpenHDF5(path, HDF5Options{SigShape: []int{56}, SigDims: 2})
		if err != nil {
			t.Fatal(err)
		}
		defer ds.Close()
		h5check(t, h5collect(t, ds, []int{5, 56}, nil, 2), seq(0, 20), 56)
	})
	errTests := []struct {
		name string
		opts HDF5Options
		want error
		text string
	}{
		{"missing ds_path", HDF5Options{DSPath: "/nope"}, ErrNotFound, "/deep/big [4 5 8 7]"},
		{"group without data", HDF5Options{DSPath: "/deep"}, ErrShape, "data_NNNNNN"},
		{"2-D only", HDF5Options{DSPath: "/flat", SigDims: 2}, ErrShape, "sig_dims"},
		{"sync offset", HDF5Options{SyncOffset: 20}, ErrSyncOffset, "sync_offset"},
		{"sig override size", HDF5Options{SigShape: []int{5, 5}}, ErrSigSize, "sig_shape"},
	}
	for _, tc := range errTests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := OpenHDF5(path, tc.opts)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.text) || !strings.Contains(err.Error(), path) {
				t.Fatalf("err = %v, want %v mentioning %q and the file", err, tc.want, tc.text)
			}
		})
	}
	t.Run("no 3-D dataset", func(t *testing.T) {
		p := filepath.Join(dir, "flat.h5")
		writeH5(t, p, 1, h5ds{"/img", hdf5.DatasetSpec{Shape: []int{10, 10}, Type: u2}})
		if _, err := OpenHDF5(p, HDF5Options{}); !errors.Is(err, ErrShape) || !strings.Contains(err.Error(), "/img [10 10]") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("not hdf5", func(t *testing.T) {
		p := filepath.Join(dir, "junk.h5")
		os.WriteFile(p, []byte("junk junk junk"), 0o644)
		if _, err := Open("", p, OpenOptions{}); !errors.Is(err, ErrHeader) {
			t.Fatalf("err = %v", err)
		}
		if _, err := Open("", filepath.Join(dir, "missing.h5"), OpenOptions{}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("detect by content", func(t *testing.T) {
		p := filepath.Join(dir, "noext")
		b, _ := os.ReadFile(path)
		os.WriteFile(p, b, 0o644)
		if name, err := DetectFormat(p); err != nil || name != "hdf5" {
			t.Fatalf("DetectFormat = %q, %v", name, err)
		}
	})
}

// writeARINA writes a DECTRIS-style master file with external links to n data files of
// the given frame counts (bitshuffle+LZ4 when the plugin exists, else gzip).
func writeARINA(t *testing.T, dir string, counts []int, ntrigger, nimages int) string {
	t.Helper()
	u2 := hdf5.Type{Kind: hdf5.KindUint, Size: 2}
	filters := []hdf5.Filter{{ID: hdf5.FilterDeflate}}
	if hdf5Plugin("libh5bshuf.so") {
		filters = []hdf5.Filter{{ID: hdf5.FilterBitshuffle, Params: []uint32{0, 2}}}
	}
	start := 0
	master := filepath.Join(dir, "scan_master.h5")
	mw, err := hdf5.Create(master)
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range counts {
		name := fmt.Sprintf("scan_data_%06d.h5", i+1)
		w, err := hdf5.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		// the frames start..start+n of the whole scan
		all := h5bytes(u2, start+n, 12*10)
		if err := w.Dataset("/entry/data/data", hdf5.DatasetSpec{Shape: []int{n, 12, 10}, Type: u2, Chunk: []int{1, 12, 10}, Filters: filters}, all[start*240:]); err != nil {
			t.Fatal(err)
		}
		w.Close()
		if err := mw.ExternalLink(fmt.Sprintf("/entry/data/data_%06d", i+1), name, "/entry/data/data"); err != nil {
			t.Fatal(err)
		}
		start += n
	}
	i8 := hdf5.Type{Kind: hdf5.KindInt, Size: 8}
	spec := "/entry/instrument/detector/detectorSpecific/"
	for name, v := range map[string]int{"ntrigger": ntrigger, "nimages": nimages} {
		if err := mw.Dataset(spec+name, hdf5.DatasetSpec{Shape: []int{}, Type: i8}, binary.LittleEndian.AppendUint64(nil, uint64(v))); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return master
}

func TestHDF5NoLibraryError(t *testing.T) {
	if _, err := hdf5.Available(); err == nil {
		t.Skip("libhdf5 is installed")
	}
	p := filepath.Join(t.TempDir(), "x.h5")
	os.WriteFile(p, hdf5Signature, 0o644)
	_, err := Open("", p, OpenOptions{})
	if !errors.Is(err, hdf5.ErrNoLibrary) || !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "libhdf5-103-1") {
		t.Fatalf("err = %v", err)
	}
}

func TestHDF5ARINA(t *testing.T) {
	needHDF5(t)
	dir := t.TempDir()
	// links created out of order on disk names: data_000002 must follow data_000001
	master := writeARINA(t, dir, []int{7, 7, 6}, 4, 5)
	ds, err := Open("", master, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	if !slices.Equal(ds.Shape().Dims(), []int{4, 5, 12, 10}) {
		t.Fatalf("shape %v, want nav (4, 5) from ntrigger × nimages", ds.Shape())
	}
	info := ds.Info()
	if len(info.Files) != 3 || !strings.HasSuffix(info.Files[2], "scan_data_000003.h5") || !strings.Contains(info.String(), "ntrigger") {
		t.Fatalf("info:\n%s", info)
	}
	h5check(t, h5collect(t, ds, []int{3, 12, 10}, nil, 3), seq(0, 20), 120)
	h5check(t, h5collect(t, ds, []int{4, 6, 5}, nil, 4), seq(0, 20), 120)

	ds2, err := OpenHDF5(master, HDF5Options{NavShape: []int{2, 10}, SyncOffset: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer ds2.Close()
	h5check(t, h5collect(t, ds2, []int{6, 12, 10}, nil, 2), seq(1, 20), 120)

	// one data file of the set removed: a clear error
	os.Remove(filepath.Join(dir, "scan_data_000002.h5"))
	_, err = OpenHDF5(master, HDF5Options{})
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "data_000002") {
		t.Fatalf("err = %v", err)
	}
}

// TestHDF5StackedContiguous stacks contiguous data_NNNNNN datasets: every frame is
// read in place as a one-frame chunk.
func TestHDF5StackedContiguous(t *testing.T) {
	needHDF5(t)
	path := filepath.Join(t.TempDir(), "s.h5")
	u2 := hdf5.Type{Kind: hdf5.KindUint, Size: 2}
	w, err := hdf5.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	// data_000001 holds frames 0..4, data_000002 frames 5..7 of h5val
	all := h5bytes(u2, 8, 6*5)
	if err := w.Dataset("/entry/data/data_000001", hdf5.DatasetSpec{Shape: []int{5, 6, 5}, Type: u2}, all[:5*30*2]); err != nil {
		t.Fatal(err)
	}
	if err := w.Dataset("/entry/data/data_000002", hdf5.DatasetSpec{Shape: []int{3, 6, 5}, Type: u2}, all[5*30*2:]); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	ds, err := Open("", path, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	if !slices.Equal(ds.Shape().Dims(), []int{8, 6, 5}) {
		t.Fatalf("shape %v", ds.Shape())
	}
	for _, dt := range []array.DType{array.Float64, array.Uint16} {
		h5check(t, h5collectAs(t, ds, []int{3, 6, 5}, nil, 2, dt), seq(0, 8), 30)
		h5check(t, h5collectAs(t, ds, []int{2, 3, 5}, nil, 3, dt), seq(0, 8), 30)
	}
}

func TestHDF5Concurrent(t *testing.T) {
	needHDF5(t)
	path := filepath.Join(t.TempDir(), "c.h5")
	u2 := hdf5.Type{Kind: hdf5.KindUint, Size: 2}
	writeH5(t, path, 2, h5ds{"/d", hdf5.DatasetSpec{Shape: []int{64, 16, 16}, Type: u2, Chunk: []int{2, 16, 16}, Filters: []hdf5.Filter{{ID: hdf5.FilterDeflate}}}})
	ds, err := Open("", path, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			h5check(t, h5collect(t, ds, []int{5, 16, 16}, nil, 8), seq(0, 64), 256)
		})
	}
	wg.Wait()
	if err := ds.Close(); err != nil {
		t.Fatal(err)
	}
	p := Partitions(ds, 1)[0]
	scheme, _ := NewTilingScheme([]int{1, 16, 16}, []int{16, 16}, MethodTile)
	if err := ds.ReadTiles(context.Background(), p, TileRequest{Scheme: scheme}, func(*Tile) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Fatalf("read after close: %v", err)
	}
}

func TestHDF5Cancel(t *testing.T) {
	needHDF5(t)
	path := filepath.Join(t.TempDir(), "c.h5")
	u2 := hdf5.Type{Kind: hdf5.KindUint, Size: 2}
	writeH5(t, path, 2, h5ds{"/d", hdf5.DatasetSpec{Shape: []int{64, 16, 16}, Type: u2, Chunk: []int{1, 16, 16}, Filters: []hdf5.Filter{{ID: hdf5.FilterDeflate}}}})
	ds, err := Open("", path, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	ctx, cancel := context.WithCancel(context.Background())
	scheme, _ := NewTilingScheme([]int{1, 16, 16}, []int{16, 16}, MethodTile)
	n := 0
	err = ds.ReadTiles(ctx, Partitions(ds, 1)[0], TileRequest{Scheme: scheme}, func(*Tile) error {
		n++
		if n == 3 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || n != 3 {
		t.Fatalf("err = %v after %d tiles", err, n)
	}
}

func TestHDF5CorruptChunk(t *testing.T) {
	needHDF5(t)
	path := filepath.Join(t.TempDir(), "bad.h5")
	u2 := hdf5.Type{Kind: hdf5.KindUint, Size: 2}
	writeH5(t, path, 2, h5ds{"/d", hdf5.DatasetSpec{Shape: []int{4, 16, 16}, Type: u2, Chunk: []int{1, 16, 16}, Filters: []hdf5.Filter{{ID: hdf5.FilterDeflate}}}})
	f, _ := hdf5.Open(path)
	in, err := f.Dataset("/d", true)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	// overwrite chunk 2's bytes with garbage
	fh, _ := os.OpenFile(path, os.O_RDWR, 0)
	fh.WriteAt([]byte("garbage garbage garbage"), in.Chunks[2].Addr)
	fh.Close()
	ds, err := Open("", path, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	scheme, _ := NewTilingScheme([]int{1, 16, 16}, []int{16, 16}, MethodTile)
	err = ds.ReadTiles(context.Background(), Partitions(ds, 1)[0], TileRequest{Scheme: scheme}, func(*Tile) error { return nil })
	if !errors.Is(err, hdf5.ErrFilter) || !strings.Contains(err.Error(), "chunk 2") || !strings.Contains(err.Error(), path) {
		t.Fatalf("err = %v", err)
	}
}
