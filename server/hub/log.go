package hub

import "checkgrid/protocol"

// Log is the grid's history as the hub hands it over. The hub is the one
// owner of "the grid at seq" (its collector's published bitset); a Log
// keeps no grid of its own and never calls back into the hub (etcd's
// model: the log is pure, the snapshot's owner writes the snapshot). Any
// log, the local write-ahead log (server/store) or a cluster's replicated
// stream, provides exactly this. The hub calls it only from Run's
// goroutine, one call at a time.
type Log interface {
	// Append makes frame, the Delta for seq, durable before it returns:
	// seq is exactly one past the last seq appended, toggles the total
	// after it. Only after Append returns nil does any player see the
	// Delta. On error nothing is appended and the hub appends the same seq
	// again later (with the same changes plus any newer ones), so a retry
	// after a lost acknowledgement must not leave two records for seq.
	Append(seq, toggles uint64, frame []byte) error
	// Sync makes durable anything appended but not yet synced (a log in
	// interval mode); the loop calls it on ticks with nothing to publish.
	Sync() error
	// WantCheckpoint reports whether the log would like a snapshot, so it
	// can let go of older records (the log knows its own size).
	WantCheckpoint() bool
	// Checkpoint stores g as the grid at seq (and toggles) of epoch: seq
	// was appended, and g is the hub's grid at exactly that seq. It does
	// not keep g. After it returns nil, recovery may start from it.
	Checkpoint(epoch, seq, toggles uint64, g *protocol.Bitset) error
}
