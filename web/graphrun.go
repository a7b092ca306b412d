package web

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stemflow/stemflow/graph"
	"github.com/stemflow/stemflow/sched"
)

// Node states of the graph view.
const (
	nodeWaiting int32 = iota
	nodeRunning
	nodeDone
	nodeFailed
	nodeCancelled // stopped by the run's cancellation (a newer run, or another node's failure)
)

// graphInterval is the least time between two state reports of a running graph:
// changes are coalesced into one event per interval.
const graphInterval = 100 * time.Millisecond

// graphNode is one node of the graph view.
type graphNode struct {
	Label string `json:"label"`
	Kind  string `json:"kind"`
	Deps  []int  `json:"deps"` // indices into the node list, all smaller
}

// graphEvent is the structure of a run's graph (Nodes set, sent once per run when
// the run starts) or the states of its nodes (States and Millis set).
type graphEvent struct {
	Run    int         `json:"run"`
	Kind   string      `json:"kind"`
	Nodes  []graphNode `json:"nodes,omitempty"`
	States []int32     `json:"states,omitempty"`
	Millis []float64   `json:"ms,omitempty"` // per node: run time, or time so far while running
	State  string      `json:"state"`
	Error  string      `json:"error,omitempty"`
}

// liveGraph is the sched.Observer of a session's detector run: the scheduler tells
// it the compiled graph and each node's start and end, it keeps every node's state
// and timing in atomics, and a reporter posts them to the page every
// graphInterval while something changed, and once at the end.
type liveGraph struct {
	sess *session
	run  int
	kind string
	t0   time.Time

	mu      sync.Mutex // guards the slices' installation (RunStarted)
	states  []atomic.Int32
	started []atomic.Int64 // ns after t0, while running or after
	took    []atomic.Int64 // ns the op ran, once finished
	changed atomic.Bool
}

var _ sched.Observer = (*liveGraph)(nil)

func newLiveGraph(sess *session, run int, kind string) *liveGraph {
	return &liveGraph{sess: sess, run: run, kind: kind, t0: time.Now()}
}

// RunStarted posts the graph's structure.
func (g *liveGraph) RunStarted(p *graph.Plan) {
	n := len(p.Nodes)
	g.mu.Lock()
	g.states = make([]atomic.Int32, n)
	g.started = make([]atomic.Int64, n)
	g.took = make([]atomic.Int64, n)
	g.mu.Unlock()
	ev := graphEvent{Run: g.run, Kind: g.kind, State: "started", Nodes: make([]graphNode, n)}
	for i, nd := range p.Nodes {
		deps := p.NodeDeps(int32(i))
		gn := graphNode{Label: nd.DisplayLabel(), Kind: nd.Kind.String(), Deps: make([]int, len(deps))}
		for k, d := range deps {
			gn.Deps[k] = int(d)
		}
		ev.Nodes[i] = gn
	}
	// A key of its own: the mailbox keeps only the latest event per key, and the
	// structure must not be replaced by a later state report.
	g.sess.postJSON("graphplan", "graph", ev)
	g.changed.Store(true)
}

// NodeStarted marks node i running.
func (g *liveGraph) NodeStarted(i int32, _ sched.WorkerInfo) {
	g.started[i].Store(int64(time.Since(g.t0)))
	g.states[i].Store(nodeRunning)
	g.changed.Store(true)
}

// NodeFinished marks node i done or failed.
func (g *liveGraph) NodeFinished(i int32, d time.Duration, err error) {
	g.took[i].Store(int64(d))
	switch {
	case err == nil:
		g.states[i].Store(nodeDone)
	case errors.Is(err, context.Canceled):
		g.states[i].Store(nodeCancelled)
	default:
		g.states[i].Store(nodeFailed)
	}
	g.changed.Store(true)
}

// report posts the node states if they changed since the last report (always with
// a final state), and returns whether it posted.
func (g *liveGraph) report(state, errText string) bool {
	final := state != "started"
	if !g.changed.Swap(false) && !final {
		return false
	}
	g.mu.Lock()
	states, started, took := g.states, g.started, g.took
	g.mu.Unlock()
	ev := graphEvent{Run: g.run, Kind: g.kind, State: state, Error: errText,
		States: make([]int32, len(states)), Millis: make([]float64, len(states))}
	now := int64(time.Since(g.t0))
	for i := range states {
		st := states[i].Load()
		ev.States[i] = st
		switch st {
		case nodeRunning:
			ev.Millis[i] = ms(time.Duration(now - started[i].Load()))
		case nodeDone, nodeFailed, nodeCancelled:
			ev.Millis[i] = ms(time.Duration(took[i].Load()))
		}
	}
	g.sess.postJSON("graph", "graph", ev)
	return true
}

// reportEvery posts changed states every graphInterval until stop is closed.
func (g *liveGraph) reportEvery(stop <-chan struct{}) {
	t := time.NewTicker(graphInterval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			g.report("started", "")
		}
	}
}
