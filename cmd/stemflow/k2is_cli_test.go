package main

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeK2IS writes eight K2IS sector files scan_1.bin … scan_8.bin of the given number
// of frames into dir: 32 blocks of 22,360 bytes per sector and frame, every pixel of
// camera frame j equal to 10·(j+1), the shutter flag set throughout, no .gtg (so the
// scan is a flat time series of all frames).
func writeK2IS(t *testing.T, dir string, frames int) []string {
	t.Helper()
	var paths []string
	for s := range 8 {
		var b []byte
		for j := range frames {
			v := uint32(10 * (j + 1))
			for i := range 32 {
				h := make([]byte, 40)
				binary.BigEndian.PutUint32(h, 0xFFFF0055)
				h[9] = 1
				binary.BigEndian.PutUint32(h[16:], uint32(j*32+i))
				binary.BigEndian.PutUint16(h[20:], 256)
				binary.BigEndian.PutUint16(h[22:], 1860)
				binary.BigEndian.PutUint32(h[24:], uint32(j))
				b = append(b, h...)
				// two equal 12-bit values v, v in three bytes: the 24-bit number v | v<<12
				x := v | v<<12
				for range 930 * 16 / 2 {
					b = append(b, byte(x), byte(x>>8), byte(x>>16))
				}
			}
		}
		p := filepath.Join(dir, fmt.Sprintf("scan_%d.bin", s+1))
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

func TestK2ISCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 17 MB")
	}
	dir := t.TempDir()
	bins := writeK2IS(t, dir, 3)
	o := mustRun(t, dir, "info", bins[0])
	for _, want := range []string{"format: k2is", "[3 1860 2048]", "uint16", "image_count: 3", "k2is: 8 sectors × 32 blocks of 930 × 16", "nav_shape_source: no scan_.gtg"} {
		if !strings.Contains(o.stdout, want) {
			t.Errorf("info output lacks %q:\n%s", want, o.stdout)
		}
	}
	o = mustRun(t, dir, "info", "--format", "k2is", "--nav-shape", "1,3", bins[5])
	if !strings.Contains(o.stdout, "[1 3 1860 2048]") {
		t.Errorf("info --nav-shape 1,3:\n%s", o.stdout)
	}
	out := filepath.Join(t.TempDir(), "o")
	mustRun(t, dir, "run", "--udf", "sumsig", "--out", out, bins[3])
	px := 1860.0 * 2048
	checkValues(t, filepath.Join(out, "sumsig", "intensity.npy"), []int{3}, []float64{10 * px, 20 * px, 30 * px}, 1e-9)
	// a missing sector file is named
	os.Remove(bins[6])
	o = stemflow(t, dir, "info", "--format", "k2is", bins[0])
	if o.code == 0 || !strings.Contains(o.stderr, "scan_7.bin") {
		t.Errorf("missing sector: exit %d, stderr %q", o.code, o.stderr)
	}
}
