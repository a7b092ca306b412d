package dataset

import (
	"context"
	"encoding/binary"
	"errors"
	"slices"
	"testing"
	"unsafe"

	"github.com/stemflow/stemflow/array"
)

// TestScenario29_NegotiationTable checks every row of the worked table of spec §6.4.
func TestScenario29_NegotiationTable(t *testing.T) {
	tile := []TilingPrefs{{Method: MethodTile}}
	frame := []TilingPrefs{{Method: MethodFrame}}
	part := []TilingPrefs{{Method: MethodPartition}}
	cases := []struct {
		name   string
		udfs   []TilingPrefs
		pshape []int
		native array.DType
		decode bool
		want   []int
	}{
		{"tile/small/f32/nodecode", tile, []int{128, 16, 16}, array.Float32, false, []int{128, 16, 16}},
		{"tile/small/u16/decode", tile, []int{128, 16, 16}, array.Uint16, true, []int{128, 16, 16}},
		{"tile/512x256²/u16/decode", tile, []int{512, 256, 256}, array.Uint16, true, []int{32, 32, 256}},
		{"tile/512x256²/f32/nodecode", tile, []int{512, 256, 256}, array.Float32, false, []int{512, 256, 256}},
		{"frame/512x256²/u16/decode", frame, []int{512, 256, 256}, array.Uint16, true, []int{4, 256, 256}},
		{"partition/512x256²/u16/decode", part, []int{512, 256, 256}, array.Uint16, true, []int{512, 256, 256}},
		{"tile/1024x512²/u16/decode", tile, []int{1024, 512, 512}, array.Uint16, true, []int{32, 16, 512}},
		{"tile/4096x128²/u8/decode", tile, []int{4096, 128, 128}, array.Uint8, true, []int{16, 128, 128}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := Negotiate(NegotiationInput{
				UDFs: c.udfs, ReadDType: array.Float32, NativeDType: c.native,
				PartitionShape: c.pshape, NeedDecode: c.decode,
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(s.Shape, c.want) {
				t.Fatalf("tileshape %v, want %v", s.Shape, c.want)
			}
			if s.Depth != c.want[0] {
				t.Fatalf("depth %d, want %d", s.Depth, c.want[0])
			}
			wantIntent := c.udfs[0].Method
			if s.Intent != wantIntent {
				t.Fatalf("intent %v, want %v", s.Intent, wantIntent)
			}
		})
	}
}

func TestNegotiateCombined(t *testing.T) {
	cases := []struct {
		name   string
		udfs   []TilingPrefs
		want   []int
		intent Method
	}{
		// frame + tile: intent frame, base full sig, size min(1 MiB, 1 MiB).
		{"frame+tile", []TilingPrefs{{Method: MethodTile}, {Method: MethodFrame}}, []int{4, 256, 256}, MethodFrame},
		// partition wins over everything; size is the max.
		{"partition+frame", []TilingPrefs{{Method: MethodFrame}, {Method: MethodPartition}}, []int{512, 256, 256}, MethodPartition},
		// tile with DepthMax on a decoding read: depth capped by the 1 MiB size
		// (262144 px / 8192 px per min unit = 32).
		{"tile depthmax", []TilingPrefs{{Method: MethodTile, Depth: DepthMax}}, []int{32, 32, 256}, MethodTile},
		// tile with a 256 KiB total size: size_px 65536, min factors (32,1) give a
		// unit of 8192 px, so max depth 8 → (8, 32, 256).
		{"tile 256KiB", []TilingPrefs{{Method: MethodTile, TotalSize: 256 << 10}}, []int{8, 32, 256}, MethodTile},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := Negotiate(NegotiationInput{
				UDFs: c.udfs, ReadDType: array.Float32, NativeDType: array.Uint16,
				PartitionShape: []int{512, 256, 256}, NeedDecode: true,
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(s.Shape, c.want) || s.Intent != c.intent {
				t.Fatalf("got %v %v, want %v %v", s.Shape, s.Intent, c.want, c.intent)
			}
		})
	}
}

func TestNegotiateVetoAndErrors(t *testing.T) {
	in := NegotiationInput{
		UDFs: []TilingPrefs{{Method: MethodTile}}, ReadDType: array.Float32, NativeDType: array.Float32,
		PartitionShape: []int{128, 16, 16},
		Adjust:         func([]int) []int { return []int{7, 7, 7} },
	}
	s, err := Negotiate(in)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Shape, []int{7, 7, 7}) || s.Len() != 9 {
		t.Fatalf("veto: %v with %d boxes", s.Shape, s.Len())
	}
	bad := []NegotiationInput{
		{ReadDType: array.Float32, PartitionShape: []int{8, 8}},
		{UDFs: []TilingPrefs{{}}, ReadDType: array.Float32, PartitionShape: []int{8}},
		{UDFs: []TilingPrefs{{}}, ReadDType: array.Float32, PartitionShape: []int{0, 8}},
		{UDFs: []TilingPrefs{{}}, ReadDType: array.Bytes(3), PartitionShape: []int{8, 8}},
		{UDFs: []TilingPrefs{{Method: Method(9)}}, ReadDType: array.Float32, PartitionShape: []int{8, 8}},
		{UDFs: []TilingPrefs{{}}, ReadDType: array.Float32, PartitionShape: []int{8, 8}, BaseShape: []int{1, 9}},
		{UDFs: []TilingPrefs{{}}, ReadDType: array.Float32, PartitionShape: []int{8, 8}, Adjust: func([]int) []int { return []int{1, 9} }},
	}
	for i, in := range bad {
		if _, err := Negotiate(in); !errors.Is(err, ErrTiling) {
			t.Errorf("case %d: err %v, want ErrTiling", i, err)
		}
	}
}

func TestTilingSchemeBoxes(t *testing.T) {
	// spec §6.3: (24,24) sig with (7,7) boxes → rows 7,7,7,3 × cols 7,7,7,3.
	s, err := NewTilingScheme([]int{7, 7, 7}, []int{24, 24}, MethodTile)
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != 16 {
		t.Fatalf("%d boxes, want 16", s.Len())
	}
	want := [][4]int{{0, 0, 7, 7}, {0, 7, 7, 7}, {0, 14, 7, 7}, {0, 21, 7, 3}, {7, 0, 7, 7}}
	for i, w := range want {
		b := s.Box(i)
		if b.Origin[0] != w[0] || b.Origin[1] != w[1] || b.Shape.Dim(0) != w[2] || b.Shape.Dim(1) != w[3] || b.Shape.SigDims() != 2 {
			t.Errorf("box %d = %v, want %v", i, b, w)
		}
	}
	last := s.Box(15)
	if last.Origin[0] != 21 || last.Origin[1] != 21 || last.Shape.Dim(0) != 3 || last.Shape.Dim(1) != 3 {
		t.Errorf("last box %v", last)
	}
	if s.FullSig() {
		t.Error("FullSig true for a tiled scheme")
	}
	if s.DepthFor(100) != 7 {
		t.Error("DepthFor for tile intent")
	}
	p, _ := NewTilingScheme([]int{36, 24, 24}, []int{24, 24}, MethodPartition)
	if !p.FullSig() || p.DepthFor(37) != 37 {
		t.Error("partition scheme")
	}
	for _, ts := range [][]int{{1, 25, 1}, {0, 1, 1}, {1, 1}} {
		if _, err := NewTilingScheme(ts, []int{24, 24}, MethodTile); !errors.Is(err, ErrTiling) {
			t.Errorf("%v: err %v", ts, err)
		}
	}
}

func TestScaleFactors(t *testing.T) {
	// Hand-computed from the definition (spec §6.4 step 9).
	cases := []struct {
		shape, containing, start []int
		target                   int64
		want                     []int
	}{
		{[]int{1, 256}, []int{256, 256}, nil, 8192, []int{32, 1}},
		{[]int{1, 16}, []int{16, 16}, nil, 4096, []int{16, 1}},
		{[]int{1, 1, 16}, []int{128, 16, 16}, []int{32, 16, 1}, 32768, []int{128, 16, 1}},
		{[]int{1, 1, 256}, []int{512, 256, 256}, []int{32, 16, 1}, 33554432, []int{512, 256, 1}},
		// target below the start: factors stay at the start.
		{[]int{1, 4}, []int{10, 8}, []int{3, 1}, 1, []int{3, 1}},
	}
	for _, c := range cases {
		got := scaleFactors(c.shape, c.containing, c.start, c.target)
		if !slices.Equal(got, c.want) {
			t.Errorf("scale(%v, %v, %v, %d) = %v, want %v", c.shape, c.containing, c.start, c.target, got, c.want)
		}
	}
}

// FuzzNegotiate checks that arbitrary inputs give a scheme within the partition or an
// ErrTiling, never a panic, and that the scheme's boxes tile the signal; with a bound
// on zero-copy tiles (viewKiB), a tile UDF without an explicit depth on a read without
// decode gets tiles within the bound, or of one block of its DepthMultiple (or less
// than one), or of one frame.
func FuzzNegotiate(f *testing.F) {
	f.Add(uint8(0), 0, int64(0), 512, 256, 256, 2, true, uint16(0), 0)
	f.Add(uint8(1), 0, int64(0), 7, 3, 5, 1, false, uint16(0), 0)
	f.Add(uint8(2), 5, int64(100), 1, 1, 1, 8, true, uint16(0), 0)
	f.Add(uint8(0), 0, int64(0), 4096, 128, 128, 4, false, uint16(4096), 64)
	f.Add(uint8(0), 0, int64(0), 37, 128, 128, 4, false, uint16(4096), 16)
	f.Fuzz(func(t *testing.T, method uint8, depth int, total int64, pn, sy, sx, nativeSize int, decode bool, viewKiB uint16, mult int) {
		if pn <= 0 || sy <= 0 || sx <= 0 || pn > 1<<16 || sy > 1<<12 || sx > 1<<12 {
			return
		}
		native := map[int]array.DType{1: array.Uint8, 2: array.Uint16, 4: array.Float32, 8: array.Float64}[nativeSize]
		pref := TilingPrefs{Method: Method(method % 3), Depth: depth, TotalSize: total, DepthMultiple: mult}
		view := int64(viewKiB) << 10
		s, err := Negotiate(NegotiationInput{
			UDFs:      []TilingPrefs{pref},
			ReadDType: array.Float32, NativeDType: native, PartitionShape: []int{pn, sy, sx}, NeedDecode: decode,
			MaxViewBytes: view,
		})
		if err != nil {
			if !errors.Is(err, ErrTiling) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if s.Depth < 1 || s.Depth > pn || s.Shape[1] > sy || s.Shape[2] > sx {
			t.Fatalf("scheme %v outside partition (%d,%d,%d)", s.Shape, pn, sy, sx)
		}
		area := 0
		for _, b := range s.Boxes {
			area += b.Shape.Size()
		}
		if area != sy*sx {
			t.Fatalf("boxes cover %d of %d pixels", area, sy*sx)
		}
		if view > 0 && !decode && pref.Method == MethodTile && depth <= 0 {
			bytes := int64(s.Depth) * 4 * int64(s.Shape[1]*s.Shape[2])
			oneBlock := mult > 1 && (s.Depth == mult || mult > s.Depth)
			if bytes > view && s.Depth != 1 && !oneBlock {
				t.Fatalf("scheme %v: %d bytes exceed the bound of %d (DepthMultiple %d)", s.Shape, bytes, view, mult)
			}
		}
	})
}

// TestNegotiateFullFrames checks the whole-frame rule: with FullFrames, tile UDFs get
// whole frames filling the byte budget, in multiples of the UDFs' DepthMultiple,
// unless one frame exceeds the budget or the multiple makes the tile larger than
// FullFrameMaxBytes (then the reference's shape stands).
func TestNegotiateFullFrames(t *testing.T) {
	tile := TilingPrefs{Method: MethodTile}
	sum := TilingPrefs{Method: MethodTile, DepthMultiple: 16}
	std := TilingPrefs{Method: MethodTile, DepthMultiple: 64}
	cases := []struct {
		name   string
		udfs   []TilingPrefs
		pshape []int
		read   array.DType
		full   bool
		want   []int
		maxIO  int64
	}{
		// the reference's shape without FullFrames: depth first, 32-row boxes
		{"128²/f32/reference", []TilingPrefs{tile}, []int{2048, 128, 128}, array.Float32, false, []int{64, 32, 128}, 0},
		// 1 MiB / 64 KiB per frame = 16 frames
		{"128²/f32/default", []TilingPrefs{tile}, []int{2048, 128, 128}, array.Float32, true, []int{16, 128, 128}, 0},
		{"128²/f32/sum", []TilingPrefs{sum}, []int{2048, 128, 128}, array.Float32, true, []int{16, 128, 128}, 0},
		// 64-frame blocks: 4 MiB, within FullFrameMaxBytes
		{"128²/f32/stddev", []TilingPrefs{std}, []int{2048, 128, 128}, array.Float32, true, []int{64, 128, 128}, 0},
		{"128²/f32/sum+stddev", []TilingPrefs{sum, std}, []int{2048, 128, 128}, array.Float32, true, []int{64, 128, 128}, 0},
		// lcm(3, 4) = 12; 16 frames fit, rounded down to 12
		{"128²/f32/lcm", []TilingPrefs{{Method: MethodTile, DepthMultiple: 3}, {Method: MethodTile, DepthMultiple: 4}}, []int{2048, 128, 128}, array.Float32, true, []int{12, 128, 128}, 0},
		// uint16 frames are 32 KiB: 32 fit
		{"128²/u16/sum", []TilingPrefs{sum}, []int{2048, 128, 128}, array.Uint16, true, []int{32, 128, 128}, 0},
		// a 256 KiB budget: 4 frames
		{"128²/f32/256KiB", []TilingPrefs{{Method: MethodTile, TotalSize: 256 << 10}}, []int{2048, 128, 128}, array.Float32, true, []int{4, 128, 128}, 0},
		// short partitions: all their frames; a multiple deeper than the partition
		// gives the whole partition
		{"128²/f32/pn8", []TilingPrefs{tile}, []int{8, 128, 128}, array.Float32, true, []int{8, 128, 128}, 0},
		{"128²/f32/pn8/sum", []TilingPrefs{sum}, []int{8, 128, 128}, array.Float32, true, []int{8, 128, 128}, 0},
		// 256 KiB frames: 4 fit, Sum's multiple makes 16 (4 MiB, allowed)
		{"256²/f32/default", []TilingPrefs{tile}, []int{1024, 256, 256}, array.Float32, true, []int{4, 256, 256}, 0},
		{"256²/f32/sum", []TilingPrefs{sum}, []int{1024, 256, 256}, array.Float32, true, []int{16, 256, 256}, 0},
		// 64 × 256 KiB = 16 MiB exceeds FullFrameMaxBytes: the reference's shape
		{"256²/f32/stddev", []TilingPrefs{std}, []int{1024, 256, 256}, array.Float32, true, []int{64, 16, 256}, 0},
		// a 1 MiB frame fills the budget alone
		{"512²/f32/default", []TilingPrefs{tile}, []int{512, 512, 512}, array.Float32, true, []int{1, 512, 512}, 0},
		// a 4 MiB frame exceeds the budget: the reference's shape
		{"1024²/f32/default", []TilingPrefs{tile}, []int{64, 1024, 1024}, array.Float32, true, []int{64, 4, 1024}, 0},
		// frame and partition UDFs keep their own rules
		{"128²/f32/frame", []TilingPrefs{{Method: MethodFrame}}, []int{2048, 128, 128}, array.Float32, true, []int{16, 128, 128}, 0},
		{"128²/f32/tile+partition", []TilingPrefs{tile, {Method: MethodPartition}}, []int{64, 128, 128}, array.Float32, true, []int{64, 128, 128}, 0},
		// small frames (1536 B) and a 4 KiB I/O size: the reference's shape is whole
		// frames already, 2 deep; Sum's multiple makes it 16 (24 KiB, allowed), a UDF
		// without a multiple keeps 2, and a partition shallower than 16 is one tile
		{"16x24/f32/4KiB/default", []TilingPrefs{tile}, []int{42, 16, 24}, array.Float32, true, []int{2, 16, 24}, 4096},
		{"16x24/f32/4KiB/sum", []TilingPrefs{sum}, []int{42, 16, 24}, array.Float32, true, []int{16, 16, 24}, 4096},
		{"16x24/f32/4KiB/sum/pn14", []TilingPrefs{sum}, []int{14, 16, 24}, array.Float32, true, []int{14, 16, 24}, 4096},
		{"16x24/f32/4KiB/sum/reference", []TilingPrefs{sum}, []int{42, 16, 24}, array.Float32, false, []int{2, 16, 24}, 4096},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := Negotiate(NegotiationInput{
				UDFs: c.udfs, ReadDType: c.read, NativeDType: c.read,
				PartitionShape: c.pshape, NeedDecode: true, FullFrames: c.full, MaxIOSize: c.maxIO,
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(s.Shape, c.want) {
				t.Fatalf("tileshape %v, want %v", s.Shape, c.want)
			}
		})
	}
}

// TestNegotiateViewBound checks the bound on zero-copy tiles: with MaxViewBytes and no
// decode, tile UDFs get whole frames filling the bound (hand-computed: frame bytes ×
// depth ≤ bound), at least the deepest explicit Depth, in multiples of the UDFs'
// DepthMultiple (at least one block), never deeper than the partition; DepthMax,
// frame and partition UDFs, decoding reads and MaxViewBytes 0 keep the reference's
// shape.
func TestNegotiateViewBound(t *testing.T) {
	tile := TilingPrefs{Method: MethodTile}
	sum := TilingPrefs{Method: MethodTile, DepthMultiple: 16}
	std := TilingPrefs{Method: MethodTile, DepthMultiple: 64}
	const mib = 1 << 20
	cases := []struct {
		name   string
		udfs   []TilingPrefs
		pshape []int
		read   array.DType
		bound  int64
		decode bool
		want   []int
	}{
		// 4 MiB / 64 KiB per frame = 64 frames
		{"128²/f32/default", []TilingPrefs{tile}, []int{8192, 128, 128}, array.Float32, 4 * mib, false, []int{64, 128, 128}},
		{"128²/f32/sum", []TilingPrefs{sum}, []int{8192, 128, 128}, array.Float32, 4 * mib, false, []int{64, 128, 128}},
		{"128²/f32/sum+stddev", []TilingPrefs{sum, std}, []int{8192, 128, 128}, array.Float32, 4 * mib, false, []int{64, 128, 128}},
		// uint16 frames are 32 KiB: 128 fit
		{"128²/u16/sum", []TilingPrefs{sum}, []int{8192, 128, 128}, array.Uint16, 4 * mib, false, []int{128, 128, 128}},
		// 16 MiB: 256 frames
		{"128²/f32/16MiB", []TilingPrefs{std}, []int{8192, 128, 128}, array.Float32, 16 * mib, false, []int{256, 128, 128}},
		// 3 MiB: 48 frames fit, Sum's 16 divides it, StdDev's 64 needs one whole block
		{"128²/f32/3MiB/sum", []TilingPrefs{sum}, []int{8192, 128, 128}, array.Float32, 3 * mib, false, []int{48, 128, 128}},
		{"128²/f32/3MiB/stddev", []TilingPrefs{std}, []int{8192, 128, 128}, array.Float32, 3 * mib, false, []int{64, 128, 128}},
		// lcm(3, 4) = 12: 64 frames fit, rounded down to 60
		{"128²/f32/lcm", []TilingPrefs{{Method: MethodTile, DepthMultiple: 3}, {Method: MethodTile, DepthMultiple: 4}}, []int{8192, 128, 128}, array.Float32, 4 * mib, false, []int{60, 128, 128}},
		// an explicit depth is a minimum; rounded up to whole blocks
		{"128²/f32/depth100", []TilingPrefs{{Method: MethodTile, Depth: 100}}, []int{8192, 128, 128}, array.Float32, 4 * mib, false, []int{100, 128, 128}},
		{"128²/f32/depth100+stddev", []TilingPrefs{{Method: MethodTile, Depth: 100}, std}, []int{8192, 128, 128}, array.Float32, 4 * mib, false, []int{128, 128, 128}},
		{"128²/f32/depthmax", []TilingPrefs{{Method: MethodTile, Depth: DepthMax}}, []int{8192, 128, 128}, array.Float32, 4 * mib, false, []int{8192, 128, 128}},
		// a partition that fits, and one block deeper than the partition
		{"128²/f32/pn32", []TilingPrefs{tile}, []int{32, 128, 128}, array.Float32, 4 * mib, false, []int{32, 128, 128}},
		{"128²/f32/pn100/stddev", []TilingPrefs{std}, []int{100, 128, 128}, array.Float32, mib, false, []int{64, 128, 128}},
		{"128²/f32/pn60/stddev", []TilingPrefs{std}, []int{60, 128, 128}, array.Float32, mib, false, []int{60, 128, 128}},
		// a partition that fits but is not whole blocks (uneven partitions are
		// longer than the first): rounded down to whole blocks; without a multiple
		// it stays whole
		{"128²/f32/pn37/sum", []TilingPrefs{sum}, []int{37, 128, 128}, array.Float32, 4 * mib, false, []int{32, 128, 128}},
		{"128²/f32/pn37", []TilingPrefs{tile}, []int{37, 128, 128}, array.Float32, 4 * mib, false, []int{37, 128, 128}},
		// an explicit depth that whole blocks cannot meet within the partition
		{"128²/f32/pn37/depth35+sum", []TilingPrefs{{Method: MethodTile, Depth: 35}, sum}, []int{37, 128, 128}, array.Float32, 4 * mib, false, []int{37, 128, 128}},
		// a frame larger than the bound: one frame per tile
		{"1024²/f32/default", []TilingPrefs{tile}, []int{64, 1024, 1024}, array.Float32, 2 * mib, false, []int{1, 1024, 1024}},
		// a UDF byte budget below the bound stands (the reference's shape: 1 MiB of
		// 64 frames × 32 rows, as on a decoding read)
		{"128²/f32/bestfit", []TilingPrefs{{Method: MethodTile, TotalSize: BestFit}}, []int{8192, 128, 128}, array.Float32, 4 * mib, false, []int{64, 32, 128}},
		// the reference's rule: no bound, decoding reads, frame and partition UDFs
		{"128²/f32/unbounded", []TilingPrefs{tile}, []int{8192, 128, 128}, array.Float32, 0, false, []int{8192, 128, 128}},
		{"128²/f32/decode", []TilingPrefs{tile}, []int{8192, 128, 128}, array.Float32, 4 * mib, true, []int{64, 32, 128}},
		{"128²/f32/frame", []TilingPrefs{{Method: MethodFrame}}, []int{8192, 128, 128}, array.Float32, 4 * mib, false, []int{16, 128, 128}},
		{"128²/f32/partition", []TilingPrefs{tile, {Method: MethodPartition}}, []int{8192, 128, 128}, array.Float32, 4 * mib, false, []int{8192, 128, 128}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := Negotiate(NegotiationInput{
				UDFs: c.udfs, ReadDType: c.read, NativeDType: c.read,
				PartitionShape: c.pshape, NeedDecode: c.decode, MaxViewBytes: c.bound,
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(s.Shape, c.want) || s.Depth != c.want[0] {
				t.Fatalf("tileshape %v (depth %d), want %v", s.Shape, s.Depth, c.want)
			}
		})
	}
}

// TestMappedTilesBounded: a mapped float32 raw file of 160 frames of 128×128 (10 MiB,
// one partition) negotiates, through NegotiationFor, zero-copy tiles of 64 frames
// (ViewMaxBytes / 64 KiB) for a UDF reducing blocks of 16 frames; ReadTiles then
// hands out views of the mapping (the tile's first element is the mapping's byte at
// the frame's offset) of 64, 64 and 32 frames holding the file's values.
func TestMappedTilesBounded(t *testing.T) {
	const frames, sy, sx = 160, 128, 128
	vals := smallVals(frames * sy * sx)
	path := writeFile(t, "m.raw", encode(vals, array.Float32, binary.LittleEndian))
	ds, err := OpenRaw(path, RawOptions{NavShape: []int{frames}, SigShape: []int{sy, sx}, DType: "<f4", IO: IOMmap})
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	s, err := Negotiate(NegotiationFor(ds, []TilingPrefs{{Method: MethodTile, DepthMultiple: 16}}, array.Float32, nil, 1))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Shape, []int{64, sy, sx}) {
		t.Fatalf("tileshape %v, want [64 %d %d]", s.Shape, sy, sx)
	}
	var depths []int
	next := 0
	err = ds.ReadTiles(context.Background(), Partitions(ds, 1)[0], TileRequest{Scheme: s, DType: array.Float32}, func(tl *Tile) error {
		d := tl.Data.(*array.Dense[float32]).Data()
		f0, n := tl.Slice.Origin[0], tl.Slice.Shape.Dim(0)
		if f0 != next {
			t.Fatalf("tile at frame %d, want %d", f0, next)
		}
		next += n
		depths = append(depths, n)
		if unsafe.Pointer(&d[0]) != unsafe.Pointer(&ds.data[f0*sy*sx*4]) {
			t.Errorf("tile at frame %d is not a view of the mapping", f0)
		}
		for i, v := range d {
			if float64(v) != vals[f0*sy*sx+i] {
				t.Fatalf("tile at frame %d, element %d: %v, want %v", f0, i, v, vals[f0*sy*sx+i])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(depths, []int{64, 64, 32}) {
		t.Errorf("tile depths %v, want [64 64 32]", depths)
	}
}
