package hub

import (
	"time"

	"checkgrid/protocol"
)

// send is sendRaw plus counting the frame: for frames sent to one client.
// Broadcasts count once per broadcast instead (sender.go): two shared
// counters touched per frame by every sender would be contended cache lines.
func (h *Hub) send(c *Client, wire []byte) bool {
	if !h.sendRaw(c, wire) {
		return false
	}
	h.sent(wire, 1)
	return true
}

// sendRaw queues wire for c and writes what its socket takes now. It never
// blocks. It returns false only when c's outbox is full; the frame is then
// not queued and c is resynced once its outbox drained.
func (h *Hub) sendRaw(c *Client, wire []byte) bool {
	return c.out.write(wire) != writeOverflow // ended: nothing more goes out
}

// kill ends c with code: no frame is taken after it; for CloseGoingAway
// (shutdown) what is already queued is delivered first, since it is
// durable and the client would otherwise miss it. Then the close
// handshake. It never blocks and only the first call counts. If the
// handshake cannot happen within WriteTimeout (a socket nobody reads),
// the socket is closed under it.
func (h *Hub) kill(c *Client, code protocol.CloseCode, why string) {
	c.killOnce.Do(func() {
		c.closeCode = code
		c.dead.Store(true)
		close(c.killed)
		time.AfterFunc(h.cfg.WriteTimeout, func() { _ = c.conn.CloseNow() })
		c.out.close(code, why, code == protocol.CloseGoingAway)
	})
}

// requestResync asks the publisher for a Snapshot for c.
func (h *Hub) requestResync(c *Client, reason protocol.ResyncReason) {
	select {
	case h.resync <- resyncReq{c, reason}:
	case <-h.done:
	}
}
