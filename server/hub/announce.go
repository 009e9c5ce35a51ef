package hub

import (
	"context"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/wsframe"
)

// Announcements (PROTOCOL.md, Announce): the operator's message to every
// version-3 connection. Announce hands one to the publisher, which keeps
// it as the one that is up, sends it to every version-3 client through
// its sender (so it is ordered after the client's Welcome and snapshot),
// and sends it, with the seconds it has left, after the snapshot of every
// version-3 client that joins while it is up. Version-1 and 2 clients
// never get it: for them the type is unknown, a protocol error.

// announcer is the hub's announcement state.
type announcer struct {
	in chan announcement // Announce → publisher

	// publisher
	cur announcement // the one up; zero ID: none
}

// announcement is an Announce and when it comes down (zero for a
// withdrawal).
type announcement struct {
	protocol.Announce
	until time.Time
}

func newAnnouncer() announcer { return announcer{in: make(chan announcement, 16)} }

// Announce puts a (id ≥ 1, text) up until until, replacing any other, or,
// with until zero and no text, withdraws announcement a.ID. It returns
// once the publisher has it: every version-3 client connected by then is
// sent it. A field out of range is protocol.ErrField.
func (h *Hub) Announce(ctx context.Context, a protocol.Announce, until time.Time) error {
	a.TTL = 0
	if !until.IsZero() {
		a.TTL = uint32(max(1, (time.Until(until)+time.Second-1)/time.Second))
	}
	if _, err := protocol.AppendAnnounce(nil, a); err != nil {
		return err
	}
	select {
	case h.ann.in <- announcement{a, until}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-h.done:
		return ErrStopped
	}
}

// announce is the publisher's side of Announce.
func (h *Hub) announce(a announcement, now time.Time) {
	if a.Withdrawn() {
		if h.ann.cur.ID != a.ID {
			return // not the one up: nothing to take down
		}
		h.ann.cur = announcement{}
	} else {
		h.ann.cur = a
	}
	wire := h.announceWire(a, now)
	if wire == nil {
		return
	}
	for c := range h.all {
		if c.sub.version >= protocol.Version3 {
			h.areas.to[c.shard] = append(h.areas.to[c.shard], addressed{c, wire})
		}
	}
	h.flushTo("outbox_full_announce")
}

// announceWire is a's frame as sent at now, with the seconds it has left;
// nil if it has expired.
func (h *Hub) announceWire(a announcement, now time.Time) []byte {
	if !a.Withdrawn() {
		left := a.until.Sub(now)
		if left <= 0 {
			return nil
		}
		a.TTL = uint32(min(protocol.MaxAnnounceTTL, (left+time.Second-1)/time.Second))
	}
	f, err := protocol.AppendAnnounce(nil, a.Announce)
	if err != nil {
		h.logger.Error("announce", "err", err) // checked by Announce: a bug
		return nil
	}
	return wsframe.Wrap(f)
}

// greet appends to a joining client's first frames the announcement that
// is up, if it speaks version 3.
func (h *Hub) greet(c *Client, frames [][]byte) [][]byte {
	if c.sub.version < protocol.Version3 || h.ann.cur.ID == 0 {
		return frames
	}
	if w := h.announceWire(h.ann.cur, time.Now()); w != nil {
		return append(frames, w)
	}
	h.ann.cur = announcement{} // expired
	return frames
}
