package web

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/graph"
	"github.com/stemflow/stemflow/sched"
	"github.com/stemflow/stemflow/udf"
)

// Node states of the graph view.
const (
	nodeWaiting int32 = iota
	nodeRunning
	nodeDone
	nodeFailed
)

// graphInterval is the time between two state reports of a graph run.
const graphInterval = 100 * time.Millisecond

// graphNode is one node of the graph view.
type graphNode struct {
	Label string `json:"label"`
	Kind  string `json:"kind"`
	Deps  []int  `json:"deps"` // indices into the node list
}

// graphEvent is the graph of a run (Nodes, sent once per run) or its node states.
type graphEvent struct {
	Run    int         `json:"run"`
	Kind   string      `json:"kind"`
	Nodes  []graphNode `json:"nodes,omitempty"`
	States []int32     `json:"states"`
	Millis []float64   `json:"ms"` // per node: run time, or time so far while running
	State  string      `json:"state"`
	Error  string      `json:"error,omitempty"`
}

// runGraph compiles the analysis with udf.RunLazy and computes its graph with
// every node's op wrapped to record its state and duration, posting the states
// every graphInterval and at the end. udf.RunIter has no per-node hook, so the graph
// view computes the detector's compiled graph once more, instrumented.
func (s *session) runGraph(ctx context.Context, ds dataset.Dataset, id int, a Analysis) {
	ev := graphEvent{Run: id, Kind: a.Kind, State: "started"}
	fail := func(err error) {
		ev.State, ev.Error = "failed", err.Error()
		s.postJSON("graph", "graph", ev)
	}
	u, roi, err := a.build(ds.Shape().Nav())
	if err != nil {
		fail(err)
		return
	}
	opts := udf.Options{Workers: s.srv.cfg.Workers, NumPartitions: s.srv.partitions(ds)}
	if roi != nil {
		opts.ROI = roi
	}
	lazy, err := udf.RunLazy(ds, []udf.UDF{u}, opts)
	if err != nil {
		fail(err)
		return
	}
	g := lazy.Graph()
	order, err := g.TopoOrder()
	if err != nil {
		fail(err)
		return
	}
	index := make(map[graph.Key]int, len(order))
	for i, k := range order {
		index[k] = i
	}
	n := len(order)
	states := make([]atomic.Int32, n)
	starts := make([]atomic.Int64, n) // unix nanoseconds
	ends := make([]atomic.Int64, n)
	inst := graph.NewWithCapacity(n)
	ev.Nodes = make([]graphNode, n)
	for i, k := range order {
		node, _ := g.Node(k)
		c := *node
		c.Deps = append([]graph.Key(nil), node.Deps...)
		op := node.Op
		c.Op = func(ctx context.Context, args []any) (any, error) {
			starts[i].Store(time.Now().UnixNano())
			states[i].Store(nodeRunning)
			v, err := op(ctx, args)
			ends[i].Store(time.Now().UnixNano())
			if err != nil {
				states[i].Store(nodeFailed)
			} else {
				states[i].Store(nodeDone)
			}
			return v, err
		}
		if err := inst.Add(c); err != nil {
			fail(err)
			return
		}
		gn := graphNode{Label: node.DisplayLabel(), Kind: node.Kind.String(), Deps: []int{}}
		for _, d := range node.Deps {
			gn.Deps = append(gn.Deps, index[d])
		}
		ev.Nodes[i] = gn
	}
	outputs := make([]graph.Key, len(lazy.Results))
	for i, r := range lazy.Results {
		outputs[i] = r.Key()
	}
	report := func() {
		now := time.Now().UnixNano()
		ev.States = make([]int32, n)
		ev.Millis = make([]float64, n)
		for i := range states {
			ev.States[i] = states[i].Load()
			if st := starts[i].Load(); st != 0 {
				end := ends[i].Load()
				if end == 0 {
					end = now
				}
				ev.Millis[i] = ms(time.Duration(end - st))
			}
		}
		s.postJSON("graph", "graph", ev)
		ev.Nodes = nil // the structure goes once
	}
	report()
	stop := make(chan struct{})
	ticked := make(chan struct{})
	go func() {
		defer close(ticked)
		t := time.NewTicker(graphInterval)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				report()
			}
		}
	}()
	_, err = sched.Compute(ctx, inst, outputs, sched.Options{Workers: s.srv.cfg.Workers})
	close(stop)
	<-ticked
	switch {
	case ctx.Err() != nil:
		ev.State = "cancelled"
	case err != nil:
		ev.State, ev.Error = "failed", fmt.Sprint(err)
	default:
		ev.State = "done"
	}
	report()
}
