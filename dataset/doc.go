// Package dataset owns the Dataset contract of stemflow and everything between a file
// on disk and the tiles a UDF sees: formats (memory, raw, npy here; raw_csr in
// rawcsr*.go), nav_shape/sig_shape overrides, the sync offset, partitioning, the tiling
// scheme and its negotiation, tile iteration with ROI compression, and memory-mapped I/O
// with per-tile decoding.
//
// # Data model
//
// A Dataset has a Shape (nav axes, then sig axes: one frame), a native DType, an image
// count (frames physically stored) and a sync offset k: nav position i shows stored frame
// i+k; positions whose stored frame does not exist receive no data. Partitions
// (Partitions, NumPartitions) are contiguous ranges of flat-nav positions covering the
// full signal, with the reference's linspace-floor boundaries (spec §6.1).
//
// A run negotiates one TilingScheme (Negotiate, NegotiationFor: spec §6.4) from every
// UDF's TilingPrefs, the read dtype and the dataset's hints (BaseShape, MaxIOSize,
// NeedDecode, AdjustTileShape). Each partition task then calls ReadTiles, which hands
// fn the tiles in spec §6.3 order: frames (ROI-selected, in flat order) in blocks of the
// scheme's depth, and for each block every sig box. Tile.Slice is in flat-nav,
// ROI-compressed, dataset-global coordinates; NavMapper turns such indices into true nav
// coordinates.
//
// # Tiles are read-only and borrowed
//
// Tile.Data is valid only while fn runs: the *Tile, its Slice.Origin and its decode
// buffers are reused for the next tile (copy what you keep). Never modify tile data:
// without decoding it is a view into a read-only memory mapping (writing faults; while
// ReadTiles runs such faults panic instead of crashing the process) or into the array of
// a memory dataset. Dense tiles are always C-contiguous *array.Dense[T] of shape
// (depth,)+box.
//
// # I/O
//
// By default (IOMmap) files are mapped read-only (syscall.Mmap, madvise sequential) once
// at Open and stay mapped until Close, so repeated runs pay no mapping cost. Native-dtype
// reads of whole frames without ROI are zero-copy (views; NegotiationFor bounds tile
// UDFs' views to ViewMaxBytes so that a run checks for cancellation every few MiB);
// everything else (another read dtype, a foreign byte order, a ROI, sig sub-boxes, a
// negative sync offset, ForceNeedDecode) is decoded per tile in one fused pass into
// buffers pooled per dataset and dtype, using the SIMD decoders of internal/kernels.
// IORead reads with pread into pooled buffers instead: every read copies (NeedDecode
// is always true, so negotiation caps tiles at the I/O size), but no page tables are
// built — the better choice for a one-shot pass over a file that needs decoding anyway
// (BenchmarkOneShotUint16). OpenOptions.Populate pre-faults a mapping. The tile reader
// allocates nothing per tile in steady state; the dense readers' tile and read buffers
// come from internal/hugemem (a huge page each where the kernel gives one), so a
// one-shot pass faults in its buffers once per 2 MiB instead of once per 4 KiB.
//
// # Adding a format
//
// A format is one file plus its tests: a type implementing Dataset (formats whose frames
// lie back to back in one byte range embed the unexported dense reader and only open
// their storage), and a RegisterFormat call in an init function so that Open and the
// detection by extension find it.
//
// Formats whose frames are separate records (per-frame headers or footers, offset
// tables, sets of files, bit-packed pixels) parse their headers into a FrameLayout and
// call OpenFramed (framed.go): each file's frame count and either a fixed stride or a
// table of offsets, the record size, the decoded sig shape, dtype and byte order, an
// optional crop of the stored frame, and an optional per-frame decoder. The generic
// reader implements the whole Dataset contract for them; a layout whose frames lie back
// to back in one file is read by the dense reader (zero-copy native reads).
//
// Errors wrap the sentinels of errors.go (ErrNotFound, ErrFileTooShort, ErrDType,
// ErrShape, ErrSigSize, ErrSyncOffset, ErrHeader, ...) and name the file and field.
//
// # HDF5
//
// The "hdf5" format (hdf5.go) asks the HDF5 C library, loaded at run time by the
// dataset/hdf5 subpackage, only for metadata and the chunk index; data is then read
// without it. A single contiguous dataset is a raw byte range (mmap or pread, zero-copy
// like a raw file); chunked datasets and stacks of datasets (DECTRIS ARINA master files
// whose /entry/data/data_NNNNNN external links are stacked in number order) are read by
// pread of each chunk and decoded in Go by every reading goroutine, which keeps its
// latest decoded chunks. Tiles are aligned to the chunks' sig extents (BaseShape).
//
// Of stemflow it imports array, internal/kernels and dataset/hdf5 only (outside it, the
// TOML parser for raw_csr descriptors and purego and the codecs through dataset/hdf5);
// it must not import udf, backends, sched or delayed.
package dataset
