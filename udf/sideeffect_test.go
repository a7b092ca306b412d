package udf

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/delayed"
	"github.com/stemflow/stemflow/sched"
)

// frameCounter declares no buffers: its only effect is counting frames into a shared
// atomic and recording which partitions ran Postprocess.
type frameCounter struct {
	frames *atomic.Int64
	parts  *partSet
}

// partSet counts Postprocess calls per partition index.
type partSet struct {
	mu sync.Mutex
	n  map[int]int
}

func (p *partSet) add(i int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n == nil {
		p.n = map[int]int{}
	}
	p.n[i]++
}

func (frameCounter) ResultBuffers(*Meta) []BufferSpec { return nil }
func (u frameCounter) ProcessFrame(*Env, array.Array) error {
	u.frames.Add(1)
	return nil
}
func (u frameCounter) Postprocess(env *Env) error {
	u.parts.add(env.Meta.Partition)
	return nil
}

// partitionCounter counts the frames of each partition it receives (ProcessPartition).
type partitionCounter struct{ frames *atomic.Int64 }

func (partitionCounter) ResultBuffers(*Meta) []BufferSpec { return nil }
func (u partitionCounter) ProcessPartition(_ *Env, part array.Array) error {
	u.frames.Add(int64(part.Shape()[0]))
	return nil
}

// TestBufferlessUDFsRun: UDFs that declare no buffers still run every partition
// exactly once, in every execution mode, alone or next to a UDF with buffers.
func TestBufferlessUDFsRun(t *testing.T) {
	const navY, navX, parts = 6, 7, 5
	data := testData(navY, navX, 4, 4)
	roi := randomROI(3, navY, navX)
	wantROI := int64(count(roi.Data()))
	ds := memDS(t, data, dataset.MemoryOptions{NumPartitions: parts})
	modes := []string{"Run", "RunIter", "RunLazy.Compute", "RunLazy.Results"}
	opts := []struct {
		name string
		o    Options
	}{
		{"inline", Options{Inline: true}},
		{"workers2", Options{Workers: 2}},
		{"workers2-window1", Options{Workers: 2, Window: 1}},
		{"workers2-30parts", Options{Workers: 2, NumPartitions: 30}},
	}
	for _, mode := range modes {
		for _, oc := range opts {
			for _, withROI := range []bool{false, true} {
				for _, mixed := range []bool{false, true} {
					name := fmt.Sprintf("%s/%s/roi=%v/mixed=%v", mode, oc.name, withROI, mixed)
					t.Run(name, func(t *testing.T) {
						o := oc.o
						want := int64(navY * navX)
						if withROI {
							o.ROI = roi
							want = wantROI
						}
						var frames, pframes atomic.Int64
						ps := &partSet{}
						udfs := []UDF{frameCounter{frames: &frames, parts: ps}, partitionCounter{frames: &pframes}}
						if mixed {
							udfs = append(udfs, pixelSumFrame{})
						}
						runMode(t, mode, ds, udfs, o)
						if got := frames.Load(); got != want {
							t.Errorf("ProcessFrame saw %d frames, want %d", got, want)
						}
						if got := pframes.Load(); got != want {
							t.Errorf("ProcessPartition saw %d frames, want %d", got, want)
						}
						np := o.NumPartitions
						if np == 0 {
							np = parts
						}
						// every partition with a selected frame ran Postprocess exactly once
						for k, p := range dataset.Partitions(ds, np) {
							sel := p.ROISlice(roiFlat(roi)).Shape.Dim(0)
							if !withROI {
								sel = p.Slice.Shape.Dim(0)
							}
							wantN := 0
							if sel > 0 {
								wantN = 1
							}
							if got := ps.n[p.Index]; got != wantN {
								t.Errorf("partition %d (#%d, %d frames) ran Postprocess %d times, want %d", p.Index, k, sel, got, wantN)
							}
						}
					})
				}
			}
		}
	}
}

// runMode runs udfs in one of the execution modes and fails t on error.
func runMode(t *testing.T, mode string, ds dataset.Dataset, udfs []UDF, o Options) {
	t.Helper()
	ctx := context.Background()
	switch mode {
	case "Run":
		if _, err := Run(ctx, ds, udfs, o); err != nil {
			t.Fatal(err)
		}
	case "RunIter":
		n := 0
		for s, err := range RunIter(ctx, ds, udfs, o) {
			if err != nil {
				t.Fatal(err)
			}
			n++
			if s.Done() != n && s.Total() != 0 {
				t.Fatalf("snapshot %d reports %d done", n, s.Done())
			}
		}
	case "RunLazy.Compute":
		l, err := RunLazy(ds, udfs, o)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.Compute(ctx); err != nil {
			t.Fatal(err)
		}
	case "RunLazy.Results":
		// only the buffer-less UDFs' handles are computed, through package delayed
		l, err := RunLazy(ds, udfs, o)
		if err != nil {
			t.Fatal(err)
		}
		so := sched.Options{Workers: o.Workers, Inline: o.Inline, Window: o.Window}
		if _, err := delayed.ComputeWith(ctx, so, l.Results[0], l.Results[1]); err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("unknown mode %q", mode)
	}
}
