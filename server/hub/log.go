package hub

import "checkgrid/protocol"

// Log makes Deltas durable. The hub calls it only from Run's goroutine.
type Log interface {
	// Append makes the Delta frame for seq durable (per the log's sync
	// mode) before returning. On error nothing was logged and the same seq
	// may be appended again.
	Append(seq, toggles uint64, frame []byte) error
	// Sync makes durable anything appended but not yet synced (a log in
	// interval mode); the loop calls it on ticks with nothing to publish.
	Sync() error
	// WantCheckpoint reports whether a checkpoint is due.
	WantCheckpoint() bool
	// Checkpoint records g as the grid at seq. It does not keep g.
	Checkpoint(epoch, seq, toggles uint64, g *protocol.Bitset) error
}
