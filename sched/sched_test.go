package sched

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"weak"

	"github.com/stemflow/stemflow/graph"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// modes are the execution modes every semantic test runs under.
var modes = []struct {
	name string
	opts Options
}{
	{"inline", Options{Inline: true}},
	{"w1", Options{Workers: 1}},
	{"w2", Options{Workers: 2}},
	{"w8", Options{Workers: 8}},
	{"pool2", Options{Pool: NewPool(2)}},
	{"pool1-w3", Options{Pool: NewPool(1), Workers: 3}},
}

func mustAdd(t testing.TB, g *graph.Graph, n graph.Node) {
	t.Helper()
	if err := g.Add(n); err != nil {
		t.Fatal(err)
	}
}

func counted(counts map[graph.Key]*atomic.Int32, k graph.Key, f func(args []any) any) graph.Op {
	c := &atomic.Int32{}
	counts[k] = c
	return func(_ context.Context, args []any) (any, error) {
		c.Add(1)
		return f(args), nil
	}
}

func sumInts(args []any) any {
	s := 0
	for _, a := range args {
		s += a.(int)
	}
	return s
}

func TestDiamondAndWideRunEachNodeOnce(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			counts := map[graph.Key]*atomic.Int32{}
			g := graph.New()
			// Diamond: base -> l, r -> top; plus a wide fan: base -> w0..w99 -> wide.
			mustAdd(t, g, graph.Node{Key: "base", Kind: graph.KindTask, Op: counted(counts, "base", func([]any) any { return 1 })})
			mustAdd(t, g, graph.Node{Key: "l", Op: counted(counts, "l", func(a []any) any { return a[0].(int) + 10 }), Deps: []graph.Key{"base"}})
			mustAdd(t, g, graph.Node{Key: "r", Op: counted(counts, "r", func(a []any) any { return a[0].(int) * 100 }), Deps: []graph.Key{"base"}})
			mustAdd(t, g, graph.Node{Key: "top", Kind: graph.KindMerge, Op: counted(counts, "top", sumInts), Deps: []graph.Key{"l", "r"}})
			var ws []graph.Key
			for i := 0; i < 100; i++ {
				k := graph.Key("w" + strconv.Itoa(i))
				ws = append(ws, k)
				mustAdd(t, g, graph.Node{Key: k, Kind: graph.KindTask, Op: counted(counts, k, func(a []any) any { return a[0].(int) + i }), Deps: []graph.Key{"base"}})
			}
			mustAdd(t, g, graph.Node{Key: "wide", Kind: graph.KindMergeAll, Op: counted(counts, "wide", sumInts), Deps: ws})
			out, err := Compute(context.Background(), g, []graph.Key{"top", "wide", "base"}, m.opts)
			if err != nil {
				t.Fatal(err)
			}
			// top = (1+10) + 1*100; wide = sum_i (1+i) = 100 + 4950.
			if out[0] != 111 || out[1] != 5050 || out[2] != 1 {
				t.Errorf("outputs %v, want [111 5050 1]", out)
			}
			for k, c := range counts {
				if c.Load() != 1 {
					t.Errorf("node %s ran %d times, want 1", k, c.Load())
				}
			}
		})
	}
}

// randomDAG builds a DAG whose node i depends on up to 3 earlier nodes; node
// values mix the dependency values in order, so any misordering of
// arguments changes the result. want holds values computed by a direct loop.
func randomDAG(t testing.TB, n int, seed uint64) (g *graph.Graph, keys []graph.Key, want []uint64) {
	rng := rand.New(rand.NewPCG(seed, 1))
	g = graph.New()
	keys = make([]graph.Key, n)
	want = make([]uint64, n)
	for i := 0; i < n; i++ {
		keys[i] = graph.Key("n-" + strconv.Itoa(i))
		var deps []graph.Key
		var depIdx []int
		if i > 0 {
			for j := rng.IntN(4); j > 0; j-- {
				d := rng.IntN(i)
				deps = append(deps, keys[d])
				depIdx = append(depIdx, d)
			}
		}
		h := uint64(i) + 0x9e3779b97f4a7c15
		for _, d := range depIdx {
			h = h*31 + want[d]
		}
		want[i] = h
		kind := graph.Kind(rng.IntN(int(graph.NumKinds)))
		mustAdd(t, g, graph.Node{Key: keys[i], Kind: kind, Deps: deps, Op: func(_ context.Context, args []any) (any, error) {
			h := uint64(i) + 0x9e3779b97f4a7c15
			for _, a := range args {
				h = h*31 + a.(uint64)
			}
			return h, nil
		}})
	}
	return g, keys, want
}

func TestModesGiveIdenticalResults(t *testing.T) {
	g, keys, want := randomDAG(t, 2000, 7)
	outs := []graph.Key{keys[len(keys)-1], keys[1000], keys[3], keys[len(keys)-1]}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			got, err := Compute(context.Background(), g, outs, m.opts)
			if err != nil {
				t.Fatal(err)
			}
			for i, k := range outs {
				idx, _ := strconv.Atoi(strings.TrimPrefix(string(k), "n-"))
				if got[i] != want[idx] {
					t.Errorf("%s = %v, want %v", k, got[i], want[idx])
				}
			}
		})
	}
}

func TestInlineOrderDeterministic(t *testing.T) {
	var order []graph.Key
	g := graph.New()
	rng := rand.New(rand.NewPCG(3, 3))
	var keys []graph.Key
	for i := 0; i < 300; i++ {
		k := graph.Key("n" + strconv.Itoa(i))
		var deps []graph.Key
		for j := 0; i > 0 && j < 2; j++ {
			deps = append(deps, keys[rng.IntN(i)])
		}
		keys = append(keys, k)
		mustAdd(t, g, graph.Node{Key: k, Kind: graph.Kind(i % int(graph.NumKinds)), Deps: deps,
			Op: func(context.Context, []any) (any, error) { order = append(order, k); return nil, nil }})
	}
	var first []graph.Key
	for run := 0; run < 3; run++ {
		order = nil
		if _, err := Compute(context.Background(), g, keys, Options{Inline: true}); err != nil {
			t.Fatal(err)
		}
		if len(order) != len(keys) {
			t.Fatalf("ran %d nodes, want %d", len(order), len(keys))
		}
		if run == 0 {
			first = slices.Clone(order)
		} else if !slices.Equal(order, first) {
			t.Fatal("inline order differs between runs")
		}
	}
}

var errBoom = errors.New("boom")

func TestErrorPropagates(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			g := graph.New()
			var after atomic.Int32
			mustAdd(t, g, graph.Node{Key: "ok", Op: func(context.Context, []any) (any, error) { return 1, nil }})
			mustAdd(t, g, graph.Node{Key: "bad-1", Label: "the bad one", Kind: graph.KindMerge, Deps: []graph.Key{"ok"},
				Op: func(context.Context, []any) (any, error) { return nil, fmt.Errorf("reading frame 3: %w", errBoom) }})
			mustAdd(t, g, graph.Node{Key: "later", Deps: []graph.Key{"bad-1"},
				Op: func(context.Context, []any) (any, error) { after.Add(1); return nil, nil }})
			_, err := Compute(context.Background(), g, []graph.Key{"later"}, m.opts)
			var ne *NodeError
			if !errors.As(err, &ne) || ne.Key != "bad-1" || ne.Label != "the bad one" || ne.Kind != graph.KindMerge {
				t.Fatalf("err = %v, want NodeError for bad-1", err)
			}
			if !errors.Is(err, errBoom) {
				t.Errorf("err %v does not wrap errBoom", err)
			}
			if !strings.Contains(err.Error(), "bad-1") || !strings.Contains(err.Error(), "the bad one") {
				t.Errorf("message %q lacks key or label", err)
			}
			if after.Load() != 0 {
				t.Error("dependent of the failed node ran")
			}
		})
	}
}

func panickyOp(_ context.Context, args []any) (any, error) {
	var s []int
	return s[len(args)+3], nil // index out of range
}

func TestPanicBecomesError(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			g := graph.New()
			mustAdd(t, g, graph.Node{Key: "p-7", Label: "partition 7", Op: panickyOp})
			_, err := Compute(context.Background(), g, []graph.Key{"p-7"}, m.opts)
			var ne *NodeError
			var pe *PanicError
			if !errors.As(err, &ne) || ne.Key != "p-7" || !errors.As(err, &pe) {
				t.Fatalf("err = %v, want NodeError wrapping PanicError", err)
			}
			if !strings.Contains(err.Error(), "index out of range") || !strings.Contains(err.Error(), "partition 7") {
				t.Errorf("message %q lacks the panic value or the label", err)
			}
			if !strings.Contains(string(pe.Stack), "panickyOp") {
				t.Errorf("stack does not show the panicking function:\n%s", pe.Stack)
			}
			var re runtime.Error
			if !errors.As(err, &re) {
				t.Errorf("panic value %v (%T) not reachable as runtime.Error", pe.Value, pe.Value)
			}
		})
	}
}

func TestFirstErrorStopsNewStarts(t *testing.T) {
	// Inline: exactly the nodes before the failing one run.
	g := graph.New()
	var started atomic.Int32
	prev := graph.Key("")
	for i := 0; i < 100; i++ {
		k := graph.Key("c" + strconv.Itoa(i))
		n := graph.Node{Key: k, Op: func(context.Context, []any) (any, error) {
			started.Add(1)
			if i == 10 {
				return nil, errBoom
			}
			return nil, nil
		}}
		if prev != "" {
			n.Deps = []graph.Key{prev}
		}
		mustAdd(t, g, n)
		prev = k
	}
	// Independent tasks, ready from the start.
	for i := 0; i < 50; i++ {
		mustAdd(t, g, graph.Node{Key: graph.Key("free" + strconv.Itoa(i)), Kind: graph.KindTask,
			Op: func(context.Context, []any) (any, error) { started.Add(1); return nil, nil }})
	}
	_, err := Compute(context.Background(), g, g.Keys(), Options{Inline: true})
	if !errors.Is(err, errBoom) {
		t.Fatal(err)
	}
	// The chain comes first in plan order and each link readies the next,
	// which the worker pops at once: c0..c10 run, then the run stops.
	if started.Load() != 11 {
		t.Errorf("%d nodes started, want 11 (c0..c10)", started.Load())
	}
}

func TestCancellation(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			g := graph.New()
			var started, afterCancel atomic.Int32
			var cancelled atomic.Bool
			var once sync.Once
			for i := 0; i < 2000; i++ {
				mustAdd(t, g, graph.Node{Key: graph.Key("t" + strconv.Itoa(i)), Kind: graph.KindTask,
					Op: func(ctx context.Context, _ []any) (any, error) {
						if cancelled.Load() {
							afterCancel.Add(1)
						}
						if started.Add(1) == 20 {
							once.Do(func() { cancel(); cancelled.Store(true) })
						}
						select {
						case <-ctx.Done():
						case <-time.After(time.Millisecond):
						}
						return nil, nil
					}})
			}
			begin := time.Now()
			_, err := Compute(ctx, g, g.Keys(), m.opts)
			elapsed := time.Since(begin)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want context.Canceled", err)
			}
			// A worker that has just checked for cancellation when cancel
			// runs may still enter its op; every later check stops it. So at
			// most one start per other worker may race with cancel, and none
			// with one worker.
			racing := int32(0)
			if !m.opts.Inline {
				w := m.opts.Workers
				if w == 0 && m.opts.Pool != nil {
					w = m.opts.Pool.Size()
				}
				racing = int32(w - 1)
			}
			if n := afterCancel.Load(); n > racing {
				t.Errorf("%d nodes started after cancel returned, at most %d may race with it", n, racing)
			}
			if elapsed > 2*time.Second {
				t.Errorf("Compute took %v after cancellation", elapsed)
			}
			if started.Load() >= 2000 {
				t.Error("every node ran despite cancellation")
			}
		})
	}
}

func TestCancelledBeforeStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	g := graph.New()
	var ran atomic.Int32
	mustAdd(t, g, graph.Node{Key: "a", Op: func(context.Context, []any) (any, error) { ran.Add(1); return nil, nil }})
	for _, m := range modes {
		if _, err := Compute(ctx, g, []graph.Key{"a"}, m.opts); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: err = %v, want context.Canceled", m.name, err)
		}
	}
	if ran.Load() != 0 {
		t.Errorf("%d nodes ran under a cancelled context", ran.Load())
	}
}

// TestPriorityMergeBeforeTasks: when a task makes ready both a merge and new
// tasks, the merge runs first, whatever the push order.
func TestPriorityMergeBeforeTasks(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			var mu sync.Mutex
			var order []string
			rec := func(s string) graph.Op {
				return func(context.Context, []any) (any, error) {
					mu.Lock()
					order = append(order, s)
					mu.Unlock()
					return nil, nil
				}
			}
			g := graph.New()
			mustAdd(t, g, graph.Node{Key: "x", Kind: graph.KindTask, Op: rec("x")})
			// The merge comes first in plan order, so x readies it before the
			// tasks and a LIFO deque without priorities would pop them first.
			mustAdd(t, g, graph.Node{Key: "m", Kind: graph.KindMerge, Op: rec("m"), Deps: []graph.Key{"x"}})
			var outs []graph.Key
			for i := 0; i < 5; i++ {
				k := graph.Key("y" + strconv.Itoa(i))
				mustAdd(t, g, graph.Node{Key: k, Kind: graph.KindTask, Op: rec(string(k)), Deps: []graph.Key{"x"}})
				outs = append(outs, k)
			}
			// Requesting m first puts it first in plan order too.
			outs = append([]graph.Key{"m"}, outs...)
			opts := m.opts
			if !opts.Inline {
				opts.Workers = 1 // one worker, so the order is observable
			}
			if _, err := Compute(context.Background(), g, outs, opts); err != nil {
				t.Fatal(err)
			}
			if len(order) != 7 || order[0] != "x" || order[1] != "m" {
				t.Errorf("order %v, want x, m, then the tasks", order)
			}
		})
	}
}

// orderedMergeGraph builds n admission-gated partition tasks, each merged
// into a chain in partition order; live counts partials from task start to
// the end of their merge, independently of the scheduler's own count.
type windowProbe struct {
	live, peak atomic.Int32
	mu         sync.Mutex
	starts     []int
}

func (p *windowProbe) up() {
	v := p.live.Add(1)
	for {
		pk := p.peak.Load()
		if v <= pk || p.peak.CompareAndSwap(pk, v) {
			return
		}
	}
}

func orderedMergeGraph(t testing.TB, n int, slow func(i int) time.Duration, p *windowProbe, reverse bool) (*graph.Graph, graph.Key) {
	g := graph.New()
	add := func(i int) {
		mustAdd(t, g, graph.Node{Key: graph.Key("task-" + strconv.Itoa(i)), Kind: graph.KindTask, Admission: true, Order: i,
			Op: func(ctx context.Context, _ []any) (any, error) {
				p.up()
				p.mu.Lock()
				p.starts = append(p.starts, i)
				p.mu.Unlock()
				if d := slow(i); d > 0 {
					time.Sleep(d)
				}
				return i + 1, nil
			}})
	}
	if reverse {
		for i := n - 1; i >= 0; i-- {
			add(i)
		}
	}
	for i := 0; i < n; i++ {
		if !reverse {
			add(i)
		}
		deps := []graph.Key{graph.Key("task-" + strconv.Itoa(i))}
		if i > 0 {
			deps = append(deps, graph.Key("merge-"+strconv.Itoa(i-1)))
		}
		mustAdd(t, g, graph.Node{Key: graph.Key("merge-" + strconv.Itoa(i)), Kind: graph.KindMerge, Deps: deps,
			Op: func(_ context.Context, a []any) (any, error) {
				s := a[0].(int)
				if len(a) > 1 {
					s += a[1].(int)
				}
				p.live.Add(-1)
				return s, nil
			}})
	}
	return g, graph.Key("merge-" + strconv.Itoa(n-1))
}

func TestAdmissionWindow(t *testing.T) {
	n := 1000
	if testing.Short() {
		n = 200
	}
	slow := func(i int) time.Duration {
		if i < 4 {
			return 20 * time.Millisecond
		}
		return 0
	}
	for _, c := range []struct {
		name   string
		opts   Options
		window int
	}{
		{"w2-window4", Options{Workers: 2, Window: 4}, 4},
		{"w2-default", Options{Workers: 2}, 4},
		{"w8-window3", Options{Workers: 8, Window: 3}, 3},
		{"inline-window1", Options{Inline: true, Window: 1}, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := &windowProbe{}
			g, root := orderedMergeGraph(t, n, slow, p, false)
			out, err := Compute(context.Background(), g, []graph.Key{root}, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			if out[0] != n*(n+1)/2 {
				t.Errorf("sum %v, want %d", out[0], n*(n+1)/2)
			}
			if pk := int(p.peak.Load()); pk > c.window {
				t.Errorf("peak live partials %d, window %d", pk, c.window)
			}
		})
	}
}

// TestAdmissionOrder: gated tasks start in Order, not in the order they were
// added to the graph.
func TestAdmissionOrder(t *testing.T) {
	p := &windowProbe{}
	g, root := orderedMergeGraph(t, 100, func(int) time.Duration { return 0 }, p, true)
	if _, err := Compute(context.Background(), g, []graph.Key{root}, Options{Inline: true}); err != nil {
		t.Fatal(err)
	}
	if !slices.IsSorted(p.starts) || len(p.starts) != 100 {
		t.Errorf("inline start order %v, want 0..99", p.starts)
	}
	p2 := &windowProbe{}
	g, root = orderedMergeGraph(t, 100, func(int) time.Duration { return 0 }, p2, true)
	if _, err := Compute(context.Background(), g, []graph.Key{root}, Options{Workers: 2, Window: 4}); err != nil {
		t.Fatal(err)
	}
	// With 2 workers starts may swap within the window, never by more.
	for i, s := range p2.starts {
		if s > i+4 || s < i-4 {
			t.Errorf("task %d started %d-th, outside the window of 4", s, i)
		}
	}
}

// TestUngatedMergeAllDoesNotDeadlock: partials feeding one merge_all node
// without the admission flag run to completion, and a graph that flags them
// anyway is rescued past the window rather than hanging.
func TestMergeAllFanIn(t *testing.T) {
	for _, flag := range []bool{false, true} {
		for _, m := range modes {
			t.Run(fmt.Sprintf("flag=%v/%s", flag, m.name), func(t *testing.T) {
				g := graph.New()
				var deps []graph.Key
				for i := 0; i < 50; i++ {
					k := graph.Key("p" + strconv.Itoa(i))
					deps = append(deps, k)
					mustAdd(t, g, graph.Node{Key: k, Kind: graph.KindTask, Admission: flag, Order: i,
						Op: func(context.Context, []any) (any, error) { return i, nil }})
				}
				mustAdd(t, g, graph.Node{Key: "all", Kind: graph.KindMergeAll, Deps: deps,
					Op: func(_ context.Context, a []any) (any, error) { return sumInts(a), nil }})
				opts := m.opts
				opts.Window = 3
				out, err := Compute(context.Background(), g, []graph.Key{"all"}, opts)
				if err != nil {
					t.Fatal(err)
				}
				if out[0] != 49*50/2 {
					t.Errorf("sum %v, want %d", out[0], 49*50/2)
				}
			})
		}
	}
}

func TestLanes(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			const slots = 2
			var cur, peak atomic.Int32
			var wrongWorker atomic.Int32
			g := graph.New()
			var keys []graph.Key
			for i := 0; i < 60; i++ {
				k := graph.Key("gpu-" + strconv.Itoa(i))
				keys = append(keys, k)
				mustAdd(t, g, graph.Node{Key: k, Kind: graph.KindTask, Lane: "fake:0", Admission: i%2 == 0, Order: i,
					Op: func(ctx context.Context, _ []any) (any, error) {
						v := cur.Add(1)
						for {
							p := peak.Load()
							if v <= p || peak.CompareAndSwap(p, v) {
								break
							}
						}
						wi, ok := Worker(ctx)
						if !m.opts.Inline && (!ok || wi.Lane != "fake:0" || wi.Slot < 0 || wi.Slot >= slots) {
							wrongWorker.Add(1)
						}
						time.Sleep(200 * time.Microsecond)
						cur.Add(-1)
						return i, nil
					}})
				c := graph.Key("cpu-" + strconv.Itoa(i))
				keys = append(keys, c)
				mustAdd(t, g, graph.Node{Key: c, Kind: graph.KindMerge, Deps: []graph.Key{k},
					Op: func(ctx context.Context, a []any) (any, error) {
						if wi, ok := Worker(ctx); !m.opts.Inline && (!ok || wi.Lane != "") {
							wrongWorker.Add(1)
						}
						return a[0].(int) * 2, nil
					}})
			}
			opts := m.opts
			opts.Lanes = []Lane{{Name: "fake:0", Slots: slots, LockOSThread: true}, {Name: "unused", Slots: 3}}
			out, err := Compute(context.Background(), g, keys, opts)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 60; i++ {
				if out[2*i] != i || out[2*i+1] != 2*i {
					t.Fatalf("outputs %d: %v %v", i, out[2*i], out[2*i+1])
				}
			}
			if p := peak.Load(); p > slots {
				t.Errorf("peak %d lane nodes at once, lane has %d slots", p, slots)
			}
			if n := wrongWorker.Load(); n != 0 {
				t.Errorf("%d nodes ran on the wrong workers", n)
			}
		})
	}
}

func TestLaneErrors(t *testing.T) {
	g := graph.New()
	mustAdd(t, g, graph.Node{Key: "k", Lane: "cuda:7", Op: func(context.Context, []any) (any, error) { return nil, nil }})
	for _, m := range modes {
		_, err := Compute(context.Background(), g, []graph.Key{"k"}, m.opts)
		if !errors.Is(err, ErrUnknownLane) || !strings.Contains(err.Error(), "cuda:7") {
			t.Errorf("%s: err = %v, want ErrUnknownLane naming cuda:7", m.name, err)
		}
	}
	_, err := Compute(context.Background(), g, []graph.Key{"k"}, Options{Lanes: []Lane{{Name: "a"}, {Name: "a"}}})
	if err == nil || !strings.Contains(err.Error(), `"a"`) {
		t.Errorf("repeated lane: err = %v", err)
	}
}

func TestProgress(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			g := graph.New()
			want := [graph.NumKinds]int{}
			var keys []graph.Key
			for i := 0; i < 120; i++ {
				k := graph.Key("n" + strconv.Itoa(i))
				kind := graph.Kind(i % 4)
				if i%7 == 0 {
					kind = graph.KindFinalize
				}
				want[kind]++
				keys = append(keys, k)
				mustAdd(t, g, graph.Node{Key: k, Kind: kind, Op: func(context.Context, []any) (any, error) {
					if i%40 == 0 {
						time.Sleep(3 * time.Millisecond)
					}
					return nil, nil
				}})
			}
			var mu sync.Mutex
			var snaps []Progress
			opts := m.opts
			opts.ProgressInterval = time.Millisecond
			opts.Progress = func(p Progress) { mu.Lock(); snaps = append(snaps, p); mu.Unlock() }
			if _, err := Compute(context.Background(), g, keys, opts); err != nil {
				t.Fatal(err)
			}
			if len(snaps) == 0 {
				t.Fatal("no progress reported")
			}
			last := snaps[len(snaps)-1]
			if last.Done != 120 || last.Total != 120 {
				t.Errorf("final progress %d/%d, want 120/120", last.Done, last.Total)
			}
			for k := range want {
				if last.Kinds[k].Total != want[k] || last.Kinds[k].Done != want[k] {
					t.Errorf("kind %s: %+v, want %d/%d", graph.Kind(k), last.Kinds[k], want[k], want[k])
				}
			}
			for i := 1; i < len(snaps); i++ {
				if snaps[i].Done < snaps[i-1].Done {
					t.Errorf("progress went back: %d then %d", snaps[i-1].Done, snaps[i].Done)
				}
			}
		})
	}
}

type payload struct{ buf [1 << 16]byte }

// TestIntermediateValuesReleased: a value is dropped once its last
// dependent finished (observed with a weak pointer after a GC), while
// outputs are kept.
func TestIntermediateValuesReleased(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			var wa, wb weak.Pointer[payload]
			var aliveA, aliveB bool
			g := graph.New()
			mustAdd(t, g, graph.Node{Key: "a", Kind: graph.KindTask, Op: func(context.Context, []any) (any, error) {
				p := &payload{}
				wa = weak.Make(p)
				return p, nil
			}})
			mustAdd(t, g, graph.Node{Key: "b", Deps: []graph.Key{"a"}, Op: func(_ context.Context, a []any) (any, error) {
				p := &payload{}
				p.buf[0] = a[0].(*payload).buf[0] + 1
				wb = weak.Make(p)
				return p, nil
			}})
			mustAdd(t, g, graph.Node{Key: "c", Deps: []graph.Key{"b"}, Op: func(_ context.Context, a []any) (any, error) {
				return int(a[0].(*payload).buf[0]), nil
			}})
			mustAdd(t, g, graph.Node{Key: "d", Deps: []graph.Key{"c"}, Op: func(context.Context, []any) (any, error) {
				for i := 0; i < 3; i++ {
					runtime.GC()
				}
				aliveA, aliveB = wa.Value() != nil, wb.Value() != nil
				return nil, nil
			}})
			out, err := Compute(context.Background(), g, []graph.Key{"d", "b"}, m.opts)
			if err != nil {
				t.Fatal(err)
			}
			if aliveA {
				t.Error("value of a still alive after its only dependent finished")
			}
			if !aliveB || out[1].(*payload).buf[0] != 1 {
				t.Error("output b was released")
			}
		})
	}
}

func TestEmptyAndRepeatedOutputs(t *testing.T) {
	g := graph.New()
	var n atomic.Int32
	mustAdd(t, g, graph.Node{Key: "a", Op: func(context.Context, []any) (any, error) { n.Add(1); return 5, nil }})
	out, err := Compute(context.Background(), g, []graph.Key{"a", "a"}, Options{})
	if err != nil || out[0] != 5 || out[1] != 5 || n.Load() != 1 {
		t.Errorf("repeated output: %v %v, ran %d", out, err, n.Load())
	}
	calls := 0
	out, err = Compute(context.Background(), g, nil, Options{Progress: func(p Progress) {
		calls++
		if p.Done != 0 || p.Total != 0 {
			t.Errorf("empty run progress %+v", p)
		}
	}})
	if err != nil || len(out) != 0 || calls != 1 {
		t.Errorf("no outputs: %v %v, %d progress calls (want 1)", out, err, calls)
	}
	if _, err := Compute(context.Background(), g, []graph.Key{"zz"}, Options{}); !errors.Is(err, graph.ErrUnknownKey) {
		t.Errorf("unknown output: %v", err)
	}
}

func TestPlanReusable(t *testing.T) {
	g, root := buildTree(101)
	p, err := g.Compile(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range modes {
		out, err := Run(context.Background(), p, m.opts)
		if err != nil || out[0] != 51*52/2 {
			t.Errorf("%s: %v %v, want %d", m.name, out, err, 51*52/2)
		}
	}
}

func TestWorkerOutsideRun(t *testing.T) {
	if _, ok := Worker(context.Background()); ok {
		t.Error("Worker reports a worker outside a run")
	}
}

// Two partition tasks merged in partition order, run with two workers and
// an admission window of four live partials.
func Example() {
	g := graph.New()
	part := func(v int) graph.Op { return func(context.Context, []any) (any, error) { return v, nil } }
	merge := func(_ context.Context, a []any) (any, error) { return sumInts(a), nil }
	_ = g.Add(graph.Node{Key: "part-0", Kind: graph.KindTask, Admission: true, Order: 0, Op: part(10)})
	_ = g.Add(graph.Node{Key: "part-1", Kind: graph.KindTask, Admission: true, Order: 1, Op: part(32)})
	_ = g.Add(graph.Node{Key: "merge-0", Kind: graph.KindMerge, Deps: []graph.Key{"part-0"}, Op: merge})
	_ = g.Add(graph.Node{Key: "merge-1", Kind: graph.KindMerge, Deps: []graph.Key{"merge-0", "part-1"}, Op: merge})
	var last Progress
	out, err := Compute(context.Background(), g, []graph.Key{"merge-1"}, Options{
		Workers:  2,
		Window:   4,
		Progress: func(p Progress) { last = p },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(out[0], last.Done, last.Total, last.Kinds[graph.KindMerge].Done)
	// Output: 42 4 4 2
}

func TestBadPlan(t *testing.T) {
	op := func(context.Context, []any) (any, error) { return nil, nil }
	good := func() *graph.Plan {
		return &graph.Plan{
			Nodes:    []*graph.Node{{Key: "a", Op: op}, {Key: "b", Op: op}},
			Outputs:  []int32{1},
			DepStart: []int32{0, 0, 1}, Deps: []int32{0},
			SuccStart: []int32{0, 1, 1}, Succs: []int32{1},
		}
	}
	if out, err := Run(context.Background(), good(), Options{}); err != nil || len(out) != 1 {
		t.Fatalf("hand-made valid plan: %v %v", out, err)
	}
	cases := map[string]func(p *graph.Plan){
		"short DepStart": func(p *graph.Plan) { p.DepStart = p.DepStart[:2] },
		"dep range":      func(p *graph.Plan) { p.Deps[0] = 5 },
		"output range":   func(p *graph.Plan) { p.Outputs[0] = -1 },
		"nil op":         func(p *graph.Plan) { p.Nodes[0] = &graph.Node{Key: "a"} },
		"bad kind":       func(p *graph.Plan) { p.Nodes[1] = &graph.Node{Key: "b", Op: op, Kind: 42} },
		"decreasing":     func(p *graph.Plan) { p.SuccStart = []int32{0, 1, 0}; p.Succs = nil; p.Deps = nil },
	}
	for name, spoil := range cases {
		p := good()
		spoil(p)
		if _, err := Run(context.Background(), p, Options{}); !errors.Is(err, ErrBadPlan) {
			t.Errorf("%s: err = %v, want ErrBadPlan", name, err)
		}
	}
	// A hand-made cyclic plan stalls and says so instead of hanging.
	p := good()
	p.DepStart = []int32{0, 1, 2}
	p.Deps = []int32{1, 0}
	p.SuccStart = []int32{0, 1, 2}
	p.Succs = []int32{1, 0}
	for _, m := range modes {
		if _, err := Run(context.Background(), p, m.opts); !errors.Is(err, ErrStalled) {
			t.Errorf("%s: cyclic plan: err = %v, want ErrStalled", m.name, err)
		}
	}
}

// A resource lane: nodes requiring "cuda:0" run only on that lane's two
// workers (one per stream), the others on the general workers.
func ExampleLane() {
	g := graph.New()
	onGPU := func(context.Context, []any) (any, error) { return 1, nil }
	for i := 0; i < 4; i++ {
		_ = g.Add(graph.Node{Key: graph.Key("gpu-task-" + strconv.Itoa(i)), Kind: graph.KindTask, Lane: "cuda:0",
			Op: func(ctx context.Context, a []any) (any, error) {
				if w, _ := Worker(ctx); w.Lane != "cuda:0" || w.Slot > 1 {
					return nil, fmt.Errorf("ran on %+v", w)
				}
				return onGPU(ctx, a)
			}})
	}
	_ = g.Add(graph.Node{Key: "sum", Kind: graph.KindMergeAll, Op: func(_ context.Context, a []any) (any, error) { return sumInts(a), nil },
		Deps: []graph.Key{"gpu-task-0", "gpu-task-1", "gpu-task-2", "gpu-task-3"}})
	out, err := Compute(context.Background(), g, []graph.Key{"sum"}, Options{
		Workers: 2,
		Lanes:   []Lane{{Name: "cuda:0", Slots: 2, LockOSThread: true}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(out[0])
	// Output: 4
}

// TestInlineGoexitCleansUp: an inline op calling runtime.Goexit ends the
// calling goroutine, but the run's reporter and context are cleaned up
// (goleak in TestMain checks the goroutines).
func TestInlineGoexitCleansUp(t *testing.T) {
	g := graph.New()
	mustAdd(t, g, graph.Node{Key: "quit", Op: func(context.Context, []any) (any, error) {
		runtime.Goexit()
		return nil, nil
	}})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = Compute(context.Background(), g, []graph.Key{"quit"}, Options{Inline: true,
			Progress: func(Progress) {}, ProgressInterval: time.Hour})
		t.Error("Compute returned although the goroutine called Goexit")
	}()
	<-done
}

func TestGoexitFailsRun(t *testing.T) {
	for _, m := range modes[1:] { // inline: Goexit would end the test goroutine
		t.Run(m.name, func(t *testing.T) {
			g := graph.New()
			mustAdd(t, g, graph.Node{Key: "quit", Op: func(context.Context, []any) (any, error) {
				runtime.Goexit()
				return nil, nil
			}})
			mustAdd(t, g, graph.Node{Key: "after", Deps: []graph.Key{"quit"}, Op: func(context.Context, []any) (any, error) { return 1, nil }})
			for i := 0; i < 20; i++ {
				mustAdd(t, g, graph.Node{Key: graph.Key("other" + strconv.Itoa(i)), Op: func(context.Context, []any) (any, error) { return 1, nil }})
			}
			_, err := Compute(context.Background(), g, g.Keys(), m.opts)
			var ne *NodeError
			if !errors.Is(err, ErrGoexit) || !errors.As(err, &ne) || ne.Key != "quit" {
				t.Fatalf("err = %v, want NodeError for quit wrapping ErrGoexit", err)
			}
		})
	}
}

// TestIdleWorkersPark: while one op blocks, the other workers park instead
// of spinning: their number of failed searches for work stops growing.
func TestIdleWorkersPark(t *testing.T) {
	var parks, idles atomic.Int64
	parkHook = func() { parks.Add(1) }
	idleHook = func() { idles.Add(1) }
	defer func() { parkHook, idleHook = nil, nil }()
	release := make(chan struct{})
	g := graph.New()
	mustAdd(t, g, graph.Node{Key: "block", Op: func(context.Context, []any) (any, error) { <-release; return 1, nil }})
	done := make(chan error, 1)
	go func() {
		_, err := Compute(context.Background(), g, []graph.Key{"block"}, Options{Workers: 8})
		done <- err
	}()
	deadline := time.Now().Add(10 * time.Second)
	for parks.Load() < 7 {
		if time.Now().After(deadline) {
			close(release)
			t.Fatalf("only %d of 7 idle workers parked", parks.Load())
		}
		time.Sleep(time.Millisecond)
	}
	before := idles.Load()
	time.Sleep(20 * time.Millisecond)
	after := idles.Load()
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Errorf("idle workers searched for work %d more times while parked", after-before)
	}
}
