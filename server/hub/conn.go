package hub

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/wsframe"
)

// Go serves an accepted connection on a goroutine of its own until it
// ends, and returns at once: the connection joins the hub (Welcome,
// Snapshot, then Deltas), its frames are read on that goroutine and written
// by one more. player keys the player's rate limit and addr the address's.
// Returning at once lets the HTTP handler that accepted the connection
// return too, freeing its goroutine's stack and the request, which would
// otherwise stay alive for the connection's life (a few KB per idle
// player). The hub owns conn from here on; done runs when it has ended.
func (h *Hub) Go(conn Conn, player string, addr netip.Prefix, done func()) {
	h.clients.Add(1)
	go func() {
		defer h.clients.Done()
		defer done()
		h.serve(context.Background(), conn, player, addr)
	}()
}

func (h *Hub) serve(ctx context.Context, conn Conn, player string, addr netip.Prefix) {
	c := &Client{
		conn:   conn,
		out:    make(chan []byte, h.cfg.OutboxFrames),
		wake:   make(chan struct{}, 1),
		killed: make(chan struct{}),
		player: player,
		addr:   addr,
	}
	h.m.Accepted.Inc()
	h.m.Connections.Inc()
	defer h.m.Connections.Dec()
	select {
	case h.join <- c:
	case <-h.done:
		h.m.Disconnects.WithLabelValues(protocol.CloseGoingAway.String()).Inc()
		_ = conn.Close(protocol.CloseGoingAway, "server shutting down")
		return
	default:
		h.m.Disconnects.WithLabelValues(protocol.CloseOverloaded.String()).Inc()
		_ = conn.Close(protocol.CloseOverloaded, "join queue full")
		return
	}

	readerDone := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		h.write(ctx, c, readerDone)
	}()
	err := h.read(ctx, c)
	close(readerDone)
	select {
	case h.leave <- c:
	case <-h.done:
	}
	wg.Wait()
	h.m.Disconnects.WithLabelValues(disconnectReason(c, err)).Inc()
}

// disconnectReason names how a connection ended: our close code if we ended
// it, else the client's close code, else the read error's kind.
func disconnectReason(c *Client, err error) string {
	select {
	case <-c.killed:
		return c.closeCode.String()
	default:
	}
	var pc PeerClose
	if errors.As(err, &pc) {
		return peerCloseLabel(pc.Code)
	}
	return "read_error"
}

// peerCloseLabel names a client's close code for the disconnects metric
// from a fixed set: the code is the client's choice, and a label per value
// would let one client mint thousands of Prometheus series.
func peerCloseLabel(code int) string {
	if (code >= 1000 && code <= 1015) || (code >= 4000 && code <= 4009) {
		return "client_" + strconv.Itoa(code)
	}
	return "client_other"
}

// write is the connection's only caller of Write, Ping and Close. A write
// that stalls is ended by the loop's lagging check, whose kill closes the
// socket under it.
func (h *Hub) write(ctx context.Context, c *Client, readerDone <-chan struct{}) {
	for {
		tick := h.tickWake.Load() // before draining: a broadcast after the drain closes it
		ping := h.pingWake.Load()
		if err := h.drain(c); err != nil {
			_ = c.conn.CloseNow()
			return
		}
		h.maybeResync(ctx, c)
		select {
		case <-*tick:
		case <-c.wake:
		case <-*ping:
			pctx, cancel := context.WithTimeout(ctx, h.cfg.PingTimeout)
			err := c.conn.Ping(pctx)
			cancel()
			if err != nil {
				c.kill(protocol.CloseIdle, "no pong", h.cfg.WriteTimeout)
			}
		case <-c.killed:
			if c.closeCode == protocol.CloseGoingAway {
				// Shutdown: what is queued is durable; deliver it first.
				_ = h.drain(c)
			}
			_ = c.conn.Close(c.closeCode, c.closeWhy)
			return
		case <-readerDone:
			// The reader stops early once the connection is killed; the
			// close code must still reach the client.
			select {
			case <-c.killed:
				_ = c.conn.Close(c.closeCode, c.closeWhy)
			default:
				_ = c.conn.CloseNow()
			}
			return
		}
	}
}

// drain writes whatever is queued, without waiting for more. The writer
// is the outbox's only receiver, so a non-zero length means a receive
// cannot block (cheaper than a select per frame).
func (h *Hub) drain(c *Client) error {
	for len(c.out) > 0 {
		f := <-c.out
		if err := c.conn.Write(f); err != nil {
			return err
		}
		h.sent(f)
	}
	return nil
}

// maybeResync asks the loop for a Snapshot once a lagging client's outbox
// has drained, so the Resync lands after every Delta already queued.
func (h *Hub) maybeResync(ctx context.Context, c *Client) {
	if len(c.out) > 0 || !c.needResync.CompareAndSwap(true, false) {
		return
	}
	select {
	case h.resync <- resyncReq{c, protocol.ResyncLagging}:
	case <-h.done:
	case <-ctx.Done():
	}
}

// read reads and handles frames until the connection fails or a frame is
// bad. It returns the read error.
func (h *Hub) read(ctx context.Context, c *Client) error {
	var changes []protocol.Change
	for {
		msg, err := c.conn.Read(ctx)
		if errors.Is(err, ErrText) {
			h.bad(c, err, "text")
			return err
		}
		if err != nil {
			return err
		}
		select {
		case <-c.killed:
			// Closing: what a client sends during the close handshake
			// must not change the grid.
			return nil
		default:
		}
		if changes, err = h.handle(c, msg, changes[:0]); err != nil {
			h.bad(c, err, "")
			return err
		}
	}
}

// bad counts a protocol violation and ends the connection.
func (h *Hub) bad(c *Client, err error, kind string) {
	if kind == "" {
		kind = errKind(err)
	}
	h.m.BadFrames.WithLabelValues(kind).Inc()
	c.kill(protocol.CloseProtocol, truncate(err.Error(), 120), h.cfg.WriteTimeout)
}

func errKind(err error) string {
	for _, e := range []struct {
		err  error
		name string
	}{
		{protocol.ErrShort, "short"}, {protocol.ErrTrailing, "trailing"}, {protocol.ErrType, "type"},
		{protocol.ErrCount, "count"}, {protocol.ErrIndex, "index"}, {protocol.ErrParam, "param"},
		{protocol.ErrField, "field"}, {protocol.ErrOrder, "order"},
	} {
		if errors.Is(err, e.err) {
			return e.name
		}
	}
	return "other"
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// handle acts on one client frame. An error means the frame was bad and the
// connection must end; changes is scratch space returned for reuse.
func (h *Hub) handle(c *Client, msg []byte, changes []protocol.Change) ([]protocol.Change, error) {
	t, err := protocol.PeekType(msg)
	if err != nil {
		return changes, err
	}
	h.m.FramesRecv.WithLabelValues(t.String()).Inc()
	switch t {
	case protocol.TypeSet:
		s, err := protocol.DecodeSet(msg)
		if err != nil {
			return changes, err
		}
		if s.Count > h.cfg.MaxSetBoxes {
			return changes, fmt.Errorf("%w: %d boxes, limit %d", protocol.ErrCount, s.Count, h.cfg.MaxSetBoxes)
		}
		if changes, err = s.AppendChanges(changes); err != nil {
			return changes, err
		}
		h.apply(c, changes)
		return changes, nil
	case protocol.TypeResyncRequest:
		if _, err := protocol.DecodeResyncRequest(msg); err != nil {
			return changes, err
		}
		select {
		case h.resync <- resyncReq{c, protocol.ResyncRequested}:
		default:
			h.m.Drops.WithLabelValues("resync_queue_full").Inc()
		}
		return changes, nil
	case protocol.TypeViewport:
		// Reserved: validated, then ignored by version 1.
		_, err := protocol.DecodeViewport(msg)
		return changes, err
	}
	return changes, fmt.Errorf("%w: %v from a client", protocol.ErrType, t)
}

// apply sets the boxes the limits allow and rejects the rest.
func (h *Hub) apply(c *Client, changes []protocol.Change) {
	k := len(changes)
	h.m.BoxesSet.Add(float64(k))
	now := time.Now()
	reason, retry := protocol.RejectStorage, time.Second
	granted := 0
	if h.storageOK.Load() {
		var pr, ar time.Duration
		var g int
		g, pr = h.players.Take(c.player, k, now)
		granted, ar = h.addrs.Take(c.addr, g, now)
		if granted < g {
			h.players.Refund(c.player, g-granted, now)
		}
		reason, retry = protocol.RejectRate, pr
		if g == k {
			reason, retry = protocol.RejectAddressRate, ar
		}
	}
	toggled := 0
	for _, ch := range changes[:granted] {
		if h.grid.Set(ch.Index, ch.Value) {
			toggled++
		}
	}
	h.m.Toggles.Add(float64(toggled))
	if granted == k {
		c.rejectRun = 0
		return
	}
	refused := make([]uint32, 0, k-granted)
	for _, ch := range changes[granted:] {
		refused = append(refused, ch.Index)
	}
	h.m.Rejects.WithLabelValues(reason.String()).Add(float64(len(refused)))
	frame, err := protocol.AppendReject(nil, reason, uint32(max(retry, time.Millisecond)/time.Millisecond), refused)
	if err == nil {
		select {
		case c.out <- wsframe.Wrap(frame):
			c.nudge()
		default:
			h.m.Drops.WithLabelValues("outbox_full_reject").Inc()
		}
	}
	if granted == 0 && reason != protocol.RejectStorage {
		if c.rejectRun++; c.rejectRun >= h.cfg.AbuseRejects {
			c.kill(protocol.CloseAbuse, "kept sending after rejects", h.cfg.WriteTimeout)
		}
	}
}
