package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/udf"
)

// Config is the delivery policy of the work queue. The driver sets it on the shared
// consumer; a worker that finds no consumer creates one with its own Config.
type Config struct {
	// AckWait is how long a task may go without a worker heartbeat before JetStream
	// redelivers it (0: 30 s). Workers send heartbeats at a third of it.
	AckWait time.Duration
	// MaxDeliver bounds deliveries per task (0: 3); a task delivered that often
	// without a result fails the run with ErrPoisonTask.
	MaxDeliver int
	// Slots is how many tasks a driver keeps in flight (0: 64).
	Slots int
	// InlineLimit is the largest result payload sent inline in the result message
	// (0: the server's largest message less 64 KiB for the header, at most 4 MiB:
	// 960 KiB on a default nats-server, 4 MiB on `stemflow server`); larger ones go
	// through the Object Store (a chunked put, a get and a delete: several round
	// trips per task).
	InlineLimit int
	// PartitionBytes is the stored bytes per partition a run without a partition
	// count (Options.NumPartitions 0 and no num_partitions open option) is cut into
	// (0: DefaultPartitionBytes); the count is then raised to at least 4 tasks per
	// idle worker slot the server sees, and rounded up to a multiple of those slots.
	PartitionBytes int
	// Replicas is the stream's and bucket's replica count on a server cluster (0: 1).
	Replicas int
}

func (c Config) withDefaults() Config {
	if c.AckWait <= 0 {
		c.AckWait = 30 * time.Second
	}
	if c.MaxDeliver <= 0 {
		c.MaxDeliver = 3
	}
	if c.Slots <= 0 {
		c.Slots = 64
	}
	if c.PartitionBytes <= 0 {
		c.PartitionBytes = DefaultPartitionBytes
	}
	if c.Replicas <= 0 {
		c.Replicas = 1
	}
	return c
}

// DefaultPartitionBytes is Config.PartitionBytes's default. 64 MiB partitions give
// every worker several tasks, so a fast worker takes more of them than a slow or
// busy one (the local default, 512 MiB and a multiple of the driver's cores, hands
// a 1 GiB file to two tasks), while keeping the per-task cost on the server and the
// driver small: each task's partial buffers travel worker → server → driver and are
// decoded and merged there (StdDev of 128×128 frames: 256 KiB and about 3 ms of
// server and driver CPU per task, against about 30 ms of worker CPU for 64 MiB).
const DefaultPartitionBytes = 64 << 20

// maxInline caps the default InlineLimit.
const maxInline = 4 << 20

// inlineLimit is cfg's InlineLimit, or its default for a connection whose server
// accepts messages of up to maxPayload bytes.
func inlineLimit(cfg int, maxPayload int64) int {
	if cfg > 0 {
		return cfg
	}
	return int(max(64<<10, min(maxInline, maxPayload-64<<10)))
}

// remotePartitions is the partition count of a remote run over bytes stored bytes
// and frames frames with slots idle worker slots: bytes/per rounded up, at least 4
// per slot, a multiple of the slots, at most frames (at least 1).
func remotePartitions(bytes int64, frames, slots, per int) int {
	n := int((bytes + int64(per) - 1) / int64(per))
	s := max(slots, 1)
	n = max(n, 4*s)
	n = (n + s - 1) / s * s
	return max(1, min(n, frames))
}

// ErrPoisonTask is the error of a task that JetStream delivered MaxDeliver times
// without any worker returning a result (workers crashed or hung on it).
var ErrPoisonTask = errors.New("cluster: poison task")

// ErrJobClosed is the error of RunTask on a Job that was closed or cancelled.
var ErrJobClosed = errors.New("cluster: job closed or cancelled")

// setup makes sure the stream, the consumer and the bucket exist. With update, the
// consumer's delivery policy is set to cfg.
func setup(ctx context.Context, js jetstream.JetStream, cfg Config, update bool) (jetstream.Stream, jetstream.Consumer, jetstream.ObjectStore, error) {
	st, err := js.Stream(ctx, StreamName)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		st, err = js.CreateStream(ctx, jetstream.StreamConfig{
			Name: StreamName, Subjects: []string{taskPrefix + ">"}, Retention: jetstream.WorkQueuePolicy,
			Storage: jetstream.FileStorage, Replicas: cfg.Replicas,
		})
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			st, err = js.Stream(ctx, StreamName)
		}
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("cluster: stream %s: %w", StreamName, err)
	}
	ccfg := jetstream.ConsumerConfig{
		Durable: ConsumerName, AckPolicy: jetstream.AckExplicitPolicy, AckWait: cfg.AckWait,
		MaxDeliver: cfg.MaxDeliver, MaxAckPending: -1, MaxWaiting: 4096, FilterSubject: taskPrefix + ">",
	}
	var cons jetstream.Consumer
	if update {
		cons, err = st.CreateOrUpdateConsumer(ctx, ccfg)
	} else if cons, err = st.Consumer(ctx, ConsumerName); errors.Is(err, jetstream.ErrConsumerNotFound) {
		cons, err = st.CreateOrUpdateConsumer(ctx, ccfg)
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("cluster: consumer %s: %w", ConsumerName, err)
	}
	obj, err := js.ObjectStore(ctx, BucketName)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		obj, err = js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: BucketName, TTL: 24 * time.Hour, Replicas: cfg.Replicas})
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("cluster: object store %s: %w", BucketName, err)
	}
	return st, cons, obj, nil
}

// Client is a driver's connection to a cluster.
type Client struct {
	nc     *nats.Conn
	js     jetstream.JetStream
	cfg    Config
	stream jetstream.Stream
	cons   jetstream.Consumer
	obj    jetstream.ObjectStore
}

// IdleSlots is how many worker task slots wait for a task now: the pull requests
// waiting on the work queue's consumer (each idle slot keeps one). Slots busy with
// another run's tasks are not counted.
func (c *Client) IdleSlots(ctx context.Context) (int, error) {
	info, err := c.cons.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("cluster: consumer %s: %w", ConsumerName, err)
	}
	return info.NumWaiting, nil
}

// NewClient prepares the work queue on the server behind nc and sets its delivery
// policy to cfg. The caller keeps owning nc.
func NewClient(ctx context.Context, nc *nats.Conn, cfg Config) (*Client, error) {
	cfg = cfg.withDefaults()
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	st, cons, obj, err := setup(ctx, js, cfg, true)
	if err != nil {
		return nil, err
	}
	cfg.InlineLimit = inlineLimit(cfg.InlineLimit, nc.MaxPayload())
	return &Client{nc: nc, js: js, cfg: cfg, stream: st, cons: cons, obj: obj}, nil
}

// RunSpec is a remote run: the dataset every worker opens, the UDFs by name, and the
// run options (Workers, NumPartitions, ROI, Backends, CheckInput, Window, Progress
// and Inline apply as locally).
type RunSpec struct {
	Dataset DatasetSpec
	UDFs    []UDFSpec
	Options udf.Options
}

// Job is a remote run ready to compute: pass Dataset, UDFs and Options to udf.Run,
// udf.RunIter or udf.RunLazy (Options.Remote is the Job). Close it when done.
type Job struct {
	c    *Client
	id   string
	ds   dataset.Dataset
	us   []udf.UDF
	opts udf.Options

	subs []*nats.Subscription

	mu      sync.Mutex
	waiters map[int]*waiter // by partition index
	seqs    map[uint64]int  // stream sequence → partition
	dead    error           // set when cancelled or closed
	closed  bool
	done    map[string]int // results taken, by worker name
}

type waiter struct {
	ch     chan result
	filled bool
}

type result struct {
	hdr     wireResult
	payload []byte
	msg     *nats.Msg // nil for advisories
	err     error
}

// Open opens the dataset (the driver reads its header, not its data), builds the UDFs
// from reg exactly as workers will, and uploads the job.
func (c *Client) Open(ctx context.Context, reg *Registry, spec RunSpec) (*Job, error) {
	ds, err := dataset.Open(spec.Dataset.Format, spec.Dataset.Path, spec.Dataset.Options)
	if err != nil {
		return nil, err
	}
	j := &Job{c: c, id: nuid.Next(), ds: ds, opts: spec.Options, waiters: map[int]*waiter{}, seqs: map[uint64]int{}, done: map[string]int{}}
	fail := func(err error) (*Job, error) {
		j.Close()
		return nil, err
	}
	if j.opts.NumPartitions == 0 && !ownPartitions(ds) {
		slots, err := c.IdleSlots(ctx)
		if err != nil {
			return fail(err)
		}
		shape := ds.Shape()
		j.opts.NumPartitions = remotePartitions(int64(shape.Size())*int64(ds.DType().ItemSize()), shape.NavSize(), slots, c.cfg.PartitionBytes)
	}
	wj := wireJob{Protocol: ProtocolVersion, ID: j.id, Dataset: spec.Dataset, CheckInput: spec.Options.CheckInput,
		AckWait: c.cfg.AckWait, Inline: c.cfg.InlineLimit}
	for _, b := range spec.Options.Backends {
		wj.Backends = append(wj.Backends, b.String())
	}
	if spec.Options.ROI != nil {
		m, ok := spec.Options.ROI.(*array.Dense[bool])
		if !ok {
			return fail(fmt.Errorf("%w: roi is a %v array, want a dense bool array", udf.ErrROIShape, spec.Options.ROI.DType()))
		}
		if m != nil {
			if wj.ROI, err = c.putBlob(ctx, m.Copy()); err != nil {
				return fail(err)
			}
		}
	}
	for i, s := range spec.UDFs {
		e, err := reg.lookup(s.Name)
		if err != nil {
			return fail(fmt.Errorf("udf %d: %w", i, err))
		}
		p, err := json.Marshal(s.Params)
		if err != nil {
			return fail(fmt.Errorf("cluster: udf %d (%s): parameters: %w", i, s.Name, err))
		}
		w := wireUDF{Name: s.Name, Version: e.version, Params: p, Arrays: map[string]string{}}
		for name, a := range s.Arrays {
			if w.Arrays[name], err = c.putBlob(ctx, a); err != nil {
				return fail(err)
			}
		}
		// Build from the wire form, as workers do, so both sides see the same UDF.
		arrays := make(map[string]array.Array, len(s.Arrays))
		for name, a := range s.Arrays {
			b, err := npyBytes(a)
			if err != nil {
				return fail(err)
			}
			if arrays[name], err = readNPYBytes(b); err != nil {
				return fail(err)
			}
		}
		u, err := reg.build(w, arrays, ds.Shape())
		if err != nil {
			return fail(fmt.Errorf("udf %d: %w", i, err))
		}
		j.us = append(j.us, u)
		wj.UDFs = append(wj.UDFs, w)
	}
	jb, err := json.Marshal(wj)
	if err != nil {
		return fail(err)
	}
	if _, err := c.obj.PutBytes(ctx, "job."+j.id, jb); err != nil {
		return fail(fmt.Errorf("cluster: uploading job: %w", err))
	}
	sub, err := c.nc.Subscribe(resultPrefix+j.id, j.onResult)
	if err != nil {
		return fail(err)
	}
	j.subs = append(j.subs, sub)
	adv := fmt.Sprintf("$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.%s.%s", StreamName, ConsumerName)
	if sub, err = c.nc.Subscribe(adv, j.onMaxDeliveries); err != nil {
		return fail(err)
	}
	j.subs = append(j.subs, sub)
	if err := c.nc.Flush(); err != nil {
		return fail(err)
	}
	j.opts.Remote = j
	return j, nil
}

// ownPartitions reports whether ds brings its own partition count (a num_partitions
// open option), which a run without NumPartitions uses as locally.
func ownPartitions(ds dataset.Dataset) bool {
	pc, ok := ds.(dataset.PartitionCounter)
	return ok && pc.DefaultPartitions(1) > 0
}

// putBlob uploads an array as .npy under its content address.
func (c *Client) putBlob(ctx context.Context, a array.Array) (string, error) {
	b, err := npyBytes(a)
	if err != nil {
		return "", err
	}
	name := blobName(b)
	if _, err := c.obj.GetInfo(ctx, name); err == nil {
		return name, nil
	}
	if _, err := c.obj.PutBytes(ctx, name, b); err != nil {
		return "", fmt.Errorf("cluster: uploading %s: %w", name, err)
	}
	return name, nil
}

// Workers returns how many task results each worker delivered (by worker name).
func (j *Job) Workers() map[string]int {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make(map[string]int, len(j.done))
	for k, v := range j.done {
		out[k] = v
	}
	return out
}

// ID is the job's id (in subjects and object names).
func (j *Job) ID() string { return j.id }

// Dataset is the driver's copy of the dataset.
func (j *Job) Dataset() dataset.Dataset { return j.ds }

// UDFs are the UDFs built from the specs.
func (j *Job) UDFs() []udf.UDF { return j.us }

// Options are the run options with Remote set to the job.
func (j *Job) Options() udf.Options { return j.opts }

// Slots implements udf.TaskRunner.
func (j *Job) Slots() int { return j.c.cfg.Slots }

// RunTask implements udf.TaskRunner: it queues the task and waits for its result.
func (j *Job) RunTask(ctx context.Context, t udf.RemoteTask) ([][]array.Array, error) {
	w := &waiter{ch: make(chan result, 1)}
	j.mu.Lock()
	if j.dead != nil {
		err := j.dead
		j.mu.Unlock()
		return nil, err
	}
	j.waiters[t.Partition] = w
	j.mu.Unlock()
	defer func() {
		j.mu.Lock()
		if j.waiters[t.Partition] == w {
			delete(j.waiters, t.Partition)
		}
		// A result that arrived after this task gave up (the run was cancelled) is
		// still answered, so its worker does not wait for a reply that never comes.
		// onResult sends under j.mu, so nothing can arrive after the delete above.
		select {
		case r := <-w.ch:
			if r.msg != nil {
				_ = r.msg.Respond([]byte("stop"))
			}
		default:
		}
		j.mu.Unlock()
	}()
	b, err := json.Marshal(wireTask{Protocol: ProtocolVersion, Job: j.id, Task: t, AckWait: j.c.cfg.AckWait, Inline: j.c.cfg.InlineLimit})
	if err != nil {
		return nil, err
	}
	ack, err := j.c.js.Publish(ctx, taskPrefix+j.id, b)
	if err != nil {
		if ctx.Err() != nil {
			j.withdraw(ctx.Err())
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("cluster: queueing partition %d: %w", t.Partition, err)
	}
	j.mu.Lock()
	j.seqs[ack.Sequence] = t.Partition
	j.mu.Unlock()
	select {
	case <-ctx.Done():
		j.withdraw(ctx.Err())
		return nil, ctx.Err()
	case r := <-w.ch:
		return j.finish(ctx, t, r)
	}
}

// finish turns a result into buffers and answers the worker.
func (j *Job) finish(ctx context.Context, t udf.RemoteTask, r result) (out [][]array.Array, err error) {
	reply := "ok"
	defer func() {
		if r.msg != nil {
			_ = r.msg.Respond([]byte(reply))
		}
	}()
	if r.err != nil {
		return nil, r.err
	}
	if r.hdr.Err != nil {
		return nil, r.hdr.Err
	}
	payload := r.payload
	if r.hdr.Object != "" {
		if payload, err = j.c.obj.GetBytes(ctx, r.hdr.Object); err != nil {
			reply = "retry"
			return nil, fmt.Errorf("cluster: partition %d: fetching result %s: %w", t.Partition, r.hdr.Object, err)
		}
		defer j.c.obj.Delete(context.WithoutCancel(ctx), r.hdr.Object) //nolint:errcheck // TTL removes leftovers
	}
	if len(payload) != r.hdr.Size {
		return nil, fmt.Errorf("%w: partition %d: %d result bytes, header says %d", ErrChecksum, t.Partition, len(payload), r.hdr.Size)
	}
	out, err = decodeBuffers(r.hdr.Bufs, payload)
	if err != nil {
		return nil, fmt.Errorf("partition %d from worker %s: %w", t.Partition, r.hdr.Worker, err)
	}
	j.mu.Lock()
	j.done[r.hdr.Worker]++
	j.mu.Unlock()
	return out, nil
}

// onResult hands a worker's result to the waiting task (first result wins).
func (j *Job) onResult(m *nats.Msg) {
	var r result
	r.msg = m
	payload, err := unframe(m.Data, &r.hdr)
	if err != nil {
		_ = m.Respond([]byte("dup"))
		return
	}
	r.payload = payload
	j.mu.Lock()
	w := j.waiters[r.hdr.Partition]
	dead := j.dead != nil
	if w == nil || w.filled || r.hdr.Job != j.id {
		j.mu.Unlock()
		if dead {
			_ = m.Respond([]byte("stop"))
		} else {
			_ = m.Respond([]byte("dup"))
		}
		return
	}
	w.filled = true
	w.ch <- r // buffered and filled once: never blocks
	j.mu.Unlock()
}

// onMaxDeliveries fails the task JetStream gave up on.
func (j *Job) onMaxDeliveries(m *nats.Msg) {
	var a struct {
		StreamSeq  uint64 `json:"stream_seq"`
		Deliveries uint64 `json:"deliveries"`
	}
	if json.Unmarshal(m.Data, &a) != nil {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	p, ok := j.seqs[a.StreamSeq]
	if !ok {
		return
	}
	w := j.waiters[p]
	if w == nil || w.filled {
		return
	}
	w.filled = true
	w.ch <- result{err: fmt.Errorf("%w: partition %d was delivered %d times and no worker returned a result (workers crashed or stalled on it)", ErrPoisonTask, p, a.Deliveries)}
}

// withdraw marks the job dead, purges its queued tasks and tells workers to stop
// its running ones. Only the first call does anything.
func (j *Job) withdraw(cause error) {
	j.mu.Lock()
	if j.dead != nil {
		j.mu.Unlock()
		return
	}
	j.dead = fmt.Errorf("%w: %v", ErrJobClosed, cause)
	j.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = j.c.stream.Purge(ctx, jetstream.WithPurgeSubject(taskPrefix+j.id))
	_ = j.c.nc.Publish(cancelPrefix+j.id, nil)
	_ = j.c.nc.Flush()
}

// Close withdraws the job's tasks, stops listening for results, deletes the job
// object and closes the driver's dataset.
func (j *Job) Close() error {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return nil
	}
	j.closed = true
	j.mu.Unlock()
	j.withdraw(errors.New("closed"))
	for _, s := range j.subs {
		_ = s.Unsubscribe()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = j.c.obj.Delete(ctx, "job."+j.id)
	if j.ds != nil {
		return j.ds.Close()
	}
	return nil
}

// Run is Open, udf.Run and Close: it runs spec on the cluster's workers.
func Run(ctx context.Context, c *Client, reg *Registry, spec RunSpec) ([]*udf.Result, error) {
	j, err := c.Open(ctx, reg, spec)
	if err != nil {
		return nil, err
	}
	defer j.Close()
	return udf.Run(ctx, j.Dataset(), j.UDFs(), j.Options())
}

// workerName is the default name of a worker: host and process id.
func workerName(host string, pid int) string {
	return strings.ReplaceAll(fmt.Sprintf("%s-%d", host, pid), ".", "_")
}
