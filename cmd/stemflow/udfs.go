package main

import (
	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/udf"
	"github.com/stemflow/stemflow/udfs"
)

// buildUDF makes the built-in UDF of a spec for data of the given shape.
func buildUDF(s udfSpec, shape array.Shape) (udf.UDF, error) {
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
	}
	return nil, usagef("--udf %q: not available yet", s.Text)
}
