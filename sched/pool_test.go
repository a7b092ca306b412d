package sched

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stemflow/stemflow/graph"
)

// flatGraph is n leaves, each op(i) → 1, summed by one merge node.
func flatGraph(t testing.TB, prefix string, n int, op func(i int) graph.Op) (*graph.Graph, graph.Key) {
	g := graph.New()
	deps := make([]graph.Key, n)
	for i := range n {
		deps[i] = graph.Key(fmt.Sprintf("%s-%d", prefix, i))
		mustAdd(t, g, graph.Node{Key: deps[i], Kind: graph.KindTask, Op: op(i)})
	}
	sum := graph.Key(prefix + "-sum")
	mustAdd(t, g, graph.Node{Key: sum, Kind: graph.KindMerge, Deps: deps,
		Op: func(_ context.Context, args []any) (any, error) { return sumInts(args), nil }})
	return g, sum
}

// waitFor polls cond until it holds (the test's timeout bounds it).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for start := time.Now(); !cond(); {
		if time.Since(start) > 20*time.Second {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// TestPoolBoundsConcurrency: runs sharing a pool of 2 never run more than 2 ops
// at once, however many workers each has, and all compute the right sums.
func TestPoolBoundsConcurrency(t *testing.T) {
	pool := NewPool(2)
	var running, peak atomic.Int32
	op := func(int) graph.Op {
		return func(context.Context, []any) (any, error) {
			n := running.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(20 * time.Microsecond)
			running.Add(-1)
			return 1, nil
		}
	}
	const runs, leaves = 4, 300
	var wg sync.WaitGroup
	errs := make([]error, runs)
	sums := make([]int, runs)
	for r := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g, out := flatGraph(t, fmt.Sprint("r", r), leaves, op)
			// Run 0 asks for more workers than slots: the pool still bounds it.
			vals, err := Compute(context.Background(), g, []graph.Key{out}, Options{Pool: pool, Workers: 1 + 3*(r%2)})
			errs[r] = err
			if err == nil {
				sums[r] = vals[0].(int)
			}
		}()
	}
	wg.Wait()
	for r := range runs {
		if errs[r] != nil || sums[r] != leaves {
			t.Fatalf("run %d: sum %d, err %v; want %d, nil", r, sums[r], errs[r], leaves)
		}
	}
	if p := peak.Load(); p > 2 {
		t.Fatalf("%d ops ran at once on a pool of 2", p)
	}
	if pool.InUse() != 0 || pool.Waiting() != 0 {
		t.Fatalf("after the runs: %d slots in use, %d waiting; want 0, 0", pool.InUse(), pool.Waiting())
	}
}

// TestPoolFairTurns: with both runs' workers queued on a pool of 2, slots go
// first come, first served, so the runs alternate instead of one starving the
// other. Every op blocks until the test releases it, which makes the order of
// grants deterministic.
func TestPoolFairTurns(t *testing.T) {
	pool := NewPool(2)
	type start struct {
		run     string
		release chan struct{}
	}
	starts := make(chan start)
	all := make(chan struct{}) // closed: every op may return
	blocking := func(run string) func(int) graph.Op {
		return func(int) graph.Op {
			return func(ctx context.Context, _ []any) (any, error) {
				ch := make(chan struct{})
				select {
				case starts <- start{run, ch}:
				case <-all:
					return 1, nil
				}
				select {
				case <-ch:
				case <-all:
				}
				return 1, nil
			}
		}
	}
	const leaves = 12
	var wg sync.WaitGroup
	results := map[string]int{}
	var mu sync.Mutex
	launch := func(name string) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g, out := flatGraph(t, name, leaves, blocking(name))
			vals, err := Compute(context.Background(), g, []graph.Key{out}, Options{Pool: pool})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				results[name] = -1
				return
			}
			results[name] = vals[0].(int)
		}()
	}
	var running []start
	launch("A")
	running = append(running, <-starts, <-starts) // A holds both slots
	launch("B")
	waitFor(t, "B's two workers wait for a slot", func() bool { return pool.Waiting() == 2 })
	var got []string
	for range 8 {
		close(running[0].release)
		running = running[1:]
		s := <-starts
		got = append(got, s.run)
		running = append(running, s)
		// The worker that finished queues again behind the others.
		waitFor(t, "two workers wait again", func() bool { return pool.Waiting() == 2 })
	}
	close(all)
	wg.Wait()
	if want := []string{"B", "B", "A", "A", "B", "B", "A", "A"}; !slices.Equal(got, want) {
		t.Fatalf("slot grants after B queued: %v, want %v", got, want)
	}
	if results["A"] != leaves || results["B"] != leaves {
		t.Fatalf("sums %v, want %d each", results, leaves)
	}
	if pool.InUse() != 0 || pool.Waiting() != 0 {
		t.Fatalf("after the runs: %d slots in use, %d waiting", pool.InUse(), pool.Waiting())
	}
}

// TestPoolCancelReleases: cancelling a run that holds every slot (and has more
// workers waiting) lets another run on the same pool finish.
func TestPoolCancelReleases(t *testing.T) {
	pool := NewPool(2)
	var aStarted atomic.Int32
	ga, outA := flatGraph(t, "A", 50, func(int) graph.Op {
		return func(ctx context.Context, _ []any) (any, error) {
			aStarted.Add(1)
			<-ctx.Done()
			return nil, ctx.Err()
		}
	})
	gb, outB := flatGraph(t, "B", 50, func(int) graph.Op {
		return func(context.Context, []any) (any, error) { return 1, nil }
	})
	ctxA, cancelA := context.WithCancel(context.Background())
	defer cancelA()
	errA := make(chan error, 1)
	go func() {
		_, err := Compute(ctxA, ga, []graph.Key{outA}, Options{Pool: pool, Workers: 4})
		errA <- err
	}()
	waitFor(t, "A holds both slots and two of its workers wait", func() bool {
		return aStarted.Load() == 2 && pool.Waiting() == 2
	})
	type res struct {
		v   []any
		err error
	}
	resB := make(chan res, 1)
	go func() {
		v, err := Compute(context.Background(), gb, []graph.Key{outB}, Options{Pool: pool})
		resB <- res{v, err}
	}()
	waitFor(t, "B's workers wait too", func() bool { return pool.Waiting() == 4 })
	select {
	case <-resB:
		t.Fatal("B finished while A held every slot")
	default:
	}
	cancelA()
	if err := <-errA; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled run A: %v, want context.Canceled", err)
	}
	rb := <-resB
	if rb.err != nil || rb.v[0].(int) != 50 {
		t.Fatalf("run B: %v, %v; want 50, nil", rb.v, rb.err)
	}
	if aStarted.Load() != 2 {
		t.Fatalf("A started %d ops, want 2 (none after the cancel)", aStarted.Load())
	}
	if pool.InUse() != 0 || pool.Waiting() != 0 {
		t.Fatalf("after the runs: %d slots in use, %d waiting", pool.InUse(), pool.Waiting())
	}
}

// TestPoolStress: many runs on a small pool, some failing and some cancelled at
// random moments; the pool ends with every slot free and nobody waiting.
func TestPoolStress(t *testing.T) {
	pool := NewPool(3)
	var wg sync.WaitGroup
	for r := range 24 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			g, out := flatGraph(t, fmt.Sprint("s", r), 40, func(i int) graph.Op {
				return func(context.Context, []any) (any, error) {
					switch {
					case r%4 == 1 && i == 20:
						return nil, errors.New("boom")
					case r%4 == 2 && i == 10:
						cancel()
					}
					return 1, nil
				}
			})
			opts := Options{Pool: pool, Workers: 1 + r%4, Inline: r%6 == 5}
			vals, err := Compute(ctx, g, []graph.Key{out}, opts)
			switch {
			case r%4 == 1:
				if err == nil {
					t.Errorf("run %d: no error, want boom", r)
				}
			case r%4 == 2:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("run %d: %v, want context.Canceled", r, err)
				}
			case err != nil || vals[0].(int) != 40:
				t.Errorf("run %d: %v, %v; want 40", r, vals, err)
			}
		}()
	}
	wg.Wait()
	if pool.InUse() != 0 || pool.Waiting() != 0 {
		t.Fatalf("after the runs: %d slots in use, %d waiting", pool.InUse(), pool.Waiting())
	}
}

func TestNewPoolSize(t *testing.T) {
	if NewPool(3).Size() != 3 {
		t.Fatal("NewPool(3).Size() != 3")
	}
	if NewPool(0).Size() < 1 {
		t.Fatal("NewPool(0) has no slot")
	}
}

// recorder is an Observer that logs what it sees.
type recorder struct {
	mu       sync.Mutex
	plan     *graph.Plan
	started  map[int32]int
	finished map[int32]int
	errs     map[int32]error
	order    []string
}

func newRecorder() *recorder {
	return &recorder{started: map[int32]int{}, finished: map[int32]int{}, errs: map[int32]error{}}
}

func (r *recorder) RunStarted(p *graph.Plan) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.plan = p
	r.order = append(r.order, "run")
}

func (r *recorder) NodeStarted(i int32, w WorkerInfo) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.started[i]++
	r.order = append(r.order, fmt.Sprint("start ", r.plan.Nodes[i].Key))
}

func (r *recorder) NodeFinished(i int32, d time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started[i] != 1 || d < 0 {
		r.order = append(r.order, fmt.Sprint("bad finish ", i, d))
	}
	r.finished[i]++
	if err != nil {
		r.errs[i] = err
	}
	r.order = append(r.order, fmt.Sprint("end ", r.plan.Nodes[i].Key))
}

// TestObserver: the observer sees the plan first, then every node start and
// finish once, a finish after its start and a dependency's finish before its
// dependents' start; a failing node is reported with its error.
func TestObserver(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			g, out := flatGraph(t, "o", 20, func(i int) graph.Op {
				return func(context.Context, []any) (any, error) { return 1, nil }
			})
			rec := newRecorder()
			opts := m.opts
			opts.Observer = rec
			vals, err := Compute(context.Background(), g, []graph.Key{out}, opts)
			if err != nil || vals[0].(int) != 20 {
				t.Fatalf("%v, %v", vals, err)
			}
			if rec.order[0] != "run" || len(rec.plan.Nodes) != 21 {
				t.Fatalf("first event %q, plan of %d nodes; want run, 21", rec.order[0], len(rec.plan.Nodes))
			}
			for i := range int32(21) {
				if rec.started[i] != 1 || rec.finished[i] != 1 {
					t.Fatalf("node %d started %d, finished %d times", i, rec.started[i], rec.finished[i])
				}
			}
			sumAt := slices.Index(rec.order, "start o-sum")
			for i := range 20 {
				if e := slices.Index(rec.order, fmt.Sprintf("end o-%d", i)); e < 0 || e > sumAt {
					t.Fatalf("leaf %d ended at %d, the sum started at %d: %q", i, e, sumAt, rec.order)
				}
			}
			for _, ev := range rec.order {
				if len(ev) > 3 && ev[:3] == "bad" {
					t.Fatal(ev)
				}
			}
		})
	}
	t.Run("failure", func(t *testing.T) {
		boom := errors.New("boom")
		g, out := flatGraph(t, "f", 3, func(i int) graph.Op {
			return func(context.Context, []any) (any, error) {
				if i == 1 {
					return nil, boom
				}
				return 1, nil
			}
		})
		rec := newRecorder()
		_, err := Compute(context.Background(), g, []graph.Key{out}, Options{Inline: true, Observer: rec})
		if !errors.Is(err, boom) {
			t.Fatalf("run error %v, want boom", err)
		}
		var failed []graph.Key
		for i, e := range rec.errs {
			if errors.Is(e, boom) {
				failed = append(failed, rec.plan.Nodes[i].Key)
			}
		}
		if len(failed) != 1 || failed[0] != "f-1" {
			t.Fatalf("failed nodes %v, want [f-1]", failed)
		}
		for i := range rec.plan.Nodes {
			if rec.plan.Nodes[i].Key == "f-sum" && rec.started[int32(i)] != 0 {
				t.Fatal("the sum started after a failed dependency")
			}
		}
	})
}

type nopObserver struct{}

func (nopObserver) RunStarted(*graph.Plan)                   {}
func (nopObserver) NodeStarted(int32, WorkerInfo)            {}
func (nopObserver) NodeFinished(int32, time.Duration, error) {}

// TestObserverAllocatesNothingPerNode: a run with an observer allocates as much
// as one without, and neither allocates per node for the feature.
func TestObserverAllocatesNothingPerNode(t *testing.T) {
	g, out := flatGraph(t, "a", 500, func(i int) graph.Op {
		return func(context.Context, []any) (any, error) { return 1, nil }
	})
	p, err := g.Compile(out)
	if err != nil {
		t.Fatal(err)
	}
	allocs := func(obs Observer) float64 {
		return testing.AllocsPerRun(20, func() {
			if _, err := Run(context.Background(), p, Options{Inline: true, Observer: obs}); err != nil {
				t.Fatal(err)
			}
		})
	}
	without, with := allocs(nil), allocs(nopObserver{})
	if with > without+1 {
		t.Fatalf("%v allocations with an observer, %v without (500 nodes)", with, without)
	}
}

// Two runs share a pool of two slots: together they never run more than two ops
// at once, and they take turns.
func ExamplePool() {
	pool := NewPool(2)
	square := func(i int) graph.Op {
		return func(context.Context, []any) (any, error) { return i * i, nil }
	}
	var wg sync.WaitGroup
	sums := make([]int, 2)
	for r := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g := graph.New()
			var leaves []graph.Key
			for i := range 10 {
				k := graph.Key(fmt.Sprintf("sq-%d", i))
				_ = g.Add(graph.Node{Key: k, Kind: graph.KindTask, Op: square(i + r)})
				leaves = append(leaves, k)
			}
			_ = g.Add(graph.Node{Key: "sum", Kind: graph.KindMerge, Deps: leaves,
				Op: func(_ context.Context, args []any) (any, error) { return sumInts(args), nil }})
			vals, err := Compute(context.Background(), g, []graph.Key{"sum"}, Options{Pool: pool})
			if err != nil {
				panic(err)
			}
			sums[r] = vals[0].(int)
		}()
	}
	wg.Wait()
	fmt.Println(sums, pool.InUse())
	// Output: [285 385] 0
}
