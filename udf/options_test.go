package udf_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/udf"
	"github.com/stemflow/stemflow/udfs"
)

// Negative counts in Options are refused before anything runs.
func TestOptionsRejectNegative(t *testing.T) {
	ds, err := dataset.NewMemory(array.Zeros[float32](2, 2, 4, 4), dataset.MemoryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []udf.Options{{Workers: -3}, {NumPartitions: -1}, {Window: -2}} {
		if _, err := udf.Run(context.Background(), ds, []udf.UDF{udfs.Sum{}}, o); !errors.Is(err, udf.ErrOptions) {
			t.Errorf("%+v: err = %v, want ErrOptions", o, err)
		}
		if _, err := udf.RunLazy(ds, []udf.UDF{udfs.Sum{}}, o); !errors.Is(err, udf.ErrOptions) {
			t.Errorf("RunLazy %+v: err = %v, want ErrOptions", o, err)
		}
	}
	if _, err := udf.Run(context.Background(), ds, []udf.UDF{udfs.Sum{}}, udf.Options{}); err != nil {
		t.Errorf("zero options: %v", err)
	}
}
