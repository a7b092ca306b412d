package sched

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stemflow/stemflow/graph"
)

// Options configures one run. The zero value runs with GOMAXPROCS workers, a
// window of twice the worker count, no lanes and no progress reports.
type Options struct {
	// Workers is the number of general worker goroutines; <= 0 means
	// runtime.GOMAXPROCS(0).
	Workers int
	// Inline runs every node on the calling goroutine, one at a time, in a
	// deterministic order, with the same priorities, admission window and
	// failure semantics. Lane nodes run inline too (their slot limits hold
	// trivially, and Worker reports general worker 0); their lanes must
	// still be configured.
	Inline bool
	// Window bounds the number of live partial results: nodes flagged
	// graph.Node.Admission that have started and whose dependents have not
	// all finished. <= 0 means 2 × the number of worker goroutines (general
	// workers plus lane slots; 2 in inline mode).
	Window int
	// Lanes configures the resource lanes that nodes may require
	// (graph.Node.Lane). A node naming a lane not listed here fails the run
	// with ErrUnknownLane before anything starts.
	Lanes []Lane
	// Progress, when set, is called with a snapshot of the run's progress
	// every ProgressInterval, and once more when the run ends. It is called
	// from one goroutine at a time, never concurrently with itself, and must
	// return quickly. Counting costs one atomic add per node.
	Progress func(Progress)
	// ProgressInterval is the time between Progress calls; <= 0 means
	// 100 ms.
	ProgressInterval time.Duration
	// Pool, when set, is a pool of worker slots this run shares with every
	// other run given the same pool: each general worker (and the calling
	// goroutine in Inline mode) holds one of its slots while running a node,
	// so the runs together never run more than Pool.Size() ops at once and
	// take turns first come, first served. Workers <= 0 then means
	// Pool.Size(). Lane workers take no slots. See Pool.
	Pool *Pool
	// Observer, when set, is told the run's plan and every node's start and
	// end, with timings (see Observer).
	Observer Observer
}

// Lane is a resource lane: a set of dedicated worker goroutines, one per
// slot, that alone run the nodes requiring the lane. At most Slots such
// nodes run at once (for example the streams of one GPU).
type Lane struct {
	// Name is the value of graph.Node.Lane that selects this lane, for
	// example "cuda:0".
	Name string
	// Slots is the number of lane workers; <= 0 means 1.
	Slots int
	// LockOSThread pins each lane worker to its own OS thread for the
	// whole run (what a CUDA context wants).
	LockOSThread bool
	// Hybrid lets the lane's workers also run nodes of the general workers
	// when the lane has none of its own: a GPU's streams then take partition
	// tasks from the same graph as the CPU workers (an op learns where it
	// runs from Worker and takes its device path there). Lane-only nodes
	// still run only on the lane.
	Hybrid bool
}

// Progress is a snapshot of a run's progress.
type Progress struct {
	// Done counts the nodes finished so far, Total the nodes in the run.
	Done, Total int
	// Kinds holds the same counts per node kind, indexed by graph.Kind.
	Kinds [graph.NumKinds]KindProgress
}

// KindProgress counts the finished and total nodes of one kind.
type KindProgress struct {
	Done, Total int
}

// WorkerInfo describes the worker goroutine running a node; ops read it
// with [Worker].
type WorkerInfo struct {
	// ID numbers the run's workers from 0 (general workers first, then lane
	// workers).
	ID int
	// Lane is the lane name, empty for general workers.
	Lane string
	// Slot is the lane slot (stream) index, 0 for general workers.
	Slot int
}

type workerKey struct{}

// Worker returns the description of the worker running the op that
// received ctx, and false when ctx does not come from a scheduler worker.
func Worker(ctx context.Context) (WorkerInfo, bool) {
	wi, ok := ctx.Value(workerKey{}).(*WorkerInfo)
	if !ok {
		return WorkerInfo{}, false
	}
	return *wi, true
}

// Errors of a run.
var (
	// ErrUnknownLane: a node requires a lane that Options.Lanes lacks.
	ErrUnknownLane = errors.New("sched: node requires an unconfigured lane")
	// ErrBadPlan: a Plan not made by graph.Graph.Compile is inconsistent.
	ErrBadPlan = errors.New("sched: inconsistent plan")
	// ErrGoexit: an op called runtime.Goexit. In inline mode that ends
	// the calling goroutine, as any function calling Goexit would.
	ErrGoexit = errors.New("sched: op called runtime.Goexit")
	// ErrStalled: no node can run although some are unfinished. Compiled
	// plans never stall (Compile rejects cycles); a hand-made Plan with a
	// cycle does.
	ErrStalled = errors.New("sched: run stalled")
)

// NodeError reports the failure of one node: its op returned an error or
// panicked. Err is the op's error or a *PanicError.
type NodeError struct {
	Key   graph.Key  // the failed node's key
	Label string     // its label, as shown in DOT export
	Kind  graph.Kind // its kind
	Err   error      // the op's error or a *PanicError
}

// Error implements the error interface.
func (e *NodeError) Error() string {
	return fmt.Sprintf("sched: node %s (%q, %s): %v", e.Key, e.Label, e.Kind, e.Err)
}

// Unwrap returns the op's error.
func (e *NodeError) Unwrap() error { return e.Err }

// PanicError is the error of an op that panicked.
type PanicError struct {
	Value any    // the value passed to panic
	Stack []byte // the panicking goroutine's stack
}

// Error implements the error interface.
func (e *PanicError) Error() string {
	return fmt.Sprintf("panic: %v\n%s", e.Value, e.Stack)
}

// Unwrap returns the panic value when it is an error.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// Compute compiles g for the given outputs (culling everything else) and
// runs it; see [Run].
func Compute(ctx context.Context, g *graph.Graph, outputs []graph.Key, opts Options) ([]any, error) {
	p, err := g.Compile(outputs...)
	if err != nil {
		return nil, err
	}
	return Run(ctx, p, opts)
}

// Run executes plan p and returns the values of p.Outputs, in order.
//
// Each node runs once, after all its dependencies. The value of a node that
// is not an output is dropped as soon as its last dependent has finished.
// The first op error or panic stops the run: no further node starts, the
// context the running ops received is cancelled, and Run returns a
// *NodeError naming the node once every running op has returned. When ctx
// is cancelled, no node starts after the cancellation is observed and Run
// returns ctx.Err() once the running ops have returned; ops should watch
// their ctx to make that prompt. Run starts its goroutines afresh and leaves
// none behind.
func Run(ctx context.Context, p *graph.Plan, opts Options) ([]any, error) {
	r, err := newRun(ctx, p, &opts)
	if err != nil {
		return nil, err
	}
	return r.execute()
}

// run is the state of one execution.
type run struct {
	p      *graph.Plan
	caller context.Context
	done   <-chan struct{} // caller's Done
	ctx    context.Context // given to ops; cancelled on failure
	cancel context.CancelCauseFunc

	ns []nodeState // per plan node

	remaining atomic.Int64 // unfinished nodes
	stopped   atomic.Bool
	errMu     sync.Mutex
	err       error

	groups   []*group
	workers  []*worker
	nworkers int32
	parked   atomic.Int32
	forceMu  sync.Mutex

	window int32
	live   atomic.Int32

	pool *Pool
	obs  Observer

	inline     bool
	progress   bool
	onProgress func(Progress)
	interval   time.Duration
	totals     [graph.NumKinds]int
}

// nodeState is the run-time state of one plan node, kept together so that
// a run makes one allocation for all of it and a node's fields share a
// cache line.
type nodeState struct {
	val   any          // the value, until released
	indeg atomic.Int32 // unfinished dependencies
	refs  atomic.Int32 // unfinished dependents
	keep  bool         // a requested output: never released
	group uint8        // index into run.groups
}

// group is the general workers or one lane's workers.
type group struct {
	name    string
	workers []*worker
	inj     [2]deque // cross-group pushes: [0] priority, [1] tasks
	gate    gate
	idle    atomic.Int32
	lock    bool
	hybrid  bool      // a lane whose workers help the general group
	helpers []*worker // general group: the hybrid lanes' workers
}

type worker struct {
	r    *run
	g    *group
	info WorkerInfo
	ctx  context.Context
	dq   [2]deque // [0] priority kinds, [1] KindTask
	idle atomic.Bool
	wake chan struct{}
	done [graph.NumKinds]atomic.Int64
	slot poolWaiter // its place in Options.Pool's queue (general workers)
	_    [64]byte
}

// checkPlan validates the shape of p, so that a hand-made plan yields an
// error rather than an index panic inside a worker. Compiled plans pass.
func checkPlan(p *graph.Plan) error {
	n := int32(len(p.Nodes))
	if len(p.DepStart) != int(n)+1 || len(p.SuccStart) != int(n)+1 ||
		p.DepStart[0] != 0 || p.SuccStart[0] != 0 ||
		int(p.DepStart[n]) != len(p.Deps) || int(p.SuccStart[n]) != len(p.Succs) || len(p.Deps) != len(p.Succs) {
		return fmt.Errorf("%w: %d nodes, len(DepStart)=%d, len(SuccStart)=%d, %d deps, %d succs",
			ErrBadPlan, n, len(p.DepStart), len(p.SuccStart), len(p.Deps), len(p.Succs))
	}
	for i := int32(0); i < n; i++ {
		nd := p.Nodes[i]
		if nd == nil || nd.Op == nil || nd.Kind >= graph.NumKinds {
			return fmt.Errorf("%w: node %d is nil, has no op or an invalid kind", ErrBadPlan, i)
		}
		if p.DepStart[i] > p.DepStart[i+1] || p.SuccStart[i] > p.SuccStart[i+1] {
			return fmt.Errorf("%w: node %s: offsets decrease", ErrBadPlan, nd.Key)
		}
	}
	for _, list := range [][]int32{p.Deps, p.Succs, p.Outputs} {
		for _, d := range list {
			if d < 0 || d >= n {
				return fmt.Errorf("%w: node index %d out of range [0, %d)", ErrBadPlan, d, n)
			}
		}
	}
	return nil
}

func newRun(ctx context.Context, p *graph.Plan, o *Options) (*run, error) {
	if err := checkPlan(p); err != nil {
		return nil, err
	}
	n := len(p.Nodes)
	r := &run{
		p:      p,
		caller: ctx,
		done:   ctx.Done(),
		ns:     make([]nodeState, n),
		inline: o.Inline,
	}
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
		if o.Pool != nil {
			workers = o.Pool.Size()
		}
	}
	if o.Inline {
		workers = 1
	}
	general := &group{name: ""}
	r.groups = append(r.groups, general)
	laneIdx := map[string]uint8{}
	for _, l := range o.Lanes {
		if _, dup := laneIdx[l.Name]; dup || l.Name == "" {
			return nil, fmt.Errorf("sched: Options.Lanes: lane name %q is empty or repeated", l.Name)
		}
		if len(r.groups) > 255 {
			return nil, fmt.Errorf("sched: Options.Lanes: %d lanes, want at most 254", len(o.Lanes))
		}
		if o.Inline {
			laneIdx[l.Name] = 0
			continue
		}
		laneIdx[l.Name] = uint8(len(r.groups))
		r.groups = append(r.groups, &group{name: l.Name, lock: l.LockOSThread, hybrid: l.Hybrid})
	}
	id := 0
	addWorker := func(g *group, slot int) {
		w := &worker{r: r, g: g, info: WorkerInfo{ID: id, Lane: g.name, Slot: slot}, wake: make(chan struct{}, 1)}
		if o.Pool != nil && g == general {
			w.slot.grant = make(chan struct{}, 1)
		}
		id++
		g.workers = append(g.workers, w)
		r.workers = append(r.workers, w)
	}
	for i := 0; i < workers; i++ {
		addWorker(general, 0)
	}
	if !o.Inline {
		for i, l := range o.Lanes {
			for s := 0; s < max(1, l.Slots); s++ {
				addWorker(r.groups[i+1], s)
			}
			if l.Hybrid {
				general.helpers = append(general.helpers, r.groups[i+1].workers...)
			}
		}
	}
	r.nworkers = int32(len(r.workers))
	r.window = int32(o.Window)
	if r.window <= 0 {
		r.window = 2 * r.nworkers
	}

	for i, nd := range p.Nodes {
		if nd.Lane != "" {
			gi, ok := laneIdx[nd.Lane]
			if !ok {
				return nil, fmt.Errorf("%w: node %s (%q) requires lane %q; configured lanes: %v",
					ErrUnknownLane, nd.Key, nd.DisplayLabel(), nd.Lane, laneNames(o.Lanes))
			}
			r.ns[i].group = gi
		}
		r.ns[i].indeg.Store(p.DepStart[i+1] - p.DepStart[i])
		r.ns[i].refs.Store(p.SuccStart[i+1] - p.SuccStart[i])
		r.totals[nd.Kind]++
	}
	for _, o := range p.Outputs {
		r.ns[o].keep = true
	}
	r.remaining.Store(int64(n))
	r.progress = o.Progress != nil
	r.onProgress = o.Progress
	r.interval = o.ProgressInterval
	r.pool, r.obs = o.Pool, o.Observer
	r.ctx, r.cancel = context.WithCancelCause(ctx)
	for _, w := range r.workers {
		w.ctx = context.WithValue(r.ctx, workerKey{}, &w.info)
	}
	return r, nil
}

func laneNames(ls []Lane) []string {
	s := make([]string, len(ls))
	for i, l := range ls {
		s[i] = l.Name
	}
	return s
}

func prio(k graph.Kind) int {
	if k.Priority() {
		return 0
	}
	return 1
}

// seedChunkSize is the number of consecutive ready nodes dealt to one worker
// at a time: neighbours in plan order (sibling leaves of a tree) stay on one
// worker, while the workers together still advance in plan order.
var seedChunkSize = 8

// seed queues the nodes that are ready at the start: gated nodes go to their
// group's gate, the others are dealt round-robin, in chunks of seedChunkSize, over the group's workers,
// each worker's share pushed so that it pops in plan order. Together the
// workers then start ready partition tasks roughly in plan (partition)
// order, which keeps file reads near-sequential; thieves take from the far
// end of a share.
func (r *run) seed() {
	seedChunk := seedChunkSize
	type bucket [2][]int32
	per := make([]bucket, len(r.groups))
	for i, nd := range r.p.Nodes {
		if r.ns[i].indeg.Load() != 0 {
			continue
		}
		g := r.ns[i].group
		if nd.Admission {
			r.groups[g].gate.push(gateItem{order: nd.Order, id: int32(i)})
			continue
		}
		pr := prio(nd.Kind)
		per[g][pr] = append(per[g][pr], int32(i))
	}
	for gi, g := range r.groups {
		nw := len(g.workers)
		for pr := 0; pr < 2; pr++ {
			ids := per[gi][pr]
			if nw == 1 {
				g.workers[0].dq[pr].pushBottomReversed(ids)
				continue
			}
			share := make([]int32, 0, len(ids)/nw+min(seedChunk, len(ids)))
			for w := 0; w < nw; w++ {
				share = share[:0]
				for c := w * seedChunk; c < len(ids); c += nw * seedChunk {
					share = append(share, ids[c:min(c+seedChunk, len(ids))]...)
				}
				g.workers[w].dq[pr].pushBottomReversed(share)
			}
		}
	}
}

func (r *run) execute() ([]any, error) {
	if r.obs != nil {
		r.obs.RunStarted(r.p)
	}
	if len(r.p.Nodes) == 0 {
		r.cancel(nil)
		if r.progress {
			r.onProgress(r.snapshot())
		}
		return make([]any, len(r.p.Outputs)), nil
	}
	// Clean-up is deferred so that it also runs when an inline op ends the
	// calling goroutine with runtime.Goexit.
	stop := context.AfterFunc(r.caller, func() { r.fail(r.caller.Err()) })
	defer stop()
	defer r.cancel(nil)
	r.seed()

	if r.progress {
		var repWG sync.WaitGroup
		repStop := make(chan struct{})
		repWG.Add(1)
		go r.reporter(repStop, &repWG)
		defer func() {
			close(repStop)
			repWG.Wait() // includes the final report
		}()
	}

	if r.inline {
		r.workers[0].loop()
	} else {
		var wg sync.WaitGroup
		for _, w := range r.workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if w.g.lock {
					runtime.LockOSThread()
					defer runtime.UnlockOSThread()
				}
				w.loop()
			}()
		}
		wg.Wait()
	}

	r.errMu.Lock()
	err := r.err
	r.errMu.Unlock()
	if err != nil {
		return nil, err
	}
	if r.remaining.Load() != 0 {
		return nil, ErrStalled
	}
	out := make([]any, len(r.p.Outputs))
	for i, o := range r.p.Outputs {
		out[i] = r.ns[o].val
	}
	return out, nil
}

// fail records the first error and stops the run.
func (r *run) fail(err error) {
	r.errMu.Lock()
	first := r.err == nil
	if first {
		r.err = err
	}
	r.errMu.Unlock()
	if first {
		r.stopped.Store(true)
		r.cancel(err)
		r.wakeAll()
	}
}

func (r *run) wakeAll() {
	for _, w := range r.workers {
		if w.idle.CompareAndSwap(true, false) {
			w.g.idle.Add(-1)
			r.parked.Add(-1)
			w.wake <- struct{}{}
		}
	}
}

// wakeOne wakes one parked worker of g, if any.
func (r *run) wakeOne(g *group) {
	if g.idle.Load() == 0 {
		// Every worker of g is busy: wake a hybrid lane worker that helps g.
		for _, w := range g.helpers {
			if w.idle.CompareAndSwap(true, false) {
				w.g.idle.Add(-1)
				r.parked.Add(-1)
				w.wake <- struct{}{}
				return
			}
		}
		return
	}
	for _, w := range g.workers {
		if w.idle.CompareAndSwap(true, false) {
			g.idle.Add(-1)
			r.parked.Add(-1)
			w.wake <- struct{}{}
			return
		}
	}
}

func (r *run) stopping() bool {
	if r.stopped.Load() {
		return true
	}
	select {
	case <-r.done:
		r.fail(r.caller.Err())
		return true
	default:
		return false
	}
}

// admit starts a gated node of g if the window allows.
func (r *run) admit(g *group) (int32, bool) {
	if g.gate.n.Load() == 0 {
		return 0, false
	}
	for {
		l := r.live.Load()
		if l >= r.window {
			return 0, false
		}
		if r.live.CompareAndSwap(l, l+1) {
			break
		}
	}
	id, ok := g.gate.pop()
	if !ok {
		r.live.Add(-1)
		return 0, false
	}
	return id, true
}

func (w *worker) loop() {
	r := w.r
	for {
		if r.stopping() || r.remaining.Load() == 0 {
			return
		}
		id, ok := w.find()
		if !ok {
			if idleHook != nil {
				idleHook()
			}
			if !w.park() {
				return
			}
			continue
		}
		if r.stopping() {
			return
		}
		if w.slot.grant != nil {
			if !w.execPooled(id) {
				return
			}
			continue
		}
		w.exec(id)
	}
}

// execPooled runs node id holding a slot of the run's pool; it returns false
// when the run stopped while w waited for one. The slot is returned however
// the op ends (runtime.Goexit included).
func (w *worker) execPooled(id int32) bool {
	if !w.r.pool.acquire(&w.slot, w.r.ctx.Done()) {
		return false
	}
	defer w.r.pool.release()
	if w.r.stopping() {
		return false
	}
	w.exec(id)
	return true
}

// find returns the next node for w: own priority work, priority work of the
// group (injected or stolen), an admissible gated node, then own, injected
// and stolen task work; a hybrid lane's worker then looks at the general
// group's work the same way.
func (w *worker) find() (int32, bool) {
	if id, ok := w.findIn(w.g); ok {
		return id, true
	}
	if w.g.hybrid {
		return w.findIn(w.r.groups[0])
	}
	return 0, false
}

func (w *worker) findIn(g *group) (int32, bool) {
	own := g == w.g
	for pr := 0; pr < 2; pr++ {
		if own {
			if id, ok := w.dq[pr].popBottom(); ok {
				return id, true
			}
		}
		if id, ok := g.inj[pr].popTop(); ok {
			return id, true
		}
		if id, ok := w.steal(g, pr); ok {
			return id, true
		}
		if pr == 0 {
			if id, ok := w.r.admit(g); ok {
				return id, true
			}
		}
	}
	return 0, false
}

func (w *worker) steal(g *group, pr int) (int32, bool) {
	ws := g.workers
	n := len(ws)
	start := w.info.ID
	for i := range n {
		v := ws[(start+i)%n]
		if v == w {
			continue
		}
		if id, ok := v.dq[pr].popTop(); ok {
			return id, true
		}
	}
	return 0, false
}

// hasWork reports whether find could succeed now, without taking anything.
func (w *worker) hasWork() bool {
	if w.hasWorkIn(w.g) {
		return true
	}
	return w.g.hybrid && w.hasWorkIn(w.r.groups[0])
}

func (w *worker) hasWorkIn(g *group) bool {
	for pr := 0; pr < 2; pr++ {
		if g.inj[pr].n.Load() > 0 {
			return true
		}
		for _, v := range g.workers {
			if v.dq[pr].n.Load() > 0 {
				return true
			}
		}
	}
	return g.gate.n.Load() > 0 && w.r.live.Load() < w.r.window
}

// park blocks w until there may be work. It returns false when the run is
// over.
func (w *worker) park() bool {
	r := w.r
	w.idle.Store(true)
	w.g.idle.Add(1)
	r.parked.Add(1)
	unpark := func() {
		if w.idle.CompareAndSwap(true, false) {
			w.g.idle.Add(-1)
			r.parked.Add(-1)
		} else {
			<-w.wake // a waker claimed us; take its token
		}
	}
	if r.stopping() || r.remaining.Load() == 0 {
		unpark()
		return false
	}
	if w.hasWork() {
		unpark()
		return true
	}
	if r.parked.Load() == r.nworkers {
		r.unstall()
	}
	if parkHook != nil {
		parkHook()
	}
	<-w.wake
	return true
}

// parkHook, when set (by tests, before a run), is called each time a worker
// blocks in park.
var parkHook func()

// idleHook, when set (by tests, before a run), is called each time a
// worker finds no work.
var idleHook func()

// unstall runs when every worker is parked. If gated nodes wait while the
// window is full of partials whose consumers need other gated nodes first
// (a graph whose admission flags or orders are inconsistent), it admits the
// smallest waiting one past the window instead of deadlocking. With nothing
// left to run at all, it fails the run with ErrStalled.
func (r *run) unstall() {
	r.forceMu.Lock()
	defer r.forceMu.Unlock()
	if r.parked.Load() != r.nworkers || r.remaining.Load() == 0 || r.stopped.Load() {
		if r.remaining.Load() == 0 {
			r.wakeAll()
		}
		return
	}
	for _, g := range r.groups {
		for pr := 0; pr < 2; pr++ {
			if g.inj[pr].n.Load() > 0 {
				r.wakeOne(g)
				return
			}
			for _, v := range g.workers {
				if v.dq[pr].n.Load() > 0 {
					r.wakeOne(g)
					return
				}
			}
		}
	}
	for _, g := range r.groups {
		if id, ok := g.gate.pop(); ok {
			r.live.Add(1)
			g.inj[1].pushBottom(id)
			r.wakeOne(g)
			return
		}
	}
	r.errMu.Lock()
	if r.err == nil {
		r.err = fmt.Errorf("%w: %d nodes unfinished, none ready", ErrStalled, r.remaining.Load())
	}
	r.errMu.Unlock()
	r.stopped.Store(true)
	r.cancel(ErrStalled)
	r.wakeAll()
}

// exec runs node id and releases what it made ready or no longer needed.
func (w *worker) exec(id int32) {
	r := w.r
	p := r.p
	nd := p.Nodes[id]
	deps := p.Deps[p.DepStart[id]:p.DepStart[id+1]]
	var args []any
	if len(deps) > 0 {
		args = make([]any, len(deps))
		for i, d := range deps {
			args[i] = r.ns[d].val
		}
	}
	var v any
	var err error
	if obs := r.obs; obs != nil {
		obs.NodeStarted(id, w.info)
		t0 := time.Now()
		v, err = w.call(nd, args)
		obs.NodeFinished(id, time.Since(t0), err)
	} else {
		v, err = w.call(nd, args)
	}
	if err != nil {
		r.fail(&NodeError{Key: nd.Key, Label: nd.DisplayLabel(), Kind: nd.Kind, Err: err})
		return
	}
	r.ns[id].val = v
	if r.progress {
		w.done[nd.Kind].Add(1)
	}
	// Dependencies: drop values nobody needs any more, close admissions.
	for _, d := range deps {
		if r.ns[d].refs.Add(-1) == 0 {
			r.release(d)
		}
	}
	if nd.Admission && p.SuccStart[id+1] == p.SuccStart[id] {
		r.live.Add(-1)
		r.wakeGated()
	}
	// Dependents: queue those now ready.
	for _, s := range p.Succs[p.SuccStart[id]:p.SuccStart[id+1]] {
		if r.ns[s].indeg.Add(-1) == 0 {
			w.ready(s)
		}
	}
	if r.remaining.Add(-1) == 0 {
		r.wakeAll()
	}
}

func (r *run) release(d int32) {
	if !r.ns[d].keep {
		r.ns[d].val = nil
	}
	if r.p.Nodes[d].Admission {
		r.live.Add(-1)
		r.wakeGated()
	}
}

// wakeGated wakes a worker of each group with gated nodes waiting, after the
// window gained room.
func (r *run) wakeGated() {
	for _, g := range r.groups {
		if g.gate.n.Load() > 0 {
			r.wakeOne(g)
		}
	}
}

// ready queues node s, which w made ready.
func (w *worker) ready(s int32) {
	r := w.r
	nd := r.p.Nodes[s]
	g := r.groups[r.ns[s].group]
	switch {
	case nd.Admission:
		g.gate.push(gateItem{order: nd.Order, id: s})
	case g == w.g:
		w.dq[prio(nd.Kind)].pushBottom(s)
		if g.idle.Load() == 0 {
			return
		}
	default:
		g.inj[prio(nd.Kind)].pushBottom(s)
	}
	r.wakeOne(g)
}

// call runs the op, turning a panic into a *PanicError. An op that calls
// runtime.Goexit (t.FailNow in a test) takes its worker goroutine down; the
// run then fails with ErrGoexit instead of waiting for the node forever.
func (w *worker) call(nd *graph.Node, args []any) (v any, err error) {
	returned := false
	defer func() {
		if returned {
			return
		}
		if e := recover(); e != nil {
			err = &PanicError{Value: e, Stack: debug.Stack()}
			return
		}
		w.r.fail(&NodeError{Key: nd.Key, Label: nd.DisplayLabel(), Kind: nd.Kind, Err: ErrGoexit})
	}()
	v, err = nd.Op(w.ctx, args)
	returned = true
	return v, err
}

func (r *run) snapshot() Progress {
	var p Progress
	for k := range p.Kinds {
		p.Kinds[k].Total = r.totals[k]
		p.Total += r.totals[k]
	}
	for _, w := range r.workers {
		for k := range p.Kinds {
			d := int(w.done[k].Load())
			p.Kinds[k].Done += d
			p.Done += d
		}
	}
	return p
}

func (r *run) reporter(stop <-chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	iv := 100 * time.Millisecond
	if r.interval > 0 {
		iv = r.interval
	}
	t := time.NewTicker(iv)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			r.onProgress(r.snapshot())
		case <-stop:
			r.onProgress(r.snapshot())
			return
		}
	}
}
