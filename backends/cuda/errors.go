package cuda

import (
	"errors"
	"fmt"
)

// ErrUnavailable is wrapped by every error that says the backend cannot be used on this
// machine: no driver, no device, a library missing, or STEMFLOW_CUDA=off.
var ErrUnavailable = errors.New("cuda: not available")

// Error is a failed CUDA, NVRTC or cuBLAS call.
type Error struct {
	Lib  string // "cuda" (driver), "nvrtc" or "cublas"
	Call string // the library function, "cuMemAlloc_v2"
	Code int32  // its result code
	Name string // the code's name, "CUDA_ERROR_OUT_OF_MEMORY", when known
	Log  string // NVRTC's compile log, for compile errors
}

func (e *Error) Error() string {
	s := fmt.Sprintf("%s: %s: error %d", e.Lib, e.Call, e.Code)
	if e.Name != "" {
		s += " (" + e.Name + ")"
	}
	if e.Log != "" {
		s += ":\n" + e.Log
	}
	return s
}

// ErrOutOfMemory is matched (errors.Is) by an Error whose code is CUDA's out-of-memory.
var ErrOutOfMemory = errors.New("cuda: out of device memory")

// Is makes errors.Is(err, ErrOutOfMemory) true for CUDA_ERROR_OUT_OF_MEMORY (2).
func (e *Error) Is(target error) bool {
	return target == ErrOutOfMemory && e.Lib == "cuda" && e.Code == 2
}
