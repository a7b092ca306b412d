package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/udf"
	"github.com/stemflow/stemflow/udfs"
)

// ErrAnalysis is wrapped by every error about an analysis request.
var ErrAnalysis = errors.New("bad analysis request")

// Rect is a half-open rectangle [Y0, Y1) × [X0, X1) in pixels.
type Rect struct {
	Y0 int `json:"y0"`
	X0 int `json:"x0"`
	Y1 int `json:"y1"`
	X1 int `json:"x1"`
}

// Analysis is what the page asks a slot to compute. Frame-view kinds: sum, stddev,
// logsum, pick (Y, X). Detector kinds: disk (CY, CX, R), ring (CY, CX, RI, RO), rect
// (Rect), point (Y, X), com (CY, CX, R, RI, Rotation, FlipY, Regression). ROI, when
// set, restricts the run to a rectangle of scan positions (ignored by pick).
type Analysis struct {
	Kind       string  `json:"kind"`
	CY         float64 `json:"cy"`
	CX         float64 `json:"cx"`
	R          float64 `json:"r"`
	RI         float64 `json:"ri"`
	RO         float64 `json:"ro"`
	Y          int     `json:"y"`
	X          int     `json:"x"`
	Rect       *Rect   `json:"rect,omitempty"`
	Rotation   float64 `json:"rotation"`
	FlipY      bool    `json:"flip_y"`
	Regression int     `json:"regression"`
	ROI        *Rect   `json:"roi,omitempty"`
}

// slotOf returns the slot a kind runs in: "frame" or "detector".
func slotOf(kind string) (string, bool) {
	switch kind {
	case "sum", "stddev", "logsum", "pick":
		return "frame", true
	case "disk", "ring", "rect", "point", "com":
		return "detector", true
	}
	return "", false
}

// parseAnalysis decodes and checks a request for data of shape nav × sig (2-D each).
func parseAnalysis(b []byte, nav, sig []int) (Analysis, error) {
	var a Analysis
	a.Regression = -1
	if err := json.Unmarshal(b, &a); err != nil {
		return a, fmt.Errorf("%w: %v", ErrAnalysis, err)
	}
	return a, a.check(nav, sig)
}

func (a *Analysis) check(nav, sig []int) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrAnalysis, a.Kind, fmt.Sprintf(format, args...))
	}
	if _, ok := slotOf(a.Kind); !ok {
		return fmt.Errorf("%w: unknown kind %q, want sum, stddev, logsum, pick, disk, ring, rect, point or com", ErrAnalysis, a.Kind)
	}
	for _, v := range []float64{a.CY, a.CX, a.R, a.RI, a.RO, a.Rotation} {
		if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 1e9 {
			return fail("parameters must be finite numbers")
		}
	}
	if len(nav) != 2 || len(sig) != 2 {
		return fail("the viewer needs a 2-D scan and 2-D frames, the data has nav %v, sig %v", nav, sig)
	}
	inRect := func(r *Rect, h, w int, what string) error {
		if r == nil {
			return fail("%s rectangle missing", what)
		}
		if r.Y0 < 0 || r.X0 < 0 || r.Y1 > h || r.X1 > w || r.Y0 >= r.Y1 || r.X0 >= r.X1 {
			return fail("%s rectangle [%d,%d)×[%d,%d) is empty or outside %d×%d", what, r.Y0, r.Y1, r.X0, r.X1, h, w)
		}
		return nil
	}
	switch a.Kind {
	case "pick":
		if a.Y < 0 || a.X < 0 || a.Y >= nav[0] || a.X >= nav[1] {
			return fail("position (%d, %d) outside the scan %d×%d", a.Y, a.X, nav[0], nav[1])
		}
	case "point":
		if a.Y < 0 || a.X < 0 || a.Y >= sig[0] || a.X >= sig[1] {
			return fail("pixel (%d, %d) outside the frame %d×%d", a.Y, a.X, sig[0], sig[1])
		}
	case "disk":
		if a.R <= 0 {
			return fail("radius r=%g, want > 0", a.R)
		}
	case "ring":
		if a.RI < 0 || a.RO <= a.RI {
			return fail("radii ri=%g, ro=%g, want 0 ≤ ri < ro", a.RI, a.RO)
		}
	case "rect":
		if err := inRect(a.Rect, sig[0], sig[1], "detector"); err != nil {
			return err
		}
	case "com":
		if a.R < 0 || a.RI < 0 || (a.R > 0 && a.RI >= a.R) {
			return fail("radii r=%g, ri=%g, want r ≥ 0 (0: whole frame) and ri < r", a.R, a.RI)
		}
		if a.Regression < -1 || a.Regression > 1 {
			return fail("regression %d, want -1, 0 or 1", a.Regression)
		}
	}
	if a.ROI != nil && a.Kind != "pick" {
		if err := inRect(a.ROI, nav[0], nav[1], "ROI"); err != nil {
			return err
		}
	}
	return nil
}

// build returns the UDF and run ROI of the analysis (the UDFs `stemflow run` uses
// for the same spec, so results and downloads equal the CLI's).
func (a *Analysis) build(nav []int) (udf.UDF, *array.Dense[bool], error) {
	var roi *array.Dense[bool]
	if a.ROI != nil && a.Kind != "pick" {
		roi = array.Zeros[bool](nav...)
		for y := a.ROI.Y0; y < a.ROI.Y1; y++ {
			for x := a.ROI.X0; x < a.ROI.X1; x++ {
				roi.Set(true, y, x)
			}
		}
	}
	masks := func(f udfs.MaskFactory) udf.UDF {
		return &udfs.ApplyMasks{Factories: []udfs.MaskFactory{f}, MaskCount: 1, MaskDType: array.Float32}
	}
	switch a.Kind {
	case "sum":
		return udfs.Sum{}, roi, nil
	case "stddev":
		return udfs.StdDev{}, roi, nil
	case "logsum":
		return udfs.Logsum{}, roi, nil
	case "pick":
		roi = array.Zeros[bool](nav...)
		roi.Set(true, a.Y, a.X)
		return udfs.Pick{}, roi, nil
	case "disk":
		return masks(udfs.DiskMask(a.CY, a.CX, a.R)), roi, nil
	case "ring":
		return masks(udfs.RingMask(a.CY, a.CX, a.RO, a.RI)), roi, nil
	case "point":
		return masks(udfs.PointMask(a.Y, a.X)), roi, nil
	case "rect":
		r := *a.Rect
		return masks(func(sig []int) (array.Array, error) {
			m := array.Zeros[float32](sig...)
			for y := r.Y0; y < r.Y1; y++ {
				for x := r.X0; x < r.X1; x++ {
					m.Set(1, y, x)
				}
			}
			return m, nil
		}), roi, nil
	case "com":
		opts := []udfs.CoMOption{udfs.WithCenter(a.CY, a.CX)}
		r := a.R
		if r == 0 {
			r = math.Inf(1)
		}
		if a.RI > 0 {
			opts = append(opts, udfs.WithRing(a.RI, r))
		} else {
			opts = append(opts, udfs.WithRadius(r))
		}
		reg, err := udfs.RegressionOrder(a.Regression)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %v", ErrAnalysis, err)
		}
		opts = append(opts, udfs.WithScanRotation(a.Rotation), udfs.WithFlipY(a.FlipY), udfs.WithRegression(reg))
		c, err := udfs.NewCoM(opts...)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %v", ErrAnalysis, err)
		}
		return c, roi, nil
	}
	return nil, nil, fmt.Errorf("%w: unknown kind %q", ErrAnalysis, a.Kind)
}

// shown lists the result buffers the page draws for a kind, in order.
func shown(kind string) []string {
	switch kind {
	case "stddev":
		return []string{"std"}
	case "logsum":
		return []string{"logsum"}
	case "com":
		return []string{"magnitude", "divergence", "curl", "field_y", "field_x"}
	}
	return []string{"intensity"}
}
