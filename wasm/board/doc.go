// Package board is the client's copy of the grid: the server's state at a
// seq (a protocol.Replica), plus the player's optimistic changes not yet
// confirmed.
//
// Entry points: New takes the replica the session's protocol.Follower
// applies the server's frames to; Follow is told each step the follower
// took (a snapshot replaced the state, a Delta or AreaDelta flipped boxes,
// a Reject refused some); Toggle and Want record the player's optimistic
// changes; Reject reverts refused ones; Settle expires those the server
// never confirmed. Displayed answers what the player sees (server state
// with optimistic changes on top) and Drain hands the boxes whose
// displayed value changed to the renderer. Known says which boxes are
// exact (inside the replica's area; the whole grid in version 1): the rest
// show their last known value.
//
// Flow: the board never checks seqs or decodes frames (the follower
// does); it keeps the checked count and the pending changes in step. An
// optimistic change is pending until the server's state agrees with it
// (confirmed), a Reject names it (reverted), or PendingTimeout passes (it
// falls back to the server's value). So nothing the player did is left
// dangling: the displayed state always converges to the server's.
//
// A Board is not safe for concurrent use; the game loop owns it.
package board
