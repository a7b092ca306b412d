package cuda

import (
	_ "embed"
	"fmt"
	"sync"
)

//go:embed kernels/builtins.cu
var builtinsSource string

// BuiltinsSource returns the CUDA C source of the built-in kernels (for users who
// compile it themselves or inspect it).
func BuiltinsSource() string { return builtinsSource }

// Elem is the element type of a tile on the device; kernels exist for each.
type Elem uint8

// The element types kernels are instantiated for.
const (
	F32 Elem = iota + 1
	F64
	U8
	U16
	U32
	I8
	I16
	I32
	U64
	I64
)

var elemInfo = [...]struct {
	suffix string
	size   int
}{F32: {"f32", 4}, F64: {"f64", 8}, U8: {"u8", 1}, U16: {"u16", 2}, U32: {"u32", 4},
	I8: {"i8", 1}, I16: {"i16", 2}, I32: {"i32", 4}, U64: {"u64", 8}, I64: {"i64", 8}}

// Valid reports whether e is one of the element types above.
func (e Elem) Valid() bool { return e >= F32 && int(e) < len(elemInfo) }

// Suffix is the kernel name suffix: "f32", "u16", ...
func (e Elem) Suffix() string {
	if !e.Valid() {
		return fmt.Sprintf("Elem(%d)", uint8(e))
	}
	return elemInfo[e].suffix
}

// Size is the element size in bytes.
func (e Elem) Size() int {
	if !e.Valid() {
		return 0
	}
	return elemInfo[e].size
}

// String returns the suffix.
func (e Elem) String() string { return e.Suffix() }

// The built-in kernels, each instantiated for every Elem as <name>_<suffix>.
const (
	KernelSumFrames   = "sum_frames"    // (in, acc f64[npix], nf i64, npix i64): acc += Σ_f in
	KernelSumSig      = "sum_sig"       // (in, out f64[nf], nf, npix): out[f] = Σ_p in
	KernelStdFrames   = "std_frames"    // (in, sum f64[npix], varsum f64[npix], nf, npix, n0 i64)
	KernelCoMFrames   = "com_frames"    // (in, mask f32[npix], out f64[3nf], nf, npix, sx i64)
	KernelRingMoments = "ring_moments"  // (in, mask f32[npix], out f64[3nf], nf, npix)
	KernelFrameMin    = "frame_min"     // (in, out f64[nf], nf, npix)
	KernelLogSum      = "log_sum"       // (in, mins f64[nf], acc f64[npix], nf, npix)
	KernelToF32       = "to_f32"        // (in, out f32[n], n i64)
	KernelPickFrames  = "pick_frames"   // (in, out T[nf·npix], nf, npix): out = in
	KernelGather      = "gather_frames" // (in, idx i64[nk], out T[nk·npix], nk, npix)
	KernelCSRMasks    = "csr_masks"     // (in, indptr i32[nm+1], indices i32, values f64, out f64[nf·nm], nf, npix, nm)
	KernelSwapBytes   = "swap_bytes"    // (in, out, n i64): out[i] = in[i] byte-reversed
)

// builtinParams is the parameter count of each built-in kernel: the Go side launches
// exactly this many arguments (checked at every launch), and a test checks the
// embedded source declares exactly this many.
var builtinParams = map[string]int{
	KernelSumFrames: 4, KernelSumSig: 4, KernelStdFrames: 6, KernelCoMFrames: 6,
	KernelRingMoments: 5, KernelFrameMin: 4, KernelLogSum: 5, KernelToF32: 3,
	KernelPickFrames: 4, KernelGather: 5, KernelCSRMasks: 8, KernelSwapBytes: 3,
}

// builtinKernels lists the kernel base names the source defines.
var builtinKernels = []string{KernelSumFrames, KernelSumSig, KernelStdFrames, KernelCoMFrames,
	KernelRingMoments, KernelFrameMin, KernelLogSum, KernelToF32, KernelPickFrames, KernelGather,
	KernelCSRMasks, KernelSwapBytes}

// KernelSet is the built-in kernels compiled and loaded on one device.
type KernelSet struct {
	d   *Device
	mod *Module
	mu  sync.Mutex
	fns map[string]*Function
}

var kernelSets sync.Map // *Device -> *kernelSetOnce

type kernelSetOnce struct {
	once sync.Once
	ks   *KernelSet
	err  error
}

// Builtins compiles (NVRTC, cached in the process and on disk) and loads the built-in
// kernels on d, once per device.
func Builtins(d *Device) (*KernelSet, error) {
	v, _ := kernelSets.LoadOrStore(d, &kernelSetOnce{})
	o := v.(*kernelSetOnce)
	o.once.Do(func() {
		ptx, err := Compile(builtinsSource, "stemflow_builtins.cu", d.Major, d.Minor, "--use_fast_math")
		if err != nil {
			o.err = fmt.Errorf("cuda:%d: compiling the built-in kernels: %w", d.Ordinal, err)
			return
		}
		m, err := d.LoadModule(ptx)
		if err != nil {
			o.err = fmt.Errorf("cuda:%d: loading the built-in kernels: %w", d.Ordinal, err)
			return
		}
		o.ks = &KernelSet{d: d, mod: m, fns: map[string]*Function{}}
	})
	return o.ks, o.err
}

// Func returns kernel name instantiated for e ("sum_frames", U16 → sum_frames_u16).
func (k *KernelSet) Func(name string, e Elem) (*Function, error) {
	full := name + "_" + e.Suffix()
	k.mu.Lock()
	defer k.mu.Unlock()
	if f, ok := k.fns[full]; ok {
		return f, nil
	}
	f, err := k.mod.Function(full)
	if err != nil {
		return nil, err
	}
	k.fns[full] = f
	return f, nil
}
