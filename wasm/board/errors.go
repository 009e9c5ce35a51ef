package board

import "errors"

// Reasons a frame was not applied. The caller answers both with a resync.
var (
	// ErrGap means a Delta's seq is not exactly one past the board's.
	ErrGap = errors.New("board: delta seq gap")
	// ErrUnsynced means a Delta arrived while the board waits for a Snapshot.
	ErrUnsynced = errors.New("board: delta before snapshot")
)
