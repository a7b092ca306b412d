//go:build (linux || darwin || freebsd) && !noblas

package blas

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/ebitengine/purego"
)

// ErrNoLibrary is wrapped by LoadError when no usable CBLAS library was
// found or loading was disabled.
var ErrNoLibrary = errors.New("blas: no native CBLAS library")

func candidates() []string {
	if p := os.Getenv("STEMFLOW_BLAS"); p != "" {
		return []string{p}
	}
	var names, dirs []string
	if runtime.GOOS == "darwin" {
		names = []string{"libopenblas.dylib", "libopenblas.0.dylib", "/System/Library/Frameworks/Accelerate.framework/Accelerate"}
		dirs = []string{"/opt/homebrew/opt/openblas/lib", "/usr/local/opt/openblas/lib"}
	} else {
		names = []string{"libopenblas.so.0", "libopenblas.so", "libblas.so.3"}
		dirs = []string{"/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/lib"}
	}
	out := append([]string(nil), names...)
	for _, d := range dirs {
		for _, n := range names {
			if !filepath.IsAbs(n) {
				out = append(out, filepath.Join(d, n))
			}
		}
	}
	return out
}

func load() (*library, error) {
	if os.Getenv("STEMFLOW_BLAS") == "off" {
		return nil, fmt.Errorf("%w: disabled by STEMFLOW_BLAS=off", ErrNoLibrary)
	}
	var errs []error
	for _, path := range candidates() {
		h, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_LOCAL)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		l, err := bind(h, path)
		if err != nil {
			errs = append(errs, err)
			_ = purego.Dlclose(h)
			continue
		}
		return l, nil
	}
	return nil, fmt.Errorf("%w: %w", ErrNoLibrary, errors.Join(errs...))
}

func bind(h uintptr, path string) (l *library, err error) {
	for _, sym := range []string{"cblas_sgemm", "cblas_dgemm"} {
		if _, err := purego.Dlsym(h, sym); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	defer func() {
		// RegisterLibFunc panics on unsupported signatures; keep that an error.
		if r := recover(); r != nil {
			l, err = nil, fmt.Errorf("%s: binding CBLAS: %v", path, r)
		}
	}()
	l = &library{path: path}
	purego.RegisterLibFunc(&l.sgemm, h, "cblas_sgemm")
	purego.RegisterLibFunc(&l.dgemm, h, "cblas_dgemm")
	if _, err := purego.Dlsym(h, "openblas_set_num_threads"); err == nil {
		purego.RegisterLibFunc(&l.setThreads, h, "openblas_set_num_threads")
	}
	if _, err := purego.Dlsym(h, "openblas_get_config"); err == nil {
		var getConfig func() string
		purego.RegisterLibFunc(&getConfig, h, "openblas_get_config")
		l.config = getConfig()
	}
	return l, nil
}

// The library reads a and b and writes c on its own threads while this
// goroutine is blocked in the call; pinning keeps the three arrays where they
// are for that time (the cgo pointer rules apply to purego too).

func nativeSgemm(l *library, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	var p runtime.Pinner
	p.Pin(&a[0])
	p.Pin(&b[0])
	p.Pin(&c[0])
	defer p.Unpin()
	l.sgemm(cblasRowMajor, ctrans(transA), ctrans(transB), int32(m), int32(n), int32(k), alpha, &a[0], int32(lda), &b[0], int32(ldb), beta, &c[0], int32(ldc))
}

func nativeDgemm(l *library, transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	var p runtime.Pinner
	p.Pin(&a[0])
	p.Pin(&b[0])
	p.Pin(&c[0])
	defer p.Unpin()
	l.dgemm(cblasRowMajor, ctrans(transA), ctrans(transB), int32(m), int32(n), int32(k), alpha, &a[0], int32(lda), &b[0], int32(ldb), beta, &c[0], int32(ldc))
}
