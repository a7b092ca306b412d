package udf

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
)

// failing returns an error or panics in a chosen method on a chosen partition.
type failing struct {
	method    string
	partition int
	panics    bool
}

func (failing) ResultBuffers(*Meta) []BufferSpec {
	return []BufferSpec{NavBuffer("x", array.Float32)}
}

func (u failing) fail(env *Env, method string) error {
	if u.method != method || (env.Meta.Partition != u.partition && u.partition >= 0) {
		return nil
	}
	if u.panics {
		panic("boom in " + method)
	}
	return fmt.Errorf("failure in %s", method)
}

func (u failing) ProcessFrame(env *Env, _ array.Array) error { return u.fail(env, "ProcessFrame") }
func (u failing) Postprocess(env *Env) error                 { return u.fail(env, "Postprocess") }
func (u failing) Preprocess(env *Env) error                  { return u.fail(env, "Preprocess") }
func (u failing) TaskData(env *Env) (any, error)             { return nil, u.fail(env, "TaskData") }
func (u failing) Merge(dest, src *Views, m *Meta) error {
	if u.method == "Merge" {
		if u.panics {
			panic("boom in Merge")
		}
		return errors.New("failure in Merge")
	}
	return F32(dest, 0).CopyFrom(F32(src, 0))
}

func TestUDFErrorsAndPanics(t *testing.T) {
	defer goleak.VerifyNone(t)
	ds := memDS(t, testData(8, 8, 8, 8), dataset.MemoryOptions{NumPartitions: 4})
	for _, method := range []string{"ProcessFrame", "Postprocess", "Preprocess", "TaskData", "Merge"} {
		for _, panics := range []bool{false, true} {
			for _, opts := range []Options{{Inline: true}, {Workers: 2}} {
				t.Run(fmt.Sprintf("%s panic=%v inline=%v", method, panics, opts.Inline), func(t *testing.T) {
					part := 2
					_, err := RunOne(context.Background(), ds, failing{method: method, partition: part, panics: panics}, opts)
					if method == "Merge" {
						part = 0 // Merge fails on the first partition merged
					}
					var ue *UDFError
					if !errors.As(err, &ue) {
						t.Fatalf("err = %v, want a *UDFError", err)
					}
					if ue.Method != method || !strings.Contains(ue.UDF, "failing") {
						t.Fatalf("UDFError %+v", ue)
					}
					if method == "Preprocess" && ue.Partition == -1 {
						return // the main-node Preprocess runs first and fails with partition -1
					}
					if ue.Partition != part {
						t.Fatalf("partition %d, want %d (%v)", ue.Partition, part, err)
					}
					var pe *PanicError
					if panics != errors.As(err, &pe) {
						t.Fatalf("panic error %v for panics=%v", err, panics)
					}
				})
			}
		}
	}
}

// modifier writes into its input tile.
type modifier struct{}

func (modifier) ResultBuffers(*Meta) []BufferSpec { return nil }
func (modifier) ProcessTile(_ *Env, tile array.Array) error {
	tile.(*array.Dense[float32]).Data()[0]++
	return nil
}

func TestCheckInputDetectsModification(t *testing.T) {
	data := testData(4, 4, 8, 8)
	ds := memDS(t, data, dataset.MemoryOptions{NumPartitions: 2, ForceNeedDecode: true})
	_, err := Run(context.Background(), ds, []UDF{pixelSumFrame{}, modifier{}}, Options{CheckInput: true})
	var ue *UDFError
	if !errors.Is(err, ErrTileModified) || !errors.As(err, &ue) || ue.Index != 1 || ue.Method != "ProcessTile" {
		t.Fatalf("err = %v, want ErrTileModified naming udf 1 ProcessTile", err)
	}
	if _, err := Run(context.Background(), ds, []UDF{pixelSumFrame{}}, Options{CheckInput: true}); err != nil {
		t.Fatal(err)
	}
}

// orderSum adds every frame's pixels into a single float32 accumulator in a
// deliberately order-sensitive way and merges by float32 addition.
type orderSum struct{}

func (orderSum) ResultBuffers(*Meta) []BufferSpec {
	return []BufferSpec{SingleBuffer("s", array.Float32), SigBuffer("sig", array.Float32)}
}
func (orderSum) ProcessTile(env *Env, tile array.Array) error {
	s := F32(env, 0).Data()
	sig := F32(env, 1)
	t := tile.(*array.Dense[float32])
	for d := 0; d < t.Shape()[0]; d++ {
		t.Row(d).ForEach(func(idx []int, v float32) {
			s[0] += v * 1.0001
			sig.Set(sig.At(idx...)+v/3, idx...)
		})
	}
	return nil
}
func (orderSum) Merge(dest, src *Views, _ *Meta) error {
	for j := 0; j < 2; j++ {
		d, s := F32(dest, j).Data(), F32(src, j).Data()
		for i := range d {
			d[i] += s[i]
		}
	}
	return nil
}

func TestDeterminismAcrossWorkers(t *testing.T) {
	data := testData(16, 16, 16, 16)
	for i := range data.Data() {
		data.Data()[i] = float32(math.Sin(float64(i))) * 1e3
	}
	ds := memDS(t, data, dataset.MemoryOptions{NumPartitions: 13, TileShape: []int{5, 8, 16}})
	ref := runOne(t, ds, orderSum{}, Options{Inline: true})
	want := f32data(t, ref.Get("s").Data())[0]
	wantSig := f32data(t, ref.Get("sig").Data())
	for _, w := range []int{1, 2, 4, 7} {
		for rep := 0; rep < 3; rep++ {
			res := runOne(t, ds, orderSum{}, Options{Workers: w})
			if got := f32data(t, res.Get("s").Data())[0]; math.Float32bits(got) != math.Float32bits(want) {
				t.Fatalf("workers %d: %v, inline %v", w, got, want)
			}
			for i, v := range f32data(t, res.Get("sig").Data()) {
				if math.Float32bits(v) != math.Float32bits(wantSig[i]) {
					t.Fatalf("workers %d: sig[%d] %v, inline %v", w, i, v, wantSig[i])
				}
			}
		}
	}
}

func TestConcurrentRunsShareUDF(t *testing.T) {
	a := testData(8, 8, 16, 16)
	b := testData(4, 16, 8, 8)
	for i := range b.Data() {
		b.Data()[i] *= 3
	}
	dsA := memDS(t, a, dataset.MemoryOptions{NumPartitions: 5})
	dsB := memDS(t, b, dataset.MemoryOptions{NumPartitions: 3, TileShape: []int{2, 8, 8}})
	u := pixelSumFrame{} // one value, two concurrent runs
	var wg sync.WaitGroup
	res := make([]*Result, 2)
	errs := make([]error, 2)
	for i, ds := range []dataset.Dataset{dsA, dsB} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i], errs[i] = RunOne(context.Background(), ds, u, Options{Workers: 2})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	checkPixelsum(t, res[0], a, 256, nil)
	checkPixelsum(t, res[1], b, 64, nil)
}

// slowFrames sleeps per frame so a run can be cancelled midway.
type slowFrames struct{ pixelSumFrame }

func (u slowFrames) ProcessFrame(env *Env, f array.Array) error {
	time.Sleep(time.Millisecond)
	return u.pixelSumFrame.ProcessFrame(env, f)
}

func TestCancellation(t *testing.T) {
	defer goleak.VerifyNone(t)
	ds := memDS(t, testData(32, 32, 4, 4), dataset.MemoryOptions{NumPartitions: 16})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	_, err := RunOne(ctx, ds, slowFrames{}, Options{Workers: 2})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestIterBreakStopsRun(t *testing.T) {
	defer goleak.VerifyNone(t)
	ds := memDS(t, testData(8, 8, 8, 8), dataset.MemoryOptions{NumPartitions: 8})
	for _, opts := range []Options{{Inline: true}, {Workers: 2}} {
		n := 0
		for _, err := range RunIter(context.Background(), ds, []UDF{pixelSumFrame{}}, opts) {
			if err != nil {
				t.Fatal(err)
			}
			n++
			if n == 3 {
				break
			}
		}
		if n != 3 {
			t.Fatalf("%d iterations", n)
		}
	}
}

func TestRunErrors(t *testing.T) {
	ds := memDS(t, testData(4, 4, 8, 8), dataset.MemoryOptions{NumPartitions: 2})
	ctx := context.Background()
	if _, err := Run(ctx, ds, nil, Options{}); !errors.Is(err, ErrNoUDFs) {
		t.Errorf("no UDFs: %v", err)
	}
	if _, err := RunOne(ctx, ds, pixelSumFrame{}, Options{ROI: array.Zeros[bool](5)}); !errors.Is(err, ErrROIShape) {
		t.Errorf("roi size: %v", err)
	}
	if _, err := RunOne(ctx, ds, pixelSumFrame{}, Options{ROI: array.Zeros[int32](16)}); !errors.Is(err, ErrROIShape) {
		t.Errorf("roi dtype: %v", err)
	}
	// a flat ROI with the right element count is accepted
	if _, err := RunOne(ctx, ds, pixelSumFrame{}, Options{ROI: array.Zeros[bool](16)}); err != nil {
		t.Errorf("flat roi: %v", err)
	}
	if _, err := RunOne(ctx, ds, dupNames{}, Options{}); !errors.Is(err, ErrBadDeclaration) {
		t.Errorf("duplicate names: %v", err)
	}
	if _, err := RunOne(ctx, ds, unsafeCast{}, Options{}); !errors.Is(err, ErrUnsafeCast) {
		t.Errorf("unsafe cast: %v", err)
	}
	if _, err := RunOne(ctx, ds, badMergeAll{}, Options{}); !errors.Is(err, ErrMergeAllResult) {
		t.Errorf("merge_all shape: %v", err)
	}
}

type dupNames struct{}

func (dupNames) ResultBuffers(*Meta) []BufferSpec {
	return []BufferSpec{NavBuffer("a", array.Float32), SigBuffer("a", array.Float32)}
}
func (dupNames) ProcessFrame(*Env, array.Array) error { return nil }

// unsafeCast declares float64 on tasks (which see a partition) and float32 on the
// main node, so the default merge would narrow float64 to float32.
type unsafeCast struct{}

func (unsafeCast) ResultBuffers(m *Meta) []BufferSpec {
	if _, err := m.PartitionShape(); err == nil {
		return []BufferSpec{NavBuffer("a", array.Float64)}
	}
	return []BufferSpec{NavBuffer("a", array.Float32)}
}
func (unsafeCast) ProcessFrame(*Env, array.Array) error { return nil }

type badMergeAll struct{ sumAllOnly }

func (badMergeAll) MergeAll(parts []Partial, _ *Meta) (map[string]array.Array, error) {
	return map[string]array.Array{"intensity": array.Zeros[float64](8, 8)}, nil
}

// windowProbe counts started partitions and merged ones; a partition starting while
// more than window partials await their merge fails the run.
type windowProbe struct {
	started, merged *atomic.Int64
	window          int64
}

func (windowProbe) ResultBuffers(*Meta) []BufferSpec {
	return []BufferSpec{SingleBuffer("n", array.Int64)}
}

func (u windowProbe) ProcessPartition(env *Env, _ array.Array) error {
	s := u.started.Add(1)
	if live := s - u.merged.Load(); live > u.window {
		return fmt.Errorf("%d partials alive, window %d", live, u.window)
	}
	if env.Meta.Partition < 4 {
		time.Sleep(5 * time.Millisecond) // slow early partitions
	}
	View[int64](env, 0).Data()[0] = 1
	return nil
}

func (u windowProbe) Merge(dest, src *Views, _ *Meta) error {
	View[int64](dest, 0).Data()[0] += View[int64](src, 0).Data()[0]
	u.merged.Add(1)
	return nil
}

func TestAdmissionWindowWithMergeAll(t *testing.T) {
	ds := memDS(t, testData(64, 2, 2), dataset.MemoryOptions{NumPartitions: 64})
	var started, merged atomic.Int64
	probe := windowProbe{started: &started, merged: &merged, window: 4}
	rs, err := Run(context.Background(), ds, []UDF{probe, sumAllOnly{}}, Options{Workers: 2, Window: 4})
	if err != nil {
		t.Fatal(err)
	}
	if n := rs[0].Get("n").Data().(*array.Dense[int64]).Data()[0]; n != 64 {
		t.Fatalf("merged %d partitions, want 64", n)
	}
}

func TestProgress(t *testing.T) {
	ds := memDS(t, testData(8, 8, 4, 4), dataset.MemoryOptions{NumPartitions: 6})
	var mu sync.Mutex
	var last Progress
	calls := 0
	_, err := RunOne(context.Background(), ds, pixelSumFrame{}, Options{Workers: 2, Progress: func(p Progress) {
		mu.Lock()
		defer mu.Unlock()
		last = p
		calls++
	}})
	if err != nil {
		t.Fatal(err)
	}
	if want := (Progress{Done: 6, Total: 6, Frames: 64, TotalFrames: 64, Computed: 6}); calls < 6 || last != want {
		t.Fatalf("%d calls, last %+v, want >= 6 calls and a final %+v", calls, last, want)
	}
}

func TestDryRun(t *testing.T) {
	ds := memDS(t, testData(4, 4, 8, 8), dataset.MemoryOptions{NumPartitions: 2})
	roi := randomROI(9, 4, 4)
	rs, err := DryRun(context.Background(), ds, []UDF{pixelSumFrame{}, averageUDF{}}, Options{ROI: roi})
	if err != nil {
		t.Fatal(err)
	}
	raw := f32data(t, rs[0].Get("pixelsum").RawData())
	if len(raw) != count(roiFlat(roi)) || slices.ContainsFunc(raw, func(v float32) bool { return v != 0 }) {
		t.Fatalf("dry run pixelsum raw %v", raw)
	}
	if n := count(rs[0].Get("pixelsum").ValidMask().Data()); n != 0 {
		t.Fatalf("nothing merged, but %d positions are valid", n)
	}
	if n := rs[1].Get("num_frames").Data().(*array.Dense[uint64]).Data()[0]; n != 0 {
		t.Fatalf("dry run num_frames %d", n)
	}
	if !slices.Equal(rs[1].Names(), []string{"average", "sum", "num_frames"}) {
		t.Fatalf("dry run names %v", rs[1].Names())
	}
}
