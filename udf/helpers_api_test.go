package udf

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/stemflow/stemflow/array"
)

func TestInput(t *testing.T) {
	f := array.Wrap([]float32{1, 2}, 2)
	if d, err := Input[float32](f); err != nil || d != f {
		t.Fatalf("float32: %v %v", d, err)
	}
	_, err := Input[float32](array.Wrap([]float64{1}, 1))
	if !errors.Is(err, ErrInputDType) || !strings.Contains(err.Error(), "float64") {
		t.Fatalf("float64 as float32: %v, want ErrInputDType naming float64", err)
	}
}

func TestMergeAdd(t *testing.T) {
	specs := []BufferSpec{SigBuffer("a", array.Float64), SigBuffer("b", array.Int64)}
	idx := map[string]int{"a": 0, "b": 1}
	dest := &Views{specs: specs, index: idx, arrs: []array.Array{array.Wrap([]float64{1, 2}, 2), array.Wrap([]int64{5, 6}, 2)}}
	src := &Views{specs: specs, index: idx, arrs: []array.Array{array.Wrap([]float64{0.5, 0.25}, 2), array.Wrap([]int64{1, -1}, 2)}}
	if err := MergeAdd(dest, src); err != nil {
		t.Fatal(err)
	}
	if a := dest.At(0).(*array.Dense[float64]).Data(); !slices.Equal(a, []float64{1.5, 2.25}) {
		t.Fatalf("a = %v", a)
	}
	if b := dest.At(1).(*array.Dense[int64]).Data(); !slices.Equal(b, []int64{6, 5}) {
		t.Fatalf("b = %v", b)
	}
	if err := MergeAdd(dest, src, "c"); !errors.Is(err, ErrUndeclaredBuffer) {
		t.Fatalf("unknown name: %v", err)
	}
}
