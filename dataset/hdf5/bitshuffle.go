package hdf5

import (
	"encoding/binary"
	"fmt"
	"unsafe"

	"github.com/pierrec/lz4/v4"
)

// The chunk formats of the LZ4 and bitshuffle HDF5 filters, decoded here without the C
// plugins.
//
// LZ4 (32004): an 8-byte big-endian decoded size, a 4-byte big-endian block size, then
// for each block (the last one shorter) a 4-byte big-endian stored size and the block:
// an LZ4 block, or the raw bytes when the stored size equals the block size.
//
// Bitshuffle (32008): the elements are cut into blocks of a multiple of 8 elements
// (default 8192 bytes' worth); within a block of n elements of s bytes the bits are
// stored as 8·s rows of n/8 bytes: bit k of byte j of element i is bit i%8 of byte i/8
// of row 8·j+k. After the whole blocks comes one shorter block of the remaining
// elements rounded down to a multiple of 8; the last (count % 8) elements are stored as
// they are. With LZ4 compression the chunk starts with an 8-byte big-endian decoded
// size and a 4-byte big-endian block size in bytes, and each block is a 4-byte
// big-endian stored size followed by an LZ4 block; the leftover elements follow raw.

const (
	bshufTargetBlockBytes = 8192
	bshufBlockedMult      = 8
	bshufMinBlock         = 128
)

// bshufDefaultBlock is the bitshuffle library's default block size in elements.
func bshufDefaultBlock(elemSize int) int {
	b := bshufTargetBlockBytes / elemSize
	b = b / bshufBlockedMult * bshufBlockedMult
	return max(b, bshufMinBlock)
}

// DecodeLZ4 decodes a chunk of the HDF5 LZ4 filter (32004) into dst, whose length is
// the expected decoded size, and returns dst.
func DecodeLZ4(dst, src []byte) ([]byte, error) {
	if len(src) < 12 {
		return nil, fmt.Errorf("%w: lz4: chunk of %d bytes is shorter than its 12-byte header", ErrFilter, len(src))
	}
	total := binary.BigEndian.Uint64(src)
	if total != uint64(len(dst)) {
		return nil, fmt.Errorf("%w: lz4: header decoded size %d, want %d", ErrFilter, total, len(dst))
	}
	bs := int(binary.BigEndian.Uint32(src[8:]))
	if bs <= 0 {
		if len(dst) == 0 {
			return dst, nil
		}
		return nil, fmt.Errorf("%w: lz4: header block size 0", ErrFilter)
	}
	bs = min(bs, len(dst))
	ip, op := 12, 0
	for op < len(dst) {
		n := min(bs, len(dst)-op)
		cs, err := readBE32(src, ip, "lz4 block size")
		if err != nil {
			return nil, err
		}
		ip += 4
		if uint64(cs) > uint64(len(src)-ip) {
			return nil, fmt.Errorf("%w: lz4: block at offset %d of %d bytes passes the chunk end (%d bytes)", ErrFilter, ip, cs, len(src))
		}
		blk := src[ip : ip+int(cs)]
		if int(cs) == n {
			copy(dst[op:op+n], blk)
		} else {
			m, err := lz4.UncompressBlock(blk, dst[op:op+n])
			if err != nil {
				return nil, fmt.Errorf("%w: lz4: block at offset %d: %w", ErrFilter, ip, err)
			}
			if m != n {
				return nil, fmt.Errorf("%w: lz4: block at offset %d decoded to %d bytes, want %d", ErrFilter, ip, m, n)
			}
		}
		ip += int(cs)
		op += n
	}
	return dst, nil
}

// decodeBitshuffleLZ4 decodes a bitshuffle+LZ4 chunk into dst (len = decoded size)
// using tmp as block scratch; it returns dst and the (possibly grown) scratch.
func decodeBitshuffleLZ4(dst, src []byte, elemSize int, tmp []byte) ([]byte, []byte, error) {
	if len(src) < 12 {
		return nil, tmp, fmt.Errorf("%w: bitshuffle: chunk of %d bytes is shorter than its 12-byte header", ErrFilter, len(src))
	}
	if elemSize <= 0 {
		return nil, tmp, fmt.Errorf("%w: bitshuffle: element size %d", ErrFilter, elemSize)
	}
	total := binary.BigEndian.Uint64(src)
	if total != uint64(len(dst)) {
		return nil, tmp, fmt.Errorf("%w: bitshuffle: header decoded size %d, want %d", ErrFilter, total, len(dst))
	}
	if len(dst)%elemSize != 0 {
		return nil, tmp, fmt.Errorf("%w: bitshuffle: decoded size %d is not a multiple of the element size %d", ErrFilter, len(dst), elemSize)
	}
	bsBytes := int(binary.BigEndian.Uint32(src[8:]))
	bs := bsBytes / elemSize
	if bs == 0 {
		bs = bshufDefaultBlock(elemSize)
	}
	if bs%bshufBlockedMult != 0 {
		return nil, tmp, fmt.Errorf("%w: bitshuffle: block size %d elements is not a multiple of 8", ErrFilter, bs)
	}
	nelem := len(dst) / elemSize
	if need := min(bs, nelem) * elemSize; cap(tmp) < need {
		tmp = make([]byte, need)
	}
	ip, op := 12, 0
	block := func(n int) error {
		cs, err := readBE32(src, ip, "bitshuffle block size")
		if err != nil {
			return err
		}
		ip += 4
		if uint64(cs) > uint64(len(src)-ip) {
			return fmt.Errorf("%w: bitshuffle: block at offset %d of %d bytes passes the chunk end (%d bytes)", ErrFilter, ip, cs, len(src))
		}
		nb := n * elemSize
		m, err := lz4.UncompressBlock(src[ip:ip+int(cs)], tmp[:nb])
		if err != nil {
			return fmt.Errorf("%w: bitshuffle: lz4 block at offset %d: %w", ErrFilter, ip, err)
		}
		if m != nb {
			return fmt.Errorf("%w: bitshuffle: lz4 block at offset %d decoded to %d bytes, want %d", ErrFilter, ip, m, nb)
		}
		unshuffleBlock(dst[op:op+nb], tmp[:nb], n, elemSize)
		ip += int(cs)
		op += nb
		return nil
	}
	for range nelem / bs {
		if err := block(bs); err != nil {
			return nil, tmp, err
		}
	}
	if last := nelem % bs / bshufBlockedMult * bshufBlockedMult; last > 0 {
		if err := block(last); err != nil {
			return nil, tmp, err
		}
	}
	left := nelem % bshufBlockedMult * elemSize
	if len(src)-ip < left {
		return nil, tmp, fmt.Errorf("%w: bitshuffle: %d leftover bytes at offset %d pass the chunk end (%d bytes)", ErrFilter, left, ip, len(src))
	}
	copy(dst[op:], src[ip:ip+left])
	return dst, tmp, nil
}

// Bitunshuffle undoes an uncompressed bitshuffle (filter 32008 without compression):
// blocks of blockSize elements (0: the library default), then the remainder rounded
// down to 8 elements, then the last count%8 elements as stored. len(dst) must equal
// len(src), a multiple of elemSize.
func Bitunshuffle(dst, src []byte, elemSize, blockSize int) error {
	if len(dst) != len(src) {
		return fmt.Errorf("%w: bitshuffle: output %d bytes, input %d", ErrFilter, len(dst), len(src))
	}
	if elemSize <= 0 || len(src)%elemSize != 0 {
		return fmt.Errorf("%w: bitshuffle: %d bytes are not whole elements of %d bytes", ErrFilter, len(src), elemSize)
	}
	bs := blockSize
	if bs == 0 {
		bs = bshufDefaultBlock(elemSize)
	}
	if bs < 0 || bs%bshufBlockedMult != 0 {
		return fmt.Errorf("%w: bitshuffle: block size %d elements is not a positive multiple of 8", ErrFilter, bs)
	}
	nelem := len(src) / elemSize
	op := 0
	for range nelem / bs {
		nb := bs * elemSize
		unshuffleBlock(dst[op:op+nb], src[op:op+nb], bs, elemSize)
		op += nb
	}
	if last := nelem % bs / bshufBlockedMult * bshufBlockedMult; last > 0 {
		nb := last * elemSize
		unshuffleBlock(dst[op:op+nb], src[op:op+nb], last, elemSize)
		op += nb
	}
	copy(dst[op:], src[op:])
	return nil
}

// unshuffleBlock undoes the bit transpose of one block of n elements (n a multiple of
// 8) of s bytes. Rows of the block are nb = n/8 bytes long; the word kernels take 8
// row bytes (64 elements) at a time, the rest goes byte by byte.
func unshuffleBlock(dst, src []byte, n, s int) {
	nb := n / 8
	var done int
	switch s {
	case 1:
		done = unshuffleWords1(dst, src, nb)
	case 2:
		done = unshuffleWords2(dst, src, nb)
	default:
		done = unshuffleWords(dst, src, nb, s)
	}
	unshuffleBytes(dst, src, nb, s, done)
}

// unshuffleBytes undoes the transpose for row bytes from..nb-1 (elements 8·from on):
// for every such byte g and element byte j it gathers byte g of rows 8j..8j+7,
// transposes that 8×8 bit matrix and scatters the 8 result bytes.
func unshuffleBytes(dst, src []byte, nb, s, from int) {
	if from >= nb {
		return
	}
	_ = dst[8*nb*s-1]
	_ = src[8*nb*s-1]
	for g := from; g < nb; g++ {
		out := dst[g*8*s : (g+1)*8*s]
		for j := range s {
			rows := src[j*8*nb+g:]
			x := uint64(rows[0]) | uint64(rows[nb])<<8 | uint64(rows[2*nb])<<16 | uint64(rows[3*nb])<<24 |
				uint64(rows[4*nb])<<32 | uint64(rows[5*nb])<<40 | uint64(rows[6*nb])<<48 | uint64(rows[7*nb])<<56
			x = transpose8(x)
			for m := range 8 {
				out[m*s+j] = byte(x >> (8 * m))
			}
		}
	}
}

// swapBits exchanges the bits of a selected by m<<sh with the bits of b selected by m:
// one stage of a transpose by block swaps.
func swapBits(a, b uint64, sh uint, m uint64) (uint64, uint64) {
	t := (a>>sh ^ b) & m
	return a ^ t<<sh, b ^ t
}

// Masks of the block-swap stages: the low half of every 2h-bit group.
const (
	mask1  = 0x5555555555555555
	mask2  = 0x3333333333333333
	mask4  = 0x0f0f0f0f0f0f0f0f
	mask8  = 0x00ff00ff00ff00ff
	mask16 = 0x0000ffff0000ffff
	mask32 = 0x00000000ffffffff
)

// transpose8x64 turns 8 rows of 64 bits (row k: bit k of one byte of 64 elements,
// element i at bit i) into the 64 bytes of those elements: word q of the result holds
// elements 8q..8q+7, one byte each. Stages 4, 2, 1 transpose the 8×8 bit blocks of
// every byte column; stages 32, 16, 8 then transpose the 8×8 matrix of bytes.
func transpose8x64(w0, w1, w2, w3, w4, w5, w6, w7 uint64) (uint64, uint64, uint64, uint64, uint64, uint64, uint64, uint64) {
	w0, w4 = swapBits(w0, w4, 4, mask4)
	w1, w5 = swapBits(w1, w5, 4, mask4)
	w2, w6 = swapBits(w2, w6, 4, mask4)
	w3, w7 = swapBits(w3, w7, 4, mask4)
	w0, w2 = swapBits(w0, w2, 2, mask2)
	w1, w3 = swapBits(w1, w3, 2, mask2)
	w4, w6 = swapBits(w4, w6, 2, mask2)
	w5, w7 = swapBits(w5, w7, 2, mask2)
	w0, w1 = swapBits(w0, w1, 1, mask1)
	w2, w3 = swapBits(w2, w3, 1, mask1)
	w4, w5 = swapBits(w4, w5, 1, mask1)
	w6, w7 = swapBits(w6, w7, 1, mask1)
	// word r byte c is now element 8c+r: transpose the bytes
	w0, w4 = swapBits(w0, w4, 32, mask32)
	w1, w5 = swapBits(w1, w5, 32, mask32)
	w2, w6 = swapBits(w2, w6, 32, mask32)
	w3, w7 = swapBits(w3, w7, 32, mask32)
	w0, w2 = swapBits(w0, w2, 16, mask16)
	w1, w3 = swapBits(w1, w3, 16, mask16)
	w4, w6 = swapBits(w4, w6, 16, mask16)
	w5, w7 = swapBits(w5, w7, 16, mask16)
	w0, w1 = swapBits(w0, w1, 8, mask8)
	w2, w3 = swapBits(w2, w3, 8, mask8)
	w4, w5 = swapBits(w4, w5, 8, mask8)
	w6, w7 = swapBits(w6, w7, 8, mask8)
	return w0, w1, w2, w3, w4, w5, w6, w7
}

// unshuffleWords1 undoes the transpose of 1-byte elements 64 at a time and returns the
// number of row bytes done (a multiple of 8).
func unshuffleWords1(dst, src []byte, nb int) int {
	if nb < 8 || len(src) < 8*nb || len(dst) < 8*nb {
		return 0
	}
	ps, pd := unsafe.Pointer(unsafe.SliceData(src)), unsafe.Pointer(unsafe.SliceData(dst))
	g := 0
	for ; g <= nb-8; g += 8 {
		w0, w1, w2, w3, w4, w5, w6, w7 := transpose8x64(
			ld64(ps, g), ld64(ps, nb+g), ld64(ps, 2*nb+g), ld64(ps, 3*nb+g),
			ld64(ps, 4*nb+g), ld64(ps, 5*nb+g), ld64(ps, 6*nb+g), ld64(ps, 7*nb+g))
		o := unsafe.Add(pd, 8*g)
		st64(o, 0, w0)
		st64(o, 8, w1)
		st64(o, 16, w2)
		st64(o, 24, w3)
		st64(o, 32, w4)
		st64(o, 40, w5)
		st64(o, 48, w6)
		st64(o, 56, w7)
	}
	return g
}

// ld64 loads the little-endian uint64 at p+off; the caller has checked the bounds.
func ld64(p unsafe.Pointer, off int) uint64 {
	return binary.LittleEndian.Uint64((*[8]byte)(unsafe.Add(p, off))[:])
}

// st64 stores v little-endian at p+off; the caller has checked the bounds.
func st64(p unsafe.Pointer, off int, v uint64) {
	binary.LittleEndian.PutUint64((*[8]byte)(unsafe.Add(p, off))[:], v)
}

// unshuffleWords2 undoes the transpose of 2-byte elements 64 at a time (16 rows of 64
// bits → 64 uint16) and returns the number of row bytes done. Stages 8, 4, 2, 1
// transpose the 16×16 bit blocks, leaving element 16c+r in the 16-bit lane c of word
// r; stages 32 and 16 then transpose the 4×4 lane matrices of words 4a..4a+3, so that
// word 4a+c holds elements 16c+4a..16c+4a+3, the result word 4c+a. After stage 8 words
// 0..7 and 8..15 never meet again: each half is finished on its own (reloading the
// rows for the second) so that its 8 words stay in registers.
func unshuffleWords2(dst, src []byte, nb int) int {
	if nb < 8 || len(src) < 16*nb || len(dst) < 16*nb {
		return 0
	}
	ps, pd := unsafe.Pointer(unsafe.SliceData(src)), unsafe.Pointer(unsafe.SliceData(dst))
	g := 0
	for ; g <= nb-8; g += 8 {
		p := unsafe.Add(ps, g)
		o := unsafe.Add(pd, 16*g)
		w0, w1, w2, w3, w4, w5, w6, w7 := finish16(loadLo(p, nb))
		st64(o, 0, w0)
		st64(o, 32, w1)
		st64(o, 64, w2)
		st64(o, 96, w3)
		st64(o, 8, w4)
		st64(o, 40, w5)
		st64(o, 72, w6)
		st64(o, 104, w7)
		w0, w1, w2, w3, w4, w5, w6, w7 = finish16(loadHi(p, nb))
		st64(o, 16, w0)
		st64(o, 48, w1)
		st64(o, 80, w2)
		st64(o, 112, w3)
		st64(o, 24, w4)
		st64(o, 56, w5)
		st64(o, 88, w6)
		st64(o, 120, w7)
	}
	return g
}

// loadLo loads rows 0..7 and 8..15 at p (rows nb bytes apart) and returns words 0..7
// after stage 8 of unshuffleWords2.
func loadLo(p unsafe.Pointer, nb int) (uint64, uint64, uint64, uint64, uint64, uint64, uint64, uint64) {
	h := unsafe.Add(p, 8*nb)
	w0 := lo8(ld64(p, 0), ld64(h, 0))
	p, h = unsafe.Add(p, nb), unsafe.Add(h, nb)
	w1 := lo8(ld64(p, 0), ld64(h, 0))
	p, h = unsafe.Add(p, nb), unsafe.Add(h, nb)
	w2 := lo8(ld64(p, 0), ld64(h, 0))
	p, h = unsafe.Add(p, nb), unsafe.Add(h, nb)
	w3 := lo8(ld64(p, 0), ld64(h, 0))
	p, h = unsafe.Add(p, nb), unsafe.Add(h, nb)
	w4 := lo8(ld64(p, 0), ld64(h, 0))
	p, h = unsafe.Add(p, nb), unsafe.Add(h, nb)
	w5 := lo8(ld64(p, 0), ld64(h, 0))
	p, h = unsafe.Add(p, nb), unsafe.Add(h, nb)
	w6 := lo8(ld64(p, 0), ld64(h, 0))
	p, h = unsafe.Add(p, nb), unsafe.Add(h, nb)
	w7 := lo8(ld64(p, 0), ld64(h, 0))
	return w0, w1, w2, w3, w4, w5, w6, w7
}

// loadHi is loadLo for words 8..15.
func loadHi(p unsafe.Pointer, nb int) (uint64, uint64, uint64, uint64, uint64, uint64, uint64, uint64) {
	h := unsafe.Add(p, 8*nb)
	w0 := hi8(ld64(p, 0), ld64(h, 0))
	p, h = unsafe.Add(p, nb), unsafe.Add(h, nb)
	w1 := hi8(ld64(p, 0), ld64(h, 0))
	p, h = unsafe.Add(p, nb), unsafe.Add(h, nb)
	w2 := hi8(ld64(p, 0), ld64(h, 0))
	p, h = unsafe.Add(p, nb), unsafe.Add(h, nb)
	w3 := hi8(ld64(p, 0), ld64(h, 0))
	p, h = unsafe.Add(p, nb), unsafe.Add(h, nb)
	w4 := hi8(ld64(p, 0), ld64(h, 0))
	p, h = unsafe.Add(p, nb), unsafe.Add(h, nb)
	w5 := hi8(ld64(p, 0), ld64(h, 0))
	p, h = unsafe.Add(p, nb), unsafe.Add(h, nb)
	w6 := hi8(ld64(p, 0), ld64(h, 0))
	p, h = unsafe.Add(p, nb), unsafe.Add(h, nb)
	w7 := hi8(ld64(p, 0), ld64(h, 0))
	return w0, w1, w2, w3, w4, w5, w6, w7
}

// lo8 and hi8 are the two results of swapBits(a, b, 8, mask8).
func lo8(a, b uint64) uint64 { return a ^ ((a>>8^b)&mask8)<<8 }
func hi8(a, b uint64) uint64 { return b ^ (a>>8^b)&mask8 }

// finish16 runs stages 4, 2, 1, 32 and 16 of unshuffleWords2 on one half.
func finish16(w0, w1, w2, w3, w4, w5, w6, w7 uint64) (uint64, uint64, uint64, uint64, uint64, uint64, uint64, uint64) {
	w0, w4 = swapBits(w0, w4, 4, mask4)
	w1, w5 = swapBits(w1, w5, 4, mask4)
	w2, w6 = swapBits(w2, w6, 4, mask4)
	w3, w7 = swapBits(w3, w7, 4, mask4)
	w0, w2 = swapBits(w0, w2, 2, mask2)
	w1, w3 = swapBits(w1, w3, 2, mask2)
	w4, w6 = swapBits(w4, w6, 2, mask2)
	w5, w7 = swapBits(w5, w7, 2, mask2)
	w0, w1 = swapBits(w0, w1, 1, mask1)
	w2, w3 = swapBits(w2, w3, 1, mask1)
	w4, w5 = swapBits(w4, w5, 1, mask1)
	w6, w7 = swapBits(w6, w7, 1, mask1)
	w0, w2 = swapBits(w0, w2, 32, mask32)
	w1, w3 = swapBits(w1, w3, 32, mask32)
	w4, w6 = swapBits(w4, w6, 32, mask32)
	w5, w7 = swapBits(w5, w7, 32, mask32)
	w0, w1 = swapBits(w0, w1, 16, mask16)
	w2, w3 = swapBits(w2, w3, 16, mask16)
	w4, w5 = swapBits(w4, w5, 16, mask16)
	w6, w7 = swapBits(w6, w7, 16, mask16)
	return w0, w1, w2, w3, w4, w5, w6, w7
}

// unshuffleWords undoes the transpose of s-byte elements 64 at a time, one element
// byte (8 rows) after the other, and returns the number of row bytes done.
func unshuffleWords(dst, src []byte, nb, s int) int {
	if nb < 8 {
		return 0
	}
	le := binary.LittleEndian
	dst = dst[:8*nb*s]
	var out [64]byte
	g := 0
	for j := range s {
		p := src[8*j*nb:]
		r0, r1, r2, r3 := row(p, 0, nb), row(p, 1, nb), row(p, 2, nb), row(p, 3, nb)
		r4, r5, r6, r7 := row(p, 4, nb), row(p, 5, nb), row(p, 6, nb), row(p, 7, nb)
		for g = 0; g <= nb-8; g += 8 {
			w0, w1, w2, w3, w4, w5, w6, w7 := transpose8x64(
				le.Uint64(r0[g:]), le.Uint64(r1[g:]), le.Uint64(r2[g:]), le.Uint64(r3[g:]),
				le.Uint64(r4[g:]), le.Uint64(r5[g:]), le.Uint64(r6[g:]), le.Uint64(r7[g:]))
			le.PutUint64(out[0:], w0)
			le.PutUint64(out[8:], w1)
			le.PutUint64(out[16:], w2)
			le.PutUint64(out[24:], w3)
			le.PutUint64(out[32:], w4)
			le.PutUint64(out[40:], w5)
			le.PutUint64(out[48:], w6)
			le.PutUint64(out[56:], w7)
			o := dst[8*g*s+j:]
			for i, b := range out {
				o[i*s] = b
			}
		}
	}
	return g
}

// row returns row k (nb bytes) of a shuffled block.
func row(src []byte, k, nb int) []byte {
	return src[k*nb:][:nb:nb]
}

// transpose8 transposes the 8×8 bit matrix whose row r is byte r of x (column c = bit
// c): bit c of byte r moves to bit r of byte c.
func transpose8(x uint64) uint64 {
	t := (x ^ (x >> 7)) & 0x00AA00AA00AA00AA
	x ^= t ^ (t << 7)
	t = (x ^ (x >> 14)) & 0x0000CCCC0000CCCC
	x ^= t ^ (t << 14)
	t = (x ^ (x >> 28)) & 0x00000000F0F0F0F0
	x ^= t ^ (t << 28)
	return x
}
