package main

import (
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"time"
)

// startProfile writes a CPU profile of the whole process to the file named by the
// environment variable STEMFLOW_CPUPROFILE, when set, until the returned function
// is called.
func startProfile(stderr io.Writer) func() {
	path := os.Getenv("STEMFLOW_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintln(stderr, "stemflow: STEMFLOW_CPUPROFILE:", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintln(stderr, "stemflow: STEMFLOW_CPUPROFILE:", err)
		f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// phaseTimer prints the wall time of each phase of a run on stderr when the
// environment variable STEMFLOW_TIMING is set (bench/oneshot.sh uses it); otherwise
// it does nothing.
type phaseTimer struct {
	w     io.Writer
	start time.Time
	last  time.Time
}

func newPhaseTimer(w io.Writer) *phaseTimer {
	if os.Getenv("STEMFLOW_TIMING") == "" {
		return nil
	}
	now := time.Now()
	return &phaseTimer{w: w, start: now, last: now}
}

// mark ends the phase named what.
func (t *phaseTimer) mark(what string) {
	if t == nil {
		return
	}
	now := time.Now()
	fmt.Fprintf(t.w, "timing: %-8s %7.1f ms (total %7.1f ms)\n", what, now.Sub(t.last).Seconds()*1e3, now.Sub(t.start).Seconds()*1e3)
	t.last = now
}
