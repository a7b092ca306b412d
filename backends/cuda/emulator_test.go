package cuda

import (
	"encoding/binary"
	"math"
	"testing"
)

// tileBytes encodes values as elements of e (values must be representable).
func tileBytes(e Elem, vals []float64) []byte {
	b := make([]byte, len(vals)*e.Size())
	ne := binary.NativeEndian
	for i, v := range vals {
		switch e {
		case F32:
			ne.PutUint32(b[4*i:], math.Float32bits(float32(v)))
		case F64:
			ne.PutUint64(b[8*i:], math.Float64bits(v))
		case U8, I8:
			b[i] = byte(int8(v))
			if e == U8 {
				b[i] = byte(uint8(v))
			}
		case U16:
			ne.PutUint16(b[2*i:], uint16(v))
		case I16:
			ne.PutUint16(b[2*i:], uint16(int16(v)))
		case U32:
			ne.PutUint32(b[4*i:], uint32(v))
		case I32:
			ne.PutUint32(b[4*i:], uint32(int32(v)))
		case U64:
			ne.PutUint64(b[8*i:], uint64(v))
		case I64:
			ne.PutUint64(b[8*i:], uint64(int64(v)))
		}
	}
	return b
}

func upload(t testing.TB, x Exec, b []byte) Buf {
	t.Helper()
	buf, err := x.Alloc(int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if err := x.CopyIn(buf, 0, b); err != nil {
		t.Fatal(err)
	}
	return buf
}

func download64(t testing.TB, x Exec, b Buf, off int64, n int) []float64 {
	t.Helper()
	raw := make([]byte, 8*n)
	if err := x.CopyOut(raw, b, off); err != nil {
		t.Fatal(err)
	}
	if err := x.Sync(); err != nil {
		t.Fatal(err)
	}
	out := make([]float64, n)
	for i := range out {
		out[i] = math.Float64frombits(binary.NativeEndian.Uint64(raw[8*i:]))
	}
	return out
}

func zeros(t testing.TB, x Exec, n int64) Buf {
	t.Helper()
	b, err := x.Alloc(n)
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Zero(b, 0, n); err != nil {
		t.Fatal(err)
	}
	return b
}

// TestEmulatorClosedForms checks the emulated kernels on tiles whose results have
// closed forms: in[f, p] = f + 2p (small integers, exact in every element type).
func TestEmulatorClosedForms(t *testing.T) {
	const nf, sy, sx = 5, 3, 4
	const npix = sy * sx
	vals := make([]float64, nf*npix)
	for f := 0; f < nf; f++ {
		for p := 0; p < npix; p++ {
			vals[f*npix+p] = float64(f + 2*p)
		}
	}
	for e := F32; e.Valid(); e++ {
		t.Run(e.Suffix(), func(t *testing.T) {
			x := &Emulator{}
			in := upload(t, x, tileBytes(e, vals))
			// Sum over frames: Σ_f (f + 2p) = nf(nf-1)/2 + 2p·nf, added twice.
			acc := zeros(t, x, 8*npix)
			for range 2 {
				if err := x.SumFrames(in, e, acc, nf, npix); err != nil {
					t.Fatal(err)
				}
			}
			for p, got := range download64(t, x, acc, 0, npix) {
				if want := 2 * float64(nf*(nf-1)/2+2*p*nf); got != want {
					t.Fatalf("SumFrames[%d] = %v, want %v", p, got, want)
				}
			}
			// Sum over pixels, written at frame offset 2: npix·f + npix(npix-1).
			out := zeros(t, x, 8*(nf+2))
			if err := x.SumSig(in, e, out, 16, nf, npix); err != nil {
				t.Fatal(err)
			}
			got := download64(t, x, out, 0, nf+2)
			for f := 0; f < nf; f++ {
				if want := float64(npix*f + npix*(npix-1)); got[f+2] != want {
					t.Fatalf("SumSig[%d] = %v, want %v", f, got[f+2], want)
				}
			}
			// Std over frames: f + 2p has the variance of 0..nf-1 for every p, split
			// into two tiles (frames 0..1 and 2..4) and merged.
			sum, vs := zeros(t, x, 8*npix), zeros(t, x, 8*npix)
			first := upload(t, x, tileBytes(e, vals[:2*npix]))
			rest := upload(t, x, tileBytes(e, vals[2*npix:]))
			if err := x.StdFrames(first, e, sum, vs, 2, npix, 0); err != nil {
				t.Fatal(err)
			}
			if err := x.StdFrames(rest, e, sum, vs, nf-2, npix, 2); err != nil {
				t.Fatal(err)
			}
			wantVarsum := 0.0 // Σ (f − mean)² over f = 0..nf-1
			for f := 0; f < nf; f++ {
				d := float64(f) - float64(nf-1)/2
				wantVarsum += d * d
			}
			s, v := download64(t, x, sum, 0, npix), download64(t, x, vs, 0, npix)
			for p := 0; p < npix; p++ {
				if ws := float64(nf*(nf-1)/2 + 2*p*nf); math.Abs(s[p]-ws) > 1e-9 || math.Abs(v[p]-wantVarsum) > 1e-9 {
					t.Fatalf("Std[%d] = (%v, %v), want (%v, %v)", p, s[p], v[p], ws, wantVarsum)
				}
			}
			// Frame minimum: f (at p = 0).
			mins := zeros(t, x, 8*nf)
			if err := x.FrameMin(in, e, mins, nf, npix); err != nil {
				t.Fatal(err)
			}
			for f, m := range download64(t, x, mins, 0, nf) {
				if m != float64(f) {
					t.Fatalf("FrameMin[%d] = %v", f, m)
				}
			}
			// LogSum: log(f + 2p − f + 1) = log(2p + 1), nf times.
			lacc := zeros(t, x, 8*npix)
			if err := x.LogSum(in, e, mins, lacc, nf, npix); err != nil {
				t.Fatal(err)
			}
			for p, got := range download64(t, x, lacc, 0, npix) {
				if want := float64(nf) * math.Log(float64(2*p+1)); math.Abs(got-want) > 1e-12*want+1e-15 {
					t.Fatalf("LogSum[%d] = %v, want %v", p, got, want)
				}
			}
		})
	}
}

// TestEmulatorCoMAndMoments: a frame that is one bright pixel at (y0, x0) has its
// centre of mass there; moments of a 0/1 mask are counts and sums of the masked pixels.
func TestEmulatorCoMAndMoments(t *testing.T) {
	const sy, sx = 6, 7
	const npix = sy * sx
	x := &Emulator{}
	frames := [][2]int{{2, 3}, {5, 0}, {0, 6}}
	vals := make([]float64, len(frames)*npix)
	for f, yx := range frames {
		vals[f*npix+yx[0]*sx+yx[1]] = 10
	}
	mask := make([]float32, npix)
	for i := range mask {
		mask[i] = 1
	}
	mb := make([]byte, 4*npix)
	for i, m := range mask {
		binary.NativeEndian.PutUint32(mb[4*i:], math.Float32bits(m))
	}
	in := upload(t, x, tileBytes(U16, vals))
	mbuf := upload(t, x, mb)
	out := zeros(t, x, 24*int64(len(frames)))
	if err := x.CoMFrames(in, U16, mbuf, out, 0, len(frames), npix, sx); err != nil {
		t.Fatal(err)
	}
	r := download64(t, x, out, 0, 3*len(frames))
	for f, yx := range frames {
		if r[3*f] != 10 || r[3*f+1]/r[3*f] != float64(yx[0]) || r[3*f+2]/r[3*f] != float64(yx[1]) {
			t.Errorf("frame %d: CoM sums %v, want total 10 at %v", f, r[3*f:3*f+3], yx)
		}
	}
	// Ring moments with a mask selecting row 2 only: frame 0 has its pixel there.
	for i := range mask {
		mask[i] = 0
		if i/sx == 2 {
			mask[i] = 1
		}
		binary.NativeEndian.PutUint32(mb[4*i:], math.Float32bits(mask[i]))
	}
	mbuf = upload(t, x, mb)
	if err := x.RingMoments(in, U16, mbuf, out, 0, len(frames), npix); err != nil {
		t.Fatal(err)
	}
	r = download64(t, x, out, 0, 3*len(frames))
	want := []float64{sx, 10, 100, sx, 0, 0, sx, 0, 0}
	for i := range want {
		if r[i] != want[i] {
			t.Fatalf("RingMoments = %v, want %v", r, want)
		}
	}
}

func TestEmulatorGemmAndErrors(t *testing.T) {
	x := &Emulator{}
	const m, n, k = 3, 2, 4
	a := make([]float64, m*k)
	b := make([]float64, n*k)
	for i := range a {
		a[i] = float64(i)
	}
	for i := range b {
		b[i] = float64(i%3) - 1
	}
	ab, bb := upload(t, x, tileBytes(F32, a)), upload(t, x, tileBytes(F32, b))
	cb := zeros(t, x, 4*m*n+8)
	if err := x.GemmNT32(m, n, k, ab, bb, cb, 8); err != nil {
		t.Fatal(err)
	}
	raw := make([]byte, 4*m*n)
	if err := x.CopyOut(raw, cb, 8); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			want := 0.0
			for l := 0; l < k; l++ {
				want += a[i*k+l] * b[j*k+l]
			}
			if got := math.Float32frombits(binary.NativeEndian.Uint32(raw[4*(i*n+j):])); float64(got) != want {
				t.Errorf("C[%d,%d] = %v, want %v", i, j, got, want)
			}
		}
	}
	// Errors: short tile, output past the end, foreign buffer, use after free.
	small := zeros(t, x, 8)
	if err := x.SumFrames(small, F32, small, 4, 4); err == nil {
		t.Error("short tile accepted")
	}
	if err := x.SumSig(ab, F32, small, 8, 1, 4); err == nil {
		t.Error("output past the end accepted")
	}
	if err := x.SumFrames(&Buffer{Len: 64}, F32, small, 1, 1); err == nil {
		t.Error("foreign buffer accepted")
	}
	before := x.Allocated.Load()
	if err := x.Free(small); err != nil || x.Allocated.Load() != before-8 {
		t.Errorf("Free: %v, allocated %d → %d", err, before, x.Allocated.Load())
	}
	if err := x.Zero(small, 0, 8); err == nil {
		t.Error("use after Free accepted")
	}
}
