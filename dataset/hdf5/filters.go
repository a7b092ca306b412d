package hdf5

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/zlib"
	"github.com/klauspost/compress/zstd"
)

// HDF5 filter identifiers (H5Z_FILTER_* and the registered plugin ids).
const (
	FilterDeflate     = 1
	FilterShuffle     = 2
	FilterFletcher32  = 3
	FilterSZIP        = 4
	FilterNBit        = 5
	FilterScaleOffset = 6
	FilterLZF         = 32000
	FilterBlosc       = 32001
	FilterLZ4         = 32004
	FilterBitshuffle  = 32008
	FilterZstd        = 32015
)

// Bitshuffle compression modes (the fifth filter parameter of FilterBitshuffle).
const (
	bshufNone = 0
	bshufLZ4  = 2
	bshufZstd = 3
)

// ErrFilter is wrapped by errors about filters: unsupported filters and chunk bytes a
// filter cannot decode.
var ErrFilter = errors.New("hdf5 filter")

// Filter is one stage of a dataset's filter pipeline, in the order it was applied when
// writing (decoding runs the pipeline backwards).
type Filter struct {
	ID     int      // filter id (FilterDeflate, ...)
	Name   string   // the name stored in the file, for messages
	Params []uint32 // the client data values (cd_values)
}

// String names the filter: "bitshuffle+lz4 (32008)".
func (f Filter) String() string {
	n := FilterName(f.ID)
	if f.ID == FilterBitshuffle {
		switch f.param(4, 0) {
		case bshufLZ4:
			n += "+lz4"
		case bshufZstd:
			n += "+zstd"
		}
	}
	return fmt.Sprintf("%s (%d)", n, f.ID)
}

func (f Filter) param(i int, def uint32) uint32 {
	if i < len(f.Params) {
		return f.Params[i]
	}
	return def
}

// FilterName returns a short name for a filter id.
func FilterName(id int) string {
	switch id {
	case FilterDeflate:
		return "gzip"
	case FilterShuffle:
		return "shuffle"
	case FilterFletcher32:
		return "fletcher32"
	case FilterSZIP:
		return "szip"
	case FilterNBit:
		return "nbit"
	case FilterScaleOffset:
		return "scaleoffset"
	case FilterLZF:
		return "lzf"
	case FilterBlosc:
		return "blosc"
	case FilterLZ4:
		return "lz4"
	case FilterBitshuffle:
		return "bitshuffle"
	case FilterZstd:
		return "zstd"
	}
	return fmt.Sprintf("filter-%d", id)
}

// CheckFilters returns an error wrapping ErrFilter for the first filter of the pipeline
// DecodeChunk cannot decode.
func CheckFilters(filters []Filter) error {
	for _, f := range filters {
		switch f.ID {
		case FilterDeflate, FilterShuffle, FilterFletcher32, FilterLZF, FilterLZ4, FilterZstd:
		case FilterBitshuffle:
			if m := f.param(4, 0); m != bshufNone && m != bshufLZ4 {
				return fmt.Errorf("%w: bitshuffle compression mode %d is not supported (want 0 none or 2 lz4)", ErrFilter, m)
			}
		default:
			return fmt.Errorf("%w: %s is not supported (supported: gzip, shuffle, fletcher32, lzf, lz4, bitshuffle, bitshuffle+lz4, zstd)", ErrFilter, f)
		}
	}
	return nil
}

// Decoder decodes chunks. It holds scratch buffers and decompressor state, so it is not
// safe for concurrent use: keep one per goroutine. The zero value is ready to use.
type Decoder struct {
	bufs [2][]byte
	tmp  []byte // bitshuffle block scratch
	zr   io.ReadCloser
	br   bytes.Reader
	zd   *zstd.Decoder
}

// DecodeChunk undoes the filter pipeline on the stored bytes src of one chunk whose
// decoded size is n bytes of elements of elemSize bytes. Bit i of mask set means filter i
// was skipped for this chunk (HDF5's filter mask). The result is in a buffer of the
// Decoder (or src itself when no filter ran), valid until the next call.
func (d *Decoder) DecodeChunk(src []byte, filters []Filter, mask uint32, n, elemSize int) ([]byte, error) {
	return d.decode(nil, src, filters, mask, n, elemSize)
}

// DecodeChunkInto is DecodeChunk writing the decoded chunk into dst (its length is the
// decoded size): the last filter stage decodes straight into dst, without a copy.
func (d *Decoder) DecodeChunkInto(dst, src []byte, filters []Filter, mask uint32, elemSize int) error {
	out, err := d.decode(dst, src, filters, mask, len(dst), elemSize)
	if err != nil {
		return err
	}
	if len(out) > 0 && &out[0] != &dst[0] {
		copy(dst, out)
	}
	return nil
}

// decode runs the pipeline; the last stage writes into final when it is not nil.
func (d *Decoder) decode(final, src []byte, filters []Filter, mask uint32, n, elemSize int) ([]byte, error) {
	last := -1 // the last stage to run (the first filter applied when writing)
	for i := range filters {
		if (i >= 32 || mask&(1<<i) == 0) && filters[i].ID != FilterFletcher32 {
			last = i
			break
		}
	}
	cur := src
	which := 0
	for i := len(filters) - 1; i >= 0; i-- {
		if i < 32 && mask&(1<<i) != 0 {
			continue
		}
		f := filters[i]
		if f.ID == FilterFletcher32 {
			if len(cur) < 4 {
				return nil, fmt.Errorf("%w: fletcher32: chunk of %d bytes has no checksum", ErrFilter, len(cur))
			}
			cur = cur[:len(cur)-4]
			continue
		}
		// the size this stage produces: the final size for the last stage, else unknown
		out := func(size int) []byte {
			if i == last && final != nil && size == len(final) {
				return final
			}
			return d.buf(which, size)
		}
		dst := out(n)
		var err error
		switch f.ID {
		case FilterDeflate:
			dst, err = d.inflate(dst, cur)
		case FilterShuffle:
			es := int(f.param(0, uint32(elemSize)))
			dst = out(len(cur))
			err = Unshuffle(dst, cur, es)
		case FilterLZF:
			dst, err = d.lzf(dst, cur)
		case FilterLZ4:
			dst, err = DecodeLZ4(dst, cur)
		case FilterBitshuffle:
			es := int(f.param(2, uint32(elemSize)))
			switch f.param(4, 0) {
			case bshufLZ4:
				dst, d.tmp, err = decodeBitshuffleLZ4(dst, cur, es, d.tmp)
			case bshufNone:
				dst = out(len(cur))
				err = Bitunshuffle(dst, cur, es, int(f.param(3, 0)))
			default:
				err = fmt.Errorf("%w: bitshuffle compression mode %d is not supported", ErrFilter, f.param(4, 0))
			}
		case FilterZstd:
			if d.zd == nil {
				d.zd, err = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(1<<30))
				if err != nil {
					return nil, fmt.Errorf("%w: zstd: %w", ErrFilter, err)
				}
			}
			dst, err = d.zd.DecodeAll(cur, dst[:0])
		default:
			err = CheckFilters([]Filter{f})
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		if dst != nil && (len(final) == 0 || cap(dst) == 0 || &dst[:1][0] != &final[0]) {
			d.bufs[which] = dst[:cap(dst)]
		}
		cur = dst
		which ^= 1
	}
	if len(cur) != n {
		return nil, fmt.Errorf("%w: chunk decoded to %d bytes, want %d", ErrFilter, len(cur), n)
	}
	return cur, nil
}

// buf returns scratch buffer i with room for at least n bytes.
func (d *Decoder) buf(i, n int) []byte {
	if cap(d.bufs[i]) < n {
		d.bufs[i] = make([]byte, n)
	}
	return d.bufs[i][:n]
}

// inflate decodes a zlib stream (HDF5's deflate filter) into dst, growing it if the
// stream holds more.
func (d *Decoder) inflate(dst, src []byte) ([]byte, error) {
	d.br.Reset(src)
	var err error
	if d.zr == nil {
		d.zr, err = zlib.NewReader(&d.br)
	} else {
		err = d.zr.(zlib.Resetter).Reset(&d.br, nil)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: deflate: %w", ErrFilter, err)
	}
	n, err := io.ReadFull(d.zr, dst)
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		return dst[:n], nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: deflate: %w", ErrFilter, err)
	}
	// dst is full: the stream must end here (extra output means a wrong chunk size)
	var one [1]byte
	m, err := d.zr.Read(one[:])
	if m > 0 {
		return nil, fmt.Errorf("%w: deflate: stream holds more than %d bytes", ErrFilter, len(dst))
	}
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("%w: deflate: %w", ErrFilter, err)
	}
	return dst, nil
}

// lzf decodes an LZF stream into dst (whose length is the expected size).
func (d *Decoder) lzf(dst, src []byte) ([]byte, error) {
	n, err := DecodeLZF(dst, src)
	if err != nil {
		return nil, err
	}
	return dst[:n], nil
}

// Unshuffle undoes HDF5's byte shuffle: src holds byte 0 of every element, then byte 1
// of every element, ...; bytes past the last whole element are copied as they are.
// len(dst) must equal len(src).
func Unshuffle(dst, src []byte, elemSize int) error {
	if len(dst) != len(src) {
		return fmt.Errorf("%w: shuffle: output %d bytes, input %d", ErrFilter, len(dst), len(src))
	}
	if elemSize <= 1 {
		copy(dst, src)
		return nil
	}
	n := len(src) / elemSize
	for j := range elemSize {
		plane := src[j*n : (j+1)*n]
		for i, b := range plane {
			dst[i*elemSize+j] = b
		}
	}
	copy(dst[n*elemSize:], src[n*elemSize:])
	return nil
}

// DecodeLZF decodes an LZF (liblzf) stream into dst and returns the number of bytes
// written. Output that does not fit dst, and back references before the start of the
// output, are errors.
func DecodeLZF(dst, src []byte) (int, error) {
	op, ip := 0, 0
	for ip < len(src) {
		ctrl := int(src[ip])
		ip++
		if ctrl < 32 { // literal run of ctrl+1 bytes
			n := ctrl + 1
			if ip+n > len(src) {
				return op, fmt.Errorf("%w: lzf: literal run of %d bytes at input offset %d passes the end (%d bytes)", ErrFilter, n, ip, len(src))
			}
			if op+n > len(dst) {
				return op, fmt.Errorf("%w: lzf: output exceeds %d bytes", ErrFilter, len(dst))
			}
			copy(dst[op:], src[ip:ip+n])
			op += n
			ip += n
			continue
		}
		n := ctrl >> 5
		if n == 7 {
			if ip >= len(src) {
				return op, fmt.Errorf("%w: lzf: truncated back reference at input offset %d", ErrFilter, ip)
			}
			n += int(src[ip])
			ip++
		}
		if ip >= len(src) {
			return op, fmt.Errorf("%w: lzf: truncated back reference at input offset %d", ErrFilter, ip)
		}
		ref := op - ((ctrl & 0x1f) << 8) - 1 - int(src[ip])
		ip++
		n += 2
		if ref < 0 {
			return op, fmt.Errorf("%w: lzf: back reference %d bytes before the output start", ErrFilter, -ref)
		}
		if op+n > len(dst) {
			return op, fmt.Errorf("%w: lzf: output exceeds %d bytes", ErrFilter, len(dst))
		}
		if op-ref >= n {
			copy(dst[op:op+n], dst[ref:ref+n])
		} else {
			for k := range n { // overlapping copy repeats the pattern
				dst[op+k] = dst[ref+k]
			}
		}
		op += n
	}
	return op, nil
}

// readBE32 reads a big-endian uint32 at off, or fails naming what was read.
func readBE32(src []byte, off int, what string) (uint32, error) {
	if off < 0 || off+4 > len(src) {
		return 0, fmt.Errorf("%w: %s: need 4 bytes at offset %d, the chunk has %d", ErrFilter, what, off, len(src))
	}
	return binary.BigEndian.Uint32(src[off:]), nil
}
