package backends

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// ErrNoBackend is wrapped by errors about UDFs that cannot be given any backend: a UDF
// whose backends are all excluded by the run's restriction, or a run mixing UDFs that
// need the GPU with UDFs that need the CPU.
var ErrNoBackend = errors.New("no usable array backend")

// Plan is the execution plan of a run: the format the dataset produces and
// the backend each UDF receives. Tiles are converted once per distinct backend.
type Plan struct {
	// Source is the backend the dataset is asked to deliver tiles in; one of the
	// dataset's backends.
	Source Backend
	// ByUDF[i] is the backend UDF i receives, in the order the UDFs were given.
	ByUDF []Backend
}

// Targets returns the distinct backends of the plan in order of first use.
func (p Plan) Targets() []Backend {
	var out []Backend
	for _, b := range p.ByUDF {
		if !slices.Contains(out, b) {
			out = append(out, b)
		}
	}
	return out
}

// String formats as "source numpy: [numpy scipy.sparse.csr_matrix]".
func (p Plan) String() string { return fmt.Sprintf("source %v: %v", p.Source, p.ByUDF) }

// NewPlan assigns a backend to every UDF. udfs[i] is UDF i's backend list in its order
// of preference (nil or empty means Dense only, the reference's default); dataset lists
// the backends the dataset can produce, preferred first (see ForFormats); device is the
// worker's device class; available restricts the run's backends (nil: all).
//
// The rule (the reference's): greedily, the backend usable by the most
// still-unassigned UDFs is taken and given to all of them, looking first at backends
// native to both the dataset and the device class, then — if the dataset produces sparse
// tiles — at the sparse backends of the device class, then — if it produces dense tiles
// — at its dense backends, then at every backend of the device class, then at the
// dataset's backends, then at every available backend. Ties go to the dataset's order
// in the two dataset steps, else to the backend the UDFs rank higher (the least sum of
// position/length over the UDFs' lists), then to the order of All. The dataset is then
// asked for the backend from which the chosen ones are cheapest to reach (same format
// free; sparse→sparse and sparse→dense cheap; dense→sparse dearer; host↔GPU transfer
// dearest), ties by the dataset's order.
//
// So a single UDF with a single backend gets exactly that backend whatever the dataset
// produces, and a UDF accepting everything gets the dataset's first format. Errors wrap
// ErrNoBackend (a UDF none of whose backends is available) or ErrUnknownBackend.
func NewPlan(udfs [][]Backend, dataset []Backend, device DeviceClass, available []Backend) (Plan, error) {
	if len(dataset) == 0 {
		return Plan{}, fmt.Errorf("%w: the dataset lists no array backends", ErrNoBackend)
	}
	for _, b := range dataset {
		if !b.Valid() {
			return Plan{}, fmt.Errorf("%w: dataset backend %v", ErrUnknownBackend, b)
		}
	}
	avail := func(b Backend) bool { return available == nil || slices.Contains(available, b) }
	accepts := make([][]Backend, len(udfs))
	for i, list := range udfs {
		if len(list) == 0 {
			list = []Backend{Dense}
		}
		for _, b := range list {
			if !b.Valid() {
				return Plan{}, fmt.Errorf("%w: UDF %d lists %v", ErrUnknownBackend, i, b)
			}
			if avail(b) && !slices.Contains(accepts[i], b) {
				accepts[i] = append(accepts[i], b)
			}
		}
		if len(accepts[i]) == 0 {
			return Plan{}, fmt.Errorf("%w: UDF %d accepts %v, the run allows %v", ErrNoBackend, i, list, available)
		}
	}

	everything := append(slices.Clone(All), CUDA)
	filter := func(src []Backend, keep func(Backend) bool) []Backend {
		var out []Backend
		for _, b := range src {
			if keep(b) && avail(b) && !slices.Contains(out, b) {
				out = append(out, b)
			}
		}
		return out
	}
	dsSparse := slices.ContainsFunc(dataset, Backend.IsSparse)
	dsDense := slices.ContainsFunc(dataset, Backend.IsDense)
	type phase struct {
		cands   []Backend
		dsOrder bool // ties by candidate (dataset) order before UDF ranking
	}
	phases := []phase{
		{filter(dataset, device.has), true},
	}
	if dsSparse {
		phases = append(phases, phase{filter(everything, func(b Backend) bool { return b.IsSparse() && device.has(b) }), false})
	}
	if dsDense {
		phases = append(phases, phase{filter(everything, func(b Backend) bool { return b.IsDense() && device.has(b) }), false})
	}
	phases = append(phases,
		phase{filter(everything, device.has), false},
		phase{filter(dataset, func(Backend) bool { return true }), true},
		phase{filter(everything, func(Backend) bool { return true }), false},
	)

	byUDF := make([]Backend, len(udfs))
	remaining := len(udfs)
	for _, ph := range phases {
		for remaining > 0 {
			best, bestCount, bestAversion := Backend(0), 0, math.Inf(1)
			for _, b := range ph.cands {
				count, aversion := 0, 0.0
				for i, acc := range accepts {
					if byUDF[i] != 0 {
						continue
					}
					if pos := slices.Index(acc, b); pos >= 0 {
						count++
						aversion += float64(pos) / float64(len(acc))
					}
				}
				if count == 0 {
					continue
				}
				better := count > bestCount
				if count == bestCount && !ph.dsOrder && aversion < bestAversion {
					better = true
				}
				if better {
					best, bestCount, bestAversion = b, count, aversion
				}
			}
			if bestCount == 0 {
				break
			}
			for i, acc := range accepts {
				if byUDF[i] == 0 && slices.Contains(acc, best) {
					byUDF[i] = best
					remaining--
				}
			}
		}
	}
	// Every UDF accepts at least one available backend and the last phase covers all
	// available backends, so all are assigned here.
	plan := Plan{ByUDF: byUDF}
	bestCost := math.MaxInt
	targets := plan.Targets()
	for _, src := range dataset {
		c := 0
		for _, t := range targets {
			c += ConversionCost(src, t)
		}
		if c < bestCost {
			plan.Source, bestCost = src, c
		}
	}
	return plan, nil
}

// formatClass groups backends by storage format regardless of device.
func formatClass(b Backend) int {
	switch b {
	case CSR, CuPyCSR:
		return 1
	case CSC, CuPyCSC:
		return 2
	case COO, CuPyCOO:
		return 3
	}
	return 0 // dense
}

// onGPU reports whether b's data lives in GPU memory (CUDA hands host arrays to UDFs
// that do their own transfers).
func onGPU(b Backend) bool { return b.IsCUDA() && b != CUDA }

// ConversionCost is the plan's relative cost of turning a tile in backend from into
// backend to: 0 for the same format on the same side of the bus, +1 between sparse
// formats or sparse to dense, +2 dense to sparse, +3 for a host↔GPU transfer.
func ConversionCost(from, to Backend) int {
	c := 0
	ff, tf := formatClass(from), formatClass(to)
	switch {
	case ff == tf:
	case ff == 0:
		c += 2
	default:
		c++
	}
	if onGPU(from) != onGPU(to) {
		c += 3
	}
	return c
}

// Resources are the scheduling tags of a run: every task needs one
// "compute" slot, plus a CPU worker, a CUDA worker and/or an "ndarray" capable worker.
type Resources struct {
	Compute, CPU, CUDA, NDArray int
}

// Map returns the tags as the reference spells them: {"compute": 1, "CPU": 1, ...},
// leaving out zero entries.
func (r Resources) Map() map[string]int {
	m := map[string]int{}
	for k, v := range map[string]int{"compute": r.Compute, "CPU": r.CPU, "CUDA": r.CUDA, "ndarray": r.NDArray} {
		if v != 0 {
			m[k] = v
		}
	}
	return m
}

// ResourcesFor returns the resources a run of UDFs with the given backend lists needs,
// with the run restricted to run (nil: all backends). For each UDF its backends are
// intersected with run: a UDF left with no CPU backend needs CUDA, one left with no
// CUDA backend needs a CPU, one without the "cuda" backend needs an ndarray-capable
// worker. Errors wrap ErrNoBackend: a UDF with no backend left, or UDFs needing CUDA
// together with UDFs needing a CPU.
func ResourcesFor(udfs [][]Backend, run []Backend) (Resources, error) {
	var needCPU, needCUDA, needND bool
	for i, list := range udfs {
		if len(list) == 0 {
			list = []Backend{Dense}
		}
		var set []Backend
		for _, b := range list {
			if run == nil || slices.Contains(run, b) {
				set = append(set, b)
			}
		}
		if len(set) == 0 {
			return Resources{}, fmt.Errorf("%w: UDF %d accepts %v, the run allows %v", ErrNoBackend, i, list, run)
		}
		if !slices.ContainsFunc(set, Backend.IsCPU) {
			needCUDA = true
		}
		if !slices.ContainsFunc(set, Backend.IsCUDA) {
			needCPU = true
		}
		if !slices.Contains(set, CUDA) {
			needND = true
		}
	}
	if needCPU && needCUDA {
		return Resources{}, fmt.Errorf("%w: some UDFs can only run on the CPU and others only on CUDA (no common backend)", ErrNoBackend)
	}
	r := Resources{Compute: 1}
	if needCPU {
		r.CPU = 1
	}
	if needCUDA {
		r.CUDA = 1
	}
	if needND {
		r.NDArray = 1
	}
	return r, nil
}
