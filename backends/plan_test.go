package backends

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/stemflow/stemflow/array"
)

func every() []Backend { return append(slices.Clone(All), CUDA) }

func TestParseString(t *testing.T) {
	for _, b := range every() {
		got, err := Parse(b.String())
		if err != nil || got != b {
			t.Errorf("Parse(%q) = %v, %v", b.String(), got, err)
		}
		txt, err := b.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back Backend
		if err := back.UnmarshalText(txt); err != nil || back != b {
			t.Errorf("text round trip of %v gives %v, %v", b, back, err)
		}
	}
	tests := []struct {
		in   string
		want Backend
	}{
		{"numpy", Dense}, {"Dense", Dense}, {" csr ", CSR}, {"scipy.sparse.csc_array", CSC},
		{"COO", COO}, {"cuda", CUDA}, {"cupy", CuPy}, {"cupyx.scipy.sparse.csr_matrix", CuPyCSR},
		{"cupy.coo", CuPyCOO},
	}
	for _, tc := range tests {
		if got, err := Parse(tc.in); err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "sparse.GCXS", "numpy.matrix", "csrr"} {
		if _, err := Parse(bad); !errors.Is(err, ErrUnknownBackend) {
			t.Errorf("Parse(%q) err = %v", bad, err)
		}
	}
	list, err := ParseList("numpy, csr,,cupy")
	if err != nil || !slices.Equal(list, []Backend{Dense, CSR, CuPy}) {
		t.Errorf("ParseList = %v, %v", list, err)
	}
	if Backend(0).Valid() || Backend(200).String() != "Backend(200)" {
		t.Error("invalid backends")
	}
}

func TestProperties(t *testing.T) {
	tests := []struct {
		b                      Backend
		cpu, cuda, sparse, two bool
	}{
		{Dense, true, false, false, false},
		{CSR, true, false, true, true},
		{CSC, true, false, true, true},
		{COO, true, false, true, true},
		{CUDA, false, true, false, false},
		{CuPy, false, true, false, false},
		{CuPyCSR, false, true, true, true},
		{CuPyCSC, false, true, true, true},
		{CuPyCOO, false, true, true, true},
	}
	for _, tc := range tests {
		if tc.b.IsCPU() != tc.cpu || tc.b.IsCUDA() != tc.cuda || tc.b.IsSparse() != tc.sparse || tc.b.Is2D() != tc.two || tc.b.IsDense() == tc.sparse {
			t.Errorf("%v: cpu %v cuda %v sparse %v 2d %v", tc.b, tc.b.IsCPU(), tc.b.IsCUDA(), tc.b.IsSparse(), tc.b.Is2D())
		}
	}
}

// The cases below mirror the reference's execution-plan tests (tests/udf/
// test_execution_plan.py), restricted to the backends stemflow has: pydata sparse
// (GCXS, sparse.COO) entries are dropped from the lists.
func TestPlanSimple(t *testing.T) {
	// A single UDF with a single backend gets exactly that backend, whatever the
	// dataset produces and whatever the device class; the source is the dataset's.
	for _, left := range All {
		for _, right := range All {
			for _, dc := range []DeviceClass{DeviceAny, DeviceCPU, DeviceCUDA} {
				p, err := NewPlan([][]Backend{{right}}, []Backend{left}, dc, nil)
				if err != nil {
					t.Fatal(err)
				}
				if p.Source != left || !slices.Equal(p.ByUDF, []Backend{right}) {
					t.Errorf("ds %v, udf %v, %v: plan %v", left, right, dc, p)
				}
			}
		}
	}
}

func TestPlanDirectPaths(t *testing.T) {
	for _, right := range All {
		// Dataset offers everything: both UDFs share the one backend the picky UDF
		// wants, read directly.
		p, err := NewPlan([][]Backend{All, {right}}, All, DeviceAny, nil)
		if err != nil {
			t.Fatal(err)
		}
		if p.Source != right || !slices.Equal(p.ByUDF, []Backend{right, right}) {
			t.Errorf("direct path ds, %v: %v", right, p)
		}
	}
	for _, left := range All {
		// The UDF takes everything: it gets the dataset's format.
		p, err := NewPlan([][]Backend{All}, []Backend{left}, DeviceAny, nil)
		if err != nil {
			t.Fatal(err)
		}
		if p.Source != left || !slices.Equal(p.ByUDF, []Backend{left}) {
			t.Errorf("direct path udf, %v: %v", left, p)
		}
	}
}

func TestPlanAvailable(t *testing.T) {
	for _, avail := range All {
		for _, dc := range []DeviceClass{DeviceAny, DeviceCPU, DeviceCUDA} {
			p, err := NewPlan([][]Backend{All}, All, dc, []Backend{avail})
			if err != nil {
				t.Fatal(err)
			}
			if p.Source != avail || !slices.Equal(p.ByUDF, []Backend{avail}) {
				t.Errorf("available %v, %v: %v", avail, dc, p)
			}
		}
	}
}

func TestPlanPreferences(t *testing.T) {
	tests := []struct {
		name    string
		udfs    [][]Backend
		ds      []Backend
		dc      DeviceClass
		source  Backend
		byUDF   []Backend
		sources []Backend // alternative: any of these
	}{
		{
			// Two direct paths: the dataset's first wins.
			name: "ds preference", udfs: [][]Backend{All}, ds: []Backend{COO, Dense},
			dc: DeviceAny, source: COO, byUDF: []Backend{COO},
		},
		{
			// GPU preferred: the sparse GPU format, read from the dataset's sparse one.
			name: "udf preference sparse", udfs: [][]Backend{{Dense, COO, CuPy, CuPyCOO}},
			ds: []Backend{COO, Dense}, dc: DeviceCUDA, source: COO, byUDF: []Backend{CuPyCOO},
		},
		{
			// Dense-only dataset: the dense GPU format, avoiding dense→sparse.
			name: "udf preference dense", udfs: [][]Backend{{Dense, CuPyCOO, CuPy}},
			ds: []Backend{Dense}, dc: DeviceCUDA, source: Dense, byUDF: []Backend{CuPy},
		},
		{
			// Sparse-only UDFs on a dense dataset: CSR serves two UDFs and is ranked
			// higher than COO by them.
			name: "number and order", udfs: [][]Backend{{CSR, CSC, COO}, {CSR, COO}},
			ds: []Backend{Dense}, dc: DeviceAny, source: Dense, byUDF: []Backend{CSR, CSR},
		},
	}
	for _, dc := range []DeviceClass{DeviceAny, DeviceCPU, DeviceCUDA} {
		for _, ds := range [][]Backend{{CuPy, Dense}, {Dense, CuPy}, {Dense}, {CuPy}} {
			for _, u4 := range [][]Backend{{CSC}, {CSC}} {
				src := CuPy
				if slices.Contains(ds, Dense) {
					src = Dense
				}
				tests = append(tests, struct {
					name    string
					udfs    [][]Backend
					ds      []Backend
					dc      DeviceClass
					source  Backend
					byUDF   []Backend
					sources []Backend
				}{
					// COO serves three UDFs although they rank it last; the fourth
					// keeps its own; the dataset is read on the host if it can be.
					name: fmt.Sprintf("number %v %v", dc, ds),
					udfs: [][]Backend{{CSR, CSC, COO}, {CSR, COO}, {COO}, u4},
					ds:   ds, dc: dc, source: src, byUDF: []Backend{COO, COO, COO, CSC},
				})
			}
		}
	}
	for _, tc := range tests {
		p, err := NewPlan(tc.udfs, tc.ds, tc.dc, nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if p.Source != tc.source || !slices.Equal(p.ByUDF, tc.byUDF) {
			t.Errorf("%s: plan %v, want source %v, %v", tc.name, p, tc.source, tc.byUDF)
		}
	}
}

func TestPlanErrors(t *testing.T) {
	// GPU-only UDF in a CPU-only run.
	if _, err := NewPlan([][]Backend{{CuPy}}, All, DeviceAny, CPUBackends); !errors.Is(err, ErrNoBackend) {
		t.Errorf("cupy-only UDF on CPU: %v", err)
	}
	if _, err := NewPlan([][]Backend{{Dense}}, nil, DeviceAny, nil); !errors.Is(err, ErrNoBackend) {
		t.Errorf("no dataset backends: %v", err)
	}
	if _, err := NewPlan([][]Backend{{Backend(99)}}, []Backend{Dense}, DeviceAny, nil); !errors.Is(err, ErrUnknownBackend) {
		t.Errorf("invalid backend: %v", err)
	}
	// Default backend list is Dense.
	p, err := NewPlan([][]Backend{nil}, []Backend{CSR}, DeviceAny, nil)
	if err != nil || p.ByUDF[0] != Dense || p.Source != CSR {
		t.Errorf("default list: %v, %v", p, err)
	}
	if !slices.Equal(Plan{ByUDF: []Backend{CSR, Dense, CSR}}.Targets(), []Backend{CSR, Dense}) {
		t.Error("Targets")
	}
}

func TestConversionCost(t *testing.T) {
	tests := []struct {
		from, to Backend
		want     int
	}{
		{Dense, Dense, 0}, {CSR, CSR, 0}, {CSR, CSC, 1}, {CSR, Dense, 1}, {Dense, CSR, 2},
		{Dense, CuPy, 3}, {CSR, CuPyCSR, 3}, {Dense, CuPyCSR, 5}, {CuPyCSC, Dense, 4},
		{Dense, CUDA, 0},
	}
	for _, tc := range tests {
		if got := ConversionCost(tc.from, tc.to); got != tc.want {
			t.Errorf("cost %v→%v = %d, want %d", tc.from, tc.to, got, tc.want)
		}
	}
}

// Mirrors tests/udf/test_resources_for_backends.py.
func TestResourcesFor(t *testing.T) {
	tests := []struct {
		udfs [][]Backend
		run  []Backend
		want map[string]int
	}{
		{[][]Backend{{Dense, CuPy}, {Dense}}, nil, map[string]int{"CPU": 1, "compute": 1, "ndarray": 1}},
		{[][]Backend{{Dense, CuPy}, {Dense, CuPy}}, []Backend{Dense}, map[string]int{"CPU": 1, "compute": 1, "ndarray": 1}},
		{[][]Backend{{Dense, CuPy}, {Dense, CuPy}}, nil, map[string]int{"compute": 1, "ndarray": 1}},
		{[][]Backend{{Dense, CuPy}, {Dense, CuPy}}, []Backend{Dense, CuPy}, map[string]int{"compute": 1, "ndarray": 1}},
		{[][]Backend{{CuPy}, {CUDA}}, nil, map[string]int{"CUDA": 1, "compute": 1, "ndarray": 1}},
		{[][]Backend{{CUDA}, {CuPy}}, []Backend{CuPy, CUDA}, map[string]int{"CUDA": 1, "compute": 1, "ndarray": 1}},
		{[][]Backend{{CuPy}, {CuPy}}, []Backend{CuPy}, map[string]int{"CUDA": 1, "compute": 1, "ndarray": 1}},
	}
	for i, tc := range tests {
		r, err := ResourcesFor(tc.udfs, tc.run)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		got := r.Map()
		if len(got) != len(tc.want) {
			t.Errorf("case %d: %v, want %v", i, got, tc.want)
		}
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("case %d: %v, want %v", i, got, tc.want)
			}
		}
	}
	if _, err := ResourcesFor([][]Backend{{Dense}, {CuPy}}, nil); !errors.Is(err, ErrNoBackend) {
		t.Errorf("no common backend: %v", err)
	}
	if _, err := ResourcesFor([][]Backend{{Dense, CuPy}, {CuPy}}, []Backend{Dense}); !errors.Is(err, ErrNoBackend) {
		t.Errorf("no common backend with user restriction: %v", err)
	}
}

func TestResultType(t *testing.T) {
	tests := []struct {
		in   array.DType
		bs   []Backend
		want array.DType
	}{
		{array.Uint16, []Backend{Dense, CSR, CSC}, array.Uint16},
		{array.Uint16, []Backend{CuPyCSR}, array.Float32},
		{array.Int32, []Backend{CuPyCOO}, array.Float64},
		{array.Bool, []Backend{CuPyCSR}, array.Bool},
		{array.Bool, []Backend{CuPyCSC}, array.Float32},
		{array.Complex64, []Backend{CuPyCSC}, array.Complex64},
		{array.Float64, nil, array.Float64},
	}
	for _, tc := range tests {
		if got := ResultType(tc.in, tc.bs...); got != tc.want {
			t.Errorf("ResultType(%v, %v) = %v, want %v", tc.in, tc.bs, got, tc.want)
		}
	}
}
