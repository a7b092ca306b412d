package sched

import (
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stemflow/stemflow/graph"
)

// TestStress runs random DAGs with random kinds, admission flags (including
// inconsistent ones that need the anti-deadlock rescue), lanes, failing
// nodes and cancellations, in every mode. Each run must end (no hang), run
// no node twice, and either return the values a direct loop computes or the
// injected error.
func TestStress(t *testing.T) {
	iters := 60
	if testing.Short() {
		iters = 15
	}
	for it := 0; it < iters; it++ {
		rng := rand.New(rand.NewPCG(uint64(it), 99))
		n := 20 + rng.IntN(300)
		g := graph.New()
		keys := make([]graph.Key, n)
		want := make([]uint64, n)
		runs := make([]atomic.Int32, n)
		failAt := -1
		if rng.IntN(3) == 0 {
			failAt = rng.IntN(n)
		}
		cancelAt := int32(-1)
		if rng.IntN(4) == 0 {
			cancelAt = int32(rng.IntN(n))
		}
		var cancel context.CancelFunc // set per mode below; ops call the current one
		var started atomic.Int32
		for i := 0; i < n; i++ {
			keys[i] = graph.Key("s-" + strconv.Itoa(i))
			var deps []graph.Key
			h := uint64(i)*0x9e3779b97f4a7c15 + 1
			for j := 0; i > 0 && j < rng.IntN(4); j++ {
				d := rng.IntN(i)
				deps = append(deps, keys[d])
				h = h*31 + want[d]
			}
			want[i] = h
			nd := graph.Node{Key: keys[i], Kind: graph.Kind(rng.IntN(int(graph.NumKinds))), Deps: deps,
				Admission: rng.IntN(3) == 0, Order: rng.IntN(n)}
			if rng.IntN(5) == 0 {
				nd.Lane = "fake"
			}
			nd.Op = func(ctx context.Context, args []any) (any, error) {
				runs[i].Add(1)
				if started.Add(1) == cancelAt {
					cancel()
				}
				if i == failAt {
					return nil, errBoom
				}
				if i%17 == 0 {
					time.Sleep(50 * time.Microsecond)
				}
				h := uint64(i)*0x9e3779b97f4a7c15 + 1
				for _, a := range args {
					h = h*31 + a.(uint64)
				}
				return h, nil
			}
			if err := g.Add(nd); err != nil {
				t.Fatal(err)
			}
		}
		outs := []graph.Key{keys[n-1], keys[rng.IntN(n)], keys[rng.IntN(n)]}
		for _, m := range modes {
			for i := range runs {
				runs[i].Store(0)
			}
			started.Store(0)
			var ctx context.Context
			ctx, cancel = context.WithCancel(context.Background())
			opts := m.opts
			opts.Window = 1 + rng.IntN(4)
			opts.Lanes = []Lane{{Name: "fake", Slots: 1 + rng.IntN(2)}}
			out, err := Compute(ctx, g, outs, opts)
			cancel()
			for i := range runs {
				if r := runs[i].Load(); r > 1 {
					t.Fatalf("iter %d %s: node %d ran %d times", it, m.name, i, r)
				}
			}
			switch {
			case err == nil:
				for j, k := range outs {
					idx, _ := strconv.Atoi(string(k[2:]))
					if out[j] != want[idx] {
						t.Fatalf("iter %d %s: %s = %v, want %v", it, m.name, k, out[j], want[idx])
					}
				}
			case errors.Is(err, errBoom), errors.Is(err, context.Canceled):
			default:
				t.Fatalf("iter %d %s: unexpected error %v", it, m.name, err)
			}
		}
	}
}
