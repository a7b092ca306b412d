// Package backends owns the array backends of a run: which array format and device class
// each UDF receives its tiles in.
//
// It provides
//   - the backend identifiers (Dense, CSR, CSC, COO on the CPU; CUDA, CuPy and the CuPy
//     sparse formats reserved for the GPU backend), their names as the reference spells
//     them ("numpy", "scipy.sparse.csr_matrix", ...), parsing, and the recommended
//     preference order All;
//   - the execution plan (NewPlan): one backend per UDF, chosen so that as few
//     conversions as possible happen, and the format the dataset is asked to produce;
//   - per-tile conversion (Converter): each tile converted at most once per backend,
//     into buffers reused across tiles;
//   - ForBuf, the reference's forbuf: densify a result and reshape it to a buffer;
//   - the scheduling resources of a run (ResourcesFor).
//
// 2-D-only formats (CSR, CSC, COO) receive tiles of shape (depth, prod(sig box)) and
// frames of shape (1, prod(sig)); the dense format receives (depth,)+sig box tiles.
//
// backends imports array (and may import dataset); it must not import udf or anything
// above it. The accelerated BLAS lives in backends/blas, the CUDA backend later in its
// own sub-package; nothing here needs either at build time.
package backends
