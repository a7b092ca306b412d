package cluster

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"time"
	"unsafe"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/udf"
)

// ProtocolVersion is the wire protocol's version; driver and worker must agree.
const ProtocolVersion = 1

// Names of the NATS objects a cluster uses.
const (
	StreamName   = "STEMFLOW"
	ConsumerName = "stemflow-workers"
	BucketName   = "stemflow"
	taskPrefix   = "stemflow.task."
	resultPrefix = "stemflow.result."
	cancelPrefix = "stemflow.cancel."
)

// DatasetSpec is how workers open the dataset: dataset.Open(Format, Path, Options).
// Path should be absolute and name the same file on every machine.
type DatasetSpec struct {
	Format  string
	Path    string
	Options dataset.OpenOptions
}

// wireJob is the job object every task refers to.
type wireJob struct {
	Protocol   int
	ID         string
	Dataset    DatasetSpec
	UDFs       []wireUDF
	ROI        string // blob name of the ROI (.npy), "" = none
	Backends   []string
	CheckInput bool
	AckWait    time.Duration
	Inline     int
}

// wireUDF is one UDF of a job.
type wireUDF struct {
	Name    string
	Version string
	Params  json.RawMessage
	Arrays  map[string]string // name → blob name
}

// wireTask is a task message.
type wireTask struct {
	Protocol int
	Job      string
	Task     udf.RemoteTask
	AckWait  time.Duration
	Inline   int
}

// wireResult is the header of a result message (the inline payload follows).
type wireResult struct {
	Job       string
	Partition int
	Attempt   uint64
	Worker    string
	Err       *TaskError `json:",omitempty"`
	Object    string     `json:",omitempty"` // payload in the Object Store
	Size      int
	Bufs      [][]wireBuf
}

// wireBuf locates one buffer in the payload; Len 0 = nil (result-only).
type wireBuf struct {
	Off, Len int
	CRC      uint32
}

// Error kinds of a TaskError.
const (
	KindUDF      = "udf"       // the UDF failed (*udf.UDFError)
	KindUnknown  = "unknown"   // unknown UDF name
	KindVersion  = "version"   // protocol or UDF version mismatch
	KindDataRoot = "data_root" // the dataset path is outside the worker's data root
	KindSetup    = "setup"     // opening the dataset, fetching the job, preparing the run
)

// TaskError is a task that failed on a worker. It unwraps to ErrUnknownUDF,
// ErrVersion, ErrDataRoot or, for UDF errors, a *udf.UDFError carrying the
// worker's message.
type TaskError struct {
	Worker    string
	Partition int
	Kind      string
	Msg       string
	// UDF error details (Kind "udf").
	UDF    string `json:",omitempty"`
	Index  int    `json:",omitempty"`
	Method string `json:",omitempty"`
}

// Error names the worker and the partition.
func (e *TaskError) Error() string {
	return fmt.Sprintf("cluster: worker %s, partition %d: %s", e.Worker, e.Partition, e.Msg)
}

// Unwrap returns the sentinel or *udf.UDFError of the error's kind.
func (e *TaskError) Unwrap() error {
	switch e.Kind {
	case KindUnknown:
		return ErrUnknownUDF
	case KindVersion:
		return ErrVersion
	case KindDataRoot:
		return ErrDataRoot
	case KindUDF:
		return &udf.UDFError{UDF: e.UDF, Index: e.Index, Partition: e.Partition, Method: e.Method, Err: errors.New(e.Msg)}
	}
	return nil
}

// taskError classifies a worker-side error.
func taskError(worker string, partition int, err error) *TaskError {
	te := &TaskError{Worker: worker, Partition: partition, Kind: KindSetup, Msg: err.Error()}
	var ue *udf.UDFError
	switch {
	case errors.Is(err, ErrUnknownUDF):
		te.Kind = KindUnknown
	case errors.Is(err, ErrVersion):
		te.Kind = KindVersion
	case errors.Is(err, ErrDataRoot):
		te.Kind = KindDataRoot
	case errors.As(err, &ue):
		te.Kind, te.UDF, te.Index, te.Method = KindUDF, ue.UDF, ue.Index, ue.Method
		if ue.Err != nil {
			te.Msg = ue.Err.Error()
		}
	}
	return te
}

// encodeBuffers writes every non-nil buffer as .npy into one payload.
func encodeBuffers(out [][]array.Array) ([][]wireBuf, []byte, error) {
	var payload bytes.Buffer
	hdr := make([][]wireBuf, len(out))
	tab := crc32.MakeTable(crc32.Castagnoli)
	for i, bufs := range out {
		hdr[i] = make([]wireBuf, len(bufs))
		for j, b := range bufs {
			if b == nil {
				continue
			}
			// each buffer starts at a multiple of 64 bytes (as does the payload, see
			// frame), so the driver can decode its data in place
			payload.Write(make([]byte, (wireAlign-payload.Len()%wireAlign)%wireAlign))
			off := payload.Len()
			if err := array.WriteNPY(&payload, b); err != nil {
				return nil, nil, fmt.Errorf("cluster: encoding buffer %d of udf %d: %w", j, i, err)
			}
			p := payload.Bytes()[off:]
			hdr[i][j] = wireBuf{Off: off, Len: len(p), CRC: crc32.Checksum(p, tab)}
		}
	}
	return hdr, payload.Bytes(), nil
}

// ErrChecksum is the error for a result whose bytes do not match their checksum.
var ErrChecksum = errors.New("cluster: result checksum mismatch")

// decodeBuffers reads the buffers of a result back.
func decodeBuffers(hdr [][]wireBuf, payload []byte) ([][]array.Array, error) {
	tab := crc32.MakeTable(crc32.Castagnoli)
	out := make([][]array.Array, len(hdr))
	for i, bufs := range hdr {
		out[i] = make([]array.Array, len(bufs))
		for j, b := range bufs {
			if b.Len == 0 {
				continue
			}
			if b.Off < 0 || b.Len < 0 || b.Off+b.Len > len(payload) {
				return nil, fmt.Errorf("cluster: buffer %d of udf %d: bytes [%d, %d) outside the %d-byte payload", j, i, b.Off, b.Off+b.Len, len(payload))
			}
			p := payload[b.Off : b.Off+b.Len]
			if c := crc32.Checksum(p, tab); c != b.CRC {
				return nil, fmt.Errorf("%w: buffer %d of udf %d: CRC-32C %08x, header says %08x", ErrChecksum, j, i, c, b.CRC)
			}
			a, err := decodeNPY(p)
			if err != nil {
				return nil, fmt.Errorf("cluster: buffer %d of udf %d: %w", j, i, err)
			}
			out[i][j] = a
		}
	}
	return out, nil
}

// wireAlign is the alignment of payloads and result buffers in a message.
const wireAlign = 64

// decodeNPY decodes one .npy buffer of a result. A numeric array in the machine's
// byte order whose data is aligned in p aliases p (the message is the driver's own
// copy, so no second copy is made); anything else is copied by array.ReadNPY.
func decodeNPY(p []byte) (array.Array, error) {
	h, err := array.ReadNPYHeader(bytes.NewReader(p))
	if err != nil {
		return nil, err
	}
	if !h.FortranOrder && (h.ByteOrder == nil || h.ByteOrder == nativeOrder) &&
		h.DataOffset >= 0 && h.DataLen() > 0 && h.DataOffset+h.DataLen() == int64(len(p)) {
		data := p[h.DataOffset:]
		var a array.Array
		switch h.DType {
		case array.Float32:
			a = alias[float32](data, h.Shape)
		case array.Float64:
			a = alias[float64](data, h.Shape)
		case array.Int64:
			a = alias[int64](data, h.Shape)
		case array.Int32:
			a = alias[int32](data, h.Shape)
		case array.Uint32:
			a = alias[uint32](data, h.Shape)
		case array.Uint16:
			a = alias[uint16](data, h.Shape)
		case array.Complex64:
			a = alias[complex64](data, h.Shape)
		case array.Complex128:
			a = alias[complex128](data, h.Shape)
		}
		if a != nil {
			return a, nil
		}
	}
	return array.ReadNPY(bytes.NewReader(p))
}

// nativeOrder is the machine's byte order as the .npy reader reports it.
var nativeOrder = func() binary.ByteOrder {
	if binary.NativeEndian.Uint16([]byte{1, 0}) == 1 {
		return binary.LittleEndian
	}
	return binary.BigEndian
}()

// alias views data as a dense T array of the given shape, or returns nil when data
// is not aligned for T or its length is not a whole number of Ts.
func alias[T any](data []byte, shape []int) array.Array {
	var z T
	size := int(unsafe.Sizeof(z))
	if len(data) == 0 || len(data)%size != 0 || uintptr(unsafe.Pointer(&data[0]))%unsafe.Alignof(z) != 0 {
		return nil
	}
	n := 1
	for _, d := range shape {
		if d < 0 || (d > 0 && n > math.MaxInt/d) {
			return nil
		}
		n *= d
	}
	if n != len(data)/size {
		return nil
	}
	return array.Wrap(unsafe.Slice((*T)(unsafe.Pointer(&data[0])), len(data)/size), shape...)
}

// frame joins a JSON header and a payload: 4-byte big-endian header length, header
// (padded with spaces so that the payload starts at a multiple of wireAlign),
// payload.
func frame(hdr any, payload []byte) ([]byte, error) {
	h, err := json.Marshal(hdr)
	if err != nil {
		return nil, err
	}
	for (4+len(h))%wireAlign != 0 {
		h = append(h, ' ')
	}
	out := make([]byte, 4, 4+len(h)+len(payload))
	binary.BigEndian.PutUint32(out, uint32(len(h)))
	out = append(out, h...)
	return append(out, payload...), nil
}

// unframe splits a message made by frame, decoding the header into hdr.
func unframe(data []byte, hdr any) ([]byte, error) {
	if len(data) < 4 {
		return nil, fmt.Errorf("cluster: message of %d bytes, want at least 4", len(data))
	}
	n := binary.BigEndian.Uint32(data)
	if uint64(n) > uint64(len(data)-4) {
		return nil, fmt.Errorf("cluster: message header length %d exceeds the %d-byte message", n, len(data)-4)
	}
	if err := json.Unmarshal(data[4:4+n], hdr); err != nil {
		return nil, fmt.Errorf("cluster: message header: %w", err)
	}
	return data[4+n:], nil
}

// npyBytes encodes an array as .npy bytes.
func npyBytes(a array.Array) ([]byte, error) {
	var b bytes.Buffer
	if err := array.WriteNPY(&b, a); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// blobName is the content address of a blob.
func blobName(b []byte) string {
	s := sha256.Sum256(b)
	return "blob." + hex.EncodeToString(s[:])
}

// readNPYBytes decodes .npy bytes.
func readNPYBytes(b []byte) (array.Array, error) {
	return array.ReadNPY(bytes.NewReader(b))
}
