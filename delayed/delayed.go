package delayed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"weak"

	"github.com/stemflow/stemflow/graph"
	"github.com/stemflow/stemflow/sched"
)

// Delayed is a lazy value of type T: a node of a task graph whose value is
// computed by [Compute]. The zero Delayed is invalid. Delayed values are
// immutable and safe to share between goroutines.
type Delayed[T any] struct {
	n *node
}

// Handle is any Delayed value, whatever its type; [Compute], [Persist],
// [Graph] and [WriteDOT] take handles of mixed types.
type Handle interface {
	// Key returns the handle's graph key.
	Key() graph.Key
	delayedNode() *node
}

// node is one lazy computation, or a reference to a node of a package-built
// graph (g != nil).
type node struct {
	key   graph.Key
	label string
	kind  graph.Kind
	lane  string
	op    graph.Op
	args  []*node
	size  int32               // estimated node count of the subgraph (shared parts counted again), saturating
	g     *graph.Graph        // FromNode: the graph defining key
	val   atomic.Pointer[any] // set for Value and persisted nodes
}

func (d Delayed[T]) delayedNode() *node { return d.n }

// Key returns the graph key of d ("" for the zero Delayed).
func (d Delayed[T]) Key() graph.Key {
	if d.n == nil {
		return ""
	}
	return d.n.key
}

// Persisted reports whether d holds a value that Compute reuses instead of
// recomputing: a [Value], or a handle passed to [Persist].
func (d Delayed[T]) Persisted() bool { return d.n != nil && d.n.val.Load() != nil }

// Errors of this package.
var (
	// ErrNilHandle: a zero Delayed was passed where a lazy value is needed.
	ErrNilHandle = errors.New("delayed: zero (nil) Delayed handle")
	// ErrNotComputed: Get was asked for a handle the Results do not hold.
	ErrNotComputed = errors.New("delayed: handle not among the computed results")
)

// TypeError reports a value whose dynamic type is not the handle's type
// parameter: a FromNode handle with the wrong T, or an argument of the wrong
// type reaching a lifted function.
type TypeError struct {
	Key  graph.Key // the node whose value has the wrong type
	Want string    // the expected Go type
	Got  string    // the value's dynamic type
}

// Error implements the error interface.
func (e *TypeError) Error() string {
	return fmt.Sprintf("delayed: value of node %s has type %s, want %s", e.Key, e.Got, e.Want)
}

// as converts v, the value of node key, to T. A nil value yields T's zero
// value.
func as[T any](v any, key graph.Key) (T, error) {
	if t, ok := v.(T); ok {
		return t, nil
	}
	var zero T
	if v == nil {
		return zero, nil
	}
	return zero, &TypeError{Key: key, Want: reflect.TypeFor[T]().String(), Got: reflect.TypeOf(v).String()}
}

// Option adjusts a node made by Call*, Apply or Value.
type Option func(*spec)

type spec struct {
	name     string
	label    string
	kind     graph.Kind
	lane     string
	key      graph.Key
	pure     bool
	identity []string
}

// Name sets the node's name: the readable part of its key and its default
// label. Call* default to the lifted function's name.
func Name(name string) Option { return func(s *spec) { s.name = name } }

// Label sets the label shown in errors and DOT export.
func Label(label string) Option { return func(s *spec) { s.label = label } }

// Kind sets the node's kind (default graph.KindUser).
func Kind(k graph.Kind) Option { return func(s *spec) { s.kind = k } }

// Lane makes the node run only on the workers of the named resource lane
// (see sched.Lane).
func Lane(lane string) Option { return func(s *spec) { s.lane = lane } }

// Key gives the node an explicit key. Nodes with equal keys are one
// computation: building a keyed node twice yields one node in the graph.
func Key(k graph.Key) Option { return func(s *spec) { s.key = k } }

// Pure gives the node a deterministic identity: its key becomes
// graph.Token(name, argument keys, identity...), so lifting the same named
// function over the same arguments twice yields one node, computed once.
// The caller vouches that the function is deterministic and that identity
// distinguishes whatever else changes its result. Without Pure (or Key)
// every call makes a new node, like dask's pure=False.
func Pure(identity ...string) Option {
	return func(s *spec) { s.pure = true; s.identity = append(s.identity, identity...) }
}

var funcNames sync.Map // uintptr -> string

// funcName returns a short name for f: "add" for pkg.add, "T.M" for a
// method, "F.func1" for a closure.
func funcName(f any) string {
	pc := reflect.ValueOf(f).Pointer()
	if s, ok := funcNames.Load(pc); ok {
		return s.(string)
	}
	name := "call"
	if fn := runtime.FuncForPC(pc); fn != nil {
		name = fn.Name()
		if i := strings.LastIndexByte(name, '/'); i >= 0 {
			name = name[i+1:]
		}
		if i := strings.IndexByte(name, '.'); i >= 0 {
			name = name[i+1:]
		}
		name = strings.TrimSuffix(name, "-fm")
	}
	funcNames.Store(pc, name)
	return name
}

func newNode(defName string, op graph.Op, args []*node, opts []Option) *node {
	s := spec{kind: graph.KindUser}
	for _, o := range opts {
		o(&s)
	}
	if s.name == "" {
		s.name = defName
	}
	n := &node{label: s.label, kind: s.kind, lane: s.lane, op: op, args: args, size: 1}
	for _, a := range args {
		if a != nil {
			n.size = min(n.size+a.size, maxSizeEstimate)
		}
	}
	if n.label == "" {
		n.label = s.name
	}
	switch {
	case s.key != "":
		n.key = s.key
	case s.pure:
		deps := make([]graph.Key, len(args))
		for i, a := range args {
			if a != nil {
				deps[i] = a.key
			}
		}
		n.key = graph.Token(s.name, deps, s.identity...)
	default:
		n.key = graph.UniqueKey(s.name)
		return n
	}
	if op == nil {
		return n // Value: a constant already
	}
	return intern(n)
}

// interned maps the key of every live keyed or pure node (and FromNode handle) to
// that node, held weakly, so that handles built separately for one key share one
// node: persisting one persists them all, and what a Compute reuses does not depend
// on the order of the handles.
var interned sync.Map // graph.Key -> weak.Pointer[node]

// intern returns the live node with n's key, or registers n.
func intern(n *node) *node {
	wp := weak.Make(n)
	for {
		v, loaded := interned.LoadOrStore(n.key, wp)
		if !loaded {
			runtime.AddCleanup(n, func(k graph.Key) { interned.CompareAndDelete(k, wp) }, n.key)
			return n
		}
		if old := v.(weak.Pointer[node]).Value(); old != nil {
			return old
		}
		interned.CompareAndDelete(n.key, v) // collected; its cleanup has not run yet
	}
}

// Value wraps a plain value as a lazy one, so it can be passed where a
// Delayed is expected. Without options its key is unique; with Key or
// Pure(identity...) the caller names it.
func Value[T any](v T, opts ...Option) Delayed[T] {
	n := newNode("value", nil, nil, opts)
	var a any = v
	n.val.Store(&a)
	return Delayed[T]{n: n}
}

// FromNode returns a handle on the node with the given key in g, a graph
// built by package code (the UDF run compiler). Computing the handle, alone
// or with others, composes g with the other handles' graphs; nodes of g
// that the requested handles do not need are culled. g must not be modified
// afterwards. A key missing from g is reported by Compute. Keys are global
// across everything computed together: graphs built for different runs must
// not reuse keys for different computations (use graph.UniqueKey, or
// graph.Token over a run identity).
func FromNode[T any](g *graph.Graph, key graph.Key) Delayed[T] {
	n := &node{key: key, g: g}
	if nd, ok := g.Node(key); ok {
		n.label, n.kind, n.lane = nd.DisplayLabel(), nd.Kind, nd.Lane
	}
	return Delayed[T]{n: intern(n)}
}

// Handles converts typed handles to the untyped list Compute and Persist take:
// delayed.Persist(ctx, delayed.Handles(run.Results...)...).
func Handles[T any](ds ...Delayed[T]) []Handle {
	out := make([]Handle, len(ds))
	for i, d := range ds {
		out[i] = d
	}
	return out
}

// Apply lifts an untyped op over handles of any types: op receives the
// handles' values in order, and the context of the run. It is the general
// form behind Call*, for functions that need the context or take mixed
// argument types.
func Apply[R any](op graph.Op, args []Handle, opts ...Option) Delayed[R] {
	ns := make([]*node, len(args))
	for i, a := range args {
		if a != nil {
			ns[i] = a.delayedNode()
		}
	}
	return Delayed[R]{n: newNode("apply", op, ns, opts)}
}

// Results holds the values of one Compute, by key.
type Results struct {
	vals map[graph.Key]any
}

// Len returns the number of distinct keys computed.
func (r *Results) Len() int { return len(r.vals) }

// Value returns h's value, untyped, and whether r holds it.
func (r *Results) Value(h Handle) (any, bool) {
	if h == nil || h.delayedNode() == nil {
		return nil, false
	}
	v, ok := r.vals[h.Key()]
	return v, ok
}

// Get returns d's value from r. It fails with ErrNotComputed when d was not
// among the computed handles and with a *TypeError when the value is not a
// T.
func (d Delayed[T]) Get(r *Results) (T, error) {
	var zero T
	if d.n == nil {
		return zero, ErrNilHandle
	}
	v, ok := r.vals[d.n.key]
	if !ok {
		return zero, fmt.Errorf("%w: %s", ErrNotComputed, d.n.key)
	}
	return as[T](v, d.n.key)
}

// Compute evaluates d alone with default options; see [Compute].
func (d Delayed[T]) Compute(ctx context.Context) (T, error) {
	return d.ComputeWith(ctx, sched.Options{})
}

// ComputeWith evaluates d alone with the given scheduler options.
func (d Delayed[T]) ComputeWith(ctx context.Context, opts sched.Options) (T, error) {
	var zero T
	r, err := ComputeWith(ctx, opts, d)
	if err != nil {
		return zero, err
	}
	return d.Get(r)
}

// Compute evaluates all the handles in one run of the scheduler with
// default options (sched.Options{}: GOMAXPROCS workers): nodes shared
// between them run once. Values of nodes nobody needs any more are dropped
// during the run.
//
// Nothing is cached between calls: computing a handle again recomputes it
// and everything it depends on, as in dask, unless it was persisted
// ([Persist]) — compute everything you need from one pipeline in one call.
func Compute(ctx context.Context, hs ...Handle) (*Results, error) {
	return ComputeWith(ctx, sched.Options{}, hs...)
}

// ComputeWith is Compute with explicit scheduler options (workers, inline
// mode, admission window, lanes, progress).
func ComputeWith(ctx context.Context, opts sched.Options, hs ...Handle) (*Results, error) {
	g, keys, err := build(hs)
	if err != nil {
		return nil, err
	}
	vals, err := sched.Compute(ctx, g, keys, opts)
	if err != nil {
		return nil, err
	}
	r := &Results{vals: make(map[graph.Key]any, len(keys))}
	for i, k := range keys {
		r.vals[k] = vals[i]
	}
	return r, nil
}

// Persist computes the handles in one run and keeps their values with their
// graph keys: later Computes of these handles, of any other handle with the
// same key (a keyed or Pure node built again, FromNode on the same key), or of
// anything built on them reuse the values instead of recomputing, in whatever
// order the handles are passed. Persisting an already persisted handle costs
// nothing. A persisted value lives as long as some handle with its key.
func Persist(ctx context.Context, hs ...Handle) error {
	return PersistWith(ctx, sched.Options{}, hs...)
}

// PersistWith is Persist with explicit scheduler options.
func PersistWith(ctx context.Context, opts sched.Options, hs ...Handle) error {
	var todo []Handle
	for _, h := range hs {
		if h == nil || h.delayedNode() == nil {
			return ErrNilHandle
		}
		if h.delayedNode().val.Load() == nil {
			todo = append(todo, h)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	r, err := ComputeWith(ctx, opts, todo...)
	if err != nil {
		return err
	}
	for _, h := range todo {
		n := h.delayedNode()
		v := r.vals[n.key]
		n.val.Store(&v)
	}
	return nil
}

// Graph returns the task graph of the handles: every node they need, with
// package-built graphs composed in, culled to what the handles need.
// Persisted handles appear as constant nodes.
func Graph(hs ...Handle) (*graph.Graph, error) {
	g, keys, err := build(hs)
	if err != nil {
		return nil, err
	}
	return g.Cull(keys...)
}

// WriteDOT writes the handles' task graph (see [Graph]) in Graphviz DOT.
func WriteDOT(w io.Writer, hs ...Handle) error {
	g, err := Graph(hs...)
	if err != nil {
		return err
	}
	return g.WriteDOT(w)
}

// maxSizeEstimate caps the graph capacity build reserves from node size
// estimates, which count shared subgraphs once per use and so can grow
// exponentially for chains of diamonds.
const maxSizeEstimate = 1 << 13

func constOp(v any) graph.Op {
	return func(context.Context, []any) (any, error) { return v, nil }
}

// build assembles one graph from the handles: lifted nodes first (persisted
// ones as constants), then package-built graphs composed in, so a persisted
// value shadows the node of the same key in those graphs.
func build(hs []Handle) (*graph.Graph, []graph.Key, error) {
	est := int32(0)
	for _, h := range hs {
		if h != nil && h.delayedNode() != nil {
			est = min(est+h.delayedNode().size, maxSizeEstimate)
		}
	}
	g := graph.NewWithCapacity(int(est))
	keys := make([]graph.Key, len(hs))
	var graphs []*graph.Graph
	seenGraph := map[*graph.Graph]bool{}
	var stack []*node
	for i, h := range hs {
		if h == nil || h.delayedNode() == nil {
			return nil, nil, fmt.Errorf("%w (handle %d of %d)", ErrNilHandle, i, len(hs))
		}
		keys[i] = h.delayedNode().key
		stack = append(stack, h.delayedNode())
	}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if g.Has(n.key) {
			continue
		}
		if v := n.val.Load(); v != nil {
			if err := g.Add(graph.Node{Key: n.key, Label: n.label, Kind: n.kind, Op: constOp(*v)}); err != nil {
				return nil, nil, err
			}
			continue
		}
		if n.g != nil {
			if !seenGraph[n.g] {
				seenGraph[n.g] = true
				graphs = append(graphs, n.g)
			}
			continue
		}
		deps := make([]graph.Key, len(n.args))
		for i, a := range n.args {
			if a == nil {
				return nil, nil, fmt.Errorf("%w: argument %d of node %s", ErrNilHandle, i, n.key)
			}
			deps[i] = a.key
			stack = append(stack, a)
		}
		if err := g.Add(graph.Node{Key: n.key, Label: n.label, Kind: n.kind, Lane: n.lane, Op: n.op, Deps: deps}); err != nil {
			return nil, nil, err
		}
	}
	if g.Len() == 0 && len(graphs) == 1 {
		// Only handles on one package-built graph: use it as it is.
		return graphs[0], keys, nil
	}
	g.Compose(graphs...)
	return g, keys, nil
}
