package udf

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/stemflow/stemflow/graph"
	"github.com/stemflow/stemflow/sched"
)

// Progress reports how far a run is. Options.Progress receives one after every merged
// partition and, from the scheduler, about every 100 ms and once at the end.
type Progress struct {
	// Done counts the merged partition tasks (every UDF has merged the partition, or
	// taken its results for MergeAll), Total all partition tasks of the run.
	Done, Total int
	// Frames counts the frames (ROI-selected nav positions) of the merged partitions,
	// TotalFrames those of the whole run.
	Frames, TotalFrames int
	// Computed counts the partition tasks that have finished processing, merged or
	// not (updated by the scheduler's periodic reports; Computed >= Done then).
	Computed int
}

// progressState counts merged partitions for one computation of a run. It travels to
// the merge nodes in the context, so every Compute of a lazy run counts afresh.
type progressState struct {
	r *run
	f func(Progress)
	// pending counts, per task, the UDFs that have not merged it yet.
	pending []atomic.Int32
	mu      sync.Mutex
	p       Progress // guarded by mu
}

type progressKey struct{}

// newProgress returns the counting state of one computation, nil without
// Options.Progress.
func (r *run) newProgress() *progressState {
	if r.opts.Progress == nil {
		return nil
	}
	ps := &progressState{r: r, f: r.opts.Progress, pending: make([]atomic.Int32, len(r.tasks))}
	for k := range ps.pending {
		ps.pending[k].Store(int32(len(r.us)))
	}
	ps.p.Total = len(r.tasks)
	ps.p.TotalFrames = r.navRows
	return ps
}

// withProgress returns ctx carrying ps (ctx itself when ps is nil).
func withProgress(ctx context.Context, ps *progressState) context.Context {
	if ps == nil {
		return ctx
	}
	return context.WithValue(ctx, progressKey{}, ps)
}

// mergedPart tells the computation in ctx (if it counts progress) that one UDF has
// merged task k; the last UDF to do so reports the partition as merged.
func mergedPart(ctx context.Context, k int) {
	ps, _ := ctx.Value(progressKey{}).(*progressState)
	if ps == nil || ps.pending[k].Add(-1) != 0 {
		return
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.p.Done++
	ps.p.Frames += ps.r.tasks[k].n
	ps.f(ps.p)
}

// schedProgress forwards a scheduler report: the partition tasks computed so far.
func (ps *progressState) schedProgress(p sched.Progress) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.p.Computed = p.Kinds[graph.KindTask].Done
	ps.f(ps.p)
}

// schedOptions maps run options to scheduler options for one computation.
func (r *run) schedOptions(ps *progressState, iterating bool) sched.Options {
	o := sched.Options{Workers: r.schedWorkers(), Inline: r.opts.Inline, Window: r.opts.Window, Lanes: r.deviceLanes()}
	if o.Window <= 0 {
		// The iteration lane's worker holds no partials; device slots do.
		o.Window = 2 * r.schedWorkers()
		for _, d := range r.opts.Devices {
			o.Window += 2 * len(d.Execs)
		}
	}
	if iterating {
		o.Lanes = append(o.Lanes, sched.Lane{Name: iterLane, Slots: 1})
	}
	if ps != nil {
		o.Progress = ps.schedProgress
	}
	o.Pool, o.Observer = r.opts.Pool, r.opts.Observer
	return o
}
