package dataset

import (
	"slices"
	"testing"

	"github.com/stemflow/stemflow/array"
)

func TestScenario29_PartitionBoundaries(t *testing.T) {
	cases := []struct {
		frames, n int
		want      []int
	}{
		{256, 7, []int{0, 36, 73, 109, 146, 182, 219, 256}},
		{256, 2, []int{0, 128, 256}},
		{30, 2, []int{0, 15, 30}},
		{5, 9, []int{0, 1, 2, 3, 4, 5}}, // P > F: P = F
		{10, 0, []int{0, 10}},
		{10, 3, []int{0, 3, 6, 10}},
	}
	for _, c := range cases {
		if got := PartitionBoundaries(c.frames, c.n); !slices.Equal(got, c.want) {
			t.Errorf("PartitionBoundaries(%d, %d) = %v, want %v", c.frames, c.n, got, c.want)
		}
	}
}

func TestScenario29_DefaultNumPartitions(t *testing.T) {
	const px = MaxPartitionBytes / 4
	cases := []struct {
		size, workers, want int
	}{
		{64 * 64 * 256 * 256, 8, 8}, // spec: num 2 → 8 partitions on 8 workers
		{64 * 64 * 256 * 256, 1, 2},
		{px * 3 / 2, 1, 1}, // 1.5 × 512 MiB on one worker → 1 (floor)
		{px * 5, 2, 6},     // num 5, per core 3 → 6
		{100, 0, 1},
		{100, 3, 3},
	}
	for _, c := range cases {
		if got := DefaultNumPartitions(c.size, c.workers); got != c.want {
			t.Errorf("DefaultNumPartitions(%d, %d) = %d, want %d", c.size, c.workers, got, c.want)
		}
	}
}

func TestNumPartitionsPrecedence(t *testing.T) {
	ds, err := NewMemoryZeros([]int{4, 4, 8, 8}, array.Float32, MemoryOptions{NumPartitions: 3})
	if err != nil {
		t.Fatal(err)
	}
	if n := NumPartitions(ds, 2, 0); n != 3 {
		t.Errorf("memory num_partitions: %d", n)
	}
	if n := NumPartitions(ds, 2, 5); n != 5 {
		t.Errorf("override: %d", n)
	}
	ps := Partitions(ds, 40)
	if len(ps) != 16 {
		t.Fatalf("%d partitions for 16 frames", len(ps))
	}
	ps = Partitions(ds, 3)
	wantB := []int{0, 5, 10, 16}
	for i, p := range ps {
		if p.Index != i || p.Start() != wantB[i] || p.Stop() != wantB[i+1] || p.StartFrame != wantB[i] {
			t.Errorf("partition %d: %v start frame %d", i, p, p.StartFrame)
		}
		if !slices.Equal(p.Slice.Shape.Dims(), []int{wantB[i+1] - wantB[i], 8, 8}) || p.Slice.Shape.SigDims() != 2 {
			t.Errorf("partition %d shape %v", i, p.Slice.Shape)
		}
	}
}

func TestPartitionROISlice(t *testing.T) {
	ds, _ := NewMemoryZeros([]int{10, 2}, array.Float32, MemoryOptions{SigDims: 1})
	ps := Partitions(ds, 2)
	roi := []bool{true, false, true, true, false, false, true, false, true, true}
	s := ps[1].ROISlice(roi)
	if s.Origin[0] != 3 || s.Shape.Dim(0) != 3 {
		t.Fatalf("roi slice %v", s)
	}
}
