package hub

import (
	"net/netip"
	"time"
)

// Tally counts each Set frame's outcome per player and address for the
// operator's top lists (server/tally). The hub calls it once per Set
// frame that changed or refused anything, on the reader's goroutine.
type Tally interface {
	Count(player string, addr netip.Prefix, toggled, refused int, now time.Time)
}

// tally counts c's Set if a Tally is configured.
func (h *Hub) tally(c *Client, toggled, refused int, now time.Time) {
	if h.cfg.Tally != nil {
		h.cfg.Tally.Count(c.player, c.addr, toggled, refused, now)
	}
}
