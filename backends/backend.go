package backends

import (
	"errors"
	"fmt"
	"strings"

	"github.com/stemflow/stemflow/array"
)

// Backend identifies an array format on a device class: the form in which a UDF receives
// its tiles. The zero Backend is invalid.
type Backend uint8

// The backends. The CPU ones are implemented; the CUDA ones are reserved for the GPU
// backend (a Converter reports ErrUnsupported for them until it lands).
const (
	// Dense is a dense n-d array on the CPU (*array.Dense[T]); the reference's "numpy".
	Dense Backend = iota + 1
	// CSR is a compressed-sparse-row matrix on the CPU (*array.CSR[T, int32]); the
	// reference's "scipy.sparse.csr_matrix". 2-D only.
	CSR
	// CSC is a compressed-sparse-column matrix on the CPU (*array.CSC[T, int32]); the
	// reference's "scipy.sparse.csc_matrix". 2-D only.
	CSC
	// COO is a coordinate-list sparse matrix on the CPU; the reference's
	// "scipy.sparse.coo_matrix". 2-D only. Planned, not yet converted to.
	COO
	// CUDA is a dense CPU array handed to a UDF that does its own GPU work; the
	// reference's "cuda". Reserved.
	CUDA
	// CuPy is a dense array in GPU memory; the reference's "cupy". Reserved.
	CuPy
	// CuPyCSR is a CSR matrix in GPU memory ("cupyx.scipy.sparse.csr_matrix"). Reserved.
	CuPyCSR
	// CuPyCSC is a CSC matrix in GPU memory ("cupyx.scipy.sparse.csc_matrix"). Reserved.
	CuPyCSC
	// CuPyCOO is a COO matrix in GPU memory ("cupyx.scipy.sparse.coo_matrix"). Reserved.
	CuPyCOO

	numBackends = int(CuPyCOO)
)

// All lists every backend in the reference's recommended order of preference
// (UDF.BACKEND_ALL): GPU sparse, CPU sparse, GPU dense, CPU dense. A UDF that handles
// every format declares All.
var All = []Backend{CuPyCSR, CuPyCSC, CuPyCOO, CSR, CSC, COO, CuPy, Dense}

// CPUBackends and CUDABackends are the backends of each device class.
var (
	CPUBackends  = []Backend{Dense, CSR, CSC, COO}
	CUDABackends = []Backend{CUDA, CuPy, CuPyCSR, CuPyCSC, CuPyCOO}
)

// names are the canonical spellings (the reference's sparseconverter strings).
var names = [...]string{
	Dense:   "numpy",
	CSR:     "scipy.sparse.csr_matrix",
	CSC:     "scipy.sparse.csc_matrix",
	COO:     "scipy.sparse.coo_matrix",
	CUDA:    "cuda",
	CuPy:    "cupy",
	CuPyCSR: "cupyx.scipy.sparse.csr_matrix",
	CuPyCSC: "cupyx.scipy.sparse.csc_matrix",
	CuPyCOO: "cupyx.scipy.sparse.coo_matrix",
}

// aliases maps the other accepted spellings (lower case) to backends.
var aliases = map[string]Backend{
	"dense": Dense, "csr": CSR, "csc": CSC, "coo": COO,
	"scipy.sparse.csr_array": CSR, "scipy.sparse.csc_array": CSC, "scipy.sparse.coo_array": COO,
	"cupy.csr": CuPyCSR, "cupy.csc": CuPyCSC, "cupy.coo": CuPyCOO,
}

// ErrUnknownBackend is wrapped by Parse errors.
var ErrUnknownBackend = errors.New("unknown array backend")

// String returns the canonical name ("numpy", "scipy.sparse.csr_matrix", ...), or
// "Backend(n)" for an invalid value.
func (b Backend) String() string {
	if b.Valid() {
		return names[b]
	}
	return fmt.Sprintf("Backend(%d)", uint8(b))
}

// Valid reports whether b is one of the defined backends.
func (b Backend) Valid() bool { return b >= Dense && int(b) <= numBackends }

// Parse returns the backend named s: a canonical name (String), a scipy *_array name, or
// a short alias ("dense", "csr", "csc", "coo", "cupy.csr", ...); case-insensitive.
func Parse(s string) (Backend, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	for b := Dense; int(b) <= numBackends; b++ {
		if names[b] == t {
			return b, nil
		}
	}
	if b, ok := aliases[t]; ok {
		return b, nil
	}
	return 0, fmt.Errorf("%w: %q (want one of numpy, scipy.sparse.csr_matrix, scipy.sparse.csc_matrix, scipy.sparse.coo_matrix, cuda, cupy, cupyx.scipy.sparse.{csr,csc,coo}_matrix, or dense, csr, csc, coo)", ErrUnknownBackend, s)
}

// ParseList parses a comma-separated list of backend names (for command-line flags).
// Empty items are skipped; an empty string gives nil.
func ParseList(s string) ([]Backend, error) {
	var out []Backend
	for _, f := range strings.Split(s, ",") {
		if strings.TrimSpace(f) == "" {
			continue
		}
		b, err := Parse(f)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// MarshalText implements encoding.TextMarshaler with the canonical name.
func (b Backend) MarshalText() ([]byte, error) {
	if !b.Valid() {
		return nil, fmt.Errorf("%w: %v", ErrUnknownBackend, b)
	}
	return []byte(b.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler with Parse.
func (b *Backend) UnmarshalText(text []byte) error {
	v, err := Parse(string(text))
	if err != nil {
		return err
	}
	*b = v
	return nil
}

// IsCUDA reports whether b belongs to the CUDA device class.
func (b Backend) IsCUDA() bool { return b >= CUDA && b.Valid() }

// IsCPU reports whether b belongs to the CPU device class.
func (b Backend) IsCPU() bool { return b >= Dense && b <= COO }

// IsSparse reports whether b is a sparse format.
func (b Backend) IsSparse() bool {
	switch b {
	case CSR, CSC, COO, CuPyCSR, CuPyCSC, CuPyCOO:
		return true
	}
	return false
}

// IsDense reports whether b is a dense format.
func (b Backend) IsDense() bool { return b.Valid() && !b.IsSparse() }

// Is2D reports whether b holds only matrices, so that tiles arrive as
// (depth, prod(sig)) and frames as (1, prod(sig)).
func (b Backend) Is2D() bool { return b.IsSparse() }

// Format returns the array format b delivers on the CPU: FormatDense for Dense and
// CUDA, FormatCSR for CSR, FormatCSC for CSC. ok is false for backends with no array
// format in this build (COO and the GPU formats).
func (b Backend) Format() (f array.Format, ok bool) {
	switch b {
	case Dense, CUDA:
		return array.FormatDense, true
	case CSR:
		return array.FormatCSR, true
	case CSC:
		return array.FormatCSC, true
	}
	return 0, false
}

// ForFormat returns the CPU backend that delivers array format f: Dense, CSR or CSC.
func ForFormat(f array.Format) (Backend, bool) {
	switch f {
	case array.FormatDense:
		return Dense, true
	case array.FormatCSR:
		return CSR, true
	case array.FormatCSC:
		return CSC, true
	}
	return 0, false
}

// ForFormats maps a dataset's array formats (dataset.Dataset.Formats) to backends, in
// order, skipping formats without a backend.
func ForFormats(fs []array.Format) []Backend {
	out := make([]Backend, 0, len(fs))
	for _, f := range fs {
		if b, ok := ForFormat(f); ok {
			out = append(out, b)
		}
	}
	return out
}

// DeviceClass is the kind of worker a task runs on; it sets which backends the plan
// prefers.
type DeviceClass uint8

const (
	// DeviceAny expresses no preference: every backend counts as native.
	DeviceAny DeviceClass = iota
	// DeviceCPU prefers the CPU backends.
	DeviceCPU
	// DeviceCUDA prefers the CUDA backends.
	DeviceCUDA
)

// String returns "any", "cpu" or "cuda".
func (d DeviceClass) String() string {
	switch d {
	case DeviceAny:
		return "any"
	case DeviceCPU:
		return "cpu"
	case DeviceCUDA:
		return "cuda"
	}
	return fmt.Sprintf("DeviceClass(%d)", uint8(d))
}

// has reports whether backend b belongs to device class d.
func (d DeviceClass) has(b Backend) bool {
	switch d {
	case DeviceCPU:
		return b.IsCPU()
	case DeviceCUDA:
		return b.IsCUDA()
	}
	return b.Valid()
}

// ResultType extends numpy's result type by the backends of a plan: the GPU
// sparse formats hold floating point at least (dt is promoted with float32), except that
// bool stays bool for CuPyCSR; every other backend is neutral. It returns dt promoted
// accordingly (the zero DType for an invalid dt).
func ResultType(dt array.DType, bs ...Backend) array.DType {
	for _, b := range bs {
		switch b {
		case CuPyCSR, CuPyCSC, CuPyCOO:
			if b == CuPyCSR && dt == array.Bool {
				continue
			}
			dt = array.ResultType(dt, array.Float32)
		}
	}
	return dt
}
