package grid

import (
	"math/bits"

	"checkgrid/protocol"
)

// Collector turns the grid's live state into per-tick lists of flipped boxes.
// It keeps the published state: the grid as of the last Collect. One
// goroutine owns a Collector; it is not safe for concurrent use.
type Collector struct {
	g       *Grid
	pub     protocol.Bitset
	checked int
}

// NewCollector returns a collector whose published state is the grid's
// current state.
func NewCollector(g *Grid) *Collector {
	c := &Collector{g: g}
	for i := range c.pub {
		c.pub[i] = g.words[i].Load()
	}
	c.checked = c.pub.Count()
	return c
}

// Collect appends to dst, in increasing order, every box whose live value
// differs from the published one, and makes the live values published. Its
// cost is proportional to the number of words changed since the last call.
func (c *Collector) Collect(dst []uint32) []uint32 {
	for s := range c.g.dirty {
		sw := c.g.dirty[s].Swap(0)
		for sw != 0 {
			w := s*64 + bits.TrailingZeros64(sw)
			sw &= sw - 1
			// A Set racing with this load is either included now or has
			// marked the summary again and is seen next tick.
			live := c.g.words[w].Load()
			flips := live ^ c.pub[w]
			if flips == 0 {
				continue
			}
			c.checked += bits.OnesCount64(live&flips) - bits.OnesCount64(c.pub[w]&flips)
			c.pub[w] = live
			for flips != 0 {
				dst = append(dst, uint32(w*64+bits.TrailingZeros64(flips)))
				flips &= flips - 1
			}
		}
	}
	return dst
}

// Published returns the published state. It is owned by the collector's
// goroutine and changes on the next Collect.
func (c *Collector) Published() *protocol.Bitset { return &c.pub }

// Checked returns the number of checked boxes in the published state.
func (c *Collector) Checked() int { return c.checked }

// Requeue undoes the publication of idx, the result of the last Collect, so
// that the next Collect reports those boxes again (merged with anything that
// changed since). The Sequencer (server/pipeline) calls it when a Delta
// could not be encoded, a bug: the published state must only hold what
// went into a Delta. (A Delta the log refuses is kept and appended again,
// not requeued.)
func (c *Collector) Requeue(idx []uint32) {
	for _, i := range idx {
		w, bit := i>>6, uint64(1)<<(i&63)
		if c.pub[w]&bit != 0 {
			c.checked--
		} else {
			c.checked++
		}
		c.pub[w] ^= bit
		c.g.dirty[w>>6].Or(1 << (w & 63))
	}
}
