package cluster

import (
	"sync/atomic"

	"checkgrid/protocol"
)

// committedGrid is this node's committed grid (the feed's replica, as of
// its last step), readable from any goroutine: one atomic load a box. The
// feed's goroutine writes it as it applies each step. Submit reads it to
// tell the hub how many of a Set's boxes will flip, which only the
// sequencer knows for sure: a box another player sets in the same tick
// is counted for both (the single process counts it for whoever set it
// first). That count feeds the bot lane's and the operator's top lists'
// toggle counts (server/hub: countLane, tally); nothing else relies on it.
type committedGrid struct {
	words [protocol.BitsetWords]atomic.Uint64
}

// load replaces the whole grid (a reset).
func (c *committedGrid) load(g *protocol.Bitset) {
	for i := range c.words {
		c.words[i].Store(g[i])
	}
}

// apply copies boxes' values from g (the replica after a Delta).
func (c *committedGrid) apply(g *protocol.Bitset, boxes []uint32) {
	for _, i := range boxes {
		bit := uint64(1) << (i & 63)
		if g.Get(i) {
			c.words[i>>6].Or(bit)
		} else {
			c.words[i>>6].And(^bit)
		}
	}
}

// flips counts the changes whose value differs from the grid's.
func (c *committedGrid) flips(changes []protocol.Change) int {
	n := 0
	for _, ch := range changes {
		if (c.words[ch.Index>>6].Load()>>(ch.Index&63)&1 != 0) != ch.Value {
			n++
		}
	}
	return n
}
