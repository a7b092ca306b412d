package udfs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"unsafe"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/udf"
)

// ErrRecordROI reports a Record run with a ROI (not supported, as in the reference).
var ErrRecordROI = errors.New("udfs: Record does not support a ROI")

// Record writes its input (the dataset's native dtype unless another UDF of the run
// asks for more) to a .npy file of the dataset's shape, as the reference's RecordUDF.
// The file appears atomically: the first of the main node's Preprocess and the tasks
// creates a temporary file beside Path (named Path+".tmp-*") with the header and the
// full size, tasks write their tiles at their offsets, and Results renames it to Path
// once every partition is merged (Results of an earlier RunIter snapshot leaves it in
// place). When the run fails, is cancelled or is stopped, or ends without Results
// (DryRun, a RunIter consumer that never asks for the last snapshot's results),
// EndRun removes the temporary file: no file appears at Path and no temporary stays.
// Only handles of a LazyRun computed through package delayed, which do not call
// EndRun, can leave a temporary behind when they fail. One Record value serves one
// run at a time.
type Record struct {
	// Path is the .npy file to write.
	Path string

	mu  sync.Mutex
	tmp string
}

// NewRecord returns a Record writing to path.
func NewRecord(path string) *Record { return &Record{Path: path} }

// Name returns "Record".
func (*Record) Name() string { return "Record" }

// PreferredInputDType returns udf.NativeDType.
func (*Record) PreferredInputDType() array.DType { return udf.NativeDType }

// ResultBuffers declares only a private frame counter (see NoOp): Record returns no
// results.
func (*Record) ResultBuffers(*udf.Meta) []udf.BufferSpec { return frameCounter() }

// Merge adds the frame counts.
func (*Record) Merge(dest, src *udf.Views, _ *udf.Meta) error {
	return addInto(dest.At(0), src.At(0))
}

// npyHeader returns a version 1.0 .npy header for a little-endian C-order array.
func npyHeader(dt array.DType, shape []int) ([]byte, error) {
	descr := dt.TypeStr(binary.LittleEndian)
	if descr == "invalid" || dt.Kind() == array.KindObject {
		return nil, fmt.Errorf("%w: Record: dtype %v", ErrUnsupportedDType, dt)
	}
	var sb strings.Builder
	sb.WriteString("(")
	for i, s := range shape {
		fmt.Fprintf(&sb, "%d", s)
		if i < len(shape)-1 || len(shape) == 1 {
			sb.WriteString(",")
		}
		if i < len(shape)-1 {
			sb.WriteString(" ")
		}
	}
	sb.WriteString(")")
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, sb.String())
	total := 10 + len(dict) + 1
	pad := (64 - total%64) % 64
	dict += strings.Repeat(" ", pad) + "\n"
	if len(dict) > 65535 {
		return nil, fmt.Errorf("%w: Record: header too long", ErrUnsupportedDType)
	}
	h := []byte("\x93NUMPY\x01\x00")
	h = binary.LittleEndian.AppendUint16(h, uint16(len(dict)))
	return append(h, dict...), nil
}

// ensureTmp creates the temporary file (header and full size) once per run; the
// main node's Preprocess and the tasks may run concurrently, so whichever comes first
// creates it.
func (r *Record) ensureTmp(m *udf.Meta) (string, error) {
	if m.ROI != nil {
		return "", fmt.Errorf("%w: %s", ErrRecordROI, r.Path)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.tmp != "" {
		return r.tmp, nil
	}
	hdr, err := npyHeader(m.InputDType, m.DatasetShape.Dims())
	if err != nil {
		return "", err
	}
	f, err := os.CreateTemp(filepath.Dir(r.Path), filepath.Base(r.Path)+".tmp-*")
	if err != nil {
		return "", fmt.Errorf("udfs: Record: %w", err)
	}
	size := int64(len(hdr)) + int64(m.DatasetShape.Size())*int64(m.InputDType.ItemSize())
	if _, err = f.Write(hdr); err == nil {
		err = f.Truncate(size)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("udfs: Record: %s: %w", f.Name(), err)
	}
	r.tmp = f.Name()
	return r.tmp, nil
}

// Preprocess creates the temporary file on the main node (Partition < 0) unless a
// task already did.
func (r *Record) Preprocess(env *udf.Env) error {
	if env.Meta.Partition >= 0 {
		return nil
	}
	_, err := r.ensureTmp(env.Meta)
	return err
}

type recordTask struct {
	f      *os.File
	hdrLen int64
	box    sigBox
	sig    []int
}

// TaskData opens the temporary file for writing.
func (r *Record) TaskData(env *udf.Env) (any, error) {
	tmp, err := r.ensureTmp(env.Meta)
	if err != nil {
		return nil, err
	}
	hdr, err := npyHeader(env.Meta.InputDType, env.Meta.DatasetShape.Dims())
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(tmp, os.O_WRONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("udfs: Record: %w", err)
	}
	return &recordTask{f: f, hdrLen: int64(len(hdr)), sig: env.Meta.DatasetShape.Sig()}, nil
}

// asBytes returns the little-endian bytes of a contiguous tile (amd64/arm64 are
// little-endian, the only targets).
func asBytes[T any](d *array.Dense[T]) []byte {
	data := tileData(d)
	if len(data) == 0 {
		return nil
	}
	var z T
	return unsafe.Slice((*byte)(unsafe.Pointer(&data[0])), len(data)*int(unsafe.Sizeof(z)))
}

// ProcessTile writes the tile's runs at their offsets.
func (r *Record) ProcessTile(env *udf.Env, tile array.Array) error {
	t := env.TaskData().(*recordTask)
	var b []byte
	switch d := tile.(type) {
	case *array.Dense[float32]:
		b = asBytes(d)
	case *array.Dense[float64]:
		b = asBytes(d)
	case *array.Dense[uint16]:
		b = asBytes(d)
	case *array.Dense[uint8]:
		b = asBytes(d)
	case *array.Dense[int8]:
		b = asBytes(d)
	case *array.Dense[int16]:
		b = asBytes(d)
	case *array.Dense[int32]:
		b = asBytes(d)
	case *array.Dense[uint32]:
		b = asBytes(d)
	case *array.Dense[int64]:
		b = asBytes(d)
	case *array.Dense[uint64]:
		b = asBytes(d)
	case *array.Dense[complex64]:
		b = asBytes(d)
	case *array.Dense[complex128]:
		b = asBytes(d)
	case *array.Dense[bool]:
		b = asBytes(d)
	default:
		return tileTypeError("Record", tile)
	}
	if err := countFrames(env); err != nil {
		return err
	}
	t.box.set(t.sig, env.Meta.SigSlice)
	item := int64(tile.DType().ItemSize())
	depth := env.Meta.Slice.Shape.Dim(0)
	frame0 := int64(env.Meta.Slice.Origin[0])
	sigSize := int64(env.Meta.DatasetShape.SigSize())
	px := t.box.size()
	for f := 0; f < depth; f++ {
		for ru := 0; ru < t.box.runs; ru++ {
			src := b[int64(f*px+ru*t.box.runLen)*item : int64(f*px+(ru+1)*t.box.runLen)*item]
			off := t.hdrLen + ((frame0+int64(f))*sigSize+int64(t.box.runOff(ru)))*item
			if _, err := t.f.WriteAt(src, off); err != nil {
				return fmt.Errorf("udfs: Record: %w", err)
			}
		}
	}
	return nil
}

// Cleanup closes the task's file handle.
func (r *Record) Cleanup(env *udf.Env) error {
	if t, ok := env.TaskData().(*recordTask); ok && t != nil {
		return t.f.Close()
	}
	return nil
}

// Results syncs the temporary file and renames it to Path once every partition is
// merged; before that (an intermediate RunIter snapshot) it returns no results and
// leaves the temporary file in place.
func (r *Record) Results(env *udf.Env) (map[string]array.Array, error) {
	for _, ok := range env.Meta.ValidNavMask(false) {
		if !ok {
			return map[string]array.Array{}, nil
		}
	}
	r.mu.Lock()
	tmp := r.tmp
	r.tmp = ""
	r.mu.Unlock()
	if tmp == "" {
		return map[string]array.Array{}, nil
	}
	f, err := os.OpenFile(tmp, os.O_RDWR, 0)
	if err == nil {
		err = f.Sync()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err == nil {
		err = os.Rename(tmp, r.Path)
	}
	if err != nil {
		os.Remove(tmp)
		return nil, fmt.Errorf("udfs: Record: %s: %w", r.Path, err)
	}
	return map[string]array.Array{}, nil
}

// EndRun removes the temporary file when the run ended without Results renaming it
// (a failed, cancelled or stopped run, a DryRun), so that nothing is left beside Path.
func (r *Record) EndRun(_ *udf.Meta, _ error) {
	r.mu.Lock()
	tmp := r.tmp
	r.tmp = ""
	r.mu.Unlock()
	if tmp != "" {
		os.Remove(tmp)
	}
}
