package udf

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/graph"
	"github.com/stemflow/stemflow/mergeall"
	"github.com/stemflow/stemflow/sched"
)

// compiled is a run's task graph.
type compiled struct {
	g        *graph.Graph
	tasks    []graph.Key   // one per non-empty partition
	inits    []graph.Key   // per UDF: initial accumulator
	merged   []graph.Key   // per UDF: fully merged accumulator
	results  []graph.Key   // per UDF: get_results → *Result
	finals   []graph.Key   // per UDF: finalize → *Result (Data computed)
	iters    []graph.Key   // iteration barriers (iterating runs only)
	chains   [][]graph.Key // per UDF: merge chain keys (nil for merge_all)
	admitted bool
}

// ErrIterationStopped is the error RunEnder.EndRun receives when the consumer of
// RunIter broke out of the loop (RunIter itself yields no error then). It wraps
// context.Canceled.
var ErrIterationStopped = fmt.Errorf("udf: iteration stopped: %w", context.Canceled)

// errStopped ends an iterated run whose consumer stopped.
var errStopped = ErrIterationStopped

// endRun calls every RunEnder of the run with the run's outcome and returns err, or
// a *UDFError when err is nil and an EndRun panicked.
func (r *run) endRun(err error) error {
	for _, ur := range r.us {
		e, ok := ur.u.(RunEnder)
		if !ok {
			continue
		}
		m := r.meta.clone()
		perr := callSafe(func() error { e.EndRun(m, err); return nil })
		if perr != nil && err == nil {
			err = r.mainErr(ur, "EndRun", perr)
		}
	}
	return err
}

// build compiles the run into a graph. With yield set, iteration barrier
// nodes hand a Snapshot to yield after every merged partition and pause the merge
// chains until it returns.
func (r *run) build(yield func(context.Context, *Snapshot) error) (*compiled, error) {
	T := len(r.tasks)
	c := &compiled{g: graph.NewWithCapacity(T*(len(r.us)+2) + 4*len(r.us) + 1)}
	// Every task node is window-gated: merge_all UDFs receive their partials through
	// per-task select nodes, so a task's value is released (and its admission slot
	// freed) once its selects and ordered merges are done, while the selected
	// partials wait for the merge_all node outside the window.
	c.admitted = true
	live := newLiveTracker(T)
	for k := range r.tasks {
		key := graph.UniqueKey(fmt.Sprintf("task-%d", r.tasks[k].part.Index))
		kk := k
		if err := c.g.Add(graph.Node{
			Key:       key,
			Label:     fmt.Sprintf("partition %d", r.tasks[k].part.Index),
			Kind:      graph.KindTask,
			Admission: c.admitted,
			Order:     k,
			Lane:      r.taskLane(k),
			Op: func(ctx context.Context, _ []any) (any, error) {
				var p partial
				var err error
				if r.opts.Remote != nil {
					p, err = r.runRemote(ctx, kk)
				} else {
					p, err = r.runTask(ctx, kk)
				}
				if err == nil {
					live.produced(kk, len(r.us))
				}
				return p, err
			},
		}); err != nil {
			return nil, err
		}
		c.tasks = append(c.tasks, key)
	}
	if yield != nil {
		c.iters = make([]graph.Key, max(T, 1))
		for k := range c.iters {
			c.iters[k] = graph.UniqueKey(fmt.Sprintf("iter-%d", k))
		}
	}
	c.chains = make([][]graph.Key, len(r.us))
	for i, ur := range r.us {
		ur := ur
		init := graph.UniqueKey(fmt.Sprintf("init-%d", i))
		if err := c.g.Add(graph.Node{
			Key: init, Label: fmt.Sprintf("init udf %d (%s)", i, ur.name), Kind: graph.KindMerge,
			Op: func(context.Context, []any) (any, error) { return r.newAcc(ur) },
		}); err != nil {
			return nil, err
		}
		c.inits = append(c.inits, init)
		var last graph.Key
		// Every UDF with Merge, and every UDF the default nav merge serves, is merged
		// by an ordered chain in Run, RunLazy and RunIter alike: each step frees its
		// partial, so at most the admission window of partials is alive, and all
		// three give bit-identical results. Only a UDF with MergeAll and without
		// Merge gets one merge_all node, which holds every partial until the end.
		//
		// A UDF without buffers has nothing to merge, but it may have side effects
		// (files, counters), so its result must still depend on every task: it gets
		// a chain of no-op steps, which also keeps the admission window working
		// (each task's value is released as soon as its step has run) and lets
		// iterated runs pause it like any other chain.
		noBuffers := len(ur.specs) == 0
		chained := noBuffers || ur.mode == mergeChain
		switch {
		case chained:
			var gate func(int) []graph.Key
			if yield != nil {
				gate = func(k int) []graph.Key {
					if k == 0 {
						return nil
					}
					return []graph.Key{c.iters[k-1]}
				}
			}
			keys, err := mergeall.Chain(c.g, mergeall.ChainSpec{
				Name:  fmt.Sprint(i),
				Init:  init,
				Parts: c.tasks,
				Gate:  gate,
				Step: func(ctx context.Context, k int, a, p any) (any, error) {
					ac := a.(*acc)
					if !noBuffers {
						if err := r.mergeStep(ac, k, p.(partial)[ur.idx]); err != nil {
							return nil, err
						}
					}
					live.consumed(k)
					mergedPart(ctx, k)
					return ac, nil
				},
			})
			if err != nil {
				return nil, err
			}
			c.chains[i] = keys
			last = init
			if len(keys) > 0 {
				last = keys[len(keys)-1]
			}
		default:
			sel := make([]graph.Key, len(c.tasks))
			for k, tk := range c.tasks {
				sel[k] = graph.UniqueKey(fmt.Sprintf("select-%d-%d", i, k))
				if err := c.g.Add(graph.Node{
					Key: sel[k], Label: fmt.Sprintf("select udf %d partition %d", i, r.tasks[k].part.Index),
					Kind: graph.KindMerge, Deps: []graph.Key{tk},
					Op: func(ctx context.Context, args []any) (any, error) {
						mergedPart(ctx, k)
						return args[0].(partial)[ur.idx], nil
					},
				}); err != nil {
					return nil, err
				}
			}
			key, err := mergeall.All(c.g, fmt.Sprint(i), init, sel, func(ctx context.Context, a any, parts []any) (any, error) {
				refs := make([]partialRef, len(parts))
				for k, p := range parts {
					refs[k] = partialRef{task: k, bufs: p.([]array.Array)}
				}
				b, err := r.mergeAllFresh(a.(*acc), refs)
				for k := range parts {
					live.consumed(k)
				}
				return b, err
			})
			if err != nil {
				return nil, err
			}
			last = key
		}
		c.merged = append(c.merged, last)
		gr := graph.UniqueKey(fmt.Sprintf("get_results-%d", i))
		if err := c.g.Add(graph.Node{
			Key: gr, Label: fmt.Sprintf("get_results udf %d (%s)", i, ur.name), Kind: graph.KindGetResults,
			Deps: []graph.Key{last},
			Op: func(_ context.Context, args []any) (any, error) {
				return r.getResults(args[0].(*acc), r.damageBefore(T))
			},
		}); err != nil {
			return nil, err
		}
		c.results = append(c.results, gr)
		fin := graph.UniqueKey(fmt.Sprintf("finalize-%d", i))
		if err := c.g.Add(graph.Node{
			Key: fin, Label: fmt.Sprintf("finalize udf %d (%s)", i, ur.name), Kind: graph.KindFinalize,
			Deps: []graph.Key{gr},
			Op: func(_ context.Context, args []any) (any, error) {
				res := args[0].(*Result)
				for _, b := range res.Buffers {
					b.Data()
				}
				return res, nil
			},
		}); err != nil {
			return nil, err
		}
		c.finals = append(c.finals, fin)
	}
	if yield != nil {
		for k := range c.iters {
			var deps []graph.Key
			lastIter := k == len(c.iters)-1
			for i := range r.us {
				switch {
				case lastIter:
					deps = append(deps, c.merged[i])
				case c.chains[i] != nil:
					deps = append(deps, c.chains[i][k])
				default:
					deps = append(deps, c.inits[i])
				}
			}
			if k > 0 {
				deps = append(deps, c.iters[k-1])
			}
			done := min(k+1, T)
			// The barrier runs on its own one-slot lane, so a consumer that takes
			// its time never holds a general worker: partition tasks go on up to
			// the window while merging pauses.
			if err := c.g.Add(graph.Node{
				Key: c.iters[k], Label: fmt.Sprintf("iterate %d", k), Kind: graph.KindUser, Deps: deps,
				Lane: iterLane,
				Op: func(ctx context.Context, args []any) (any, error) {
					accs := make([]*acc, len(r.us))
					for i := range r.us {
						accs[i] = args[i].(*acc)
					}
					return nil, yield(ctx, r.snapshotOf(accs, done, T))
				},
			}); err != nil {
				return nil, err
			}
		}
	}
	return c, nil
}

// mergeAllFresh runs mergeAll on a new accumulator (so earlier snapshots holding the
// initial one keep showing zeros, as the reference).
func (r *run) mergeAllFresh(a *acc, parts []partialRef) (*acc, error) {
	b := &acc{ur: a.ur, bufs: slices.Clone(a.bufs)}
	if err := r.mergeAll(b, parts); err != nil {
		return nil, err
	}
	return b, nil
}

// snapshotOf builds a lazy snapshot over the given accumulators.
func (r *run) snapshotOf(accs []*acc, done, total int) *Snapshot {
	damage := r.damageBefore(done)
	return &Snapshot{run: r, damage: damage, done: done, total: total, results: func() ([]*Result, error) {
		out := make([]*Result, len(accs))
		for i, a := range accs {
			res, err := r.getResults(a, damage)
			if err != nil {
				return nil, err
			}
			out[i] = res
		}
		return out, nil
	}}
}

// snapshot returns the zero-state snapshot (DryRun).
func (r *run) snapshot(done, total int) *Snapshot {
	accs := make([]*acc, len(r.us))
	for i, ur := range r.us {
		a, err := r.newAcc(ur)
		if err != nil {
			return &Snapshot{run: r, results: func() ([]*Result, error) { return nil, err }}
		}
		accs[i] = a
	}
	return r.snapshotOf(accs, done, total)
}

// iterLane is the scheduler lane of iteration barriers.
const iterLane = "udf-iterate"

// execute computes the run and hands its final snapshot to yield.
func (r *run) execute(ctx context.Context, yield func(*Snapshot)) error {
	c, err := r.build(nil)
	if err != nil {
		return err
	}
	ps := r.newProgress()
	vals, err := sched.Compute(withProgress(ctx, ps), c.g, c.finals, r.schedOptions(ps, false))
	if err = r.endRun(publicErr(err)); err != nil {
		return err
	}
	res := make([]*Result, len(vals))
	for i, v := range vals {
		res[i] = v.(*Result)
	}
	yield(&Snapshot{run: r, damage: r.damageBefore(len(r.tasks)), done: len(r.tasks), total: len(r.tasks),
		results: func() ([]*Result, error) { return res, nil }})
	return nil
}

// iterate computes the run on a scheduler goroutine and calls yield on the calling
// goroutine with a snapshot after every merged partition; the barrier node waits
// (off the general workers) until yield has returned. When yield returns false,
// panics or exits the goroutine (runtime.Goexit, t.Fatal), the run is cancelled and
// waited for before that continues, so no goroutine outlives iterate.
func (r *run) iterate(ctx context.Context, yield func(*Snapshot) bool) (err error) {
	snaps := make(chan *Snapshot)
	acks := make(chan struct{})
	stop := make(chan struct{})
	handoff := func(ctx context.Context, s *Snapshot) error {
		select {
		case snaps <- s:
		case <-stop:
			return errStopped
		case <-ctx.Done():
			return ctx.Err()
		}
		select {
		case <-acks:
			return nil
		case <-stop:
			return errStopped
		}
	}
	c, err := r.build(handoff)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ps := r.newProgress()
	done := make(chan error, 1)
	go func() {
		_, err := sched.Compute(withProgress(ctx, ps), c.g, c.iters[len(c.iters)-1:], r.schedOptions(ps, true))
		done <- err
	}()
	finished := false
	defer func() {
		if finished {
			return
		}
		// The loop body panicked or called runtime.Goexit: stop the run, wait for
		// it, tell the RunEnders, and let the panic or Goexit go on.
		close(stop)
		cancel()
		<-done
		_ = r.endRun(errStopped)
	}()
	for {
		select {
		case s := <-snaps:
			if !yield(s) {
				close(stop)
				err := r.endRun(publicErr(<-done))
				finished = true
				if errors.Is(err, errStopped) {
					return nil
				}
				return err
			}
			acks <- struct{}{}
		case err := <-done:
			finished = true
			return r.endRun(publicErr(err))
		}
	}
}
