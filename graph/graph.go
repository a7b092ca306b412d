package graph

import (
	"context"
	"errors"
	"fmt"
)

// Key names a node. Keys read "name-token" (see [Token] and [UniqueKey]),
// but any non-empty string is accepted.
type Key string

// Name returns the part of k before its last '-', the readable name of a
// "name-token" key, or k itself when it has no '-'.
func (k Key) Name() string {
	for i := len(k) - 1; i >= 0; i-- {
		if k[i] == '-' {
			return string(k[:i])
		}
	}
	return string(k)
}

// Kind says what role a node plays in a UDF run. The scheduler runs ready
// nodes of every kind but KindTask first, so merges and finalisation free
// partial results before new partition tasks start.
type Kind uint8

// Node kinds.
const (
	KindTask       Kind = iota // a partition task (reads data, runs UDF processing)
	KindMerge                  // an ordered merge of one partial result into the running result
	KindMergeAll               // one merge of all partition results
	KindGetResults             // main-node post-processing of merged buffers
	KindFinalize               // ROI re-embedding and result assembly
	KindUser                   // any user function lifted into the graph (delayed.Call)
	NumKinds                   // number of kinds; not a kind
)

var kindNames = [NumKinds]string{"task", "merge", "merge_all", "get_results", "finalize", "user"}

// String returns the kind's name as used in DOT export and progress reports:
// task, merge, merge_all, get_results, finalize or user.
func (k Kind) String() string {
	if k < NumKinds {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Priority reports whether ready nodes of kind k run before ready KindTask
// nodes: true for every kind but KindTask.
func (k Kind) Priority() bool { return k != KindTask }

// Op computes a node's value. args holds the values of the node's
// dependencies in the order of [Node.Deps]; the op may keep args. ctx is
// cancelled when the run fails or its caller cancels it; long-running ops
// must watch it.
type Op func(ctx context.Context, args []any) (any, error)

// Node is one vertex of a [Graph].
type Node struct {
	// Key identifies the node; it must be non-empty and unique in its graph.
	Key Key
	// Label is a short human-readable description used in errors and DOT
	// export; it defaults to Key.Name().
	Label string
	// Kind is the node's role; it sets its scheduling priority.
	Kind Kind
	// Op computes the value. It must not be nil.
	Op Op
	// Deps are the keys whose values Op receives, in this order. A key may
	// repeat; it is then passed several times.
	Deps []Key
	// Lane, when non-empty, names the resource lane (for example "cuda:0")
	// whose workers alone may run this node.
	Lane string
	// Admission marks a partition task whose value counts as a live partial
	// result from the moment it starts until all its dependents have
	// finished. Only such nodes are gated by the scheduler's admission window,
	// and they start in increasing Order as far as readiness allows. Leave it
	// off when the partials cannot be consumed before all of them exist
	// (partials that all feed one merge_all node), or the window would
	// deadlock the run.
	Admission bool
	// Order is the start order among Admission nodes (the partition index).
	Order int
}

// label returns n.Label or its default.
func (n *Node) label() string {
	if n.Label != "" {
		return n.Label
	}
	return n.Key.Name()
}

// DisplayLabel returns n.Label, or Key.Name() when Label is empty.
func (n *Node) DisplayLabel() string { return n.label() }

// Errors returned when building or validating graphs. They are wrapped with
// the key concerned; test with errors.Is.
var (
	ErrEmptyKey     = errors.New("graph: empty node key")
	ErrNilOp        = errors.New("graph: node has no op")
	ErrDuplicateKey = errors.New("graph: duplicate node key")
	ErrUnknownKey   = errors.New("graph: unknown key")
	ErrBadKind      = errors.New("graph: invalid node kind")
)

// MissingDepError reports a node whose dependency is not in the graph.
type MissingDepError struct {
	Node Key // the node that names the dependency
	Dep  Key // the missing dependency
}

// Error implements the error interface.
func (e *MissingDepError) Error() string {
	return fmt.Sprintf("graph: node %q depends on %q, which is not in the graph", e.Node, e.Dep)
}

// Unwrap makes errors.Is(err, ErrUnknownKey) true.
func (e *MissingDepError) Unwrap() error { return ErrUnknownKey }

// CycleError reports a dependency cycle. Cycle lists the keys along it, each
// depending on the next, and the last depending on the first.
type CycleError struct {
	Cycle []Key
}

// Error implements the error interface.
func (e *CycleError) Error() string {
	s := "graph: dependency cycle: "
	for _, k := range e.Cycle {
		s += string(k) + " -> "
	}
	if len(e.Cycle) > 0 {
		s += string(e.Cycle[0])
	}
	return s
}

// Graph is a set of nodes indexed by key. The zero value is not usable; call
// [New]. A Graph is not safe for concurrent mutation; concurrent reads are
// fine.
type Graph struct {
	nodes []Node
	index map[Key]int32
	// Dependency indices resolved when a node is added (graphs are mostly
	// built dependencies first), so compiling needs no second key lookup:
	// node i's are dflat[dstart[i]:][:len(Deps)], or dstart[i] is -1 when
	// some dependency was not yet present and must be looked up by key.
	dstart []int32
	dflat  []int32
}

// New returns an empty graph.
func New() *Graph { return &Graph{index: make(map[Key]int32)} }

// NewWithCapacity returns an empty graph with room for n nodes.
func NewWithCapacity(n int) *Graph {
	return &Graph{
		nodes:  make([]Node, 0, n),
		index:  make(map[Key]int32, n),
		dstart: make([]int32, 0, n),
		dflat:  make([]int32, 0, 2*n),
	}
}

// push appends n, whose key must be new, and resolves its dependencies.
func (g *Graph) push(n *Node) {
	g.index[n.Key] = int32(len(g.nodes))
	g.nodes = append(g.nodes, *n)
	start := len(g.dflat)
	for _, dk := range n.Deps {
		d, ok := g.index[dk]
		if !ok {
			g.dflat = g.dflat[:start]
			g.dstart = append(g.dstart, -1)
			return
		}
		g.dflat = append(g.dflat, d)
	}
	g.dstart = append(g.dstart, int32(start))
}

// dep returns the index of dependency j of node id.
func (g *Graph) dep(id int32, j int) (int32, bool) {
	if s := g.dstart[id]; s >= 0 {
		return g.dflat[int(s)+j], true
	}
	d, ok := g.index[g.nodes[id].Deps[j]]
	return d, ok
}

func checkNode(n *Node) error {
	if n.Key == "" {
		return fmt.Errorf("%w (label %q)", ErrEmptyKey, n.Label)
	}
	if n.Op == nil {
		return fmt.Errorf("%w: node %q: Op must not be nil", ErrNilOp, n.Key)
	}
	if n.Kind >= NumKinds {
		return fmt.Errorf("%w: node %q: kind %d, want < %d", ErrBadKind, n.Key, n.Kind, NumKinds)
	}
	return nil
}

// Add adds n to the graph. It fails with ErrDuplicateKey when the key is
// already present, and with ErrEmptyKey, ErrNilOp or ErrBadKind for an
// invalid node. Dependencies need not exist yet. The graph keeps n.Deps;
// the caller must not modify it afterwards.
func (g *Graph) Add(n Node) error {
	if err := checkNode(&n); err != nil {
		return err
	}
	if _, ok := g.index[n.Key]; ok {
		return fmt.Errorf("%w: %q", ErrDuplicateKey, n.Key)
	}
	g.push(&n)
	return nil
}

// AddOrKeep adds n unless a node with its key is already present, in which
// case the existing node is kept (equal keys mean the same computation, as
// keys from [Token] promise) and added is false.
func (g *Graph) AddOrKeep(n Node) (added bool, err error) {
	if err := checkNode(&n); err != nil {
		return false, err
	}
	if _, ok := g.index[n.Key]; ok {
		return false, nil
	}
	g.push(&n)
	return true, nil
}

// Len returns the number of nodes.
func (g *Graph) Len() int { return len(g.nodes) }

// Has reports whether a node with key k is present.
func (g *Graph) Has(k Key) bool {
	_, ok := g.index[k]
	return ok
}

// Node returns the node with key k. The returned pointer is valid until the
// next Add; the caller must not modify it.
func (g *Graph) Node(k Key) (*Node, bool) {
	i, ok := g.index[k]
	if !ok {
		return nil, false
	}
	return &g.nodes[i], true
}

// Keys returns all keys in insertion order.
func (g *Graph) Keys() []Key {
	ks := make([]Key, len(g.nodes))
	for i := range g.nodes {
		ks[i] = g.nodes[i].Key
	}
	return ks
}

// Each calls fn for every node in insertion order until fn returns false.
// The caller must not modify the nodes.
func (g *Graph) Each(fn func(n *Node) bool) {
	for i := range g.nodes {
		if !fn(&g.nodes[i]) {
			return
		}
	}
}

// Dependents returns the keys of the nodes that depend on k, in insertion
// order, each once. It walks the whole graph.
func (g *Graph) Dependents(k Key) []Key {
	var out []Key
	for i := range g.nodes {
		for _, d := range g.nodes[i].Deps {
			if d == k {
				out = append(out, g.nodes[i].Key)
				break
			}
		}
	}
	return out
}

// Compose adds every node of the other graphs whose key g does not have yet.
// Shared keys denote the same computation, so the node already in g (or in
// the earliest graph that has the key) is kept.
func (g *Graph) Compose(others ...*Graph) {
	for _, o := range others {
		if o == nil || o == g {
			continue
		}
		for i := range o.nodes {
			n := &o.nodes[i]
			if _, ok := g.index[n.Key]; !ok {
				g.push(n)
			}
		}
	}
}

// Merge returns a new graph holding the nodes of all gs; shared keys appear
// once, taken from the first graph that has them.
func Merge(gs ...*Graph) *Graph {
	n := 0
	for _, o := range gs {
		if o != nil {
			n += len(o.nodes)
		}
	}
	g := NewWithCapacity(n)
	g.Compose(gs...)
	return g
}

// Clone returns a copy of g that can be extended without changing g.
func (g *Graph) Clone() *Graph { return Merge(g) }

// Validate checks that every dependency exists and that the graph has no
// cycle. It returns a *MissingDepError or a *CycleError.
func (g *Graph) Validate() error {
	_, err := g.TopoOrder()
	return err
}

// TopoOrder returns all keys in a topological order (dependencies first;
// among independent nodes, insertion order). It fails with a
// *MissingDepError or a *CycleError that names the cycle.
func (g *Graph) TopoOrder() ([]Key, error) {
	all := make([]int32, len(g.nodes))
	for i := range all {
		all[i] = int32(i)
	}
	order, err := g.postorder(all)
	if err != nil {
		return nil, err
	}
	ks := make([]Key, len(order))
	for i, o := range order {
		ks[i] = g.nodes[o].Key
	}
	return ks, nil
}

// Cull returns a new graph holding only the outputs and what they depend on,
// in topological order. It fails with ErrUnknownKey for an unknown output,
// a *MissingDepError or a *CycleError.
func (g *Graph) Cull(outputs ...Key) (*Graph, error) {
	roots, err := g.lookup(outputs)
	if err != nil {
		return nil, err
	}
	order, err := g.postorder(roots)
	if err != nil {
		return nil, err
	}
	c := NewWithCapacity(len(order))
	for _, o := range order {
		c.push(&g.nodes[o]) // postorder: dependencies resolve at once
	}
	return c, nil
}

func (g *Graph) lookup(keys []Key) ([]int32, error) {
	ids := make([]int32, len(keys))
	for i, k := range keys {
		id, ok := g.index[k]
		if !ok {
			return nil, fmt.Errorf("%w: requested output %q is not in the graph", ErrUnknownKey, k)
		}
		ids[i] = id
	}
	return ids, nil
}

const (
	white = iota // not visited
	grey         // on the DFS stack
	black        // finished
)

// postorder returns the nodes reachable from roots, dependencies first, by
// an iterative depth-first search that reports missing keys and cycles.
func (g *Graph) postorder(roots []int32) ([]int32, error) {
	color := make([]uint8, len(g.nodes))
	order := make([]int32, 0, len(g.nodes))
	type frame struct {
		id  int32
		dep int32 // next dependency index to visit
	}
	var stack []frame
	for _, r := range roots {
		if color[r] != white {
			continue
		}
		color[r] = grey
		stack = append(stack[:0], frame{id: r})
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			n := &g.nodes[top.id]
			if int(top.dep) == len(n.Deps) {
				color[top.id] = black
				order = append(order, top.id)
				stack = stack[:len(stack)-1]
				continue
			}
			d, ok := g.dep(top.id, int(top.dep))
			if !ok {
				return nil, &MissingDepError{Node: n.Key, Dep: n.Deps[top.dep]}
			}
			top.dep++
			switch color[d] {
			case white:
				color[d] = grey
				stack = append(stack, frame{id: d})
			case grey:
				// d is on the stack: the cycle runs from d to the top.
				var cyc []Key
				for i := range stack {
					if stack[i].id == d {
						for _, f := range stack[i:] {
							cyc = append(cyc, g.nodes[f.id].Key)
						}
						break
					}
				}
				return nil, &CycleError{Cycle: cyc}
			}
		}
	}
	return order, nil
}
