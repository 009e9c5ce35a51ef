package hub

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/wsframe"
)

// Go serves an accepted connection on a goroutine of its own until it
// ends, and returns at once: the connection joins the hub (Welcome, the
// snapshot of the area view names — the whole grid for version 1 or no
// area — then what changes there), its frames are read on that goroutine
// and written by one more. player keys the player's rate limit and addr
// the address's. Returning at once lets the HTTP handler that accepted
// the connection return too, freeing its goroutine's stack and the
// request, which would otherwise stay alive for the connection's life (a
// few KB per idle player). The hub owns conn from here on; done runs when
// it has ended.
func (h *Hub) Go(conn Socket, player string, addr netip.Prefix, adm Admission, done func()) {
	h.clients.Add(1)
	go h.serve(conn, player, addr, adm, done)
}

// handOverAfter is how long after a client's last data frame its reader,
// when there is nothing more to read and the connection cannot park
// (Waiter.Park), stops waiting for it on its goroutine and hands it to a
// fresh one. A goroutine's stack grows to the deepest read and write it
// ever did (4 KB for coder/websocket's read path) and the runtime shrinks
// it only below a quarter of that, while a fresh one that only waits keeps
// the 2 KB minimum; a clicking player keeps its goroutine, since a new
// one per click costs more than the stack.
const handOverAfter = 5 * time.Second

// serve joins conn to the hub and reads it; h.clients counts it until it
// has ended.
func (h *Hub) serve(conn Socket, player string, addr netip.Prefix, adm Admission, done func()) {
	c := h.newClient(conn, player, addr)
	c.initArea(adm)
	c.lane = adm.Lane
	conn.SetControl(func(k Control, payload []byte) { h.control(c, k, payload) })
	h.m.Accepted.Inc()
	h.m.Connections.Inc()
	select {
	case h.join <- c:
	case <-h.done:
		h.m.Disconnects.WithLabelValues(protocol.CloseGoingAway.String()).Inc()
		_ = conn.Close(protocol.CloseGoingAway, "server shutting down")
		h.served(done)
		return
	default:
		h.m.Disconnects.WithLabelValues(protocol.CloseOverloaded.String()).Inc()
		_ = conn.Close(protocol.CloseOverloaded, "join queue full")
		h.served(done)
		return
	}
	w, _ := conn.(Waiter)
	h.reader(c, h.bindLane(c), done, w, time.Time{}, false)
}

// reader reads c until the connection ends and then ends c's place in the
// hub, or until there is nothing to read: then it parks c (Waiter.Park),
// or hands it to a fresh goroutine (handOverAfter), and returns; a parked
// connection's messages are handled by message on the poller's goroutine
// until it resumes here. w is c's connection as a Waiter, nil if it cannot
// wait; lastData is when the client last sent a data frame (zero: not
// yet); fresh says this goroutine was started by a hand-over or a resume
// and reads at least once before it parks or hands over again: what woke
// it must be read, not parked on.
func (h *Hub) reader(c *Client, unbind, done func(), w Waiter, lastData time.Time, fresh bool) {
	var err error
	for !c.isKilled() {
		if w != nil {
			// Nothing to read now.
			if !fresh && h.park(c, unbind, done, w) {
				return
			}
			if !fresh && time.Since(lastData) >= handOverAfter {
				go h.reader(c, unbind, done, w, lastData, true)
				return
			}
			if !w.WaitReadable() {
				w = nil
			}
		}
		fresh = false
		var idle bool
		if idle, err = h.read(context.Background(), c, &lastData); !idle {
			break
		}
	}
	unbind()
	if !c.isKilled() {
		// The client went away (or its socket failed): nothing to say.
		c.out.abandon()
	} // else the kill's close handshake owns the end of the socket
	select {
	case h.leave <- c:
	case <-h.done:
	}
	h.m.Disconnects.WithLabelValues(disconnectReason(c, err)).Inc()
	h.served(done)
}

// park parks c's connection, to be read by its poller until it resumes
// on a reader goroutine of its own; false if it cannot park now.
func (h *Hub) park(c *Client, unbind, done func(), w Waiter) bool {
	return w.Park(
		func(msg []byte) bool { return h.message(c, msg) },
		func() { go h.reader(c, unbind, done, w, time.Time{}, true) },
	)
}

// served counts a connection's end and releases what its acceptor holds.
func (h *Hub) served(done func()) {
	h.m.Connections.Dec()
	done()
	h.clients.Done()
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

// read reads and handles c's messages until the connection fails, a
// message is bad or c is being closed (idle false, with the read error if
// there was one), or, once its connection has waited (Waiter), until
// there is nothing more to read now (idle true). lastData is kept up to
// date.
func (h *Hub) read(ctx context.Context, c *Client, lastData *time.Time) (idle bool, err error) {
	for {
		msg, err := c.conn.Read(ctx)
		if errors.Is(err, ErrIdle) {
			return true, nil
		}
		if err != nil {
			h.readFailed(c, err)
			return false, err
		}
		*lastData = time.Now()
		if !h.message(c, msg) {
			return false, nil
		}
	}
}

// message handles one message c sent, on its reader goroutine or its
// poller's, and reports whether c is to be read on: false once c is being
// closed (a message during the close handshake must not change the grid),
// is over its message budget, or sent a bad message.
func (h *Hub) message(c *Client, msg []byte) bool {
	if c.isKilled() || !h.budget(c) {
		return false
	}
	var err error
	if c.changes, err = h.handle(c, msg, c.changes[:0]); err != nil {
		h.bad(c, err, "")
		return false
	}
	return true
}

// readFailed ends c after a failed Read: a text message or broken
// framing is the client's fault and closes with its code; any other error
// means the connection is gone. Apart from read's loop so that the
// FrameError it fills, which errors.As makes escape, is not allocated for
// every message read.
func (h *Hub) readFailed(c *Client, err error) {
	if errors.Is(err, ErrText) {
		h.bad(c, err, "text")
		return
	}
	var fe FrameError
	if errors.As(err, &fe) {
		h.m.BadFrames.WithLabelValues("websocket_framing").Inc()
		h.kill(c, fe.Code, truncate(fe.Why, 120))
	}
}

// bad counts a protocol violation and ends the connection.
func (h *Hub) bad(c *Client, err error, kind string) {
	if kind == "" {
		kind = errKind(err)
	}
	h.m.BadFrames.WithLabelValues(kind).Inc()
	h.kill(c, protocol.CloseProtocol, truncate(err.Error(), 120))
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
	h.recvFrames[t].Inc() // every known type has one (New); PeekType refuses the rest
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
		h.active(c)
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
		// Version 2 subscribes to the area; version 1 validates and
		// ignores it.
		v, err := protocol.DecodeViewport(msg)
		if err == nil {
			h.active(c)
			h.viewport(c, v)
		}
		return changes, err
	}
	return changes, fmt.Errorf("%w: %v from a client", protocol.ErrType, t)
}

// reject tells c its changes were refused for reason; retry is how soon
// sending them again can succeed.
func (h *Hub) reject(c *Client, reason protocol.RejectReason, retry time.Duration, changes []protocol.Change) {
	refused := make([]uint32, 0, len(changes))
	for _, ch := range changes {
		refused = append(refused, ch.Index)
	}
	h.m.Rejects.WithLabelValues(reason.String()).Add(float64(len(refused)))
	frame, err := protocol.AppendReject(nil, reason, retryMS(reason, retry), refused)
	if err != nil {
		h.logger.Error("reject", "err", err) // sorted, in range, ≤ MaxSetBoxes: a bug
		return
	}
	wire := wsframe.Wrap(frame)
	if c.out.answer(wire) == writeOverflow {
		// Not even the answers' slack is left: the client does not read.
		// Its boxes must not be left without an end while it stays
		// connected (PROTOCOL.md, invariant 7), so it does not stay.
		h.m.Drops.WithLabelValues("outbox_full_reject").Inc()
		h.kill(c, protocol.CloseTooSlow, "rejects not taken")
		return
	}
	h.sent(wire, 1)
}

// retryMS is a Reject's retry-after: at least 1 ms, except that a freeze
// or a ban with no known end says 0 (PROTOCOL.md, Reject), and at most
// what the field holds (49 days).
func retryMS(reason protocol.RejectReason, retry time.Duration) uint32 {
	if retry <= 0 && (reason == protocol.RejectFrozen || reason == protocol.RejectBanned) {
		return 0
	}
	return uint32(min(max(retry, time.Millisecond)/time.Millisecond, math.MaxUint32))
}

// refuseLost tells c that changes it was told nothing about (accepted and
// submitted upstream) will not be committed: Reject storage, which the
// client shows and reverts.
func (h *Hub) refuseLost(c *Client, changes []protocol.Change) {
	h.reject(c, protocol.RejectStorage, time.Second, changes)
}

// apply sets the boxes the limits allow and rejects the rest.
func (h *Hub) apply(c *Client, changes []protocol.Change) {
	h.m.BoxesSet.Add(float64(len(changes)))
	now := time.Now()
	gated := 0 // boxes the gate refused, for the tally
	if h.cfg.Gate != nil {
		// Bans and frozen areas first: what they refuse spends no token.
		n, refused, reason, retry := h.cfg.Gate.Screen(c.player, c.addr, changes, now)
		if gated = len(refused); gated > 0 {
			h.reject(c, reason, retry, refused)
		}
		if changes = changes[:n]; n == 0 {
			h.tally(c, 0, gated, now)
			return
		}
	}
	k := len(changes)
	reason, retry := protocol.RejectStorage, time.Second
	granted := 0
	if h.storageOK.Load() && c.lane != nil {
		granted, reason, retry = h.laneTake(c, k, now)
	} else if h.storageOK.Load() {
		g, _ := h.players.Take(c.player, k, now)
		granted, _ = h.addrs.Take(c.addr, g, now)
		if granted < g {
			h.players.Refund(c.player, g-granted, now)
		}
		reason = protocol.RejectRate
		if g == k {
			reason = protocol.RejectAddressRate
		}
		// Until both buckets would take every refused box (PROTOCOL.md,
		// Reject): the time after which sending them again succeeds.
		retry = max(h.players.Wait(c.player, k-granted, now), h.addrs.Wait(c.addr, k-granted, now))
	}
	// The upstream's sequencer decides what flips; nothing is shown here
	// that is not committed.
	toggled := 0
	if granted > 0 {
		var ok bool
		if c.lost == nil {
			c.lost = func(lost []protocol.Change) { h.refuseLost(c, lost) }
		}
		if toggled, ok = h.up.Submit(changes[:granted], c.lost); !ok {
			granted, reason, retry = 0, protocol.RejectStorage, time.Second
		}
	}
	h.countLane(c, toggled)
	h.tally(c, toggled, k-granted+gated, now)
	if granted == k {
		c.rejectRun = 0
		return
	}
	h.reject(c, reason, retry, changes[granted:])
	if granted == 0 && reason != protocol.RejectStorage {
		if c.rejectRun++; c.rejectRun >= h.cfg.AbuseRejects {
			h.kill(c, protocol.CloseAbuse, "kept sending after rejects")
		}
	}
}
