package main

import (
	"os"
	"runtime/debug"
)

// oneShotGC sets the garbage collector up for one `stemflow run` process: the
// collector is switched off and replaced by a memory limit of half the machine's RAM
// (at least 1 GiB), so a pass whose heap stays small (the usual case: tiles are
// pooled, results are a few MiB) never stops the world, drops no pooled buffers and
// touches no new pages for a collection, while a pass that allocates more is still
// collected before it could use more than that. Under load a stop-the-world pause
// waits for every thread to be scheduled again: measured 5–20 ms per collection on
// the shared 2-core machine, 4–6 collections per CoM or StdDev run. A GOGC or
// GOMEMLIMIT in the environment wins: then nothing is changed.
func oneShotGC() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(max(1<<30, totalRAM()/2))
	debug.SetGCPercent(-1)
}
