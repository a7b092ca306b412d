package udf

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
)

// redeclareUDF declares its nav buffer as main on the main node and task on tasks.
type redeclareUDF struct{ main, task array.DType }

func (redeclareUDF) Name() string { return "Redeclare" }
func (u redeclareUDF) ResultBuffers(m *Meta) []BufferSpec {
	if _, err := m.PartitionShape(); err == nil {
		return []BufferSpec{NavBuffer("n", u.task)}
	}
	return []BufferSpec{NavBuffer("n", u.main)}
}
func (redeclareUDF) ProcessFrame(*Env, array.Array) error { return nil }

// TestDefaultMergeSafeCast: a task-side re-declaration with a dtype that casts safely
// to the main node's is merged; an unsafe one fails with ErrUnsafeCast naming the UDF.
func TestDefaultMergeSafeCast(t *testing.T) {
	ds := memDS(t, testData(4, 3, 3), dataset.MemoryOptions{NumPartitions: 2, SigDims: 2})
	for _, tc := range []struct {
		main, task array.DType
		want       error
	}{
		{array.Float64, array.Float32, nil},
		{array.Float32, array.Float64, ErrUnsafeCast},
		{array.Int32, array.Float32, ErrUnsafeCast},
	} {
		_, err := RunOne(context.Background(), ds, redeclareUDF{tc.main, tc.task}, Options{})
		if !errors.Is(err, tc.want) || (err != nil && !strings.Contains(err.Error(), "Redeclare")) {
			t.Errorf("main %v task %v: got %v, want %v", tc.main, tc.task, err, tc.want)
		}
	}
}

// auxWriter writes into its aux view on every frame.
type auxWriter struct{ a *AuxData }

func (u auxWriter) ResultBuffers(*Meta) []BufferSpec {
	return []BufferSpec{NavBuffer("n", array.Float32)}
}
func (u auxWriter) AuxData() []*AuxData { return []*AuxData{u.a} }
func (u auxWriter) ProcessFrame(env *Env, _ array.Array) error {
	v := AuxView[float32](env, u.a)
	F32(env, 0).Data()[0] = v.Data()[0]
	v.Data()[0] = -1
	return nil
}

// TestAuxViewsAreCopies: without a ROI, a UDF writing into its aux view does not
// change the caller's array.
func TestAuxViewsAreCopies(t *testing.T) {
	ds := memDS(t, testData(6, 2, 2), dataset.MemoryOptions{NumPartitions: 2, SigDims: 2})
	src := array.Wrap([]float32{1, 2, 3, 4, 5, 6}, 6)
	a, err := NewAuxData("p", src)
	if err != nil {
		t.Fatal(err)
	}
	res := runOne(t, ds, auxWriter{a}, Options{Workers: 2})
	if got := src.Data(); !slices.Equal(got, []float32{1, 2, 3, 4, 5, 6}) {
		t.Fatalf("caller's aux array changed to %v", got)
	}
	if got := f32data(t, res.Get("n").RawData()); !slices.Equal(got, []float32{1, 2, 3, 4, 5, 6}) {
		t.Fatalf("n = %v, want the aux values", got)
	}
}

// orderUDF records Postprocess and Cleanup calls.
type orderUDF struct {
	id  string
	mu  *sync.Mutex
	log *[]string
}

func (orderUDF) ResultBuffers(*Meta) []BufferSpec {
	return []BufferSpec{NavBuffer("n", array.Float32)}
}
func (orderUDF) ProcessFrame(*Env, array.Array) error { return nil }
func (u orderUDF) Postprocess(*Env) error {
	u.mu.Lock()
	*u.log = append(*u.log, "post"+u.id)
	u.mu.Unlock()
	return nil
}
func (u orderUDF) Cleanup(*Env) error {
	u.mu.Lock()
	*u.log = append(*u.log, "clean"+u.id)
	u.mu.Unlock()
	return nil
}

// TestCleanupRightAfterPostprocess: each UDF's Cleanup runs right after its own
// Postprocess, before the next UDF's Postprocess.
func TestCleanupRightAfterPostprocess(t *testing.T) {
	ds := memDS(t, testData(2, 2, 2), dataset.MemoryOptions{NumPartitions: 1, SigDims: 2})
	var mu sync.Mutex
	var log []string
	if _, err := Run(context.Background(), ds, []UDF{orderUDF{"0", &mu, &log}, orderUDF{"1", &mu, &log}}, Options{Inline: true}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"post0", "clean0", "post1", "clean1"}; !slices.Equal(log, want) {
		t.Fatalf("calls %v, want %v", log, want)
	}
}
