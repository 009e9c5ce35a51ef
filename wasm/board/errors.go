package board

import "checkgrid/protocol"

// Reasons a frame was not applied, as protocol.AreaReplica reports them.
// The caller answers each with a resync.
var (
	// ErrGap means a Delta or AreaDelta does not follow the last frame the
	// board applied (or arrived while it waits for a snapshot).
	ErrGap = protocol.ErrAreaGap
	// ErrOutside means an AreaDelta named a box outside the board's area.
	ErrOutside = protocol.ErrOutside
	// ErrUnsynced means a Delta arrived while the board waits for a Snapshot.
	ErrUnsynced = protocol.ErrUnsynced
)
