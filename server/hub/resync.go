package hub

import (
	"time"

	"checkgrid/protocol"
	"checkgrid/server/wsframe"
)

// sendSnapshot has c's sender queue Welcome (a new client, reason 0) or
// Resync, then the Snapshot of the published state, and make c a member of
// the broadcast set: the publisher issues it between the broadcasts of
// seq S and S+1, so c gets exactly Snapshot(S), S+1, ….
func (h *Hub) sendSnapshot(c *Client, reason protocol.ResyncReason) {
	if c.left {
		return
	}
	h.snapshot() // brings h.snapWire up to the current seq
	first, kind := h.welcome, cmdAdd
	if reason != 0 {
		first = wsframe.Wrap(protocol.AppendResync(nil, protocol.Resync{Reason: reason}))
		h.m.Resyncs.WithLabelValues(reason.String()).Inc()
		if reason == protocol.ResyncRequested {
			kind = cmdResync // only if it is a member: a lagging one gets its own
		}
	}
	if h.sendArea(c, first, reason) { // version 2 (viewport.go)
		return
	}
	c.shard.cmds <- command{kind: kind, c: c, frames: [][]byte{first, h.snapWire}}
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
		c.shard.cmds <- command{kind: cmdRemove, c: c}
		h.view.zones.Unsubscribe(c)
		code := protocol.CloseTooSlow
		if r.reason == protocol.ResyncRequested {
			code = protocol.CloseAbuse
		}
		h.kill(c, code, "too many resyncs")
		return
	}
	h.sendSnapshot(c, r.reason)
}
