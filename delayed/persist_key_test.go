package delayed

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/stemflow/stemflow/graph"
)

// TestPersistByKey: a persisted value is found by its key, whichever handle carries
// it, and the order of handles in a Compute does not matter.
func TestPersistByKey(t *testing.T) {
	ctx := context.Background()
	var runs atomic.Int32
	base := Call0(func() int { runs.Add(1); return 3 }, Name("base"))
	f := func() Delayed[int] { return Call1(double, base, Pure("f")) } // same key each call
	a, b := f(), f()
	if a.Key() != b.Key() {
		t.Fatalf("pure keys differ: %s %s", a.Key(), b.Key())
	}
	if err := Persist(ctx, a); err != nil {
		t.Fatal(err)
	}
	if runs.Load() != 1 || !b.Persisted() {
		t.Fatalf("after Persist(a): base ran %d times (want 1), b persisted = %v (want true)", runs.Load(), b.Persisted())
	}
	g := Call1(double, b) // built on the second handle
	for _, order := range [][]Handle{{a, b, g}, {g, b, a}, {b}, {g}} {
		r, err := Compute(ctx, order...)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range order {
			v, _ := r.Value(h)
			want := 6
			if h.Key() == g.Key() {
				want = 12
			}
			if v != want {
				t.Fatalf("%s = %v, want %d", h.Key(), v, want)
			}
		}
	}
	if runs.Load() != 1 {
		t.Fatalf("base ran %d times, want 1 (every Compute reuses the persisted value)", runs.Load())
	}
}

// TestPersistFromNodeByKey: two FromNode handles on one key share a persisted value.
func TestPersistFromNodeByKey(t *testing.T) {
	var runs atomic.Int32
	gr := graph.New()
	key := graph.UniqueKey("leaf")
	if err := gr.Add(graph.Node{Key: key, Op: func(context.Context, []any) (any, error) { runs.Add(1); return 7, nil }}); err != nil {
		t.Fatal(err)
	}
	h1 := FromNode[int](gr, key)
	if err := Persist(context.Background(), Handles(h1)...); err != nil {
		t.Fatal(err)
	}
	h2 := FromNode[int](gr, key)
	for range 2 {
		if v, err := Call1(double, h2).Compute(context.Background()); v != 14 || err != nil {
			t.Fatal(v, err)
		}
	}
	if runs.Load() != 1 {
		t.Fatalf("the node ran %d times, want 1", runs.Load())
	}
}
