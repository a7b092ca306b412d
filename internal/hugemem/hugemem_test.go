package hugemem

import (
	"runtime/debug"
	"testing"
	"unsafe"
)

func TestMake(t *testing.T) {
	cases := []struct {
		name    string
		n       int
		aligned bool // on a system with support
	}{
		{"empty", 0, false},
		{"small", 1000, false},
		{"just below MinBytes", MinBytes/8 - 1, false},
		{"MinBytes", MinBytes / 8, true},
		{"one page", PageSize / 8, true},
		{"odd, over a page", PageSize/8 + 3, true},
		{"three pages", 3 * PageSize / 8, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := Make[float64](c.n)
			if len(b) != c.n || cap(b) != c.n {
				t.Fatalf("len %d cap %d, want %d and %d", len(b), cap(b), c.n, c.n)
			}
			for i, v := range b {
				if v != 0 {
					t.Fatalf("element %d is %v, want 0", i, v)
				}
			}
			for i := range b {
				b[i] = float64(i)
			}
			for i, v := range b {
				if v != float64(i) {
					t.Fatalf("element %d reads %v after writing %d", i, v, i)
				}
			}
			if c.n == 0 {
				return
			}
			p := uintptr(unsafe.Pointer(&b[0]))
			if want := c.aligned && supported; want && p%PageSize != 0 {
				t.Errorf("start %#x is not %d-aligned", p, PageSize)
			}
		})
	}
}

func TestMakeElementSizes(t *testing.T) {
	check := func(name string, n, size int, p uintptr) {
		t.Helper()
		if supported && n*size >= MinBytes && p%PageSize != 0 {
			t.Errorf("%s: start %#x is not %d-aligned", name, p, PageSize)
		}
	}
	const n = 1 << 20
	b1 := Make[byte](n)
	check("byte", len(b1), 1, uintptr(unsafe.Pointer(&b1[0])))
	b2 := Make[uint16](n)
	check("uint16", len(b2), 2, uintptr(unsafe.Pointer(&b2[0])))
	b16 := Make[complex128](n / 16)
	check("complex128", len(b16), 16, uintptr(unsafe.Pointer(&b16[0])))
	b3 := Make[[3]byte](n) // a size that does not divide the page: still a valid slice
	if len(b3) != n || b3[n-1] != [3]byte{} {
		t.Errorf("[3]byte: len %d", len(b3))
	}
	b0 := Make[struct{}](n)
	if len(b0) != n {
		t.Errorf("struct{}: len %d, want %d", len(b0), n)
	}
}

func TestMakeNegative(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Make(-1) did not panic")
		}
	}()
	Make[byte](-1)
}

func BenchmarkMakeTouch(b *testing.B) {
	// The cost a one-shot pass pays for a fresh 1 MiB tile buffer: allocate it and
	// write every page once. Between iterations (untimed) the heap's free memory is
	// returned to the system, so every allocation gets fresh pages as in a new process.
	for _, c := range []struct {
		name string
		mk   func(int) []byte
	}{{"make", func(n int) []byte { return make([]byte, n) }}, {"hugemem", Make[byte]}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(1 << 20)
			for b.Loop() {
				b.StopTimer()
				debug.FreeOSMemory()
				b.StartTimer()
				buf := c.mk(1 << 20)
				for i := 0; i < len(buf); i += 4096 {
					buf[i] = 1
				}
			}
		})
	}
}
