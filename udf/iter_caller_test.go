package udf

import (
	"bytes"
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
	"go.uber.org/goleak"
)

// goid returns the current goroutine's id from its stack header.
func goid() string {
	b := make([]byte, 64)
	b = b[:runtime.Stack(b, false)]
	f := bytes.Fields(b)
	return string(f[1])
}

// countingFrames counts the frames it processed.
type countingFrames struct{ n *atomic.Int64 }

func (countingFrames) ResultBuffers(*Meta) []BufferSpec {
	return []BufferSpec{NavBuffer("n", array.Float32)}
}
func (u countingFrames) ProcessFrame(env *Env, _ array.Array) error {
	u.n.Add(1)
	F32(env, 0).Data()[0] = 1
	return nil
}

// TestRunIterBodyOnCaller: the loop body runs on the caller's goroutine; a panic in it
// reaches the caller with its own value, after the run was cancelled and waited for.
func TestRunIterBodyOnCaller(t *testing.T) {
	defer goleak.VerifyNone(t)
	ds := memDS(t, testData(16, 4, 4), dataset.MemoryOptions{NumPartitions: 8, SigDims: 2})
	var n atomic.Int64
	for _, inline := range []bool{false, true} {
		me := goid()
		got := func() (p any) {
			defer func() { p = recover() }()
			for s, err := range RunIter(context.Background(), ds, []UDF{countingFrames{&n}}, Options{Workers: 2, Inline: inline}) {
				if err != nil {
					t.Fatal(err)
				}
				if id := goid(); id != me {
					t.Errorf("inline=%v: body ran on goroutine %s, caller is %s", inline, id, me)
				}
				if s.Done() == 2 {
					panic("boom")
				}
			}
			return nil
		}()
		if got != "boom" {
			t.Fatalf("inline=%v: recovered %v (%T), want the body's own panic value \"boom\"", inline, got, got)
		}
	}
}

// TestRunIterBodyGoexit: runtime.Goexit (what t.Fatal calls) in the loop body ends
// the caller's goroutine normally, with deferred calls run and nothing left behind.
func TestRunIterBodyGoexit(t *testing.T) {
	defer goleak.VerifyNone(t)
	ds := memDS(t, testData(16, 4, 4), dataset.MemoryOptions{NumPartitions: 8, SigDims: 2})
	var n atomic.Int64
	var wg sync.WaitGroup
	var deferred, after atomic.Bool
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer deferred.Store(true)
		for range RunIter(context.Background(), ds, []UDF{countingFrames{&n}}, Options{Workers: 2}) {
			runtime.Goexit()
		}
		after.Store(true)
	}()
	wg.Wait()
	if !deferred.Load() || after.Load() {
		t.Fatalf("Goexit in the body: deferred=%v, code after the loop ran=%v; want true, false", deferred.Load(), after.Load())
	}
}

// TestRunIterBodyHoldsNoWorker: with one worker and a window as large as the run, all
// partition tasks finish while the body of the first snapshot waits (the body does
// not hold the worker).
func TestRunIterBodyHoldsNoWorker(t *testing.T) {
	defer goleak.VerifyNone(t)
	ds := memDS(t, testData(16, 4, 4), dataset.MemoryOptions{NumPartitions: 8, SigDims: 2})
	var n atomic.Int64
	first := true
	for s, err := range RunIter(context.Background(), ds, []UDF{countingFrames{&n}}, Options{Workers: 1, Window: 8}) {
		if err != nil {
			t.Fatal(err)
		}
		if first {
			first = false
			deadline := time.Now().Add(10 * time.Second)
			for n.Load() < 16 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			if n.Load() < 16 {
				t.Fatalf("after snapshot %d the tasks stalled at %d frames while the body waited", s.Done(), n.Load())
			}
		}
	}
}
