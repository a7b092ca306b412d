package delayed_test

import (
	"context"
	"fmt"
	"os"

	"github.com/stemflow/stemflow/delayed"
	"github.com/stemflow/stemflow/graph"
	"github.com/stemflow/stemflow/sched"
)

func inc(x int) int    { return x + 1 }
func add(x, y int) int { return x + y }
func sum(xs []int) int {
	s := 0
	for _, x := range xs {
		s += x
	}
	return s
}

// Build a small pipeline, compute two results of it in one run.
func Example() {
	ctx := context.Background()
	x := delayed.Call1(inc, delayed.Value(1)) // 2
	y := delayed.Call1(inc, delayed.Value(2)) // 3
	z := delayed.Call2(add, x, y)             // 5
	total := delayed.CallSlice(sum, []delayed.Delayed[int]{x, y, z})

	res, err := delayed.Compute(ctx, z, total)
	if err != nil {
		fmt.Println(err)
		return
	}
	zv, _ := z.Get(res)
	tv, _ := total.Get(res)
	fmt.Println(zv, tv)
	// Output: 5 10
}

// Compose a package-built graph (as the UDF run compiler makes) with lifted
// functions, and compute everything in one run.
func ExampleFromNode() {
	g := graph.New()
	_ = g.Add(graph.Node{Key: "part-0", Kind: graph.KindTask, Admission: true, Order: 0,
		Op: func(context.Context, []any) (any, error) { return 10, nil }})
	_ = g.Add(graph.Node{Key: "part-1", Kind: graph.KindTask, Admission: true, Order: 1,
		Op: func(context.Context, []any) (any, error) { return 32, nil }})
	_ = g.Add(graph.Node{Key: "merge", Kind: graph.KindMerge, Deps: []graph.Key{"part-0", "part-1"},
		Op: func(_ context.Context, a []any) (any, error) { return a[0].(int) + a[1].(int), nil }})

	merged := delayed.FromNode[int](g, "merge")
	doubled := delayed.Call2(add, merged, merged)
	v, err := doubled.ComputeWith(context.Background(), sched.Options{Workers: 2})
	fmt.Println(v, err)
	// Output: 84 <nil>
}

// Export the graph of a pipeline as DOT (render it with Graphviz, or with
// graph.WriteSVG when dot is installed).
func ExampleWriteDOT() {
	a := delayed.Value(1, delayed.Key("a"))
	b := delayed.Call1(inc, a, delayed.Key("inc-a"))
	if err := delayed.WriteDOT(os.Stdout, b); err != nil {
		fmt.Println(err)
	}
	// Output:
	// digraph stemflow {
	// 	rankdir=TB;
	// 	node [fontname="Helvetica", fontsize=10];
	// 	"a" [label="value\nuser", shape=component, style=filled, fillcolor="#eeeeee"];
	// 	"inc-a" [label="inc\nuser", shape=component, style=filled, fillcolor="#eeeeee"];
	// 	"a" -> "inc-a";
	// }
}

// Persist keeps computed values: a later Compute reuses them instead of
// recomputing.
func ExamplePersist() {
	ctx := context.Background()
	calls := 0
	expensive := delayed.Call0(func() int { calls++; return 42 })
	if err := delayed.Persist(ctx, expensive); err != nil {
		fmt.Println(err)
		return
	}
	r1, _ := delayed.Call1(inc, expensive).Compute(ctx)
	r2, _ := delayed.Call2(add, expensive, expensive).Compute(ctx)
	fmt.Println(r1, r2, calls)
	// Output: 43 84 1
}

// Pure gives a node a deterministic identity (its name plus its arguments'
// keys), so building it twice yields one node, computed once.
func ExamplePure() {
	calls := 0
	load := func(path string) string { calls++; return "data of " + path }
	path := delayed.Value("scan.npy", delayed.Key("path-scan"))
	a := delayed.Call1(load, path, delayed.Name("load"), delayed.Pure())
	b := delayed.Call1(load, path, delayed.Name("load"), delayed.Pure())
	both := delayed.Call2(func(x, y string) int { return len(x) + len(y) }, a, b)
	n, err := both.Compute(context.Background())
	fmt.Println(a.Key() == b.Key(), n, calls, err)
	// Output: true 32 1 <nil>
}
