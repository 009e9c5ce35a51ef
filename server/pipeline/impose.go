package pipeline

import (
	"context"
	"time"

	"checkgrid/protocol"
)

// Impose gives every box of a the value want(i), as the operator: through
// the same grid and ticks as a player's Set (so it is sequenced, made
// durable, kept in history and shown to every player), bypassing the gate
// and the rate limits. It returns how many boxes it flipped and, if any,
// the seq by which they are committed (waiting up to imposeWait for it);
// with none flipped, seq is the committed seq.
func (s *Sequencer) Impose(ctx context.Context, a protocol.Area, want func(i uint32) bool) (flipped int, seq uint64, err error) {
	if err := a.Valid(); err != nil {
		return 0, 0, err
	}
	for y := uint32(a.Y); y < uint32(a.Y)+uint32(a.H); y++ {
		row := y * protocol.GridWidth
		for x := uint32(a.X); x < uint32(a.X)+uint32(a.W); x++ {
			if s.grid.Set(row+x, want(row+x)) {
				flipped++
			}
		}
	}
	s.m.Toggles.Add(float64(flipped))
	if flipped == 0 {
		return 0, s.seq.Load(), nil
	}
	// The first collect to begin after the Sets above sees their flips, so
	// once it has finished, the last seq encoded is at or after the Delta
	// holding them (if players flipped them all back meanwhile, none does,
	// and that seq is still a state after the change).
	after := s.collects.Load() + 1
	ctx, cancel := context.WithTimeout(ctx, imposeWait)
	defer cancel()
	t := time.NewTicker(max(s.cfg.Tick/2, time.Millisecond))
	defer t.Stop()
	var target uint64
	known := false
	for {
		if !known && s.collected.Load() >= after {
			target, known = s.encoded.Load(), true
		}
		if c := s.seq.Load(); known && c >= target {
			return flipped, target, nil
		}
		select {
		case <-ctx.Done():
			return flipped, s.seq.Load(), ctx.Err()
		case <-s.done:
			return flipped, s.seq.Load(), ErrStopped
		case <-t.C:
		}
	}
}

// Box reports whether box i is checked in the live grid (perhaps not yet
// committed).
func (s *Sequencer) Box(i uint32) bool { return s.grid.Get(i) }
