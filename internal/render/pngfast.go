package render

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"io"
	"slices"
	"sync"

	"github.com/klauspost/compress/zlib"
)

// pngSignature starts every PNG file.
var pngSignature = []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}

// rgbState is the reusable state of encodeRGB: the compressed stream, its zlib
// writer and the row buffers.
type rgbState struct {
	idat      bytes.Buffer
	zw        *zlib.Writer
	cur, prev []byte
	out       []byte
}

var rgbPool = sync.Pool{New: func() any { return new(rgbState) }}

// opaque reports whether every pixel of img has alpha 255.
func opaque(img *image.NRGBA) bool {
	b := img.Rect
	for y := b.Min.Y; y < b.Max.Y; y++ {
		row := img.Pix[img.PixOffset(b.Min.X, y):img.PixOffset(b.Max.X, y)]
		for i := 3; i < len(row); i += 4 {
			if row[i] != 0xff {
				return false
			}
		}
	}
	return true
}

// encodeRGB writes an opaque NRGBA picture as an 8-bit RGB PNG (colour type 2, no
// interlace) whose rows all use the Up filter (row minus the row above), deflated
// at klauspost/compress's fastest zlib level. The pictures of this package are
// magnified heatmaps: runs of equal rows become zero rows and runs of equal pixels
// long matches, so one fixed filter compresses them about as well as image/png's
// per-row filter choice, which costs most of its encoding time. The decoded pixels
// are the picture's either way.
func encodeRGB(w io.Writer, img *image.NRGBA) error {
	s := rgbPool.Get().(*rgbState)
	defer rgbPool.Put(s)
	b := img.Rect
	width, height := b.Dx(), b.Dy()
	n := 3 * width
	s.cur = slices.Grow(s.cur[:0], n)[:n]
	s.prev = slices.Grow(s.prev[:0], n)[:n]
	s.out = slices.Grow(s.out[:0], n+1)[:n+1]
	clear(s.prev)
	s.idat.Reset()
	if s.zw == nil {
		zw, err := zlib.NewWriterLevel(&s.idat, zlib.BestSpeed)
		if err != nil {
			return err
		}
		s.zw = zw
	} else {
		s.zw.Reset(&s.idat)
	}
	s.out[0] = 2 // Up
	for y := b.Min.Y; y < b.Max.Y; y++ {
		row := img.Pix[img.PixOffset(b.Min.X, y):img.PixOffset(b.Max.X, y)]
		cur, prev, out := s.cur[:n], s.prev[:n], s.out[1:n+1]
		for x, i := 0, 0; x < n; x, i = x+3, i+4 {
			cur[x], cur[x+1], cur[x+2] = row[i], row[i+1], row[i+2]
		}
		for i := range out {
			out[i] = cur[i] - prev[i]
		}
		if _, err := s.zw.Write(s.out[:n+1]); err != nil {
			return err
		}
		s.cur, s.prev = s.prev, s.cur
	}
	if err := s.zw.Close(); err != nil {
		return err
	}
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(width))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(height))
	ihdr[8], ihdr[9] = 8, 2 // bit depth, colour type RGB; compression, filter, interlace 0
	if _, err := w.Write(pngSignature); err != nil {
		return err
	}
	for _, c := range []struct {
		typ  string
		data []byte
	}{{"IHDR", ihdr[:]}, {"IDAT", s.idat.Bytes()}, {"IEND", nil}} {
		if err := writeChunk(w, c.typ, c.data); err != nil {
			return err
		}
	}
	return nil
}

// writeChunk writes one PNG chunk: length, type, data, CRC-32 of type and data.
func writeChunk(w io.Writer, typ string, data []byte) error {
	var head [8]byte
	binary.BigEndian.PutUint32(head[:4], uint32(len(data)))
	copy(head[4:], typ)
	var tail [4]byte
	binary.BigEndian.PutUint32(tail[:], crc32.Update(crc32.ChecksumIEEE(head[4:]), crc32.IEEETable, data))
	for _, p := range [][]byte{head[:], data, tail[:]} {
		if _, err := w.Write(p); err != nil {
			return err
		}
	}
	return nil
}
