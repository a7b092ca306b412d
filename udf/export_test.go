package udf

// SetLiveHook installs (or, with nil, removes) a hook that sees the number of
// partials alive at once after every change. Tests only; not concurrent-safe with
// runs in progress.
func SetLiveHook(f func(alive int)) { liveHook = f }
