// Package blas owns stemflow's dense matrix products (SGEMM and DGEMM,
// row-major). It loads OpenBLAS (or another CBLAS) at run time with
// github.com/ebitengine/purego — no cgo and nothing BLAS-specific at build
// time — and falls back to gonum's pure-Go implementation when no library is
// found, so one binary serves both cases.
//
// The library is looked up on first use, in this order: the path in the
// STEMFLOW_BLAS environment variable (the value "off" disables loading),
// then libopenblas.so.0, libopenblas.so and libblas.so.3 through the dynamic
// linker's search path, then the same names under /usr/lib/x86_64-linux-gnu,
// /lib/x86_64-linux-gnu, /usr/lib64, /usr/lib and /usr/local/lib (on macOS,
// libopenblas.dylib and the Accelerate framework). A library qualifies when
// it exports cblas_sgemm and cblas_dgemm. OPENBLAS_CORETYPE and
// OPENBLAS_NUM_THREADS in the environment are honoured by OpenBLAS itself.
//
// OpenBLAS runs its own threads; when the engine already runs one task per
// core, call SetThreads(1) so the two do not oversubscribe the machine.
//
// blas imports only gonum, purego and internal/kernels; it must not import
// other stemflow packages.
package blas
