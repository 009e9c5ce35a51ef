// Package board is the client's copy of the grid: the server's state at a
// seq, plus the player's optimistic changes not yet confirmed.
//
// Entry points: New; ApplySnapshot and ApplyDelta feed it the server's frames
// in seq order (ApplyDelta returns ErrGap when a Delta must not be
// applied, and the caller resyncs); Toggle and Want record the
// player's optimistic changes; Reject reverts refused ones; Settle expires
// those the server never confirmed. Displayed answers what the player sees
// (server state with optimistic changes on top) and Drain hands the boxes
// whose displayed value changed to the renderer.
//
// Flow: Snapshot(S) replaces the server bitset and marks the board synced at
// S; each Delta S+1, S+2, … XORs its boxes in. An optimistic change is
// pending until the server's state agrees with it (confirmed), a Reject
// names it (reverted), or PendingTimeout passes (it falls back to the
// server's value). So nothing the player did is left dangling: the displayed
// state always converges to the server's.
//
// A Board is not safe for concurrent use; the game loop owns it.
//
// Version 2 (area.go): the board follows an area (protocol.Replica):
// ApplyAreaSnapshot makes the area exact, ApplyAreaDelta applies a frame
// only if it follows; Known says which boxes are exact, the rest keep
// their last known value.
package board
