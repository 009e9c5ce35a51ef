// Package pipeline is the path every change takes from the live grid to
// everyone who follows the grid: one Sequencer collects what players
// flipped, encodes it once as the next Delta, appends it to a Log until it
// sticks, and emits it as a Committed step. Nothing is shown to anyone
// before its Log has it.
//
// Entry points: New builds a Sequencer around a grid.Grid (the live
// state, set by players without a lock) and a Log at a recovered seq;
// Sequencer.Run runs it until its context ends. Feed yields the
// committed steps (a reset to the recovered grid first, then every
// Delta), which the hub follows (hub.Upstream: Feed, Writable, Submit,
// Online); Impose and Box are the operator's side (server/admin).
//
// Flow, on Run's goroutine, every tick (Pacer.Period: the hub stretches
// it with its write budget, and skips a tick while its fan-out is behind):
//
//	BeforeCut's function (the single process reads its parked sockets'
//	  clicks there: wsconn.Poller.ReadNow)
//	  ─► grid.Collector.Collect ─► protocol.AppendDelta (seq N, encoded once)
//	  ─► Log.Append (durable; a refusal is retried with the same seq and
//	     frame before anything newer) ─► Committed{Seq, Toggles, Frame, Boxes}
//	  ─► Log.Checkpoint when the log wants one (the collector's grid is at
//	     exactly the committed seq between ticks)
//
// The single process runs it with server/store as its Log
// (server/durable.go). A cluster's lease holder runs the same Sequencer
// with the JetStream stream as its Log (server/cluster's streamLog, a
// Gatherer: the nodes' forwarded batches are gathered right before each
// collect, a fenced publish may answer Rebase, and lease loss or an
// expired batch ErrStepDown, which ends Run); nobody follows that
// Sequencer's own feed: every node's feed emits the same Committed steps
// from the stream, so the hub is the same follower in both modes.
//
// Goroutines: Run's, which owns the collector, the Log and the seq; Submit,
// Writable, Impose and Box are safe from any goroutine.
package pipeline
