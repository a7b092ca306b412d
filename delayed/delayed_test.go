package delayed

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stemflow/stemflow/graph"
	"github.com/stemflow/stemflow/sched"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var modes = []struct {
	name string
	opts sched.Options
}{
	{"inline", sched.Options{Inline: true}},
	{"w1", sched.Options{Workers: 1}},
	{"w2", sched.Options{Workers: 2}},
	{"w8", sched.Options{Workers: 8}},
}

func double(x int) int { return 2 * x }
func add(x, y int) int { return x + y }

func TestDiamondSharedNodeOnce(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			var base, left, right atomic.Int32
			b := Call0(func() int { base.Add(1); return 3 })
			l := Call1(func(x int) int { left.Add(1); return x + 1 }, b)
			r := Call1(func(x int) int { right.Add(1); return x * 10 }, b)
			top := Call2(add, l, r)
			res, err := ComputeWith(context.Background(), m.opts, top, l, b)
			if err != nil {
				t.Fatal(err)
			}
			tv, _ := top.Get(res)
			lv, _ := l.Get(res)
			bv, _ := b.Get(res)
			if tv != 34 || lv != 4 || bv != 3 {
				t.Errorf("top, l, b = %d %d %d, want 34 4 3", tv, lv, bv)
			}
			if base.Load() != 1 || left.Load() != 1 || right.Load() != 1 {
				t.Errorf("runs base %d left %d right %d, want 1 each", base.Load(), left.Load(), right.Load())
			}
		})
	}
}

func TestWideSum(t *testing.T) {
	var runs atomic.Int32
	xs := make([]Delayed[int], 500)
	for i := range xs {
		xs[i] = Call1(func(x int) int { runs.Add(1); return x * x }, Value(i))
	}
	total := CallSlice(func(v []int) int {
		s := 0
		for _, x := range v {
			s += x
		}
		return s
	}, xs)
	want := 0
	for i := 0; i < 500; i++ {
		want += i * i
	}
	for _, m := range modes {
		runs.Store(0)
		got, err := total.ComputeWith(context.Background(), m.opts)
		if err != nil || got != want {
			t.Errorf("%s: %d %v, want %d", m.name, got, err, want)
		}
		if runs.Load() != 500 {
			t.Errorf("%s: %d square nodes ran, want 500", m.name, runs.Load())
		}
	}
}

func TestCallArities(t *testing.T) {
	ctx := context.Background()
	a, b, c, d := Value(1), Value(2), Value(3), Value(4)
	cases := []struct {
		name string
		h    Delayed[int]
		want int
	}{
		{"Call0", Call0(func() int { return 7 }), 7},
		{"Call0Err", Call0Err(func() (int, error) { return 8, nil }), 8},
		{"Call1", Call1(double, a), 2},
		{"Call1Err", Call1Err(func(x int) (int, error) { return x + 5, nil }, a), 6},
		{"Call2", Call2(add, a, b), 3},
		{"Call2Err", Call2Err(func(x, y int) (int, error) { return x - y, nil }, a, b), -1},
		{"Call3", Call3(func(x, y, z int) int { return 100*x + 10*y + z }, a, b, c), 123},
		{"Call3Err", Call3Err(func(x, y, z int) (int, error) { return x * y * z, nil }, a, b, c), 6},
		{"Call4", Call4(func(w, x, y, z int) int { return 1000*w + 100*x + 10*y + z }, a, b, c, d), 1234},
		{"Call4Err", Call4Err(func(w, x, y, z int) (int, error) { return w + x + y + z, nil }, a, b, c, d), 10},
		{"CallSlice", CallSlice(func(v []int) int { return v[0]*10 + v[1] }, []Delayed[int]{d, c}), 43},
		{"CallSliceErr", CallSliceErr(func(v []int) (int, error) { return len(v), nil }, nil), 0},
		{"Apply", Apply[int](func(ctx context.Context, v []any) (any, error) {
			if _, ok := sched.Worker(ctx); !ok {
				return nil, errors.New("no worker in ctx")
			}
			return len(v[0].(string)) + v[1].(int), nil
		}, []Handle{Value("abc"), d}), 7},
	}
	for _, c := range cases {
		got, err := c.h.Compute(ctx)
		if err != nil || got != c.want {
			t.Errorf("%s = %d, %v; want %d", c.name, got, err, c.want)
		}
	}
	// Mixed types.
	s := Call2(strings.Repeat, Value("ab"), Value(3))
	if got, err := s.Compute(ctx); got != "ababab" || err != nil {
		t.Errorf("strings.Repeat = %q, %v", got, err)
	}
}

func TestNames(t *testing.T) {
	h := Call1(double, Value(1))
	if h.Key().Name() != "double" {
		t.Errorf("key %q, want name double", h.Key())
	}
	if k := Call2(strings.Repeat, Value("x"), Value(2)).Key(); k.Name() != "Repeat" {
		t.Errorf("key %q, want name Repeat", k)
	}
	h = Call1(double, Value(1), Name("twice"), Label("times two"))
	g, err := Graph(h)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := g.Node(h.Key())
	if h.Key().Name() != "twice" || n.Label != "times two" || n.Kind != graph.KindUser {
		t.Errorf("key %q label %q kind %s", h.Key(), n.Label, n.Kind)
	}
}

func TestIdentity(t *testing.T) {
	var runs atomic.Int32
	f := func(x, y int) int { runs.Add(1); return x + y }
	a := Value(1, Key("a"))
	b := Value(2, Key("b"))
	p1 := Call2(f, a, b, Name("sum"), Pure())
	p2 := Call2(f, a, b, Name("sum"), Pure())
	p3 := Call2(f, a, b, Name("sum"), Pure("v2"))
	u1 := Call2(f, a, b, Name("sum"))
	u2 := Call2(f, a, b, Name("sum"))
	if p1.Key() != p2.Key() || p1.Key() != graph.Token("sum", []graph.Key{"a", "b"}) {
		t.Errorf("pure keys %q %q, want %q", p1.Key(), p2.Key(), graph.Token("sum", []graph.Key{"a", "b"}))
	}
	if p3.Key() == p1.Key() || u1.Key() == u2.Key() || u1.Key() == p1.Key() {
		t.Errorf("keys not distinct: %q %q %q %q", p3.Key(), u1.Key(), u2.Key(), p1.Key())
	}
	res, err := Compute(context.Background(), p1, p2, Call2(add, p1, p2))
	if err != nil {
		t.Fatal(err)
	}
	if runs.Load() != 1 {
		t.Errorf("identical pure nodes ran %d times, want 1", runs.Load())
	}
	if v, _ := p2.Get(res); v != 3 {
		t.Errorf("p2 = %d", v)
	}
	runs.Store(0)
	if _, err := Compute(context.Background(), u1, u2); err != nil {
		t.Fatal(err)
	}
	if runs.Load() != 2 {
		t.Errorf("impure nodes ran %d times, want 2", runs.Load())
	}
	g, _ := Graph(p1, p2, u1)
	if g.Len() != 4 { // a, b, sum(pure), sum(unique)
		t.Errorf("graph has %d nodes, want 4: %v", g.Len(), g.Keys())
	}
}

func TestRecomputeWithoutPersist(t *testing.T) {
	ctx := context.Background()
	var runs atomic.Int32
	x := Call0(func() int { runs.Add(1); return 5 })
	y := Call1(double, x)
	for i := 0; i < 2; i++ {
		if v, err := y.Compute(ctx); v != 10 || err != nil {
			t.Fatal(v, err)
		}
	}
	if runs.Load() != 2 {
		t.Errorf("x ran %d times over two Computes, want 2 (no caching)", runs.Load())
	}
	if err := Persist(ctx, x); err != nil {
		t.Fatal(err)
	}
	if !x.Persisted() || y.Persisted() {
		t.Error("Persisted flags wrong")
	}
	for i := 0; i < 3; i++ {
		if v, err := y.Compute(ctx); v != 10 || err != nil {
			t.Fatal(v, err)
		}
	}
	if err := Persist(ctx, x, x); err != nil {
		t.Fatal(err)
	}
	if runs.Load() != 3 {
		t.Errorf("x ran %d times, want 3 (2 + 1 persist)", runs.Load())
	}
}

func TestFromNode(t *testing.T) {
	var partRuns atomic.Int32
	g := graph.New()
	for i := 0; i < 4; i++ {
		k := graph.Key("part-" + string(rune('0'+i)))
		if err := g.Add(graph.Node{Key: k, Kind: graph.KindTask, Admission: true, Order: i,
			Op: func(context.Context, []any) (any, error) { partRuns.Add(1); return float64(i + 1), nil }}); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.Add(graph.Node{Key: "all", Kind: graph.KindMergeAll,
		Deps: []graph.Key{"part-0", "part-1", "part-2", "part-3"},
		Op: func(_ context.Context, a []any) (any, error) {
			s := 0.0
			for _, x := range a {
				s += x.(float64)
			}
			return s, nil
		}}); err != nil {
		t.Fatal(err)
	}
	all := FromNode[float64](g, "all")
	p2 := FromNode[float64](g, "part-2")
	scaled := Call2(func(x, f float64) float64 { return x * f }, all, Value(0.5))
	for _, m := range modes {
		partRuns.Store(0)
		res, err := ComputeWith(context.Background(), m.opts, scaled, p2, all)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := scaled.Get(res)
		a, _ := all.Get(res)
		v2, _ := p2.Get(res)
		if s != 5 || a != 10 || v2 != 3 {
			t.Errorf("%s: scaled %v all %v part2 %v, want 5 10 3", m.name, s, a, v2)
		}
		if partRuns.Load() != 4 {
			t.Errorf("%s: partition nodes ran %d times, want 4", m.name, partRuns.Load())
		}
	}
	// Culling: only part-1 is needed.
	if v, err := FromNode[float64](g, "part-1").Compute(context.Background()); v != 2 || err != nil {
		t.Errorf("part-1 = %v %v", v, err)
	}
	// Wrong type parameter.
	_, err := FromNode[string](g, "all").Compute(context.Background())
	var te *TypeError
	if !errors.As(err, &te) || te.Key != "all" || te.Want != "string" || te.Got != "float64" {
		t.Errorf("wrong T: err = %v, want TypeError", err)
	}
	// Unknown key.
	if _, err := FromNode[int](g, "nope").Compute(context.Background()); !errors.Is(err, graph.ErrUnknownKey) {
		t.Errorf("unknown key: %v", err)
	}
	// A persisted FromNode handle shadows its node in the graph.
	partRuns.Store(0)
	if err := Persist(context.Background(), p2); err != nil {
		t.Fatal(err)
	}
	if v, err := Call1(func(x float64) float64 { return x }, p2).Compute(context.Background()); v != 3 || err != nil {
		t.Errorf("persisted part-2 = %v %v", v, err)
	}
	if partRuns.Load() != 1 {
		t.Errorf("part nodes ran %d times, want 1 (the persist)", partRuns.Load())
	}
}

var errBad = errors.New("bad input")

func TestErrorsAndPanics(t *testing.T) {
	ctx := context.Background()
	bad := Call1Err(func(x int) (int, error) { return 0, errBad }, Value(1), Name("check"))
	after := Call1(double, bad)
	_, err := after.Compute(ctx)
	var ne *sched.NodeError
	if !errors.Is(err, errBad) || !errors.As(err, &ne) || ne.Key != bad.Key() || ne.Label != "check" {
		t.Errorf("err = %v, want NodeError for %s wrapping errBad", err, bad.Key())
	}
	boom := Call1(func(x int) int { return 10 / (x - 1) }, Value(1)) // divides by zero
	_, err = boom.Compute(ctx)
	var pe *sched.PanicError
	if !errors.As(err, &pe) || !errors.As(err, &ne) || ne.Key != boom.Key() {
		t.Errorf("panic: err = %v", err)
	}
	// Argument of the wrong type reaching a function, through Apply.
	str := Apply[string](func(context.Context, []any) (any, error) { return 5, nil }, nil, Key("five"))
	_, err = Call1(strings.ToUpper, str).Compute(ctx)
	var te *TypeError
	if !errors.As(err, &te) || te.Key != "five" {
		t.Errorf("type mismatch: %v", err)
	}
	// Zero handles.
	var zero Delayed[int]
	if _, err := Compute(ctx, zero); !errors.Is(err, ErrNilHandle) {
		t.Errorf("zero handle: %v", err)
	}
	if _, err := Call1(double, zero).Compute(ctx); !errors.Is(err, ErrNilHandle) {
		t.Errorf("zero argument: %v", err)
	}
	if err := Persist(ctx, zero); !errors.Is(err, ErrNilHandle) {
		t.Errorf("persist zero: %v", err)
	}
	if _, err := zero.Get(&Results{}); !errors.Is(err, ErrNilHandle) {
		t.Errorf("get zero: %v", err)
	}
	one := Value(1)
	res, _ := Compute(ctx, one)
	if _, err := Value(2).Get(res); !errors.Is(err, ErrNotComputed) {
		t.Errorf("get uncomputed: %v", err)
	}
	if v, ok := res.Value(one); v != 1 || !ok {
		t.Errorf("Results.Value = %v %v, want 1 true", v, ok)
	}
	if _, ok := res.Value(zero); ok {
		t.Error("Results.Value of a zero handle reports a value")
	}
	if _, ok := res.Value(Value(3)); ok || res.Len() != 1 {
		t.Errorf("Results.Value of an uncomputed handle reports a value; Len %d", res.Len())
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Call0(func() int { return 1 }).Compute(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestNilResultOfInterfaceType(t *testing.T) {
	e := Call0(func() error { return nil })
	v, err := e.Compute(context.Background())
	if err != nil || v != nil {
		t.Errorf("nil error value: %v %v", v, err)
	}
}

func TestWriteDOTErrors(t *testing.T) {
	var zero Delayed[int]
	if err := WriteDOT(&bytes.Buffer{}, zero); !errors.Is(err, ErrNilHandle) {
		t.Errorf("WriteDOT zero: %v", err)
	}
	var b bytes.Buffer
	g := graph.New()
	_ = g.Add(graph.Node{Key: "merge-1", Kind: graph.KindMerge, Op: func(context.Context, []any) (any, error) { return 1, nil }})
	if err := WriteDOT(&b, Call1(double, FromNode[int](g, "merge-1"))); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"merge-1" -> "double-`) || !strings.Contains(b.String(), "merge\"") && !strings.Contains(b.String(), `\nmerge"`) {
		t.Errorf("DOT lacks the composed edge or kind:\n%s", b.String())
	}
}

// BenchmarkCallTree10k: build (with Call2) and compute a binary tree of
// 9,999 lifted nodes with 2 workers.
func BenchmarkCallTree10k(b *testing.B) {
	ctx := context.Background()
	nodes := 0
	for b.Loop() {
		level := make([]Delayed[int], 5000)
		for i := range level {
			level[i] = Value(i + 1)
		}
		nodes = len(level)
		for len(level) > 1 {
			next := level[:0:0]
			for i := 0; i+1 < len(level); i += 2 {
				next = append(next, Call2(add, level[i], level[i+1]))
			}
			if len(level)%2 == 1 {
				next = append(next, level[len(level)-1])
			}
			nodes += len(level) / 2
			level = next
		}
		v, err := level[0].ComputeWith(ctx, sched.Options{Workers: 2})
		if err != nil || v != 5000*5001/2 {
			b.Fatal(v, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(nodes), "us/task")
}

func TestKeyCollisionCycle(t *testing.T) {
	a := Value(1, Key("x"))
	b := Call1(double, a, Key("y"))
	c := Call1(double, b, Key("x")) // claims a's key: x -> y -> x
	_, err := c.Compute(context.Background())
	var ce *graph.CycleError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want *graph.CycleError", err)
	}
}

func TestConcurrentComputeAndPersist(t *testing.T) {
	var runs atomic.Int32
	base := Call0(func() int { runs.Add(1); return 7 })
	xs := make([]Delayed[int], 20)
	for i := range xs {
		xs[i] = Call2(add, base, Value(i))
	}
	total := CallSlice(func(v []int) int {
		s := 0
		for _, x := range v {
			s += x
		}
		return s
	}, xs)
	want := 20*7 + 19*20/2
	errs := make(chan error, 16)
	for g := 0; g < 8; g++ {
		go func() {
			v, err := total.ComputeWith(context.Background(), sched.Options{Workers: 2})
			if err == nil && v != want {
				err = errors.New("wrong total")
			}
			errs <- err
		}()
		go func() { errs <- Persist(context.Background(), base) }()
	}
	for i := 0; i < 16; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if !base.Persisted() {
		t.Error("base not persisted")
	}
	n := runs.Load()
	if v, err := total.Compute(context.Background()); v != want || err != nil || runs.Load() != n {
		t.Errorf("after Persist: %d %v, base ran again: %v", v, err, runs.Load() != n)
	}
}
