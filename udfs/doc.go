// Package udfs owns stemflow's built-in UDFs: Sum, SumSig, StdDev, Logsum, Pick,
// ApplyMasks, CoM (centre of mass), FEM, Crystallinity, Record and NoOp, plus the mask
// helpers they share (Disk, Ring, Point, GradientY, GradientX) and the numerics behind
// them (pairwise variance combination, centre-of-mass post-processing with numpy
// gradient semantics, Fourier-space ring integration).
//
// Each built-in reproduces the reference's buffer names, dtypes, results and edge
// cases. Hot loops use internal/kernels (SIMD with scalar twins) and, for
// dense mask products, backends/blas (OpenBLAS when installed, pure Go otherwise); a
// kernel that does not exist there is written here as a scalar multi-accumulator loop
// that allocates nothing per frame.
//
// Accuracy: sums that the reference accumulates in the input dtype (float32 for
// float32 data) are accumulated here in float64 scratch and rounded once at the end of
// each partition, so a float32 Sum over thousands of frames is correct to float32
// rounding of the final value rather than to the accumulated error of a running float32
// sum. This is a deliberate improvement over the reference.
//
// Deliberate deviations from the reference (each documented on its type):
//   - Sum (with its zero DType), SumSig and CoM read the stored dtype (udf.NativeDType)
//     and fuse the conversion into their kernels: results and result dtypes are the
//     reference's, but Meta.InputDType of a run holding only native-dtype UDFs is the
//     stored dtype (the reference would report float32).
//   - Sums are accumulated in float64 (exact uint32 for uint16 data) and rounded once.
//   - CoM: a nav axis of length 1 has derivative 0 in divergence/curl (numpy.gradient
//     raises); shifts are computed in float64 from the float32 moments.
//   - Record and NoOp keep a private frame counter (never returned), so that their
//     tasks always have an output to merge whatever the engine does with buffer-less
//     UDFs (an early engine version culled them, and Record then wrote nothing).
//
// udfs imports udf, array, backends/blas and internal/kernels (dataset in tests); it
// must not be imported by any of them.
package udfs
