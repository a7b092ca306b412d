// Package cuda is stemflow's GPU backend: the CUDA driver API, NVRTC and cuBLAS loaded at
// run time with purego (no cgo, nothing CUDA at build time), devices and their primary
// contexts, streams, device and pinned host buffers, kernels compiled from the CUDA C
// sources embedded in this package, and the pinned-buffer pool the tile path reads into.
//
// Available reports whether a usable driver and at least one device were found; every
// other entry point returns ErrUnavailable (wrapped with the reason) when not. Nothing in
// this package is needed to build or test stemflow without a GPU: its tests skip there,
// except those of the pieces that need no device (library search, the pinned-buffer pool
// over a fake allocator, kernel source embedding and naming).
//
// # Finding the libraries
//
// libcuda.so.1 comes with the driver and is on the loader path; NVRTC (libnvrtc.so.13 or
// .12) and cuBLAS (libcublas.so.13 or .12) come with the toolkit and often are not. Each
// is tried by its plain name first, then in $STEMFLOW_CUDA_LIB_DIR, $CUDA_HOME/lib64,
// $CUDA_PATH/lib64, /usr/local/cuda/lib64 and /usr/local/cuda/targets/<arch>-linux/lib.
// STEMFLOW_CUDA=off disables the backend; STEMFLOW_LIBCUDA, STEMFLOW_LIBNVRTC and
// STEMFLOW_LIBCUBLAS name one exact file each for odd installs.
//
// # Threads and contexts
//
// A CUDA context is current per OS thread. A Device's methods make its primary context
// current on the calling thread before each batch of calls (cuCtxSetCurrent is cheap);
// the scheduler's device lanes additionally lock their worker goroutines to OS threads.
//
// It imports only purego and the standard library; it must not import dataset, udf or
// anything above backends.
package cuda
