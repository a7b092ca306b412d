package udf

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"unsafe"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/backends/cuda"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/sched"
)

// Device is an accelerator a run may use: a scheduler lane whose slots each own one
// execution queue (a CUDA stream, or the CPU emulator in tests). A Device outlives runs:
// its queues keep their staging buffers and compiled kernels; close them when done.
type Device struct {
	// Name is the scheduler lane, "cuda:0".
	Name string
	// Execs are the device's queues, one per slot (stream); at least one.
	Execs []cuda.Exec
	// Only makes the run's partition tasks run on device lanes alone (round-robin over
	// the run's devices by partition) instead of being shared with the CPU workers.
	Only bool
	// Cache, when set, keeps the partitions this device reads in its memory for later
	// runs (see DeviceCache).
	Cache *DeviceCache
}

// DeviceTile is a tile in device memory, whole frames in C order.
type DeviceTile struct {
	// Exec is the queue holding the tile: launch the UDF's work there.
	Exec cuda.Exec
	// Data holds Frames × Pixels elements of Elem.
	Data cuda.Buf
	// Elem is the element type (the run's input dtype).
	Elem cuda.Elem
	// Frames is the tile's depth; Pixels the pixels of one frame.
	Frames, Pixels int
	// Lo is the partition-local (ROI-compressed) index of the tile's first frame: the
	// row of nav buffers its frames belong to.
	Lo int
}

// DeviceProcessor is implemented by UDFs that can process a partition on a device (the
// reference's cupy backend). When every UDF of a run implements it, the input dtype has
// device kernels and the tiling scheme holds whole frames, a partition task that lands
// on a device lane runs on the device: tiles are uploaded once and handed to each UDF's
// DeviceTask, whose results stay on the device until Finish copies them into the task's
// host buffers; merging is then the same as for CPU tasks. Everything else (TaskData,
// Preprocess, Postprocess, Merge, Results) runs on the host as usual.
type DeviceProcessor interface {
	// NewDeviceTask starts the device side of one partition task on queue x.
	NewDeviceTask(env *Env, x cuda.Exec) (DeviceTask, error)
}

// DeviceTask is the device side of one UDF in one partition task.
type DeviceTask interface {
	// ProcessDeviceTile queues the UDF's work on a tile.
	ProcessDeviceTile(env *Env, t *DeviceTile) error
	// Finish writes the task's results into env's buffers (whole-partition views) and
	// waits for the copies.
	Finish(env *Env) error
	// Release frees the task's device memory; it is always called, after Finish or on
	// failure.
	Release() error
}

// ErrNoDevicePath is returned (wrapped) by NewDeviceTask when this task's
// configuration has no device implementation (sparse or shifted masks, ...): the task
// then runs on the CPU path instead, on the same worker.
var ErrNoDevicePath = errors.New("udf: no device path for this task")

// ElemOf returns the device element type of dt (ok false: no kernels for it).
func ElemOf(dt array.DType) (cuda.Elem, bool) {
	switch dt {
	case array.Float32:
		return cuda.F32, true
	case array.Float64:
		return cuda.F64, true
	case array.Uint8:
		return cuda.U8, true
	case array.Uint16:
		return cuda.U16, true
	case array.Uint32:
		return cuda.U32, true
	case array.Uint64:
		return cuda.U64, true
	case array.Int8:
		return cuda.I8, true
	case array.Int16:
		return cuda.I16, true
	case array.Int32:
		return cuda.I32, true
	case array.Int64:
		return cuda.I64, true
	}
	return 0, false
}

// ErrDevice is a bad Options.Devices entry.
var ErrDevice = errors.New("udf: bad device option")

// checkDevices validates Options.Devices.
func checkDevices(ds []Device) error {
	seen := map[string]bool{}
	for _, d := range ds {
		if d.Name == "" || seen[d.Name] || len(d.Execs) == 0 {
			return fmt.Errorf("%w: device %q: want a unique name and at least one queue", ErrDevice, d.Name)
		}
		for i, x := range d.Execs {
			if x == nil {
				return fmt.Errorf("%w: device %q: queue %d is nil", ErrDevice, d.Name, i)
			}
		}
		seen[d.Name] = true
	}
	return nil
}

// deviceLanes returns the scheduler lanes of the run's devices.
func (r *run) deviceLanes() []sched.Lane {
	var ls []sched.Lane
	for _, d := range r.opts.Devices {
		ls = append(ls, sched.Lane{Name: d.Name, Slots: len(d.Execs), LockOSThread: true, Hybrid: !d.Only})
	}
	return ls
}

// taskLane returns the lane partition task k is bound to ("" = any worker).
func (r *run) taskLane(k int) string {
	var only []string
	for _, d := range r.opts.Devices {
		if d.Only {
			only = append(only, d.Name)
		}
	}
	if len(only) == 0 {
		return ""
	}
	return only[k%len(only)]
}

// deviceOK tells whether the run can take the device path at all (see DeviceProcessor).
func (r *run) deviceOK() bool {
	if len(r.opts.Devices) == 0 || r.srcFormat != array.FormatDense || r.convert {
		return false
	}
	if _, ok := ElemOf(r.input); !ok {
		return false
	}
	for _, full := range r.sigFull() {
		if !full {
			return false
		}
	}
	for _, ur := range r.us {
		if _, ok := ur.u.(DeviceProcessor); !ok {
			return false
		}
	}
	return true
}

// deviceExec returns the device and queue of the device lane slot running ctx, or nil
// when the task runs on a CPU worker or the run cannot use the device.
func (r *run) deviceExec(ctx context.Context) (*Device, cuda.Exec) {
	wi, ok := sched.Worker(ctx)
	if !ok || wi.Lane == "" || !r.deviceOK() {
		return nil, nil
	}
	for i := range r.opts.Devices {
		d := &r.opts.Devices[i]
		if d.Name == wi.Lane && wi.Slot < len(d.Execs) {
			return d, d.Execs[wi.Slot]
		}
	}
	return nil, nil
}

// deviceReader returns a ReadTiles-shaped function that reads the partition's tiles
// and processes them on queue x for every UDF of uts (it calls its callback, the CPU
// path, only when a UDF reports ErrNoDevicePath before any tile was read),
// then finishes each UDF's device task into its host buffers. cur is the caller's
// cursor, kept current for error attribution.
func (r *run) deviceReader(dev *Device, x cuda.Exec, uts []*udfTask, tk task, cur *cursor) func(context.Context, dataset.Partition, dataset.TileRequest, func(*dataset.Tile) error) error {
	return func(ctx context.Context, p dataset.Partition, req dataset.TileRequest, cpu func(*dataset.Tile) error) (err error) {
		elem, _ := ElemOf(r.input)
		dts := make([]DeviceTask, len(uts))
		var tile cuda.Buf
		defer func() {
			for _, dt := range dts {
				if dt != nil {
					err = errors.Join(err, dt.Release())
				}
			}
			if tile != nil {
				err = errors.Join(err, x.Free(tile))
			}
		}()
		for i, ut := range uts {
			*cur = cursor{u: i, method: "NewDeviceTask"}
			ut.wholeViews(tk)
			dt, err := ut.ur.u.(DeviceProcessor).NewDeviceTask(ut.env, x)
			if errors.Is(err, ErrNoDevicePath) {
				// Fall back to the CPU path for the whole task (the deferred
				// Release frees what earlier UDFs allocated).
				cur.u = -1
				return r.ds.ReadTiles(ctx, p, req, cpu)
			}
			if err != nil {
				return err
			}
			dts[i] = dt
		}
		cur.u = -1
		npix := 1
		for _, s := range r.sig {
			npix *= s
		}
		dtile := &DeviceTile{Exec: x, Elem: elem, Pixels: npix}
		process := func() error {
			for i, ut := range uts {
				*cur = cursor{u: i, method: "ProcessDeviceTile"}
				if err := dts[i].ProcessDeviceTile(ut.env, dtile); err != nil {
					return err
				}
			}
			cur.u = -1
			return nil
		}
		frameBytes := int64(npix) * int64(elem.Size())
		var fill *devEntry // the cache entry this task fills, if any
		filled := 0        // frames uploaded into fill, in order
		if c := dev.Cache; c != nil && tk.n > 0 {
			key := devKey{ds: r.ds, part: p.Index, lo: p.Start(), n: p.Len(), dtype: r.input, roi: roiHash(r.roi), device: dev.Name}
			if e, whole := c.lookup(key, r.roi); e != nil {
				defer c.release(e)
				if whole { // the partition is cached without a ROI: gather the ROI's frames
					if tile, err = r.gatherTiles(ctx, x, e, p, tk, dtile, process); err != nil {
						return err
					}
					return r.finishDevice(x, uts, dts, tk, cur)
				}
				dtile.Data, dtile.Frames, dtile.Lo = e.buf, e.frames, 0
				if err := process(); err != nil {
					return err
				}
				return r.finishDevice(x, uts, dts, tk, cur)
			}
			if bytes := int64(tk.n) * frameBytes; c.reserve(bytes) {
				buf, aerr := x.Alloc(bytes)
				if aerr != nil {
					c.unreserve(bytes) // no room on the device: run uncached
				} else {
					fill = &devEntry{key: key, buf: buf, exec: x, frames: tk.n, bytes: bytes, roi: slices.Clone(r.roi)}
					defer func() {
						if fill != nil { // not stored: the run failed or missed frames
							c.unreserve(fill.bytes)
							err = errors.Join(err, x.Free(fill.buf))
						}
					}()
				}
			}
		}
		raw, swap := r.rawTiles()
		onTile := func(t *dataset.Tile, b []byte) (err error) {
			depth := t.Slice.Shape.Dim(0)
			if int64(len(b)) != int64(depth)*frameBytes {
				return fmt.Errorf("udf: device tile of %d bytes for %d frames of %d bytes", len(b), depth, frameBytes)
			}
			lo := t.Slice.Origin[0] - tk.lo
			var dst cuda.Buf
			if fill != nil && lo == filled {
				off := int64(lo) * frameBytes
				if err := x.CopyIn(fill.buf, off, b); err != nil {
					return err
				}
				if dst, err = x.View(fill.buf, off, int64(len(b))); err != nil {
					return err
				}
				filled += depth
			} else {
				if tile == nil || tile.Size() < int64(len(b)) {
					if tile != nil {
						if err := x.Sync(); err != nil {
							return err
						}
						if err := x.Free(tile); err != nil {
							return err
						}
						tile = nil
					}
					if tile, err = x.Alloc(int64(len(b))); err != nil {
						return err
					}
				}
				if err := x.CopyIn(tile, 0, b); err != nil {
					return err
				}
				dst = tile
			}
			if swap && depth > 0 { // stored big-endian: decode in place on the device
				if err := x.SwapBytes(dst, elem, dst, depth*npix); err != nil {
					return err
				}
			}
			dtile.Data, dtile.Frames, dtile.Lo = dst, depth, lo
			return process()
		}
		if raw != nil {
			err = raw.ReadRawTiles(ctx, p, req, onTile)
		} else {
			err = r.ds.ReadTiles(ctx, p, req, func(t *dataset.Tile) error {
				b, err := denseBytes(t.Data)
				if err != nil {
					return err
				}
				return onTile(t, b)
			})
		}
		if err != nil {
			return err
		}
		if err := r.finishDevice(x, uts, dts, tk, cur); err != nil {
			return err
		}
		if fill != nil && filled == tk.n {
			e := fill
			fill = nil // the cache owns it now
			return dev.Cache.store(e)
		}
		return nil
	}
}

// gatherChunk bounds the device memory of the tiles gathered out of a cached partition.
const gatherChunk = 32 << 20

// gatherTiles serves a ROI run's partition from an entry cached without a ROI: the
// local indices of the selected frames go to the device once, and gather_frames copies
// them, a chunk of frames at a time, into a tile that every UDF processes. It returns
// the tile buffer (the caller frees it after finishing, which waits for the queue)
// even on error.
func (r *run) gatherTiles(ctx context.Context, x cuda.Exec, e *devEntry, p dataset.Partition, tk task, dtile *DeviceTile, process func() error) (tile cuda.Buf, err error) {
	idx := make([]byte, 0, 8*tk.n)
	for i := p.Start(); i < p.Stop(); i++ {
		if r.roi[i] {
			idx = binary.NativeEndian.AppendUint64(idx, uint64(i-p.Start()))
		}
	}
	if len(idx) != 8*tk.n || p.Len() > e.frames {
		return nil, fmt.Errorf("udf: device cache: partition %v selects %d frames of %d cached, the task has %d", p, len(idx)/8, e.frames, tk.n)
	}
	ib, err := x.Alloc(int64(len(idx)))
	if err != nil {
		return nil, err
	}
	defer func() {
		if serr := x.Sync(); serr != nil { // the gathers read ib
			err = errors.Join(err, serr)
		}
		err = errors.Join(err, x.Free(ib))
	}()
	if err := x.CopyIn(ib, 0, idx); err != nil {
		return nil, err
	}
	frameBytes := int64(dtile.Pixels) * int64(dtile.Elem.Size())
	chunk := int(max(1, min(int64(tk.n), gatherChunk/frameBytes)))
	if tile, err = x.Alloc(int64(chunk) * frameBytes); err != nil {
		return nil, err
	}
	for k0 := 0; k0 < tk.n; k0 += chunk {
		if err := ctx.Err(); err != nil {
			return tile, err
		}
		nk := min(chunk, tk.n-k0)
		view, err := x.View(ib, 8*int64(k0), 8*int64(nk))
		if err != nil {
			return tile, err
		}
		if err := x.GatherFrames(e.buf, dtile.Elem, view, tile, nk, dtile.Pixels); err != nil {
			return tile, err
		}
		dtile.Data, dtile.Frames, dtile.Lo = tile, nk, k0
		if err := process(); err != nil {
			return tile, err
		}
	}
	return tile, nil
}

// RawTileReader is implemented by datasets whose stored frames are plain elements of
// the native dtype in a byte order other than the host's (MIB U16/U32 and ">u2"-style
// raw or .npy files are stored big-endian). The device path then uploads the frames as
// stored and decodes them on the device (swap_bytes) instead of swapping them on the
// host: the PCIe copy carries the same bytes, and the CPU does no decoding.
type RawTileReader interface {
	// RawByteOrder returns the stored byte order of the frames' elements; ok is false
	// when they cannot be handed out as stored (bit-packed or cropped records, ...).
	RawByteOrder() (order binary.ByteOrder, ok bool)
	// ReadRawTiles is ReadTiles for req.DType the native dtype and whole-frame tiles,
	// except that fn receives each tile's elements as stored: raw holds the tile's
	// depth·prod(sig) elements in RawByteOrder, C order (t.Data may be nil). raw and t
	// are valid only during the call.
	ReadRawTiles(ctx context.Context, p dataset.Partition, req dataset.TileRequest, fn func(t *dataset.Tile, raw []byte) error) error
}

// rawTiles returns the dataset's raw reader when the device path reads its stored
// bytes: the run reads the native dtype, which the dataset stores in another byte
// order than the host's (swap is then true; for one-byte elements there is nothing to
// swap and the ordinary reader serves).
func (r *run) rawTiles() (RawTileReader, bool) {
	rr, ok := r.ds.(RawTileReader)
	if !ok || r.input != r.ds.DType() {
		return nil, false
	}
	order, ok := rr.RawByteOrder()
	if !ok || order == nil {
		return nil, false
	}
	probe := []byte{1, 0}
	if order.Uint16(probe) == binary.NativeEndian.Uint16(probe) {
		return nil, false // stored in host order: ReadTiles hands out views anyway
	}
	if e, ok := ElemOf(r.input); !ok || e.Size() == 1 {
		return nil, false
	}
	return rr, true
}

// finishDevice finishes every UDF's device task into its host buffers.
func (r *run) finishDevice(x cuda.Exec, uts []*udfTask, dts []DeviceTask, tk task, cur *cursor) error {
	for i, ut := range uts {
		*cur = cursor{u: i, method: "Finish"}
		ut.wholeViews(tk)
		if err := dts[i].Finish(ut.env); err != nil {
			return err
		}
	}
	cur.u = -1
	return x.Sync()
}

// denseBytes returns the memory of a C-contiguous dense tile.
func denseBytes(a array.Array) ([]byte, error) {
	switch d := a.(type) {
	case *array.Dense[float32]:
		return contiguousBytes(d)
	case *array.Dense[float64]:
		return contiguousBytes(d)
	case *array.Dense[uint8]:
		return contiguousBytes(d)
	case *array.Dense[uint16]:
		return contiguousBytes(d)
	case *array.Dense[uint32]:
		return contiguousBytes(d)
	case *array.Dense[uint64]:
		return contiguousBytes(d)
	case *array.Dense[int8]:
		return contiguousBytes(d)
	case *array.Dense[int16]:
		return contiguousBytes(d)
	case *array.Dense[int32]:
		return contiguousBytes(d)
	case *array.Dense[int64]:
		return contiguousBytes(d)
	}
	return nil, fmt.Errorf("%w: device tiles from %T", ErrSigSlice, a)
}

func contiguousBytes[T any](d *array.Dense[T]) ([]byte, error) {
	if !d.IsContiguous() {
		return nil, fmt.Errorf("%w: device tiles must be C-contiguous", ErrSigSlice)
	}
	s := d.Data()[d.Offset() : d.Offset()+d.Size()]
	if len(s) == 0 {
		return nil, nil
	}
	var z T
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*int(unsafe.Sizeof(z))), nil
}
