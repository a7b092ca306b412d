package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/backends"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/udf"
)

// ErrDataRoot is the error for a dataset path outside a worker's data root.
var ErrDataRoot = errors.New("cluster: dataset path outside the worker's data root")

// WorkerOptions configure Serve.
type WorkerOptions struct {
	// Registry holds the UDF types the worker can run (nil: Builtins()).
	Registry *Registry
	// Slots is how many tasks the worker runs at once (0: GOMAXPROCS).
	Slots int
	// DataRoot, when set, is the directory every dataset path must lie in (after
	// resolving symbolic links); other paths fail the task with ErrDataRoot.
	DataRoot string
	// Name names the worker in errors (default host-pid).
	Name string
	// Config is the delivery policy used when no consumer exists yet.
	Config Config
	// Log, when set, receives one line per task outcome other than success.
	Log func(format string, args ...any)
}

// Serve runs partition tasks from the work queue until ctx ends; then it stops
// fetching, and hands unfinished tasks back for redelivery. The caller keeps owning
// nc.
func Serve(ctx context.Context, nc *nats.Conn, o WorkerOptions) error {
	if o.Registry == nil {
		o.Registry = Builtins()
	}
	if o.Slots <= 0 {
		o.Slots = runtime.GOMAXPROCS(0)
	}
	if o.Name == "" {
		h, _ := os.Hostname()
		o.Name = workerName(h, os.Getpid())
	}
	if o.DataRoot != "" {
		r, err := filepath.Abs(o.DataRoot)
		if err == nil {
			r, err = filepath.EvalSymlinks(r)
		}
		if err != nil {
			return fmt.Errorf("cluster: data root %s: %w", o.DataRoot, err)
		}
		o.DataRoot = r
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	_, cons, obj, err := setup(ctx, js, o.Config.withDefaults(), false)
	if err != nil {
		return err
	}
	w := &worker{o: o, nc: nc, obj: obj, jobs: map[string]*workerJob{}, running: map[string]map[*context.CancelFunc]bool{}, cancelled: map[string]time.Time{}}
	sub, err := nc.Subscribe(cancelPrefix+"*", func(m *nats.Msg) { w.cancelJob(strings.TrimPrefix(m.Subject, cancelPrefix)) })
	if err != nil {
		return err
	}
	defer sub.Unsubscribe() //nolint:errcheck
	var wg sync.WaitGroup
	for range o.Slots {
		wg.Go(func() {
			// A slot fetches its next task while the driver takes the last result
			// (at most one result in flight per slot), instead of idling for the
			// driver's answer.
			var replying sync.WaitGroup
			defer replying.Wait()
			for ctx.Err() == nil {
				fctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				batch, err := cons.Fetch(1, jetstream.FetchContext(fctx))
				if err != nil {
					cancel()
					if ctx.Err() == nil {
						w.logf("worker %s: fetching a task: %v", o.Name, err)
						time.Sleep(100 * time.Millisecond)
					}
					continue
				}
				for m := range batch.Messages() {
					w.handle(ctx, m, &replying)
				}
				cancel()
			}
		})
	}
	wg.Wait()
	w.closeJobs()
	return nil
}

type worker struct {
	o   WorkerOptions
	nc  *nats.Conn
	obj jetstream.ObjectStore

	mu        sync.Mutex
	jobs      map[string]*workerJob
	running   map[string]map[*context.CancelFunc]bool
	cancelled map[string]time.Time
}

// workerJob is a prepared job (or the error preparing it gave).
type workerJob struct {
	once  sync.Once
	wj    wireJob
	ds    dataset.Dataset
	prep  map[int]*udf.Prepared // by partition count
	prepM sync.Mutex
	us    []udf.UDF
	opts  udf.Options
	err   error
}

func (w *worker) logf(format string, args ...any) {
	if w.o.Log != nil {
		w.o.Log(format, args...)
	}
}

// cancelJob stops the running tasks of a job and forgets it.
func (w *worker) cancelJob(id string) {
	w.mu.Lock()
	w.cancelled[id] = time.Now()
	for c := range w.running[id] {
		(*c)()
	}
	j := w.jobs[id]
	delete(w.jobs, id)
	for k, t := range w.cancelled {
		if time.Since(t) > time.Hour {
			delete(w.cancelled, k)
		}
	}
	w.mu.Unlock()
	if j != nil {
		go func() {
			j.once.Do(func() {})
			if j.ds != nil {
				j.ds.Close()
			}
		}()
	}
}

func (w *worker) closeJobs() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for id, j := range w.jobs {
		j.once.Do(func() {})
		if j.ds != nil {
			j.ds.Close()
		}
		delete(w.jobs, id)
	}
}

// handle runs one task message. A successful result is sent, and the message
// settled, on a goroutine in replying, after the slot's previous reply is done.
func (w *worker) handle(ctx context.Context, m jetstream.Msg, replying *sync.WaitGroup) {
	var t wireTask
	if err := json.Unmarshal(m.Data(), &t); err != nil || t.Job == "" {
		w.logf("worker %s: undecodable task message on %s: terminating it", w.o.Name, m.Subject())
		_ = m.TermWithReason("undecodable")
		return
	}
	attempt := uint64(1)
	if md, err := m.Metadata(); err == nil {
		attempt = md.NumDelivered
	}
	if t.Protocol != ProtocolVersion {
		w.reply(ctx, m, t, attempt, nil, taskError(w.o.Name, t.Task.Partition, fmt.Errorf("%w: driver speaks protocol %d, worker %d", ErrVersion, t.Protocol, ProtocolVersion)))
		return
	}
	tctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w.mu.Lock()
	if _, gone := w.cancelled[t.Job]; gone {
		w.mu.Unlock()
		_ = m.TermWithReason("job cancelled")
		return
	}
	if w.running[t.Job] == nil {
		w.running[t.Job] = map[*context.CancelFunc]bool{}
	}
	w.running[t.Job][&cancel] = true
	j := w.jobs[t.Job]
	if j == nil {
		j = &workerJob{prep: map[int]*udf.Prepared{}}
		w.jobs[t.Job] = j
	}
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		delete(w.running[t.Job], &cancel)
		if len(w.running[t.Job]) == 0 {
			delete(w.running, t.Job)
		}
		w.mu.Unlock()
	}()
	// heartbeats keep the task ours while it runs
	hbDone := make(chan struct{})
	var hbWG sync.WaitGroup
	every := 10 * time.Second
	if t.AckWait > 0 {
		every = max(t.AckWait/3, 10*time.Millisecond)
	}
	hbWG.Go(func() {
		tk := time.NewTicker(every)
		defer tk.Stop()
		for {
			select {
			case <-hbDone:
				return
			case <-tk.C:
				_ = m.InProgress()
			}
		}
	})
	out, err := w.run(tctx, j, t)
	close(hbDone)
	hbWG.Wait()
	if tctx.Err() != nil {
		if ctx.Err() != nil {
			_ = m.Nak() // shutting down: another worker takes it now
		} else {
			_ = m.TermWithReason("job cancelled")
		}
		return
	}
	if err != nil {
		w.logf("worker %s: job %s partition %d: %v", w.o.Name, t.Job, t.Task.Partition, err)
		w.reply(ctx, m, t, attempt, nil, taskError(w.o.Name, t.Task.Partition, err))
		return
	}
	replying.Wait()
	replying.Go(func() { w.reply(ctx, m, t, attempt, out, nil) })
}

// run prepares the job (once) and runs the task.
func (w *worker) run(ctx context.Context, j *workerJob, t wireTask) ([][]array.Array, error) {
	j.once.Do(func() { j.err = w.prepare(ctx, j, t.Job) })
	if j.err != nil {
		return nil, j.err
	}
	j.prepM.Lock()
	p := j.prep[t.Task.Partitions]
	if p == nil {
		var err error
		if p, err = udf.Prepare(j.ds, j.us, j.opts, t.Task.Partitions); err != nil {
			j.prepM.Unlock()
			return nil, err
		}
		j.prep[t.Task.Partitions] = p
	}
	j.prepM.Unlock()
	return p.RunPartition(ctx, t.Task)
}

// prepare fetches the job, checks it, opens the dataset and builds the UDFs.
func (w *worker) prepare(ctx context.Context, j *workerJob, id string) error {
	b, err := w.obj.GetBytes(ctx, "job."+id)
	if err != nil {
		return fmt.Errorf("cluster: fetching job %s: %w", id, err)
	}
	if err := json.Unmarshal(b, &j.wj); err != nil {
		return fmt.Errorf("cluster: job %s: %w", id, err)
	}
	wj := &j.wj
	if wj.Protocol != ProtocolVersion {
		return fmt.Errorf("%w: driver speaks protocol %d, worker %d", ErrVersion, wj.Protocol, ProtocolVersion)
	}
	if err := w.checkPath(wj.Dataset.Path); err != nil {
		return err
	}
	dopts := wj.Dataset.Options
	if dopts.IO == "" || dopts.IO == dataset.IOAuto {
		// The driver left the I/O method to the worker: choose it for this worker's
		// task slots, as a local run does for its workers (pread on small machines,
		// where a fresh mapping per job would fault in every page of its partitions).
		dopts.IO, dopts.Populate = dataset.ChooseIO(min(w.o.Slots, runtime.GOMAXPROCS(0)))
	}
	ds, err := dataset.Open(wj.Dataset.Format, wj.Dataset.Path, dopts)
	if err != nil {
		return err
	}
	j.ds = ds
	for _, n := range wj.Backends {
		be, err := backends.Parse(n)
		if err != nil {
			return err
		}
		j.opts.Backends = append(j.opts.Backends, be)
	}
	j.opts.CheckInput = wj.CheckInput
	j.opts.Workers = 1
	if wj.ROI != "" {
		a, err := w.blob(ctx, wj.ROI)
		if err != nil {
			return err
		}
		j.opts.ROI = a
	}
	for i, u := range wj.UDFs {
		arrays := map[string]array.Array{}
		for name, ref := range u.Arrays {
			if arrays[name], err = w.blob(ctx, ref); err != nil {
				return err
			}
		}
		uu, err := w.o.Registry.build(u, arrays, ds.Shape())
		if err != nil {
			return fmt.Errorf("udf %d: %w", i, err)
		}
		j.us = append(j.us, uu)
	}
	return nil
}

// blob fetches a content-addressed array and checks its address.
func (w *worker) blob(ctx context.Context, name string) (array.Array, error) {
	b, err := w.obj.GetBytes(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("cluster: fetching %s: %w", name, err)
	}
	if blobName(b) != name {
		return nil, fmt.Errorf("%w: object %s has SHA-256 %s", ErrChecksum, name, blobName(b))
	}
	return readNPYBytes(b)
}

// checkPath refuses dataset paths outside the data root.
func (w *worker) checkPath(path string) error {
	if w.o.DataRoot == "" {
		return nil
	}
	p, err := filepath.Abs(path)
	if err == nil {
		if r, e := filepath.EvalSymlinks(p); e == nil {
			p = r
		}
	}
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrDataRoot, path, err)
	}
	rel, err := filepath.Rel(w.o.DataRoot, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return fmt.Errorf("%w: %s is not inside %s", ErrDataRoot, path, w.o.DataRoot)
	}
	return nil
}

// reply sends a result or an error to the driver and settles the message.
func (w *worker) reply(ctx context.Context, m jetstream.Msg, t wireTask, attempt uint64, out [][]array.Array, terr *TaskError) {
	hdr := wireResult{Job: t.Job, Partition: t.Task.Partition, Attempt: attempt, Worker: w.o.Name, Err: terr}
	var payload []byte
	if out != nil {
		bufs, p, err := encodeBuffers(out)
		if err != nil {
			hdr.Err = taskError(w.o.Name, t.Task.Partition, err)
		} else {
			hdr.Bufs, hdr.Size, payload = bufs, len(p), p
		}
	}
	// the driver's limit, unless this worker's server takes less
	limit := inlineLimit(0, w.nc.MaxPayload())
	if t.Inline > 0 {
		limit = min(t.Inline, int(w.nc.MaxPayload()-64<<10))
	}
	if len(payload) > limit {
		hdr.Object = fmt.Sprintf("result.%s.%d.%d", t.Job, t.Task.Partition, attempt)
		if _, err := w.obj.PutBytes(ctx, hdr.Object, payload); err != nil {
			_ = m.Nak()
			return
		}
		payload = nil
	}
	msg, err := frame(hdr, payload)
	if err != nil {
		_ = m.Nak()
		return
	}
	rctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	resp, err := w.nc.RequestWithContext(rctx, resultPrefix+t.Job, msg)
	answer := ""
	if err == nil {
		answer = string(resp.Data)
	}
	switch {
	case answer == "ok":
		_ = m.Ack()
		return
	case answer == "retry" || (err != nil && !errors.Is(err, nats.ErrNoResponders)):
		_ = m.Nak()
	case answer == "dup":
		_ = m.Ack()
	default: // "stop" or no driver listening any more
		_ = m.TermWithReason("driver gone")
	}
	if hdr.Object != "" {
		_ = w.obj.Delete(context.WithoutCancel(ctx), hdr.Object)
	}
}
