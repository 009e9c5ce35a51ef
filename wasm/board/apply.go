package board

import "checkgrid/protocol"

// Follow updates the board after its follower handled one server frame
// (st, whatever the follower said of it): a snapshot replaced the server
// state (replaced), a Delta, AreaDelta or DeltaRange flipped st.Boxes (flipped), a
// Reject refused them (their pending changes revert). Other steps change
// nothing here.
func (b *Board) Follow(st protocol.Step) {
	switch st.Head.Type {
	case protocol.TypeSnapshot, protocol.TypeAreaSnapshot:
		// Also after a snapshot that failed to decode: the replica then
		// holds a cleared or partly written grid, to be redrawn.
		b.replaced()
	case protocol.TypeDelta, protocol.TypeAreaDelta, protocol.TypeDeltaRange:
		b.flipped(st.Boxes)
	case protocol.TypeReject:
		b.Reject(st.Boxes)
	}
}

// replaced accounts for a snapshot: the server state may have changed
// anywhere (an area snapshot keeps the boxes outside its area as last
// known). Pending changes the known server state already agrees with are
// settled; the rest keep waiting for their deadline, since the Set may not
// have reached the server's state yet.
func (b *Board) replaced() {
	b.checked = b.server.Grid.Count()
	for i, p := range b.pending {
		if b.server.Known(i) && b.server.Grid.Get(i) == p.want {
			delete(b.pending, i)
		}
	}
	b.all = true
	b.changed = b.changed[:0]
}

// flipped accounts for boxes just flipped in the server state: counts,
// confirmations, and what the renderer must redraw.
func (b *Board) flipped(idx []uint32) {
	if len(b.pending) == 0 {
		for _, i := range idx {
			b.count(i)
			b.markChanged(i)
		}
		return
	}
	for _, i := range idx {
		v := b.count(i)
		p, ok := b.pending[i]
		switch {
		case !ok:
			b.markChanged(i)
		case p.want == v:
			// Confirmed: the server now shows what the player sees.
			delete(b.pending, i)
		}
	}
}

// count keeps the checked count for box i, just flipped in the server
// state, and returns its new value.
func (b *Board) count(i uint32) bool {
	v := b.server.Grid.Get(i)
	if v {
		b.checked++
	} else {
		b.checked--
	}
	return v
}
