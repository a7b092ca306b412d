package udf

import "sync/atomic"

// liveTracker counts the partials alive at once: produced by their task and not yet
// consumed by every UDF's merge (a chain step, or the merge_all node).
type liveTracker struct {
	remaining []atomic.Int32 // per task: UDF merges still to consume its partial
	alive     atomic.Int32
}

// liveHook, when set (tests only), sees the count of live partials after every change.
var liveHook func(alive int)

func newLiveTracker(tasks int) *liveTracker {
	if liveHook == nil {
		return nil
	}
	return &liveTracker{remaining: make([]atomic.Int32, tasks)}
}

// produced records that task k's partial exists and will be consumed n times.
func (l *liveTracker) produced(k, n int) {
	if l == nil || n == 0 {
		return
	}
	l.remaining[k].Store(int32(n))
	liveHook(int(l.alive.Add(1)))
}

// consumed records that one UDF merged task k's partial.
func (l *liveTracker) consumed(k int) {
	if l == nil {
		return
	}
	if l.remaining[k].Add(-1) == 0 {
		liveHook(int(l.alive.Add(-1)))
	}
}
