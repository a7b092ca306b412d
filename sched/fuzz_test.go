package sched

import (
	"context"
	"errors"
	"strconv"
	"testing"

	"github.com/stemflow/stemflow/graph"
)

// FuzzSchedule decodes a DAG, its node kinds, admission flags and orders,
// lanes and a window from the input, runs it inline and with 3 workers,
// and checks both against values computed by a direct loop. Inputs that
// decode to a cycle must be rejected by Compile.
func FuzzSchedule(f *testing.F) {
	f.Add([]byte{3, 0, 1, 1, 2, 2, 0, 5, 9})
	f.Add([]byte{1, 7, 7, 7, 0, 0, 3, 3, 4, 4, 1, 2, 3, 4, 5, 6})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 200 {
			data = data[:200]
		}
		const n = 16
		window := 1
		if len(data) > 0 {
			window = 1 + int(data[0]%4)
			data = data[1:]
		}
		deps := make([][]int, n)
		nodes := make([]graph.Node, n)
		for i := range nodes {
			nodes[i].Key = graph.Key("f" + strconv.Itoa(i))
		}
		for i := 0; i+2 < len(data); i += 3 {
			to, from, attr := int(data[i])%n, int(data[i+1])%n, data[i+2]
			if to > from { // edges point backwards only, so most inputs are acyclic...
				deps[to] = append(deps[to], from)
			} else if attr&0x80 != 0 { // ...but some are not
				deps[to] = append(deps[to], from)
			}
			nd := &nodes[to]
			nd.Kind = graph.Kind(attr % uint8(graph.NumKinds))
			nd.Admission = attr&0x08 != 0
			nd.Order = int(attr>>4) & 7
			if attr&0x40 != 0 {
				nd.Lane = "fake"
			} else {
				nd.Lane = ""
			}
		}
		g := graph.New()
		for i := range nodes {
			for _, d := range deps[i] {
				nodes[i].Deps = append(nodes[i].Deps, nodes[d].Key)
			}
			nodes[i].Op = func(_ context.Context, args []any) (any, error) {
				h := uint64(i) + 1
				for _, a := range args {
					h = h*1000003 ^ a.(uint64)
				}
				return h, nil
			}
			if err := g.Add(nodes[i]); err != nil {
				t.Fatal(err)
			}
		}
		outs := g.Keys()
		p, err := g.Compile(outs...)
		var ce *graph.CycleError
		if errors.As(err, &ce) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		// Direct evaluation, memoised, in plan order (dependencies first).
		want := map[graph.Key]uint64{}
		for _, nd := range p.Nodes {
			var idx int
			idx, _ = strconv.Atoi(string(nd.Key[1:]))
			h := uint64(idx) + 1
			for _, d := range nd.Deps {
				h = h*1000003 ^ want[d]
			}
			want[nd.Key] = h
		}
		for _, opts := range []Options{{Inline: true}, {Workers: 3}} {
			opts.Window = window
			opts.Lanes = []Lane{{Name: "fake", Slots: 2}}
			got, err := Run(context.Background(), p, opts)
			if err != nil {
				t.Fatalf("inline=%v: %v", opts.Inline, err)
			}
			for i, k := range outs {
				if got[i] != want[k] {
					t.Fatalf("inline=%v: %s = %v, want %v", opts.Inline, k, got[i], want[k])
				}
			}
		}
	})
}
