package cuda

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"unsafe"
)

// nvrtcAPI holds the NVRTC functions: CUDA C source to PTX at run time.
type nvrtcAPI struct {
	path           string
	version        func(major, minor *int32) int32
	createProgram  func(prog *uintptr, src, name string, nHeaders int32, headers, includeNames unsafe.Pointer) int32
	compileProgram func(prog uintptr, nOptions int32, options unsafe.Pointer) int32
	getPTXSize     func(prog uintptr, size *uint64) int32
	getPTX         func(prog uintptr, ptx *byte) int32
	getLogSize     func(prog uintptr, size *uint64) int32
	getLog         func(prog uintptr, log *byte) int32
	destroyProgram func(prog *uintptr) int32
	getErrorString func(code int32) string
}

var (
	nvrtcOnce sync.Once
	nvrtc     *nvrtcAPI
	nvrtcErr  error
)

func loadNVRTC() (*nvrtcAPI, error) {
	nvrtcOnce.Do(func() { nvrtc, nvrtcErr = openNVRTC() })
	return nvrtc, nvrtcErr
}

func (a *nvrtcAPI) err(call string, rc int32) error {
	if rc == 0 {
		return nil
	}
	e := &Error{Lib: "nvrtc", Call: call, Code: rc}
	if a.getErrorString != nil {
		e.Name = a.getErrorString(rc)
	}
	return e
}

// NVRTCVersion returns NVRTC's version (major, minor), loading it if needed.
func NVRTCVersion() (major, minor int, err error) {
	a, err := loadNVRTC()
	if err != nil {
		return 0, 0, err
	}
	var ma, mi int32
	if err := a.err("nvrtcVersion", a.version(&ma, &mi)); err != nil {
		return 0, 0, err
	}
	return int(ma), int(mi), nil
}

// ptxCache holds compiled PTX by key (source, options) for the process; compileCached
// also keeps it on disk under the user's cache folder, so later processes skip NVRTC.
var ptxCache sync.Map // string -> []byte

// cacheKey is the content address of one compilation: NVRTC's version, the options and
// the source.
func cacheKey(version string, src string, opts []string) string {
	h := sha256.New()
	fmt.Fprintf(h, "nvrtc %s\n", version)
	for _, o := range opts {
		fmt.Fprintf(h, "opt %q\n", o)
	}
	h.Write([]byte(src))
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// cacheDir is the on-disk PTX cache: $STEMFLOW_CUDA_CACHE, else <user cache>/stemflow/cuda;
// "" when there is none (STEMFLOW_CUDA_CACHE=off).
func cacheDir() string {
	if d := os.Getenv("STEMFLOW_CUDA_CACHE"); d != "" {
		if d == "off" {
			return ""
		}
		return d
	}
	c, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(c, "stemflow", "cuda")
}

// Compile turns CUDA C source into PTX with NVRTC for compute capability major.minor.
// Results are cached in the process and on disk (see cacheDir). name is the
// program's name in diagnostics. A compile error carries NVRTC's log.
func Compile(src, name string, major, minor int, extraOpts ...string) ([]byte, error) {
	a, err := loadNVRTC()
	if err != nil {
		return nil, err
	}
	ma, mi, err := NVRTCVersion()
	if err != nil {
		return nil, err
	}
	opts := append([]string{fmt.Sprintf("--gpu-architecture=compute_%d%d", major, minor), "--std=c++17"}, extraOpts...)
	key := cacheKey(fmt.Sprintf("%d.%d", ma, mi), src, opts)
	if p, ok := ptxCache.Load(key); ok {
		return p.([]byte), nil
	}
	dir := cacheDir()
	if dir != "" {
		if p, err := os.ReadFile(filepath.Join(dir, key+".ptx")); err == nil && len(p) > 0 {
			ptxCache.Store(key, p)
			return p, nil
		}
	}
	ptx, err := a.compile(src, name, opts)
	if err != nil {
		return nil, err
	}
	ptxCache.Store(key, ptx)
	if dir != "" {
		_ = writeFileAtomic(filepath.Join(dir, key+".ptx"), ptx)
	}
	return ptx, nil
}

func (a *nvrtcAPI) compile(src, name string, opts []string) ([]byte, error) {
	var prog uintptr
	if err := a.err("nvrtcCreateProgram", a.createProgram(&prog, src, name, 0, nil, nil)); err != nil {
		return nil, err
	}
	defer a.destroyProgram(&prog)
	// Options as an array of C strings in Go memory, pinned for the call.
	var pin runtime.Pinner
	defer pin.Unpin()
	cstrs := make([]*byte, len(opts))
	for i, o := range opts {
		b := append([]byte(o), 0)
		pin.Pin(&b[0])
		cstrs[i] = &b[0]
	}
	var optp unsafe.Pointer
	if len(cstrs) > 0 {
		pin.Pin(&cstrs[0])
		optp = unsafe.Pointer(&cstrs[0])
	}
	rc := a.compileProgram(prog, int32(len(opts)), optp)
	if rc != 0 {
		e := a.err("nvrtcCompileProgram("+name+")", rc).(*Error)
		var n uint64
		if a.getLogSize(prog, &n) == 0 && n > 1 {
			log := make([]byte, n)
			if a.getLog(prog, &log[0]) == 0 {
				e.Log = strings.TrimRight(string(log), "\x00\n")
			}
		}
		return nil, e
	}
	var n uint64
	if err := a.err("nvrtcGetPTXSize", a.getPTXSize(prog, &n)); err != nil {
		return nil, err
	}
	ptx := make([]byte, n)
	if err := a.err("nvrtcGetPTX", a.getPTX(prog, &ptx[0])); err != nil {
		return nil, err
	}
	return ptx, nil
}

// writeFileAtomic writes data to path through a temporary file and a rename.
func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}
