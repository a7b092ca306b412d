// Package web is `stemflow serve`: a local web application for exploring detector
// datasets interactively on top of the engine.
//
// It owns the HTTP handlers, the per-tab sessions with their runs, the server-sent
// event stream that carries live snapshots to the page, and the static front-end
// (plain HTML, JavaScript and CSS embedded with go:embed; no Node, no build step).
//
// A page opens one event stream (/api/events); the stream is its session. The
// session holds the opened dataset and up to two runs, one per slot: the frame view
// (sum, standard deviation, log sum or one picked frame) and the virtual detector
// (disk, ring, rectangle, point or centre of mass). Starting a run in a slot cancels
// the run it replaces and waits for it to end; closing the tab ends the stream and
// cancels every run of the session.
//
// Every run of every session computes on the server's one sched.Pool (Config.Workers
// slots): tabs and datasets take turns on the machine's cores instead of each run
// starting workers of its own. The detector run carries a sched.Observer that records
// each node's state and timings; the page receives the run's compiled graph once and
// its node states every 100 ms while they change, and draws the graph tab from them.
// With Config.Devices, runs also use those accelerators, each with a device cache.
//
// Live images come from udf.RunIter snapshots as float32 arrays drawn on a canvas
// with the CLI's Viridis colour map; downloads are the .npy and PNG files that
// `stemflow run` writes for the same UDF.
//
// Security: only files under the served folder can be listed or opened (paths are
// resolved with symlinks and refused when they leave it, and so is a dataset whose
// files leave it); when a token is configured every request and event stream must
// carry it (query parameter once, then an HttpOnly cookie), and without a token
// only loopback Host headers are accepted, which stops DNS rebinding. The server
// writes no file.
//
// Package web imports the engine (dataset, udf, udfs, graph, sched) and
// internal/render; nothing in the engine imports it.
package web
