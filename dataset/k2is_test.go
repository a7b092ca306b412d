package dataset

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stemflow/stemflow/array"
)

// k2Pack packs 12-bit values the way the camera does, one bit at a time: bit b of value
// k is bit 12k+b of the stream, and stream bit p is bit p%8 of byte p/8.
func k2Pack(vals []uint16) []byte {
	out := make([]byte, (len(vals)*12+7)/8)
	for k, v := range vals {
		for b := range 12 {
			if v>>b&1 == 1 {
				p := 12*k + b
				out[p/8] |= 1 << (p % 8)
			}
		}
	}
	return out
}

// k2Val is the test pixel value of camera frame j at frame pixel (y, x): 12 bits.
func k2Val(j, y, x int) uint16 { return uint16((j*1031 + y*17 + x*5 + 7) % 4096) }

// k2Cfg describes a hand-built K2IS dataset: camera frames 0, 1, … with frame_id
// 100+j, each sector file holding the global block positions [start, end) (position
// = frame·blocks-per-frame + block index, block_count 1000+position), the shutter flag
// set from frame active on.
type k2Cfg struct {
	g          k2Geom
	start, end [k2Sectors]int
	active     int
	gtg        []int // SI Dimensions (y, x) of name_.gtg; nil: no .gtg
	noGTGDims  bool  // write a .gtg without SI Dimensions
}

// k2Uniform is a config whose sectors all hold frames [0, frames).
func k2Uniform(g k2Geom, frames, active int, gtg []int) k2Cfg {
	c := k2Cfg{g: g, active: active, gtg: gtg}
	for s := range k2Sectors {
		c.end[s] = frames * g.blocksX * g.blocksY
	}
	return c
}

// k2Block builds block i of camera frame j of sector s. The block's pixels are written
// from the layout rule: block i covers rows blockH·(i / blocksX) … and, within the
// sector, columns blockW·(blocksX − 1 − i % blocksX) ….
func k2Block(g k2Geom, s, j, i, count int, flags byte) []byte {
	sw := g.blocksX * g.blockW
	h := make([]byte, 40)
	be := binary.BigEndian
	be.PutUint32(h, 0xFFFF0055)
	h[8] = 1
	h[9] = flags
	be.PutUint32(h[16:], uint32(count))
	be.PutUint16(h[20:], uint16(sw))
	be.PutUint16(h[22:], uint16(g.blocksY*g.blockH))
	be.PutUint32(h[24:], uint32(100+j))
	y0 := g.blockH * (i / g.blocksX)
	x0 := g.blockW * (g.blocksX - 1 - i%g.blocksX)
	be.PutUint16(h[28:], uint16(x0))
	be.PutUint16(h[30:], uint16(y0))
	be.PutUint16(h[32:], uint16(x0+g.blockW-1))
	be.PutUint16(h[34:], uint16(y0+g.blockH-1))
	be.PutUint32(h[36:], uint32(40+g.blockH*g.blockW*3/2))
	vals := make([]uint16, 0, g.blockH*g.blockW)
	for r := range g.blockH {
		for c := range g.blockW {
			vals = append(vals, k2Val(j, y0+r, s*sw+x0+c))
		}
	}
	return append(h, k2Pack(vals)...)
}

// sectors returns the eight files' bytes.
func (c k2Cfg) sectors() [k2Sectors][]byte {
	var out [k2Sectors][]byte
	P := c.g.blocksX * c.g.blocksY
	for s := range k2Sectors {
		for pos := c.start[s]; pos < c.end[s]; pos++ {
			j := pos / P
			var fl byte
			if j >= c.active {
				fl = 1
			}
			out[s] = append(out[s], k2Block(c.g, s, j, pos%P, 1000+pos, fl)...)
		}
	}
	return out
}

// write writes scan_1.bin … scan_8.bin (and scan_.gtg) into dir and returns the .gtg
// path (which need not exist) and the .bin paths.
func (c k2Cfg) write(t testing.TB, dir string) (string, []string) {
	t.Helper()
	secs := c.sectors()
	var bins []string
	for s, b := range secs {
		p := filepath.Join(dir, fmt.Sprintf("scan_%d.bin", s+1))
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		bins = append(bins, p)
	}
	gtg := filepath.Join(dir, "scan_.gtg")
	switch {
	case c.gtg != nil:
		b := dmBuild(4, true, grp("SI Dimensions", i32v("Size X", int32(c.gtg[1])), i32v("Size Y", int32(c.gtg[0]))),
			grp("SI Image Tags", grp("SI", grp("Acquisition", grp("Spatial Sampling", u32v("Height (pixels)", uint32(c.gtg[0])), u32v("Width (pixels)", uint32(c.gtg[1]-1)))))))
		if err := os.WriteFile(gtg, b, 0o644); err != nil {
			t.Fatal(err)
		}
	case c.noGTGDims:
		if err := os.WriteFile(gtg, dmBuild(3, false, grp("Other", u32v("x", 1))), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return gtg, bins
}

// navFrames returns, for each nav position, the camera frame it shows (−1: none) by the
// reference's rule: synchronised frames are the camera frames every sector holds
// completely; u (sync offset) picks (skip, so) from the reference's case table; nav
// position i reads file frame f = i + so at camera frame active + skip + f, shown when
// 0 ≤ f < N0 and that frame is synchronised.
func (c k2Cfg) navFrames(nav, u int, detect bool) []int {
	P := c.g.blocksX * c.g.blocksY
	lo, hi := 0, math.MaxInt
	for s := range k2Sectors {
		lo = max(lo, c.start[s])
		hi = min(hi, c.end[s])
	}
	first := (lo + P - 1) / P // first complete common frame
	last := hi/P - 1          // last complete common frame
	n0 := last - first + 1
	native := c.active - first
	if detect {
		u = native
	}
	skip, so := 0, u
	if c.gtg != nil {
		switch {
		case u == native:
			skip, so = -1, 0
		case u > native:
			skip, so = -1, u-native
		case u > 0:
			skip, so = u-native-1, 0
		default:
			skip, so = -native, u-1
		}
	}
	out := make([]int, nav)
	for i := range out {
		f := i + so
		j := c.active + skip + f
		if f < 0 || f >= n0 || j < first || j > last {
			out[i] = -1
			continue
		}
		out[i] = j
	}
	return out
}

// want returns the expected frames (NaN where no data) for nav positions showing
// camera frames fr, with ROI.
func (c k2Cfg) want(fr []int, roi []bool) []float64 {
	sig := c.g.sig()
	n := sig[0] * sig[1]
	out := make([]float64, len(fr)*n)
	for i, j := range fr {
		for p := range n {
			if j < 0 || roi != nil && !roi[i] {
				out[i*n+p] = math.NaN()
				continue
			}
			out[i*n+p] = float64(k2Val(j, p/sig[1], p%sig[1]))
		}
	}
	return out
}

var (
	k2Small = k2Geom{blockH: 3, blockW: 16, blocksX: 2, blocksY: 2, searchStep: 8}
	k2Odd   = k2Geom{blockH: 2, blockW: 6, blocksX: 3, blocksY: 2, searchStep: 5}
)

func TestK2ISUnpack(t *testing.T) {
	// two values in three bytes: 0xABC, 0xDEF → the 24-bit number 0xDEFABC, low byte first
	got := make([]uint16, 2)
	k2Unpack(got, []byte{0xBC, 0xFA, 0xDE}, 0)
	if got[0] != 0xABC || got[1] != 0xDEF {
		t.Fatalf("unpack BC FA DE = %X, want ABC DEF", got)
	}
	if b := k2Pack([]uint16{0xABC, 0xDEF}); !slices.Equal(b, []byte{0xBC, 0xFA, 0xDE}) {
		t.Fatalf("test packer: % X", b)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{2, 16, 32, 48, 6, 930 * 16} {
		vals := make([]uint16, n)
		for i := range vals {
			vals[i] = uint16(rng.IntN(4096))
		}
		vals[0], vals[n-1] = 4095, 0xFFF
		packed := k2Pack(vals)
		for c0 := 0; c0 < min(n, 18); c0++ {
			for _, w := range []int{n - c0, 1, min(3, n-c0)} {
				got := make([]uint16, w)
				k2Unpack(got, packed, c0)
				if !slices.Equal(got, vals[c0:c0+w]) {
					t.Fatalf("n=%d c0=%d w=%d: %v, want %v", n, c0, w, got[:min(w, 8)], vals[c0:c0+min(w, 8)])
				}
			}
		}
	}
}

func TestK2ISBlockHeader(t *testing.T) {
	b := k2Block(k2Real, 3, 7, 17, 4242, 1)
	h, err := ParseK2ISBlockHeader(b)
	if err != nil {
		t.Fatal(err)
	}
	want := K2ISBlockHeader{Sync: 0xFFFF0055, Version: 1, Flags: 1, BlockCount: 4242, Width: 256, Height: 1860, FrameID: 107,
		PixelXStart: 16 * 14, PixelYStart: 930, PixelXEnd: 16*14 + 15, PixelYEnd: 1859, BlockSize: 0x5758}
	if h != want {
		t.Fatalf("header %+v, want %+v", h, want)
	}
	if len(b) != 0x5758 || !h.ShutterActive() || h.Validate() != nil {
		t.Fatalf("block of %d bytes, shutter %v, validate %v", len(b), h.ShutterActive(), h.Validate())
	}
	if _, err := ParseK2ISBlockHeader(b[:39]); !errors.Is(err, ErrHeader) {
		t.Fatalf("short header: %v", err)
	}
	for _, c := range []struct {
		off   int
		field string
	}{{0, "block.sync"}, {21, "block.width"}, {23, "block.height"}} {
		bb := slices.Clone(b[:40])
		bb[c.off] ^= 0x40
		h, _ := ParseK2ISBlockHeader(bb)
		err := h.Validate()
		if !errors.Is(err, ErrHeader) || !strings.Contains(err.Error(), c.field) || !strings.Contains(err.Error(), "want") {
			t.Errorf("byte %d: %v", c.off, err)
		}
	}
}

// TestK2ISPlacement checks the real geometry: every pixel of two frames, each sector's
// blocks right to left, both block rows.
func TestK2ISPlacement(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 11 MB")
	}
	c := k2Uniform(k2Real, 3, 1, []int{1, 2})
	gtg, _ := c.write(t, t.TempDir())
	for _, io := range []string{IOMmap, IORead} {
		ds, err := OpenK2IS(gtg, K2ISOptions{FramedOptions: FramedOptions{IO: io}, DetectSyncOffset: true})
		if err != nil {
			t.Fatal(err)
		}
		if got := ds.Shape().Dims(); !slices.Equal(got, []int{1, 2, 1860, 2048}) {
			t.Fatalf("shape %v", got)
		}
		if bs := ds.BaseShape(); !slices.Equal(bs, []int{1, 930, 16}) {
			t.Errorf("base shape %v", bs)
		}
		// detected sync offset 1, scan dims: nav 0 shows frame 0, nav 1 frame 1
		fr := c.navFrames(2, 0, true)
		if !slices.Equal(fr, []int{0, 1}) {
			t.Fatalf("reference rule: %v", fr)
		}
		for _, ts := range [][]int{{2, 1860, 2048}, {1, 930, 16 * 5}} {
			sch := mustScheme(t, ts, []int{1860, 2048})
			got := make([]uint16, 2*1860*2048)
			err = ds.ReadTiles(context.Background(), Partitions(ds, 1)[0], TileRequest{Scheme: sch}, func(tl *Tile) error {
				d := tl.Data.(*array.Dense[uint16]).Data()
				o := tl.Slice.Origin
				h, w := tl.Slice.Shape.Dim(1), tl.Slice.Shape.Dim(2)
				k := 0
				for f := range tl.Slice.Shape.Dim(0) {
					for y := range h {
						copy(got[((o[0]+f)*1860+o[1]+y)*2048+o[2]:], d[k:k+w])
						k += w
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			for f := range 2 {
				for y := range 1860 {
					for x := range 2048 {
						if v, w := got[(f*1860+y)*2048+x], k2Val(f, y, x); v != w {
							t.Fatalf("%s ts %v: frame %d pixel (%d, %d) = %d, want %d", io, ts, f, y, x, v, w)
						}
					}
				}
			}
		}
		ds.Close()
	}
}

// k2Read reads every tile of ds into a nav × sig float64 slice (NaN where no data).
func k2ReadAll(t *testing.T, ds Dataset, ts []int, roi []bool, dt array.DType, parts int) []float64 {
	t.Helper()
	sch := mustScheme(t, ts, ds.Shape().Sig())
	switch dt {
	case array.Uint16:
		return readAll[uint16](t, ds, parts, sch, roi, dt).data
	case array.Float64:
		return readAll[float64](t, ds, parts, sch, roi, dt).data
	case array.Int32:
		return readAll[int32](t, ds, parts, sch, roi, dt).data
	}
	return readAll[float32](t, ds, parts, sch, roi, dt).data
}

// TestK2ISSync covers sectors that start and end at different blocks (mid-frame too),
// the shutter flag, the scan dims and user sync offsets, checked against the
// reference's rule and against hand-computed first frames.
func TestK2ISSync(t *testing.T) {
	g := k2Small // 4 blocks per sector and frame
	stagger := func(c k2Cfg, starts, ends [k2Sectors]int) k2Cfg {
		c.start, c.end = starts, ends
		return c
	}
	base := k2Uniform(g, 12, 3, []int{2, 3})
	cases := []struct {
		name   string
		cfg    k2Cfg
		nav    []int
		u      int
		detect bool
		first  int // hand-computed camera frame at nav 0 (−1: none)
		shown  int // hand-computed number of nav positions with data
	}{
		// all sectors hold frames 0..11, flag from 3: detected u=3, nav 0 = frame 2
		{"uniform detect", base, []int{2, 3}, 0, true, 2, 6},
		// sectors start mid-frame at different blocks: the largest start is block 6
		// (frame 1, block 2), so frame 2 is the first complete one; ends differ too:
		// the smallest end is block 43 (frame 10 partial), so frame 9 is the last.
		{"staggered detect", stagger(base, [8]int{0, 1, 6, 2, 0, 5, 3, 4}, [8]int{48, 47, 44, 43, 48, 46, 45, 48}), []int{2, 3}, 0, true, 2, 6},
		{"staggered u=5", stagger(base, [8]int{0, 1, 6, 2, 0, 5, 3, 4}, [8]int{48, 47, 44, 43, 48, 46, 45, 48}), []int{2, 3}, 5, false, 6, 4},
		{"staggered u=2", stagger(base, [8]int{0, 1, 6, 2, 0, 5, 3, 4}, [8]int{48, 47, 44, 43, 48, 46, 45, 48}), []int{2, 3}, 2, false, 3, 6},
		{"staggered u=-2", stagger(base, [8]int{0, 1, 6, 2, 0, 5, 3, 4}, [8]int{48, 47, 44, 43, 48, 46, 45, 48}), []int{2, 3}, -2, false, -1, 3},
		// flag on the first complete frame: nav 0 would be the frame before, absent
		{"flag at first frame", k2Uniform(g, 6, 0, []int{2, 3}), []int{2, 3}, 0, true, -1, 5},
		// no .gtg: a flat time series of the flagged frames
		{"time series", k2Uniform(g, 8, 0, nil), nil, 0, true, 0, 8},
		{"time series u=2", k2Uniform(g, 8, 0, nil), nil, 2, false, 2, 6},
		{"time series flag late", k2Uniform(g, 8, 2, nil), []int{8}, 0, true, 4, 4},
		{"nav override", base, []int{4, 4}, 0, true, 2, 10},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			gtg, _ := c.cfg.write(t, t.TempDir())
			ds, err := openK2IS(gtg, K2ISOptions{FramedOptions: FramedOptions{ShapeOptions: ShapeOptions{NavShape: c.nav, SyncOffset: c.u}}, DetectSyncOffset: c.detect}, g)
			if err != nil {
				t.Fatal(err)
			}
			defer ds.Close()
			nav := ds.Shape().NavSize()
			fr := c.cfg.navFrames(nav, c.u, c.detect)
			shown := 0
			for _, j := range fr {
				if j >= 0 {
					shown++
				}
			}
			if fr[0] != c.first || shown != c.shown {
				t.Fatalf("reference rule gives %v (%d shown), hand-computed first %d, %d shown", fr, shown, c.first, c.shown)
			}
			want := c.cfg.want(fr, nil)
			got := k2ReadAll(t, ds, append([]int{3}, g.sig()...), nil, array.Uint16, 2)
			if i := sameNaN(got, want); i >= 0 {
				n := g.sig()[0] * g.sig()[1]
				t.Fatalf("nav %d pixel %d = %v, want %v (frames %v, sync %d, count %d)", i/n, i%n, got[i], want[i], fr, ds.SyncOffset(), ds.ImageCount())
			}
		})
	}
}

// TestK2ISReassembly reads small datasets with every kind of tiling, ROI, read dtype,
// I/O method and sig override.
func TestK2ISReassembly(t *testing.T) {
	for _, g := range []k2Geom{k2Small, k2Odd} {
		P := g.blocksX * g.blocksY
		cfg := k2Uniform(g, 9, 2, []int{2, 4})
		cfg.start = [8]int{1, 0, 2, 0, 0, 3, 0, 1}
		cfg.end[4] = 9*P - 2
		gtg, bins := cfg.write(t, t.TempDir())
		sig := g.sig()
		h, w := sig[0], sig[1]
		for _, io := range []string{IOMmap, IORead} {
			for _, u := range []int{0, 3, -1} {
				path := gtg
				if u != 0 {
					path = bins[5]
				}
				ds, err := openK2IS(path, K2ISOptions{FramedOptions: FramedOptions{ShapeOptions: ShapeOptions{SyncOffset: u}, IO: io}, DetectSyncOffset: u == 0}, g)
				if err != nil {
					t.Fatal(err)
				}
				fr := cfg.navFrames(ds.Shape().NavSize(), u, u == 0)
				for ri, roi := range [][]bool{nil, randomROI(8, uint64(u+7))} {
					want := cfg.want(fr, roi)
					for _, ts := range [][]int{{4, h, w}, {2, g.blockH, g.blockW * 3}, {3, 2, 5}, {1, 1, w}, {5, h, 7}, {1, g.blockH + 1, g.blockW + 3}} {
						for _, dt := range []array.DType{array.Uint16, array.Float32, array.Int32, array.Float64} {
							got := k2ReadAll(t, ds, ts, roi, dt, 3)
							if i := sameNaN(got, want); i >= 0 {
								t.Fatalf("geom %+v io %s u %d roi %d ts %v %v: element %d = %v, want %v", g, io, u, ri, ts, dt, i, got[i], want[i])
							}
						}
					}
				}
				ds.Close()
			}
		}
		// sig override: the same C-order frames reshaped
		ds, err := openK2IS(gtg, K2ISOptions{FramedOptions: FramedOptions{ShapeOptions: ShapeOptions{SigShape: []int{2 * h, w / 2}}}, DetectSyncOffset: true}, g)
		if err != nil {
			t.Fatal(err)
		}
		if bs := ds.BaseShape(); !slices.Equal(bs, []int{1, 1, w / 2}) {
			t.Errorf("base shape with a sig override %v", bs)
		}
		want := cfg.want(cfg.navFrames(8, 0, true), nil)
		for _, ts := range [][]int{{2, 2 * h, w / 2}, {3, 3, 5}} {
			if got := k2ReadAll(t, ds, ts, nil, array.Float32, 2); sameNaN(got, want) >= 0 {
				t.Fatalf("sig override ts %v: element %d", ts, sameNaN(got, want))
			}
		}
		ds.Close()
	}
}

func TestK2ISNavFromGTG(t *testing.T) {
	g := k2Small
	for _, c := range []struct {
		name    string
		cfg     k2Cfg
		nav     []int
		wantNav []int
		source  string
	}{
		{"gtg", k2Uniform(g, 8, 2, []int{2, 3}), nil, []int{2, 3}, "SI Dimensions: Size Y 2 × Size X 3 (spatial sampling without flyback: 2 × 2)"},
		{"gtg override", k2Uniform(g, 8, 2, []int{2, 3}), []int{6}, []int{6}, "given"},
		{"no gtg", k2Uniform(g, 8, 3, nil), nil, []int{5}, "no scan_.gtg: a time series of the 5 frames"},
		{"gtg without dims", func() k2Cfg { c := k2Uniform(g, 8, 3, nil); c.noGTGDims = true; return c }(), nil, []int{5}, "has no SI Dimensions"},
	} {
		t.Run(c.name, func(t *testing.T) {
			gtg, bins := c.cfg.write(t, t.TempDir())
			for _, p := range []string{gtg, bins[0], bins[7]} {
				if c.cfg.gtg == nil && !c.cfg.noGTGDims && p == gtg {
					continue
				}
				ds, err := openK2IS(p, K2ISOptions{FramedOptions: FramedOptions{ShapeOptions: ShapeOptions{NavShape: c.nav}}, DetectSyncOffset: true}, g)
				if err != nil {
					t.Fatal(err)
				}
				if got := ds.Shape().Nav(); !slices.Equal(got, c.wantNav) {
					t.Errorf("%s: nav %v, want %v", filepath.Base(p), got, c.wantNav)
				}
				info := ds.Info()
				var src string
				for _, d := range info.Details {
					if d.Key == "nav_shape_source" {
						src = d.Value
					}
				}
				if !strings.Contains(src, c.source) {
					t.Errorf("nav source %q, want %q", src, c.source)
				}
				nFiles := 8
				if c.cfg.gtg != nil || c.cfg.noGTGDims {
					nFiles = 9
				}
				if len(info.Files) != nFiles || info.Format != "k2is" || info.DType != array.Uint16 || !strings.Contains(info.String(), "k2is: 8 sectors") {
					t.Errorf("info %s", info)
				}
				ds.Close()
			}
		})
	}
}

// k2Corrupt writes a dataset, lets mod change the files and opens it.
func k2Corrupt(t *testing.T, cfg k2Cfg, mod func(dir string, bins []string)) (*K2IS, error) {
	dir := t.TempDir()
	gtg, bins := cfg.write(t, dir)
	mod(dir, bins)
	return openK2IS(gtg, K2ISOptions{DetectSyncOffset: true}, cfg.g)
}

func TestK2ISErrors(t *testing.T) {
	g := k2Small
	B := int(g.blockBytes())
	P := g.blocksX * g.blocksY
	good := k2Uniform(g, 8, 2, []int{2, 3})
	patchU32 := func(p string, off int, v uint32) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		binary.BigEndian.PutUint32(b[off:], v)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name     string
		cfg      k2Cfg
		mod      func(dir string, bins []string)
		sentinel error
		want     []string // substrings of the message: file, offset, field, expected value
	}{
		{"missing sector", good, func(dir string, bins []string) { os.Remove(bins[4]) }, ErrNotFound,
			[]string{"scan_5.bin", "found 7 sector files", "want 8", "missing scan_5.bin"}},
		{"extra file", good, func(dir string, bins []string) { os.WriteFile(filepath.Join(dir, "scan_9.bin"), nil, 0o644) }, ErrFormat,
			[]string{"found 9 files", "want the 8 sector files"}},
		{"truncated last block", good, func(dir string, bins []string) { os.Truncate(bins[2], int64(8*P*B-5)) }, ErrFileTooShort,
			[]string{"scan_3.bin", "blocks", fmt.Sprintf("last block at offset %d is truncated: %d of %d bytes", (8*P-1)*B, B-5, B)}},
		{"empty sector", good, func(dir string, bins []string) { os.Truncate(bins[1], 0) }, ErrFileTooShort,
			[]string{"scan_2.bin", "the file is empty"}},
		{"bad sync at start", good, func(dir string, bins []string) { patchU32(bins[3], 0, 0xFFFF0056) }, ErrHeader,
			[]string{"scan_4.bin", "block.sync", "block at offset 0", "0xFFFF0056, want 0xFFFF0055"}},
		{"bad width", good, func(dir string, bins []string) { patch(t, bins[6], 21, 33) }, ErrHeader,
			[]string{"scan_7.bin", "block.width", "block at offset 0", "33, want 32"}},
		{"bad height at end", good, func(dir string, bins []string) { patch(t, bins[0], (8*P-1)*B+23, 9) }, ErrHeader,
			[]string{"scan_1.bin", "block.height", fmt.Sprintf("block at offset %d", (8*P-1)*B), "9, want 6"}},
		{"block_count missing", good, func(dir string, bins []string) {
			patchU32(bins[5], 16, 5000) // sector 6 first count is now the largest; nobody else has it
		}, ErrHeader, []string{"block.block_count", "no block with block_count 5000", "scan_6.bin"}},
		{"frame_id of flagged frame", good, func(dir string, bins []string) { patchU32(bins[2], (2*P+1)*B+24, 999) }, ErrHeader,
			[]string{"scan_3.bin", "block.frame_id", fmt.Sprintf("block at offset %d has frame_id 999, want 102", (2*P+1)*B)}},
		{"first frame_id differs", good, func(dir string, bins []string) {
			for i := range P {
				patchU32(bins[1], (2*P+i)*B+24, 555)
			}
		}, ErrHeader, []string{"scan_2.bin", "block.frame_id", "frame_id 555, want 102 as in scan_1.bin"}},
		{"no shutter flag", k2Uniform(g, 4, 99, []int{1, 1}), func(string, []string) {}, ErrHeader,
			[]string{"scan_1.bin", "block.flags", "no block with the shutter-active flag"}},
		{"not a k2is extension", good, func(string, []string) {}, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.sentinel == nil {
				_, err := OpenK2IS(filepath.Join(t.TempDir(), "x.raw"), K2ISOptions{})
				if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), `want .gtg or one of the .bin`) {
					t.Fatalf("%v", err)
				}
				return
			}
			ds, err := k2Corrupt(t, c.cfg, c.mod)
			if err == nil {
				ds.Close()
				t.Fatal("no error")
			}
			if !errors.Is(err, c.sentinel) {
				t.Errorf("error %v does not wrap %v", err, c.sentinel)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	t.Run("sync offset range", func(t *testing.T) {
		gtg, _ := good.write(t, t.TempDir())
		for _, u := range []int{8, -8, 100} {
			_, err := openK2IS(gtg, K2ISOptions{FramedOptions: FramedOptions{ShapeOptions: ShapeOptions{SyncOffset: u}}}, g)
			if !errors.Is(err, ErrSyncOffset) || !strings.Contains(err.Error(), "outside (-8, 8)") {
				t.Errorf("u=%d: %v", u, err)
			}
		}
		_, err := openK2IS(gtg, K2ISOptions{FramedOptions: FramedOptions{ShapeOptions: ShapeOptions{SigShape: []int{5, 5}}}, DetectSyncOffset: true}, g)
		if !errors.Is(err, ErrSigSize) {
			t.Errorf("sig override: %v", err)
		}
	})
	// damage found while reading: a block's sync word, a sector out of step
	for _, c := range []struct {
		name string
		off  int
		v    uint32
		want []string
	}{
		{"read bad sync", (5*P+2)*B + 0, 0x12345678, []string{"scan_4.bin", "block.sync", fmt.Sprintf("block at offset %d (stored frame 4, nav position 4)", (5*P+2)*B), "0x12345678, want 0xFFFF0055"}},
		{"read frame_id", (5*P+3)*B + 24, 77, []string{"scan_4.bin", "block.frame_id", fmt.Sprintf("block at offset %d", (5*P+3)*B), "77, want 105 as in block 0 of", "out of step"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			gtg, bins := good.write(t, t.TempDir())
			patchU32(bins[3], c.off, c.v)
			for _, io := range []string{IOMmap, IORead} {
				ds, err := openK2IS(gtg, K2ISOptions{FramedOptions: FramedOptions{IO: io}, DetectSyncOffset: true}, g)
				if err != nil {
					t.Fatal(err)
				}
				defer ds.Close()
				sch := mustScheme(t, append([]int{2}, g.sig()...), g.sig())
				err = ds.ReadTiles(context.Background(), Partitions(ds, 1)[0], TileRequest{Scheme: sch}, func(*Tile) error { return nil })
				if !errors.Is(err, ErrHeader) {
					t.Fatalf("read: %v", err)
				}
				for _, w := range c.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
			}
		})
	}
}

func TestK2ISOpenDetect(t *testing.T) {
	// the real geometry through Open, by .gtg and by a sector file
	if testing.Short() {
		t.Skip("writes 6 MB")
	}
	c := k2Uniform(k2Real, 1, 0, nil)
	gtg, bins := c.write(t, t.TempDir())
	for _, p := range []string{bins[0], bins[6]} {
		f, err := DetectFormat(p)
		if err != nil || f != "k2is" {
			t.Fatalf("detect %s: %q %v", p, f, err)
		}
		ds, err := Open("", p, OpenOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := ds.Shape().Dims(); !slices.Equal(got, []int{1, 1860, 2048}) || ds.ImageCount() != 1 || ds.SyncOffset() != 0 {
			t.Errorf("shape %v, image count %d, sync offset %d", got, ds.ImageCount(), ds.SyncOffset())
		}
		ds.Close()
	}
	if f, err := DetectFormat(gtg); err != nil || f != "k2is" {
		t.Errorf("detect .gtg: %q %v", f, err)
	}
	// a lone .bin, or eight that are not K2IS, stay raw
	dir := t.TempDir()
	for i := 1; i <= 8; i++ {
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("d_%d.bin", i)), make([]byte, 64), 0o644)
	}
	if f, _ := DetectFormat(filepath.Join(dir, "d_1.bin")); f != "raw" {
		t.Errorf("eight zero .bin files detected as %q", f)
	}
	lone := writeFile(t, "x_1.bin", make([]byte, 64))
	if f, _ := DetectFormat(lone); f != "raw" {
		t.Errorf("a lone .bin detected as %q", f)
	}
}

func TestK2ISClose(t *testing.T) {
	gtg, _ := k2Uniform(k2Small, 4, 1, []int{1, 3}).write(t, t.TempDir())
	ds, err := openK2IS(gtg, K2ISOptions{DetectSyncOffset: true}, k2Small)
	if err != nil {
		t.Fatal(err)
	}
	if !ds.NeedDecode(array.Uint16, nil) {
		t.Error("NeedDecode false")
	}
	if err := ds.Close(); err != nil {
		t.Fatal(err)
	}
	if err := ds.Close(); err != nil {
		t.Fatal(err)
	}
	err = ds.ReadTiles(context.Background(), Partitions(ds, 1)[0], TileRequest{Scheme: mustScheme(t, append([]int{1}, k2Small.sig()...), k2Small.sig())}, func(*Tile) error { return nil })
	if !errors.Is(err, ErrClosed) {
		t.Errorf("read after close: %v", err)
	}
}

// TestK2ISConcurrent reads one dataset from several goroutines at once, with different
// schemes, dtypes and I/O methods sharing the pooled states.
func TestK2ISConcurrent(t *testing.T) {
	g := k2Small
	cfg := k2Uniform(g, 12, 1, []int{2, 5})
	gtg, _ := cfg.write(t, t.TempDir())
	want := cfg.want(cfg.navFrames(10, 0, true), nil)
	sig := g.sig()
	for _, io := range []string{IOMmap, IORead} {
		ds, err := openK2IS(gtg, K2ISOptions{FramedOptions: FramedOptions{IO: io}, DetectSyncOffset: true}, g)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]string, 6)
		for w := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ts := [][]int{{3, sig[0], sig[1]}, {2, g.blockH, g.blockW}, {4, 2, 7}}[w%3]
				dt := []array.DType{array.Uint16, array.Float32}[w%2]
				sch, _ := NewTilingScheme(ts, sig, MethodTile)
				got := make([]float64, len(want))
				for i := range got {
					got[i] = math.NaN()
				}
				n := sig[0] * sig[1]
				for _, p := range Partitions(ds, 4) {
					err := ds.ReadTiles(context.Background(), p, TileRequest{Scheme: sch, DType: dt}, func(tl *Tile) error {
						box := sch.Box(tl.SchemeIdx)
						k := 0
						for j := range tl.Slice.Shape.Dim(0) {
							f := tl.Slice.Origin[0] + j
							forEachBox(sig, box, func(off int) {
								switch d := tl.Data.(type) {
								case *array.Dense[uint16]:
									got[f*n+off] = float64(d.Data()[k])
								case *array.Dense[float32]:
									got[f*n+off] = float64(d.Data()[k])
								}
								k++
							})
						}
						return nil
					})
					if err != nil {
						errs[w] = err.Error()
						return
					}
				}
				if i := sameNaN(got, want); i >= 0 {
					errs[w] = fmt.Sprintf("ts %v %v: element %d = %v, want %v", ts, dt, i, got[i], want[i])
				}
			}()
		}
		wg.Wait()
		for _, e := range errs {
			if e != "" {
				t.Errorf("%s: %s", io, e)
			}
		}
		ds.Close()
	}
}
