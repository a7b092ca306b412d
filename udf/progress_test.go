package udf

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stemflow/stemflow/dataset"
)

// progressLog records Progress calls and checks that they are never concurrent.
type progressLog struct {
	mu      sync.Mutex
	inside  atomic.Int32
	calls   []Progress
	overlap bool
}

func (l *progressLog) f(p Progress) {
	if l.inside.Add(1) != 1 {
		l.overlap = true
	}
	l.mu.Lock()
	l.calls = append(l.calls, p)
	l.mu.Unlock()
	l.inside.Add(-1)
}

// TestProgressPerMergedPartition: every merged partition is reported once, Done and
// Frames grow monotonically to the totals (computed here from the partitions and the
// ROI), and each computation of a lazy run counts afresh.
func TestProgressPerMergedPartition(t *testing.T) {
	const parts = 7
	data := testData(6, 6, 4, 4)
	ds := memDS(t, data, dataset.MemoryOptions{NumPartitions: parts})
	roi := randomROI(11, 6, 6)
	// one UDF per merge kind: chain (Merge), concatenation, merge_all, no buffers
	var frames atomic.Int64
	udfs := []UDF{orderSum{}, pixelSumFrame{}, navSumAll{}, frameCounter{frames: &frames, parts: &partSet{}}}
	for _, mode := range []string{"Run", "RunIter", "RunLazy.Compute"} {
		for _, o := range []Options{{Inline: true}, {Workers: 2}, {Workers: 2, Window: 1}} {
			for _, withROI := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/inline=%v/window=%d/roi=%v", mode, o.Inline, o.Window, withROI), func(t *testing.T) {
					// partition frame counts, independently of the engine
					var sizes []int
					for _, p := range dataset.Partitions(ds, parts) {
						lo := p.Slice.Origin[0]
						n := 0
						for i := lo; i < lo+p.Slice.Shape.Dim(0); i++ {
							if !withROI || roi.Data()[i] {
								n++
							}
						}
						if n > 0 {
							sizes = append(sizes, n)
						}
					}
					total := 0
					for _, n := range sizes {
						total += n
					}
					if withROI {
						o.ROI = roi
					}
					var logs []*progressLog
					cur := &progressLog{}
					o.Progress = func(p Progress) { cur.f(p) }
					if mode == "RunLazy.Compute" {
						l, err := RunLazy(ds, udfs, o)
						if err != nil {
							t.Fatal(err)
						}
						for range 2 {
							cur = &progressLog{}
							if _, err := l.Compute(context.Background()); err != nil {
								t.Fatal(err)
							}
							logs = append(logs, cur)
						}
					} else {
						runMode(t, mode, ds, udfs, o)
						logs = append(logs, cur)
					}
					for _, log := range logs {
						checkProgress(t, log, len(sizes), total)
					}
				})
			}
		}
	}
}

// checkProgress checks one computation's reports: never concurrent, monotonic, one
// report per merged partition, ending with everything merged.
func checkProgress(t *testing.T, log *progressLog, parts, frames int) {
	t.Helper()
	if log.overlap {
		t.Fatal("Progress called concurrently")
	}
	merged := 0
	prev := Progress{}
	for _, p := range log.calls {
		if p.Total != parts || p.TotalFrames != frames {
			t.Fatalf("totals %+v, want %d partitions, %d frames", p, parts, frames)
		}
		if p.Done < prev.Done || p.Frames < prev.Frames || p.Computed < prev.Computed {
			t.Fatalf("progress went back: %+v after %+v", p, prev)
		}
		if p.Done > prev.Done+1 {
			t.Fatalf("Done jumped: %+v after %+v", p, prev)
		}
		if p.Done == prev.Done+1 {
			merged++
		}
		if p.Computed > p.Total || p.Frames > frames {
			t.Fatalf("counts past the totals: %+v", p)
		}
		prev = p
	}
	if merged != parts {
		t.Errorf("%d merged reports, want %d", merged, parts)
	}
	if prev.Done != parts || prev.Frames != frames || prev.Computed != parts {
		t.Errorf("last report %+v, want all %d partitions and %d frames merged", prev, parts, frames)
	}
}

// TestProgressFrameSums: the Frames increments of the merged reports are exactly the
// partitions' frame counts (in some order).
func TestProgressFrameSums(t *testing.T) {
	ds := memDS(t, testData(5, 5, 2, 2), dataset.MemoryOptions{NumPartitions: 4})
	var mu sync.Mutex
	var steps []int
	last := 0
	_, err := RunOne(context.Background(), ds, pixelSumFrame{}, Options{Workers: 2, Progress: func(p Progress) {
		mu.Lock()
		defer mu.Unlock()
		if p.Frames != last {
			steps = append(steps, p.Frames-last)
			last = p.Frames
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]int{}
	for _, p := range dataset.Partitions(ds, 4) {
		want[p.Slice.Shape.Dim(0)]++
	}
	got := map[int]int{}
	for _, s := range steps {
		got[s]++
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("frame steps %v, want partition sizes %v", got, want)
	}
}
