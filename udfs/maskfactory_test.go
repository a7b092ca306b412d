package udfs

import (
	"errors"
	"strings"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/udf"
)

// TestOneMaskFactory: udfs' mask factories are udf.MaskFactory values (the assignment
// and the slice below compile only when the two are one type): a udf.MaskContainer
// built from them with the signal shape holds the masks a direct loop computes, and
// without a signal shape the factory's error says how to give one.
func TestOneMaskFactory(t *testing.T) {
	const sy, sx = 7, 9
	var disk udf.MaskFactory = DiskMask(3, 4, 2)
	fs := []MaskFactory{disk, RingMask(3, 4, 3, 1)}
	st, err := udf.NewMaskList(fs, array.Float32).WithSigShape([]int{sy, sx}).Stack()
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Shape(); len(got) != 3 || got[0] != 2 || got[1] != sy || got[2] != sx {
		t.Fatalf("stack shape %v, want [2 %d %d]", got, sy, sx)
	}
	d := st.(*array.Dense[float32]).Contiguous().Data()
	for y := range sy {
		for x := range sx {
			r2 := float64((y-3)*(y-3) + (x-4)*(x-4))
			want := [2]float32{}
			if r2 <= 4 {
				want[0] = 1
			}
			if r2 <= 9 && r2 > 1 {
				want[1] = 1
			}
			for k := range 2 {
				if got := d[k*sy*sx+y*sx+x]; got != want[k] {
					t.Fatalf("mask %d at (%d, %d) = %v, want %v", k, y, x, got, want[k])
				}
			}
		}
	}
	_, err = udf.NewMaskList([]udf.MaskFactory{DiskMask(3, 4, 2)}, array.Float32).Stack()
	if !errors.Is(err, ErrShape) || !strings.Contains(err.Error(), "WithSigShape") {
		t.Fatalf("no signal shape: %v, want ErrShape with a WithSigShape hint", err)
	}
	a := &ApplyMasks{Stack: udf.MaskFactory(func(sig []int) (array.Array, error) { return array.Zeros[float32](append([]int{1}, sig...)...), nil })}
	if n, _, err := a.maskInfo([]int{sy, sx}); err != nil || n != 1 {
		t.Fatalf("ApplyMasks.Stack as a udf.MaskFactory: %d masks, %v", n, err)
	}
}
