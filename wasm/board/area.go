package board

import (
	"fmt"

	"checkgrid/protocol"
)

// ApplyAreaSnapshot makes s.Area exact at s.Seq (version 2); boxes outside
// keep their last known value. Pending changes inside the area that the
// snapshot already agrees with are settled. On a decoding error the board
// is left unsynced.
func (b *Board) ApplyAreaSnapshot(s protocol.AreaSnapshot) error {
	if err := b.server.ApplyAreaSnapshot(s); err != nil {
		b.all = true
		return fmt.Errorf("board: area snapshot: %w", err)
	}
	b.checked = b.server.Grid.Count()
	for i, p := range b.pending {
		if b.server.Known(i) && b.server.Grid.Get(i) == p.want {
			delete(b.pending, i)
		}
	}
	b.all = true
	b.changed = b.changed[:0]
	return nil
}

// ApplyAreaDelta XORs d's boxes in if d follows the last frame the board
// applied and every box is inside its area; otherwise it returns ErrGap
// (wrapped) without touching the board, and the caller resyncs.
func (b *Board) ApplyAreaDelta(d protocol.AreaDelta) error {
	idx, err := b.server.ApplyAreaDelta(d)
	if err != nil {
		return fmt.Errorf("board: %w", err)
	}
	b.flipped(idx)
	return nil
}
