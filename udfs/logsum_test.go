package udfs

import (
	"math"
	"testing"
)

// TestLogsumFrameExact: the table path for integer arguments and the math.Log path
// for the others give exactly math.Log, for integer and float frames, arguments
// beyond the table and +Inf.
func TestLogsumFrameExact(t *testing.T) {
	direct := func(frame []float64) []float64 {
		mn := math.Inf(1)
		for _, v := range frame {
			mn = math.Min(mn, v)
		}
		out := make([]float64, len(frame))
		for i, v := range frame {
			out[i] = 0.5 + math.Log(v-mn+1) // acc starts at 0.5
		}
		return out
	}
	check := func(name string, got, want []float64) {
		t.Helper()
		for i := range want {
			if math.Float64bits(got[i]) != math.Float64bits(want[i]) && !(math.IsNaN(got[i]) && math.IsNaN(want[i])) {
				t.Errorf("%s[%d] = %v, want %v", name, i, got[i], want[i])
			}
		}
	}
	acc := func(n int) []float64 {
		a := make([]float64, n)
		for i := range a {
			a[i] = 0.5
		}
		return a
	}
	u16 := []uint16{0, 1, 2, 3, 100, 4095, 65534, 65535}
	f := make([]float64, len(u16))
	for i, v := range u16 {
		f[i] = float64(v)
	}
	a := acc(len(u16))
	logsumFrame(a, u16)
	check("uint16", a, direct(f))

	u32 := []uint32{7, 8, 65542, 65543, 70000, 1 << 31} // min 7: arguments 1 … 2^31−6
	f = f[:0]
	for _, v := range u32 {
		f = append(f, float64(v))
	}
	a = acc(len(u32))
	logsumFrame(a, u32)
	check("uint32", a, direct(f))

	f32 := []float32{-3, -2.5, 0, 0.25, 1e6, 7, 65532, 65533, float32(math.Inf(1))} // arguments 1, 1.5, 4, … 65536, 65537, +Inf
	f = f[:0]
	for _, v := range f32 {
		f = append(f, float64(v))
	}
	a = acc(len(f32))
	logsumFrame(a, f32)
	check("float32", a, direct(f))
}
