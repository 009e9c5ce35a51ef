package board

import (
	"fmt"

	"checkgrid/protocol"
)

// ApplySnapshot replaces the server state with s (any epoch: a new epoch
// replaces everything) and marks the board synced at s.Seq. Pending changes
// the snapshot already agrees with are settled; the rest keep waiting for
// their deadline, since the Set may not have reached the server's state yet.
// On a decoding error the board is left unsynced with its server state
// cleared.
func (b *Board) ApplySnapshot(s protocol.Snapshot) error {
	if err := b.server.ApplySnapshot(s); err != nil {
		b.checked = 0
		b.all = true
		return fmt.Errorf("board: snapshot: %w", err)
	}
	b.checked = int(s.Checked)
	for i, p := range b.pending {
		if b.server.Grid.Get(i) == p.want {
			delete(b.pending, i)
		}
	}
	b.all = true
	b.changed = b.changed[:0]
	return nil
}

// ApplyDelta XORs d's boxes into the server state if d.Seq is exactly one
// past the board's seq. It returns ErrGap (wrapped) without touching the
// board when d must not be applied (also while unsynced), and the
// decoder's error if d is corrupt; in both cases the caller must resync. A
// pending change whose box now has the wanted value is confirmed.
func (b *Board) ApplyDelta(d protocol.Delta) error {
	idx, err := b.server.ApplyDelta(d)
	if err != nil {
		return fmt.Errorf("board: %w", err)
	}
	b.flipped(idx)
	return nil
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
