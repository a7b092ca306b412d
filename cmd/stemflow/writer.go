package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/internal/render"
	"github.com/stemflow/stemflow/udf"
)

// writer stages the files of a run's results concurrently: every .npy and every
// picture is its own task, run by at most GOMAXPROCS worker goroutines (started
// when tasks are queued, ended when the queue is empty) while the caller goes on
// (the pick runs). Pictures, the larger tasks, are taken before .npy files so
// that the cores finish together. File contents do not depend on the order.
type writer struct {
	ctx context.Context
	out *outputs
	opt render.Options
	bar *progress // counts finished files; nil = no bar

	wg      sync.WaitGroup
	mu      sync.Mutex
	err     error
	done    int
	want    int
	workers int         // running worker goroutines
	pics    []writeTask // queued pictures
	others  []writeTask // queued .npy files
	// files[i] are the staged files (relative to the output folder) of spec i.
	files [][]string
}

// writeTask stages file rel with f (given the staging path).
type writeTask struct {
	rel string
	f   func(path string) error
}

func newWriter(ctx context.Context, out *outputs, opt render.Options, specs int) *writer {
	return &writer{ctx: ctx, out: out, opt: opt, files: make([][]string, specs)}
}

// fail records the first error.
func (w *writer) fail(err error) {
	w.mu.Lock()
	if w.err == nil {
		w.err = err
	}
	w.mu.Unlock()
}

// task queues f for file rel of spec i (a picture when pic) and starts a worker
// if fewer than GOMAXPROCS run.
func (w *writer) task(i int, rel string, pic bool, f func(path string) error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.files[i] = append(w.files[i], rel)
	w.want++
	w.bar.setTotal(int64(w.want))
	if pic {
		w.pics = append(w.pics, writeTask{rel, f})
	} else {
		w.others = append(w.others, writeTask{rel, f})
	}
	if w.workers < runtime.GOMAXPROCS(0) {
		w.workers++
		w.wg.Add(1)
		go w.work()
	}
}

// work runs queued tasks until the queue is empty.
func (w *writer) work() {
	defer w.wg.Done()
	for {
		w.mu.Lock()
		var t writeTask
		switch {
		case len(w.pics) > 0:
			t, w.pics = w.pics[0], w.pics[1:]
		case len(w.others) > 0:
			t, w.others = w.others[0], w.others[1:]
		default:
			w.workers--
			w.mu.Unlock()
			return
		}
		failed := w.err != nil
		w.mu.Unlock()
		if failed {
			continue // drain the queue
		}
		if err := w.ctx.Err(); err != nil {
			w.fail(err)
			continue
		}
		p, err := w.out.path(t.rel)
		if err == nil {
			err = t.f(p)
		}
		if err != nil {
			w.fail(err)
			continue
		}
		w.mu.Lock()
		w.done++
		w.bar.set(int64(w.done))
		w.mu.Unlock()
	}
}

// spec queues every file of spec s (index i) with result r.
func (w *writer) spec(i int, s udfSpec, r *udf.Result) {
	if r == nil {
		w.fail(fmt.Errorf("%w for %s", errNoResult, s.Text))
		return
	}
	// the colour-wheel picture first: the costliest file (a direction and a
	// colour per pixel of the wheel)
	if s.Kind == "com" {
		fy, fx := r.Get("field_y"), r.Get("field_x")
		if fy != nil && fx != nil && fieldPictureOK(fy.Data(), fx.Data()) {
			w.task(i, filepath.Join(s.Dir, "field.png"), true, func(p string) error {
				err := writeStaged(p, func(out io.Writer) error {
					return encodeFieldPicture(out, fy.Data(), fx.Data(), w.opt)
				})
				if err != nil {
					return fmt.Errorf("%s: field picture: %w", s.Text, err)
				}
				return nil
			})
		}
	}
	for _, name := range r.Names() {
		data := r.Get(name).Data()
		w.task(i, filepath.Join(s.Dir, name+".npy"), false, func(p string) error {
			if err := writeStagedNPY(p, data); err != nil {
				return fmt.Errorf("%s: %w", s.Text, err)
			}
			return nil
		})
		jobs, err := bufferPictureJobs(name, data, w.opt)
		if err != nil {
			w.fail(fmt.Errorf("%s: %w", s.Text, err))
			return
		}
		for _, j := range jobs {
			w.task(i, filepath.Join(s.Dir, j.file), true, func(p string) error {
				if err := writeStaged(p, j.encode); err != nil {
					return fmt.Errorf("%s: %w", s.Text, err)
				}
				return nil
			})
		}
	}
}

// wait waits for every task and returns the staged files of each spec, sorted, or
// the first error.
func (w *writer) wait() ([][]string, error) {
	w.wg.Wait()
	if w.err != nil {
		return nil, w.err
	}
	for _, f := range w.files {
		sort.Strings(f)
	}
	return w.files, nil
}

// npyBufs keeps the buffers small .npy files are assembled in between files (one
// Write per file, no buffer faulted in per file).
var npyBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// npyWhole is the largest .npy file (header included, estimated) assembled in
// memory before it is written; larger ones stream through a bufio.Writer.
const npyWhole = 4 << 20

// writeStagedNPY writes a into a new staged file. No fsync and no temporary name: the
// staging folder is the temporary name of every file of the run.
func writeStagedNPY(path string, a array.Array) error {
	size := int64(a.Size())*int64(a.DType().ItemSize()) + 4096
	if size > npyWhole {
		return writeStaged(path, func(w io.Writer) error {
			bw := bufio.NewWriterSize(w, 1<<20)
			if err := array.WriteNPY(bw, a); err != nil {
				return fmt.Errorf("npy file %s: %w", path, err)
			}
			return bw.Flush()
		})
	}
	buf := npyBufs.Get().(*bytes.Buffer)
	defer npyBufs.Put(buf)
	buf.Reset()
	buf.Grow(int(size)) // once, not by doubling (each growth is fresh memory)
	if err := array.WriteNPY(buf, a); err != nil {
		return fmt.Errorf("npy file %s: %w", path, err)
	}
	return writeStaged(path, func(w io.Writer) error {
		_, err := w.Write(buf.Bytes())
		return err
	})
}

// writeStaged creates the new staged file path (it must not exist) and lets write
// fill it. No fsync and no temporary name: the staging folder is the temporary
// name of every file of the run, and a failed run removes it whole.
func writeStaged(path string, write func(w io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
