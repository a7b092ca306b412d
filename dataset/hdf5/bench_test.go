package hdf5

import (
	"encoding/binary"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"
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

// unshuffleGather2 is the earlier 2-byte kernel, kept as the benchmark's baseline: it
// gathers one byte of each of the 16 rows per 8 elements and transposes two 8×8 bit
// matrices.
func unshuffleGather2(dst, src []byte, nb int) {
	r0, r1, r2, r3, r4, r5, r6, r7 := src[0*nb:1*nb], src[1*nb:2*nb], src[2*nb:3*nb], src[3*nb:4*nb], src[4*nb:5*nb], src[5*nb:6*nb], src[6*nb:7*nb], src[7*nb:8*nb]
	h0, h1, h2, h3, h4, h5, h6, h7 := src[8*nb:9*nb], src[9*nb:10*nb], src[10*nb:11*nb], src[11*nb:12*nb], src[12*nb:13*nb], src[13*nb:14*nb], src[14*nb:15*nb], src[15*nb:16*nb]
	spread := func(x uint32) uint64 {
		v := uint64(x)
		v = (v | v<<16) & 0x0000ffff0000ffff
		return (v | v<<8) & 0x00ff00ff00ff00ff
	}
	dst = dst[:16*nb]
	for g := range nb {
		lo := transpose8(uint64(r0[g]) | uint64(r1[g])<<8 | uint64(r2[g])<<16 | uint64(r3[g])<<24 |
			uint64(r4[g])<<32 | uint64(r5[g])<<40 | uint64(r6[g])<<48 | uint64(r7[g])<<56)
		hi := transpose8(uint64(h0[g]) | uint64(h1[g])<<8 | uint64(h2[g])<<16 | uint64(h3[g])<<24 |
			uint64(h4[g])<<32 | uint64(h5[g])<<40 | uint64(h6[g])<<48 | uint64(h7[g])<<56)
		o := dst[g*16 : g*16+16]
		binary.LittleEndian.PutUint64(o, spread(uint32(lo))|spread(uint32(hi))<<8)
		binary.LittleEndian.PutUint64(o[8:], spread(uint32(lo>>32))|spread(uint32(hi>>32))<<8)
	}
}

// BenchmarkUnshuffle is the bit transpose alone on one 128×128 frame in blocks of the
// library's default size: the word kernels ("words") and the byte-at-a-time gather
// they replaced ("bytes": unshuffleGather2 for 2-byte elements, else unshuffleBytes),
// alternating in one loop; it reports both in GB/s of the thread's CPU time and their
// ratio.
func BenchmarkUnshuffle(b *testing.B) {
	for _, s := range []int{1, 2, 4} {
		b.Run("elem="+string(rune('0'+s)), func(b *testing.B) {
			src := append(sparseFrame(2), sparseFrame(3)...)[:128*128*s]
			dst := make([]byte, len(src))
			bs := bshufDefaultBlock(s) * s
			var tw, tb time.Duration
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			for b.Loop() {
				t0 := threadCPU()
				for o := 0; o+bs <= len(src); o += bs {
					unshuffleBlock(dst[o:o+bs], src[o:o+bs], bs/s, s)
				}
				t1 := threadCPU()
				for o := 0; o+bs <= len(src); o += bs {
					if s == 2 {
						unshuffleGather2(dst[o:o+bs], src[o:o+bs], bs/s/8)
					} else {
						unshuffleBytes(dst[o:o+bs], src[o:o+bs], bs/s/8, s, 0)
					}
				}
				tw += t1 - t0
				tb += threadCPU() - t1
			}
			n := float64(b.N) * float64(len(src))
			b.ReportMetric(n/tw.Seconds()/1e9, "GB/s-words")
			b.ReportMetric(n/tb.Seconds()/1e9, "GB/s-bytes")
			b.ReportMetric(tb.Seconds()/tw.Seconds(), "speedup")
		})
	}
}

// BenchmarkGzip decodes one 128×128 uint16 frame chunk of deflate level 4.
func BenchmarkGzip(b *testing.B) {
	raw := sparseFrame(3)
	benchDecode(b, zlibBytes(b, raw), []Filter{{ID: FilterDeflate}}, len(raw))
}
