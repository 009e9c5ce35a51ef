package hub

import (
	"net/netip"
	"time"

	"checkgrid/protocol"
)

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
