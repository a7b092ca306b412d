package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestBarLine(t *testing.T) {
	const MiB = 1 << 20
	full := strings.Repeat("█", barWidth)
	tests := []struct {
		name        string
		what        string
		done, total int64
		elapsed     time.Duration
		bytes       bool
		want        string
	}{
		{"empty bytes", "run", 0, 256 * MiB, 0, true,
			"run   0% |" + strings.Repeat(" ", 30) + "| (0.0 MiB/256 MiB, 0.0 MiB/s) [0s:?]"},
		// 96 of 256 MiB in 2 s: 37.5 %, 11 of 30 cells, 48 MiB/s, 10/6 of 2 s left
		{"part bytes", "run", 96 * MiB, 256 * MiB, 2 * time.Second, true,
			"run  37% |" + strings.Repeat("█", 11) + strings.Repeat(" ", 19) + "| (96 MiB/256 MiB, 48 MiB/s) [2s:3s]"},
		{"full bytes", "run", 256 * MiB, 256 * MiB, 4 * time.Second, true,
			"run 100% |" + full + "| (256 MiB/256 MiB, 64 MiB/s) [4s:0s]"},
		{"count", "write", 3, 12, 1500 * time.Millisecond, false,
			"write  25% |" + strings.Repeat("█", 7) + strings.Repeat(" ", 23) + "| (3/12) [2s:5s]"},
		{"no total yet", "write", 0, 0, 0, false,
			"write   0% |" + strings.Repeat(" ", 30) + "| (0/0) [0s:?]"},
		{"done past total is clamped", "write", 5, 4, time.Second, false,
			"write 100% |" + full + "| (4/4) [1s:0s]"},
	}
	for _, tc := range tests {
		if got := barLine(tc.what, tc.done, tc.total, tc.elapsed, tc.bytes); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}

func TestProgressDraws(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(&b, true, 100, "run", true)
	if !strings.HasPrefix(b.String(), "\rrun   0% |") {
		t.Fatalf("no empty bar at start: %q", b.String())
	}
	n := b.Len()
	p.set(10) // within the throttle of the first draw: not drawn
	if b.Len() != n {
		t.Errorf("redrawn within %v: %q", barThrottle, b.String()[n:])
	}
	p.drawn = p.drawn.Add(-barThrottle) // as if the throttle had passed
	p.set(50)
	if !strings.Contains(b.String()[n:], " 50% |") {
		t.Errorf("not redrawn after the throttle: %q", b.String()[n:])
	}
	p.finish()
	out := b.String()
	if !strings.HasSuffix(out, "\n") || !strings.Contains(out, "100% |") {
		t.Errorf("finish: %q", out)
	}
	p.abort()
	p.set(1)
	p.finish()
	if b.String() != out {
		t.Errorf("wrote after finish: %q", b.String()[len(out):])
	}

	b.Reset()
	q := newProgress(&b, true, 0, "write", false)
	q.setTotal(4)
	q.drawn = q.drawn.Add(-barThrottle)
	q.set(1)
	q.abort()
	if out := b.String(); !strings.Contains(out, "(1/4)") || !strings.HasSuffix(out, "\n") || strings.Contains(out, "100%") {
		t.Errorf("abort: %q", out)
	}
}

// A shorter line blanks the tail of the longer one before it.
func TestProgressBlanksTail(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(&b, true, 10, "write", false)
	p.lastLen += 10 // as if the line drawn had been 10 characters longer
	old := p.lastLen
	p.drawn = p.drawn.Add(-barThrottle)
	p.set(1)
	last := b.String()[strings.LastIndex(b.String(), "\r")+1:]
	if !strings.HasSuffix(strings.TrimRight(last, " "), "]") || utf8.RuneCountInString(last) != old {
		t.Errorf("tail not blanked to %d characters: %q", old, last)
	}
}

func TestNilProgress(t *testing.T) {
	var p *progress
	p.set(1)
	p.setTotal(2)
	p.finish()
	p.abort()
	if newProgress(&bytes.Buffer{}, false, 1, "run", true) != nil {
		t.Error("newProgress(on=false) is not nil")
	}
}
