package render

import (
	"encoding/binary"
	"math/bits"
)

// The PNG encoder of opaque pictures writes its own deflate stream: one block
// with the fixed Huffman codes of RFC 1951, whose matches are found without a
// hash table by asking, at each pixel, only the two questions that matter for the
// pictures of this package — does a run of pixels repeat the row above (distance:
// one row), or repeat the pixel to the left (distance: 3 bytes)? A magnified
// heatmap is almost nothing else: a band of equal rows is a few long matches per
// row, a run of equal pixels one match. That needs no compressor state (a
// general-purpose deflater allocates and faults in several hundred kB per
// goroutine, which a one-shot process pays for on every picture it writes in
// parallel), and it costs time per run of pixels rather than per byte. The
// stream is standard: any inflater reads it.

// fixedLit[s] holds the bit-reversed fixed Huffman code of literal/length symbol
// s (low 16 bits) and its length in bits (high bits).
var fixedLit = func() (t [288]uint32) {
	for s := range t {
		var code, n uint32
		switch {
		case s < 144:
			code, n = 0x30+uint32(s), 8
		case s < 256:
			code, n = 0x190+uint32(s-144), 9
		case s < 280:
			code, n = uint32(s-256), 7
		default:
			code, n = 0xc0+uint32(s-280), 8
		}
		t[s] = uint32(bits.Reverse16(uint16(code))>>(16-n)) | n<<16
	}
	return t
}()

// lengthCode[n] holds, for a match length n (3…258), the bits of its length
// symbol's code followed by the extra bits (low 24 bits) and their total count
// (high 8 bits).
var lengthCode = func() (t [259]uint32) {
	base := [29]int{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	extra := [29]uint{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	for l := 3; l <= 258; l++ {
		i := 28 // 258 has a symbol of its own (285)
		if l < 258 {
			i = 27
			for base[i] > l {
				i--
			}
		}
		c := fixedLit[257+i]
		code, n := c&0xffff, uint(c>>16)
		t[l] = code | uint32(l-base[i])<<n | uint32(n+extra[i])<<24
	}
	return t
}()

// distanceCode returns the bits of distance d's fixed code (5 bits, reversed)
// followed by its extra bits, and their total count; 1 ≤ d ≤ 32768.
func distanceCode(d int) (uint32, uint) {
	// code c covers [base(c), base(c+1)); codes 0…3 are 1…4, then two codes
	// per power of two with c/2−1 extra bits
	var c int
	var extra uint
	var base int
	if d <= 4 {
		c, base = d-1, d
	} else {
		e := bits.Len(uint(d-1)) - 2 // extra bits
		half := (d - 1) >> e & 1     // which of the two codes
		c = 2*e + 2 + half
		extra = uint(e)
		base = 1<<(e+1) + half<<e + 1
	}
	code := uint32(bits.Reverse8(uint8(c)) >> 3)
	return code | uint32(d-base)<<5, 5 + extra
}

// bitWriter appends a little-endian bit stream to out.
type bitWriter struct {
	out []byte
	acc uint64
	n   uint
}

// put appends the low n bits of v (n ≤ 32).
func (b *bitWriter) put(v uint32, n uint) {
	b.acc |= uint64(v) << b.n
	b.n += n
	if b.n >= 32 {
		b.out = binary.LittleEndian.AppendUint32(b.out, uint32(b.acc))
		b.acc >>= 32
		b.n -= 32
	}
}

// flush pads to a byte boundary and appends what is left.
func (b *bitWriter) flush() {
	for b.n > 0 {
		b.out = append(b.out, byte(b.acc))
		b.acc >>= 8
		b.n = b.n - min(b.n, 8)
	}
	b.acc = 0
}

func (b *bitWriter) literal(c byte) {
	l := fixedLit[c]
	b.put(l&0xffff, uint(l>>16))
}

// match appends a copy of n ≥ 3 bytes from distance d (its code in dc, dn bits),
// split into matches of at most 258 bytes, none shorter than 3.
func (b *bitWriter) match(n int, dc uint32, dn uint) {
	for n > 0 {
		k := min(n, 258)
		if r := n - k; r > 0 && r < 3 {
			k = n - 3
		}
		l := lengthCode[k]
		b.put(l&0xffffff, uint(l>>24))
		b.put(dc, dn)
		n -= k
	}
}

// adlerMod is the modulus of Adler-32.
const adlerMod = 65521

// adlerRow returns Σb and Σ(L−i)·b_i mod adlerMod over the L = 1+3·len(row)/4
// bytes of a filter-0 RGB row built from the NRGBA pixels row (the first byte, the
// filter type, is 0): the row's own Adler-32 sums, started from zero, to combine
// with the running ones. Four pixels (12 stream bytes) at a time: their weighted
// sum is independent of s1, which keeps the dependency chain short.
func adlerRow(row []byte) (uint32, uint32) {
	var s1, s2 uint32
	// the filter byte 0 adds nothing to s1 and s1 = 0 to s2
	for len(row) > 0 {
		// at most 1800 pixels (5400 bytes ≤ 5552) between reductions keeps
		// s2 below 2^32
		k := min(len(row), 4*1800)
		p := row[:k]
		for len(p) >= 16 {
			r0, g0, b0 := uint32(p[0]), uint32(p[1]), uint32(p[2])
			r1, g1, b1 := uint32(p[4]), uint32(p[5]), uint32(p[6])
			r2, g2, b2 := uint32(p[8]), uint32(p[9]), uint32(p[10])
			r3, g3, b3 := uint32(p[12]), uint32(p[13]), uint32(p[14])
			s2 += 12*s1 + 12*r0 + 11*g0 + 10*b0 + 9*r1 + 8*g1 + 7*b1 + 6*r2 + 5*g2 + 4*b2 + 3*r3 + 2*g3 + b3
			s1 += r0 + g0 + b0 + r1 + g1 + b1 + r2 + g2 + b2 + r3 + g3 + b3
			p = p[16:]
		}
		for len(p) >= 4 {
			r, g, b := uint32(p[0]), uint32(p[1]), uint32(p[2])
			s2 += 3*s1 + 3*r + 2*g + b
			s1 += r + g + b
			p = p[4:]
		}
		s1 %= adlerMod
		s2 %= adlerMod
		row = row[k:]
	}
	return s1, s2
}

// deflateRows appends to out a zlib stream (RFC 1950, one fixed-Huffman deflate
// block) of the PNG scanlines of a w×h picture whose NRGBA row y is rowAt(y),
// filter type 0 (None) on every row, and returns it. The picture must be opaque
// (the alpha bytes are not written); the row rowAt returned before must stay
// valid until the next call.
func deflateRows(out []byte, w, h int, rowAt func(y int) []byte) []byte {
	rowLen := 1 + 3*w
	bw := bitWriter{out: append(out, 0x78, 0x01)} // deflate, 32 KiB window, no dictionary
	bw.put(1|1<<1, 3)                             // final block, fixed codes
	upOK := rowLen <= 32768
	var upC, leftC uint32
	var upN, leftN uint
	if upOK {
		upC, upN = distanceCode(rowLen)
	}
	leftC, leftN = distanceCode(3)
	a1, a2 := uint32(1), uint32(0)
	var prev []byte
	var rs1, rs2 uint32 // the Adler sums of the previous row
	for y := 0; y < h; y++ {
		row := rowAt(y)[:4*w]
		if prev != nil && upOK && equalRGB(row, prev) {
			bw.match(rowLen, upC, upN)
		} else {
			rs1, rs2 = adlerRow(row)
			bw.literal(0) // filter type None
			for x := 0; x < w; {
				px := pixel(row, x)
				up := 0
				if prev != nil && upOK {
					up = samePixels(row[4*x:], prev[4*x:])
				}
				left := 0
				if x > 0 {
					left = runOf(row[4*x:], pixel(row, x-1))
				}
				switch {
				case up == 0 && left == 0:
					bw.literal(byte(px))
					bw.literal(byte(px >> 8))
					bw.literal(byte(px >> 16))
					x++
				case up >= left:
					bw.match(3*up, upC, upN)
					x += up
				default:
					bw.match(3*left, leftC, leftN)
					x += left
				}
			}
		}
		a2 = (a2 + uint32(uint64(rowLen)*uint64(a1)%adlerMod) + rs2) % adlerMod
		a1 = (a1 + rs1) % adlerMod
		prev = row
	}
	l := fixedLit[256] // end of block
	bw.put(l&0xffff, uint(l>>16))
	bw.flush()
	return binary.BigEndian.AppendUint32(bw.out, a2<<16|a1)
}

// pixel returns the NRGBA pixel x of row as a little-endian word.
func pixel(row []byte, x int) uint32 {
	return binary.LittleEndian.Uint32(row[4*x:])
}

// samePixels returns the number of leading pixels that are equal in the NRGBA
// rows a and b (len(a) ≤ len(b)), comparing two pixels at a time.
func samePixels(a, b []byte) int {
	n := 0
	for n+8 <= len(a) {
		if d := binary.LittleEndian.Uint64(a[n:]) ^ binary.LittleEndian.Uint64(b[n:]); d != 0 {
			return (n + bits.TrailingZeros64(d)/8) / 4
		}
		n += 8
	}
	if n+4 <= len(a) && binary.LittleEndian.Uint32(a[n:]) == binary.LittleEndian.Uint32(b[n:]) {
		n += 4
	}
	return n / 4
}

// runOf returns the number of leading pixels of the NRGBA row a equal to px.
func runOf(a []byte, px uint32) int {
	two := uint64(px) | uint64(px)<<32
	n := 0
	for n+8 <= len(a) {
		if d := binary.LittleEndian.Uint64(a[n:]) ^ two; d != 0 {
			return (n + bits.TrailingZeros64(d)/8) / 4
		}
		n += 8
	}
	if n+4 <= len(a) && binary.LittleEndian.Uint32(a[n:]) == px {
		n += 4
	}
	return n / 4
}

// equalRGB reports whether two NRGBA rows of opaque pixels are equal.
func equalRGB(a, b []byte) bool {
	return string(a) == string(b)
}
