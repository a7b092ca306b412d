package cuda

import (
	"encoding/binary"
	"fmt"
	"math"
	"unsafe"
)

// argBlockSize is the pinned parameter block of a stream: maxArgs pointers, then the
// argument values at 8-byte aligned offsets.
const (
	argBlockSize = 1024
	maxArgs      = 32
)

// Dim3 is a grid or block size.
type Dim3 struct{ X, Y, Z uint32 }

// Module is loaded device code (PTX or cubin).
type Module struct {
	d *Device
	h uintptr
}

// Function is a kernel of a loaded module.
type Function struct {
	m    *Module
	h    uintptr
	Name string
}

// LoadModule loads PTX (NUL-terminated or not) or a cubin image onto the device.
func (d *Device) LoadModule(image []byte) (*Module, error) {
	if len(image) == 0 {
		return nil, fmt.Errorf("cuda: LoadModule: empty image")
	}
	if image[len(image)-1] != 0 {
		image = append(image[:len(image):len(image)], 0)
	}
	if err := d.Bind(); err != nil {
		return nil, err
	}
	m := &Module{d: d}
	if err := d.a.err("cuModuleLoadData", d.a.moduleLoadData(&m.h, &image[0])); err != nil {
		return nil, err
	}
	return m, nil
}

// Function looks up the kernel name (its extern "C" name) in the module.
func (m *Module) Function(name string) (*Function, error) {
	if err := m.d.Bind(); err != nil {
		return nil, err
	}
	f := &Function{m: m, Name: name}
	if err := m.d.a.err("cuModuleGetFunction("+name+")", m.d.a.moduleGetFunction(&f.h, m.h, name)); err != nil {
		return nil, err
	}
	return f, nil
}

// Unload releases the module; its functions must not be launched afterwards.
func (m *Module) Unload() error {
	if m == nil || m.h == 0 {
		return nil
	}
	if err := m.d.Bind(); err != nil {
		return err
	}
	h := m.h
	m.h = 0
	return m.d.a.err("cuModuleUnload", m.d.a.moduleUnload(h))
}

// Launch queues kernel f on the stream with the given grid, block and dynamic shared
// memory. Arguments are passed by value in kernel parameter order: *Buffer (its device
// address), uint64, int64, uint32, int32, float32, float64. A plain int is refused: say
// int32 or int64, as the kernel's C type does.
func (s *Stream) Launch(f *Function, grid, block Dim3, shmem uint32, args ...any) error {
	base := uint64(uintptr(unsafe.Pointer(&s.args.Bytes[0])))
	if err := packArgs(s.args.Bytes, base, args); err != nil {
		return fmt.Errorf("cuda: launching %s: %w", f.Name, err)
	}
	rc := s.d.a.launchKernel(f.h, grid.X, grid.Y, grid.Z, block.X, block.Y, block.Z, shmem, s.h,
		unsafe.Pointer(&s.args.Bytes[0]), nil)
	return s.d.a.err("cuLaunchKernel("+f.Name+")", rc)
}

// packArgs writes the kernel parameter block into buf, whose first byte is at address
// base: one 8-byte pointer per argument, then each value at an 8-byte aligned offset.
// cuLaunchKernel copies the values before it returns, so one block serves every launch
// of a stream.
func packArgs(buf []byte, base uint64, args []any) error {
	if len(args) > maxArgs {
		return fmt.Errorf("%d arguments, at most %d", len(args), maxArgs)
	}
	off := maxArgs * 8
	for i, a := range args {
		var v uint64
		size := 8
		switch a := a.(type) {
		case *Buffer:
			v = a.Ptr
		case uint64:
			v = a
		case int64:
			v = uint64(a)
		case uint32:
			v, size = uint64(a), 4
		case int32:
			v, size = uint64(uint32(a)), 4
		case float32:
			v, size = uint64(math.Float32bits(a)), 4
		case float64:
			v = math.Float64bits(a)
		default:
			return fmt.Errorf("argument %d has type %T (want *Buffer, uint64, int64, uint32, int32, float32 or float64)", i, a)
		}
		if off+8 > len(buf) {
			return fmt.Errorf("arguments need more than %d bytes", len(buf))
		}
		binary.NativeEndian.PutUint64(buf[8*i:], base+uint64(off))
		if size == 4 {
			binary.NativeEndian.PutUint32(buf[off:], uint32(v))
		} else {
			binary.NativeEndian.PutUint64(buf[off:], v)
		}
		off += 8
	}
	return nil
}
