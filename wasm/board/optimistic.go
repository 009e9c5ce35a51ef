package board

import (
	"time"

	"checkgrid/protocol"
)

// Toggle flips box i as the player sees it, optimistically, and returns the
// change to send to the server.
func (b *Board) Toggle(i uint32, now time.Duration) protocol.Change {
	v := !b.Displayed(i)
	b.Want(i, v, now)
	return protocol.Change{Index: i, Value: v}
}

// Want makes box i show v until the server confirms, rejects or ignores it
// for PendingTimeout. It reports whether the displayed value changed.
func (b *Board) Want(i uint32, v bool, now time.Duration) bool {
	changed := b.Displayed(i) != v
	d := now + PendingTimeout
	b.pending[i] = pending{want: v, deadline: d}
	b.expiry = append(b.expiry, expiry{index: i, deadline: d})
	if changed {
		b.markChanged(i)
	}
	return changed
}

// Reject reverts the pending changes of boxes idx to the server's values.
// Boxes without a pending change are ignored (already settled).
func (b *Board) Reject(idx []uint32) {
	for _, i := range idx {
		b.settle(i)
	}
}

// Settle drops pending changes whose deadline is at or before now: the
// server never confirmed them, so the server's value is the truth. Its cost
// is proportional to the changes made, not to the grid.
func (b *Board) Settle(now time.Duration) {
	for b.expHead < len(b.expiry) && b.expiry[b.expHead].deadline <= now {
		e := b.expiry[b.expHead]
		b.expHead++
		if p, ok := b.pending[e.index]; ok && p.deadline == e.deadline {
			b.settle(e.index)
		}
	}
	if b.expHead == len(b.expiry) {
		b.expiry, b.expHead = b.expiry[:0], 0
	} else if b.expHead > 1024 && b.expHead > len(b.expiry)/2 {
		n := copy(b.expiry, b.expiry[b.expHead:])
		b.expiry, b.expHead = b.expiry[:n], 0
	}
}

// settle removes box i's pending change, if any, reverting it to the server.
func (b *Board) settle(i uint32) {
	p, ok := b.pending[i]
	if !ok {
		return
	}
	delete(b.pending, i)
	if p.want != b.server.Grid.Get(i) {
		b.markChanged(i)
	}
}
