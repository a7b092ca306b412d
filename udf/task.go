package udf

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"runtime/debug"
	"slices"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/backends"
	"github.com/stemflow/stemflow/dataset"
)

// partial is one task's output: per UDF, the partition buffers in declaration order
// (nil for result-only buffers).
type partial [][]array.Array

// udfTask is the state of one UDF within one task.
type udfTask struct {
	ur       *udfRun
	env      *Env
	meta     *Meta
	bufs     []array.Array
	views    []view // nil for result-only
	auxViews []view
	frame    view // input frame view (frame method)
	// boxCache holds, per sig buffer and scheme box, a contiguous copy of the box for
	// boxes that are not contiguous in the buffer; written back by flush.
	boxCache [][]array.Array
	nBoxes   int
	frameDT  array.DType
	frameSl  array.Slice
	tileP    TileProcessor
	frameP   FrameProcessor
	partP    PartitionProcessor
}

// cursor names the UDF and method running (u < 0: none), and whether the dataset's
// ReadTiles is on the stack.
type cursor struct {
	u       int
	method  string
	reading bool
}

func panicErr(p any) error {
	return &PanicError{Value: p, Stack: debug.Stack()}
}

// runTask runs every UDF of the run over task ti and returns the
// partition buffers.
func (r *run) runTask(ctx context.Context, ti int) (out partial, err error) {
	tk := r.tasks[ti]
	cur := cursor{u: -1, method: "setup"}
	uts := make([]*udfTask, len(r.us))
	wrap := func(e error) error {
		if cur.u < 0 {
			return e
		}
		if ut := uts[cur.u]; ut != nil && ut.env.err != nil {
			e = ut.env.err // a failed buffer access is the cause of what followed it
		}
		if _, ok := e.(*ConvertError); ok {
			return e
		}
		var ue *UDFError
		if errors.As(e, &ue) {
			return e
		}
		ur := r.us[cur.u]
		return &UDFError{UDF: ur.name, Index: ur.idx, Partition: tk.part.Index, Method: cur.method, Err: e}
	}
	defer func() {
		if p := recover(); p != nil {
			if addr, ok := memoryFault(p); ok && cur.reading {
				// A fault on memory the dataset handed out (a mapped file that
				// shrank while it was read), not a bug of the UDF that touched it.
				err = r.faultError(tk, addr, p)
			} else {
				err = wrap(panicErr(p))
			}
			out = nil
		}
		// Cleanup always runs for the UDFs that were set up.
		for i, ut := range uts {
			if ut == nil {
				continue
			}
			if c, ok := ut.ur.u.(Cleaner); ok {
				ut.wholeViews(tk)
				cur = cursor{u: i, method: "Cleanup"}
				if cerr := callSafe(func() error { return c.Cleanup(ut.env) }); cerr != nil && err == nil {
					err = wrap(cerr)
					out = nil
				}
			}
		}
	}()
	for i, ur := range r.us {
		cur = cursor{u: i, method: "ResultBuffers"}
		ut, err := r.setupUDF(ur, tk)
		if err != nil {
			return nil, wrap(err)
		}
		uts[i] = ut
		if td, ok := ur.u.(TaskDataMaker); ok {
			cur.method = "TaskData"
			v, err := td.TaskData(ut.env)
			if err == nil {
				err = ut.env.Err()
			}
			if err != nil {
				return nil, wrap(err)
			}
			ut.env.taskData = v
		}
		if pp, ok := ur.u.(Preprocessor); ok {
			cur.method = "Preprocess"
			if err := pp.Preprocess(ut.env); err != nil || ut.env.err != nil {
				return nil, wrap(err)
			}
		}
	}
	var seed maphash.Seed
	if r.opts.CheckInput {
		seed = maphash.MakeSeed()
	}
	fullSig := r.sigFull()
	req := dataset.TileRequest{Scheme: r.scheme, ROI: r.roi, DType: r.input, Format: r.srcFormat}
	var conv backends.TileConverter
	if r.convert || r.srcFormat != array.FormatDense {
		if conv, err = backends.NewConverterFor(r.input); err != nil {
			return nil, wrap(err)
		}
	}
	cur = cursor{u: -1, reading: true}
	frames := 0
	done := ctx.Done()
	read := r.ds.ReadTiles
	if dev, x := r.deviceExec(ctx); x != nil {
		read = r.deviceReader(dev, x, uts, tk, &cur) // the device path (falls back to the callback below)
	}
	err = read(ctx, tk.part, req, func(t *dataset.Tile) error {
		select {
		case <-done:
			return ctx.Err()
		default:
		}
		var sum uint64
		if r.opts.CheckInput {
			sum = checksum(seed, t.Data)
		}
		lo := t.Slice.Origin[0] - tk.lo
		depth := t.Slice.Shape.Dim(0)
		if conv != nil {
			conv.SetTile(t.Data, t.Slice.Shape.Dims())
		}
		for i, ut := range uts {
			cur.u = i
			m := ut.meta
			data := t.Data
			if conv != nil {
				var err error
				if data, err = conv.Get(ut.ur.backend); err != nil {
					return &ConvertError{From: r.srcFormat, To: ut.ur.backend, Err: err}
				}
			}
			switch ut.ur.method {
			case MethodTile:
				cur.method = "ProcessTile"
				ut.tileViews(lo, depth, t.SchemeIdx, r.boxes[t.SchemeIdx], r.boxContig[t.SchemeIdx])
				m.Slice = t.Slice
				m.SigSlice = r.scheme.Boxes[t.SchemeIdx]
				m.TilingSchemeIdx = t.SchemeIdx
				if err := ut.tileP.ProcessTile(ut.env, data); err != nil {
					return wrap(err)
				}
			case MethodFrame:
				cur.method = "ProcessFrame"
				if !fullSig[t.SchemeIdx] {
					return wrap(fmt.Errorf("%w: frame processing needs whole frames, the tile's signal box is %v of %v", ErrSigSlice, t.Slice.Sig().Shape, r.sig))
				}
				m.SigSlice = r.scheme.Boxes[t.SchemeIdx]
				m.TilingSchemeIdx = t.SchemeIdx
				o0 := t.Slice.Origin[0]
				if data.Format() != array.FormatDense {
					// 2-D backends: (1, prod(sig)) rows from the converter
					for f := 0; f < depth; f++ {
						fr, err := conv.Frame(data, f)
						if err != nil {
							return &ConvertError{From: r.srcFormat, To: ut.ur.backend, Err: err}
						}
						ut.frameRow(lo + f)
						ut.frameSl.Origin[0] = o0 + f
						m.Slice = ut.frameSl
						if err := ut.frameP.ProcessFrame(ut.env, fr); err != nil {
							return wrap(err)
						}
						if frames++; frames&15 == 0 {
							select {
							case <-done:
								return ctx.Err()
							default:
							}
						}
					}
					break
				}
				if ut.frame == nil || data.DType() != ut.frameDT {
					o := opsOf(data)
					if o == nil {
						return wrap(fmt.Errorf("%w: tile format %v", ErrSigSlice, data.Format()))
					}
					ut.frame = o.newView()
					ut.frameDT = data.DType()
				} else {
					ut.frame.setBase(data)
				}
				for f := 0; f < depth; f++ {
					ut.frameRow(lo + f)
					ut.frame.row(f)
					ut.frameSl.Origin[0] = o0 + f
					m.Slice = ut.frameSl
					if err := ut.frameP.ProcessFrame(ut.env, ut.frame.current()); err != nil {
						return wrap(err)
					}
					if frames++; frames&15 == 0 {
						select {
						case <-done:
							return ctx.Err()
						default:
						}
					}
				}
			case MethodPartition:
				cur.method = "ProcessPartition"
				if lo != 0 || depth != tk.n || !fullSig[t.SchemeIdx] {
					return wrap(fmt.Errorf("%w: partition processing needs the whole partition (%d frames, signal %v), got a tile %v", ErrSigSlice, tk.n, r.sig, t.Slice))
				}
				ut.wholeViews(tk)
				m.Slice = t.Slice
				m.SigSlice = r.scheme.Boxes[t.SchemeIdx]
				m.TilingSchemeIdx = t.SchemeIdx
				if err := ut.partP.ProcessPartition(ut.env, data); err != nil {
					return wrap(err)
				}
			}
			if ut.env.err != nil {
				return wrap(ut.env.err)
			}
			if r.opts.CheckInput && checksum(seed, t.Data) != sum {
				return wrap(fmt.Errorf("%w: tile %v", ErrTileModified, t.Slice))
			}
		}
		cur.u = -1
		return nil
	})
	cur.reading = false
	if err != nil {
		var ue *UDFError
		var ce *ConvertError
		var de *DatasetError
		switch {
		case errors.As(err, &ue):
			return nil, ue
		case errors.As(err, &ce):
			return nil, ce
		case errors.As(err, &de):
			return nil, de
		case ctx.Err() != nil && errors.Is(err, ctx.Err()):
			return nil, err
		}
		return nil, &DatasetError{Partition: tk.part.Index, Start: tk.part.Start(), Stop: tk.part.Stop(), Err: err}
	}
	out = make(partial, len(uts))
	for i, ut := range uts {
		if err := ut.flush(r.boxes); err != nil {
			return nil, wrap(err)
		}
		ut.wholeViews(tk)
		if pp, ok := ut.ur.u.(Postprocessor); ok {
			cur = cursor{u: i, method: "Postprocess"}
			if err := pp.Postprocess(ut.env); err != nil {
				return nil, wrap(err)
			}
		}
		if ut.env.err != nil {
			cur = cursor{u: i, method: "Postprocess"}
			return nil, wrap(ut.env.err)
		}
		// Cleanup right after this UDF's Postprocess, as the reference does.
		uts[i] = nil
		if c, ok := ut.ur.u.(Cleaner); ok {
			cur = cursor{u: i, method: "Cleanup"}
			if err := c.Cleanup(ut.env); err != nil {
				return nil, wrap(err)
			}
		}
		out[i] = ut.bufs
	}
	cur.u = -1
	return out, nil
}

// sigFull reports per scheme box whether it covers the whole signal.
func (r *run) sigFull() []bool {
	out := make([]bool, len(r.scheme.Boxes))
	for i, b := range r.scheme.Boxes {
		out[i] = true
		for a, rg := range b.Get() {
			if rg.Start != 0 || rg.Stop != r.sig[a] {
				out[i] = false
			}
		}
	}
	return out
}

func callSafe(f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = panicErr(p)
		}
	}()
	return f()
}

// setupUDF allocates one UDF's partition buffers, views and aux views for task tk.
func (r *run) setupUDF(ur *udfRun, tk task) (*udfTask, error) {
	m := r.meta.clone()
	m.Partition = tk.part.Index
	m.Slice = tk.slice
	m.partShape = tk.slice.Shape
	m.hasPartition = true
	m.coords = r.coords
	m.TileShape = r.scheme.Shape
	m.TilingScheme = r.scheme.Boxes
	m.ArrayBackend = ur.backend
	m.ThreadsPerWorker = 1
	if r.opts.Inline {
		m.ThreadsPerWorker = 0
	}
	specs, err := declare(ur, m)
	if err != nil {
		return nil, err
	}
	if len(specs) != len(ur.specs) {
		return nil, fmt.Errorf("%w: ResultBuffers declared %d buffers on the task, %d on the main node", ErrBadDeclaration, len(specs), len(ur.specs))
	}
	for j, s := range specs {
		if s.Name != ur.specs[j].Name || s.Kind != ur.specs[j].Kind || s.Use != ur.specs[j].Use || !slices.Equal(s.ExtraShape, ur.specs[j].ExtraShape) {
			return nil, fmt.Errorf("%w: ResultBuffers declared buffer %d as %q (%v, %v, extra %v) on the task, %q (%v, %v, extra %v) on the main node (the dtype may differ if it casts safely)", ErrBadDeclaration, j, s.Name, s.Kind, s.Use, s.ExtraShape, ur.specs[j].Name, ur.specs[j].Kind, ur.specs[j].Use, ur.specs[j].ExtraShape)
		}
	}
	ut := &udfTask{ur: ur, meta: m, nBoxes: len(r.boxes)}
	ut.tileP, _ = ur.u.(TileProcessor)
	ut.frameP, _ = ur.u.(FrameProcessor)
	ut.partP, _ = ur.u.(PartitionProcessor)
	ut.bufs = make([]array.Array, len(specs))
	ut.views = make([]view, len(specs))
	env := &Env{Meta: m, specs: specs, index: ur.index, views: make([]array.Array, len(specs))}
	for j, s := range specs {
		if s.Use == UseResultOnly {
			continue
		}
		b := array.New(s.DType, s.Shape(tk.n, r.sig)...)
		ut.bufs[j] = b
		ut.views[j] = opsOf(b).newView()
		env.views[j] = ut.views[j].current()
	}
	for _, a := range ur.aux {
		part := auxRows(a, tk, r.roi)
		v := opsOf(part).newView()
		ut.auxViews = append(ut.auxViews, v)
		env.aux = append(env.aux, a)
		env.auxViews = append(env.auxViews, v.current())
	}
	ut.env = env
	fs := make([]int, 1+len(r.sig))
	fs[0] = 1
	copy(fs[1:], r.sig)
	ut.frameSl = array.NewSlice(make([]int, 1+len(r.sig)), array.NewShape(fs, len(r.sig)))
	return ut, nil
}

// auxRows returns the partition's ROI-selected rows of aux data (a copy).
func auxRows(a *AuxData, tk task, roi []bool) array.Array {
	start, stop := tk.part.Start(), tk.part.Stop()
	var idx []int
	for i := start; i < stop; i++ {
		if roi == nil || roi[i] {
			idx = append(idx, i)
		}
	}
	return gatherRows(a.data, idx) // a copy: a UDF writing to it cannot reach the caller's array
}

// gatherRows returns rows idx of a (C-contiguous copy).
func gatherRows(a array.Array, idx []int) array.Array {
	shape := a.Shape()
	shape[0] = len(idx)
	out := array.New(a.DType(), shape...)
	o := opsOf(a)
	oo := opsOf(out)
	for j, i := range idx {
		if err := opsOf(oo.rows(j, j+1)).copyFrom(o.rows(i, i+1)); err != nil {
			panic(err) // same dtype and shape by construction
		}
	}
	return out
}

// tileViews points nav views at rows [lo, lo+n) and sig views at the tile's box:
// a view into the buffer when the box is contiguous there, else a cached contiguous
// copy of the box (written back by flush), so that reshaping a sig view never
// silently copies.
func (ut *udfTask) tileViews(lo, n, boxIdx int, box []array.Range, contiguous bool) {
	for j, v := range ut.views {
		if v == nil {
			continue
		}
		switch ut.env.specs[j].Kind {
		case KindNav:
			v.rows(lo, n)
		case KindSig:
			if !contiguous {
				ut.env.views[j] = ut.cachedBox(j, boxIdx, box)
				continue
			}
			v.box(box)
		default:
			continue
		}
		ut.env.views[j] = v.current()
	}
	for k, v := range ut.auxViews {
		v.rows(lo, n)
		ut.env.auxViews[k] = v.current()
	}
}

// cachedBox returns the contiguous copy of box boxIdx of sig buffer j.
func (ut *udfTask) cachedBox(j, boxIdx int, box []array.Range) array.Array {
	if ut.boxCache == nil {
		ut.boxCache = make([][]array.Array, len(ut.views))
	}
	if ut.boxCache[j] == nil {
		ut.boxCache[j] = make([]array.Array, ut.nBoxes)
	}
	if c := ut.boxCache[j][boxIdx]; c != nil {
		return c
	}
	src := opsOf(ut.bufs[j]).box(box)
	c := array.New(src.DType(), src.Shape()...)
	if err := opsOf(c).copyFrom(src); err != nil {
		panic(err) // same dtype and shape by construction
	}
	ut.boxCache[j][boxIdx] = c
	return c
}

// flush writes cached sig boxes back into the partition buffers.
func (ut *udfTask) flush(boxes [][]array.Range) error {
	for j, cs := range ut.boxCache {
		for b, c := range cs {
			if c == nil {
				continue
			}
			if err := opsOf(opsOf(ut.bufs[j]).box(boxes[b])).copyFrom(c); err != nil {
				return err
			}
		}
	}
	ut.boxCache = nil
	return nil
}

// frameRow points nav views at row i (sig and single views stay whole).
func (ut *udfTask) frameRow(i int) {
	for j, v := range ut.views {
		if v == nil || ut.env.specs[j].Kind != KindNav {
			continue
		}
		v.row(i)
		ut.env.views[j] = v.current()
	}
	for k, v := range ut.auxViews {
		v.row(i)
		ut.env.auxViews[k] = v.current()
	}
}

// wholeViews resets all views to the whole partition buffers.
func (ut *udfTask) wholeViews(tk task) {
	for j, v := range ut.views {
		if v == nil {
			continue
		}
		v.whole()
		ut.env.views[j] = v.current()
	}
	for k, v := range ut.auxViews {
		v.whole()
		ut.env.auxViews[k] = v.current()
	}
	ut.meta.Slice = tk.slice
	ut.meta.SigSlice = array.Slice{}
	ut.meta.TilingSchemeIdx = 0
}

// memoryFault reports whether a recovered panic is a memory fault at a real address
// (what debug.SetPanicOnFault turns a SIGBUS or SIGSEGV on a mapping into), and the
// address. Nil dereferences fault below 4096 and stay the UDF's.
func memoryFault(p any) (uintptr, bool) {
	e, ok := p.(interface {
		error
		Addr() uintptr
	})
	if !ok || e.Addr() < 4096 {
		return 0, false
	}
	return e.Addr(), true
}

// FaultExplainer is implemented by datasets that can say why reading their memory
// faulted (for example, a mapped file that shrank while it was read: its old and new
// size). The engine calls it when a memory fault at addr interrupts partition p; the
// error it returns becomes the DatasetError's Err.
type FaultExplainer interface {
	ExplainFault(p dataset.Partition, addr uintptr) error
}

// faultError is the DatasetError for a memory fault while task tk read its tiles.
func (r *run) faultError(tk task, addr uintptr, p any) error {
	var err error
	if fe, ok := r.ds.(FaultExplainer); ok {
		err = fe.ExplainFault(tk.part, addr)
	}
	if err == nil {
		err = fmt.Errorf("%w: memory fault at %#x reading the dataset's memory (%v); was the file truncated or changed while it was read?", ErrDataFault, addr, p)
	}
	return &DatasetError{Partition: tk.part.Index, Start: tk.part.Start(), Stop: tk.part.Stop(), Err: err}
}
