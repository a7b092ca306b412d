//go:build linux && (amd64 || arm64) && !nocuda

package cuda

import (
	"fmt"
	"os"

	"github.com/ebitengine/purego"
)

func openDriver() (*driverAPI, error) {
	if os.Getenv("STEMFLOW_CUDA") == "off" {
		return nil, fmt.Errorf("%w: disabled by STEMFLOW_CUDA=off", ErrUnavailable)
	}
	h, path, err := dlopenFirst(libDriver)
	if err != nil {
		return nil, err
	}
	a := &driverAPI{path: path}
	if err := bindAll(h, path, []binding{
		{&a.init, "cuInit"},
		{&a.driverGetVersion, "cuDriverGetVersion"},
		{&a.deviceGetCount, "cuDeviceGetCount"},
		{&a.deviceGet, "cuDeviceGet"},
		{&a.deviceGetName, "cuDeviceGetName"},
		{&a.deviceTotalMem, "cuDeviceTotalMem_v2"},
		{&a.deviceGetAttribute, "cuDeviceGetAttribute"},
		{&a.primaryCtxRetain, "cuDevicePrimaryCtxRetain"},
		{&a.primaryCtxRelease, "cuDevicePrimaryCtxRelease_v2"},
		{&a.ctxSetCurrent, "cuCtxSetCurrent"},
		{&a.ctxSynchronize, "cuCtxSynchronize"},
		{&a.streamCreate, "cuStreamCreate"},
		{&a.streamDestroy, "cuStreamDestroy_v2"},
		{&a.streamSynchronize, "cuStreamSynchronize"},
		{&a.memAlloc, "cuMemAlloc_v2"},
		{&a.memFree, "cuMemFree_v2"},
		{&a.memAllocHost, "cuMemAllocHost_v2"},
		{&a.memFreeHost, "cuMemFreeHost"},
		{&a.memcpyHtoDAsync, "cuMemcpyHtoDAsync_v2"},
		{&a.memcpyDtoHAsync, "cuMemcpyDtoHAsync_v2"},
		{&a.memcpyDtoDAsync, "cuMemcpyDtoDAsync_v2"},
		{&a.memsetD8Async, "cuMemsetD8Async"},
		{&a.memGetInfo, "cuMemGetInfo_v2"},
		{&a.moduleLoadData, "cuModuleLoadData"},
		{&a.moduleUnload, "cuModuleUnload"},
		{&a.moduleGetFunction, "cuModuleGetFunction"},
		{&a.launchKernel, "cuLaunchKernel"},
		{&a.eventCreate, "cuEventCreate"},
		{&a.eventRecord, "cuEventRecord"},
		{&a.eventSynchronize, "cuEventSynchronize"},
		{&a.eventElapsedTime, "cuEventElapsedTime"},
		{&a.eventDestroy, "cuEventDestroy_v2"},
		{&a.getErrorName, "cuGetErrorName"},
	}); err != nil {
		return nil, err
	}
	if rc := a.init(0); rc != 0 {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, a.err("cuInit", rc))
	}
	return a, nil
}

// binding pairs a Go function variable with the C symbol it calls.
type binding struct {
	fptr any
	name string
}

// bindAll registers every binding; a missing symbol or a signature purego cannot call
// becomes an error naming the library and the symbol.
func bindAll(h uintptr, path string, bs []binding) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %s: binding: %v", ErrUnavailable, path, r)
		}
	}()
	for _, b := range bs {
		if _, err := purego.Dlsym(h, b.name); err != nil {
			return fmt.Errorf("%w: %s has no %s (too old?): %w", ErrUnavailable, path, b.name, err)
		}
		purego.RegisterLibFunc(b.fptr, h, b.name)
	}
	return nil
}

// dlopenFirst opens the first candidate of s that loads. The error is one line: what
// was looked for, how many places were tried, the loader's last word and the fix.
func dlopenFirst(s libSpec) (uintptr, string, error) {
	var last error
	cands := s.candidates(os.Getenv)
	for _, p := range cands {
		h, err := purego.Dlopen(p, purego.RTLD_NOW|purego.RTLD_GLOBAL)
		if err == nil {
			return h, p, nil
		}
		last = err
	}
	return 0, "", fmt.Errorf("%w: %s not found (%s tried in %d places; last: %v): install %s, or set %s or STEMFLOW_CUDA_LIB_DIR",
		ErrUnavailable, s.what, s.names[0], len(cands), last, s.debian, s.env)
}

func openNVRTC() (*nvrtcAPI, error) {
	if os.Getenv("STEMFLOW_CUDA") == "off" {
		return nil, fmt.Errorf("%w: disabled by STEMFLOW_CUDA=off", ErrUnavailable)
	}
	h, path, err := dlopenFirst(libNVRTC)
	if err != nil {
		return nil, err
	}
	a := &nvrtcAPI{path: path}
	return a, bindAll(h, path, []binding{
		{&a.version, "nvrtcVersion"},
		{&a.createProgram, "nvrtcCreateProgram"},
		{&a.compileProgram, "nvrtcCompileProgram"},
		{&a.getPTXSize, "nvrtcGetPTXSize"},
		{&a.getPTX, "nvrtcGetPTX"},
		{&a.getLogSize, "nvrtcGetProgramLogSize"},
		{&a.getLog, "nvrtcGetProgramLog"},
		{&a.destroyProgram, "nvrtcDestroyProgram"},
		{&a.getErrorString, "nvrtcGetErrorString"},
	})
}

func openCuBLAS() (*cublasAPI, error) {
	if os.Getenv("STEMFLOW_CUDA") == "off" {
		return nil, fmt.Errorf("%w: disabled by STEMFLOW_CUDA=off", ErrUnavailable)
	}
	h, path, err := dlopenFirst(libCuBLAS)
	if err != nil {
		return nil, err
	}
	a := &cublasAPI{path: path}
	return a, bindAll(h, path, []binding{
		{&a.create, "cublasCreate_v2"},
		{&a.destroy, "cublasDestroy_v2"},
		{&a.setStream, "cublasSetStream_v2"},
		{&a.sgemm, "cublasSgemm_v2"},
		{&a.dgemm, "cublasDgemm_v2"},
	})
}
