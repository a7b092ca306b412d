package udfs

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/udf"
)

// writeRawFile writes v as a little-endian raw file in dir and returns its path.
func writeRawFile[T float32 | uint16](t testing.TB, dir, name string, v []T) string {
	t.Helper()
	var b bytes.Buffer
	if err := binary.Write(&b, binary.LittleEndian, v); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// bitsOf returns the raw buffer's values as float64 bit patterns (int64 for integer
// buffers), so that equal slices mean bit-identical results.
func bitsOf(t testing.TB, a array.Array) []uint64 {
	t.Helper()
	v, err := toF64(a)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]uint64, len(v))
	for i, x := range v {
		out[i] = math.Float64bits(x)
	}
	return out
}

// TestFullFrameTilesBitIdentical runs the built-ins of the one-shot CLI over one raw
// file read with pread (whole-frame tiles straight into the tile buffer, negotiated
// by the FullFrames rule) and with mmap (zero-copy tiles of whole frames, bounded by
// MaxViewBytes) and checks that every result buffer is bit-identical, for partitions
// of 256, 128 and 64 frames and uneven ones (3 and 7 partitions: both rules cut
// every partition into whole blocks of the UDFs' DepthMultiple from its start). With
// integer-valued frames (every sum exact) Sum and SumSig also equal a direct float64
// loop.
func TestFullFrameTilesBitIdentical(t *testing.T) {
	const frames, sy, sx = 256, 128, 128
	px := sy * sx
	dir := t.TempDir()
	rnd := randF32(frames*px, 11)
	ints := make([]float32, frames*px)
	for i, u := range randU16(frames*px, 12) {
		ints[i] = float32(u)
	}
	u16 := randU16(frames*px, 13)
	files := []struct {
		name  string
		path  string
		dtype string
		exact []float32 // integer-valued contents, nil if not
	}{
		{"random-f32", writeRawFile(t, dir, "r.raw", rnd), "float32", nil},
		{"integer-f32", writeRawFile(t, dir, "i.raw", ints), "float32", ints},
		{"u16", writeRawFile(t, dir, "u.raw", u16), "uint16", nil},
	}
	mk := map[string]func() udf.UDF{
		"Sum":    func() udf.UDF { return Sum{} },
		"SumSig": func() udf.UDF { return SumSig{} },
		"StdDev": func() udf.UDF { return StdDev{} },
		"disk": func() udf.UDF {
			return &ApplyMasks{Factories: []MaskFactory{DiskMask(64, 64, 30)}, MaskCount: 1, MaskDType: array.Float32}
		},
		"CoM": func() udf.UDF {
			c, err := NewCoM()
			if err != nil {
				t.Fatal(err)
			}
			return c
		},
	}
	open := func(t *testing.T, path, dtype, io string) dataset.Dataset {
		ds, err := dataset.OpenRaw(path, dataset.RawOptions{NavShape: []int{16, 16}, SigShape: []int{sy, sx}, DType: dtype, IO: io})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ds.Close() })
		return ds
	}
	for _, f := range files {
		pread := open(t, f.path, f.dtype, dataset.IORead)
		mmap := open(t, f.path, f.dtype, dataset.IOMmap)
		if !pread.(dataset.DirectFramer).DirectFrames(pread.DType(), nil) {
			t.Fatalf("%s: pread dataset does not read whole native frames directly", f.name)
		}
		if mmap.(dataset.DirectFramer).DirectFrames(mmap.DType(), nil) {
			t.Fatalf("%s: mapped dataset claims direct frame reads", f.name)
		}
		for name, u := range mk {
			for _, np := range []int{1, 2, 4, 3, 7} {
				t.Run(f.name+"/"+name+"/"+string(rune('0'+np)), func(t *testing.T) {
					opts := udf.Options{Workers: 2, NumPartitions: np}
					got := runOne(t, pread, u(), opts, nil)
					want := runOne(t, mmap, u(), opts, nil)
					for _, b := range want.Buffers {
						g := got.Get(b.Name())
						gb, wb := bitsOf(t, g.RawData()), bitsOf(t, b.RawData())
						for i := range wb {
							if gb[i] != wb[i] {
								t.Fatalf("%s[%d]: pread %v, mmap %v", b.Name(), i, math.Float64frombits(gb[i]), math.Float64frombits(wb[i]))
							}
						}
					}
					if f.exact == nil || (name != "Sum" && name != "SumSig") {
						return
					}
					var direct []float64
					if name == "Sum" {
						direct = directSum(f.exact, frames, px, nil)
					} else {
						direct = directSumSig(f.exact, frames, px, nil)
					}
					v, _ := f64(t, got.Get("intensity").RawData())
					for i := range direct {
						if v[i] != direct[i] {
							t.Fatalf("intensity[%d] = %v, direct loop %v", i, v[i], direct[i])
						}
					}
				})
			}
		}
	}
}

// TestFullFrameNegotiation checks that a pread raw file negotiates whole-frame tiles
// for the built-ins (16 frames of 64 KiB for Sum and for the default, which StdDev
// uses: its blocks span tiles), and that
// a ROI, which needs the copying reader, keeps the reference's sig boxes.
func TestFullFrameNegotiation(t *testing.T) {
	dir := t.TempDir()
	path := writeRawFile(t, dir, "f.raw", make([]float32, 64*128*128))
	ds, err := dataset.OpenRaw(path, dataset.RawOptions{NavShape: []int{64}, SigShape: []int{128, 128}, DType: "float32", IO: dataset.IORead})
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	roi := make([]bool, 64)
	roi[3] = true
	cases := []struct {
		name string
		pref udf.TilingPrefs
		roi  []bool
		want []int
	}{
		{"Sum", Sum{}.TilingPreferences(nil), nil, []int{16, 128, 128}},
		{"default", udf.TilingPrefs{}, nil, []int{16, 128, 128}},
		{"Sum/roi", Sum{}.TilingPreferences(nil), roi, []int{64, 32, 128}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.pref.Method = dataset.MethodTile
			s, err := dataset.Negotiate(dataset.NegotiationFor(ds, []dataset.TilingPrefs{c.pref}, array.Float32, c.roi, 1))
			if err != nil {
				t.Fatal(err)
			}
			shapeIs(t, "tile", s.Shape, c.want...)
		})
	}
}
