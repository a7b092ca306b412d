package udf

import (
	"context"
	"errors"
	"math"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
)

// loopRunner runs remote tasks through Prepare/RunPartition on a second, separately
// opened copy of the dataset, as an executor machine would.
type loopRunner struct {
	ds    dataset.Dataset
	udfs  []UDF
	opts  Options
	calls atomic.Int32
	// corrupt, when set, changes the returned buffers.
	corrupt func([][]array.Array) [][]array.Array
}

func (l *loopRunner) Slots() int { return 3 }

func (l *loopRunner) RunTask(ctx context.Context, t RemoteTask) ([][]array.Array, error) {
	l.calls.Add(1)
	p, err := Prepare(l.ds, l.udfs, l.opts, t.Partitions)
	if err != nil {
		return nil, err
	}
	out, err := p.RunPartition(ctx, t)
	if err == nil && l.corrupt != nil {
		out = l.corrupt(out)
	}
	return out, err
}

func TestRemoteRunnerBitIdentical(t *testing.T) {
	data := testData(9, 7, 6, 5)
	for i := range data.Data() {
		data.Data()[i] = float32(math.Sin(float64(i))) * 1e3
	}
	mo := dataset.MemoryOptions{NumPartitions: 5, TileShape: []int{4, 6, 5}}
	for _, roi := range []*array.Dense[bool]{nil, randomROI(3, 9, 7)} {
		us := []UDF{orderSum{}, pixelSumFrame{}}
		opts := Options{Workers: 2}
		if roi != nil {
			opts.ROI = roi
		}
		ref, err := Run(context.Background(), memDS(t, data, mo), us, opts)
		if err != nil {
			t.Fatal(err)
		}
		lr := &loopRunner{ds: memDS(t, data, mo), udfs: us, opts: opts}
		ropts := opts
		ropts.Remote = lr
		got, err := Run(context.Background(), memDS(t, data, mo), us, ropts)
		if err != nil {
			t.Fatal(err)
		}
		wantCalls := 5
		if roi != nil {
			wantCalls = 0
			for p := range 5 {
				// partitions of 63 rows in 5: sizes 13,13,13,12,12
				lo := []int{0, 13, 26, 39, 51, 63}
				for i := lo[p]; i < lo[p+1]; i++ {
					if roi.Data()[i] {
						wantCalls++
						break
					}
				}
			}
		}
		if int(lr.calls.Load()) != wantCalls {
			t.Errorf("roi %v: %d remote calls, want %d", roi != nil, lr.calls.Load(), wantCalls)
		}
		for i := range ref {
			for j, b := range ref[i].Buffers {
				name := ref[i].Names()[j]
				w := f32data(t, b.RawData())
				g := f32data(t, got[i].Get(name).RawData())
				if !slices.Equal(w, g) {
					t.Errorf("roi %v: udf %d buffer %s differs from the local run", roi != nil, i, name)
				}
			}
		}
	}
}

func TestRemoteRunnerChecksResults(t *testing.T) {
	data := testData(4, 4, 3, 3)
	mo := dataset.MemoryOptions{NumPartitions: 2}
	us := []UDF{orderSum{}}
	cases := map[string]func([][]array.Array) [][]array.Array{
		"missing udf": func(o [][]array.Array) [][]array.Array { return nil },
		"missing buf": func(o [][]array.Array) [][]array.Array { return [][]array.Array{o[0][:1]} },
		"wrong dtype": func(o [][]array.Array) [][]array.Array { o[0][1] = array.New(array.Float64, 3, 3); return o },
		"wrong shape": func(o [][]array.Array) [][]array.Array { o[0][1] = array.New(array.Float32, 3, 4); return o },
		"nil buffer":  func(o [][]array.Array) [][]array.Array { o[0][0] = nil; return o },
	}
	for name, c := range cases {
		lr := &loopRunner{ds: memDS(t, data, mo), udfs: us, corrupt: c}
		_, err := Run(context.Background(), memDS(t, data, mo), us, Options{Remote: lr})
		if !errors.Is(err, ErrRemoteResult) {
			t.Errorf("%s: error %v, want ErrRemoteResult", name, err)
		}
	}
}

func TestPrepareRefusesOtherPartitioning(t *testing.T) {
	data := testData(4, 4, 3, 3)
	p, err := Prepare(memDS(t, data, dataset.MemoryOptions{}), []UDF{orderSum{}}, Options{}, 4)
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range []RemoteTask{
		{Order: 0, Partition: 7, Partitions: 4, Start: 0, Stop: 4, Frames: 4},
		{Order: 0, Partition: 0, Partitions: 4, Start: 0, Stop: 5, Frames: 5},
	} {
		if _, err := p.RunPartition(context.Background(), rt); !errors.Is(err, ErrRemoteResult) {
			t.Errorf("%+v: error %v, want ErrRemoteResult", rt, err)
		}
	}
}
