package udfs

import (
	"math"
	"math/rand/v2"
	"testing"
)

// ulpDiff returns |a − b| in units of the last place of b.
func ulpDiff(a, b float64) float64 {
	if a == b {
		return 0
	}
	u := math.Nextafter(math.Abs(b), math.Inf(1)) - math.Abs(b)
	return math.Abs(a-b) / u
}

// TestFastLog compares fastLog with math.Log on hand-picked and random arguments:
// at most 2 ulp apart (and exact at 1); special arguments give math.Log's answer.
func TestFastLog(t *testing.T) {
	worst, at := 0.0, 0.0
	check := func(x float64) {
		got, want := fastLog(x), math.Log(x)
		if d := ulpDiff(got, want); d > worst {
			worst, at = d, x
		}
	}
	for _, x := range []float64{1, 1.5, 2, 2.5, 3, math.E, 10, 1 + 1.0/256, 2 - 1e-16, 65536.5, 1e300, 1e-300, math.SmallestNonzeroFloat64 * 1e16} {
		check(x)
	}
	r := rand.New(rand.NewPCG(9, 9))
	n := 2_000_000
	if testing.Short() {
		n = 200_000
	}
	for range n {
		check(1 + r.Float64()*r.Float64()*1e6)          // Logsum's range: ≥ 1
		check(float64(float32(1 + r.Float64()*100000))) // float32-derived
		check(1 + r.Float64()*1e-3)                     // close to 1: small results
		check(math.Exp(r.Float64()*1400 - 700))         // the whole normal range
	}
	if worst > 2 {
		t.Errorf("fastLog is %v ulp from math.Log at %v", worst, at)
	}
	if fastLog(1) != 0 {
		t.Errorf("fastLog(1) = %v", fastLog(1))
	}
	for _, x := range []float64{0, -1, math.Inf(1), math.NaN(), 5e-324} {
		got, want := fastLog(x), math.Log(x)
		if got != want && !(math.IsNaN(got) && math.IsNaN(want)) {
			t.Errorf("fastLog(%v) = %v, want %v", x, got, want)
		}
	}
	t.Logf("worst %.3f ulp at %v", worst, at)
}
