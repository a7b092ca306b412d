package cluster

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/udf"
	"github.com/stemflow/stemflow/udfs"
)

// UDFSpec names a UDF of a remote run: a registered name, its parameters (any value
// that marshals to JSON; decoded by the constructor) and named arrays (mask stacks,
// aux data), which travel once through the Object Store.
type UDFSpec struct {
	Name   string
	Params any
	Arrays map[string]array.Array
}

// Params are what a Constructor builds a UDF from.
type Params struct {
	// JSON is the spec's Params marshalled to JSON ("null" when none).
	JSON json.RawMessage
	// Arrays are the spec's named arrays.
	Arrays map[string]array.Array
	// Shape is the dataset's shape.
	Shape array.Shape
}

// Decode unmarshals the parameters into v, refusing unknown fields.
func (p Params) Decode(v any) error {
	if len(p.JSON) == 0 || string(p.JSON) == "null" {
		return nil
	}
	d := json.NewDecoder(bytes.NewReader(p.JSON))
	d.DisallowUnknownFields()
	return d.Decode(v)
}

// Constructor builds a UDF from its parameters. It must be deterministic: the driver
// and every worker build the UDF from the same Params and must get equal UDFs.
type Constructor func(p Params) (udf.UDF, error)

// ErrUnknownUDF is the error for a UDF name that is not registered.
var ErrUnknownUDF = errors.New("cluster: unknown UDF")

// ErrVersion is the error for a version mismatch between driver and worker (wire
// protocol or a UDF's registered version).
var ErrVersion = errors.New("cluster: version mismatch")

// Registry maps UDF names to constructors and versions. Drivers and workers of one
// run must register the same names with the same versions; a program registers its
// own UDF types and runs as a worker with the same binary (Serve).
type Registry struct {
	mu sync.RWMutex
	m  map[string]regEntry
}

type regEntry struct {
	version string
	ctor    Constructor
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{m: map[string]regEntry{}} }

// Register adds a UDF type. version is compared between driver and worker (bump it
// whenever the UDF's results change). It fails on an empty or duplicate name.
func (r *Registry) Register(name, version string, c Constructor) error {
	if name == "" || c == nil {
		return errors.New("cluster: Register needs a name and a constructor")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.m[name]; dup {
		return fmt.Errorf("cluster: UDF %q registered twice", name)
	}
	r.m[name] = regEntry{version: version, ctor: c}
	return nil
}

// Names returns the registered names, sorted.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.m))
	for n := range r.m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// lookup returns a registered entry or ErrUnknownUDF naming the known ones.
func (r *Registry) lookup(name string) (regEntry, error) {
	r.mu.RLock()
	e, ok := r.m[name]
	r.mu.RUnlock()
	if !ok {
		return e, fmt.Errorf("%w %q (registered: %s)", ErrUnknownUDF, name, strings.Join(r.Names(), ", "))
	}
	return e, nil
}

// build makes the UDF of a wire spec after checking its version.
func (r *Registry) build(w wireUDF, arrays map[string]array.Array, shape array.Shape) (udf.UDF, error) {
	e, err := r.lookup(w.Name)
	if err != nil {
		return nil, err
	}
	if e.version != w.Version {
		return nil, fmt.Errorf("%w: UDF %q is version %q on the driver, %q here", ErrVersion, w.Name, w.Version, e.version)
	}
	u, err := e.ctor(Params{JSON: w.Params, Arrays: arrays, Shape: shape})
	if err != nil {
		return nil, fmt.Errorf("cluster: UDF %q: parameters %s: %w", w.Name, w.Params, err)
	}
	return u, nil
}

// BuiltinVersion is the registered version of the built-in UDFs.
const BuiltinVersion = "1"

// Builtins returns a new registry holding the built-in UDFs of package udfs:
//
//	sum, sumsig, stddev, logsum, pick, noop  {"dtype": "float64"} where a dtype applies
//	disk   {"cy", "cx", "r"}
//	ring   {"cy", "cx", "r", "ri"}
//	masks  array "masks" of shape (n,)+sig
//	com    {"cy", "cx" (both or neither), "r" (default: whole frame), "ri", "rotation", "flip_y", "regression"}
//	fem    {"cy", "cx", "ri", "ro"}
//	crystallinity {"ri", "ro", "real_cy", "real_cx", "real_r" (real disk when > 0)}
func Builtins() *Registry {
	r := NewRegistry()
	must := func(err error) {
		if err != nil {
			panic(err)
		}
	}
	type dt struct {
		DType string `json:"dtype"`
	}
	dtypeOf := func(p Params) (array.DType, error) {
		var d dt
		if err := p.Decode(&d); err != nil {
			return array.DType{}, err
		}
		if d.DType == "" {
			return array.DType{}, nil
		}
		t, _, err := array.ParseDType(d.DType)
		return t, err
	}
	must(r.Register("sum", BuiltinVersion, func(p Params) (udf.UDF, error) {
		t, err := dtypeOf(p)
		return udfs.Sum{DType: t}, err
	}))
	must(r.Register("stddev", BuiltinVersion, func(p Params) (udf.UDF, error) {
		t, err := dtypeOf(p)
		return udfs.StdDev{DType: t}, err
	}))
	must(r.Register("noop", BuiltinVersion, func(p Params) (udf.UDF, error) {
		t, err := dtypeOf(p)
		return udfs.NoOp{InputDType: t}, err
	}))
	for name, u := range map[string]udf.UDF{"sumsig": udfs.SumSig{}, "logsum": udfs.Logsum{}, "pick": udfs.Pick{}} {
		must(r.Register(name, BuiltinVersion, func(p Params) (udf.UDF, error) { return u, p.Decode(&struct{}{}) }))
	}
	type disk struct{ CY, CX, R, RI float64 }
	must(r.Register("disk", BuiltinVersion, func(p Params) (udf.UDF, error) {
		var d struct{ CY, CX, R float64 }
		if err := p.Decode(&d); err != nil {
			return nil, err
		}
		return &udfs.ApplyMasks{Factories: []udfs.MaskFactory{udfs.DiskMask(d.CY, d.CX, d.R)}, MaskCount: 1, MaskDType: array.Float32}, nil
	}))
	must(r.Register("ring", BuiltinVersion, func(p Params) (udf.UDF, error) {
		var d disk
		if err := p.Decode(&d); err != nil {
			return nil, err
		}
		return &udfs.ApplyMasks{Factories: []udfs.MaskFactory{udfs.RingMask(d.CY, d.CX, d.R, d.RI)}, MaskCount: 1, MaskDType: array.Float32}, nil
	}))
	must(r.Register("masks", BuiltinVersion, func(p Params) (udf.UDF, error) {
		if err := p.Decode(&struct{}{}); err != nil {
			return nil, err
		}
		m := p.Arrays["masks"]
		if m == nil || len(m.Shape()) < 2 {
			return nil, errors.New(`masks needs an array "masks" of shape (n,)+sig`)
		}
		return &udfs.ApplyMasks{Stack: func([]int) (array.Array, error) { return m, nil }, MaskCount: m.Shape()[0], MaskDType: array.Float32}, nil
	}))
	must(r.Register("com", BuiltinVersion, func(p Params) (udf.UDF, error) {
		var c struct {
			CY, CX     *float64
			R          *float64
			RI         float64
			Rotation   float64
			FlipY      bool `json:"flip_y"`
			Regression int
		}
		if err := p.Decode(&c); err != nil {
			return nil, err
		}
		var opts []udfs.CoMOption
		if (c.CY == nil) != (c.CX == nil) {
			return nil, errors.New("com: give both cy and cx or neither")
		}
		if c.CY != nil {
			opts = append(opts, udfs.WithCenter(*c.CY, *c.CX))
		}
		r := math.Inf(1) // the whole frame
		if c.R != nil {
			r = *c.R
		}
		if c.RI > 0 {
			opts = append(opts, udfs.WithRing(c.RI, r))
		} else {
			opts = append(opts, udfs.WithRadius(r))
		}
		reg, err := udfs.RegressionOrder(c.Regression)
		if err != nil {
			return nil, err
		}
		opts = append(opts, udfs.WithScanRotation(c.Rotation), udfs.WithFlipY(c.FlipY), udfs.WithRegression(reg))
		return udfs.NewCoM(opts...)
	}))
	must(r.Register("fem", BuiltinVersion, func(p Params) (udf.UDF, error) {
		var f struct{ CY, CX, RI, RO float64 }
		if err := p.Decode(&f); err != nil {
			return nil, err
		}
		return udfs.FEM{Center: [2]float64{f.CY, f.CX}, RadIn: f.RI, RadOut: f.RO}, nil
	}))
	must(r.Register("crystallinity", BuiltinVersion, func(p Params) (udf.UDF, error) {
		var c struct {
			RI, RO float64
			RCY    float64 `json:"real_cy"`
			RCX    float64 `json:"real_cx"`
			RR     float64 `json:"real_r"`
		}
		if err := p.Decode(&c); err != nil {
			return nil, err
		}
		u := udfs.Crystallinity{RadIn: c.RI, RadOut: c.RO}
		if c.RR > 0 {
			u.RealCenter = &[2]float64{c.RCY, c.RCX}
			u.RealRad = c.RR
		}
		return u, nil
	}))
	return r
}
