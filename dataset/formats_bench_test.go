package dataset

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stemflow/stemflow/array"
)

// fmtBenchFrames frames of 128×128 (EMPAD: its fixed 128×128 kept of 130×128) per
// format benchmark.
const fmtBenchFrames = 1024

// BenchmarkFormats reads a file of each framed format (written by the tests' own
// builders) as float32 tiles with one worker, the callback only counting tiles: the
// reader's decode alone. GB/s counts the float32 output bytes.
func BenchmarkFormats(b *testing.B) {
	const side = 128
	n := fmtBenchFrames
	u16 := func(f, i int) int { return int(benchValue(f*side*side + i)) }
	cases := []struct {
		name  string
		write func(dir string) (string, OpenOptions)
	}{
		{"blo-u8", func(dir string) (string, OpenOptions) {
			p := filepath.Join(dir, "x.blo")
			writeOrFail(b, p, bloFile(false, 258, 32, 32, side, "", 8, func(f, i int) int { return u16(f, i) & 0xff }))
			return p, OpenOptions{}
		}},
		{"ser-u16", func(dir string) (string, OpenOptions) {
			p := filepath.Join(dir, "x.ser")
			writeOrFail(b, p, serFile(0x0220, []int{32, 32}, n, true, 2, side, side, func(e, r, c int) float64 { return float64(u16(e, r*side+c)) }))
			return p, OpenOptions{}
		}},
		{"seq-u16", func(dir string) (string, OpenOptions) {
			p := filepath.Join(dir, "x.seq")
			writeOrFail(b, p, seqFile(5, side, side, 16, n, 8, u16))
			return p, OpenOptions{}
		}},
		{"mrc-u16", func(dir string) (string, OpenOptions) {
			p := filepath.Join(dir, "x.mrc")
			vals := make([]float64, n*side*side)
			for i := range vals {
				vals[i] = float64(benchValue(i))
			}
			writeOrFail(b, p, mrcFile(side, side, n, 6, 0, false, encode(vals, array.Uint16, nil)))
			return p, OpenOptions{}
		}},
		{"tvips-u16", func(dir string) (string, OpenOptions) {
			p := filepath.Join(dir, "scan_000.tvips")
			out := tvipsSeries(2, side, side, 16, 128)
			for f := range n {
				out = append(out, tvipsRecord(128, side, side, 16, 0, float32(f), func(y, x int) int { return u16(f, y*side+x) })...)
			}
			writeOrFail(b, p, out)
			return p, OpenOptions{NavShape: []int{n}}
		}},
		{"empad-f32", func(dir string) (string, OpenOptions) {
			writeOrFail(b, filepath.Join(dir, "scan_x.raw"), empadRaw(n, func(f, y, x int) float32 { return float32(u16(f, y*side+x)) }))
			p := filepath.Join(dir, "scan.xml")
			writeOrFail(b, p, []byte(empadXMLText("scan_x.raw", [2]int{32, 32}, [2]int{32, 32})))
			return p, OpenOptions{}
		}},
		{"dm4-u16", func(dir string) (string, OpenOptions) {
			p := filepath.Join(dir, "x.dm4")
			vals := make([]float64, n*side*side)
			for i := range vals {
				vals[i] = float64(benchValue(i))
			}
			writeOrFail(b, p, dmFrames(4, true, []int{side, side, n}, array.Uint16, vals))
			return p, OpenOptions{}
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			p, o := c.write(b.TempDir())
			ds, err := Open("auto", p, o)
			if err != nil {
				b.Fatal(err)
			}
			defer ds.Close()
			if s := ds.Shape().SigSize(); s != side*side || ds.Shape().NavSize() != n {
				b.Fatalf("shape %v", ds.Shape())
			}
			benchReadTiles(b, ds, int64(n*side*side*4), false)
		})
	}
}

func writeOrFail(b *testing.B, p string, data []byte) {
	b.Helper()
	if err := os.WriteFile(p, data, 0o644); err != nil {
		b.Fatal(err)
	}
}
