package udfs

import "github.com/stemflow/stemflow/udf"

// Compile-time checks that every built-in implements the contract methods it means
// to (a near-miss signature would otherwise be ignored silently).
var (
	_ udf.TileProcessor  = Sum{}
	_ udf.Merger         = Sum{}
	_ udf.TileProcessor  = SumSig{}
	_ udf.Merger         = StdDev{}
	_ udf.AllMerger      = StdDev{}
	_ udf.Merger         = Logsum{}
	_ udf.AllMerger      = Logsum{}
	_ udf.Merger         = Pick{}
	_ udf.TileProcessor  = Pick{}
	_ udf.FrameProcessor = FEM{}
	_ udf.TaskDataMaker  = FEM{}
	_ udf.UDF            = Crystallinity{}
	_ udf.Merger         = NoOp{}
	_ udf.Merger         = (*Record)(nil)
	_ udf.TileProcessor  = (*Record)(nil)
	_ udf.Preprocessor   = (*Record)(nil)
	_ udf.Cleaner        = (*Record)(nil)
	_ udf.ResultsGetter  = (*Record)(nil)
	_ udf.RunEnder       = (*Record)(nil)
	_ udf.UDF            = (*ApplyMasks)(nil)
	_ udf.AuxProvider    = (*ApplyMasks)(nil)
	_ udf.UDF            = (*CoM)(nil)
	_ udf.ResultsGetter  = (*CoM)(nil)
	_ udf.InputDTyper    = Sum{}
	_ udf.InputDTyper    = Pick{}
	_ udf.InputDTyper    = (*Record)(nil)
)
