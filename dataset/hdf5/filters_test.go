package hdf5

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// bitshuffleRef is the bitshuffle transform written from its definition: bit k of byte
// j of element i goes to bit i%8 of byte i/8 of row 8j+k (rows of n/8 bytes).
func bitshuffleRef(src []byte, n, s int) []byte {
	out := make([]byte, n*s)
	nb := n / 8
	for i := range n {
		for j := range s {
			for k := range 8 {
				if src[i*s+j]>>k&1 == 1 {
					out[(8*j+k)*nb+i/8] |= 1 << (i % 8)
				}
			}
		}
	}
	return out
}

// bitshuffleChunkRef shuffles a whole chunk as the library lays it out: blocks of bs
// elements, then the remainder rounded down to 8, then the last count%8 elements raw.
func bitshuffleChunkRef(src []byte, s, bs int) [][]byte {
	n := len(src) / s
	var blocks [][]byte
	op := 0
	for range n / bs {
		blocks = append(blocks, bitshuffleRef(src[op:op+bs*s], bs, s))
		op += bs * s
	}
	if last := n % bs / 8 * 8; last > 0 {
		blocks = append(blocks, bitshuffleRef(src[op:op+last*s], last, s))
		op += last * s
	}
	blocks = append(blocks, append([]byte(nil), src[op:]...)) // raw leftover (maybe empty)
	return blocks
}

func TestTranspose8(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		x := r.Uint64()
		var want uint64
		for row := range 8 {
			for col := range 8 {
				if x>>(8*row+col)&1 == 1 {
					want |= 1 << (8*col + row)
				}
			}
		}
		if got := transpose8(x); got != want {
			t.Fatalf("transpose8(%#x) = %#x, want %#x", x, got, want)
		}
	}
}

func TestBitunshuffleHandBuilt(t *testing.T) {
	tests := []struct {
		name     string
		src      []byte // bitshuffled
		elemSize int
		want     []byte
	}{
		{"u8 bit0 of elem0", []byte{0x01, 0, 0, 0, 0, 0, 0, 0}, 1, []byte{1, 0, 0, 0, 0, 0, 0, 0}},
		{"u8 bit7 of elem3", []byte{0, 0, 0, 0, 0, 0, 0, 0x08}, 1, []byte{0, 0, 0, 0x80, 0, 0, 0, 0}},
		{"u8 all ones", bytes.Repeat([]byte{0xff}, 8), 1, bytes.Repeat([]byte{0xff}, 8)},
		// uint16 element 1 = 0x0100 (little-endian bytes 00 01): byte 1 bit 0 -> row 8, bit 1
		{"u16 high byte bit", []byte{0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0, 0, 0, 0, 0, 0, 0}, 2,
			[]byte{0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
		// 9 uint8 elements: one block of 8, then 1 raw leftover element
		{"u8 leftover raw", []byte{0xff, 0, 0, 0, 0, 0, 0, 0, 0x5a}, 1, []byte{1, 1, 1, 1, 1, 1, 1, 1, 0x5a}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := make([]byte, len(tc.src))
			if err := Bitunshuffle(got, tc.src, tc.elemSize, 0); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestBitunshuffleRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, s := range []int{1, 2, 3, 4, 8, 16} {
		for _, n := range []int{8, 16, 24, 1000, 4096, 5003} {
			for _, bs := range []int{0, 8, 64, 4096} {
				src := make([]byte, n*s)
				for i := range src {
					src[i] = byte(r.UintN(256))
				}
				b := bs
				if b == 0 {
					b = bshufDefaultBlock(s)
				}
				shuffled := bytes.Join(bitshuffleChunkRef(src, s, b), nil)
				for _, off := range []int{0, 1, 3} { // unaligned input and output too
					in := append(make([]byte, off), shuffled...)[off:]
					got := make([]byte, len(src)+off)[off:]
					if err := Bitunshuffle(got, in, s, bs); err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(got, src) {
						t.Fatalf("s=%d n=%d bs=%d offset %d: unshuffle differs", s, n, bs, off)
					}
				}
			}
		}
	}
}

// bslz4Chunk builds a bitshuffle+LZ4 chunk with pierrec's LZ4 encoder and the
// reference shuffle.
func bslz4Chunk(t testing.TB, src []byte, s, bs int) []byte {
	blocks := bitshuffleChunkRef(src, s, bs)
	var out bytes.Buffer
	var hdr [12]byte
	binary.BigEndian.PutUint64(hdr[:], uint64(len(src)))
	binary.BigEndian.PutUint32(hdr[8:], uint32(bs*s))
	out.Write(hdr[:])
	for i, b := range blocks {
		if i == len(blocks)-1 {
			out.Write(b) // raw leftover
			break
		}
		c := make([]byte, lz4.CompressBlockBound(len(b)))
		n, err := lz4.CompressBlock(b, c, nil)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 { // incompressible: pierrec returns 0; store as literal-only block
			c, n = literalLZ4(b), len(literalLZ4(b))
		}
		var sz [4]byte
		binary.BigEndian.PutUint32(sz[:], uint32(n))
		out.Write(sz[:])
		out.Write(c[:n])
	}
	return out.Bytes()
}

// literalLZ4 encodes b as one LZ4 sequence of literals only.
func literalLZ4(b []byte) []byte {
	var out []byte
	n := len(b)
	if n < 15 {
		out = append(out, byte(n<<4))
	} else {
		out = append(out, 0xf0)
		r := n - 15
		for r >= 255 {
			out = append(out, 255)
			r -= 255
		}
		out = append(out, byte(r))
	}
	return append(out, b...)
}

func TestBitshuffleLZ4(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var d Decoder
	for _, s := range []int{1, 2, 4, 8} {
		for _, n := range []int{7, 8, 100, 4096, 16384 + 13} {
			src := make([]byte, n*s)
			for i := range src {
				if r.IntN(10) == 0 { // sparse, like electron counts
					src[i] = byte(r.UintN(256))
				}
			}
			bs := bshufDefaultBlock(s)
			chunk := bslz4Chunk(t, src, s, bs)
			f := []Filter{{ID: FilterBitshuffle, Params: []uint32{0, 3, uint32(s), 0, bshufLZ4}}}
			got, err := d.DecodeChunk(chunk, f, 0, len(src), s)
			if err != nil {
				t.Fatalf("s=%d n=%d: %v", s, n, err)
			}
			if !bytes.Equal(got, src) {
				t.Fatalf("s=%d n=%d: decoded bytes differ", s, n)
			}
		}
	}
}

func TestLZ4HandBuilt(t *testing.T) {
	// "a"*20 + "bcdef": one literal 'a', a match of 19 at offset 1, then 5 literals.
	blk := []byte{0x1f, 'a', 0x01, 0x00, 0x00, 0x50, 'b', 'c', 'd', 'e', 'f'}
	want := append(bytes.Repeat([]byte("a"), 20), "bcdef"...)
	var chunk []byte
	chunk = binary.BigEndian.AppendUint64(chunk, uint64(len(want)+4))
	chunk = binary.BigEndian.AppendUint32(chunk, uint32(len(want)))
	chunk = binary.BigEndian.AppendUint32(chunk, uint32(len(blk)))
	chunk = append(chunk, blk...)
	// second block (4 bytes) stored raw: stored size == block size
	chunk = binary.BigEndian.AppendUint32(chunk, 4)
	chunk = append(chunk, "WXYZ"...)
	want = append(want, "WXYZ"...)
	var d Decoder
	got, err := d.DecodeChunk(chunk, []Filter{{ID: FilterLZ4}}, 0, len(want), 1)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestLZFHandBuilt(t *testing.T) {
	tests := []struct {
		name string
		src  []byte
		want string
	}{
		{"literals", []byte{2, 'a', 'b', 'c'}, "abc"},
		{"overlapping back reference", []byte{2, 'a', 'b', 'c', 0x80, 0x02}, "abcabcabc"},
		{"long back reference", []byte{0, 'x', 0xe0, 0x03, 0x00}, "x" + string(bytes.Repeat([]byte("x"), 12))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var d Decoder
			got, err := d.DecodeChunk(tc.src, []Filter{{ID: FilterLZF}}, 0, len(tc.want), 1)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestShuffleHandBuilt(t *testing.T) {
	// uint16 0x0102, 0x0304 little-endian: 02 01 04 03; shuffled: low bytes, high bytes;
	// one leftover byte 0x77 kept at the end.
	src := []byte{0x02, 0x04, 0x01, 0x03, 0x77}
	want := []byte{0x02, 0x01, 0x04, 0x03, 0x77}
	got := make([]byte, len(src))
	// 5 bytes of 2-byte elements: 2 whole elements, planes of 2 bytes
	if err := Unshuffle(got, src, 2); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("got %x, want %x", got, want)
	}
}

func zlibBytes(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	w, _ := zlib.NewWriterLevel(&buf, 4)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func shuffleRef(b []byte, s int) []byte {
	n := len(b) / s
	out := make([]byte, len(b))
	for i := range n {
		for j := range s {
			out[j*n+i] = b[i*s+j]
		}
	}
	copy(out[n*s:], b[n*s:])
	return out
}

func TestPipelines(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	raw := make([]byte, 4096*4)
	for i := range raw {
		raw[i] = byte(r.UintN(4))
	}
	zenc, _ := zstd.NewWriter(nil)
	var fl32 [4]byte
	tests := []struct {
		name    string
		stored  []byte
		filters []Filter
		mask    uint32
	}{
		{"gzip", zlibBytes(t, raw), []Filter{{ID: FilterDeflate, Params: []uint32{4}}}, 0},
		{"shuffle+gzip", zlibBytes(t, shuffleRef(raw, 4)), []Filter{{ID: FilterShuffle, Params: []uint32{4}}, {ID: FilterDeflate}}, 0},
		{"gzip skipped by mask", raw, []Filter{{ID: FilterDeflate}}, 1},
		{"shuffle+gzip, gzip skipped", shuffleRef(raw, 4), []Filter{{ID: FilterShuffle, Params: []uint32{4}}, {ID: FilterDeflate}}, 2},
		{"fletcher32", append(append([]byte(nil), raw...), fl32[:]...), []Filter{{ID: FilterFletcher32}}, 0},
		{"zstd", zenc.EncodeAll(raw, nil), []Filter{{ID: FilterZstd}}, 0},
		{"bitshuffle uncompressed", bytes.Join(bitshuffleChunkRef(raw, 4, bshufDefaultBlock(4)), nil), []Filter{{ID: FilterBitshuffle, Params: []uint32{0, 3, 4, 0, 0}}}, 0},
		{"bitshuffle+lz4", bslz4Chunk(t, raw, 4, bshufDefaultBlock(4)), []Filter{{ID: FilterBitshuffle, Params: []uint32{0, 3, 4, 0, bshufLZ4}}}, 0},
		{"shuffle+bitshuffle+lz4", bslz4Chunk(t, shuffleRef(raw, 4), 4, bshufDefaultBlock(4)), []Filter{{ID: FilterShuffle, Params: []uint32{4}}, {ID: FilterBitshuffle, Params: []uint32{0, 3, 4, 0, bshufLZ4}}}, 0},
		{"none", raw, nil, 0},
	}
	var d Decoder
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for range 2 { // twice: the decoder's reused state must not leak between chunks
				got, err := d.DecodeChunk(tc.stored, tc.filters, tc.mask, len(raw), 4)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, raw) {
					t.Fatal("decoded bytes differ")
				}
				into := make([]byte, len(raw))
				if err := d.DecodeChunkInto(into, tc.stored, tc.filters, tc.mask, 4); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(into, raw) {
					t.Fatal("DecodeChunkInto: decoded bytes differ")
				}
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	good := zlibBytes(t, make([]byte, 64))
	lzHdr := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint64(nil, 64), 64)
	tests := []struct {
		name    string
		stored  []byte
		filters []Filter
	}{
		{"gzip wrong size", good[:len(good)-6], []Filter{{ID: FilterDeflate}}},
		{"gzip garbage", []byte("not zlib"), []Filter{{ID: FilterDeflate}}},
		{"lz4 short header", []byte{1, 2, 3}, []Filter{{ID: FilterLZ4}}},
		{"lz4 wrong total", binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint64(nil, 65), 64), []Filter{{ID: FilterLZ4}}},
		{"lz4 missing block", lzHdr, []Filter{{ID: FilterLZ4}}},
		{"lz4 block past end", binary.BigEndian.AppendUint32(lzHdr, 1000), []Filter{{ID: FilterLZ4}}},
		{"bslz4 short", []byte{0, 0}, []Filter{{ID: FilterBitshuffle, Params: []uint32{0, 3, 2, 0, 2}}}},
		{"lzf past end", []byte{10, 'a'}, []Filter{{ID: FilterLZF}}},
		{"lzf back ref before start", []byte{0x20, 0x05}, []Filter{{ID: FilterLZF}}},
		{"szip unsupported", make([]byte, 64), []Filter{{ID: FilterSZIP}}},
		{"size mismatch without filters", make([]byte, 63), nil},
	}
	var d Decoder
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := d.DecodeChunk(tc.stored, tc.filters, 0, 64, 2)
			if !errors.Is(err, ErrFilter) {
				t.Fatalf("err = %v, want ErrFilter", err)
			}
		})
	}
}

func TestCheckFilters(t *testing.T) {
	if err := CheckFilters([]Filter{{ID: FilterShuffle}, {ID: FilterDeflate}, {ID: FilterBitshuffle, Params: []uint32{0, 3, 2, 0, 2}}}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []Filter{{ID: FilterBlosc}, {ID: FilterSZIP}, {ID: FilterBitshuffle, Params: []uint32{0, 3, 2, 0, 3}}} {
		if err := CheckFilters([]Filter{f}); !errors.Is(err, ErrFilter) {
			t.Fatalf("%v: err = %v, want ErrFilter", f, err)
		}
	}
}

// FuzzDecodeChunk feeds arbitrary bytes to every supported pipeline: no panic, and
// either an error or exactly n bytes.
func FuzzDecodeChunk(f *testing.F) {
	f.Add([]byte{2, 'a', 'b', 'c', 0x80, 0x02}, uint8(0), uint16(9))
	f.Add(zlibBytes(f, []byte("hello hello hello")), uint8(1), uint16(17))
	f.Add(bslz4Chunk(f, make([]byte, 64), 2, bshufDefaultBlock(2)), uint8(3), uint16(64))
	pipelines := [][]Filter{
		{{ID: FilterLZF}},
		{{ID: FilterDeflate}},
		{{ID: FilterLZ4}},
		{{ID: FilterBitshuffle, Params: []uint32{0, 3, 2, 0, bshufLZ4}}},
		{{ID: FilterBitshuffle, Params: []uint32{0, 3, 4, 16, bshufNone}}},
		{{ID: FilterShuffle, Params: []uint32{2}}, {ID: FilterDeflate}},
		{{ID: FilterZstd}},
		{{ID: FilterFletcher32}},
	}
	var d Decoder
	f.Fuzz(func(t *testing.T, src []byte, p uint8, n uint16) {
		fl := pipelines[int(p)%len(pipelines)]
		out, err := d.DecodeChunk(src, fl, 0, int(n), 2)
		if err == nil && len(out) != int(n) {
			t.Fatalf("%v: %d bytes without error, want %d", fl, len(out), n)
		}
	})
}
