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
	if err := s.Bits(&b.server); err != nil {
		clear(b.server[:])
		b.checked = 0
		b.synced = false
		b.all = true
		return fmt.Errorf("board: snapshot: %w", err)
	}
	b.epoch, b.seq, b.synced = s.Epoch, s.Seq, true
	b.checked = int(s.Checked)
	for i, p := range b.pending {
		if b.server.Get(i) == p.want {
			delete(b.pending, i)
		}
	}
	b.all = true
	b.changed = b.changed[:0]
	return nil
}

// ApplyDelta XORs d's boxes into the server state if d.Seq is exactly one
// past the board's seq. It returns ErrUnsynced or ErrGap (wrapped) without
// touching the board when d must not be applied, and the decoder's error if
// d is corrupt; in both cases the caller must resync. A pending change whose
// box now has the wanted value is confirmed.
func (b *Board) ApplyDelta(d protocol.Delta) error {
	if !b.synced {
		return ErrUnsynced
	}
	if d.Seq != b.seq+1 {
		return fmt.Errorf("%w: have %d, got %d", ErrGap, b.seq, d.Seq)
	}
	idx, err := d.AppendIndexes(b.scratch[:0])
	b.scratch = idx[:0]
	if err != nil {
		return fmt.Errorf("board: delta %d: %w", d.Seq, err)
	}
	b.seq = d.Seq
	if len(b.pending) == 0 {
		for _, i := range idx {
			b.flipServer(i)
			b.markChanged(i)
		}
		return nil
	}
	for _, i := range idx {
		v := b.flipServer(i)
		p, ok := b.pending[i]
		switch {
		case !ok:
			b.markChanged(i)
		case p.want == v:
			// Confirmed: the server now shows what the player sees.
			delete(b.pending, i)
		}
	}
	return nil
}

// flipServer inverts box i in the server state and keeps the count.
func (b *Board) flipServer(i uint32) bool {
	v := b.server.Flip(i)
	if v {
		b.checked++
	} else {
		b.checked--
	}
	return v
}
