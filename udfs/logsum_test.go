package udfs

import (
	"math"
	"testing"
)

// logsumCase runs logsumFrame on frame over an accumulator starting at start and
// compares with start + math.Log(x − min + 1) computed directly: bit-identical for
// maxULP 0, within maxULP ulp otherwise.
func logsumCase[T realNumber](t *testing.T, name string, frame []T, start, maxULP float64) {
	t.Helper()
	mn := math.Inf(1)
	for _, v := range frame {
		mn = math.Min(mn, float64(v))
	}
	acc := make([]float64, len(frame))
	for i := range acc {
		acc[i] = start
	}
	logsumFrame(acc, frame)
	for i, v := range frame {
		want := start + math.Log(float64(v)-mn+1)
		if acc[i] == want {
			continue
		}
		if maxULP == 0 || ulpDiff(acc[i], want) > maxULP {
			t.Errorf("%s[%d] = %v, want %v", name, i, acc[i], want)
		}
	}
}

// TestLogsumFrameExact: the table path for integer arguments up to 65536 gives
// exactly math.Log; the fastLog path for the others (non-integers, integers beyond
// the table, +Inf) is within 2 ulp of it.
func TestLogsumFrameExact(t *testing.T) {
	// += semantics, arguments 1 … 65536
	logsumCase(t, "uint16", []uint16{0, 1, 2, 3, 100, 4095, 65534, 65535}, 0.5, 0)
	// min 7: arguments 1, 2, 65536, 65537 (beyond the table), … 2^31−6
	logsumCase(t, "uint32", []uint32{7, 8, 65542, 65543, 70000, 1 << 31}, 0, 2)
	// arguments 1, 1.5, 4, 4.25, 1e6+4, 11, 65536, 65537, +Inf
	logsumCase(t, "float32", []float32{-3, -2.5, 0, 0.25, 1e6, 7, 65532, 65533, float32(math.Inf(1))}, 0, 2)
}
