package udfs

import (
	"math"
	"testing"
)

// TestLogsumFrameExact: the table path for integer arguments up to 65536 gives
// exactly math.Log; the fastLog path for the others (non-integers, integers beyond
// the table, +Inf) is within 2 ulp of it.
func TestLogsumFrameExact(t *testing.T) {
	direct := func(frame []float64, start float64) []float64 {
		mn := math.Inf(1)
		for _, v := range frame {
			mn = math.Min(mn, v)
		}
		out := make([]float64, len(frame))
		for i, v := range frame {
			out[i] = start + math.Log(v-mn+1)
		}
		return out
	}
	// maxULP 0: bit-identical; otherwise within maxULP of the direct value
	check := func(name string, got, want []float64, maxULP float64) {
		t.Helper()
		for i := range want {
			g, w := got[i], want[i]
			if g == w {
				continue
			}
			if maxULP == 0 || ulpDiff(g, w) > maxULP {
				t.Errorf("%s[%d] = %v, want %v", name, i, got[i], want[i])
			}
		}
	}
	acc := func(n int, start float64) []float64 {
		a := make([]float64, n)
		for i := range a {
			a[i] = start
		}
		return a
	}
	u16 := []uint16{0, 1, 2, 3, 100, 4095, 65534, 65535}
	f := make([]float64, len(u16))
	for i, v := range u16 {
		f[i] = float64(v)
	}
	a := acc(len(u16), 0.5) // += semantics
	logsumFrame(a, u16)
	check("uint16", a, direct(f, 0.5), 0)

	u32 := []uint32{7, 8, 65542, 65543, 70000, 1 << 31} // min 7: arguments 1 … 2^31−6
	f = f[:0]
	for _, v := range u32 {
		f = append(f, float64(v))
	}
	a = acc(len(u32), 0)
	logsumFrame(a, u32)
	check("uint32", a, direct(f, 0), 2)

	f32 := []float32{-3, -2.5, 0, 0.25, 1e6, 7, 65532, 65533, float32(math.Inf(1))} // arguments 1, 1.5, 4, … 65536, 65537, +Inf
	f = f[:0]
	for _, v := range f32 {
		f = append(f, float64(v))
	}
	a = acc(len(f32), 0)
	logsumFrame(a, f32)
	check("float32", a, direct(f, 0), 2)
}
