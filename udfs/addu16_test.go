package udfs

import (
	"testing"

	"github.com/stemflow/stemflow/array"
)

// TestAddU16ToU32Twins compares the kernel with a direct loop on odd lengths and
// unaligned starts, including values near the uint16 limit.
func TestAddU16ToU32Twins(t *testing.T) {
	src := randU16(300, 1)
	for i := range src {
		if i%7 == 0 {
			src[i] = 65535
		}
	}
	for _, n := range []int{0, 1, 7, 8, 9, 31, 32, 33, 63, 64, 65, 130, 257} {
		for _, off := range []int{0, 1, 3} {
			s := src[off : off+n]
			dst := make([]uint32, n+5)
			want := make([]uint32, n+5)
			for i := range dst {
				dst[i] = uint32(i * 1000003)
				want[i] = dst[i]
			}
			for i, v := range s {
				want[i] += uint32(v)
			}
			addU16ToU32(dst, s)
			for i := range want {
				if dst[i] != want[i] {
					t.Fatalf("n %d off %d: dst[%d] = %d, want %d", n, off, i, dst[i], want[i])
				}
			}
			g := make([]uint32, n)
			addU16ToU32Go(g, s)
			for i := range g {
				if g[i] != uint32(s[i]) {
					t.Fatalf("scalar twin n %d: %d", n, i)
				}
			}
		}
	}
}

func BenchmarkAddU16ToU32(b *testing.B) {
	src := randU16(16384, 2)
	dst := make([]uint32, 16384)
	b.SetBytes(int64(len(src)) * 2)
	for b.Loop() {
		addU16ToU32(dst, src)
	}
}

// TestSumU16Flush forces the uint32 flush between frames and checks the exact sum.
func TestSumU16Flush(t *testing.T) {
	const px = 5
	data := []uint16{65535, 1, 2, 3, 4, 65535, 65535, 65535, 0, 9, 7, 7, 7, 7, 7}
	tk := &sumTask{acc: make([]float64, px)}
	tk.box.set([]int{px}, sigSliceFull(px))
	tk.n32 = maxU32Frames - 1
	tk.acc32 = make([]uint32, px)
	tk.acc32[0] = 4000000000 // as if many frames were summed
	if err := sumTileU16(tk, data, 3); err != nil {
		t.Fatal(err)
	}
	tk.flush32()
	want := []float64{4000000000 + 65535 + 65535 + 7, 1 + 65535 + 7, 2 + 65535 + 7, 3 + 0 + 7, 4 + 9 + 7}
	for i := range want {
		if tk.acc[i] != want[i] {
			t.Fatalf("acc %v, want %v", tk.acc, want)
		}
	}
}

// sigSliceFull returns the 1-D signal box [0, n).
func sigSliceFull(n int) array.Slice {
	return array.NewSlice([]int{0}, array.NewShape([]int{n}, 1))
}
