package cuda

import (
	"fmt"
	"slices"
	"sync"
)

// Kernel is a user's CUDA C kernel, the counterpart of CuPy's RawKernel: Source is
// compiled by NVRTC for each device on first use (and cached like the built-ins), Name
// is its extern "C" function. Emulate is its plain-Go twin, run by the Emulator (tests,
// machines without a GPU); it receives the same arguments, with buffers readable and
// writable through HostBytes.
type Kernel struct {
	Source  string
	Name    string
	Emulate func(grid, block Dim3, args []any) error

	mu   sync.Mutex
	fns  map[*Device]*Function
	errs map[*Device]error
}

// function compiles and loads k on d once.
func (k *Kernel) function(d *Device) (*Function, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if f, ok := k.fns[d]; ok {
		return f, nil
	}
	if err, ok := k.errs[d]; ok {
		return nil, err
	}
	f, err := func() (*Function, error) {
		ptx, err := Compile(k.Source, k.Name+".cu", d.Major, d.Minor)
		if err != nil {
			return nil, err
		}
		m, err := d.LoadModule(ptx)
		if err != nil {
			return nil, err
		}
		return m.Function(k.Name)
	}()
	if k.fns == nil {
		k.fns, k.errs = map[*Device]*Function{}, map[*Device]error{}
	}
	if err != nil {
		err = fmt.Errorf("cuda: kernel %s: %w", k.Name, err)
		k.errs[d] = err
		return nil, err
	}
	k.fns[d] = f
	return f, nil
}

// Launch queues a user kernel on the stream of x.
func (x *streamExec) Launch(k *Kernel, grid, block Dim3, shmem uint32, args ...any) error {
	f, err := k.function(x.s.d)
	if err != nil {
		return err
	}
	args = slices.Clone(args)
	for i, a := range args {
		if b, ok := a.(Buf); ok {
			db, err := x.dev(b)
			if err != nil {
				return fmt.Errorf("cuda: kernel %s argument %d: %w", k.Name, i, err)
			}
			args[i] = db
		}
	}
	return x.s.Launch(f, grid, block, shmem, args...)
}

// Launch runs the kernel's Go twin.
func (x *Emulator) Launch(k *Kernel, grid, block Dim3, _ uint32, args ...any) error {
	if k.Emulate == nil {
		return fmt.Errorf("cuda: kernel %s has no Emulate twin for the emulator", k.Name)
	}
	for i, a := range args {
		if b, ok := a.(Buf); ok {
			if _, err := x.buf(b); err != nil {
				return fmt.Errorf("cuda: kernel %s argument %d: %w", k.Name, i, err)
			}
		}
	}
	return k.Emulate(grid, block, args)
}

// HostBytes returns the memory of an emulator buffer (for Kernel.Emulate), or nil for
// device memory.
func HostBytes(b Buf) []byte {
	if h, ok := b.(*hostBuf); ok && !h.freed {
		return h.b
	}
	return nil
}
