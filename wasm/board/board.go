package board

import (
	"time"

	"checkgrid/protocol"
)

// PendingTimeout is how long an optimistic change waits for the server to
// confirm it before the board falls back to the server's value. A Set is
// confirmed by the first Delta after the server's next tick (50–100 ms) and
// durable write, plus a round trip; 5 s covers a slow mobile link without
// leaving a lost change on screen for long.
const PendingTimeout = 5 * time.Second

// pending is one optimistic change: the value the player wants and when the
// board stops believing it.
type pending struct {
	want     bool
	deadline time.Duration
}

// expiry orders pending changes by deadline for Settle. An entry is stale if
// the box was toggled again since (its deadline no longer matches).
type expiry struct {
	index    uint32
	deadline time.Duration
}

// Board is the server's grid at a seq plus the player's pending changes.
// Times are durations on the caller's monotonic clock.
type Board struct {
	// server is the server's grid: exact at a seq inside its area (the
	// whole grid in version 1), last known outside it. The session's
	// protocol.Follower applies the frames to it; Follow is told after.
	server  *protocol.Replica
	checked int

	pending map[uint32]pending
	expiry  []expiry // deadline order; head is expiry[expHead]
	expHead int

	changed []uint32 // boxes whose displayed value changed since Drain
	all     bool     // everything may have changed (a Snapshot)
}

// New returns a board showing server, the replica a protocol.Follower
// applies the server's frames to.
func New(server *protocol.Replica) *Board {
	return &Board{server: server, pending: make(map[uint32]pending)}
}

// Synced reports whether the board holds a Snapshot and the Deltas after it.
func (b *Board) Synced() bool { return b.server.Synced() }

// Known reports whether box i is exact: inside the area the board follows.
// Boxes outside it show their last known value and must not be set.
func (b *Board) Known(i uint32) bool { return b.server.Known(i) }

// Area is the area the board follows (the zero Area when unsynced).
func (b *Board) Area() protocol.Area { return b.server.Area }

// Seq is the seq of the last applied Snapshot or Delta.
func (b *Board) Seq() uint64 { return b.server.Seq }

// Checked is the number of checked boxes in the server's state.
func (b *Board) Checked() int { return b.checked }

// Pending is the number of optimistic changes awaiting confirmation.
func (b *Board) Pending() int { return len(b.pending) }

// Server reports box i's value in the server's state.
func (b *Board) Server(i uint32) bool { return b.server.Grid.Get(i) }

// Bits is the server state. The caller must not change it, nor keep it
// past the next call that applies a frame.
func (b *Board) Bits() *protocol.Bitset { return &b.server.Grid }

// AppendPending appends the boxes with a pending change to dst, in no
// particular order.
func (b *Board) AppendPending(dst []uint32) []uint32 {
	for i := range b.pending {
		dst = append(dst, i)
	}
	return dst
}

// Displayed reports box i as the player sees it: the pending value if the
// player changed it, else the server's.
func (b *Board) Displayed(i uint32) bool {
	if len(b.pending) != 0 {
		if p, ok := b.pending[i]; ok {
			return p.want
		}
	}
	return b.server.Grid.Get(i)
}

// Drain appends the boxes whose displayed value changed since the last Drain
// to dst, and reports all = true if a Snapshot replaced the board (then
// every box may have changed and the list is empty). Boxes may repeat.
func (b *Board) Drain(dst []uint32) (_ []uint32, all bool) {
	all = b.all
	if !all {
		dst = append(dst, b.changed...)
	}
	b.changed = b.changed[:0]
	b.all = false
	return dst, all
}

// markChanged records that box i's displayed value flipped.
func (b *Board) markChanged(i uint32) {
	if !b.all {
		b.changed = append(b.changed, i)
	}
}
