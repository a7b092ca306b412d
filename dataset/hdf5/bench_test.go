package hdf5

import (
	"math/rand/v2"
	"testing"
)

// sparseFrame is a 128×128 uint16 frame of electron-count-like data (mostly zeros).
func sparseFrame(seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 9))
	b := make([]byte, 128*128*2)
	for i := 0; i < len(b); i += 2 {
		if r.IntN(20) == 0 {
			b[i] = byte(1 + r.IntN(3))
		}
	}
	return b
}

func benchDecode(b *testing.B, stored []byte, f []Filter, n int) {
	var d Decoder
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.DecodeChunk(stored, f, 0, n, 2); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBitshuffleLZ4 decodes one 128×128 uint16 frame chunk (GB/s of decoded bytes).
func BenchmarkBitshuffleLZ4(b *testing.B) {
	raw := sparseFrame(1)
	chunk := bslz4Chunk(b, raw, 2, bshufDefaultBlock(2))
	benchDecode(b, chunk, []Filter{{ID: FilterBitshuffle, Params: []uint32{0, 3, 2, 0, bshufLZ4}}}, len(raw))
}

// BenchmarkUnshuffleBlock2 is the bit transpose alone for uint16.
func BenchmarkUnshuffleBlock2(b *testing.B) {
	src := sparseFrame(2)
	dst := make([]byte, len(src))
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		unshuffleBlock(dst, src, len(src)/2, 2)
	}
}

// BenchmarkGzip decodes one 128×128 uint16 frame chunk of deflate level 4.
func BenchmarkGzip(b *testing.B) {
	raw := sparseFrame(3)
	benchDecode(b, zlibBytes(b, raw), []Filter{{ID: FilterDeflate}}, len(raw))
}
