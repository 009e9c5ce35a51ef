package board

import "checkgrid/protocol"

// Reasons a frame was not applied, as protocol.Replica reports them. The
// caller answers both with a resync.
var (
	// ErrGap means a Delta's seq is not exactly one past the board's.
	ErrGap = protocol.ErrGap
	// ErrUnsynced means a Delta arrived while the board waits for a Snapshot.
	ErrUnsynced = protocol.ErrUnsynced
)
