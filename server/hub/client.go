package hub

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"checkgrid/protocol"
)

// Client is one connection's state shared between its reader, its writer
// and the tick loop. Frames in out are shared between clients and are never
// modified after they are queued.
type Client struct {
	conn   Conn
	out    chan []byte   // bounded outbox of wire frames; the loop and the reader send, the writer receives
	wake   chan struct{} // nudges the writer to re-check needResync
	killed chan struct{} // closed by kill; the writer then closes the socket

	player string       // rate-limit key: signed player ID or per-connection ID
	addr   netip.Prefix // address key for per-address limits

	needResync atomic.Bool // set by the loop when out overflowed

	killOnce  sync.Once
	closeCode protocol.CloseCode // written once, before killed is closed
	closeWhy  string

	// reader
	rejectRun int // consecutive Set frames refused entirely

	// loop
	left    bool
	resyncs []time.Time
}

// markLagging flags the client for a resync once its writer has drained the
// outbox, and wakes the writer in case it is idle with the outbox empty.
func (c *Client) markLagging() {
	c.needResync.Store(true)
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// kill asks the writer to close the connection with code. It never blocks
// and only the first call counts. If the writer is stuck in a write and
// cannot do the close handshake within grace, the socket is closed under it.
func (c *Client) kill(code protocol.CloseCode, why string, grace time.Duration) {
	c.killOnce.Do(func() {
		c.closeCode, c.closeWhy = code, why
		close(c.killed)
		time.AfterFunc(grace, func() { _ = c.conn.CloseNow() })
	})
}

// nudge wakes the writer for a frame queued outside a broadcast.
func (c *Client) nudge() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}
