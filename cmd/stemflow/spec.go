package main

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// errSpec is wrapped by every error about a --udf spec.
var errSpec = errors.New("bad --udf spec")

// udfSpec is one parsed --udf value: the built-in UDF to run and its parameters.
// Parameters that a spec leaves out are NaN (floats) or hold their documented
// default; the run resolves NaN centres against the frame shape.
type udfSpec struct {
	Kind string // sum, sumsig, stddev, logsum, pick, masks, disk, ring, com
	Dir  string // output folder below --out: Kind, then Kind-2, Kind-3, ...
	Text string // the spec as given

	Y, X int // pick: scan position

	MaskFile string // masks: .npy with a (n, sy, sx) stack or one (sy, sx) mask

	CY, CX float64 // disk, ring, com: centre (detector pixels); com default NaN = sig//2
	R      float64 // disk: radius; com: outer radius, default +Inf (whole frame)
	RI, RO float64 // ring: inner and outer radius; com: RI inner radius, default 0

	Rotation   float64 // com: scan rotation, degrees
	FlipY      bool    // com: flip the y axis of the field
	Regression int     // com: -1 none, 0 subtract mean, 1 subtract linear fit
}

// specParam describes one key of a spec: its name and whether it is required.
type specParam struct {
	name     string
	required bool
}

// specKinds lists every spec kind with its keys, in the order the usage text shows.
var specKinds = []struct {
	kind   string
	params []specParam
	help   string
}{
	{"sum", nil, "sum of all frames (sig-shaped)"},
	{"sumsig", nil, "sum over each frame (nav-shaped)"},
	{"stddev", nil, "per-pixel standard deviation, variance, mean, sum"},
	{"logsum", nil, "sum of log(frame - min(frame) + 1)"},
	{"pick", []specParam{{"y", true}, {"x", true}}, "the frame at scan position (y, x)"},
	{"masks", []specParam{{"file", true}}, "dot product of each frame with each mask of an .npy stack (n, sy, sx) or one mask (sy, sx)"},
	{"disk", []specParam{{"cy", true}, {"cx", true}, {"r", true}}, "disk virtual detector"},
	{"ring", []specParam{{"cy", true}, {"cx", true}, {"ri", true}, {"ro", true}}, "ring (annular) virtual detector, ri < d ≤ ro"},
	{"com", []specParam{{"cy", false}, {"cx", false}, {"r", false}, {"ri", false}, {"rotation", false}, {"flip_y", false}, {"regression", false}},
		"centre of mass; defaults: centre (sy//2, sx//2), whole frame, rotation 0, no flip, regression -1"},
}

// parseSpecs parses every --udf value in order and names their output folders. An
// empty list means the default, sum.
func parseSpecs(texts []string) ([]udfSpec, error) {
	if len(texts) == 0 {
		texts = []string{"sum"}
	}
	seen := map[string]int{}
	specs := make([]udfSpec, 0, len(texts))
	for _, t := range texts {
		s, err := parseSpec(t)
		if err != nil {
			return nil, err
		}
		seen[s.Kind]++
		s.Dir = s.Kind
		if n := seen[s.Kind]; n > 1 {
			s.Dir = fmt.Sprintf("%s-%d", s.Kind, n)
		}
		specs = append(specs, s)
	}
	return specs, nil
}

// parseSpec parses one spec "kind" or "kind:key=value,key=value".
func parseSpec(text string) (udfSpec, error) {
	fail := func(format string, a ...any) (udfSpec, error) {
		return udfSpec{}, fmt.Errorf("%w %q: %s", errSpec, text, fmt.Sprintf(format, a...))
	}
	kind, rest, hasParams := strings.Cut(strings.TrimSpace(text), ":")
	kind = strings.ToLower(strings.TrimSpace(kind))
	var params []specParam
	found := false
	for _, k := range specKinds {
		if k.kind == kind {
			params, found = k.params, true
		}
	}
	if !found {
		return fail("unknown UDF %q, want one of %s", kind, strings.Join(specKindNames(), ", "))
	}
	vals := map[string]string{}
	if hasParams {
		if strings.TrimSpace(rest) == "" {
			return fail("nothing after ':', want %s", specSynopsis(kind, params))
		}
		for _, kv := range strings.Split(rest, ",") {
			k, v, ok := strings.Cut(kv, "=")
			k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
			if !ok || k == "" || v == "" {
				return fail("parameter %q is not key=value, want %s", kv, specSynopsis(kind, params))
			}
			if !hasParam(params, k) {
				return fail("unknown parameter %q for %s, want %s", k, kind, specSynopsis(kind, params))
			}
			if _, dup := vals[k]; dup {
				return fail("parameter %q given twice", k)
			}
			vals[k] = v
		}
	}
	for _, p := range params {
		if _, ok := vals[p.name]; p.required && !ok {
			return fail("missing parameter %q, want %s", p.name, specSynopsis(kind, params))
		}
	}

	s := udfSpec{Kind: kind, Text: text, CY: math.NaN(), CX: math.NaN(), R: math.NaN(), RI: math.NaN(), RO: math.NaN(), Regression: -1}
	var err error
	num := func(key string, dst *float64) {
		v, ok := vals[key]
		if !ok || err != nil {
			return
		}
		f, perr := strconv.ParseFloat(v, 64)
		if perr != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			err = fmt.Errorf("%w %q: %s=%q is not a finite number", errSpec, text, key, v)
			return
		}
		*dst = f
	}
	integer := func(key string, dst *int) {
		v, ok := vals[key]
		if !ok || err != nil {
			return
		}
		n, perr := strconv.Atoi(v)
		if perr != nil {
			err = fmt.Errorf("%w %q: %s=%q is not an integer", errSpec, text, key, v)
			return
		}
		*dst = n
	}
	switch kind {
	case "pick":
		integer("y", &s.Y)
		integer("x", &s.X)
		if err == nil && (s.Y < 0 || s.X < 0) {
			return fail("scan position y=%d, x=%d must not be negative", s.Y, s.X)
		}
	case "masks":
		s.MaskFile = vals["file"]
	case "disk":
		num("cy", &s.CY)
		num("cx", &s.CX)
		num("r", &s.R)
		if err == nil && s.R <= 0 {
			return fail("r=%v, want r > 0", s.R)
		}
	case "ring":
		num("cy", &s.CY)
		num("cx", &s.CX)
		num("ri", &s.RI)
		num("ro", &s.RO)
		if err == nil && (s.RI < 0 || s.RO <= s.RI) {
			return fail("ri=%v, ro=%v, want 0 ≤ ri < ro", s.RI, s.RO)
		}
	case "com":
		s.R, s.RI = math.Inf(1), 0
		num("cy", &s.CY)
		num("cx", &s.CX)
		num("r", &s.R)
		num("ri", &s.RI)
		num("rotation", &s.Rotation)
		integer("regression", &s.Regression)
		if v, ok := vals["flip_y"]; ok && err == nil {
			b, perr := strconv.ParseBool(v)
			if perr != nil {
				return fail("flip_y=%q, want true or false", v)
			}
			s.FlipY = b
		}
		if err != nil {
			break
		}
		if math.IsNaN(s.CY) != math.IsNaN(s.CX) {
			return fail("give both cy and cx, or neither (default: the frame centre)")
		}
		switch {
		case s.R <= 0:
			return fail("r=%v, want r > 0", s.R)
		case s.RI < 0:
			return fail("ri=%v, want ri ≥ 0", s.RI)
		case s.RI >= s.R:
			return fail("ri=%v ≥ r=%v, want ri < r", s.RI, s.R)
		case s.Regression < -1 || s.Regression > 1:
			return fail("regression=%d, want -1 (none), 0 (offset) or 1 (linear)", s.Regression)
		}
	}
	if err != nil {
		return udfSpec{}, err
	}
	return s, nil
}

func hasParam(params []specParam, name string) bool {
	for _, p := range params {
		if p.name == name {
			return true
		}
	}
	return false
}

func specKindNames() []string {
	names := make([]string, len(specKinds))
	for i, k := range specKinds {
		names[i] = k.kind
	}
	return names
}

// specSynopsis shows the accepted form of a kind, optional keys in brackets.
func specSynopsis(kind string, params []specParam) string {
	if len(params) == 0 {
		return kind
	}
	parts := make([]string, len(params))
	for i, p := range params {
		parts[i] = p.name + "=.."
		if !p.required {
			parts[i] = "[" + parts[i] + "]"
		}
	}
	return kind + ":" + strings.Join(parts, ",")
}

// specHelp is the spec table of the usage text.
func specHelp() string {
	var b strings.Builder
	rows := make([][2]string, len(specKinds))
	w := 0
	for i, k := range specKinds {
		rows[i] = [2]string{specSynopsis(k.kind, k.params), k.help}
		w = max(w, len(rows[i][0]))
	}
	w = min(w, 30)
	for _, r := range rows {
		if len(r[0]) > w {
			fmt.Fprintf(&b, "    %s\n    %-*s  %s\n", r[0], w, "", r[1])
			continue
		}
		fmt.Fprintf(&b, "    %-*s  %s\n", w, r[0], r[1])
	}
	return b.String()
}
