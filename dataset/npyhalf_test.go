package dataset

import (
	"encoding/binary"
	"errors"
	"io/fs"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stemflow/stemflow/array"
)

// TestNPYFloat16 reads half-precision .npy files (both byte orders, mmap and pread, with
// and without ROI) as float32 and float64 tiles; the expected values are the binary16
// bit patterns decoded by hand.
func TestNPYFloat16(t *testing.T) {
	// 6 frames of 2×2: half bit patterns and their values
	bits := []uint16{0x3c00, 0xc000, 0x3800, 0x0000, 0x7bff, 0x0001, 0x3e00, 0xbc00}
	vals := []float64{1, -2, 0.5, 0, 65504, math.Ldexp(1, -24), 1.5, -1}
	n := 6 * 4
	for _, order := range []binary.AppendByteOrder{binary.LittleEndian, binary.BigEndian} {
		var data []byte
		want := make([]float64, n)
		for i := range n {
			data = order.AppendUint16(data, bits[i%len(bits)])
			want[i] = vals[i%len(vals)]
		}
		c := "<"
		if order == binary.AppendByteOrder(binary.BigEndian) {
			c = ">"
		}
		path := writeFile(t, "h.npy", npyBytes(1, "{'descr': '"+c+"f2', 'fortran_order': False, 'shape': (2, 3, 2, 2), }", 64, data))
		for _, io := range []string{IOMmap, IORead} {
			ds, err := OpenNPY(path, NPYOptions{IO: io})
			if err != nil {
				t.Fatal(err)
			}
			if ds.DType() != array.Float32 || ds.Info().Bytes != int64(2*n) || ds.Header().DType != array.Float16 {
				t.Fatalf("dtype %v bytes %d header %v", ds.DType(), ds.Info().Bytes, ds.Header().DType)
			}
			sch, _ := NewTilingScheme([]int{4, 2, 2}, []int{2, 2}, MethodTile)
			roi := []bool{true, false, true, true, false, true}
			for _, r := range [][]bool{nil, roi} {
				for _, dt := range []array.DType{array.Float32, array.Float64, array.Int32} {
					got := map[int]float64{}
					for _, p := range Partitions(ds, 2) {
						err := ds.ReadTiles(t.Context(), p, TileRequest{Scheme: sch, DType: dt, ROI: r}, func(tl *Tile) error {
							var vs []float64
							switch a := tl.Data.(type) {
							case *array.Dense[float32]:
								for _, v := range a.Data() {
									vs = append(vs, float64(v))
								}
							case *array.Dense[float64]:
								vs = a.Data()
							case *array.Dense[int32]:
								for _, v := range a.Data() {
									vs = append(vs, float64(v))
								}
							}
							for j, v := range vs {
								got[tl.Slice.Origin[0]*4+j] = v
							}
							return nil
						})
						if err != nil {
							t.Fatal(err)
						}
					}
					c := 0
					for f := range 6 {
						if r != nil && !r[f] {
							continue
						}
						for px := range 4 {
							w := want[f*4+px]
							if dt == array.Int32 {
								w = math.Trunc(w)
							}
							if got[c*4+px] != w {
								t.Errorf("%s roi=%v %v: frame %d px %d = %v, want %v", io, r != nil, dt, f, px, got[c*4+px], w)
							}
						}
						c++
					}
				}
			}
			ds.Close()
		}
	}
}

// TestOpenErrorMessages: a missing file is reported on one line (still matching
// ErrNotFound and fs.ErrNotExist); a negative npy extent is named with its value; a
// header of 0xFFFF bytes of garbage is quoted escaped and capped.
func TestOpenErrorMessages(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none.npy")
	for _, err := range []error{
		func() error { _, err := OpenNPY(missing, NPYOptions{}); return err }(),
		func() error {
			_, err := OpenRaw(missing, RawOptions{NavShape: []int{1}, SigShape: []int{1}, DType: "u1"})
			return err
		}(),
		func() error {
			_, err := OpenRaw(missing, RawOptions{NavShape: []int{1}, SigShape: []int{1}, DType: "u1", IO: IORead})
			return err
		}(),
	} {
		if !errors.Is(err, ErrNotFound) || !errors.Is(err, fs.ErrNotExist) || strings.Contains(err.Error(), "\n") {
			t.Errorf("missing file: %q", err)
		}
	}
	neg := writeFile(t, "n.npy", npyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, -7, 4, 4), }", 64, nil))
	if _, err := OpenNPY(neg, NPYOptions{}); !errors.Is(err, ErrHeader) || !strings.Contains(err.Error(), "extent -7 is negative") {
		t.Errorf("negative extent: %v", err)
	}
	g := []byte("\x93NUMPY\x01\x00\xff\xff")
	for i := range 0xffff {
		g = append(g, byte(i*13+5))
	}
	if _, err := OpenNPY(writeFile(t, "g.npy", g), NPYOptions{}); err == nil || len(err.Error()) > 500 || strings.ContainsAny(err.Error(), "\n\r\x00\x1b") {
		t.Errorf("garbage header: %d-byte message %q", len(err.Error()), err)
	}
}
