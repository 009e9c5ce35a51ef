package game

import (
	"time"

	"checkgrid/wasm/board"
	"checkgrid/wasm/raster"
	"checkgrid/wasm/session"
)

// feed carries the live grid's news of one update to the raster: the
// boxes the board changed (applied by session.Update) and the changes the
// server or the client's own limits refused.
type feed struct {
	changed []uint32
	refused []uint32
}

// drain takes the board's changes and the session's refusals into r, and
// returns the boxes changed (all: every box may have, a Snapshot). While
// the past is shown the live grid waits: going live refills the raster
// from the board. The slice is f's, valid until the next drain.
func (f *feed) drain(s *session.Session, b *board.Board, r *raster.Raster, past bool, now time.Duration) (changed []uint32, all bool) {
	f.changed, all = b.Drain(f.changed[:0])
	switch {
	case past:
	case all:
		r.Fill(b)
	case len(f.changed) > 0:
		r.Update(b, f.changed, now)
	}
	f.refused = s.DrainRefused(f.refused[:0])
	r.Refuse(f.refused, now)
	r.Expire(now)
	return f.changed, all
}
