package array

import (
	"bytes"
	"io"
	"testing"
)

func reportGBs(b *testing.B, bytesPerOp int) {
	b.SetBytes(int64(bytesPerOp))
	b.ReportMetric(float64(bytesPerOp)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
}

// BenchmarkConvertInto decodes a 256×256 uint16 frame stack (16 frames, 2 MiB) to
// float32 through the generic scalar conversion path.
func BenchmarkConvertInto(b *testing.B) {
	src := Zeros[uint16](16, 256, 256)
	for i := range src.Data() {
		src.Data()[i] = uint16(i)
	}
	dst := Zeros[float32](16, 256, 256)
	b.ReportAllocs()
	for b.Loop() {
		if err := ConvertInto(dst, src); err != nil {
			b.Fatal(err)
		}
	}
	reportGBs(b, 2*src.Size())
}

// BenchmarkCopyFromStrided copies a sig-sliced (64, 128, 64) float32 view of a
// (64, 128, 128) stack into a contiguous buffer.
func BenchmarkCopyFromStrided(b *testing.B) {
	src := Zeros[float32](64, 128, 128).Slice(Range{0, 64}, Range{0, 128}, Range{32, 96})
	dst := Zeros[float32](64, 128, 64)
	b.ReportAllocs()
	for b.Loop() {
		if err := dst.CopyFrom(src); err != nil {
			b.Fatal(err)
		}
	}
	reportGBs(b, 4*dst.Size())
}

// BenchmarkViewHeaders is the per-frame cost of pointing reusable headers at the next
// frame and a sig sub-box of it (must be 0 allocs).
func BenchmarkViewHeaders(b *testing.B) {
	stack := Zeros[float32](32, 64, 64)
	var frame, box Dense[float32]
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		stack.RowInto(&frame, i&31)
		frame.SliceInto(&box, Range{8, 40}, Range{0, 64})
		i++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/frame")
}

func BenchmarkWriteNPY(b *testing.B) {
	a := Zeros[float32](64, 128, 128) // 4 MiB
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := WriteNPY(&buf, a); err != nil {
			b.Fatal(err)
		}
	}
	reportGBs(b, 4*a.Size())
}

// BenchmarkWriteNPYStrided writes a transposed (non-contiguous) 4 MiB array.
func BenchmarkWriteNPYStrided(b *testing.B) {
	a := Zeros[float32](64, 128, 128).Transpose(0, 2, 1)
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteNPY(io.Discard, a); err != nil {
			b.Fatal(err)
		}
	}
	reportGBs(b, 4*a.Size())
}

func BenchmarkReadNPY(b *testing.B) {
	a := Zeros[float32](64, 128, 128)
	var buf bytes.Buffer
	if err := WriteNPY(&buf, a); err != nil {
		b.Fatal(err)
	}
	raw := buf.Bytes()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadNPY(bytes.NewReader(raw)); err != nil {
			b.Fatal(err)
		}
	}
	reportGBs(b, 4*a.Size())
}

func BenchmarkSubslices(b *testing.B) {
	p := NewSlice([]int{0, 0, 0}, NewShape([]int{1024, 256, 256}, 2))
	b.ReportAllocs()
	for b.Loop() {
		_ = p.Subslices([]int{32, 64, 256})
	}
}
