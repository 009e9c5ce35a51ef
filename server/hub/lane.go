package hub

import (
	"time"

	"checkgrid/protocol"
)

// Lane is a connection's own quota instead of the player's and address's
// buckets: a bot token's (server/bots). Its boxes are counted apart from
// players' (Stats.BotToggles, metrics bot_toggles_total), its connections
// too (Stats.Bots, not in Online), and the lane can end them at once
// (revocation).
type Lane interface {
	// Take grants up to n boxes now and, for the rest, the time until
	// all of them would be granted.
	Take(n int, now time.Time) (granted int, retry time.Duration)
	// Bind gives the lane the function that ends this connection with
	// protocol.CloseRevoked; unbind is called when the connection ends.
	Bind(cut func()) (unbind func())
}

// bindLane ties c to its lane, if it has one, for the connection's life;
// the returned function undoes it.
func (h *Hub) bindLane(c *Client) func() {
	if c.lane == nil {
		return func() {}
	}
	h.bots.Add(1)
	h.m.BotConnections.Inc()
	unbind := c.lane.Bind(func() { h.kill(c, protocol.CloseRevoked, "bot token revoked") })
	return func() {
		unbind()
		h.bots.Add(-1)
		h.m.BotConnections.Dec()
	}
}

// laneTake is apply's quota step for a bot's connection.
func (h *Hub) laneTake(c *Client, k int, now time.Time) (granted int, reason protocol.RejectReason, retry time.Duration) {
	granted, retry = c.lane.Take(k, now)
	return granted, protocol.RejectRate, retry
}

// countLane counts a bot's flipped boxes apart from players'.
func (h *Hub) countLane(c *Client, toggled int) {
	if c.lane != nil && toggled > 0 {
		h.botToggles.Add(uint64(toggled))
		h.m.BotToggles.Add(float64(toggled))
	}
}
