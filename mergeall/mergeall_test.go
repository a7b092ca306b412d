package mergeall

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/graph"
	"github.com/stemflow/stemflow/sched"
)

func TestConcatRows(t *testing.T) {
	cases := []struct {
		name  string
		parts []array.Array
		shape []int
		data  []float32
		err   bool
	}{
		{"1-d", []array.Array{array.Wrap([]float32{1, 2}, 2), array.Wrap([]float32{3}, 1), array.Wrap([]float32{}, 0)}, []int{3}, []float32{1, 2, 3}, false},
		{"extra", []array.Array{array.Wrap([]float32{1, 2, 3, 4}, 2, 2), array.Wrap([]float32{5, 6}, 1, 2)}, []int{3, 2}, []float32{1, 2, 3, 4, 5, 6}, false},
		{"zero extent", []array.Array{array.Zeros[float32](2, 0), array.Zeros[float32](3, 0)}, []int{5, 0}, []float32{}, false},
		{"dtype mismatch", []array.Array{array.Wrap([]float32{1}, 1), array.Wrap([]float64{1}, 1)}, nil, nil, true},
		{"tail mismatch", []array.Array{array.Zeros[float32](1, 2), array.Zeros[float32](1, 3)}, nil, nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ConcatRows(c.parts)
			if c.err {
				if !errors.Is(err, ErrConcat) {
					t.Fatalf("err = %v, want ErrConcat", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			d := got.(*array.Dense[float32])
			if !slices.Equal(d.Shape(), c.shape) || !slices.Equal(d.Data(), c.data) {
				t.Fatalf("got %v %v, want %v %v", d.Shape(), d.Data(), c.shape, c.data)
			}
		})
	}
	if got, err := ConcatRows(nil); got != nil || err != nil {
		t.Fatalf("no parts: %v %v", got, err)
	}
}

// TestChainOrder builds a chain whose step records the order of partials; whatever
// the worker count, the steps run in partition order.
func TestChainOrder(t *testing.T) {
	for _, opts := range []sched.Options{{Inline: true}, {Workers: 1}, {Workers: 2}, {Workers: 7}} {
		g := graph.New()
		var parts []graph.Key
		for k := 0; k < 20; k++ {
			key := graph.Key("part-" + string(rune('a'+k)))
			v := k
			if err := g.Add(graph.Node{Key: key, Kind: graph.KindTask, Admission: true, Order: k,
				Op: func(context.Context, []any) (any, error) { return v, nil }}); err != nil {
				t.Fatal(err)
			}
			parts = append(parts, key)
		}
		if err := g.Add(graph.Node{Key: "init", Kind: graph.KindMerge,
			Op: func(context.Context, []any) (any, error) { return &[]int{}, nil }}); err != nil {
			t.Fatal(err)
		}
		keys, err := Chain(g, ChainSpec{Name: "x", Init: "init", Parts: parts, Step: func(_ context.Context, k int, acc, part any) (any, error) {
			a := acc.(*[]int)
			if part.(int) != k {
				return nil, errors.New("partial out of place")
			}
			*a = append(*a, part.(int))
			return a, nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		all, err := All(g, "y", "init", parts, func(_ context.Context, acc any, ps []any) (any, error) {
			s := 0
			for i, p := range ps {
				if p.(int) != i {
					return nil, errors.New("merge_all parts out of order")
				}
				s += p.(int)
			}
			return s, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		vals, err := sched.Compute(context.Background(), g, []graph.Key{keys[len(keys)-1], all}, opts)
		if err != nil {
			t.Fatal(err)
		}
		want := make([]int, 20)
		for i := range want {
			want[i] = i
		}
		if got := *vals[0].(*[]int); !slices.Equal(got, want) {
			t.Fatalf("%+v: order %v", opts, got)
		}
		if vals[1].(int) != 190 {
			t.Fatalf("merge_all sum %v", vals[1])
		}
	}
}

func TestChainErrors(t *testing.T) {
	g := graph.New()
	if _, err := Chain(g, ChainSpec{Name: "x"}); err == nil {
		t.Fatal("nil step accepted")
	}
	if _, err := All(g, "x", "init", nil, nil); err == nil {
		t.Fatal("nil merge accepted")
	}
	keys, err := Chain(g, ChainSpec{Name: "x", Init: "init", Step: func(context.Context, int, any, any) (any, error) { return nil, nil }})
	if err != nil || len(keys) != 0 {
		t.Fatalf("empty chain: %v %v", keys, err)
	}
}

func ExampleConcatRows() {
	a := array.Wrap([]float32{1, 2, 3, 4}, 2, 2)
	b := array.Wrap([]float32{5, 6}, 1, 2)
	c, _ := ConcatRows([]array.Array{a, b})
	d := c.(*array.Dense[float32])
	fmt.Println(d.Shape(), d.Data())
	// Output: [3 2] [1 2 3 4 5 6]
}
