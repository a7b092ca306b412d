// Package examples holds runnable stemflow programs, one per folder, each a main
// package that runs on the built-in synthetic sample (or on a file given as its
// first argument):
//
//	customudf  a custom frame UDF that takes any input dtype and merges additively
//	gpukernel  a UDF whose device side is its own CUDA C kernel (emulated without a GPU)
//	lazy       a lazy pipeline: UDF results composed with a Go function, graph export
//	onepass    several built-in UDFs in one pass over the data
//	progress   RunIter with live progress and partial results
//	templatematch  a sparse template-matching UDF on CSR tiles (peak finding)
//
// Run one with `go run ./examples/customudf [FILE]`.
package examples
