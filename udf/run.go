package udf

import (
	"context"
	"errors"
	"fmt"
	"iter"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/backends"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/sched"
)

// Options configure a run. The zero value runs on GOMAXPROCS workers without a ROI.
type Options struct {
	// ROI selects nav positions: a bool array with one element per nav position (any
	// shape; only the element count is checked, ErrROIShape otherwise), read in C
	// order. The run copies it at start. nil selects everything. The reference's other
	// ROI forms are built by ROIFromCoords (one position), ROIFromPairs ((coords,
	// value) pairs) and ROIFromArray (numeric or sparse arrays cast to bool); a
	// non-bool array here is ErrROIShape rather than a silent cast.
	ROI array.Array
	// Workers is the number of goroutines running partition tasks; 0 means
	// GOMAXPROCS, or Pool.Size() with a Pool.
	Workers int
	// Inline runs everything on the calling goroutine, in partition order.
	Inline bool
	// NumPartitions overrides the dataset's partition count (0: the dataset's default
	// for the worker count).
	NumPartitions int
	// Window bounds how many partition results may wait for their ordered merge
	// (0: 2 × workers).
	Window int
	// Progress, when set, is called after every merged partition (Done and Frames
	// grow by one partition), about every 100 ms with the partition tasks computed so
	// far, and once at the end; from one goroutine at a time, so it must return
	// quickly. Handles of a LazyRun computed through package delayed do not report.
	Progress func(Progress)
	// Backends restricts the array backends the run may use (nil: all).
	Backends []backends.Backend
	// CheckInput is a debug mode: every tile is checksummed before and after each
	// UDF's call and a change fails the run with ErrTileModified naming the UDF.
	CheckInput bool
	// Devices are accelerators the run may use (see DeviceProcessor): each is a
	// scheduler lane whose slots take partition tasks beside the CPU workers (or
	// instead of them, Device.Only). Merges and results stay on the CPU.
	Devices []Device
	// Pool, when set, is a scheduler worker pool the run shares with every other run
	// given the same pool (several datasets or users at once): at most Pool.Size()
	// partition tasks and merges of all those runs compute at once, the runs take
	// turns, and a cancelled run's slots go to the others as soon as its running
	// tasks return. Device lanes and RunIter's consumer take no slots. See
	// sched.Pool.
	Pool *sched.Pool
	// Observer, when set, sees the run's compiled graph (sched.Plan) and every node's
	// start and end with timings, for live displays of the running graph (see
	// sched.Observer). RunIter's graph includes its iteration barriers.
	Observer sched.Observer
	// Remote, when set, runs the partition tasks on another executor (package
	// cluster places them on NATS JetStream workers); merges, Results and everything
	// else stay here, in partition order. See TaskRunner.
	Remote TaskRunner
}

// Run computes udfs over ds in one pass over the data and returns one Result per UDF,
// in order. It compiles the run and computes it: every non-empty partition is one task
// that runs all UDFs on each tile; results are merged in partition order, so they are
// bit-identical for any worker count at a fixed number of partitions.
func Run(ctx context.Context, ds dataset.Dataset, udfs []UDF, opts Options) ([]*Result, error) {
	var last *Snapshot
	var err error
	r, err := compile(ds, udfs, opts)
	if err != nil {
		return nil, err
	}
	err = r.execute(ctx, func(s *Snapshot) { last = s })
	if err != nil {
		return nil, err
	}
	return last.Results()
}

// RunOne is Run for a single UDF.
func RunOne(ctx context.Context, ds dataset.Dataset, u UDF, opts Options) (*Result, error) {
	rs, err := Run(ctx, ds, []UDF{u}, opts)
	if err != nil {
		return nil, err
	}
	return rs[0], nil
}

// Snapshot is the state of an iterated run after a merged partition: the damage (which
// nav positions have been merged) and lazily computed results.
type Snapshot struct {
	run     *run
	damage  []bool
	done    int
	total   int
	results func() ([]*Result, error)
	cached  []*Result
	err     error
	got     bool
}

// Damage returns the merged nav positions, flat and ROI-compressed (a copy).
func (s *Snapshot) Damage() []bool { return append([]bool(nil), s.damage...) }

// DamageFull returns the merged nav positions with one entry per nav position (false
// outside the ROI).
func (s *Snapshot) DamageFull() []bool {
	return fullDamage(s.damage, s.run.roi, s.run.shape.NavSize())
}

// DamageBuffer returns the damage as a kind-nav bool result buffer (the reference's
// UDFResults.damage): RawData flat and ROI-compressed, Data nav-shaped with false
// outside the ROI.
func (s *Snapshot) DamageBuffer() *ResultBuffer {
	d := s.Damage()
	return &ResultBuffer{spec: NavBuffer("damage", array.Bool), raw: array.Wrap(d, len(d)),
		dsShape: s.run.shape, roi: s.run.roi, damage: d}
}

// Done and Total count merged and all partition tasks.
func (s *Snapshot) Done() int { return s.done }

// Total returns the number of partition tasks of the run.
func (s *Snapshot) Total() int { return s.total }

// Results runs every UDF's Results (GetResults) on the merged buffers and returns the
// results, computed once per snapshot. In an iterated run, call it inside the loop
// body: the snapshot may share memory with the live buffers, which later merges
// change. UDFs merged only by MergeAll show zeros until the last snapshot (as in the
// reference).
func (s *Snapshot) Results() ([]*Result, error) {
	if !s.got {
		s.cached, s.err = s.results()
		s.got = true
	}
	return s.cached, s.err
}

// RunIter runs like Run and yields a Snapshot after every merged partition (exactly one
// when nothing is merged, e.g. with an empty ROI). The loop body runs on the caller's
// goroutine: the run computes on scheduler goroutines and hands each snapshot over.
// Merging pauses while the body runs; partition tasks continue up to the window (the
// body holds no worker, also with Inline). Breaking out of the loop, a panic in the
// body and runtime.Goexit (t.Fatal) cancel the run and wait for it before they go on,
// so no goroutine is left behind and a panic keeps its value and stack. An error is
// yielded once, with a nil snapshot, and ends the sequence.
//
// UDFs merged by MergeAll (those without Merge) show their zero buffers until the
// last snapshot (as in the reference's delayed executor); every other UDF fills in
// partition by partition, and the last snapshot equals Run's result bit for bit.
func RunIter(ctx context.Context, ds dataset.Dataset, udfs []UDF, opts Options) iter.Seq2[*Snapshot, error] {
	return func(yield func(*Snapshot, error) bool) {
		r, err := compile(ds, udfs, opts)
		if err != nil {
			yield(nil, err)
			return
		}
		stopped := false
		err = r.iterate(ctx, func(s *Snapshot) bool {
			if !yield(s, nil) {
				stopped = true
				return false
			}
			return true
		})
		if err != nil && !stopped {
			yield(nil, err)
		}
	}
}

// DryRun prepares a run without processing any data and returns the results it would
// start from: zero buffers, Results applied (the reference's dry_run).
func DryRun(ctx context.Context, ds dataset.Dataset, udfs []UDF, opts Options) ([]*Result, error) {
	r, err := compile(ds, udfs, opts)
	if err != nil {
		return nil, err
	}
	res, err := r.snapshot(0, 0).Results()
	if err = r.endRun(err); err != nil {
		return nil, err
	}
	return res, nil
}

// errorf builds a *UDFError naming the UDF whose message has one prefix: "udf 0
// (Name): " and the detail; errors.Is(err, sentinel) holds.
func errorf(sentinel error, u UDF, idx int, format string, args ...any) error {
	return &UDFError{UDF: udfName(u), Index: idx, Partition: -1, Err: &detailError{sentinel: sentinel, msg: fmt.Sprintf(format, args...)}}
}

// detailError is a message that wraps a sentinel without repeating its text.
type detailError struct {
	sentinel error
	msg      string
}

func (e *detailError) Error() string { return e.msg }
func (e *detailError) Unwrap() error { return e.sentinel }

// publicErr strips the scheduler's node wrapper from a run's error: what the caller
// gets is the *UDFError, *DatasetError or *ConvertError itself (one prefix, no graph
// keys); other errors (a cancelled context) pass unchanged.
func publicErr(err error) error {
	var ue *UDFError
	var de *DatasetError
	var ce *ConvertError
	if err == nil {
		return nil
	}
	// A task's own error (a remote runner's *cluster.TaskError that wraps a UDFError,
	// say) is kept whole: only the scheduler's wrapper goes.
	if ne, ok := err.(*sched.NodeError); ok {
		var pe *sched.PanicError
		if !errors.As(ne.Err, &pe) {
			return ne.Err
		}
	}
	switch {
	case errors.As(err, &ue):
		return ue
	case errors.As(err, &de):
		return de
	case errors.As(err, &ce):
		return ce
	}
	return err
}
