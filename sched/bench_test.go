package sched

import (
	"context"
	"strconv"
	"testing"

	"github.com/stemflow/stemflow/graph"
)

func leafOp(v int) graph.Op {
	return func(context.Context, []any) (any, error) { return v, nil }
}

func addOp(_ context.Context, args []any) (any, error) {
	s := 0
	for _, a := range args {
		s += a.(int)
	}
	return s, nil
}

// buildTree builds a balanced binary tree with n nodes in all: leaves
// holding 1..L, pairwise add nodes above them. It returns the root key.
func buildTree(n int) (*graph.Graph, graph.Key) {
	g := graph.NewWithCapacity(n)
	leaves := (n + 1) / 2
	level := make([]graph.Key, leaves)
	for i := range level {
		k := graph.Key("leaf-" + strconv.Itoa(i))
		level[i] = k
		if err := g.Add(graph.Node{Key: k, Kind: graph.KindTask, Op: leafOp(i + 1)}); err != nil {
			panic(err)
		}
	}
	id := 0
	for len(level) > 1 {
		next := level[:0:0]
		for i := 0; i+1 < len(level); i += 2 {
			k := graph.Key("add-" + strconv.Itoa(id))
			id++
			if err := g.Add(graph.Node{Key: k, Kind: graph.KindMerge, Op: addOp, Deps: []graph.Key{level[i], level[i+1]}}); err != nil {
				panic(err)
			}
			next = append(next, k)
		}
		if len(level)%2 == 1 {
			next = append(next, level[len(level)-1])
		}
		level = next
	}
	return g, level[0]
}

func buildFlat(leaves int) (*graph.Graph, graph.Key) {
	g := graph.NewWithCapacity(leaves + 1)
	deps := make([]graph.Key, leaves)
	for i := range deps {
		k := graph.Key("leaf-" + strconv.Itoa(i))
		deps[i] = k
		if err := g.Add(graph.Node{Key: k, Kind: graph.KindTask, Op: leafOp(i + 1)}); err != nil {
			panic(err)
		}
	}
	root := graph.Key("sum")
	if err := g.Add(graph.Node{Key: root, Kind: graph.KindMergeAll, Op: addOp, Deps: deps}); err != nil {
		panic(err)
	}
	return g, root
}

func benchGraph(b *testing.B, build func() (*graph.Graph, graph.Key), want int) {
	ctx := context.Background()
	nodes := 0
	cpu0 := cpuNanos()
	for b.Loop() {
		g, root := build()
		nodes = g.Len()
		out, err := Compute(ctx, g, []graph.Key{root}, Options{Workers: 2})
		if err != nil {
			b.Fatal(err)
		}
		if out[0].(int) != want {
			b.Fatalf("sum %d, want %d", out[0], want)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(nodes), "us/task")
	// CPU time per node, all goroutines together (GC included): on a busy
	// shared machine it varies less than wall time.
	b.ReportMetric(float64(cpuNanos()-cpu0)/1e3/float64(b.N)/float64(nodes), "cpu-us/task")
}

// BenchmarkTree10k: build + compute with 2 workers of a balanced binary
// tree of 9,999 nodes (5,000 leaves, 4,999 add nodes); us/task is the whole
// time divided by the node count.
func BenchmarkTree10k(b *testing.B) {
	const n = 9999 // 5,000 leaves + 4,999 adds
	benchGraph(b, func() (*graph.Graph, graph.Key) { return buildTree(n) }, 5000*5001/2)
}

// BenchmarkFlat10k: build + compute with 2 workers of 9,999 leaves feeding
// one sum node (10,000 nodes).
func BenchmarkFlat10k(b *testing.B) {
	benchGraph(b, func() (*graph.Graph, graph.Key) { return buildFlat(9999) }, 9999*10000/2)
}

// BenchmarkSchedOnly: scheduling alone (the compiled plan of the 9,999-node
// tree run again and again), per node, inline and with 1 and 2 workers.
func BenchmarkSchedOnly(b *testing.B) {
	g, root := buildTree(9999)
	p, err := g.Compile(root)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		opts Options
	}{{"inline", Options{Inline: true}}, {"w1", Options{Workers: 1}}, {"w2", Options{Workers: 2}},
		{"w2-pool2", Options{Pool: NewPool(2)}}, {"w2-observer", Options{Workers: 2, Observer: nopObserver{}}}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				out, err := Run(context.Background(), p, c.opts)
				if err != nil || out[0].(int) != 5000*5001/2 {
					b.Fatal(out, err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(p.Len()), "ns/task")
		})
	}
}

// BenchmarkOrderedMerges10k: the shape of a UDF run with merge chains —
// 5,000 admission-gated partition tasks, each merged in partition order —
// built and computed with 2 workers and the default window.
func BenchmarkOrderedMerges10k(b *testing.B) {
	const parts = 5000
	ctx := context.Background()
	tasks := make([]graph.Key, parts)
	merges := make([]graph.Key, parts)
	for i := range tasks {
		tasks[i] = graph.Key("task-" + strconv.Itoa(i))
		merges[i] = graph.Key("merge-" + strconv.Itoa(i))
	}
	cpu0 := cpuNanos()
	for b.Loop() {
		g := graph.NewWithCapacity(2 * parts)
		for i := 0; i < parts; i++ {
			if err := g.Add(graph.Node{Key: tasks[i], Kind: graph.KindTask, Admission: true, Order: i, Op: leafOp(i + 1)}); err != nil {
				b.Fatal(err)
			}
			deps := []graph.Key{tasks[i]}
			if i > 0 {
				deps = append(deps, merges[i-1])
			}
			if err := g.Add(graph.Node{Key: merges[i], Kind: graph.KindMerge, Op: addOp, Deps: deps}); err != nil {
				b.Fatal(err)
			}
		}
		out, err := Compute(ctx, g, []graph.Key{merges[parts-1]}, Options{Workers: 2})
		if err != nil || out[0].(int) != parts*(parts+1)/2 {
			b.Fatal(out, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(2*parts), "us/task")
	b.ReportMetric(float64(cpuNanos()-cpu0)/1e3/float64(b.N)/float64(2*parts), "cpu-us/task")
}
