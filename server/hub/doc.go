// Package hub runs the tick loop and every player connection.
//
// Entry points: New builds a Hub around a grid.Grid and a Log; Run is the
// tick loop (one goroutine, until its context ends); Go runs one
// accepted WebSocket connection until it ends; Snapshot and Stats answer the
// HTTP API.
//
// Flow, one tick (Config.Tick, 50 ms by default, stretched toward
// Config.MaxTick when there are more clients than the write budget allows):
//
//	grid.Collector.Collect ─► protocol.AppendDelta (seq N, encoded once)
//	  ─► Log.Append (fsync: the Delta is durable before anyone sees it)
//	  ─► wrapped once in a WebSocket header (wire.go)
//	  ─► the same bytes into every client's bounded outbox (never blocks)
//
// Each connection has two goroutines: its reader (started by Go, which
// decodes frames, applies rate limits and sets boxes on the grid without any
// lock) and its writer (the only goroutine that writes to the socket). The
// tick loop is the only goroutine that adds a client to the broadcast set,
// sends it a Snapshot, or sends Deltas, so a client's view is Snapshot(S)
// followed by exactly S+1, S+2, ….
//
// A client whose outbox is full misses nothing silently: the loop drops it
// from the broadcast set and flags it; once its writer has drained the
// outbox, the loop sends Resync and a fresh Snapshot and adds it back. Too
// many resyncs in a window, or a writer stuck for longer than the write
// timeout, end the connection with protocol.CloseTooSlow. Every drop, resync
// and disconnect is counted by reason in metrics.Metrics.
//
// If Log.Append fails (disk full), the Delta is not sent; its boxes are put
// back to be collected again, Sets are refused with RejectStorage, and each
// tick retries until the log works again.
package hub
