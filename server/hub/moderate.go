package hub

import (
	"context"
	"errors"
	"net/netip"
	"time"

	"checkgrid/protocol"
)

// ErrFollower is returned by Impose on a cluster node: what the operator
// changes must be sequenced like a player's Set, which a follower cannot
// do by itself (cluster mode has no operator console yet).
var ErrFollower = errors.New("hub: the operator's changes are not supported on a cluster node")

// Gate is moderation's say on a player's Set (server/moderation): bans and
// frozen areas. The hub consults it first on the Set path, before any rate
// limit is spent, so refused boxes cost the player nothing else.
type Gate interface {
	// Screen moves the changes that may be applied to the front of changes,
	// in their order, and returns how many they are; the others are
	// returned in refused (in increasing index order, allocated only when
	// there are any) with the reason and the retry-after to send.
	Screen(player string, addr netip.Prefix, changes []protocol.Change, now time.Time) (n int, refused []protocol.Change, reason protocol.RejectReason, retry time.Duration)
}

// imposeWait bounds how long Impose waits for its change to be published:
// a commit takes a tick or two and an fsync, far less, unless the disk
// fails.
const imposeWait = 5 * time.Second

// Impose gives every box of a the value want(i), as the operator: through
// the same grid and tick loop as a player's Set (so it is sequenced, made
// durable, kept in history and shown to every player), bypassing the gate
// and the rate limits. It returns how many boxes it flipped and, if any, the
// seq by which they are published (waiting up to imposeWait for it); with
// none flipped, seq is the published seq.
func (h *Hub) Impose(ctx context.Context, a protocol.Area, want func(i uint32) bool) (flipped int, seq uint64, err error) {
	if h.up != nil {
		return 0, 0, ErrFollower
	}
	if err := a.Valid(); err != nil {
		return 0, 0, err
	}
	for y := uint32(a.Y); y < uint32(a.Y)+uint32(a.H); y++ {
		row := y * protocol.GridWidth
		for x := uint32(a.X); x < uint32(a.X)+uint32(a.W); x++ {
			if h.grid.Set(row+x, want(row+x)) {
				flipped++
			}
		}
	}
	h.m.Toggles.Add(float64(flipped))
	if flipped == 0 {
		return 0, h.seq.Load(), nil
	}
	// The first collect to begin after the Sets above sees their flips, so
	// once it has finished, the last seq encoded is at or after the Delta
	// holding them (if players flipped them all back meanwhile, none does,
	// and that seq is still a state after the change).
	after := h.collects.Load() + 1
	ctx, cancel := context.WithTimeout(ctx, imposeWait)
	defer cancel()
	t := time.NewTicker(h.cfg.Tick / 2)
	defer t.Stop()
	var target uint64
	known := false
	for {
		if !known && h.collected.Load() >= after {
			target, known = h.encoded.Load(), true
		}
		if s := h.seq.Load(); known && s >= target {
			return flipped, target, nil
		}
		select {
		case <-ctx.Done():
			return flipped, h.seq.Load(), ctx.Err()
		case <-h.done:
			return flipped, h.seq.Load(), ErrStopped
		case <-t.C:
		}
	}
}

// Box reports whether box i is checked in the live grid (perhaps not yet
// published).
func (h *Hub) Box(i uint32) bool { return h.grid.Get(i) }
