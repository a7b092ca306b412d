package udf

import (
	"errors"
	"fmt"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/backends"
)

// Sentinel errors for the conditions a caller branches on. Errors returned by the engine wrap
// them with %w and name the UDF, buffer, partition or method involved.
var (
	// ErrNoUDFs: a run was asked for with no UDF (the reference's ValueError).
	ErrNoUDFs = errors.New("udf: no UDFs given")
	// ErrNoProcessMethod: the UDF implements none of ProcessTile, ProcessFrame,
	// ProcessPartition (the reference's TypeError).
	ErrNoProcessMethod = errors.New("udf: no process method (ProcessTile, ProcessFrame or ProcessPartition)")
	// ErrInvalidMethod: Method returned an unknown method or one the UDF does not
	// implement (UDFException).
	ErrInvalidMethod = errors.New("udf: invalid processing method")
	// ErrBadDeclaration: a buffer declaration is malformed (empty or duplicate name,
	// unknown kind or use, negative extent).
	ErrBadDeclaration = errors.New("udf: bad buffer declaration")
	// ErrCustomMergeRequired: the default merge met a buffer that is not kind nav
	// (and not result-only), so the UDF needs Merge or MergeAll (NotImplementedError).
	ErrCustomMergeRequired = errors.New("udf: buffer needs a custom Merge or MergeAll")
	// ErrUnsafeCast: the default merge would cast a partition buffer to the
	// dataset-level buffer unsafely (TypeError).
	ErrUnsafeCast = errors.New("udf: unsafe cast in default merge")
	// ErrUndeclaredBuffer: Results or MergeAll returned a name that ResultBuffers did
	// not declare (KeyError / ValueError), or a view was asked by an unknown name.
	ErrUndeclaredBuffer = errors.New("udf: undeclared buffer")
	// ErrPrivateResult: Results returned a private buffer (UDFException).
	ErrPrivateResult = errors.New("udf: private buffer returned from Results")
	// ErrResultKind: Results returned an array whose dtype kind differs from the
	// declaration (UDFException).
	ErrResultKind = errors.New("udf: result dtype kind differs from declaration")
	// ErrResultOnlyNotSet: a result-only buffer was not produced, typically because
	// the UDF has no Results ("don't know how to set use='result_only' buffer").
	ErrResultOnlyNotSet = errors.New("udf: result_only buffer not set; implement Results")
	// ErrNilResult: Results returned a nil array (or WithMask over a nil array) for a
	// buffer.
	ErrNilResult = errors.New("udf: nil result array")
	// ErrMergeAllResult: MergeAll returned an array whose dtype or shape differs from
	// the dataset-level buffer (ValueError).
	ErrMergeAllResult = errors.New("udf: MergeAll result has wrong dtype or shape")
	// ErrROIShape: the ROI's element count differs from the nav size, or it is not a
	// bool array (ValueError "roi: incompatible shapes").
	ErrROIShape = errors.New("udf: roi: incompatible shapes")
	// ErrInvalidMask: a WithMask mask is not bool or not broadcastable to its array
	// (InvalidMaskError).
	ErrInvalidMask = errors.New("udf: invalid mask")
	// ErrNoPartition: Meta.PartitionShape was asked on the main node.
	ErrNoPartition = errors.New("udf: no partition on the main node")
	// ErrTileModified: the debug check found that a UDF modified its input.
	ErrTileModified = errors.New("udf: UDF modified its input tile")
	// ErrAuxData: aux data does not fit the dataset or its declaration.
	ErrAuxData = errors.New("udf: bad aux data")
	// ErrSigSlice: the tiling does not fit the method (a frame UDF on sub-frame tiles,
	// a partition UDF on a partial partition).
	ErrSigSlice = errors.New("udf: tile does not fit the processing method")
	// ErrDataFault: reading the dataset's memory faulted (a mapped file shrank or
	// vanished while it was read).
	ErrDataFault = errors.New("udf: memory fault reading the dataset")
	// ErrMapResult: a Map function returned values of varying shape or type.
	ErrMapResult = errors.New("udf: map function result changed shape or type")
)

// UDFError is the error of a run that failed inside user code or on a UDF's
// declarations: a method returned an error or panicked, or the engine found the UDF's
// contract broken. It names the UDF (its index in the run and its type), the
// partition (-1 on the main node) and the method ("" when the message names it). Its
// message has one prefix, "udf 0 (Name): "; errors.Is finds the sentinel.
type UDFError struct {
	UDF       string
	Index     int
	Partition int
	Method    string
	Err       error
}

// Error implements error.
func (e *UDFError) Error() string {
	switch {
	case e.Method == "":
		return fmt.Sprintf("udf %d (%s): %v", e.Index, e.UDF, e.Err)
	case e.Partition >= 0:
		return fmt.Sprintf("udf %d (%s): %s, partition %d: %v", e.Index, e.UDF, e.Method, e.Partition, e.Err)
	}
	return fmt.Sprintf("udf %d (%s): %s: %v", e.Index, e.UDF, e.Method, e.Err)
}

// Unwrap returns the underlying error.
func (e *UDFError) Unwrap() error { return e.Err }

// PanicError is a panic inside user code turned into an error; Stack is the
// goroutine's stack at the panic.
type PanicError struct {
	Value any
	Stack []byte
}

// Error implements error.
func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// DatasetError is a failure of the dataset (not of a UDF) while a partition was read:
// an I/O error before or between tiles, or a memory fault on the dataset's mapping.
// It names the partition and its frame range [Start, Stop) and wraps the dataset's
// error, so errors.Is and errors.As see through it.
type DatasetError struct {
	Partition   int
	Start, Stop int
	Err         error
}

// Error implements error.
func (e *DatasetError) Error() string {
	return fmt.Sprintf("reading partition %d (frames %d to %d): %v", e.Partition, e.Start, e.Stop, e.Err)
}

// Unwrap returns the dataset's error.
func (e *DatasetError) Unwrap() error { return e.Err }

// ConvertError is a failure converting a tile from the dataset's format to the array
// backend a UDF receives (backends.TileConverter); it wraps the converter's error.
type ConvertError struct {
	From array.Format
	To   backends.Backend
	Err  error
}

// Error implements error.
func (e *ConvertError) Error() string {
	return fmt.Sprintf("tile converter (%v to %v): %v", e.From, e.To, e.Err)
}

// Unwrap returns the converter's error.
func (e *ConvertError) Unwrap() error { return e.Err }
