// Package hdf5 owns what stemflow needs of HDF5 below the Dataset contract: a binding to
// the HDF5 C library loaded at run time through purego (no cgo), used only to read
// metadata — the object tree, external links, dtypes, shapes, the filter pipeline and
// the chunk index (each chunk's file offset, stored size and filter mask) — and the
// filter codecs that decode chunk bytes in Go: deflate (gzip), shuffle, fletcher32
// (stripped), LZF (32000), LZ4 (32004), bitshuffle with or without LZ4 (32008) and zstd
// (32015).
//
// The library serialises every call behind one global lock, so it is never called on
// the data path: after Open has indexed the chunks, readers pread the stored chunk bytes
// and decode them with DecodeChunk on any number of goroutines at once.
//
// The library is found at run time (libhdf5_serial.so.103 from the Debian package
// libhdf5-103-1, or the path in STEMFLOW_HDF5). When it is missing, Open fails with an
// error wrapping ErrNoLibrary that names the package to install. The filter codecs do
// not need the library.
//
// Of stemflow it imports nothing; package dataset builds the "hdf5" format on it.
package hdf5
