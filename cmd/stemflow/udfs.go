package main

import (
	"fmt"
	"math"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/udf"
	"github.com/stemflow/stemflow/udfs"
)

// buildUDF makes the built-in UDF of a spec for data of the given shape. Centres
// left out of a com spec default, in udfs.CoM, to (sy//2, sx//2).
func buildUDF(s udfSpec, shape array.Shape) (udf.UDF, error) {
	sig := shape.Sig()
	switch s.Kind {
	case "sum":
		return udfs.Sum{}, nil
	case "sumsig":
		return udfs.SumSig{}, nil
	case "stddev":
		return udfs.StdDev{}, nil
	case "logsum":
		return udfs.Logsum{}, nil
	case "pick":
		return udfs.Pick{}, nil
	case "disk":
		return &udfs.ApplyMasks{Factories: []udfs.MaskFactory{udfs.DiskMask(s.CY, s.CX, s.R)}, MaskCount: 1, MaskDType: array.Float32}, nil
	case "ring":
		return &udfs.ApplyMasks{Factories: []udfs.MaskFactory{udfs.RingMask(s.CY, s.CX, s.RO, s.RI)}, MaskCount: 1, MaskDType: array.Float32}, nil
	case "masks":
		m, err := loadMasks(s.MaskFile, sig)
		if err != nil {
			return nil, fmt.Errorf("--udf %q: %w", s.Text, err)
		}
		return &udfs.ApplyMasks{
			Stack:     func([]int) (array.Array, error) { return m, nil },
			MaskCount: m.Shape()[0],
			MaskDType: array.Float32,
		}, nil
	case "com":
		var opts []udfs.CoMOption
		if !math.IsNaN(s.CY) {
			opts = append(opts, udfs.WithCenter(s.CY, s.CX))
		}
		if s.RI > 0 {
			opts = append(opts, udfs.WithRing(s.RI, s.R))
		} else {
			opts = append(opts, udfs.WithRadius(s.R))
		}
		reg, err := udfs.RegressionOrder(s.Regression)
		if err != nil {
			return nil, usageError{fmt.Errorf("--udf %q: %w", s.Text, err)}
		}
		opts = append(opts, udfs.WithScanRotation(s.Rotation), udfs.WithFlipY(s.FlipY), udfs.WithRegression(reg))
		c, err := udfs.NewCoM(opts...)
		if err != nil {
			return nil, usageError{fmt.Errorf("--udf %q: %w", s.Text, err)}
		}
		return c, nil
	}
	return nil, usagef("--udf %q: unknown UDF", s.Text)
}
