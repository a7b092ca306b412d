package cuda

import (
	"encoding/binary"
	"math"
	"strings"
	"testing"
)

func TestPackArgs(t *testing.T) {
	buf := make([]byte, argBlockSize)
	const base = 0x7f0000001000
	b := &Buffer{Ptr: 0xdead0000, Len: 64}
	args := []any{b, int32(-3), uint32(7), float32(1.5), float64(-2.25), int64(-9), uint64(1 << 40)}
	if err := packArgs(buf, base, args); err != nil {
		t.Fatal(err)
	}
	ne := binary.NativeEndian
	valueAt := func(i int) int {
		p := ne.Uint64(buf[8*i:])
		if p < base || p >= base+argBlockSize {
			t.Fatalf("pointer %d = %#x outside the block", i, p)
		}
		if (p-base)%8 != 0 || p-base < maxArgs*8 {
			t.Fatalf("pointer %d = base+%d: want 8-aligned, after the pointer array", i, p-base)
		}
		return int(p - base)
	}
	if got := ne.Uint64(buf[valueAt(0):]); got != 0xdead0000 {
		t.Errorf("buffer arg = %#x", got)
	}
	if got := int32(ne.Uint32(buf[valueAt(1):])); got != -3 {
		t.Errorf("int32 arg = %d", got)
	}
	if got := ne.Uint32(buf[valueAt(2):]); got != 7 {
		t.Errorf("uint32 arg = %d", got)
	}
	if got := math.Float32frombits(ne.Uint32(buf[valueAt(3):])); got != 1.5 {
		t.Errorf("float32 arg = %v", got)
	}
	if got := math.Float64frombits(ne.Uint64(buf[valueAt(4):])); got != -2.25 {
		t.Errorf("float64 arg = %v", got)
	}
	if got := int64(ne.Uint64(buf[valueAt(5):])); got != -9 {
		t.Errorf("int64 arg = %d", got)
	}
	if got := ne.Uint64(buf[valueAt(6):]); got != 1<<40 {
		t.Errorf("uint64 arg = %d", got)
	}
	seen := map[int]bool{}
	for i := range args {
		if seen[valueAt(i)] {
			t.Fatalf("two arguments share offset %d", valueAt(i))
		}
		seen[valueAt(i)] = true
	}
}

func TestPackArgsErrors(t *testing.T) {
	buf := make([]byte, argBlockSize)
	for _, tc := range []struct {
		args []any
		want string
	}{
		{[]any{int(3)}, "type int"},
		{make([]any, maxArgs+1), "at most"},
		{[]any{"x"}, "type string"},
	} {
		if err := packArgs(buf, 0, tc.args); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("packArgs(%v) = %v, want error containing %q", tc.args, err, tc.want)
		}
	}
}
