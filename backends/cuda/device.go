package cuda

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"unsafe"
)

// Device is one CUDA device whose primary context stemflow retains for the life of the
// process. Its methods are safe for concurrent use; each makes the context current on
// the calling OS thread first.
type Device struct {
	Ordinal      int    // the device ordinal, 0-based
	Name         string // "NVIDIA H200"
	Major, Minor int    // compute capability
	TotalMem     uint64 // bytes of device memory
	SMs          int    // streaming multiprocessors

	a   *driverAPI
	dev int32
	ctx uintptr
}

// Device attribute numbers of the driver API.
const (
	attrMultiprocessorCount = 16
	attrComputeMajor        = 75
	attrComputeMinor        = 76
)

var (
	devicesOnce sync.Once
	devices     []*Device
	devicesErr  error
)

// Available reports whether the CUDA backend can run: the driver loaded, cuInit
// succeeded and at least one device is present. It probes once per process.
func Available() bool {
	d, err := Devices()
	return err == nil && len(d) > 0
}

// LoadError says why Available is false (nil when it is true).
func LoadError() error {
	d, err := Devices()
	if err == nil && len(d) == 0 {
		return fmt.Errorf("%w: the driver reports no CUDA device", ErrUnavailable)
	}
	return err
}

// Devices returns every CUDA device, probing the driver on the first call. The error
// wraps ErrUnavailable when there is no usable driver.
func Devices() ([]*Device, error) {
	devicesOnce.Do(func() { devices, devicesErr = probeDevices() })
	return devices, devicesErr
}

// DriverVersion returns the driver's CUDA version as 1000*major + 10*minor (13000 for 13.0).
func DriverVersion() (int, error) {
	a, err := loadDriver()
	if err != nil {
		return 0, err
	}
	var v int32
	if err := a.err("cuDriverGetVersion", a.driverGetVersion(&v)); err != nil {
		return 0, err
	}
	return int(v), nil
}

func probeDevices() ([]*Device, error) {
	a, err := loadDriver()
	if err != nil {
		return nil, err
	}
	var n int32
	if err := a.err("cuDeviceGetCount", a.deviceGetCount(&n)); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	out := make([]*Device, 0, n)
	for i := range n {
		d := &Device{Ordinal: int(i), a: a}
		if err := a.err("cuDeviceGet", a.deviceGet(&d.dev, i)); err != nil {
			return nil, err
		}
		var name [256]byte
		if err := a.err("cuDeviceGetName", a.deviceGetName(&name[0], int32(len(name)), d.dev)); err != nil {
			return nil, err
		}
		d.Name = goString(&name[0])
		if err := a.err("cuDeviceTotalMem_v2", a.deviceTotalMem(&d.TotalMem, d.dev)); err != nil {
			return nil, err
		}
		for _, at := range []struct {
			attr int32
			dst  *int
		}{{attrComputeMajor, &d.Major}, {attrComputeMinor, &d.Minor}, {attrMultiprocessorCount, &d.SMs}} {
			var v int32
			if err := a.err("cuDeviceGetAttribute", a.deviceGetAttribute(&v, at.attr, d.dev)); err != nil {
				return nil, err
			}
			*at.dst = int(v)
		}
		if err := a.err("cuDevicePrimaryCtxRetain", a.primaryCtxRetain(&d.ctx, d.dev)); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// String returns "cuda:0 NVIDIA H200 (sm_90, 140.4 GiB, 132 SMs)".
func (d *Device) String() string {
	return fmt.Sprintf("cuda:%d %s (sm_%d%d, %.1f GiB, %d SMs)", d.Ordinal, d.Name, d.Major, d.Minor, float64(d.TotalMem)/(1<<30), d.SMs)
}

// Bind makes the device's context current on the calling OS thread. Callers that make
// several calls in a row on a goroutine locked to its thread call it once.
func (d *Device) Bind() error {
	return d.a.err("cuCtxSetCurrent", d.a.ctxSetCurrent(d.ctx))
}

// Sync waits for all work on the device.
func (d *Device) Sync() error {
	if err := d.Bind(); err != nil {
		return err
	}
	return d.a.err("cuCtxSynchronize", d.a.ctxSynchronize())
}

// MemInfo returns the free and total device memory in bytes.
func (d *Device) MemInfo() (free, total uint64, err error) {
	if err := d.Bind(); err != nil {
		return 0, 0, err
	}
	err = d.a.err("cuMemGetInfo_v2", d.a.memGetInfo(&free, &total))
	return free, total, err
}

// Buffer is device memory.
type Buffer struct {
	d    *Device
	Ptr  uint64 // the CUdeviceptr
	Len  int64  // bytes
	view bool   // a View into another buffer: never freed
}

// Alloc allocates n bytes of device memory (not cleared). The error matches
// ErrOutOfMemory when the device is full.
func (d *Device) Alloc(n int64) (*Buffer, error) {
	if n <= 0 {
		return nil, fmt.Errorf("cuda: Alloc(%d): want a positive size", n)
	}
	if err := d.Bind(); err != nil {
		return nil, err
	}
	b := &Buffer{d: d, Len: n}
	if err := d.a.err("cuMemAlloc_v2", d.a.memAlloc(&b.Ptr, uint64(n))); err != nil {
		return nil, fmt.Errorf("cuda:%d: allocating %d bytes: %w", d.Ordinal, n, err)
	}
	return b, nil
}

// Free releases the buffer; it is idempotent.
func (b *Buffer) Free() error {
	if b == nil || b.Ptr == 0 {
		return nil
	}
	if b.view {
		return fmt.Errorf("cuda: Free of a view")
	}
	if err := b.d.Bind(); err != nil {
		return err
	}
	p := b.Ptr
	b.Ptr = 0
	return b.d.a.err("cuMemFree_v2", b.d.a.memFree(p))
}

// At returns the device address of byte offset off, panicking when it is out of range.
func (b *Buffer) At(off int64) uint64 {
	if off < 0 || off > b.Len {
		panic(fmt.Sprintf("cuda: offset %d outside a buffer of %d bytes", off, b.Len))
	}
	return b.Ptr + uint64(off)
}

// HostBuffer is page-locked (pinned) host memory: copies from and to it run at the
// full PCIe rate and asynchronously. Bytes is its memory; it is not Go memory and
// stays valid until Free.
type HostBuffer struct {
	d     *Device
	Bytes []byte
	p     unsafe.Pointer
}

// AllocHost allocates n bytes of pinned host memory.
func (d *Device) AllocHost(n int64) (*HostBuffer, error) {
	if n <= 0 || n > math.MaxInt {
		return nil, fmt.Errorf("cuda: AllocHost(%d): want a positive size", n)
	}
	if err := d.Bind(); err != nil {
		return nil, err
	}
	h := &HostBuffer{d: d}
	if err := d.a.err("cuMemAllocHost_v2", d.a.memAllocHost(&h.p, uint64(n))); err != nil {
		return nil, fmt.Errorf("cuda:%d: allocating %d bytes of pinned host memory: %w", d.Ordinal, n, err)
	}
	h.Bytes = unsafe.Slice((*byte)(h.p), int(n))
	return h, nil
}

// Free releases the pinned memory; Bytes must not be used afterwards. Idempotent.
func (h *HostBuffer) Free() error {
	if h == nil || h.p == nil {
		return nil
	}
	if err := h.d.Bind(); err != nil {
		return err
	}
	p := h.p
	h.p, h.Bytes = nil, nil
	return h.d.a.err("cuMemFreeHost", h.d.a.memFreeHost(p))
}

// Stream is a CUDA stream: operations on it run in order, asynchronously to the host
// and concurrently with other streams. A Stream is used by one goroutine at a time.
type Stream struct {
	d    *Device
	h    uintptr
	args *HostBuffer // kernel parameter block, reused by every launch
}

// NewStream creates a non-blocking stream on the device.
func (d *Device) NewStream() (*Stream, error) {
	if err := d.Bind(); err != nil {
		return nil, err
	}
	s := &Stream{d: d}
	const nonBlocking = 1
	if err := d.a.err("cuStreamCreate", d.a.streamCreate(&s.h, nonBlocking)); err != nil {
		return nil, err
	}
	var err error
	if s.args, err = d.AllocHost(argBlockSize); err != nil {
		_ = d.a.streamDestroy(s.h)
		return nil, err
	}
	return s, nil
}

// Device returns the stream's device.
func (s *Stream) Device() *Device { return s.d }

// Close waits for the stream's work and destroys it. Idempotent.
func (s *Stream) Close() error {
	if s == nil || s.h == 0 {
		return nil
	}
	err := s.Sync()
	if err2 := s.d.a.err("cuStreamDestroy_v2", s.d.a.streamDestroy(s.h)); err == nil {
		err = err2
	}
	s.h = 0
	return errors.Join(err, s.args.Free())
}

// Sync waits until every operation queued on the stream has finished.
func (s *Stream) Sync() error {
	if err := s.d.Bind(); err != nil {
		return err
	}
	return s.d.a.err("cuStreamSynchronize", s.d.a.streamSynchronize(s.h))
}

func checkRange(what string, off, n, size int64) error {
	if off < 0 || n < 0 || off > size-n {
		return fmt.Errorf("cuda: %s: bytes [%d, %d) outside a buffer of %d bytes", what, off, off+n, size)
	}
	return nil
}

// CopyToDevice queues a copy of src to dst at byte offset off. src must stay unchanged
// and alive until the stream has passed the copy (Sync); from a HostBuffer the copy is
// asynchronous and at full speed, from Go memory the driver stages it.
func (s *Stream) CopyToDevice(dst *Buffer, off int64, src []byte) error {
	if len(src) == 0 {
		return nil
	}
	if err := checkRange("CopyToDevice", off, int64(len(src)), dst.Len); err != nil {
		return err
	}
	return s.d.a.err("cuMemcpyHtoDAsync_v2", s.d.a.memcpyHtoDAsync(dst.Ptr+uint64(off), unsafe.Pointer(&src[0]), uint64(len(src)), s.h))
}

// CopyToHost queues a copy of len(dst) bytes from src at byte offset off into dst;
// dst holds them after Sync.
func (s *Stream) CopyToHost(dst []byte, src *Buffer, off int64) error {
	if len(dst) == 0 {
		return nil
	}
	if err := checkRange("CopyToHost", off, int64(len(dst)), src.Len); err != nil {
		return err
	}
	return s.d.a.err("cuMemcpyDtoHAsync_v2", s.d.a.memcpyDtoHAsync(unsafe.Pointer(&dst[0]), src.Ptr+uint64(off), uint64(len(dst)), s.h))
}

// CopyDevice queues a device-to-device copy of n bytes.
func (s *Stream) CopyDevice(dst *Buffer, dstOff int64, src *Buffer, srcOff, n int64) error {
	if err := checkRange("CopyDevice (destination)", dstOff, n, dst.Len); err != nil {
		return err
	}
	if err := checkRange("CopyDevice (source)", srcOff, n, src.Len); err != nil {
		return err
	}
	return s.d.a.err("cuMemcpyDtoDAsync_v2", s.d.a.memcpyDtoDAsync(dst.Ptr+uint64(dstOff), src.Ptr+uint64(srcOff), uint64(n), s.h))
}

// Zero queues clearing n bytes of dst from offset off.
func (s *Stream) Zero(dst *Buffer, off, n int64) error {
	if err := checkRange("Zero", off, n, dst.Len); err != nil {
		return err
	}
	return s.d.a.err("cuMemsetD8Async", s.d.a.memsetD8Async(dst.Ptr+uint64(off), 0, uint64(n), s.h))
}

// Size returns the buffer's length in bytes (Buf).
func (b *Buffer) Size() int64 { return b.Len }
