package dataset

import (
	"math"

	"github.com/stemflow/stemflow/array"
)

// NumPartitions returns the number of partitions a run over ds uses with the given
// number of workers. A positive override (the user's num_partitions) wins,
// then the dataset's own default (PartitionCounter), else the generic rule: about
// MaxPartitionBytes of float32 per partition, at least one partition per worker and a
// multiple of the worker count. Partitions caps the result at the number of frames.
func NumPartitions(ds Dataset, workers, override int) int {
	if override > 0 {
		return override
	}
	if pc, ok := ds.(PartitionCounter); ok {
		if n := pc.DefaultPartitions(workers); n > 0 {
			return n
		}
	}
	return DefaultNumPartitions(ds.Shape().Size(), workers)
}

// DefaultNumPartitions is the generic partition-count rule for a dataset of size
// elements and the given number of workers: num = size / (MaxPartitionBytes/4),
// per_core = ceil(num / cores), result max(1, per_core)·cores with cores = max(1, workers).
func DefaultNumPartitions(size, workers int) int {
	pxPerPartition := MaxPartitionBytes / 4
	num := size / pxPerPartition
	cores := max(1, workers)
	perCore := num / cores
	if num%cores != 0 {
		perCore++
	}
	return max(1, perCore) * cores
}

// PartitionBoundaries returns the n+1 boundaries of n partitions over frames frames:
// b_i = floor(i·(frames/n)) in float64, b_n = frames (numpy's linspace floored). n is
// clamped to [1, frames] (to 1 when frames is 0).
func PartitionBoundaries(frames, n int) []int {
	n = max(1, min(n, frames))
	b := make([]int, n+1)
	step := float64(frames) / float64(n)
	for i := range n {
		b[i] = int(math.Floor(float64(i) * step))
	}
	b[n] = frames
	return b
}

// Partitions returns the n partitions of ds (n clamped to [1, nav size]), in order,
// covering every nav position once.
func Partitions(ds Dataset, n int) []Partition {
	return MakePartitions(ds.Shape(), ds.SyncOffset(), n)
}

// MakePartitions returns the n partitions of a dataset of the given shape and sync
// offset (see Partitions).
func MakePartitions(shape array.Shape, syncOffset, n int) []Partition {
	frames := shape.NavSize()
	sig := shape.Sig()
	sigDims := shape.SigDims()
	bounds := PartitionBoundaries(frames, n)
	parts := make([]Partition, len(bounds)-1)
	for i := range parts {
		start, stop := bounds[i], bounds[i+1]
		origin := make([]int, 1+len(sig))
		origin[0] = start
		dims := append([]int{stop - start}, sig...)
		parts[i] = Partition{
			Index:      i,
			Slice:      array.Slice{Origin: origin, Shape: array.NewShape(dims, sigDims)},
			StartFrame: start + syncOffset,
		}
	}
	return parts
}
