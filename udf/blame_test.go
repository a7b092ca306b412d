package udf

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
)

// failingDS fails every ReadTiles before the first tile with an I/O error.
type failingDS struct{ *dataset.Memory }

func (failingDS) ReadTiles(context.Context, dataset.Partition, dataset.TileRequest, func(*dataset.Tile) error) error {
	return fmt.Errorf("read /data/x.raw at offset 4096: %w", syscall.EIO)
}

// touchTile reads the first element of every tile.
type touchTile struct{}

func (touchTile) Name() string { return "Touch" }
func (touchTile) ResultBuffers(*Meta) []BufferSpec {
	return []BufferSpec{NavBuffer("n", array.Float32)}
}
func (touchTile) PreferredInputDType() array.DType { return NativeDType }
func (touchTile) ProcessTile(env *Env, tile array.Array) error {
	F32(env, 0).Data()[0] = tile.(*array.Dense[float32]).Data()[0]
	return nil
}

// TestDatasetErrorNotBlamedOnUDF: an I/O error from ReadTiles before the first tile is
// a *DatasetError naming the partition and its frames, wrapping the cause; no UDF
// method is blamed.
func TestDatasetErrorNotBlamedOnUDF(t *testing.T) {
	ds := failingDS{memDS(t, testData(8, 3, 3), dataset.MemoryOptions{NumPartitions: 2, SigDims: 2})}
	_, err := Run(context.Background(), ds, []UDF{touchTile{}, countingFrames{n: new(atomicInt)}}, Options{Workers: 1})
	var de *DatasetError
	var ue *UDFError
	if !errors.As(err, &de) || errors.As(err, &ue) || !errors.Is(err, syscall.EIO) {
		t.Fatalf("got %v, want a *DatasetError wrapping EIO and no *UDFError", err)
	}
	if de.Partition != 0 || de.Start != 0 || de.Stop != 4 {
		t.Fatalf("DatasetError names partition %d frames [%d, %d), want 0 [0, 4)", de.Partition, de.Start, de.Stop)
	}
	for _, bad := range []string{"ResultBuffers", "Touch", "udf 1"} {
		if strings.Contains(err.Error(), bad) {
			t.Fatalf("error %q blames %q", err, bad)
		}
	}
}

// TestTruncatedMappingIsDatasetError: a raw file truncated after it was mapped faults
// when a UDF reads a zero-copy tile; that is a *DatasetError (ErrDataFault or the
// dataset's own explanation), not a UDF panic.
func TestTruncatedMappingIsDatasetError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.raw")
	if err := os.WriteFile(path, make([]byte, 64*32*32*4), 0o644); err != nil {
		t.Fatal(err)
	}
	ds, err := dataset.OpenRaw(path, dataset.RawOptions{NavShape: []int{64}, SigShape: []int{32, 32}, DType: "float32", IO: dataset.IOMmap})
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	_, err = RunOne(context.Background(), ds, touchTile{}, Options{Workers: 1})
	var de *DatasetError
	var ue *UDFError
	if err == nil || !errors.As(err, &de) || errors.As(err, &ue) {
		t.Fatalf("got %v, want a *DatasetError and no *UDFError", err)
	}
}

// spinFrames burns about per of CPU on every frame.
type spinFrames struct{ per time.Duration }

func (spinFrames) ResultBuffers(*Meta) []BufferSpec {
	return []BufferSpec{NavBuffer("n", array.Float32)}
}
func (s spinFrames) ProcessFrame(env *Env, _ array.Array) error {
	for t0 := time.Now(); time.Since(t0) < s.per; {
	}
	return nil
}

// deepTiles asks for whole-partition tiles (so the frame UDF sees few, deep tiles).
type deepTiles struct{}

func (deepTiles) ResultBuffers(*Meta) []BufferSpec    { return nil }
func (deepTiles) ProcessTile(*Env, array.Array) error { return nil }
func (deepTiles) TilingPreferences(*Meta) TilingPrefs {
	return TilingPrefs{Depth: DepthMax}
}

// cancelToReturn runs a slow frame UDF on whole-partition tiles, cancels after 20 ms
// and returns how long Run took to return after the cancel.
func cancelToReturn(tb testing.TB) time.Duration {
	ds := memDS(tb, testData(4096, 2, 2), dataset.MemoryOptions{NumPartitions: 2, SigDims: 2})
	ctx, cancel := context.WithCancel(context.Background())
	var at time.Time
	timer := time.AfterFunc(20*time.Millisecond, func() { at = time.Now(); cancel() })
	defer timer.Stop()
	_, err := Run(ctx, ds, []UDF{deepTiles{}, spinFrames{per: 100 * time.Microsecond}}, Options{Workers: 2})
	took := time.Since(at)
	if !errors.Is(err, context.Canceled) {
		tb.Fatalf("got %v, want context.Canceled", err)
	}
	return took
}

// TestCancelInsidePartition: a cancel stops a run within a few frames even when the
// partitions are single tiles of 2,048 frames (0.2 s of work each). The bound is
// generous (the expected time is about 2 ms); without checks inside partitions it
// takes about 180 ms.
func TestCancelInsidePartition(t *testing.T) {
	if took := cancelToReturn(t); took > 100*time.Millisecond {
		t.Fatalf("Run returned %v after the cancel, want ≤ 100 ms", took)
	}
}

// BenchmarkCancelToReturn reports the time from cancel to Run's return (ns/op is
// the whole run; see the cancel-ms metric).
func BenchmarkCancelToReturn(b *testing.B) {
	var sum time.Duration
	for range b.N {
		sum += cancelToReturn(b)
	}
	b.ReportMetric(float64(sum.Microseconds())/1000/float64(b.N), "cancel-ms")
}

type atomicInt = atomic.Int64
