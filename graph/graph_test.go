package graph

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func nop(context.Context, []any) (any, error) { return nil, nil }

// mk builds a graph from "key:dep,dep" specs.
func mk(t testing.TB, specs ...string) *Graph {
	t.Helper()
	g := New()
	for _, s := range specs {
		k, deps, _ := strings.Cut(s, ":")
		n := Node{Key: Key(k), Op: nop}
		if deps != "" {
			for _, d := range strings.Split(deps, ",") {
				n.Deps = append(n.Deps, Key(d))
			}
		}
		if err := g.Add(n); err != nil {
			t.Fatal(err)
		}
	}
	return g
}

var tokenRE = regexp.MustCompile(`^(.*)-[0-9a-f]{16}$`)

func TestToken(t *testing.T) {
	a := Token("add", []Key{"x-1", "y-2"})
	if a != Token("add", []Key{"x-1", "y-2"}) {
		t.Fatal("Token not deterministic")
	}
	if m := tokenRE.FindStringSubmatch(string(a)); m == nil || m[1] != "add" {
		t.Fatalf("Token = %q, want add-<16 hex>", a)
	}
	distinct := []Key{
		a,
		Token("add", []Key{"y-2", "x-1"}),
		Token("add", []Key{"x-1"}),
		Token("add", []Key{"x-1", "y-2"}, "p=1"),
		Token("add", []Key{"x-1", "y-2"}, "p=2"),
		Token("sub", []Key{"x-1", "y-2"}),
		Token("ab", []Key{"c"}),
		Token("a", []Key{"bc"}),
		Token("a", []Key{"b", "c"}),
		Token("a", []Key{"bc", ""}),
		Token("a", nil, "b"),
		Token("a", []Key{"b"}),
	}
	seen := map[Key]int{}
	for i, k := range distinct {
		if j, ok := seen[k]; ok {
			t.Errorf("Token inputs %d and %d collide: %q", j, i, k)
		}
		seen[k] = i
	}
}

func TestUniqueKey(t *testing.T) {
	seen := map[Key]bool{}
	for i := 0; i < 10000; i++ {
		k := UniqueKey("load")
		if m := tokenRE.FindStringSubmatch(string(k)); m == nil || m[1] != "load" {
			t.Fatalf("UniqueKey = %q, want load-<16 hex>", k)
		}
		if seen[k] {
			t.Fatalf("UniqueKey repeated %q", k)
		}
		seen[k] = true
	}
}

func TestKeyName(t *testing.T) {
	for _, c := range []struct{ k, want string }{
		{"add-0123456789abcdef", "add"},
		{"merge-all-3", "merge-all"},
		{"plain", "plain"},
		{"-x", ""},
	} {
		if got := Key(c.k).Name(); got != c.want {
			t.Errorf("Key(%q).Name() = %q, want %q", c.k, got, c.want)
		}
	}
}

func TestKindString(t *testing.T) {
	want := []string{"task", "merge", "merge_all", "get_results", "finalize", "user"}
	for k := Kind(0); k < NumKinds; k++ {
		if k.String() != want[k] {
			t.Errorf("Kind(%d) = %q, want %q", k, k.String(), want[k])
		}
		if k.Priority() != (k != KindTask) {
			t.Errorf("Kind %s priority %v", k, k.Priority())
		}
	}
	if s := Kind(9).String(); s != "kind(9)" {
		t.Errorf("Kind(9) = %q", s)
	}
}

func TestAddErrors(t *testing.T) {
	g := mk(t, "a")
	cases := []struct {
		name string
		n    Node
		want error
	}{
		{"empty key", Node{Op: nop}, ErrEmptyKey},
		{"nil op", Node{Key: "b"}, ErrNilOp},
		{"bad kind", Node{Key: "b", Op: nop, Kind: NumKinds}, ErrBadKind},
		{"duplicate", Node{Key: "a", Op: nop}, ErrDuplicateKey},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := g.Add(c.n)
			if !errors.Is(err, c.want) {
				t.Fatalf("Add = %v, want %v", err, c.want)
			}
			if c.n.Key != "" && !strings.Contains(err.Error(), string(c.n.Key)) {
				t.Errorf("error %q does not name key %q", err, c.n.Key)
			}
		})
	}
	if g.Len() != 1 {
		t.Errorf("Len = %d after failed adds, want 1", g.Len())
	}
}

func TestAddOrKeep(t *testing.T) {
	g := New()
	first := Node{Key: "k", Label: "first", Op: nop}
	added, err := g.AddOrKeep(first)
	if !added || err != nil {
		t.Fatalf("AddOrKeep new = %v, %v", added, err)
	}
	added, err = g.AddOrKeep(Node{Key: "k", Label: "second", Op: nop})
	if added || err != nil {
		t.Fatalf("AddOrKeep existing = %v, %v", added, err)
	}
	n, _ := g.Node("k")
	if n.Label != "first" || g.Len() != 1 {
		t.Errorf("kept label %q, len %d; want first, 1", n.Label, g.Len())
	}
	if _, err := g.AddOrKeep(Node{Key: "z"}); !errors.Is(err, ErrNilOp) {
		t.Errorf("AddOrKeep without op = %v, want ErrNilOp", err)
	}
}

// checkTopo verifies that order lists exactly want's keys, each after its
// dependencies.
func checkTopo(t *testing.T, g *Graph, order []Key, want []string) {
	t.Helper()
	got := make([]string, len(order))
	pos := map[Key]int{}
	for i, k := range order {
		got[i] = string(k)
		pos[k] = i
	}
	sg, sw := slices.Clone(got), slices.Clone(want)
	slices.Sort(sg)
	slices.Sort(sw)
	if !slices.Equal(sg, sw) {
		t.Fatalf("order has keys %v, want %v", sg, sw)
	}
	for _, k := range order {
		n, _ := g.Node(k)
		for _, d := range n.Deps {
			if pos[d] >= pos[k] {
				t.Errorf("%s at %d before its dependency %s at %d", k, pos[k], d, pos[d])
			}
		}
	}
}

func TestTopoOrder(t *testing.T) {
	// Added in reverse dependency order on purpose.
	g := mk(t, "out:m1,m2", "m2:b,c", "m1:a,b", "c", "b:a", "a", "lonely")
	order, err := g.TopoOrder()
	if err != nil {
		t.Fatal(err)
	}
	checkTopo(t, g, order, []string{"out", "m1", "m2", "a", "b", "c", "lonely"})
}

func TestCycles(t *testing.T) {
	cases := []struct {
		name  string
		specs []string
		cycle []string // as a set of keys on the cycle
	}{
		{"self", []string{"a:a"}, []string{"a"}},
		{"two", []string{"a:b", "b:a"}, []string{"a", "b"}},
		{"three behind a tail", []string{"out:x", "x:y", "y:z", "z:w,x", "w"}, []string{"x", "y", "z"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := mk(t, c.specs...)
			for _, err := range []error{g.Validate(), func() error { _, e := g.Compile(g.Keys()...); return e }()} {
				var ce *CycleError
				if !errors.As(err, &ce) {
					t.Fatalf("err = %v, want *CycleError", err)
				}
				got := make([]string, len(ce.Cycle))
				for i, k := range ce.Cycle {
					got[i] = string(k)
				}
				// Each key on the reported cycle depends on the next.
				for i, k := range ce.Cycle {
					next := ce.Cycle[(i+1)%len(ce.Cycle)]
					n, _ := g.Node(k)
					if !slices.Contains(n.Deps, next) {
						t.Errorf("reported cycle %v: %s does not depend on %s", got, k, next)
					}
				}
				slices.Sort(got)
				if !slices.Equal(got, c.cycle) {
					t.Errorf("cycle keys %v, want %v", got, c.cycle)
				}
				for _, k := range c.cycle {
					if !strings.Contains(err.Error(), k) {
						t.Errorf("error %q does not name %s", err, k)
					}
				}
			}
		})
	}
}

func TestCullSkipsUnreachableCycle(t *testing.T) {
	g := mk(t, "a", "b:a", "x:y", "y:x")
	c, err := g.Cull("b")
	if err != nil {
		t.Fatalf("Cull(b) = %v; the cycle x<->y is not needed", err)
	}
	if got := c.Keys(); !slices.Equal(got, []Key{"a", "b"}) {
		t.Errorf("Cull keys %v, want [a b]", got)
	}
}

func TestMissingDep(t *testing.T) {
	g := mk(t, "a", "b:a,ghost")
	err := g.Validate()
	var me *MissingDepError
	if !errors.As(err, &me) || me.Node != "b" || me.Dep != "ghost" {
		t.Fatalf("Validate = %v, want MissingDepError{b, ghost}", err)
	}
	if !errors.Is(err, ErrUnknownKey) {
		t.Error("MissingDepError does not match ErrUnknownKey")
	}
	if _, err := g.Compile("a"); err != nil {
		t.Errorf("Compile(a) = %v; a does not need ghost", err)
	}
	if _, err := g.Compile("nope"); !errors.Is(err, ErrUnknownKey) || !strings.Contains(err.Error(), "nope") {
		t.Errorf("Compile(nope) = %v, want ErrUnknownKey naming nope", err)
	}
}

func TestCull(t *testing.T) {
	g := mk(t, "a", "b:a", "c:a", "d:b,c", "e:c", "f")
	for _, c := range []struct {
		outs []Key
		want []string
	}{
		{[]Key{"d"}, []string{"a", "b", "c", "d"}},
		{[]Key{"e"}, []string{"a", "c", "e"}},
		{[]Key{"e", "f"}, []string{"a", "c", "e", "f"}},
		{[]Key{"a"}, []string{"a"}},
	} {
		cg, err := g.Cull(c.outs...)
		if err != nil {
			t.Fatal(err)
		}
		checkTopo(t, cg, cg.Keys(), c.want)
	}
}

func TestCompile(t *testing.T) {
	// Diamond with a repeated dependency and an unneeded node.
	g := mk(t, "top:l,r,l", "l:base", "r:base", "base", "unused:base")
	p, err := g.Compile("top", "l")
	if err != nil {
		t.Fatal(err)
	}
	if p.Len() != 4 {
		t.Fatalf("plan has %d nodes, want 4", p.Len())
	}
	idx := map[Key]int32{}
	for i, n := range p.Nodes {
		idx[n.Key] = int32(i)
	}
	keysOf := func(ids []int32) []Key {
		var ks []Key
		for _, i := range ids {
			ks = append(ks, p.Nodes[i].Key)
		}
		return ks
	}
	wantDeps := map[Key][]Key{"top": {"l", "r", "l"}, "l": {"base"}, "r": {"base"}, "base": nil}
	wantSuccs := map[Key][]Key{"top": nil, "l": {"top", "top"}, "r": {"top"}, "base": {"l", "r"}}
	for k, i := range idx {
		if got := keysOf(p.NodeDeps(i)); !slices.Equal(got, wantDeps[k]) {
			t.Errorf("deps of %s = %v, want %v", k, got, wantDeps[k])
		}
		got := keysOf(p.NodeSuccs(i))
		slices.Sort(got)
		if !slices.Equal(got, wantSuccs[k]) {
			t.Errorf("succs of %s = %v, want %v", k, got, wantSuccs[k])
		}
		for _, d := range p.NodeDeps(i) {
			if d >= i {
				t.Errorf("plan not topological: %s (%d) needs %d", k, i, d)
			}
		}
	}
	if p.Outputs[0] != idx["top"] || p.Outputs[1] != idx["l"] {
		t.Errorf("Outputs = %v", p.Outputs)
	}
}

func TestComposeSharedKeys(t *testing.T) {
	a := New()
	b := New()
	shared := Node{Key: "shared", Label: "from-a", Op: nop}
	_ = a.Add(shared)
	_ = a.Add(Node{Key: "a1", Op: nop, Deps: []Key{"shared"}})
	_ = b.Add(Node{Key: "shared", Label: "from-b", Op: nop})
	_ = b.Add(Node{Key: "b1", Op: nop, Deps: []Key{"shared"}})
	m := Merge(a, b)
	if got := m.Keys(); !slices.Equal(got, []Key{"shared", "a1", "b1"}) {
		t.Fatalf("merged keys %v", got)
	}
	if n, _ := m.Node("shared"); n.Label != "from-a" {
		t.Errorf("shared node from %q, want the first graph's", n.Label)
	}
	if a.Len() != 2 || b.Len() != 2 {
		t.Error("Merge modified its inputs")
	}
	if err := m.Validate(); err != nil {
		t.Error(err)
	}
	c := a.Clone()
	c.Compose(b)
	if c.Len() != 3 || a.Len() != 2 {
		t.Errorf("Clone+Compose: %d nodes (want 3), original %d (want 2)", c.Len(), a.Len())
	}
	if d := m.Dependents("shared"); !slices.Equal(d, []Key{"a1", "b1"}) {
		t.Errorf("Dependents(shared) = %v", d)
	}
}

func TestWriteDOT(t *testing.T) {
	g := New()
	_ = g.Add(Node{Key: "part-0", Label: "partition 0", Kind: KindTask, Op: nop, Lane: "cuda:0"})
	_ = g.Add(Node{Key: "mrg", Label: `say "hi"`, Kind: KindMerge, Op: nop, Deps: []Key{"part-0", "ghost"}})
	var b bytes.Buffer
	if err := g.WriteDOT(&b); err != nil {
		t.Fatal(err)
	}
	want := `digraph stemflow {
	rankdir=TB;
	node [fontname="Helvetica", fontsize=10];
	"part-0" [label="partition 0\ntask @cuda:0", shape=box, style=filled, fillcolor="#dbe9f6", penwidth=2, color="#7a3e9d"];
	"mrg" [label="say \"hi\"\nmerge", shape=ellipse, style=filled, fillcolor="#fde0c5"];
	"part-0" -> "mrg";
	"ghost" [shape=box, style=dotted, color=red];
	"ghost" -> "mrg";
}
`
	if b.String() != want {
		t.Errorf("DOT:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestWriteSVG(t *testing.T) {
	g := mk(t, "a", "b:a")
	if _, err := exec.LookPath("dot"); err != nil {
		err := g.WriteSVG(context.Background(), &bytes.Buffer{})
		if !errors.Is(err, ErrNoGraphviz) {
			t.Fatalf("WriteSVG without dot = %v, want ErrNoGraphviz", err)
		}
		return
	}
	var b bytes.Buffer
	if err := g.WriteSVG(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "<svg") {
		t.Errorf("no <svg in output: %.200s", b.String())
	}
}

func TestWriteSVGNoDot(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	err := mk(t, "a").WriteSVG(context.Background(), &bytes.Buffer{})
	if !errors.Is(err, ErrNoGraphviz) {
		t.Fatalf("WriteSVG with empty PATH = %v, want ErrNoGraphviz", err)
	}
}

// FuzzCompile builds graphs with arbitrary edges from the input bytes and
// checks Compile either returns a plan in which every dependency precedes
// its dependent, or a cycle that really is one (each key depends on the
// next), or a missing dependency that really is missing.
func FuzzCompile(f *testing.F) {
	f.Add([]byte{0, 1, 1, 2, 2, 0})
	f.Add([]byte{5, 3, 3, 1, 1, 0, 4, 4})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		const n = 12
		g := New()
		deps := make([][]Key, n)
		for i := 0; i+1 < len(data); i += 2 {
			from, to := int(data[i])%n, int(data[i+1])%(n+2) // n, n+1: missing keys
			deps[from] = append(deps[from], Key("k"+strconv.Itoa(to)))
		}
		for i := 0; i < n; i++ {
			if err := g.Add(Node{Key: Key("k" + strconv.Itoa(i)), Op: nop, Deps: deps[i]}); err != nil {
				t.Fatal(err)
			}
		}
		p, err := g.Compile(g.Keys()...)
		var ce *CycleError
		var me *MissingDepError
		switch {
		case err == nil:
			for i := range p.Nodes {
				for _, d := range p.NodeDeps(int32(i)) {
					if d >= int32(i) {
						t.Fatalf("node %d needs later node %d", i, d)
					}
				}
				if len(p.NodeDeps(int32(i))) != len(p.Nodes[i].Deps) {
					t.Fatalf("node %s: %d plan deps, %d deps", p.Nodes[i].Key, len(p.NodeDeps(int32(i))), len(p.Nodes[i].Deps))
				}
			}
			if p.Len() != n {
				t.Fatalf("plan of all keys has %d nodes, want %d", p.Len(), n)
			}
		case errors.As(err, &ce):
			for i, k := range ce.Cycle {
				nd, ok := g.Node(k)
				if !ok || !slices.Contains(nd.Deps, ce.Cycle[(i+1)%len(ce.Cycle)]) {
					t.Fatalf("bogus cycle %v", ce.Cycle)
				}
			}
		case errors.As(err, &me):
			if g.Has(me.Dep) {
				t.Fatalf("missing dep %s is present", me.Dep)
			}
		default:
			t.Fatalf("unexpected error %v", err)
		}
	})
}

func ExampleGraph_Compile() {
	g := New()
	leaf := func(v int) Op { return func(context.Context, []any) (any, error) { return v, nil } }
	_ = g.Add(Node{Key: "sum", Kind: KindMergeAll, Op: nop, Deps: []Key{"p0", "p1"}})
	_ = g.Add(Node{Key: "p0", Kind: KindTask, Op: leaf(1)})
	_ = g.Add(Node{Key: "p1", Kind: KindTask, Op: leaf(2)})
	_ = g.Add(Node{Key: "unused", Op: leaf(3)})
	p, err := g.Compile("sum")
	if err != nil {
		fmt.Println(err)
		return
	}
	for i, n := range p.Nodes {
		fmt.Println(n.Key, n.Kind, len(p.NodeDeps(int32(i))), "deps")
	}
	// Output:
	// p0 task 0 deps
	// p1 task 0 deps
	// sum merge_all 2 deps
}

func ExampleToken() {
	a := Token("scale", []Key{"sum-1"}, "factor=2")
	b := Token("scale", []Key{"sum-1"}, "factor=2")
	fmt.Println(a == b, a.Name())
	// Output: true scale
}

// BenchmarkBuild100k adds 100,000 nodes (partition tasks, each merged into
// a chain, as a UDF run builds them) and compiles the graph.
func BenchmarkBuild100k(b *testing.B) {
	const n = 50000
	keys := make([]Key, 2*n)
	for i := 0; i < n; i++ {
		keys[2*i] = Key("task-" + strconv.Itoa(i))
		keys[2*i+1] = Key("merge-" + strconv.Itoa(i))
	}
	b.ReportAllocs()
	for b.Loop() {
		g := NewWithCapacity(2 * n)
		for i := 0; i < n; i++ {
			if err := g.Add(Node{Key: keys[2*i], Kind: KindTask, Op: nop, Admission: true, Order: i}); err != nil {
				b.Fatal(err)
			}
			deps := []Key{keys[2*i]}
			if i > 0 {
				deps = append(deps, keys[2*i-1])
			}
			if err := g.Add(Node{Key: keys[2*i+1], Kind: KindMerge, Op: nop, Deps: deps}); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := g.Compile(keys[2*n-1]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/build+compile")
}

func ExampleGraph_WriteDOT() {
	g := New()
	_ = g.Add(Node{Key: "part-0", Label: "partition 0", Kind: KindTask, Op: nop})
	_ = g.Add(Node{Key: "merge-0", Label: "merge", Kind: KindMerge, Op: nop, Deps: []Key{"part-0"}})
	_ = g.WriteDOT(os.Stdout)
	// Output:
	// digraph stemflow {
	// 	rankdir=TB;
	// 	node [fontname="Helvetica", fontsize=10];
	// 	"part-0" [label="partition 0\ntask", shape=box, style=filled, fillcolor="#dbe9f6"];
	// 	"merge-0" [label="merge\nmerge", shape=ellipse, style=filled, fillcolor="#fde0c5"];
	// 	"part-0" -> "merge-0";
	// }
}
