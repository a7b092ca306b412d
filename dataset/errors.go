package dataset

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Every error returned by this package wraps exactly one of them (test
// with errors.Is) and, where one applies, is an *Error naming the file and the field.
var (
	// ErrNotFound: the dataset file does not exist (also wraps fs.ErrNotExist).
	ErrNotFound = errors.New("file not found")
	// ErrFileTooShort: the file holds fewer bytes than its shape needs; see *ShortFileError.
	ErrFileTooShort = errors.New("file too short")
	// ErrDType: unknown or unsupported dtype, or a dtype this format cannot read.
	ErrDType = errors.New("unsupported dtype")
	// ErrShape: a zero or negative extent, a wrong number of axes, or nav/sig overrides
	// that do not fit the data.
	ErrShape = errors.New("invalid shape")
	// ErrSigSize: a sig_shape override whose size differs from the stored frame size.
	ErrSigSize = errors.New("sig_shape changes the frame size")
	// ErrSyncOffset: sync_offset outside (-image_count, image_count).
	ErrSyncOffset = errors.New("sync_offset out of range")
	// ErrHeader: a truncated or malformed file header (for example .npy).
	ErrHeader = errors.New("malformed header")
	// ErrOption: an invalid option value (negative partition count, bad tileshape, ...).
	ErrOption = errors.New("invalid option")
	// ErrFormat: an unknown format name, or a path whose format cannot be detected.
	ErrFormat = errors.New("unknown dataset format")
	// ErrArrayFormat: a tile array format (dense, CSR, CSC) the dataset cannot produce.
	ErrArrayFormat = errors.New("array format not supported by dataset")
	// ErrTiling: a tiling scheme or negotiation input that cannot be satisfied.
	ErrTiling = errors.New("invalid tiling")
	// ErrPartition: a partition that does not belong to the dataset it is read from.
	ErrPartition = errors.New("invalid partition")
	// ErrROI: a ROI whose length is not the number of nav positions.
	ErrROI = errors.New("invalid roi")
	// ErrClosed: the dataset was closed.
	ErrClosed = errors.New("dataset closed")
)

// Error describes a bad dataset input: which file (Path, empty for in-memory data), which
// field or option (Field, for example "sig_shape" or "header.descr"), what was wrong
// (Detail), wrapping one of the package's sentinel errors (Err).
type Error struct {
	Path   string
	Field  string
	Detail string
	Err    error
}

// Error formats as "dataset <path>: <field>: <detail>: <sentinel>".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("dataset")
	if e.Path != "" {
		b.WriteString(" ")
		b.WriteString(e.Path)
	}
	if e.Field != "" {
		b.WriteString(": ")
		b.WriteString(e.Field)
	}
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	if e.Err != nil {
		b.WriteString(" (")
		b.WriteString(e.Err.Error())
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap returns the wrapped sentinel or cause.
func (e *Error) Unwrap() error { return e.Err }

func newErr(path, field string, sentinel error, format string, args ...any) *Error {
	return &Error{Path: path, Field: field, Detail: fmt.Sprintf(format, args...), Err: sentinel}
}

// ShortFileError reports a file that holds fewer bytes than the dataset's shape needs.
// It matches ErrFileTooShort with errors.Is.
type ShortFileError struct {
	Path  string
	Field string // the field whose value sets the need, e.g. "nav_shape"
	Need  int64  // bytes the shape needs (including any header)
	Have  int64  // bytes in the file
}

// Missing returns how many bytes are missing.
func (e *ShortFileError) Missing() int64 { return e.Need - e.Have }

// Error formats the message with the number of missing bytes.
func (e *ShortFileError) Error() string {
	return fmt.Sprintf("dataset %s: %s: file holds %d bytes, the shape needs %d: %d bytes missing (%v)",
		e.Path, e.Field, e.Have, e.Need, e.Missing(), ErrFileTooShort)
}

// Is makes errors.Is(err, ErrFileTooShort) true.
func (e *ShortFileError) Is(target error) bool { return target == ErrFileTooShort }

// ErrTruncated: a file became shorter while the dataset had it open (for a mapped file,
// reading the vanished pages faults); see *TruncatedError.
var ErrTruncated = errors.New("file truncated while open")

// ErrIO: reading the data failed (an I/O error, or a fault on a mapped file that did not
// shrink); the *ReadError says where.
var ErrIO = errors.New("read failed")

// TruncatedError reports a file that shrank while the dataset had it open: it held
// OldSize bytes at open and NewSize bytes when the read failed (-1 when it could not be
// determined). It matches ErrTruncated with errors.Is.
type TruncatedError struct {
	OldSize int64
	NewSize int64
}

// Error formats the old and new size.
func (e *TruncatedError) Error() string {
	if e.NewSize < 0 {
		return fmt.Sprintf("file held %d bytes at open and became unreadable (%v)", e.OldSize, ErrTruncated)
	}
	return fmt.Sprintf("file shrank from %d to %d bytes while open (%v)", e.OldSize, e.NewSize, ErrTruncated)
}

// Is makes errors.Is(err, ErrTruncated) true.
func (e *TruncatedError) Is(target error) bool { return target == ErrTruncated }

// ReadError reports a failed read of a dataset's data: the file, the partition and the
// flat-nav positions [First, Stop) of the tile being read (dataset-global, before ROI
// compression). Err is the cause: a *TruncatedError, an I/O error from the operating
// system, or ErrIO. Errors from a ReadTiles callback are returned unchanged, never as a
// ReadError.
type ReadError struct {
	Path        string
	Partition   int
	First, Stop int
	Err         error
}

// Error formats as "dataset <path>: partition <p>, frames [a, b): <cause>".
func (e *ReadError) Error() string {
	return fmt.Sprintf("dataset %s: partition %d, frames [%d, %d): %v", e.Path, e.Partition, e.First, e.Stop, e.Err)
}

// Unwrap returns the cause.
func (e *ReadError) Unwrap() error { return e.Err }

// IsDatasetError reports whether err comes from a dataset (an *Error, *ShortFileError or
// *ReadError anywhere in its chain) rather than from a caller's callback.
func IsDatasetError(err error) bool {
	var e *Error
	var s *ShortFileError
	var r *ReadError
	return errors.As(err, &e) || errors.As(err, &s) || errors.As(err, &r)
}
