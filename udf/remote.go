package udf

import (
	"context"
	"fmt"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
)

// RemoteTask describes one partition task of a compiled run to an executor that
// runs it elsewhere (package cluster). Together with the dataset, the UDFs and the
// options of the run it identifies the task completely: the executor prepares the
// same run with Prepare and calls Prepared.RunPartition.
type RemoteTask struct {
	// Order is the task's position in merge order (0-based over non-empty partitions).
	Order int
	// Partition is the dataset partition index; Partitions the run's partition count.
	Partition, Partitions int
	// Start and Stop are the partition's flat nav range [Start, Stop).
	Start, Stop int
	// Frames is the number of ROI-selected frames of the partition.
	Frames int
}

// TaskRunner runs partition tasks somewhere else (Options.Remote). The run calls
// RunTask from up to Slots goroutines at once, once per partition task, and merges
// the returned buffers on the calling machine in partition order, so results are
// bit-identical to a local run with the same partitions. RunTask returns, per UDF in
// run order, the partition buffers in declaration order (nil for result-only
// buffers), shaped and typed as the run's buffer declarations say; the run checks
// them and fails with ErrRemoteResult otherwise.
type TaskRunner interface {
	// Slots is how many partition tasks the run keeps in flight (at least 1).
	Slots() int
	// RunTask runs task t and returns its partition buffers.
	RunTask(ctx context.Context, t RemoteTask) ([][]array.Array, error)
}

// ErrRemoteResult is the error of a run whose TaskRunner returned buffers that do
// not match the run's declarations.
var ErrRemoteResult = fmt.Errorf("udf: remote task result does not match the run")

// remoteTask returns the descriptor of task k.
func (r *run) remoteTask(k int) RemoteTask {
	tk := r.tasks[k]
	return RemoteTask{Order: k, Partition: tk.part.Index, Partitions: r.parts,
		Start: tk.part.Start(), Stop: tk.part.Stop(), Frames: tk.n}
}

// runRemote runs task k on Options.Remote and checks the returned buffers.
func (r *run) runRemote(ctx context.Context, k int) (partial, error) {
	t := r.remoteTask(k)
	out, err := r.opts.Remote.RunTask(ctx, t)
	if err != nil {
		return nil, err
	}
	if len(out) != len(r.us) {
		return nil, fmt.Errorf("%w: partition %d: %d UDF results, the run has %d UDFs", ErrRemoteResult, t.Partition, len(out), len(r.us))
	}
	for i, ur := range r.us {
		if len(out[i]) != len(ur.specs) {
			return nil, fmt.Errorf("%w: partition %d, udf %d (%s): %d buffers, want %d", ErrRemoteResult, t.Partition, i, ur.name, len(out[i]), len(ur.specs))
		}
		for j, s := range ur.specs {
			b := out[i][j]
			if s.Use == UseResultOnly {
				if b != nil {
					return nil, fmt.Errorf("%w: partition %d, udf %d (%s): result-only buffer %q is not nil", ErrRemoteResult, t.Partition, i, ur.name, s.Name)
				}
				continue
			}
			want := s.Shape(t.Frames, r.sig)
			if b == nil || b.DType() != s.DType || b.Format() != array.FormatDense || !sameInts(b.Shape(), want) {
				got := "nil"
				if b != nil {
					got = fmt.Sprintf("%v %v %v", b.DType(), b.Format(), b.Shape())
				}
				return nil, fmt.Errorf("%w: partition %d, udf %d (%s): buffer %q is %s, want dense %v %v", ErrRemoteResult, t.Partition, i, ur.name, s.Name, got, s.DType, want)
			}
		}
	}
	return partial(out), nil
}

// schedWorkers is the scheduler's worker count: a remote run keeps Slots tasks in
// flight even when the local worker count is smaller.
func (r *run) schedWorkers() int {
	if r.opts.Remote != nil {
		return max(r.workers, r.opts.Remote.Slots())
	}
	return r.workers
}

func sameInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Prepared is a run compiled on an executor machine to run single partition tasks
// for a TaskRunner. It is safe for concurrent RunPartition calls.
type Prepared struct {
	r *run
	// byIndex maps a dataset partition index to its task.
	byIndex map[int]int
}

// Prepare compiles the run of udfs over ds with opts (Remote and Progress ignored)
// on the executor side, with partitions partitions (the RemoteTask's Partitions).
// The dataset, the UDFs and the ROI must equal the caller's; RunPartition checks the
// partition bounds and fails with ErrRemoteResult on any difference.
func Prepare(ds dataset.Dataset, udfs []UDF, opts Options, partitions int) (*Prepared, error) {
	opts.Remote = nil
	opts.Progress = nil
	opts.NumPartitions = partitions
	r, err := compile(ds, udfs, opts)
	if err != nil {
		return nil, err
	}
	p := &Prepared{r: r, byIndex: make(map[int]int, len(r.tasks))}
	for k, tk := range r.tasks {
		p.byIndex[tk.part.Index] = k
	}
	return p, nil
}

// RunPartition runs every UDF over partition t.Partition and returns the partition
// buffers as RunTask must return them. UDF errors are *UDFError values as in Run.
func (p *Prepared) RunPartition(ctx context.Context, t RemoteTask) ([][]array.Array, error) {
	k, ok := p.byIndex[t.Partition]
	if !ok {
		return nil, fmt.Errorf("%w: partition %d is not a non-empty partition of the prepared run (%d partitions)", ErrRemoteResult, t.Partition, p.r.parts)
	}
	if got := p.r.remoteTask(k); got != t {
		return nil, fmt.Errorf("%w: partition %d here is %+v, the caller's %+v (different dataset, ROI or partitioning)", ErrRemoteResult, t.Partition, got, t)
	}
	out, err := p.r.runTask(ctx, k)
	if err != nil {
		return nil, err
	}
	return out, nil
}
