package udfs

import "math"

// Fast natural logarithm for Logsum's non-integer arguments. x = 2^k · m with m in
// [1, 2); j = round((m − 1)·128) picks the nearest grid point c_j = 1 + j/128, whose
// reciprocal inv_j (rounded to float64) and L_j = −log(inv_j) are precomputed. Then
//
//	log x = k·ln 2 + L_j + log1p(r),  r = m·inv_j − 1 (one FMA), |r| < 2⁻⁸,
//
// with log1p(r) = r − r²/2 + … + r⁷/7 (the next term is below 2⁻⁶⁰·|r|). For
// j ≥ 64 (m ≳ 1.5) x is taken as 2^(k+1) · (m/2), L_j = −log(2·inv_j) ≤ 0 and r is
// unchanged: the reduced argument lies in [0.75, 1.5), so that k·ln 2 and L_j never
// cancel, and arguments near 1 from either side have k = 0, L = 0 (j = 0 or 128)
// and an exact r: small logarithms keep full relative accuracy. ln 2 is
// split into a high part with trailing zero bits (k·ln2Hi is exact) and a low part.
// The result is within 2 ulp of math.Log (TestFastLog checks millions of arguments).

// logSubBits selects the subinterval from the top mantissa bits.
const logSubBits = 7

const (
	ln2Hi = 6.93147180369123816490e-01 // 0x3fe62e42fee00000
	ln2Lo = 1.90821492927058770002e-10 // 0x3dea39ef35793c76
)

// logInv and logL hold inv_j and L_j for j = 0 … 128 (for j ≥ 64 the caller adds 1
// to k; L_128 = 0).
var logInv, logL = func() (inv, l [1<<logSubBits + 1]float64) {
	for j := range inv {
		inv[j] = 1 / (1 + float64(j)/(1<<logSubBits))
		if j < 1<<(logSubBits-1) {
			l[j] = -math.Log(inv[j])
		} else {
			l[j] = -math.Log(2 * inv[j])
		}
	}
	return
}()

// fastLog returns log(x) for finite x ≥ 2⁻¹⁰²² (normal, positive); other arguments
// (0, subnormals, negatives, Inf, NaN) go to math.Log.
func fastLog(x float64) float64 {
	b := math.Float64bits(x)
	e := int(b >> 52) // sign bit included: negatives land above 0x7fe
	if e == 0 || e >= 0x7ff {
		return math.Log(x)
	}
	frac := b & (1<<52 - 1)
	j := (frac + 1<<(51-logSubBits)) >> (52 - logSubBits)           // 0 … 128
	k := float64(e - 1023 + int((j+1<<(logSubBits-1))>>logSubBits)) // +1 for j ≥ 64
	m := math.Float64frombits(frac | 0x3ff<<52)
	r := math.FMA(m, logInv[j], -1)
	r2 := r * r
	// log1p(r) − r, Horner in r
	p := r2 * (-0.5 + r*(1.0/3+r*(-0.25+r*(0.2+r*(-1.0/6+r*(1.0/7))))))
	return (k*ln2Hi + logL[j]) + (r + (p + k*ln2Lo))
}
