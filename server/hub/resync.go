package hub

import (
	"time"

	"checkgrid/protocol"
	"checkgrid/server/wsframe"
)

// sendView is the one path for what a client is shown from scratch: its
// sender queues first (Welcome on a join, Resync with reason, nothing
// when only its area moved), then the snapshot of its area at the
// published seq (the shared Snapshot for the whole grid), and, after a
// version-2 Welcome, the presence map; from then on it follows that area,
// as a member of the broadcast set for the whole grid, in the zone index
// otherwise. The publisher issues it between the broadcasts of seq S and
// S+1, so the client gets exactly its snapshot at S, then S+1, ….
func (h *Hub) sendView(c *Client, join bool, reason protocol.ResyncReason) {
	if c.left {
		return
	}
	h.unpace(c) // from scratch, it follows every Delta (or its area)
	v2 := c.sub.version >= protocol.Version2
	var frames [][]byte
	switch {
	case join && v2:
		frames = append(frames, h.areas.welcome[c.sub.version])
	case join:
		frames = append(frames, h.welcome)
	case reason != 0:
		frames = append(frames, wsframe.Wrap(protocol.AppendResync(nil, protocol.Resync{Reason: reason})))
		h.m.Resyncs.WithLabelValues(reason.String()).Inc()
	}
	whole := c.sub.area.Whole()
	if whole {
		h.areas.zones.Unsubscribe(c)
		h.snapshot() // brings h.snapWire up to the current seq
		frames = append(frames, h.snapWire)
	} else {
		if reason == protocol.ResyncRequested && c.sub.lagging.Load() {
			return // its own resync is on its way
		}
		// The area is valid: served areas come from Widen of decoded
		// Viewports or of the URL's checked area.
		frame, scratch, _ := protocol.AppendAreaSnapshot(nil, h.epoch, h.shown.Seq, c.sub.area, &h.shown.Grid, h.areas.scratch)
		h.areas.scratch = scratch
		frames = append(frames, wsframe.Wrap(frame))
	}
	if join && v2 && h.areas.presence != nil {
		frames = append(frames, h.areas.presence)
	}
	if join {
		frames = h.greet(c, frames) // version 3: the announcement up (announce.go)
	}
	c.shard.cmds <- cmdToClient{c: c, frames: frames, whole: whole, requested: whole && reason == protocol.ResyncRequested}
	if !whole {
		h.areas.zones.Subscribe(c, c.sub.area, h.shown.Seq)
	}
}

// handleResync serves a resync a client's flusher (after lagging) or
// reader (ResyncRequest) asked for. Too many in ResyncWindow end the
// client: 4001 if it could not keep up, 4006 if it kept asking.
func (h *Hub) handleResync(r resyncReq) {
	c := r.c
	if c.left {
		return
	}
	now := time.Now()
	c.resyncs = append(c.resyncs, now)
	for len(c.resyncs) > 0 && now.Sub(c.resyncs[0]) > h.cfg.ResyncWindow {
		c.resyncs = c.resyncs[1:]
	}
	if len(c.resyncs) > h.cfg.MaxResyncs {
		c.shard.cmds <- cmdRemove{c}
		h.areas.zones.Unsubscribe(c)
		code := protocol.CloseTooSlow
		if r.reason == protocol.ResyncRequested {
			code = protocol.CloseAbuse
		}
		h.kill(c, code, "too many resyncs")
		return
	}
	h.sendView(c, false, r.reason)
}
