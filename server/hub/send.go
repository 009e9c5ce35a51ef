package hub

import (
	"time"

	"checkgrid/protocol"
)

// Writing without a goroutine per client.
//
// A frame for a client goes through send: if the client's socket is taking
// writes, send writes it at once with a non-blocking TryWrite, on the
// caller's goroutine (a sender of the pool, or the client's reader for a
// Reject). Only when the socket is full does the unsent remainder stay in
// the client's bounded queue, and a flusher goroutine parks in WriteAll
// (Go's poller wakes it when the socket drains), writes the queue out in
// order and exits. So a broadcast to 10,000 ready clients is 10,000
// write(2) calls from a couple of goroutines, with no wake-ups, and the
// only goroutines besides readers belong to clients that are behind.
//
// A queue that overflows (OutboxFrames) marks the client for a resync: its
// sender drops it from the broadcast set; once the flusher has drained what
// was queued, it asks the publisher for Resync + Snapshot (resync.go).

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
// blocks. It returns false only when c's queue is full; the frame is then
// not queued and c is flagged for a resync once drained.
func (h *Hub) sendRaw(c *Client, wire []byte) bool {
	c.mu.Lock()
	if c.dead || c.closing {
		c.mu.Unlock()
		return true // the connection is ending: nothing more goes out
	}
	if c.flushing {
		if len(c.queue) >= h.cfg.OutboxFrames {
			c.needResync = true
			c.mu.Unlock()
			return false
		}
		c.queue = append(c.queue, wire)
		c.mu.Unlock()
		return true
	}
	n, err := c.conn.TryWrite(wire)
	if err != nil {
		c.dead = true
		c.mu.Unlock()
		_ = c.conn.CloseNow()
		return true
	}
	if n < len(wire) {
		c.queue = append(c.queue, wire)
		c.off = n
		c.flushing = true
		c.blockedSince.Store(time.Now().UnixNano())
		h.flushers.Add(1)
		go h.flush(c)
	}
	c.mu.Unlock()
	return true
}

// flush writes c's queue out while the socket is slow, then ends: the
// client goes back to direct writes, or is resynced or closed if that was
// waiting for the queue to drain.
func (h *Hub) flush(c *Client) {
	defer h.flushers.Done()
	c.mu.Lock()
	for {
		if c.dead {
			c.queue, c.flushing = nil, false
			c.mu.Unlock()
			return
		}
		if len(c.queue) == 0 {
			c.queue, c.flushing = nil, false // don't hold the backing array while idle
			c.blockedSince.Store(0)
			closing, resync := c.closing, c.needResync
			c.needResync = false
			c.mu.Unlock()
			switch {
			case closing:
				h.finish(c)
			case resync:
				h.requestResync(c, protocol.ResyncLagging)
			}
			return
		}
		b := c.queue[0][c.off:]
		c.mu.Unlock()
		err := c.conn.WriteAll(b) // unlocked: senders keep queueing meanwhile
		c.mu.Lock()
		if err != nil {
			c.dead = true
			c.queue, c.flushing = nil, false
			c.mu.Unlock()
			_ = c.conn.CloseNow()
			return
		}
		c.queue[0] = nil
		c.queue, c.off = c.queue[1:], 0
	}
}

// kill ends c with code: no frame is taken after it; for CloseGoingAway
// (shutdown) what is already queued is delivered first, since it is
// durable and the client would otherwise miss it. Then the close
// handshake. It never blocks and only the first call counts. If the
// handshake cannot happen within grace (a socket nobody reads), the socket
// is closed under it.
func (h *Hub) kill(c *Client, code protocol.CloseCode, why string) {
	c.killOnce.Do(func() {
		c.closeCode, c.closeWhy = code, why
		close(c.killed)
		time.AfterFunc(h.cfg.WriteTimeout, func() { _ = c.conn.CloseNow() })
		c.mu.Lock()
		c.closing = true
		if c.flushing && code != protocol.CloseGoingAway && len(c.queue) > 1 {
			// The frame being written must finish (the stream's framing);
			// the rest need not.
			clear(c.queue[1:])
			c.queue = c.queue[:1]
		}
		idle := !c.flushing && !c.dead
		c.mu.Unlock()
		if idle {
			h.flushers.Add(1)
			go func() {
				defer h.flushers.Done()
				h.finish(c)
			}()
		}
	})
}

// finish does the close handshake of a killed client whose queue is empty.
func (h *Hub) finish(c *Client) {
	c.mu.Lock()
	dead := c.dead
	c.dead = true
	c.mu.Unlock()
	if !dead {
		_ = c.conn.Close(c.closeCode, c.closeWhy)
	}
}

// requestResync asks the publisher for a Snapshot for c.
func (h *Hub) requestResync(c *Client, reason protocol.ResyncReason) {
	select {
	case h.resync <- resyncReq{c, reason}:
	case <-h.done:
	}
}
