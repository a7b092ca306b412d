package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// isTerminal reports whether w is a character device (a terminal), the test for
// turning the progress bar on by default.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Look of the bar.
const (
	barWidth    = 30                     // characters between the bars
	barThrottle = 100 * time.Millisecond // least time between two redraws
)

// progress is the bar of one run: the bytes of input processed out of the total,
// with throughput and estimated time left, redrawn in place ("\r") at most every
// barThrottle. A nil *progress does nothing, so callers need not check whether the
// bar is on. Safe for concurrent use.
//
// It is drawn here rather than by a progress-bar library: the one used before
// (with its colour and Unicode-width tables and net/http) cost every stemflow
// process its package initialisation, bar or no bar.
type progress struct {
	mu      sync.Mutex
	w       io.Writer
	what    string // "run", "write"
	bytes   bool   // units are bytes (throughput shown), else counted things
	total   int64
	done    int64
	start   time.Time
	drawn   time.Time // of the last draw
	lastLen int       // characters of the last line drawn, to blank a longer one's tail
	ended   bool      // finish or abort ended the line
}

// newProgress returns a bar over total units drawn on w, or nil when on is false.
// With bytes the units are bytes and the bar shows throughput; else they are counted
// (files written) and the bar shows the count. It draws the empty bar at once.
func newProgress(w io.Writer, on bool, total int64, what string, bytes bool) *progress {
	if !on {
		return nil
	}
	p := &progress{w: w, what: what, bytes: bytes, total: total, start: time.Now()}
	p.draw(p.start)
	return p
}

// set moves the bar to done units.
func (p *progress) set(done int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done = done
	p.maybeDraw()
}

// setTotal changes the total (the write phase learns it as it queues files).
func (p *progress) setTotal(total int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total = total
	p.maybeDraw()
}

// finish draws the bar full and ends its line.
func (p *progress) finish() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ended {
		return
	}
	p.done = p.total
	p.draw(time.Now())
	io.WriteString(p.w, "\n")
	p.ended = true
}

// abort ends the bar's line without drawing it full.
func (p *progress) abort() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ended {
		return
	}
	io.WriteString(p.w, "\n")
	p.ended = true
}

// maybeDraw redraws unless the line has ended or the last draw is recent.
func (p *progress) maybeDraw() {
	if now := time.Now(); !p.ended && now.Sub(p.drawn) >= barThrottle {
		p.draw(now)
	}
}

// draw writes the bar's line over the last one.
func (p *progress) draw(now time.Time) {
	s := barLine(p.what, p.done, p.total, now.Sub(p.start), p.bytes)
	n := utf8.RuneCountInString(s) // terminal columns: the bar's blocks are 3 bytes each
	fmt.Fprintf(p.w, "\r%s%s", s, strings.Repeat(" ", max(p.lastLen-n, 0)))
	p.lastLen = n
	p.drawn = now
}

// barLine is the text of a bar for done of total units after elapsed, e.g.
//
//	run  45% |█████████████                 | (115 MiB/256 MiB, 120 MiB/s) [1s:1s]
//	write  23% |██████                        | (3/13) [0s:1s]
//
// with the elapsed and the estimated remaining time in brackets.
func barLine(what string, done, total int64, elapsed time.Duration, bytes bool) string {
	done = min(max(done, 0), max(total, 0))
	frac := 0.0
	if total > 0 {
		frac = float64(done) / float64(total)
	}
	fill := int(frac * barWidth)
	var b strings.Builder
	fmt.Fprintf(&b, "%s %3d%% |%s%s| ", what, int(frac*100), strings.Repeat("█", fill), strings.Repeat(" ", barWidth-fill))
	if bytes {
		rate := 0.0
		if s := elapsed.Seconds(); s > 0 {
			rate = float64(done) / s
		}
		fmt.Fprintf(&b, "(%s/%s, %s/s)", mebibytes(float64(done)), mebibytes(float64(total)), mebibytes(rate))
	} else {
		fmt.Fprintf(&b, "(%d/%d)", done, total)
	}
	left := "?"
	if done > 0 {
		left = (time.Duration(float64(elapsed) * float64(total-done) / float64(done))).Round(time.Second).String()
	}
	fmt.Fprintf(&b, " [%s:%s]", elapsed.Round(time.Second), left)
	return b.String()
}

// mebibytes formats n bytes in MiB ("115 MiB"), below 10 MiB with one decimal.
func mebibytes(n float64) string {
	m := n / (1 << 20)
	if m < 10 {
		return fmt.Sprintf("%.1f MiB", m)
	}
	return fmt.Sprintf("%.0f MiB", m)
}
