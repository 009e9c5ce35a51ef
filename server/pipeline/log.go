package pipeline

import "checkgrid/protocol"

// Log is where the Sequencer makes each Delta durable before anyone sees
// it. A Log keeps no grid of its own and never calls back (etcd's model:
// the log is pure, the snapshot's owner writes the snapshot). The local
// write-ahead log (server/store, adapted in server/durable.go) provides
// it; a cluster's lease holder publishes to its JetStream stream through
// it (server/cluster's streamLog, a Gatherer: gather.go). The
// Sequencer calls it only from Run's goroutine, one call at a time.
type Log interface {
	// Append makes frame, the Delta for seq, durable before it returns:
	// seq is exactly one past the last seq appended, toggles the total
	// after it. Only after Append returns nil does any player see the
	// Delta. On error nothing is appended and the Sequencer appends the
	// same seq and frame again later, so a retry after a lost
	// acknowledgement must not leave two records for seq.
	Append(seq, toggles uint64, frame []byte) error
	// Sync makes durable anything appended but not yet synced (a log in
	// interval mode); the Sequencer calls it on ticks with nothing to
	// commit.
	Sync() error
	// WantCheckpoint reports whether the log would like a snapshot, so it
	// can let go of older records (the log knows its own size).
	WantCheckpoint() bool
	// Checkpoint stores g as the grid at seq (and toggles) of epoch: seq
	// was appended, and g is the grid at exactly that seq. It does not
	// keep g. After it returns nil, recovery may start from it.
	Checkpoint(epoch, seq, toggles uint64, g *protocol.Bitset) error
}
