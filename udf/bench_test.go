package udf

import (
	"context"
	"fmt"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
)

type emptyFrame struct{}

func (emptyFrame) ResultBuffers(*Meta) []BufferSpec               { return nil }
func (emptyFrame) ProcessFrame(env *Env, frame array.Array) error { return nil }

type emptyPartition struct{}

func (emptyPartition) ResultBuffers(*Meta) []BufferSpec                  { return nil }
func (emptyPartition) ProcessPartition(env *Env, part array.Array) error { return nil }

// BenchmarkEmptyFrame runs an empty ProcessFrame UDF over 4,096 frames of 64×64
// float32 (in memory, zero-copy) with 2 workers and reports us/frame.
func BenchmarkEmptyFrame(b *testing.B) {
	data := array.Zeros[float32](64, 64, 64, 64)
	ds, err := dataset.NewMemory(data, dataset.MemoryOptions{NumPartitions: 2})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := RunOne(ctx, ds, emptyFrame{}, Options{Workers: 2}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/4096, "us/frame")
}

// BenchmarkEmptyPartitions runs an empty ProcessPartition UDF with p partitions and 2
// workers; p>1 sub-benchmarks report us/partition = (t(p) − t(1)) / (p − 1), with t(1)
// measured in the same sub-benchmark.
func BenchmarkEmptyPartitions(b *testing.B) { benchPartitions(b, emptyPartition{}) }

// navPartition is emptyPartition with one nav buffer (merged by the default
// concatenation: a select node per task and one merge_all node).
type navPartition struct{ emptyPartition }

func (navPartition) ResultBuffers(*Meta) []BufferSpec {
	return []BufferSpec{NavBuffer("n", array.Float32)}
}

// BenchmarkNavPartitions is BenchmarkEmptyPartitions with one nav buffer, so every
// partition is also selected and merged.
func BenchmarkNavPartitions(b *testing.B) { benchPartitions(b, navPartition{}) }

func benchPartitions(b *testing.B, u UDF) {
	data := array.Zeros[float32](128, 4, 4)
	ctx := context.Background()
	runP := func(b *testing.B, p int) {
		ds, err := dataset.NewMemory(data, dataset.MemoryOptions{NumPartitions: p})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := RunOne(ctx, ds, u, Options{Workers: 2}); err != nil {
			b.Fatal(err)
		}
	}
	for _, p := range []int{1, 8, 32, 128} {
		b.Run(fmt.Sprintf("p=%d", p), func(b *testing.B) {
			b.ReportAllocs()
			var t1, tp float64
			for b.Loop() {
				// interleave t(1) and t(p) so both see the same machine state
				s := b.Elapsed()
				runP(b, 1)
				m := b.Elapsed()
				runP(b, p)
				e := b.Elapsed()
				t1 += float64((m - s).Microseconds())
				tp += float64((e - m).Microseconds())
			}
			n := float64(b.N)
			b.ReportMetric(tp/n, "us/run")
			if p > 1 {
				b.ReportMetric((tp/n-t1/n)/float64(p-1), "us/partition")
			}
		})
	}
}

// BenchmarkNavBufferFrame is BenchmarkEmptyFrame with a nav and a sig buffer written
// per frame: views are re-pointed per frame without allocation.
func BenchmarkNavBufferFrame(b *testing.B) {
	data := array.Zeros[float32](64, 64, 64, 64)
	ds, err := dataset.NewMemory(data, dataset.MemoryOptions{NumPartitions: 2})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := RunOne(ctx, ds, navFrame{}, Options{Workers: 2}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/4096, "us/frame")
}
