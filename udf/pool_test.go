package udf

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/graph"
	"github.com/stemflow/stemflow/sched"
)

// concurrency counts the frames being processed at once across runs.
type concurrency struct {
	running, peak, frames atomic.Int32
	delay                 time.Duration
}

// countedFrames is pixelSumFrame that records how many frames (and so partition
// tasks) are processed at once.
type countedFrames struct {
	pixelSumFrame
	c *concurrency
}

func (u countedFrames) ProcessFrame(env *Env, f array.Array) error {
	n := u.c.running.Add(1)
	defer u.c.running.Add(-1)
	u.c.frames.Add(1)
	for {
		p := u.c.peak.Load()
		if n <= p || u.c.peak.CompareAndSwap(p, n) {
			break
		}
	}
	if u.c.delay > 0 {
		time.Sleep(u.c.delay)
	} else {
		time.Sleep(5 * time.Microsecond)
	}
	return u.pixelSumFrame.ProcessFrame(env, f)
}

// TestSharedPool: a Run and a RunIter over two datasets, sharing a pool of 2,
// never process more than 2 frames at once and both give the right sums.
func TestSharedPool(t *testing.T) {
	defer goleak.VerifyNone(t)
	pool := sched.NewPool(2)
	a, b := testData(16, 16, 4, 4), testData(12, 10, 8, 8)
	dsA := memDS(t, a, dataset.MemoryOptions{NumPartitions: 16})
	dsB := memDS(t, b, dataset.MemoryOptions{NumPartitions: 12})
	c := &concurrency{}
	var wg sync.WaitGroup
	var resA, resB *Result
	var errA, errB error
	wg.Add(2)
	go func() {
		defer wg.Done()
		resA, errA = RunOne(context.Background(), dsA, countedFrames{c: c}, Options{Pool: pool})
	}()
	go func() {
		defer wg.Done()
		for s, err := range RunIter(context.Background(), dsB, []UDF{countedFrames{c: c}}, Options{Pool: pool, Workers: 4}) {
			if err != nil {
				errB = err
				return
			}
			if s.Done() == s.Total() {
				rs, err := s.Results()
				if err != nil {
					errB = err
					return
				}
				resB = rs[0]
			}
		}
	}()
	wg.Wait()
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	checkPixelsum(t, resA, a, 16, nil)
	checkPixelsum(t, resB, b, 64, nil)
	if p := c.peak.Load(); p > 2 {
		t.Fatalf("%d frames processed at once on a pool of 2", p)
	}
	if pool.InUse() != 0 || pool.Waiting() != 0 {
		t.Fatalf("pool after the runs: %d in use, %d waiting", pool.InUse(), pool.Waiting())
	}
}

// TestSharedPoolCancel: cancelling a run that holds the pool's slots lets
// another run on the pool finish.
func TestSharedPoolCancel(t *testing.T) {
	defer goleak.VerifyNone(t)
	pool := sched.NewPool(2)
	slow := &concurrency{delay: time.Millisecond}
	a := testData(32, 32, 4, 4)
	dsA := memDS(t, a, dataset.MemoryOptions{NumPartitions: 8}) // 128 ms per task
	b := testData(8, 8, 4, 4)
	dsB := memDS(t, b, dataset.MemoryOptions{NumPartitions: 4})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errA := make(chan error, 1)
	go func() {
		_, err := RunOne(ctx, dsA, countedFrames{c: slow}, Options{Pool: pool})
		errA <- err
	}()
	for slow.running.Load() < 2 {
		time.Sleep(100 * time.Microsecond)
	}
	resB := make(chan *Result, 1)
	errB := make(chan error, 1)
	go func() {
		r, err := RunOne(context.Background(), dsB, countedFrames{c: &concurrency{}}, Options{Pool: pool})
		resB <- r
		errB <- err
	}()
	for pool.Waiting() < 2 {
		time.Sleep(100 * time.Microsecond)
	}
	cancel()
	if err := <-errA; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled run: %v, want context.Canceled", err)
	}
	r := <-resB
	if err := <-errB; err != nil {
		t.Fatal(err)
	}
	checkPixelsum(t, r, b, 16, nil)
	if n := slow.frames.Load(); n >= 32*32 {
		t.Fatalf("the cancelled run processed all %d frames", n)
	}
	if pool.InUse() != 0 || pool.Waiting() != 0 {
		t.Fatalf("pool after the runs: %d in use, %d waiting", pool.InUse(), pool.Waiting())
	}
}

// nodeCounter is a sched.Observer that counts starts and ends per node kind.
type nodeCounter struct {
	mu             sync.Mutex
	plan           *graph.Plan
	started, ended map[graph.Kind]int
	failed         int
}

func (n *nodeCounter) RunStarted(p *graph.Plan) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.plan = p
	n.started, n.ended = map[graph.Kind]int{}, map[graph.Kind]int{}
}

func (n *nodeCounter) NodeStarted(i int32, _ sched.WorkerInfo) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.started[n.plan.Nodes[i].Kind]++
}

func (n *nodeCounter) NodeFinished(i int32, _ time.Duration, err error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.ended[n.plan.Nodes[i].Kind]++
	if err != nil {
		n.failed++
	}
}

// TestObserverSeesRun: Run and RunIter report their compiled graph and every
// node of it, one partition task per partition.
func TestObserverSeesRun(t *testing.T) {
	defer goleak.VerifyNone(t)
	ds := memDS(t, testData(8, 8, 4, 4), dataset.MemoryOptions{NumPartitions: 4})
	for _, iterate := range []bool{false, true} {
		obs := &nodeCounter{}
		opts := Options{Workers: 2, Observer: obs}
		if iterate {
			for _, err := range RunIter(context.Background(), ds, []UDF{pixelSumFrame{}}, opts) {
				if err != nil {
					t.Fatal(err)
				}
			}
		} else if _, err := RunOne(context.Background(), ds, pixelSumFrame{}, opts); err != nil {
			t.Fatal(err)
		}
		if obs.plan == nil {
			t.Fatal("no RunStarted")
		}
		if obs.started[graph.KindTask] != 4 || obs.ended[graph.KindTask] != 4 {
			t.Fatalf("iterate=%v: %d/%d partition tasks started/ended, want 4", iterate, obs.started[graph.KindTask], obs.ended[graph.KindTask])
		}
		total := 0
		for k, n := range obs.started {
			if obs.ended[k] != n {
				t.Fatalf("kind %v: %d started, %d ended", k, n, obs.ended[k])
			}
			total += n
		}
		if total != len(obs.plan.Nodes) || obs.failed != 0 {
			t.Fatalf("iterate=%v: %d nodes reported (%d failed), the plan has %d", iterate, total, obs.failed, len(obs.plan.Nodes))
		}
	}
}
