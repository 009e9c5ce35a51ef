package grid

import (
	"sync/atomic"

	"checkgrid/protocol"
)

// summaryWords is how many 64-bit words it takes to give each grid word one
// dirty bit: 15,625 words → 245 summary words, small enough to scan per tick.
const summaryWords = (protocol.BitsetWords + 63) / 64

// Grid is the live state. Set may be called from any number of goroutines at
// once; Get and Toggles too. The zero value is an empty grid.
type Grid struct {
	words   [protocol.BitsetWords]atomic.Uint64
	dirty   [summaryWords]atomic.Uint64
	toggles atomic.Uint64
}

// New returns an empty grid.
func New() *Grid { return new(Grid) }

// FromBitset returns a grid holding b, with toggles as its running total of
// applied changes. Nothing is dirty: b is taken to be already published.
func FromBitset(b *protocol.Bitset, toggles uint64) *Grid {
	g := new(Grid)
	for i, w := range b {
		g.words[i].Store(w)
	}
	g.toggles.Store(toggles)
	return g
}

// Set gives box i the value v and reports whether that changed it. i must be
// below protocol.Boxes (callers validate input first; Set panics otherwise,
// as an index out of range is a bug, not bad input).
func (g *Grid) Set(i uint32, v bool) bool {
	w, bit := i>>6, uint64(1)<<(i&63)
	var old uint64
	if v {
		old = g.words[w].Or(bit)
	} else {
		old = g.words[w].And(^bit)
	}
	if (old&bit != 0) == v {
		return false
	}
	g.dirty[w>>6].Or(1 << (w & 63))
	g.toggles.Add(1)
	return true
}

// Get reports whether box i is checked right now (possibly not yet
// published or durable).
func (g *Grid) Get(i uint32) bool { return g.words[i>>6].Load()>>(i&63)&1 != 0 }

// Toggles returns the number of Set calls that changed a box, ever.
func (g *Grid) Toggles() uint64 { return g.toggles.Load() }
