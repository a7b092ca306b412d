package render

import (
	"encoding/binary"
	"hash/crc32"
	"image"
	"io"
	"sync"
)

// pngSignature starts every PNG file.
var pngSignature = []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}

// pngBufs keeps the byte buffers whole PNG files are assembled in between
// pictures (one Write per file).
var pngBufs = sync.Pool{New: func() any { return new([]byte) }}

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
// interlace, filter type None on every row) with a single Write: the IDAT data is
// the stream of deflateRGB, which finds the repeated rows and runs of equal pixels
// of magnified pictures directly (see deflate.go). The decoded pixels are the
// picture's.
func encodeRGB(w io.Writer, img *image.NRGBA) error {
	b := img.Rect
	return encodeRows(w, b.Dx(), b.Dy(), func(y int) []byte {
		return img.Pix[img.PixOffset(b.Min.X, b.Min.Y+y):img.PixOffset(b.Max.X, b.Min.Y+y)]
	})
}

// encodeRows is encodeRGB for a width×height opaque picture given by its NRGBA
// rows (see deflateRows).
func encodeRows(w io.Writer, width, height int, rowAt func(y int) []byte) error {
	bp := pngBufs.Get().(*[]byte)
	defer pngBufs.Put(bp)
	out := (*bp)[:0]
	// Reserve the size of the raw scanlines once (at most 4 MiB) instead of
	// growing by doubling: each growth is fresh memory to fault in, while pages of
	// the reservation that the file does not reach are never touched.
	if want := min(3*width*height+height+256, 4<<20); cap(out) < want {
		out = make([]byte, 0, want)
	}
	out = append(out, pngSignature...)
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(width))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(height))
	ihdr[8], ihdr[9] = 8, 2 // bit depth, colour type RGB; compression, filter, interlace 0
	out = appendChunk(out, "IHDR", ihdr[:])
	// IDAT: length and type first, the data appended in place, then both patched
	start := len(out)
	out = append(out, 0, 0, 0, 0, 'I', 'D', 'A', 'T')
	out = deflateRows(out, width, height, rowAt)
	binary.BigEndian.PutUint32(out[start:], uint32(len(out)-start-8))
	out = binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(out[start+4:]))
	out = appendChunk(out, "IEND", nil)
	if cap(out) <= 4<<20 { // keep buffers of ordinary pictures only
		*bp = out
	}
	_, err := w.Write(out)
	return err
}

// appendChunk appends one PNG chunk: length, type, data, CRC-32 of type and data.
func appendChunk(out []byte, typ string, data []byte) []byte {
	out = binary.BigEndian.AppendUint32(out, uint32(len(data)))
	start := len(out)
	out = append(out, typ...)
	out = append(out, data...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(out[start:]))
}
