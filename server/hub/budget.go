package hub

import (
	"time"

	"checkgrid/protocol"
	"checkgrid/server/wsframe"
)

// Every kind of frame a client can send costs from one budget per
// connection (Config.MessageRate): Sets, ResyncRequests, Viewports, and the
// WebSocket pings and pongs the transport reports. Boxes have their own,
// finer buckets (limits); this one bounds the work any message causes, so
// that a flood of cheap frames (pongs, pings, viewports) from one
// connection closes that connection with CloseAbuse and slows no one else.

// budget takes one message from c's budget; when it is empty it ends c
// with CloseAbuse and returns false. Only c's reader calls it.
func (h *Hub) budget(c *Client) bool {
	now := time.Now()
	c.lastRead.Store(now.UnixNano())
	if !c.msgs.Allow(1, now) {
		h.m.BadFrames.WithLabelValues("flood").Inc()
		h.kill(c, protocol.CloseAbuse, "too many messages")
		return false
	}
	return true
}

// control handles a ping or pong the client sent (called from inside
// c.conn.Read, on c's reader). A ping is answered with a pong queued like
// any frame, so it never splits a data frame on the wire.
func (h *Hub) control(c *Client, k Control, payload []byte) {
	h.recvControls[k].Inc()
	if c.isKilled() || !h.budget(c) {
		return
	}
	if k == ControlPing {
		_ = h.send(c, wsframe.AppendPong(nil, payload))
	}
}
