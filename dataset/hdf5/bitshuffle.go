package hdf5

import (
	"encoding/binary"
	"fmt"

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
// 8) of s bytes: for every group of 8 elements and every byte j it gathers the 8 bytes
// of rows 8j..8j+7, transposes that 8×8 bit matrix and scatters the 8 result bytes.
func unshuffleBlock(dst, src []byte, n, s int) {
	nb := n / 8 // bytes per row
	if s == 2 {
		unshuffleBlock2(dst, src, nb)
		return
	}
	_ = dst[n*s-1]
	_ = src[n*s-1]
	for g := range nb {
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

// unshuffleBlock2 is unshuffleBlock for 2-byte elements (the common detector case).
func unshuffleBlock2(dst, src []byte, nb int) {
	r0 := src[0*nb : 1*nb]
	r1 := src[1*nb : 2*nb]
	r2 := src[2*nb : 3*nb]
	r3 := src[3*nb : 4*nb]
	r4 := src[4*nb : 5*nb]
	r5 := src[5*nb : 6*nb]
	r6 := src[6*nb : 7*nb]
	r7 := src[7*nb : 8*nb]
	h0 := src[8*nb : 9*nb]
	h1 := src[9*nb : 10*nb]
	h2 := src[10*nb : 11*nb]
	h3 := src[11*nb : 12*nb]
	h4 := src[12*nb : 13*nb]
	h5 := src[13*nb : 14*nb]
	h6 := src[14*nb : 15*nb]
	h7 := src[15*nb : 16*nb]
	dst = dst[:16*nb]
	for g := range nb {
		lo := transpose8(uint64(r0[g]) | uint64(r1[g])<<8 | uint64(r2[g])<<16 | uint64(r3[g])<<24 |
			uint64(r4[g])<<32 | uint64(r5[g])<<40 | uint64(r6[g])<<48 | uint64(r7[g])<<56)
		hi := transpose8(uint64(h0[g]) | uint64(h1[g])<<8 | uint64(h2[g])<<16 | uint64(h3[g])<<24 |
			uint64(h4[g])<<32 | uint64(h5[g])<<40 | uint64(h6[g])<<48 | uint64(h7[g])<<56)
		// interleave the bytes of lo (low bytes) and hi (high bytes) into 8 uint16
		a := spreadBytes(uint32(lo)) | spreadBytes(uint32(hi))<<8
		b := spreadBytes(uint32(lo>>32)) | spreadBytes(uint32(hi>>32))<<8
		o := dst[g*16 : g*16+16]
		binary.LittleEndian.PutUint64(o, a)
		binary.LittleEndian.PutUint64(o[8:], b)
	}
}

// spreadBytes moves byte i of x to byte 2i of the result.
func spreadBytes(x uint32) uint64 {
	v := uint64(x)
	v = (v | v<<16) & 0x0000ffff0000ffff
	v = (v | v<<8) & 0x00ff00ff00ff00ff
	return v
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
