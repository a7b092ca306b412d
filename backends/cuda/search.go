package cuda

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// libSpec names one CUDA library: the plain sonames tried in order and the environment
// variable that overrides the search with one exact file.
type libSpec struct {
	what     string   // "driver", "NVRTC", "cuBLAS"
	env      string   // STEMFLOW_LIB...
	names    []string // sonames, newest first
	toolkit  bool     // also look in the toolkit folders
	debian   string   // the Debian package that provides it, for the error message
	required bool
}

var (
	libDriver = libSpec{what: "CUDA driver", env: "STEMFLOW_LIBCUDA", names: []string{"libcuda.so.1", "libcuda.so"},
		debian: "the NVIDIA driver (libcuda1 / nvidia-driver)", required: true}
	libNVRTC = libSpec{what: "NVRTC", env: "STEMFLOW_LIBNVRTC", names: []string{"libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"},
		toolkit: true, debian: "the CUDA toolkit's NVRTC (libnvrtc / cuda-nvrtc)"}
	libCuBLAS = libSpec{what: "cuBLAS", env: "STEMFLOW_LIBCUBLAS", names: []string{"libcublas.so.13", "libcublas.so.12", "libcublas.so"},
		toolkit: true, debian: "the CUDA toolkit's cuBLAS (libcublas)"}
)

// toolkitDirs returns the folders where CUDA toolkits keep their libraries, in search
// order, from the environment getenv (os.Getenv in use; a map in tests).
func toolkitDirs(getenv func(string) string) []string {
	var dirs []string
	add := func(d string) {
		if d == "" {
			return
		}
		for _, have := range dirs {
			if have == d {
				return
			}
		}
		dirs = append(dirs, d)
	}
	for _, d := range strings.Split(getenv("STEMFLOW_CUDA_LIB_DIR"), string(os.PathListSeparator)) {
		add(d)
	}
	for _, v := range []string{"CUDA_HOME", "CUDA_PATH"} {
		if h := getenv(v); h != "" {
			add(filepath.Join(h, "lib64"))
			add(filepath.Join(h, "lib"))
		}
	}
	add("/usr/local/cuda/lib64")
	arch := map[string]string{"amd64": "x86_64", "arm64": "sbsa"}[runtime.GOARCH]
	if arch != "" {
		add("/usr/local/cuda/targets/" + arch + "-linux/lib")
	}
	add("/usr/local/nvidia/lib64")
	return dirs
}

// candidates returns the paths to try for a library, in order: the override file alone
// when its variable is set; else the plain names (the loader's search), then for toolkit
// libraries — and the driver too, for containers that mount it in a toolkit folder —
// each name in each toolkit folder.
func (s libSpec) candidates(getenv func(string) string) []string {
	if p := getenv(s.env); p != "" {
		return []string{p}
	}
	out := append([]string(nil), s.names...)
	for _, d := range toolkitDirs(getenv) {
		for _, n := range s.names {
			out = append(out, filepath.Join(d, n))
		}
	}
	return out
}
