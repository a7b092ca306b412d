package cuda

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
)

func i32Bytes(v []int32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.NativeEndian.PutUint32(b[4*i:], uint32(x))
	}
	return b
}

func i64Bytes(v []int64) []byte {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.NativeEndian.PutUint64(b[8*i:], uint64(x))
	}
	return b
}

func download(t testing.TB, x Exec, b Buf, off int64, n int) []byte {
	t.Helper()
	raw := make([]byte, n)
	if err := x.CopyOut(raw, b, off); err != nil {
		t.Fatal(err)
	}
	if err := x.Sync(); err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestEmulatorPickGather: PickFrames copies a tile's bytes to an offset; GatherFrames
// takes the listed frames; both byte for byte, for every element type.
func TestEmulatorPickGather(t *testing.T) {
	const nf, npix = 5, 7
	vals := make([]float64, nf*npix)
	for i := range vals {
		vals[i] = float64(i%50) + 1
	}
	for e := F32; e.Valid(); e++ {
		x := &Emulator{}
		tb := tileBytes(e, vals)
		in := upload(t, x, tb)
		es := e.Size()
		off := int64(3 * npix * es) // three frames before the tile
		out := zeros(t, x, off+int64(len(tb)))
		if err := x.PickFrames(in, e, out, off, nf, npix); err != nil {
			t.Fatal(err)
		}
		got := download(t, x, out, 0, int(out.Size()))
		if !bytes.Equal(got[off:], tb) || !bytes.Equal(got[:off], make([]byte, off)) {
			t.Fatalf("%v: PickFrames wrote %v, want %d zero bytes then %v", e, got, off, tb)
		}
		idx := []int64{4, 0, 0, 2}
		ib := upload(t, x, i64Bytes(idx))
		g := zeros(t, x, int64(len(idx)*npix*es))
		if err := x.GatherFrames(in, e, ib, g, len(idx), npix); err != nil {
			t.Fatal(err)
		}
		got = download(t, x, g, 0, int(g.Size()))
		for k, f := range idx {
			fb := npix * es
			if !bytes.Equal(got[k*fb:(k+1)*fb], tb[int(f)*fb:(int(f)+1)*fb]) {
				t.Fatalf("%v: gathered frame %d is not frame %d", e, k, f)
			}
		}
		bad := upload(t, x, i64Bytes([]int64{nf}))
		if err := x.GatherFrames(in, e, bad, g, 1, npix); err == nil {
			t.Errorf("%v: GatherFrames accepted index %d of %d frames", e, nf, nf)
		}
		if err := x.PickFrames(in, e, out, off+1, nf, npix); err == nil {
			t.Errorf("%v: PickFrames past the end accepted", e)
		}
	}
}

// TestEmulatorCSRMasks compares CSRMasks with a direct loop over dense masks holding
// the same entries, for every element type, random tiles and masks of 0 to many entries.
func TestEmulatorCSRMasks(t *testing.T) {
	const nf, npix, nm = 6, 40, 4
	rng := rand.New(rand.NewPCG(3, 4))
	vals := make([]float64, nf*npix)
	for i := range vals {
		vals[i] = float64(rng.IntN(100))
	}
	dense := make([][]float64, nm) // mask 1 stays empty
	var indptr, indices []int32
	var values []float64
	indptr = append(indptr, 0)
	for m := range dense {
		dense[m] = make([]float64, npix)
		for p := range dense[m] {
			if m != 1 && rng.IntN(3) == 0 {
				dense[m][p] = float64(rng.IntN(9)) - 4 + 0.5
				indices = append(indices, int32(p))
				values = append(values, dense[m][p])
			}
		}
		indptr = append(indptr, int32(len(indices)))
	}
	for e := F32; e.Valid(); e++ {
		x := &Emulator{}
		in := upload(t, x, tileBytes(e, vals))
		pb, jb, vb := upload(t, x, i32Bytes(indptr)), upload(t, x, i32Bytes(indices)), upload(t, x, tileBytes(F64, values))
		out := zeros(t, x, 8*(nf*nm+1))
		if err := x.CSRMasks(in, e, pb, jb, vb, out, 8, nf, npix, nm); err != nil {
			t.Fatal(err)
		}
		got := download64(t, x, out, 8, nf*nm)
		for f := 0; f < nf; f++ {
			for m := 0; m < nm; m++ {
				want := 0.0
				for p := 0; p < npix; p++ {
					want += dense[m][p] * vals[f*npix+p]
				}
				if math.Abs(got[f*nm+m]-want) > 1e-9 {
					t.Fatalf("%v: frame %d mask %d = %v, want %v", e, f, m, got[f*nm+m], want)
				}
			}
		}
	}
	// Malformed CSR is an error, not a panic.
	x := &Emulator{}
	in := upload(t, x, tileBytes(U16, vals))
	out := zeros(t, x, 8*nf*2)
	vb := upload(t, x, tileBytes(F64, []float64{1, 1}))
	for name, c := range map[string]struct{ ptr, idx []int32 }{
		"index past the frame": {[]int32{0, 1, 2}, []int32{0, npix}},
		"decreasing indptr":    {[]int32{0, 2, 1}, []int32{0, 1}},
		"indptr past indices":  {[]int32{0, 1, 3}, []int32{0, 1}},
		"indptr not from 0":    {[]int32{1, 1, 2}, []int32{0, 1}},
	} {
		if err := x.CSRMasks(in, U16, upload(t, x, i32Bytes(c.ptr)), upload(t, x, i32Bytes(c.idx)), vb, out, 0, nf, npix, 2); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

// TestEmulatorSwapBytes decodes hand-built big-endian bytes of every element type, out
// of place and in place.
func TestEmulatorSwapBytes(t *testing.T) {
	vals := []float64{0, 1, 2, 100, 127, 3}
	for e := F32; e.Valid(); e++ {
		es := e.Size()
		native := tileBytes(e, vals)
		// Big-endian: each element's native bytes reversed on a little-endian host,
		// written with encoding/binary on any host.
		big := make([]byte, len(native))
		for i := range vals {
			switch es {
			case 1:
				big[i] = native[i]
			case 2:
				binary.BigEndian.PutUint16(big[2*i:], binary.NativeEndian.Uint16(native[2*i:]))
			case 4:
				binary.BigEndian.PutUint32(big[4*i:], binary.NativeEndian.Uint32(native[4*i:]))
			case 8:
				binary.BigEndian.PutUint64(big[8*i:], binary.NativeEndian.Uint64(native[8*i:]))
			}
		}
		x := &Emulator{}
		in := upload(t, x, big)
		out := zeros(t, x, int64(len(big)))
		if err := x.SwapBytes(in, e, out, len(vals)); err != nil {
			t.Fatal(err)
		}
		want := native
		if binary.NativeEndian.Uint16([]byte{0, 1}) == 1 { // big-endian host: swapping reverses
			want = make([]byte, len(big))
			for i := range vals {
				for k := 0; k < es; k++ {
					want[i*es+k] = big[i*es+es-1-k]
				}
			}
		}
		if got := download(t, x, out, 0, len(big)); !bytes.Equal(got, want) {
			t.Fatalf("%v: swapped %v, want %v", e, got, want)
		}
		if err := x.SwapBytes(in, e, in, len(vals)); err != nil { // in place
			t.Fatal(err)
		}
		if got := download(t, x, in, 0, len(big)); !bytes.Equal(got, want) {
			t.Fatalf("%v: swapped in place %v, want %v", e, got, want)
		}
	}
}
