package hdf5

import (
	"os"
	"testing"
	"time"
)

// BenchmarkChunkIndex reads the chunk index of the dataset "data" in the file named by
// STEMFLOW_HDF5_INDEX (an h5py-written file, e.g. bench/hdf5's big_bslz4.h5) from the
// file's B-tree and through the library's per-chunk lookup, and reports µs per chunk of
// each, in CPU time of the calling thread (the library session locks it).
func BenchmarkChunkIndex(b *testing.B) {
	path := os.Getenv("STEMFLOW_HDF5_INDEX")
	if path == "" {
		b.Skip("STEMFLOW_HDF5_INDEX names no file")
	}
	needLib(b)
	f, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var tf, tl time.Duration
	n := 0
	for b.Loop() {
		err := f.lib.session(func() error {
			d := f.lib.dopen(f.id, "/data", 0)
			defer f.lib.dclose(d)
			in, err := f.dataset("/data", false)
			if err != nil {
				return err
			}
			t0 := threadCPU()
			if !f.lib.indexFromFile(d, in, 0) {
				b.Fatal("index not read from the file")
			}
			t1 := threadCPU()
			n = len(in.Chunks)
			in.Chunks = nil
			if err := f.lib.indexChunks(d, in, 0); err != nil {
				return err
			}
			tf += t1 - t0
			tl += threadCPU() - t1
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(tf.Seconds()*1e6/float64(b.N*n), "µs/chunk-file")
	b.ReportMetric(tl.Seconds()*1e6/float64(b.N*n), "µs/chunk-library")
}
