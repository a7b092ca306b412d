package dataset

import (
	"context"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset/hdf5"
)

// hdf5BenchFiles returns the benchmark files: big_gzip.h5, big_bslz4.h5 and
// big_contig.h5 from the folder in STEMFLOW_HDF5_BENCH (made by bench/hdf5/gen.py with
// h5py), else files of 2,048 sparse 128×128 uint16 frames written here through libhdf5.
func hdf5BenchFiles(b *testing.B) map[string]string {
	b.Helper()
	names := map[string]string{"gzip": "big_gzip.h5", "bslz4": "big_bslz4.h5", "contiguous": "big_contig.h5"}
	out := map[string]string{}
	if dir := os.Getenv("STEMFLOW_HDF5_BENCH"); dir != "" {
		for k, n := range names {
			out[k] = filepath.Join(dir, n)
		}
		return out
	}
	dir := b.TempDir()
	r := rand.New(rand.NewPCG(1, 1))
	data := make([]byte, 16*128*128*128*2)
	for i := 0; i < len(data); i += 2 {
		if r.IntN(20) == 0 {
			binary.LittleEndian.PutUint16(data[i:], uint16(1+r.IntN(3)))
		}
	}
	u2 := hdf5.Type{Kind: hdf5.KindUint, Size: 2}
	specs := map[string]hdf5.DatasetSpec{
		"gzip":       {Shape: []int{16, 128, 128, 128}, Type: u2, Chunk: []int{1, 16, 128, 128}, Filters: []hdf5.Filter{{ID: hdf5.FilterDeflate, Params: []uint32{4}}}},
		"contiguous": {Shape: []int{16, 128, 128, 128}, Type: u2},
	}
	if hdf5Plugin("libh5bshuf.so") {
		specs["bslz4"] = hdf5.DatasetSpec{Shape: []int{2048, 128, 128}, Type: u2, Chunk: []int{1, 128, 128}, Filters: []hdf5.Filter{{ID: hdf5.FilterBitshuffle, Params: []uint32{0, 2}}}}
	}
	for k, spec := range specs {
		p := filepath.Join(dir, names[k])
		w, err := hdf5.Create(p)
		if err != nil {
			b.Fatal(err)
		}
		if err := w.Dataset("/data", spec, data); err != nil {
			b.Fatal(err)
		}
		w.Close()
		out[k] = p
	}
	return out
}

// BenchmarkHDF5 reads every frame of a 4D-STEM HDF5 file as float32 tiles of 16 whole
// frames with 1 and 2 workers (GB/s of uncompressed stored bytes; open and chunk
// indexing excluded). GB/s-cpu divides the same bytes by the process's CPU time (all
// workers), a per-core rate that a loaded machine disturbs less than wall time.
func BenchmarkHDF5(b *testing.B) {
	needHDF5(b)
	files := hdf5BenchFiles(b)
	for _, kind := range []string{"gzip", "bslz4", "contiguous"} {
		path, ok := files[kind]
		if !ok {
			continue
		}
		if _, err := os.Stat(path); err != nil {
			continue
		}
		ds, err := Open("hdf5", path, OpenOptions{})
		if err != nil {
			b.Fatal(err)
		}
		for _, workers := range []int{1, 2} {
			b.Run(kind+"/workers="+string(rune('0'+workers)), func(b *testing.B) {
				sig := ds.Shape().Sig()
				scheme, err := NewTilingScheme(append([]int{16}, sig...), sig, MethodTile)
				if err != nil {
					b.Fatal(err)
				}
				parts := Partitions(ds, 4*workers)
				bytes := int64(ds.ImageCount()) * int64(ds.Shape().SigSize()) * int64(ds.DType().ItemSize())
				b.SetBytes(bytes)
				cpu0 := hdf5CPUNanos()
				for b.Loop() {
					next := make(chan Partition, len(parts))
					for _, p := range parts {
						next <- p
					}
					close(next)
					var wg sync.WaitGroup
					for range workers {
						wg.Go(func() {
							var s float32
							for p := range next {
								err := ds.ReadTiles(context.Background(), p, TileRequest{Scheme: scheme, DType: array.Float32}, func(t *Tile) error {
									d := t.Data.(*array.Dense[float32]).Data()
									s += d[0] + d[len(d)-1]
									return nil
								})
								if err != nil {
									b.Error(err)
								}
							}
							_ = s
						})
					}
					wg.Wait()
				}
				if cpu := hdf5CPUNanos() - cpu0; cpu > 0 {
					b.ReportMetric(float64(bytes)*float64(b.N)/float64(cpu), "GB/s-cpu")
				}
			})
		}
		ds.Close()
	}
}

// BenchmarkHDF5Corrections reads a chunked (one uncompressed chunk per frame) uint16
// file of 64 frames of 256 × 256 as float32 in the negotiated tiling (tiles summed):
// "off" plain decoding, "on" dark, gain and 16 excluded pixels fused into the decode
// loop, "unfused" the separate pass after decoding.
func BenchmarkHDF5Corrections(b *testing.B) {
	needHDF5(b)
	const frames, side = 64, 256
	path := filepath.Join(b.TempDir(), "c.h5")
	writeH5(b, path, 2, h5ds{"/data", hdf5.DatasetSpec{Shape: []int{frames, side, side}, Type: hdf5.Type{Kind: hdf5.KindUint, Size: 2}, Chunk: []int{1, side, side}}})
	n := side * side
	dark, gain, excl := make([]float64, n), make([]float64, n), make([]bool, n)
	for i := range n {
		dark[i], gain[i] = float64(i%3), 1+float64(i%5)/8
	}
	for k := range 16 {
		excl[(8*k+5)*side+7*k+3] = true
	}
	for _, mode := range []string{"off", "on", "unfused"} {
		b.Run(mode, func(b *testing.B) {
			h5, err := OpenHDF5(path, HDF5Options{})
			if err != nil {
				b.Fatal(err)
			}
			ds := h5
			defer ds.Close()
			switch mode {
			case "on":
				ds, err = WithCorrections(h5, Corrections{Dark: dark, Gain: gain, Excluded: excl})
			case "unfused":
				ds, err = WithCorrections(hideFused{h5}, Corrections{Dark: dark, Gain: gain, Excluded: excl})
			}
			if err != nil {
				b.Fatal(err)
			}
			benchReadTiles(b, ds, int64(frames*n*2), true)
		})
	}
}
