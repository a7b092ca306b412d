// Package array owns stemflow's array vocabulary: element types (DType, with numpy's
// promotion and safe-casting rules for bool, int8…int64, uint8…uint64, float32, float64,
// complex64, complex128, byte strings S<n> and object), the nav/sig Shape of a dataset,
// the Slice box that partitions and tiles are cut into, array formats behind the Array
// interface — strided n-d Dense arrays here, CSR/CSC sparse matrices in csr*.go/csc*.go —
// dtype conversion with numpy value semantics, and .npy reading and writing.
//
// A tile, a frame, a result buffer and the contents of a .npy file are all "an Array of
// some format". Hot code type-switches to the concrete type (*Dense[float32],
// *CSR[float32, int32], …) and works on its slices directly, as image users do with
// *image.RGBA.
//
// array is the bottom of the import graph: it imports only the standard library and
// must not import any other stemflow package.
package array
