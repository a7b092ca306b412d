package cuda

import (
	"sync"
	"unsafe"
)

// driverAPI holds the CUDA driver functions stemflow calls (the _v2 entry points where
// the driver has them). Handles are uintptr, device pointers uint64 (CUdeviceptr).
type driverAPI struct {
	path string

	init               func(flags uint32) int32
	driverGetVersion   func(v *int32) int32
	deviceGetCount     func(n *int32) int32
	deviceGet          func(d *int32, ordinal int32) int32
	deviceGetName      func(name *byte, n int32, d int32) int32
	deviceTotalMem     func(b *uint64, d int32) int32
	deviceGetAttribute func(v *int32, attr int32, d int32) int32
	primaryCtxRetain   func(ctx *uintptr, d int32) int32
	primaryCtxRelease  func(d int32) int32
	ctxSetCurrent      func(ctx uintptr) int32
	ctxSynchronize     func() int32
	streamCreate       func(s *uintptr, flags uint32) int32
	streamDestroy      func(s uintptr) int32
	streamSynchronize  func(s uintptr) int32
	memAlloc           func(p *uint64, n uint64) int32
	memFree            func(p uint64) int32
	memAllocHost       func(p *unsafe.Pointer, n uint64) int32
	memFreeHost        func(p unsafe.Pointer) int32
	memcpyHtoDAsync    func(dst uint64, src unsafe.Pointer, n uint64, s uintptr) int32
	memcpyDtoHAsync    func(dst unsafe.Pointer, src uint64, n uint64, s uintptr) int32
	memcpyDtoDAsync    func(dst, src uint64, n uint64, s uintptr) int32
	memsetD8Async      func(dst uint64, v uint8, n uint64, s uintptr) int32
	memGetInfo         func(free, total *uint64) int32
	moduleLoadData     func(m *uintptr, image *byte) int32
	moduleUnload       func(m uintptr) int32
	moduleGetFunction  func(f *uintptr, m uintptr, name string) int32
	launchKernel       func(f uintptr, gx, gy, gz, bx, by, bz, shmem uint32, s uintptr, params unsafe.Pointer, extra unsafe.Pointer) int32
	eventCreate        func(e *uintptr, flags uint32) int32
	eventRecord        func(e, s uintptr) int32
	eventSynchronize   func(e uintptr) int32
	eventElapsedTime   func(ms *float32, start, end uintptr) int32
	eventDestroy       func(e uintptr) int32
	getErrorName       func(code int32, s **byte) int32
}

var (
	driverOnce sync.Once
	driver     *driverAPI
	driverErr  error
)

// loadDriver opens libcuda, binds the functions and calls cuInit once per process.
func loadDriver() (*driverAPI, error) {
	driverOnce.Do(func() { driver, driverErr = openDriver() })
	return driver, driverErr
}

// err turns a driver result code into an *Error (nil for success).
func (a *driverAPI) err(call string, rc int32) error {
	if rc == 0 {
		return nil
	}
	e := &Error{Lib: "cuda", Call: call, Code: rc}
	var p *byte
	if a.getErrorName != nil && a.getErrorName(rc, &p) == 0 {
		e.Name = goString(p)
	}
	return e
}

// goString copies a NUL-terminated C string.
func goString(p *byte) string {
	if p == nil {
		return ""
	}
	n := 0
	for *(*byte)(unsafe.Add(unsafe.Pointer(p), n)) != 0 {
		n++
	}
	return string(unsafe.Slice(p, n))
}
